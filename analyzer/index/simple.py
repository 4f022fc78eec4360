"""A client for the simple repository API: PEP 691 JSON and PEP 503 HTML (content
negotiation as PEP 691 describes), PEP 592 ``yanked``, PEP 658/714 core-metadata flags,
retries with backoff that honour ``Retry-After``, hash-checked downloads with a size cap.
"""

from __future__ import annotations

import contextlib
import email.utils
import hashlib
import html
import json
import re
import tempfile
import threading
import time
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import TypeVar
from urllib.parse import urldefrag, urljoin, urlparse

import httpx
from packaging.utils import InvalidSdistFilename, canonicalize_name, parse_sdist_filename
from packaging.version import InvalidVersion, Version

from analyzer.index.errors import DownloadTooLarge as DownloadTooLarge
from analyzer.index.errors import IndexFetchError as IndexFetchError
from analyzer.index.errors import ProjectNotFound as ProjectNotFound
from analyzer.index.httpcache import CachedPage, HttpCache, cache_policy
from analyzer.safeload import json_loads

ACCEPT = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01"
HTML_ONLY = "application/vnd.pypi.simple.v1+html, text/html;q=0.1"
IMMUTABLE = 10 * 365 * 86400.0  # a file's metadata never changes once published
MAX_METADATA = 4 * 1024 * 1024
DEFAULT_MAX_PAGE = 128 * 1024 * 1024  # the largest real project pages are tens of MB
MAX_ROOT_PAGE = 256 * 1024 * 1024  # a public index's root page lists about a million names
RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_AFTER = 60.0
DEFAULT_MAX_DOWNLOAD = 512 * 1024 * 1024
SDIST_SUFFIXES = (".tar.gz", ".zip")
T = TypeVar("T")
_SAFE_FILENAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+!-]*$")


class NeedsNetwork(Exception):
    """Raised inside :meth:`SimpleIndex.cache_only` where a request would be needed."""


@dataclass(frozen=True)
class DistFile:
    filename: str
    url: str
    hashes: tuple[tuple[str, str], ...]  # (algorithm, hex digest), as the index gave them
    requires_python: str | None = None
    yanked: str | None = None  # None: not yanked; otherwise the reason ("" if none given)
    core_metadata: bool = False

    def hash(self, algorithm: str) -> str | None:
        return next((value for name, value in self.hashes if name == algorithm), None)


@dataclass(frozen=True)
class ProjectPage:
    name: str
    url: str
    files: tuple[DistFile, ...]


def normalize(name: str) -> str:
    """PEP 503 name normalisation."""
    return str(canonicalize_name(name))


# -- page parsing (pure) ----------------------------------------------------------------
def _yanked(value: object) -> str | None:
    if value is None or value is False:
        return None
    return value if isinstance(value, str) else ""


def parse_json_page(body: bytes, page_url: str) -> list[DistFile]:
    try:
        data = json_loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise IndexFetchError(f"malformed JSON from {page_url}: {error}") from None
    if not isinstance(data, dict) or not isinstance(data.get("files"), list):
        raise IndexFetchError(f"JSON from {page_url} is not a PEP 691 project page")
    version = str((data.get("meta") or {}).get("api-version", "1.0"))
    if not version.startswith("1."):
        raise IndexFetchError(f"{page_url} speaks simple API {version}; only 1.x is understood")
    files = []
    for entry in data["files"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("filename"), str):
            continue
        if not isinstance(entry.get("url"), str):
            continue
        raw_hashes = entry.get("hashes")
        hashes: dict[object, object] = raw_hashes if isinstance(raw_hashes, dict) else {}
        metadata = entry.get("core-metadata", entry.get("dist-info-metadata", False))
        requires = entry.get("requires-python")
        files.append(
            DistFile(
                filename=entry["filename"],
                url=_absolute(page_url, entry["url"]),
                hashes=tuple((str(k), str(v)) for k, v in hashes.items()),
                requires_python=requires if isinstance(requires, str) else None,
                yanked=_yanked(entry.get("yanked")),
                core_metadata=bool(metadata),
            )
        )
    return files


