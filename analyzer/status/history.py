"""Run history in SQLite (versioned schema): per run and project, the class and version,
so "turned native on DATE" and trend lines can be answered. A run is written in one
transaction: an interrupted run leaves the database as it was.

Runs are grouped by their project set (the names and Pythons they covered): a trend is
drawn over one set, so single-project runs, another ``--top N`` or other Pythons never
mix into it, and a run whose lookups failed (offline, index down) is left out."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from analyzer.status.classify import Status, StatusClass

SCHEMA = 2
# A run is "failed" when at least this share of its lookups failed (and at least one):
# its counts say more about the network than about the projects.
FAILED_SHARE = 0.1


def default_db_path() -> Path:
    if sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"]) / "woaport" / "status.sqlite"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "woaport" / "status.sqlite"


class HistoryError(RuntimeError):
    pass


@dataclass(frozen=True)
class RunSet:
    """What a run covered. ``listed``: it came from a package list (``--top N``,
    ``--top-file``), the runs a trend is about; else named projects (ad hoc)."""

    key: str
    label: str
    listed: bool


def set_key(names: Iterable[str], pythons: Iterable[str]) -> str:
    """The same projects and Pythons give the same key, whatever their order."""
    text = json.dumps([sorted(set(names)), sorted(set(pythons))])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def run_failed(classes: Sequence[str]) -> bool:
    errors = sum(1 for k in classes if k == StatusClass.ERROR)
    return errors >= max(1, FAILED_SHARE * len(classes))


@dataclass(frozen=True)
class Trend:
    """The runs of one project set, oldest first, and how many runs were left out."""

    label: str
    pythons: tuple[str, ...]
    runs: tuple[tuple[str, Counter[str]], ...]
    left_out: int = 0  # runs of other sets, or failed runs


class History:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path)
        with self.db:
            self.db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            row = self.db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            if row is None:
                self.db.execute("INSERT INTO meta VALUES ('schema', ?)", (str(SCHEMA),))
            elif row[0] == "1":
                self._create()
                self._from_schema_1()
            elif row[0] != str(SCHEMA):
                raise HistoryError(f"{path}: history schema {row[0]}, this woaport reads {SCHEMA}")
            self._create()

    def _create(self) -> None:
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS runs (id INTEGER PRIMARY KEY, started TEXT NOT NULL,"
            " index_url TEXT NOT NULL, pythons TEXT NOT NULL, set_key TEXT NOT NULL DEFAULT '',"
            " set_label TEXT NOT NULL DEFAULT '', listed INTEGER NOT NULL DEFAULT 0,"
            " failed INTEGER NOT NULL DEFAULT 0)"
        )
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS results (run_id INTEGER NOT NULL REFERENCES runs(id),"
            " name TEXT NOT NULL, version TEXT, class TEXT NOT NULL, pythons TEXT NOT NULL,"
            " PRIMARY KEY (run_id, name))"
        )
        self.db.execute("CREATE INDEX IF NOT EXISTS results_by_name ON results (name, run_id)")

    def _from_schema_1(self) -> None:
        """Schema 1 had no project sets: derive each old run's set and failure from its
        own rows (in the same transaction as the version bump: all or nothing)."""
        columns = {row[1] for row in self.db.execute("PRAGMA table_info(runs)")}
        for column, kind in (
            ("set_key", "TEXT NOT NULL DEFAULT ''"),
            ("set_label", "TEXT NOT NULL DEFAULT ''"),
            ("listed", "INTEGER NOT NULL DEFAULT 0"),
            ("failed", "INTEGER NOT NULL DEFAULT 0"),
        ):
            if column not in columns:
                self.db.execute(f"ALTER TABLE runs ADD COLUMN {column} {kind}")
        for run_id, pythons in self.db.execute("SELECT id, pythons FROM runs").fetchall():
            rows = self.db.execute("SELECT name, class FROM results WHERE run_id = ?", (run_id,)).fetchall()
            key = set_key((name for name, _ in rows), _pythons(pythons))
            self.db.execute(
                "UPDATE runs SET set_key = ?, set_label = ?, failed = ? WHERE id = ?",
                (key, f"{len(rows)} project(s)", int(run_failed([k for _, k in rows])), run_id),
            )
        self.db.execute("UPDATE meta SET value = ? WHERE key = 'schema'", (str(SCHEMA),))

    def close(self) -> None:
        self.db.close()

    def record(
        self,
        started: str,
        index_url: str,
        pythons: Iterable[str],
        statuses: Iterable[Status],
        label: str = "",
        listed: bool = False,
    ) -> int:
        pythons = list(pythons)
        with self.db:  # one transaction: all of the run or none of it
            statuses = list(statuses)
            key = set_key((s.name for s in statuses), pythons)
            failed = run_failed([s.klass for s in statuses])
            cursor = self.db.execute(
                "INSERT INTO runs (started, index_url, pythons, set_key, set_label, listed, failed)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    started,
                    index_url,
                    json.dumps(pythons),
                    key,
                    label or f"{len(statuses)} project(s)",
                    int(listed),
                    int(failed),
                ),
            )
            run_id = int(cursor.lastrowid or 0)
            self.db.executemany(
                "INSERT INTO results VALUES (?, ?, ?, ?, ?)",
                [(run_id, s.name, s.version, s.klass, json.dumps(s.pythons)) for s in statuses],
            )
        return run_id

    def turned(self, name: str, klass: str) -> str | None:
        """When ``name`` last became ``klass`` (the first run of its current streak)."""
        rows = self.db.execute(
            "SELECT runs.started, results.class FROM results JOIN runs ON runs.id = results.run_id"
            " WHERE results.name = ? ORDER BY runs.id",
            (name,),
        ).fetchall()
        since = None
        for started, value in rows:
            since = (since or started) if value == klass else None
        return since

    def since(self) -> dict[str, str]:
        """For every project: when it entered the class it had in its latest run (the first
        run of its current streak), e.g. the day it turned native. One pass over history."""
        current: dict[str, tuple[str, str]] = {}
        rows = self.db.execute(
            "SELECT runs.started, results.name, results.class FROM results"
            " JOIN runs ON runs.id = results.run_id ORDER BY runs.id"
        )
        for started, name, klass in rows:
            previous = current.get(name)
            if previous is None or previous[0] != klass:
                current[name] = (klass, started)
        return {name: started for name, (_, started) in current.items()}

    def chart_set(self) -> str | None:
        """The set a trend is drawn for by default: that of the latest run from a package
        list (``--top N``) that did not fail; with none, the latest run that did not fail."""
        for where in ("listed = 1 AND failed = 0", "failed = 0"):
            query = f"SELECT set_key FROM runs WHERE {where} ORDER BY id DESC LIMIT 1"
            row = self.db.execute(query).fetchone()
            if row is not None:
                return str(row[0])
        return None

    def trend(self, key: str | None = None) -> Trend:
        """The class counts per run of project set ``key`` (default: ``chart_set``),
        failed runs left out; labelled as the latest run of the set was."""
        key = key if key is not None else self.chart_set()
        total = int(self.db.execute("SELECT COUNT(*) FROM runs").fetchone()[0])
        runs = self.db.execute(
            "SELECT id, started, set_label, pythons FROM runs WHERE set_key = ? AND failed = 0 ORDER BY id",
            (key,),
        ).fetchall()
        out: list[tuple[str, Counter[str]]] = []
        for run_id, started, _, _ in runs:
            counts = Counter(
                str(row[0])
                for row in self.db.execute("SELECT class FROM results WHERE run_id = ?", (run_id,))
            )
            out.append((str(started), counts))
        label, pythons = (str(runs[-1][2]), tuple(_pythons(runs[-1][3]))) if runs else ("", ())
        return Trend(label, pythons, tuple(out), total - len(out))


def _pythons(text: str) -> list[str]:
    try:
        value = json.loads(text)
    except ValueError:
        return []
    return [str(v) for v in value] if isinstance(value, list) else []
