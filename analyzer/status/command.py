"""One ``woaport status`` run as a stage: the projects looked up on the index, the
report and its trend, the run recorded in the history database. The command line only
turns options into a :class:`StatusRequest` and the outcome into output and an exit code.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from analyzer.index.config import default_index_url
from analyzer.index.errors import IndexFetchError
from analyzer.index.httpcache import HttpCache
from analyzer.index.simple import SimpleIndex, normalize
from analyzer.status.classify import StatusClass
from analyzer.status.history import Trend
from analyzer.status.queue import port_queue
from analyzer.status.report import StatusReport
from analyzer.status.run import CheckOptions, check_projects
from analyzer.status.toplist import TopList, builtin_top, load_top_file, with_suggestions


@dataclass(frozen=True)
class ProjectList:
    """The projects a status or survey run covers, where they came from, their download
    counts, and whether a package list gave them (``--top``, ``--top-file``)."""

    names: tuple[str, ...]
    source: str
    downloads: dict[str, int]
    listed: bool

    def label(self, named: tuple[str, ...], top: int | None) -> str:
        """How the history names the run: a package list's runs form the trend."""
        if self.listed and not named:
            return f"top {top} of {self.source}" if top else self.source
        return ""


def project_list(names: tuple[str, ...], top: int | None, top_file: Path | None) -> ProjectList:
    """NAMES, then the first ``top`` of the package list (``top_file`` or the built-in
    one). Raises TopListError for an unreadable list and ValueError when nothing is named."""
    listed: TopList | None = load_top_file(top_file) if top_file else builtin_top() if top else None
    wanted = list(names)
    source = "command line"
    downloads: dict[str, int] = {}
    if listed is not None:
        wanted += list(listed.names[:top] if top else listed.names)
        source = f"{listed.source}" + (f", {listed.date}" if listed.date else "")
        downloads = listed.downloads
    if not wanted:
        raise ValueError("name some projects, or use --top N / --top-file FILE")
    return ProjectList(tuple(wanted), source, downloads, listed is not None)


@dataclass(frozen=True)
class StatusRequest:
    projects: ProjectList
    label: str  # the trend's label when a package list gave the projects, else ""
    pythons: tuple[str, ...]
    check: CheckOptions
    index_url: str | None = None  # None: as pip/uv are configured
    cache_dir: Path | None = None  # the index cache; None: no cache
    max_age: float | None = None
    jobs: int = 8
    retries: int = 3
    timeout: float = 30.0
    history_db: Path | None = None  # None: nothing recorded


@dataclass(frozen=True)
class StatusOutcome:
    report: StatusReport
    trend: Trend
    warnings: tuple[str, ...]  # the history could not be recorded


def run_status(request: StatusRequest, progress: Callable[[int, int], None] | None = None) -> StatusOutcome:
    """Look every project up and record the run. Raises IndexConfigError or
    IndexFetchError when the index cannot be used at all (one project's failure is its
    "error" class instead)."""
    started = datetime.now(UTC).isoformat(timespec="milliseconds")
    url = default_index_url(request.index_url)
    cache = HttpCache(request.cache_dir) if request.cache_dir is not None else None
    with SimpleIndex(
        url,
        retries=request.retries,
        timeout=request.timeout,
        cache=cache,
        max_age=request.max_age,
        connections=request.jobs,
    ) as index:
        results = check_projects(
            index, list(request.projects.names), request.check, workers=request.jobs, progress=progress
        )
        results = with_suggestions(results, builtin_top().names, functools.partial(_index_names, index))
    projects = request.projects
    report = StatusReport(
        started,
        url,
        request.pythons,
        tuple(results),
        port_queue(results, projects.downloads),
        projects.source,
        projects.downloads,
    )
    label = request.label or f"{len(results)} named project(s)"
    trend = Trend(label, request.pythons, ((started, Counter(s.klass for s in results)),))
    warnings: list[str] = []
    if request.history_db is not None:
        import sqlite3  # only a status run records history (its import costs every scan)

        from analyzer.status.history import History, HistoryError

        try:
            history = History(request.history_db)
            try:
                history.record(started, url, request.pythons, results, label, listed=bool(request.label))
                trend = history.trend()
                report = replace(report, since=history.since())
            finally:
                history.close()
        except (HistoryError, OSError, sqlite3.Error) as error:
            warnings.append(f"history not recorded: {error}")
    return StatusOutcome(report, trend, tuple(warnings))


def unique_count(names: tuple[str, ...]) -> int:
    """How many projects ``names`` are once normalised (the progress bar's length)."""
    return len(dict.fromkeys(normalize(n) for n in names))


def _index_names(index: SimpleIndex) -> tuple[str, ...]:
    """Every name the index lists, for "did you mean"; none when it will not say."""
    try:
        return index.project_names()
    except IndexFetchError:
        return ()


def status_exit_failed(outcome: StatusOutcome, strict: bool) -> bool:
    """A project could not be looked up, or (``strict``) a named one is not on the index."""
    results = outcome.report.results
    unknown_names = strict and any(r.klass == StatusClass.MISSING for r in results)
    return unknown_names or any(r.klass == StatusClass.ERROR for r in results)