def _absolute(base: str, url: str) -> str:
    # Indexes mostly give absolute file URLs; urljoin is the costliest step of a warm run.
    if url.startswith(("https://", "http://")) and "/." not in url:
        return url
    return urljoin(base, url)


class _AnchorParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.anchors: list[tuple[dict[str, str | None], str]] = []
        self.base: str | None = None
        self._open: dict[str, str | None] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "base" and self.base is None:
            self.base = dict(attrs).get("href")
        elif tag == "a":
            self._open, self._text = dict(attrs), []

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._open is not None:
            self.anchors.append((self._open, "".join(self._text).strip()))
            self._open = None


def parse_html_page(body: bytes, page_url: str) -> list[DistFile]:
    parser = _AnchorParser()
    try:
        parser.feed(body.decode("utf-8"))
        parser.close()
    except UnicodeDecodeError as error:
        raise IndexFetchError(f"malformed HTML from {page_url}: {error}") from None
    base = urljoin(page_url, parser.base) if parser.base else page_url
    files = []
    for attrs, text in parser.anchors:
        href = attrs.get("href")
        if not href:
            continue
        url, fragment = urldefrag(urljoin(base, href))
        filename = text or url.rsplit("/", 1)[-1]
        hashes: tuple[tuple[str, str], ...] = ()
        if "=" in fragment:
            algorithm, _, digest = fragment.partition("=")
            hashes = ((algorithm, digest),)
        metadata = attrs.get("data-core-metadata", attrs.get("data-dist-info-metadata"))
        files.append(
            DistFile(
                filename=filename,
                url=url,
                hashes=hashes,
                requires_python=attrs.get("data-requires-python"),
                yanked=None if "data-yanked" not in attrs else (attrs["data-yanked"] or ""),
                core_metadata=metadata is not None and metadata != "false",
            )
        )
    return files


def select_sdist(page: ProjectPage, version: str | None = None) -> DistFile:
    """The sdist of ``version``, or of the latest release that has a non-yanked one
    (final releases before pre-releases). A pinned version may be yanked (PEP 592)."""
    candidates: dict[Version, list[DistFile]] = {}
    for file in page.files:
        if not file.filename.endswith(SDIST_SUFFIXES):
            continue
        try:
            name, found = parse_sdist_filename(file.filename)
        except (InvalidSdistFilename, InvalidVersion):
            continue
        if name != canonicalize_name(page.name):
            continue
        candidates.setdefault(found, []).append(file)
    if version is not None:
        try:
            wanted = Version(version)
        except InvalidVersion:
            raise IndexFetchError(f"{version!r} is not a valid version") from None
        files = candidates.get(wanted)
        if not files:
            known = ", ".join(str(v) for v in sorted(candidates)[-5:]) or "none"
            raise IndexFetchError(f"{page.name} {version} has no sdist on the index (latest: {known})")
    else:
        live = {v: [f for f in fs if f.yanked is None] for v, fs in candidates.items()}
        live = {v: fs for v, fs in live.items() if fs}
        if not live:
            raise IndexFetchError(f"{page.name} has no (non-yanked) sdist on the index")
        finals = [v for v in live if not v.is_prerelease]
        files = live[max(finals or live)]
    # .tar.gz is the standard sdist format (PEP 625); prefer it over a legacy .zip.
    return sorted(files, key=lambda f: (not f.filename.endswith(".tar.gz"), f.filename))[0]


# -- network ---------------------------------------------------------------------------
def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if not value:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


# What woaport can decode and check for completeness itself (httpx's decoders accept a
# compressed stream that simply stops, and a page cut short reads as "no sdist").
ACCEPT_ENCODING = "gzip, deflate"


