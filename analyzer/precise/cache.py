"""On-disk cache of precise-mode results, so that a re-scan of a patch branch (the
pre-commit use) only re-parses the translation units whose bytes, or whose headers'
bytes, changed.

An entry's key is the unit's content hash plus a fingerprint of everything else that
decides its result (woaport's version, the rules, the clang arguments, libclang's and the
builtin headers' versions); the entry lists every header the unit read with that header's
content hash, and is used only while all of them still match. Entries are JSON in SQLite:
a cache directory shared with other users can lie, but it cannot make woaport run code.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from analyzer.sqlitecache import open_cache

SCHEMA = 1


def file_digest(path: Path) -> str | None:
    try:
        with open(path, "rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return None


def fingerprint(parts: Iterable[object]) -> str:
    return hashlib.sha256(json.dumps(list(parts), sort_keys=True, default=str).encode()).hexdigest()


def _setup(db: sqlite3.Connection) -> None:
    db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
    row = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
    if row is None or row[0] != str(SCHEMA):
        db.execute("DROP TABLE IF EXISTS units")
        db.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)", (str(SCHEMA),))
    db.execute("CREATE TABLE IF NOT EXISTS units (key TEXT PRIMARY KEY, deps TEXT, result TEXT)")
    db.commit()


class ResultCache:
    """Precise-mode results by unit. A damaged file is set aside and rebuilt (``notice``
    says so); one that cannot be used at all makes every lookup a miss."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / "precise.sqlite"
        opened = open_cache(self.path, _setup)
        self.db = opened.db
        self.notice = opened.notice
        self.hits = 0
        self.misses = 0
        self._digests: dict[str, str | None] = {}

    def _digest(self, path: str) -> str | None:
        """Content hash of a header, once per scan however many units include it."""
        if path not in self._digests:
            self._digests[path] = file_digest(Path(path))
        return self._digests[path]

    def close(self) -> None:
        if self.db is not None:
            self.db.close()

    def get(self, key: str) -> dict[str, Any] | None:
        row = None
        if self.db is not None:
            try:
                row = self.db.execute("SELECT deps, result FROM units WHERE key = ?", (key,)).fetchone()
            except sqlite3.Error:
                row = None  # damaged after opening: a miss
        if row is not None:
            try:
                deps = json.loads(row[0])
                if all(self._digest(path) == digest for path, digest in deps.items()):
                    self.hits += 1
                    result = json.loads(row[1])
                    assert isinstance(result, dict)
                    return result
            except (ValueError, AssertionError, AttributeError):
                pass  # a damaged entry is a miss
        self.misses += 1
        return None

    def put_many(self, entries: Iterable[tuple[str, Iterable[str], dict[str, Any]]]) -> None:
        """Store (key, files the result depends on, result) entries in one transaction."""
        rows = []
        digests: dict[str, str | None] = {}
        for key, depends_on, result in entries:
            deps = {path: digests.setdefault(path, file_digest(Path(path))) for path in depends_on}
            if any(digest is None for digest in deps.values()):
                continue  # a header vanished meanwhile: do not cache what cannot be validated
            rows.append((key, json.dumps(deps), json.dumps(result)))
        if self.db is None:
            return
        try:
            with self.db:
                self.db.executemany("INSERT OR REPLACE INTO units VALUES (?, ?, ?)", rows)
        except sqlite3.Error:
            pass  # a cache that cannot be written costs the next scan time, nothing else
