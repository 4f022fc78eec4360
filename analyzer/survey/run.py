"""The survey: look projects up, pick those that need a port, run one task per project
on Dask (a local cluster of processes, or an existing scheduler), store each result as it
arrives, and rank the worklist. ``-j 1`` without a scheduler runs the same tasks one by
one in this process's loop (each still in its own limited child process)."""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analyzer.index.simple import SimpleIndex
from analyzer.limits import SURVEY_LIMITS, SurveyLimits
from analyzer.status.classify import Status, StatusClass
from analyzer.status.defaults import DEFAULT_PYTHONS
from analyzer.status.queue import is_blocked, port_queue
from analyzer.status.run import CheckOptions, check_projects
from analyzer.survey.classify import WorkItem, worklist
from analyzer.survey.model import ProjectSurvey
from analyzer.survey.store import Change, SurveyStore, changes, run_item
from analyzer.survey.task import RESULT_VERSION, SurveyRequest, survey_task

Task = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class SurveyOptions:
    pythons: tuple[str, ...] = DEFAULT_PYTHONS
    prove_python: str = ""  # "": no proof
    sdk_dir: str = ""  # where the SDK for prove_python is (found once, before the tasks)
    zig_cache: str = ""
    index_cache: str = ""
    timeout: float = 30.0
    retries: int = 3  # per request to the index
    jobs: int = 1  # local worker processes
    scheduler: str = ""  # an existing Dask scheduler (tcp://HOST:PORT) instead of a local cluster
    refresh: bool = False  # survey again what the store already has for this version
    also: frozenset[str] = frozenset()  # status classes surveyed beside the blocked ones (no-windows)
    ci_from: str = ""  # DIR/NAME/ lends its CI to an sdist that ships none
    repo_ci: bool = True  # else clone the repository the metadata names, for its CI
    limits: SurveyLimits = SURVEY_LIMITS


@dataclass(frozen=True)
class NotSurveyed:
    name: str
    status: str
    reason: str


@dataclass(frozen=True)
class SurveyReport:
    started: str
    index_url: str
    label: str
    surveys: tuple[ProjectSurvey, ...]
    work: tuple[WorkItem, ...]
    not_surveyed: tuple[NotSurveyed, ...]
    reused: int = 0  # results taken from the store (current for this woaport and version)
    changes: tuple[Change, ...] = ()
    since: str = ""  # when the previous run of this set started ("" : none)
    downloads: Mapping[str, int] = field(default_factory=dict)


def why_not_surveyed(status: Status, also: frozenset[str]) -> str:
    """ "" when the project is surveyed; otherwise why not, in a few words."""
    if status.klass == StatusClass.ERROR:
        return f"the index could not be read: {status.note}"
    if not (is_blocked(status) or status.klass in also):
        if status.klass == StatusClass.NO_WINDOWS:
            return "no Windows wheels at all: not a Windows-on-Arm port (--also no-windows surveys it)"
        return f"{status.klass}: nothing to port"
    if status.sdist is None or status.version is None:
        return "no sdist in the latest release: nothing to read"
    return ""


def request_for(status: Status, index_url: str, options: SurveyOptions) -> SurveyRequest:
    assert status.sdist is not None and status.version is not None
    return SurveyRequest(
        name=status.name,
        version=status.version,
        status=str(status.klass),
        sdist_filename=status.sdist.filename,
        sdist_url=status.sdist.url,
        sdist_hashes=status.sdist.hashes,
        index_url=index_url,
        index_cache=options.index_cache,
        prove_python=options.prove_python,
        sdk_dir=options.sdk_dir,
        zig_cache=options.zig_cache,
        timeout=options.timeout,
        retries=options.retries,
        ci_from=options.ci_from,
        repo_ci=options.repo_ci,
    )


class SchedulerError(RuntimeError):
    """The Dask scheduler given with --scheduler cannot be reached."""


# How long to wait for --scheduler to answer (Dask's duration string): a cluster that is
# still starting gets this long; a wrong address fails after it.
_CONNECT_TIMEOUT = "30s"


def dispatch(
    requests: Sequence[SurveyRequest],
    options: SurveyOptions,
    on_result: Callable[[ProjectSurvey], None],
    task: Task | None = None,
) -> None:
    """Run one task per request and hand each result to ``on_result`` as it arrives."""
    task = task or functools.partial(survey_task, limits=options.limits)
    if not requests:
        return
    if options.jobs == 1 and not options.scheduler:
        for request in requests:
            on_result(ProjectSurvey.from_dict(task(request.to_dict())))
        return
    from distributed import Client, LocalCluster, as_completed

    with ExitStack() as stack:
        if options.scheduler:
            try:
                client = stack.enter_context(Client(options.scheduler, timeout=_CONNECT_TIMEOUT))  # type: ignore[no-untyped-call]
            except (OSError, TimeoutError) as error:
                raise SchedulerError(f"the Dask scheduler {options.scheduler}: {error}") from None
        else:
            # One thread per worker process: each task is a child process with its own
            # limits; the worker only waits for it. Memory is limited per task, not here.
            cluster = stack.enter_context(
                LocalCluster(  # type: ignore[no-untyped-call]
                    n_workers=options.jobs,
                    threads_per_worker=1,
                    processes=True,
                    memory_limit=0,
                    # Nothing listens beyond this machine; the HTTP port is any free one.
                    host="127.0.0.1",
                    dashboard_address="127.0.0.1:0",
                )
            )
            client = stack.enter_context(Client(cluster))  # type: ignore[no-untyped-call]
        run = uuid.uuid4().hex[:8]
        pending = {
            client.submit(task, r.to_dict(), key=f"woaport-survey-{run}-{i}", pure=False): r
            for i, r in enumerate(requests)
        }
        for future in as_completed(list(pending)):  # type: ignore[no-untyped-call]
            request = pending[future]
            try:
                survey = ProjectSurvey.from_dict(future.result())
            except Exception as error:
                # The engine lost the task (its worker died): this project failed, the survey goes on.
                survey = request.failed(
                    f"the worker running it was lost: {type(error).__name__}: {str(error)[:300]}"
                )
            on_result(survey)


