"""Look up many projects on an index, concurrently, and classify each (I/O at the edge)."""

from __future__ import annotations

import functools
import json
import os
import shutil
import tarfile
import tempfile
import threading
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from analyzer.archive import ArchiveError, ArchiveLimits, extract
from analyzer.index.simple import (
    DistFile,
    IndexFetchError,
    NeedsNetwork,
    ProjectNotFound,
    SimpleIndex,
    normalize,
)
from analyzer.index.wheels import Release, release_for, releases, wheel_tags
from analyzer.model import Severity
from analyzer.scan import ScanOptions, scan
from analyzer.status.classify import (
    BLOCKED,
    ScanSummary,
    Status,
    StatusClass,
    classify,
    sdist_has_compiled_code,
)
from analyzer.status.defaults import DEFAULT_PYTHONS
from analyzer.status.deps import metadata_sources, requirements_of
from analyzer.verdict import judge

MAX_SDIST_MEMBERS = 100_000
MAX_SETUP_PY = 1024 * 1024
TOP_BLOCKERS = 3
DEFAULT_LIMITS = ArchiveLimits()


@dataclass(frozen=True)
class CheckOptions:
    pythons: tuple[str, ...] = DEFAULT_PYTHONS
    look_into_sdists: bool = True  # list sdist members to tell pure-sdist from source-only
    dependencies: bool = True  # read core metadata for Requires-Dist (the port queue)
    metadata_wheel_limit: int = 16 * 1024 * 1024  # no PEP 658: read METADATA from wheels this small
    scan_blocked: bool = False  # --scan: run the analyzer on the sdists of blocked projects
    archive_limits: ArchiveLimits = DEFAULT_LIMITS


SDIST_COMPILED_FORMAT = 1  # bump when sdist_has_compiled_code decides differently


def _sdist_compiled(index: SimpleIndex, release: Release) -> bool | None:
    """Whether the release's sdist holds compiled code, from its member list and build
    configuration (the text of its top-level setup.py and pyproject.toml): never
    extracted to disk, never run. A definite answer is kept in the index cache: a
    published sdist does not change."""
    assert release.sdist is not None
    key = f"sdist-compiled/{SDIST_COMPILED_FORMAT} {release.sdist.url}"
    known = index.recall(key)
    if known in (b"0", b"1"):
        return known == b"1"
    compiled = _read_sdist_compiled(index, release)
    if compiled is not None:
        index.remember(key, release.sdist.url, b"1" if compiled else b"0")
    return compiled


def _read_sdist_compiled(index: SimpleIndex, release: Release) -> bool | None:
    assert release.sdist is not None
    with tempfile.TemporaryDirectory(prefix="woaport-status-") as tmp:
        archive = index.download(release.sdist, Path(tmp))
        members: list[str] = []
        config: dict[str, bytes] = {}  # top-level setup.py / pyproject.toml: read, never run
        try:
            if archive.name.endswith(".zip"):
                with zipfile.ZipFile(archive) as zf:
                    members = zf.namelist()[:MAX_SDIST_MEMBERS]
                    for entry in members:
                        found = _config_name(entry)
                        if found is not None:
                            with zf.open(entry) as handle:
                                config[found] = handle.read(MAX_SETUP_PY)
            else:
                with tarfile.open(archive, "r:*") as tar:
                    while len(members) < MAX_SDIST_MEMBERS and (member := tar.next()) is not None:
                        members.append(member.name)
                        wanted = _config_name(member.name)
                        if wanted is not None and member.isreg():
                            stream = tar.extractfile(member)
                            if stream is not None:
                                config[wanted] = stream.read(MAX_SETUP_PY)
        except (tarfile.TarError, zipfile.BadZipFile, OSError, EOFError):
            return None
    return sdist_has_compiled_code(members, config.get("setup.py"), config.get("pyproject.toml"))


def _config_name(member: str) -> str | None:
    top, _, name = member.partition("/")
    return name if top and name in ("setup.py", "pyproject.toml") else None


REQUIRES_FORMAT = 1  # bump when requirements_of decides differently


def _requirements(index: SimpleIndex, release: Release, options: CheckOptions) -> tuple[str, ...] | None:
    """What the release requires on WoA, or None when no metadata could be read. The
    answer is kept in the index cache beside the metadata: both never change for a file."""
    served, wheels = metadata_sources(release.files)
    candidates: list[tuple[DistFile, Callable[[], bytes | None]]] = [
        (file, functools.partial(index.core_metadata, file)) for file in served[:1]
    ]
    candidates += [
        (wheel, functools.partial(index.wheel_metadata, wheel, options.metadata_wheel_limit))
        for wheel in wheels[:1]
    ]
    for file, read in candidates:
        key = f"requires/{REQUIRES_FORMAT} {','.join(options.pythons)} {file.url}"
        known = index.recall(key)
        if known is not None:
            try:
                return tuple(json.loads(known))
            except (ValueError, TypeError):
                pass
        metadata = read()
        if metadata is not None:
            requires = requirements_of(metadata, options.pythons)
            index.remember(key, file.url, json.dumps(requires).encode())
            return requires
    return None


