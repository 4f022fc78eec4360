"""An on-disk cache of index answers, revalidated with ETag / Last-Modified.

A stored page is used without asking while it is fresh (the server's
``Cache-Control: max-age``, or the caller's own ``max_age`` when it wants to accept older
pages); after that the next request carries ``If-None-Match`` / ``If-Modified-Since`` and a
``304 Not Modified`` answer reuses the stored body. Each entry is a single file written
atomically (a header line of JSON, then the body), so an interrupted run or a concurrent
one never leaves half an entry behind: a torn or foreign file simply reads as a miss.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

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


class HttpCache:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _path(self, key: str) -> Path:
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
        return self.directory / digest[:2] / f"{digest}.page"

    def get(self, key: str) -> CachedPage | None:
        try:
            raw = self._path(key).read_bytes()
        except OSError:
            return None
        header, sep, body = raw.partition(b"\n")
        try:
            meta = json.loads(header) if sep else None
        except (UnicodeDecodeError, json.JSONDecodeError):
            return None
        if not isinstance(meta, dict) or meta.get("format") != FORMAT or meta.get("key") != key:
            return None
        if meta.get("size") != len(body) or meta.get("sha256") != hashlib.sha256(body).hexdigest():
            return None  # torn or tampered: a miss, never a wrong answer
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
        path = self._path(key)
        header = {
            "format": FORMAT,
            "key": key,
            "url": page.url,
            "content_type": page.content_type,
            "etag": page.etag,
            "last_modified": page.last_modified,
            "stored": page.stored,
            "max_age": page.max_age,
            "size": len(page.body),
            "sha256": hashlib.sha256(page.body).hexdigest(),
        }
        temporary: str | None = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".tmp-", delete=False) as handle:
                temporary = handle.name
                handle.write(json.dumps(header).encode("utf-8") + b"\n" + page.body)
            os.replace(temporary, path)
        except OSError:
            # A read-only or full cache directory costs speed, not correctness.
            if temporary is not None:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)

    def refreshed(self, key: str, page: CachedPage, max_age: float | None) -> CachedPage:
        """The server answered 304: the stored body is vouched for again from now."""
        renewed = replace(page, stored=time.time(), max_age=max_age)
        self.put(key, renewed)
        return renewed
