"""The match kind for CI rules: questions asked of the computed CI model
(:mod:`analyzer.ci`), one ``check`` per rule, answered per job and per matrix cell.

A finding belongs to a job: it is placed on the job's line (or the step that decides)
in the workflow that holds it, and names the job and, where it matters, the cell.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from analyzer.buildmodel.parse import BuildFileView, Hit, Unparseable
from analyzer.kinds.base import register, spec
from analyzer.kinds.build import BuildKind
from analyzer.model import Language
from analyzer.wheeltags import WIN32, WIN_AMD64, WIN_ARM64

if TYPE_CHECKING:
    from analyzer.ci import CiModel, Job

CHECKS = ("no-arm64-wheels", "arm-runner-python", "publish-needs", "cross-test-skip")


def _tags(job: Job, platforms: frozenset[str], shown: int = 3) -> str:
    tags = sorted({t for b in job.builds() for t in b.tags or () if t.rsplit("-", 1)[-1] in platforms})
    more = f", +{len(tags) - shown} more" if len(tags) > shown else ""
    return ", ".join(tags[:shown]) + more


@register
@dataclass(frozen=True)
class CiJobMatch(BuildKind):
    """``check``:
    ``no-arm64-wheels``: a released wheel job (``tool``: cibuildwheel, maturin or build)
    computed to yield Windows x64/x86 wheels and no ``win_arm64`` one, while no other
    released job of the project yields ``win_arm64`` either;
    ``arm-runner-python``: a cell on a Windows ARM64 runner whose setup-python asks for a
    Python that has no ARM64 build (before 3.11, PyPy): the cell fails;
    ``publish-needs``: a publish job that does not wait for a job of its workflow that
    yields ``win_arm64`` wheels;
    ``cross-test-skip``: cibuildwheel cross-compiling ARM64 on an x64 runner with tests
    that would run for the ARM64 identifiers (cibuildwheel cannot run them there)."""

    name: ClassVar[str] = "ci_job"
    languages: ClassVar[frozenset[Language]] = frozenset({Language.WORKFLOW, Language.CI_CONFIG})

    check: str = spec("string", required=True, choices=CHECKS)
    tool: str = spec("string", default="")

    def hits(self, view: BuildFileView) -> Iterator[Hit]:
        model, prefix = view.ci_model
        rel = view.rel.removeprefix(prefix)
        for problem in model.problems:
            if problem.path == rel:
                where = f" (line {problem.line})" if problem.line else ""
                raise Unparseable(f"{problem.message}{where}; its CI rules were skipped")
        jobs = [j for j in model.jobs if j.path == rel]
        if self.check == "no-arm64-wheels":
            yield from self._no_arm64(view, model, jobs)
        elif self.check == "arm-runner-python":
            for job in jobs:
                failing = [
                    c for c in job.cells if c.fails and c.runner.is_windows and c.runner.arch == "arm64"
                ]
                if failing:
                    cell = failing[0]
                    where = f" ({cell.label})" if cell.values else ""
                    yield _job_hit(view, job, f"{job.id}'{where} cannot start: {cell.fails}")
        elif self.check == "publish-needs":
            yield from self._publish_needs(view, jobs)
        elif self.check == "cross-test-skip":
            for job in jobs:
                if any(
                    b.tool == "cibuildwheel" and b.cross and any(t.endswith(WIN_ARM64) for t in b.tested)
                    for b in job.builds()
                ):
                    yield _job_hit(view, job, job.id)

    def _no_arm64(self, view: BuildFileView, model: CiModel, jobs: list[Job]) -> Iterator[Hit]:
        if model.ships_win_arm64():
            return  # a sibling job already builds and releases win_arm64 wheels
        counted = {j.key for j in model.counted()}
        for job in jobs:
            if job.key not in counted or not any(b.tool == self.tool for b in job.builds()):
                continue
            windows = job.platforms() & {WIN_AMD64, WIN32}
            if windows and WIN_ARM64 not in job.platforms():
                built = _tags(job, frozenset(windows))
                where = (
                    f", decided at {job.deciding},"
                    if job.deciding and job.deciding.split(":")[0] != job.path
                    else ""
                )
                yield _job_hit(view, job, f"{job.id}' builds {built}{where} and no win_arm64 wheel")

    @staticmethod
    def _publish_needs(view: BuildFileView, jobs: list[Job]) -> Iterator[Hit]:
        by_id = {j.id: j for j in jobs}
        arm_builders = [j for j in jobs if WIN_ARM64 in j.platforms() and not j.publishes]
        for job in jobs:
            if not job.publishes or not arm_builders:
                continue
            waited = _waited_for(by_id, job)
            missing = [b.id for b in arm_builders if b.id != job.id and b.id not in waited]
            if missing:
                yield _job_hit(view, job, f"{job.id}' does not wait for '{missing[0]}")


def _waited_for(by_id: dict[str, Job], job: Job) -> set[str]:
    seen: set[str] = set()
    stack = list(job.needs)
    while stack:
        current = stack.pop()
        if current not in seen:
            seen.add(current)
            stack.extend(by_id[current].needs if current in by_id else ())
    return seen


def _job_hit(view: BuildFileView, job: Job, match: str) -> Hit:
    lines = view.lines
    text = lines[job.line - 1] if 0 < job.line <= len(lines) else ""
    column = len(text) - len(text.lstrip()) + 1
    return Hit(job.line, column, column + len(text.strip().split(":")[0]), match)
