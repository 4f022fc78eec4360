"""One project of a survey: download its sdist with woaport's index client, unpack it
defensively, scan it, plan and verify the fix, prove the (patched) tree, classify the
blocker. Nothing from the package runs.

The work runs in a child process of its own (``python -m analyzer.survey.task``) with the
survey limits (time, address space): :func:`survey_task` is what a Dask worker (or the
``-j 1`` loop) calls, and a bomb, a hang or a crash becomes that project's "failed"
record, never the survey's end. Requests and results cross as JSON files."""

from __future__ import annotations

import json
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from analyzer import __version__
from analyzer.childproc import run_limited
from analyzer.limits import CHILD_LIMITS, SURVEY_LIMITS, SurveyLimits
from analyzer.survey.model import CI_ELSEWHERE, DONE, ERROR, FAILED, Patch, ProjectSurvey, Proof

if TYPE_CHECKING:
    pass

SURVEY_FORMAT = 2  # bump when a survey of the same sdist would say something else
RESULT_VERSION = f"{__version__}+survey{SURVEY_FORMAT}"
_MAX_PATCH = 1024 * 1024  # characters of a patch kept (a generated workflow is ~2 kB)


@dataclass(frozen=True)
class SurveyRequest:
    name: str
    version: str
    status: str
    sdist_filename: str
    sdist_url: str
    sdist_hashes: tuple[tuple[str, str], ...]
    index_url: str
    index_cache: str = ""  # the index answer cache (a directory), "" for none
    prove_python: str = ""  # "" : no proof
    sdk_dir: str = ""  # a directory holding the SDK for prove_python (found once, by the parent)
    zig_cache: str = ""
    timeout: float = 30.0
    retries: int = 3
    ci_from: str = ""  # DIR: DIR/NAME/ holds the project's CI (a checkout or its CI files)
    repo_ci: bool = True  # with no CI in the sdist, clone the repository its metadata names
    prove_seconds: float = 600.0  # the proof's share of the project's time

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @staticmethod
    def from_dict(data: dict[str, Any]) -> SurveyRequest:
        hashes = tuple((str(a), str(v)) for a, v in data.get("sdist_hashes", ()))
        return SurveyRequest(**{**data, "sdist_hashes": hashes})

    def failed(self, error: str = "", timings: tuple[tuple[str, float], ...] = ()) -> ProjectSurvey:
        """This project's record when its survey could not be done (the error says why)."""
        return ProjectSurvey(
            self.name,
            self.version,
            FAILED,
            self.status,
            self.sdist_filename,
            error=error,
            timings=timings,
            woaport=RESULT_VERSION,
        )


@dataclass
class _Clock:
    stages: list[tuple[str, float]] = field(default_factory=list)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        started = time.monotonic()
        try:
            yield
        finally:
            self.stages.append((name, round(time.monotonic() - started, 2)))


def survey_tree(
    root: Path, request: SurveyRequest, scratch: Path, clock: _Clock | None = None
) -> ProjectSurvey:
    """Scan, fix, verify and prove one unpacked tree (pure of the network)."""
    from analyzer.fix.engine import plan_fixes
    from analyzer.model import CATEGORIES
    from analyzer.scan import ScanOptions, scan
    from analyzer.survey.borrow import borrow_ci
    from analyzer.survey.classify import blocker_class
    from analyzer.verdict import judge

    clock = clock or _Clock()
    options = ScanOptions(jobs=1)
    with clock.stage("ci"):
        ci_source = borrow_ci(root, request.name, request.version, request.ci_from, request.repo_ci, scratch)
    with clock.stage("scan"):
        result = scan(root, options)
        verdict = judge(result)
    with clock.stage("fix"):
        plan = plan_fixes(root, result, frozenset(CATEGORIES))
        patch, plan = _verified_patch(root, plan, result, options)
    with clock.stage("prove"):
        proof = _proof(root, plan, options, request, scratch)
    areas = {name: area.state for name, area in verdict.areas}
    blocker, why = blocker_class(areas, result.ci_files, result.external_libraries)
    if blocker == CI_ELSEWHERE and ci_source.startswith("no CI"):
        why = ci_source
    return ProjectSurvey(
        name=request.name,
        version=request.version,
        outcome=DONE,
        status=request.status,
        sdist=request.sdist_filename,
        verdict=verdict.overall,
        areas=tuple((name, area.state, area.reasons) for name, area in verdict.areas),
        ci_files=result.ci_files,
        ci_source=ci_source,
        blocker=blocker,
        blocker_reason=why,
        patch=patch,
        proof=proof,
        timings=tuple(clock.stages),
        woaport=RESULT_VERSION,
    )