def summarize_scan(
    sdist: str, result_findings: Iterable[tuple[str, Severity, str]], files: int
) -> ScanSummary:
    """Counts by rule and the top blockers (error-severity rules, most findings first)."""
    by_rule: Counter[str] = Counter()
    first: dict[str, str] = {}
    errors: Counter[str] = Counter()
    for rule_id, severity, where in result_findings:
        by_rule[rule_id] += 1
        first.setdefault(rule_id, where)
        if severity is Severity.ERROR:
            errors[rule_id] += 1
    top = tuple((rule, count, first[rule]) for rule, count in errors.most_common(TOP_BLOCKERS))
    return ScanSummary(sdist, files, sum(by_rule.values()), dict(sorted(by_rule.items())), top)


# Scans are CPU-bound and an unpacked sdist can be large: at most one per core at a time,
# however many lookups run.
_SCAN_SLOTS = threading.BoundedSemaphore(max(1, os.cpu_count() or 1))


def _scan_sdist(index: SimpleIndex, release: Release, options: CheckOptions) -> ScanSummary:
    assert release.sdist is not None
    name = release.sdist.filename
    with _SCAN_SLOTS:
        return _scan_sdist_now(index, release, name, options)


def _scan_sdist_now(index: SimpleIndex, release: Release, name: str, options: CheckOptions) -> ScanSummary:
    assert release.sdist is not None
    scratch = Path(tempfile.mkdtemp(prefix="woaport-status-scan-"))
    try:
        archive = index.download(release.sdist, scratch)
        unpack = scratch / "src"
        unpack.mkdir()
        unpacked = extract(archive, unpack, options.archive_limits)
        result = scan(unpacked.root, ScanOptions(jobs=1))
        findings = ((f.rule_id, f.severity, f"{f.location.path}:{f.location.line}") for f in result.findings)
        summary = summarize_scan(name, findings, result.files_scanned)
        verdict = judge(result)
        return replace(
            summary,
            warnings=tuple(w.message for w in unpacked.warnings),
            verdict=verdict.overall,
            areas=tuple((name, area.state, area.reasons) for name, area in verdict.areas),
        )
    except (IndexFetchError, ArchiveError, OSError, ValueError) as error:
        return ScanSummary(name, 0, 0, {}, (), error=str(error))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def check_project(index: SimpleIndex, name: str, options: CheckOptions = CheckOptions()) -> Status:
    pythons = options.pythons
    try:
        page = index.project(name)
    except ProjectNotFound:
        return classify(name, None, pythons)
    except IndexFetchError as error:
        return Status(
            name, None, StatusClass.ERROR, dict.fromkeys(pythons, StatusClass.ERROR), (), note=str(error)
        )
    found = releases(page.files, name)
    release = found[0] if found else None
    per_python = {python: release_for(found, python) for python in pythons}
    compiled: bool | None = None
    has_wheels = bool(wheel_tags(release.wheels)) if release is not None else False
    try:
        if release is not None and release.sdist is not None and options.look_into_sdists and not has_wheels:
            compiled = _sdist_compiled(index, release)
        status = classify(name, release, pythons, compiled, per_python, earlier=found)
        if release is not None and options.dependencies:
            requires = _requirements(index, release, options)
            if requires is not None:
                status = replace(status, requires=requires, requires_known=True)
    except IndexFetchError as error:
        version = release.version if release is not None else None
        return Status(
            name, version, StatusClass.ERROR, dict.fromkeys(pythons, StatusClass.ERROR), (), note=str(error)
        )
    if options.scan_blocked and release is not None and release.sdist is not None and status.klass in BLOCKED:
        status = replace(status, scan=_scan_sdist(index, release, options))
    return status


def check_projects(
    index: SimpleIndex,
    names: Iterable[str],
    options: CheckOptions = CheckOptions(),
    workers: int = 16,
    progress: Callable[[int, int], None] | None = None,
) -> list[Status]:
    """Every project once (names normalised, order kept). Projects the cache can answer
    alone are done first, in this thread (threads only add contention to work that needs
    no network); the rest are looked up ``workers`` at a time. On Ctrl-C the lookups not
    yet started are cancelled and the interrupt goes on up."""
    unique = list(dict.fromkeys(normalize(n) for n in names))
    results: list[Status | None] = [None] * len(unique)
    done = 0
    if index.cache is not None:
        with index.cache_only():
            for position, name in enumerate(unique):
                try:
                    results[position] = check_project(index, name, options)
                except NeedsNetwork:
                    continue
                done += 1
                if progress is not None:
                    progress(done, len(unique))
    pending = [position for position, status in enumerate(results) if status is None]
    pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="woaport-status")
    try:
        futures = [(p, pool.submit(check_project, index, unique[p], options)) for p in pending]
        for position, future in futures:
            results[position] = future.result()
            done += 1
            if progress is not None:
                progress(done, len(unique))
    except BaseException:
        index.cancel()  # lookups in flight give up instead of retrying
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    return [status for status in results if status is not None]
