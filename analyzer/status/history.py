"""Run history in SQLite (versioned schema): per run and project, the class and version,
so "turned native on DATE" and trend lines can be answered. A run is written in one
transaction: an interrupted run leaves the database as it was."""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from analyzer.status.classify import Status

SCHEMA = 1


def default_db_path() -> Path:
    if sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"]) / "woaport" / "status.sqlite"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "woaport" / "status.sqlite"


class HistoryError(RuntimeError):
    pass


class History:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path)
        with self.db:
            self.db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            row = self.db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            if row is None:
                self.db.execute("INSERT INTO meta VALUES ('schema', ?)", (str(SCHEMA),))
            elif row[0] != str(SCHEMA):
                raise HistoryError(f"{path}: history schema {row[0]}, this woaport reads {SCHEMA}")
            self.db.execute(
                "CREATE TABLE IF NOT EXISTS runs (id INTEGER PRIMARY KEY, started TEXT NOT NULL,"
                " index_url TEXT NOT NULL, pythons TEXT NOT NULL)"
            )
            self.db.execute(
                "CREATE TABLE IF NOT EXISTS results (run_id INTEGER NOT NULL REFERENCES runs(id),"
                " name TEXT NOT NULL, version TEXT, class TEXT NOT NULL, pythons TEXT NOT NULL,"
                " PRIMARY KEY (run_id, name))"
            )
            self.db.execute("CREATE INDEX IF NOT EXISTS results_by_name ON results (name, run_id)")

    def close(self) -> None:
        self.db.close()

    def record(self, started: str, index_url: str, pythons: Iterable[str], statuses: Iterable[Status]) -> int:
        with self.db:  # one transaction: all of the run or none of it
            cursor = self.db.execute(
                "INSERT INTO runs (started, index_url, pythons) VALUES (?, ?, ?)",
                (started, index_url, json.dumps(list(pythons))),
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

    def trend(self) -> list[tuple[str, Counter[str]]]:
        out: list[tuple[str, Counter[str]]] = []
        for run_id, started in self.db.execute("SELECT id, started FROM runs ORDER BY id").fetchall():
            counts = Counter(
                str(row[0])
                for row in self.db.execute("SELECT class FROM results WHERE run_id = ?", (run_id,))
            )
            out.append((str(started), counts))
        return out
