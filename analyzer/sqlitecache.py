"""Opening an on-disk SQLite cache that may be damaged (truncated, overwritten, not a
database at all). A cache costs speed, never correctness: a damaged file is set aside
(renamed ``*.damaged``, kept for a bug report) and a fresh one is built; a cache that
cannot be opened even then is not used."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class OpenedCache:
    db: sqlite3.Connection | None  # None: run without the cache
    notice: str | None = None  # what happened, for a warning


Connect = Callable[[Path], sqlite3.Connection]


def _open(path: Path, setup: Callable[[sqlite3.Connection], None], connect: Connect) -> sqlite3.Connection:
    db = connect(path)
    try:
        row = db.execute("PRAGMA quick_check").fetchone()
        if row is None or row[0] != "ok":
            raise sqlite3.DatabaseError(f"integrity check: {row[0] if row else 'no answer'}")
        setup(db)
    except BaseException:
        db.close()
        raise
    return db


def open_cache(
    path: Path, setup: Callable[[sqlite3.Connection], None], connect: Connect = sqlite3.connect
) -> OpenedCache:
    """Connect to the cache at ``path`` with ``connect`` and run ``setup`` (CREATE TABLE...)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return OpenedCache(_open(path, setup, connect))
    except sqlite3.DatabaseError as error:
        aside = path.with_name(path.name + ".damaged")
        try:
            path.replace(aside)
            for suffix in ("-wal", "-shm", "-journal"):
                path.with_name(path.name + suffix).unlink(missing_ok=True)
            db = _open(path, setup, connect)
        except (OSError, sqlite3.Error) as again:
            return OpenedCache(
                None, f"cache {path} is damaged ({error}) and cannot be rebuilt ({again}); not used"
            )
        return OpenedCache(db, f"cache {path} was damaged ({error}); set aside as {aside.name} and rebuilt")
    except (OSError, sqlite3.Error) as error:
        return OpenedCache(None, f"cache {path} cannot be opened ({error}); not used")