def _verified_patch(root: Path, plan: Any, result: Any, options: Any) -> tuple[Patch, Any]:
    """The patch and what recomputing the patched copy said: ``verified`` when its CI
    builds win_arm64 and (for code or build edits) a re-scan finds the fixed findings
    gone and nothing new; a CI patch that does not recompute is withheld."""
    from analyzer.fix.engine import render_diff, verify, with_verified_ci

    if not plan.edits:
        reason = plan.manual[0].reason if plan.manual else "nothing woaport can fix safely"
        return Patch("none", reason), plan
    rules = {r.id: r for r in result.rules}
    plan, check = with_verified_ci(root, plan, options, rules)
    reason = check.reason if check is not None else ""
    if check is not None and not check.verified and not plan.edits:
        return Patch("withheld", check.reason), plan
    other = [
        e
        for e in plan.edits
        if any(f.rule_id in rules and rules[f.rule_id].category != "ci" for f in e.resolved)
    ]
    state = "verified" if check is None or check.verified else "unverified"
    if other:
        again = verify(root, plan, result, options)
        left = [
            f"{f.rule_id} {e.rel}" for e in other for f in e.resolved if again.remaining(f.rule_id, e.rel) > 0
        ]
        if again.introduced or left:
            state = "unverified"
            what = [f"{rule} {path} introduced" for path, rule in again.introduced] + [
                f"{item} still found" for item in left
            ]
            reason = "; ".join(filter(None, [reason, *what[:3]]))
        elif not reason:
            reason = "re-scan of the patched copy: the fixed findings are gone, nothing new"
    text = render_diff(plan)
    added = sum(1 for line in text.splitlines() if line.startswith("+") and not line.startswith("+++"))
    removed = sum(1 for line in text.splitlines() if line.startswith("-") and not line.startswith("---"))
    files = tuple(e.rel for e in plan.edits)
    return Patch(state, reason, files, added, removed, text[:_MAX_PATCH]), plan


def _proof(root: Path, plan: Any, options: Any, request: SurveyRequest, scratch: Path) -> Proof:
    """Compile and link the tree (with the patch's edits, if any) for win_arm64."""
    if not request.prove_python:
        return Proof("skipped", "no proof asked (--no-prove)")
    from analyzer.fix.engine import patched_copy
    from analyzer.index.simple import SimpleIndex
    from analyzer.paths import default_cache_dir
    from analyzer.prove import failed_modules
    from analyzer.prove.session import ProofSettings, find_toolchain, prove_source
    from analyzer.sdk.provider import SdkError, checked, local_sdk

    python = request.prove_python
    # The SDK where the survey found it; on another machine of a cluster, the worker's own
    # (WOAPORT_PYTHON_SDK, its cache). A task never downloads one.
    cache = default_cache_dir() / "sdk"
    sdk = local_sdk(python, cache, Path(request.sdk_dir)) if request.sdk_dir else None
    sdk = sdk or local_sdk(python, cache)
    if sdk is None:
        return Proof("skipped", f"no CPython {python} SDK for ARM64 on this worker", python=python)
    try:
        sdk = checked(sdk)
        toolchain = find_toolchain()
    except SdkError as error:
        return Proof("skipped", f"no toolchain: {error}", python=python)
    tree = patched_copy(root, plan, options, scratch / "patched", everything=True) if plan.edits else root

    def open_index() -> SimpleIndex:
        return SimpleIndex(request.index_url, timeout=request.timeout, retries=request.retries)

    settings = ProofSettings(
        requires_cache=default_cache_dir() / "requires",
        zig_cache=Path(request.zig_cache) if request.zig_cache else None,
        open_index=open_index,
        seconds=min(CHILD_LIMITS.prove_seconds, request.prove_seconds),
        jobs=1,
    )
    proof = prove_source(tree, [sdk], toolchain, scratch / "out", settings)
    result = proof.result
    if result is None:
        return Proof("skipped", "no build the static model can read", python=python)
    modules = len(result.modules)
    built = sum(1 for m in result.modules if m.built)
    if modules == 0:
        return Proof("skipped", "no compiled module in the build model", python=python)
    if built == modules:
        return Proof("built", f"{built} module(s) compiled and linked for win_arm64", modules, built, python)
    failed = failed_modules(result)
    if failed:
        first = failed[0]
        why = first.errors[0] if first.errors else "did not link"
        return Proof("failed", f"{first.module}: {why[:300]}", modules, built, python)
    reasons = sorted({f"{m.module} ({m.reason or 'not proven'})" for m in result.modules if not m.built})
    return Proof("not proven", "; ".join(reasons[:5]), modules, built, python)