class _BodyDecoder:
    """Decodes a (possibly compressed) body, at most ``cap`` bytes, and insists on the
    compressed stream's own end marker."""

    def __init__(self, url: str, encoding: str, cap: int) -> None:
        self.url = url
        self.cap = cap
        self.size = 0
        self.chunks: list[bytes] = []
        kind = encoding.strip().lower()
        if kind in ("", "identity"):
            self.inflate = None
        elif kind in ("gzip", "x-gzip"):
            self.inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif kind == "deflate":
            self.inflate = zlib.decompressobj()
        else:
            raise _Retry(f"unsupported Content-Encoding {encoding!r}")

    def _keep(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.cap:
            raise IndexFetchError(f"{self.url}: answer larger than {self.cap // 2**20} MiB")
        self.chunks.append(data)

    def feed(self, chunk: bytes) -> None:
        if self.inflate is None:
            self._keep(chunk)
            return
        try:
            # Bounded output per step: a small compressed page cannot unpack to gigabytes.
            data = self.inflate.decompress(chunk, self.cap + 1 - self.size)
            self._keep(data)
            while self.inflate.unconsumed_tail:
                self._keep(self.inflate.decompress(self.inflate.unconsumed_tail, self.cap + 1 - self.size))
        except zlib.error as error:
            raise _Retry(f"corrupt compressed answer ({error})") from None

    def finish(self) -> bytes:
        if self.inflate is not None and not self.inflate.eof:
            raise _Retry("compressed answer cut short")
        return b"".join(self.chunks)


class _Deadline:
    """An attempt's overall time limit: a read timeout alone lets an index that drips a
    byte a second hold a lookup for as long as it likes."""

    def __init__(self, url: str, seconds: float) -> None:
        self.url = url
        self.seconds = seconds
        self.stop = time.monotonic() + seconds

    def check(self) -> None:
        if time.monotonic() > self.stop:
            raise _Retry(f"no complete answer within {self.seconds:g} s")


class _Retry(Exception):
    """A transient failure: try again after a pause."""

    def __init__(self, reason: str, response: httpx.Response | None = None) -> None:
        super().__init__(reason)
        self.response = response


# Seconds before the first retry (doubled each time): a busy index gets time to recover.
# Module-level so the test suite can shorten the waits of its scripted 5xx answers.
DEFAULT_BACKOFF = 0.5


class SimpleIndex:
    """One index. ``retries`` extra attempts after a timeout, connection error,
    truncated or malformed answer, 429 or 5xx, waiting ``backoff * 2**attempt`` seconds
    or what ``Retry-After`` asks; an index that asks for more than a minute gets an error
    that says so, not a sleeping woaport. Each attempt has an overall ``deadline`` (pages,
    metadata) or ``download_deadline`` (sdists), beyond the per-read ``timeout``."""

    def __init__(
        self,
        index_url: str,
        *,
        client: httpx.Client | None = None,
        retries: int = 3,
        backoff: float | None = None,
        timeout: float = 30.0,
        max_download: int = DEFAULT_MAX_DOWNLOAD,
        sleep: Callable[[float], None] = time.sleep,
        cache: HttpCache | None = None,
        max_age: float | None = None,
        connections: int = 16,
        max_page: int = DEFAULT_MAX_PAGE,
        deadline: float = 120.0,
        download_deadline: float = 900.0,
    ) -> None:
        scheme = urlparse(index_url).scheme
        if scheme not in ("http", "https"):
            raise IndexFetchError(f"index URL {index_url!r}: only http(s) indexes are supported")
        self.index_url = index_url.rstrip("/") + "/"
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        self.client = client or httpx.Client(timeout=timeout, follow_redirects=True, limits=limits)
        self.retries = retries
        self.backoff = DEFAULT_BACKOFF if backoff is None else backoff
        self.max_download = max_download
        self._sleep = sleep
        self.cache = cache
        self.max_age = max_age  # accept cached pages this young without asking
        self.max_page = max_page
        self.deadline = deadline
        self.download_deadline = download_deadline
        self.stats: Counter[str] = Counter()
        self._stats_lock = threading.Lock()
        self._local = threading.local()
        self._cancelled = threading.Event()

    def cancel(self) -> None:
        """Stop: no new attempt starts, in any thread (Ctrl-C). Requests in flight end
        within their timeout."""
        self._cancelled.set()

    @contextlib.contextmanager
    def cache_only(self) -> Iterator[None]:
        """Within this block (in this thread), answer from fresh cache entries only and
        raise :class:`NeedsNetwork` instead of making a request."""
        self._local.cache_only = True
        try:
            yield
        finally:
            self._local.cache_only = False

    def _count(self, what: str) -> None:
        with self._stats_lock:
            self.stats[what] += 1

    def close(self) -> None:
        self.client.close()
        if self.cache is not None:
            self.cache.close()

    def __enter__(self) -> SimpleIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _with_retries(self, url: str, attempt_once: Callable[[], T]) -> T:
        if getattr(self._local, "cache_only", False):
            raise NeedsNetwork(url)
        reason = "no attempt made"
        for attempt in range(self.retries + 1):
            if self._cancelled.is_set():
                raise IndexFetchError(f"{url}: cancelled")
            try:
                return attempt_once()
            except _Retry as retry:
                reason = str(retry)
                if attempt == self.retries:
                    break
                delay = _retry_after(retry.response) if retry.response is not None else None
                if delay is not None and delay > MAX_RETRY_AFTER:
                    raise IndexFetchError(
                        f"{url}: {reason}; the index asks to retry after {delay:.0f} s, longer than "
                        f"the {MAX_RETRY_AFTER:.0f} s woaport waits: try again later"
                    ) from None
                self._sleep(delay if delay is not None else self.backoff * 2**attempt)
        raise IndexFetchError(f"{url}: giving up after {self.retries + 1} attempts ({reason})")

    def project(self, name: str) -> ProjectPage:
        url = f"{self.index_url}{normalize(name)}/"
        try:
            return self._project_page(url, name, ACCEPT)
        except ProjectNotFound:
            # Some mirrors and caching proxies answer 404 to a request that prefers PEP 691
            # JSON, yet serve the same project as PEP 503 HTML: ask once more the plain way
            # before a project is called missing (a wrong "missing" would be a wrong class).
            return self._project_page(url, name, HTML_ONLY)

    def _project_page(self, url: str, name: str, accept: str) -> ProjectPage:
        def parse(page_url: str, kind: str, body: bytes) -> ProjectPage:
            return _parse_page(name, page_url, kind, body)

        return self._cached_page(url, name, accept, self.max_page, parse)

    def project_names(self) -> tuple[str, ...]:
        """Every project name the index lists on its root page (PEP 503/691): a large page
        on a public index (about 40 MB), cached and revalidated like a project page."""
        return self._cached_page(self.index_url, "the project list", ACCEPT, MAX_ROOT_PAGE, _parse_root)

    def _cached_page(
        self, url: str, what: str, accept: str, cap: int, parse: Callable[[str, str, bytes], T]
    ) -> T:
        """GET ``url`` through the page cache: a fresh cached answer is used as is, a stale
        one revalidated; ``parse(page_url, content_type, body)`` makes sense of it (an
        :class:`IndexFetchError` from it is retried: a proxy or mirror mid-update)."""
        key = f"page {accept}\n{url}"
        cached = self.cache.get(key) if self.cache is not None else None
        if cached is not None and cached.fresh(time.time(), self.max_age):
            try:
                page = parse(cached.url, cached.content_type, cached.body)
            except IndexFetchError:
                pass  # cannot happen for a body that parsed before; ask the index again
            else:
                self._count("fresh")
                return page

        def once() -> T:
            headers = {"Accept": accept, **(cached.validators() if cached is not None else {})}
            response, body = self._get_capped(url, headers, cap)
            may_store, max_age = cache_policy(response.headers.get("cache-control", ""))
            if response.status_code == 304 and cached is not None and self.cache is not None:
                self._count("revalidated")
                renewed = self.cache.refreshed(key, cached, max_age)
                return parse(renewed.url, renewed.content_type, renewed.body)
            _check_status(response, url, what, self.index_url)
            kind = response.headers.get("content-type", "")
            page_url = str(response.url)
            try:
                page = parse(page_url, kind, body)
            except IndexFetchError as error:  # a proxy or mirror mid-update: try again
                raise _Retry(str(error)) from None
            if self.cache is not None and may_store:
                stored = CachedPage(
                    url=page_url,
                    content_type=kind,
                    body=body,
                    etag=response.headers.get("etag"),
                    last_modified=response.headers.get("last-modified"),
                    stored=time.time(),
                    max_age=max_age,
                )
                self.cache.put(key, stored)
            return page

        return self._with_retries(url, once)

    def _get_capped(self, url: str, headers: dict[str, str], cap: int) -> tuple[httpx.Response, bytes]:
        """One attempt at GET ``url``, reading at most ``cap`` bytes of (decoded) body: a
        hostile or broken index cannot make woaport hold a gigabyte page in memory.
        Timeouts, resets, truncated bodies and compressed bodies that end early are
        transient (:class:`_Retry`)."""
        deadline = _Deadline(url, self.deadline)
        decoder: _BodyDecoder | None = None
        try:
            with self.client.stream(
                "GET", url, headers={**headers, "Accept-Encoding": ACCEPT_ENCODING}
            ) as response:
                decoder = _BodyDecoder(url, response.headers.get("content-encoding", ""), cap)
                for chunk in response.iter_raw():
                    deadline.check()
                    decoder.feed(chunk)
        except httpx.HTTPError as error:
            raise _Retry(f"{type(error).__name__}: {error}") from None
        self._count("requests")
        return response, decoder.finish()

    def core_metadata(self, file: DistFile) -> bytes | None:
        """The file's core metadata (PEP 658/714 ``.metadata``), or None when the index does
        not serve it. Cached for good: a published file's metadata does not change."""
        if not file.core_metadata:
            return None
        url = file.url + ".metadata"
        key = f"metadata\n{url}"
        known = self.recall(key)
        if known is not None:
            return known

        def once() -> bytes | None:
            response, body = self._get_capped(url, {}, MAX_METADATA)
            if response.status_code == 404:
                return None
            _check_status(response, url, file.filename, self.index_url)
            self.remember(key, url, body)
            return body

        return self._with_retries(url, once)

    def wheel_metadata(self, file: DistFile, limit: int) -> bytes | None:
        """A wheel's ``*.dist-info/METADATA``, read from the downloaded zip (nothing in it is
        run or extracted): the fallback for indexes without PEP 658. Wheels over ``limit``
        bytes are not fetched. Cached for good, like :meth:`core_metadata`, and so is a
        wheel that has none to give (too large, or no readable METADATA): it is not
        downloaded again on the next run."""
        key = f"wheel-metadata\n{file.url}"
        unreadable = f"wheel-metadata-none {limit}\n{file.url}"
        known = self.recall(key)
        if known is not None:
            return known
        if self.recall(unreadable) is not None:
            return None
        body = self._read_wheel_metadata(file, limit)
        if body is None:
            self.remember(unreadable, file.url, b"")
        else:
            self.remember(key, file.url, body)
        return body

    def _read_wheel_metadata(self, file: DistFile, limit: int) -> bytes | None:
        with tempfile.TemporaryDirectory(prefix="woaport-wheel-") as tmp:
            try:
                wheel = self.download(file, Path(tmp), limit=limit)
            except DownloadTooLarge:
                return None
            try:
                with zipfile.ZipFile(wheel) as archive:
                    names = [
                        n
                        for n in archive.namelist()
                        if n.count("/") == 1 and n.endswith(".dist-info/METADATA")
                    ]
                    if len(names) != 1:
                        return None
                    with archive.open(names[0]) as handle:
                        return handle.read(MAX_METADATA)
            except (zipfile.BadZipFile, OSError, EOFError, RuntimeError):
                return None

    def remember(self, key: str, url: str, body: bytes) -> None:
        """Keep ``body`` for good (what is derived from files that never change)."""
        if self.cache is not None:
            self.cache.put(key, CachedPage(url, "text/plain", body, None, None, time.time(), IMMUTABLE))

    def recall(self, key: str) -> bytes | None:
        cached = self.cache.get(key) if self.cache is not None else None
        if cached is None:
            return None
        self._count("fresh")
        return cached.body

    def download(self, file: DistFile, dest_dir: Path, limit: int | None = None) -> Path:
        """Fetch ``file`` into ``dest_dir`` (its hash checked when the index gave one).
        Writes only ``dest_dir/<file name>``, and only once the download is complete."""
        name = file.filename
        if not _SAFE_FILENAME.match(name) or ".." in name:
            raise IndexFetchError(f"refusing file name {name!r} from the index")
        algorithm, expected = next(
            ((a, v) for a, v in file.hashes if a in hashlib.algorithms_guaranteed), (None, None)
        )
        target = dest_dir / name
        cap = self.max_download if limit is None else min(limit, self.max_download)

        def once() -> Path:
            digest = hashlib.new(algorithm) if algorithm else None
            size = 0
            deadline = _Deadline(file.url, self.download_deadline)
            with tempfile.NamedTemporaryFile(dir=dest_dir, prefix=".part-", delete=False) as part:
                part_path = Path(part.name)
                try:
                    with self.client.stream("GET", file.url) as response:
                        _check_status(response, file.url, name, self.index_url)
                        for chunk in response.iter_bytes():
                            deadline.check()
                            size += len(chunk)
                            if size > cap:
                                raise DownloadTooLarge(
                                    f"{name}: larger than the {cap / 2**20:g} MiB download cap"
                                )
                            if digest is not None:
                                digest.update(chunk)
                            part.write(chunk)
                except httpx.HTTPError as error:
                    part_path.unlink(missing_ok=True)
                    raise _Retry(f"{type(error).__name__}: {error}") from None
                except BaseException:
                    part_path.unlink(missing_ok=True)
                    raise
            if digest is not None and digest.hexdigest() != (expected or "").lower():
                part_path.unlink(missing_ok=True)
                raise _Retry(f"{name}: {algorithm} mismatch (truncated or altered download)")
            part_path.replace(target)
            return target

        return self._with_retries(file.url, once)


def _parse_page(name: str, page_url: str, content_type: str, body: bytes) -> ProjectPage:
    kind = content_type.split(";")[0].strip().lower()
    if kind == "application/vnd.pypi.simple.v1+json":
        files = parse_json_page(body, page_url)
    else:
        files = parse_html_page(body, page_url)
    return ProjectPage(name, page_url, tuple(files))


_ROOT_ANCHOR = re.compile(rb"<a\b[^>]*>([^<]{1,300})</a>", re.I)


def _parse_root(page_url: str, content_type: str, body: bytes) -> tuple[str, ...]:
    """The project names of a root page: PEP 691 JSON ``projects`` or PEP 503 anchors
    (read with a pattern: an HTML parser takes seconds over a public index's million)."""
    if "json" in content_type:
        try:
            data = json_loads(body)
            projects = data["projects"]
            return tuple(str(p["name"]) for p in projects if isinstance(p, dict) and "name" in p)
        except (ValueError, KeyError, TypeError) as error:
            raise IndexFetchError(f"{page_url}: malformed project list: {error}") from None
    return tuple(html.unescape(m.decode("utf-8", "replace")).strip() for m in _ROOT_ANCHOR.findall(body))


def _check_status(response: httpx.Response, url: str, name: str, index_url: str) -> None:
    if response.status_code == 200:
        return
    if response.status_code == 404:
        raise ProjectNotFound(f"{name}: not found on {index_url} ({url})")
    if response.status_code in RETRY_STATUS:
        raise _Retry(f"HTTP {response.status_code}", response)
    raise IndexFetchError(f"{url}: HTTP {response.status_code}")
