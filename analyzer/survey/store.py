"""Survey results and runs in the history database (the status tracker's SQLite file,
tables of their own). A result is keyed by project, version, the woaport that made it
and the proof asked: a re-run skips what is current. Each result is written as it
arrives, in its own transaction: an interrupted survey keeps what it finished.

A run records every project it looked at (surveyed or not, with its status class), so
the next run can say which projects turned green and which new releases regressed."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from analyzer.survey.model import BLOCKER_CLASSES, DONE, ERROR, ProjectSurvey

SCHEMA = 1
_GREEN = frozenset({"native", "partial", "pure", "pure-sdist"})


class SurveyStoreError(RuntimeError):
    pass


@dataclass(frozen=True)
class RunItem:
    name: str
    version: str
    status: str
    blocker: str  # "" when not surveyed


@dataclass(frozen=True)
class Change:
    name: str
    what: str  # "turned green" | "regressed" | "new blocker"
    detail: str


class SurveyStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.db = sqlite3.connect(path)
            with self.db:
                self.db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
                row = self.db.execute("SELECT value FROM meta WHERE key = 'survey_schema'").fetchone()
                if row is None:
                    self.db.execute("INSERT INTO meta VALUES ('survey_schema', ?)", (str(SCHEMA),))
                elif row[0] != str(SCHEMA):
                    raise SurveyStoreError(f"{path}: survey schema {row[0]}, this woaport reads {SCHEMA}")
                self.db.execute(
                    "CREATE TABLE IF NOT EXISTS survey_results (name TEXT NOT NULL, version TEXT NOT NULL,"
                    " woaport TEXT NOT NULL, proof TEXT NOT NULL, outcome TEXT NOT NULL, data TEXT NOT NULL,"
                    " PRIMARY KEY (name, version, woaport, proof))"
                )
                self.db.execute(
                    "CREATE TABLE IF NOT EXISTS survey_runs (id INTEGER PRIMARY KEY, started TEXT NOT NULL,"
                    " label TEXT NOT NULL, woaport TEXT NOT NULL)"
                )
                self.db.execute(
                    "CREATE TABLE IF NOT EXISTS survey_run_items (run_id INTEGER NOT NULL"
                    " REFERENCES survey_runs(id), name TEXT NOT NULL, version TEXT NOT NULL,"
                    " status TEXT NOT NULL, blocker TEXT NOT NULL, PRIMARY KEY (run_id, name))"
                )
        except sqlite3.DatabaseError as error:
            raise SurveyStoreError(f"{path}: {error}") from None

    def close(self) -> None:
        self.db.close()

    def current(self, name: str, version: str, woaport: str, proof: str) -> ProjectSurvey | None:
        """The stored result for this project and version by this woaport, if any; a
        network error is not kept as an answer (the next run tries again)."""
        row = self.db.execute(
            "SELECT data FROM survey_results WHERE name = ? AND version = ? AND woaport = ? AND proof = ?"
            " AND outcome != ?",
            (name, version, woaport, proof, ERROR),
        ).fetchone()
        if row is None:
            return None
        try:
            return ProjectSurvey.from_dict(json.loads(row[0]))
        except (ValueError, KeyError, TypeError):
            return None  # an unreadable row is surveyed again

    def save(self, survey: ProjectSurvey, proof: str) -> None:
        with self.db:
            self.db.execute(
                "INSERT OR REPLACE INTO survey_results VALUES (?, ?, ?, ?, ?, ?)",
                (
                    survey.name,
                    survey.version,
                    survey.woaport,
                    proof,
                    survey.outcome,
                    json.dumps(survey.to_dict()),
                ),
            )

    def previous(self, label: str) -> tuple[str, dict[str, RunItem]] | None:
        """The latest recorded run with this label: when it started and its items."""
        row = self.db.execute(
            "SELECT id, started FROM survey_runs WHERE label = ? ORDER BY id DESC LIMIT 1", (label,)
        ).fetchone()
        if row is None:
            return None
        items = self.db.execute(
            "SELECT name, version, status, blocker FROM survey_run_items WHERE run_id = ?", (row[0],)
        ).fetchall()
        return str(row[1]), {
            name: RunItem(name, version, status, blocker) for name, version, status, blocker in items
        }

    def record_run(self, started: str, label: str, woaport: str, items: Iterable[RunItem]) -> int:
        with self.db:
            cursor = self.db.execute(
                "INSERT INTO survey_runs (started, label, woaport) VALUES (?, ?, ?)",
                (started, label, woaport),
            )
            run_id = int(cursor.lastrowid or 0)
            self.db.executemany(
                "INSERT OR REPLACE INTO survey_run_items VALUES (?, ?, ?, ?, ?)",
                [(run_id, i.name, i.version, i.status, i.blocker) for i in items],
            )
        return run_id


def changes(before: dict[str, RunItem], now: Iterable[RunItem]) -> list[Change]:
    """What moved since the previous run of the same set (pure): projects that turned
    green (a win_arm64 or pure wheel now installs), releases that regressed (their
    previous release had a win_arm64 wheel, or their blocker got harder)."""
    order = {klass: i for i, klass in enumerate(BLOCKER_CLASSES)}
    found: list[Change] = []
    for item in now:
        old = before.get(item.name)
        if old is None:
            continue
        if item.status in _GREEN and old.status not in _GREEN:
            found.append(
                Change(
                    item.name, "turned green", f"{old.status} {old.version} -> {item.status} {item.version}"
                )
            )
        elif item.status == "regressed" and old.status != "regressed":
            found.append(
                Change(item.name, "regressed", f"{item.version} lost the win_arm64 wheel {old.version} had")
            )
        elif (
            item.version != old.version
            and item.blocker in order
            and old.blocker in order
            and order[item.blocker] > order[old.blocker]
        ):
            found.append(
                Change(
                    item.name,
                    "new blocker",
                    f"{item.version}: {old.blocker} -> {item.blocker} (was {old.version})",
                )
            )
    return sorted(found, key=lambda c: (c.what, c.name))


def run_item(name: str, version: str, status: str, survey: ProjectSurvey | None) -> RunItem:
    blocker = survey.blocker if survey is not None and survey.outcome == DONE else ""
    return RunItem(name, version, status, blocker)