def survey_request(request: SurveyRequest) -> ProjectSurvey:
    """Download, unpack and survey (in the process that runs the task)."""
    from analyzer.archive import ArchiveError, extract
    from analyzer.index.errors import IndexFetchError
    from analyzer.index.httpcache import HttpCache
    from analyzer.index.simple import DistFile, SimpleIndex

    clock = _Clock()
    base = request.failed()
    with tempfile.TemporaryDirectory(prefix="woaport-survey-") as scratch_dir:
        scratch = Path(scratch_dir)
        cache = HttpCache(Path(request.index_cache)) if request.index_cache else None
        try:
            with (
                clock.stage("download"),
                SimpleIndex(
                    request.index_url, cache=cache, timeout=request.timeout, retries=request.retries
                ) as index,
            ):
                sdist = DistFile(request.sdist_filename, request.sdist_url, request.sdist_hashes)
                archive = index.download(sdist, scratch)
        except IndexFetchError as error:
            return replace(base, outcome=ERROR, error=str(error), timings=tuple(clock.stages))
        try:
            with clock.stage("unpack"):
                unpack = scratch / "src"
                unpack.mkdir()
                root = extract(archive, unpack).root
            archive.unlink(missing_ok=True)
            return survey_tree(root, request, scratch / "work", clock)
        except (ArchiveError, OSError, ValueError, RecursionError, MemoryError) as error:
            return replace(base, error=f"{type(error).__name__}: {error}", timings=tuple(clock.stages))


def _peak_memory_mb() -> float:
    """The largest resident size of this process and of its reaped children (kB on Linux)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return round(max(own, children) / 1024, 1)


def survey_task(request: dict[str, Any], limits: SurveyLimits | None = None) -> dict[str, Any]:
    """What a worker runs for one project: the survey in a limited child process. A
    limit, a crash or a missing answer becomes a "failed" record naming why."""
    from analyzer.limits import ChildLimits

    limits = limits or SURVEY_LIMITS
    parsed = SurveyRequest.from_dict(request)
    # The proof ends before the project's limit does: a slow proof is "not proven", the
    # project keeps its verdict and patch.
    request = {**request, "prove_seconds": min(limits.prove_seconds, limits.project_seconds * 0.8)}
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="woaport-survey-task-") as folder:
        asked, answer = Path(folder) / "request.json", Path(folder) / "result.json"
        asked.write_text(json.dumps(request), encoding="utf-8")
        child = ChildLimits(command_seconds=limits.project_seconds, memory_bytes=limits.memory_bytes)
        command = [sys.executable, "-m", "analyzer.survey.task", str(asked), str(answer)]
        outcome = run_limited(command, Path(folder), child)
        try:
            data: dict[str, Any] = json.loads(answer.read_text(encoding="utf-8"))
            return data
        except (OSError, ValueError):
            pass
    tail = outcome.output.strip().splitlines()[-1:] if outcome.output.strip() else []
    why = outcome.stopped or (tail[0] if tail else f"the task ended with code {outcome.code} and no result")
    return parsed.failed(why[:500], (("total", round(time.monotonic() - started, 2)),)).to_dict()


def main(argv: list[str]) -> int:
    asked, answer = Path(argv[0]), Path(argv[1])
    request = SurveyRequest.from_dict(json.loads(asked.read_text(encoding="utf-8")))
    survey = survey_request(request)
    survey = replace(survey, peak_memory_mb=_peak_memory_mb())
    temporary = answer.with_suffix(".tmp")
    temporary.write_text(json.dumps(survey.to_dict()), encoding="utf-8")
    temporary.replace(answer)  # a reader sees the whole answer or none
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
