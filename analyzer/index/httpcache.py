"""An on-disk cache of index answers, revalidated with ETag / Last-Modified.

A stored page is used without asking while it is fresh (the server's
``Cache-Control: max-age``, or the caller's own ``max_age`` when it wants to accept older
pages); after that the next request carries ``If-None-Match`` / ``If-Modified-Since`` and a
``304 Not Modified`` answer reuses the stored body. Entries live in one SQLite database
(WAL mode): a write is a transaction, so an interrupted or concurrent run never leaves half
an entry behind, and creating one small file per page would cost more than the request on
many file systems. Each body carries its SHA-256: a damaged or altered entry, or an
unreadable database, reads as a miss, never as a wrong page.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import sqlite3
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path

from analyzer.sqlitecache import open_cache

FORMAT = 1
_MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*\"?(\d+)", re.IGNORECASE)


@dataclass(frozen=True)
class CachedPage:
    url: str  # the final URL, after redirects: relative links resolve against it
    content_type: str
    body: bytes
    etag: str | None
    last_modified: str | None
    stored: float  # when the server last vouched for this body (time.time())
    max_age: float | None  # the server's freshness lifetime, None if it gave none

    def fresh(self, now: float, max_age: float | None = None) -> bool:
        lifetime = max(self.max_age or 0.0, max_age or 0.0)
        return now - self.stored < lifetime

    def validators(self) -> dict[str, str]:
        headers = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers


def cache_policy(cache_control: str) -> tuple[bool, float | None]:
    """(may store, max-age) from a Cache-Control header value."""
    lowered = cache_control.lower()
    if "no-store" in lowered:
        return False, None
    if "no-cache" in lowered:
        return True, 0.0
    match = _MAX_AGE.search(lowered)
    return True, float(match.group(1)) if match else None


def _connect(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, timeout=10.0, isolation_level=None, check_same_thread=False)


def _setup(db: sqlite3.Connection) -> None:
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")  # a cache may lose its last writes, never its shape
    db.execute("PRAGMA cache_size=-2048")  # KiB
    db.execute(
        "CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, meta TEXT NOT NULL, body BLOB NOT NULL)"
    )


class HttpCache:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.path = directory / "index-cache.sqlite"
        # One connection shared by the lookup threads, each statement under the lock: a
        # connection per thread cost megabytes each and the statements take microseconds.
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None
        self._broken = False
        self.notice: str | None = None  # set when a damaged cache was set aside

    def _db(self) -> sqlite3.Connection | None:
        """The connection (opened on first use; called with the lock held)."""
        if self._broken or self._connection is not None:
            return self._connection
        # A damaged file is set aside and rebuilt; an unusable one costs speed, not
        # correctness (every lookup a miss).
        opened = open_cache(self.path, _setup, _connect)
        if opened.db is None:
            self._broken = True
        self.notice = opened.notice
        self._connection = opened.db
        return opened.db

    def get(self, key: str) -> CachedPage | None:
        with self._lock:
            db = self._db()
            if db is None:
                return None
            try:
                row = db.execute("SELECT meta, body FROM entries WHERE key = ?", (key,)).fetchone()
            except sqlite3.Error:
                return None
        if row is None:
            return None
        try:
            meta = json.loads(row[0])
        except (TypeError, json.JSONDecodeError):
            return None
        body = bytes(row[1]) if isinstance(row[1], (bytes, memoryview)) else b""
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            return None
        if meta.get("size") != len(body) or meta.get("sha256") != hashlib.sha256(body).hexdigest():
            return None  # damaged or altered: a miss, never a wrong answer
        try:
            return CachedPage(
                url=str(meta["url"]),
                content_type=str(meta["content_type"]),
                body=body,
                etag=meta.get("etag"),
                last_modified=meta.get("last_modified"),
                stored=float(meta["stored"]),
                max_age=None if meta.get("max_age") is None else float(meta["max_age"]),
            )
        except (KeyError, TypeError, ValueError):
            return None

    def put(self, key: str, page: CachedPage) -> None:
        meta = {
            "format": FORMAT,
            "url": page.url,
            "content_type": page.content_type,
            "etag": page.etag,
            "last_modified": page.last_modified,
            "stored": page.stored,
            "max_age": page.max_age,
            "size": len(page.body),
            "sha256": hashlib.sha256(page.body).hexdigest(),
        }
        with self._lock, contextlib.suppress(sqlite3.Error):
            db = self._db()
            if db is not None:
                db.execute(
                    "INSERT OR REPLACE INTO entries (key, meta, body) VALUES (?, ?, ?)",
                    (key, json.dumps(meta), page.body),
                )

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    def refreshed(self, key: str, page: CachedPage, max_age: float | None) -> CachedPage:
        """The server answered 304: the stored body is vouched for again from now."""
        renewed = replace(page, stored=time.time(), max_age=max_age)
        self.put(key, renewed)
        return renewed
