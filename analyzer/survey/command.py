"""One ``woaport survey`` run as a stage: the proof toolchain found once, the projects
surveyed (resuming from the history database), the patches and the worklist written.
The command line only turns options into a :class:`SurveyRequest` and the outcome into
output and an exit code."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from analyzer.status.classify import StatusClass
from analyzer.status.command import ProjectList
from analyzer.survey.run import SurveyOptions, SurveyReport


class SurveyRunError(RuntimeError):
    """The survey could not run or its results could not be written (the index, the
    scheduler, the history database, the output folder)."""


@dataclass(frozen=True)
class SurveyRequest:
    projects: ProjectList
    label: str
    options: SurveyOptions  # without the proof's SDK: found here, once
    prove_python: str  # "": no proofs
    cache_root: Path
    out_dir: Path
    index_url: str | None = None  # None: as pip/uv are configured
    history_db: Path | None = None  # None: neither reuse nor record results


@dataclass(frozen=True)
class SurveyOutcome:
    report: SurveyReport
    patches: dict[str, str]  # project -> patch file name
    worklist: Path

    def lookup_failed(self) -> bool:
        return any(n.status == StatusClass.ERROR for n in self.report.not_surveyed)

    def failed(self) -> bool:
        return any(s.outcome != "done" for s in self.report.surveys)


def survey_projects(
    request: SurveyRequest,
    log: Callable[[str], None],
    warn: Callable[[str], None],
    progress: Callable[[str], None] | None = None,
) -> SurveyOutcome:
    """Survey the request's projects: ``log`` gets the run's notes, ``warn`` what the
    user must see even when quiet (no proofs this run). Raises SurveyRunError;
    KeyboardInterrupt keeps what finished (the store has it) and propagates."""
    from analyzer.index.config import IndexConfigError, default_index_url
    from analyzer.index.errors import IndexFetchError
    from analyzer.index.httpcache import HttpCache
    from analyzer.index.simple import SimpleIndex
    from analyzer.sdk.provider import SdkError, checked, find_sdk, zig_command
    from analyzer.survey.html import write_worklist
    from analyzer.survey.run import SchedulerError, run_survey, write_patches
    from analyzer.survey.store import SurveyStore, SurveyStoreError

    options = replace(
        request.options,
        zig_cache=str(request.cache_root / "zig"),
        index_cache=str(request.cache_root / "index"),
    )
    if request.prove_python:
        try:
            zig_command()
            sdk = checked(find_sdk(request.prove_python, request.cache_root / "sdk", log=log))
            options = replace(options, prove_python=request.prove_python, sdk_dir=str(sdk.root))
        except SdkError as error:
            warn(f"no proofs this run ({error})")
    started = datetime.now(UTC).isoformat(timespec="milliseconds")
    store = None
    if request.history_db is not None:
        try:
            store = SurveyStore(request.history_db)
        except (SurveyStoreError, OSError) as error:
            raise SurveyRunError(f"history database: {error}") from None
    try:
        url = default_index_url(request.index_url)
        with SimpleIndex(
            url, timeout=options.timeout, cache=HttpCache(request.cache_root / "index")
        ) as index:
            report = run_survey(
                index,
                list(request.projects.names),
                options,
                store,
                started,
                request.label,
                request.projects.downloads,
                log,
                progress=progress,
            )
    except (IndexConfigError, IndexFetchError, SchedulerError) as error:
        raise SurveyRunError(str(error)) from None
    finally:
        if store is not None:
            store.close()
    try:
        patches = write_patches(request.out_dir / "patches", report.surveys)
        page = write_worklist(request.out_dir, report, patches)
    except OSError as error:
        raise SurveyRunError(f"cannot write to {request.out_dir}: {error}") from None
    return SurveyOutcome(report, patches, page)