def run_survey(
    index: SimpleIndex,
    names: Sequence[str],
    options: SurveyOptions,
    store: SurveyStore | None,
    started: str,
    label: str,
    downloads: Mapping[str, int] | None = None,
    log: Callable[[str], None] = lambda _: None,
    task: Task | None = None,
    progress: Callable[[str], None] | None = None,
) -> SurveyReport:
    """Survey ``names``: ``log`` gets the run's notes, ``progress`` (default: ``log``) a
    line per finished project."""
    downloads = dict(downloads or {})
    progress = progress or log
    statuses = check_projects(index, names, CheckOptions(pythons=options.pythons))
    queue = port_queue(statuses, downloads)
    reach = {name: entry.score for name, entry in queue.items()}
    dependents = {name: entry.dependents for name, entry in queue.items()}
    not_surveyed: list[NotSurveyed] = []
    chosen: list[Status] = []
    for status in statuses:
        why = why_not_surveyed(status, options.also)
        if why:
            not_surveyed.append(NotSurveyed(status.name, str(status.klass), why))
        else:
            chosen.append(status)
    proof = options.prove_python
    done: dict[str, ProjectSurvey] = {}
    requests: list[SurveyRequest] = []
    for status in chosen:
        assert status.version is not None
        kept = (
            None
            if options.refresh or store is None
            else store.current(status.name, status.version, RESULT_VERSION, proof)
        )
        if kept is not None:
            done[status.name] = kept
        else:
            requests.append(request_for(status, index.index_url, options))
    reused = len(done)
    if reused:
        log(f"{reused} project(s) already surveyed by this woaport for their current version: kept")
    log(f"surveying {len(requests)} project(s) with {_engine(options)}")
    total = len(requests)

    def arrived(survey: ProjectSurvey) -> None:
        done[survey.name] = survey
        if store is not None:
            store.save(survey, proof)
        finished = len(done) - reused
        progress(
            f"[{finished}/{total}] {survey.name} {survey.version}: {_said(survey)} ({survey.seconds():.1f} s)"
        )

    dispatch(requests, options, arrived, task)
    surveys = tuple(done[s.name] for s in chosen if s.name in done)
    previous = store.previous(label) if store is not None else None
    items = [run_item(s.name, s.version or "", str(s.klass), done.get(s.name)) for s in statuses]
    found = changes(previous[1], items) if previous is not None else []
    if store is not None:
        store.record_run(started, label, RESULT_VERSION, items)
    return SurveyReport(
        started=started,
        index_url=index.index_url,
        label=label,
        surveys=surveys,
        work=tuple(worklist(surveys, reach, dependents)),
        not_surveyed=tuple(not_surveyed),
        reused=reused,
        changes=tuple(found),
        since=previous[0] if previous is not None else "",
        downloads=downloads,
    )


def _engine(options: SurveyOptions) -> str:
    if options.scheduler:
        return f"the Dask scheduler at {options.scheduler}"
    if options.jobs == 1:
        return "one task at a time"
    return f"a local Dask cluster of {options.jobs} worker process(es)"


def _said(survey: ProjectSurvey) -> str:
    if survey.outcome != "done":
        return f"{survey.outcome}: {survey.error[:160]}"
    return f"{survey.blocker}, patch {survey.patch.state}, proof {survey.proof.state}"


_UNSAFE = re.compile(r"[^A-Za-z0-9._+-]")


def patch_name(survey: ProjectSurvey) -> str:
    """A file name from a project's name and version (both from the index: made safe)."""
    return f"{_UNSAFE.sub('_', survey.name)[:100]}-{_UNSAFE.sub('_', survey.version)[:60]}.patch".lstrip(".")


def write_patches(directory: Path, surveys: Iterable[ProjectSurvey]) -> dict[str, str]:
    """Each survey's patch as ``DIR/NAME-VERSION.patch``; returns name -> file name."""
    written: dict[str, str] = {}
    for survey in surveys:
        if survey.patch.text:
            directory.mkdir(parents=True, exist_ok=True)
            name = patch_name(survey)
            (directory / name).write_text(survey.patch.text, encoding="utf-8")
            written[survey.name] = name
    return written
