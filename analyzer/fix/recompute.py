"""A CI patch is ``verified`` only by recomputation: the patched copy's CI model
(:mod:`analyzer.ci`, the same code the rules use) must have a released job that yields
``win_arm64`` wheels, and every wheel the released jobs yielded before must still be
yielded. Anything else is reported with the check that failed, and the patch is not
offered as ready.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from analyzer.ci import WIN_ARM64, CiModel, read_ci


@dataclass(frozen=True)
class CiVerification:
    verified: bool
    reason: str  # the check that failed, or what the patch now builds
    arm64_jobs: tuple[str, ...] = ()  # "workflow#job" yielding win_arm64 after the patch
    gained: tuple[str, ...] = ()  # win_arm64 tags the released jobs now yield
    lost: tuple[str, ...] = ()  # tags yielded before and no longer


def released_tags(model: CiModel) -> frozenset[str]:
    return frozenset(t for job in model.counted() for t in job.delivered_tags())


def compare(before: CiModel, after: CiModel) -> CiVerification:
    """The verdict on a patch from the models before and after it (pure)."""
    if after.problems and not before.problems:
        return CiVerification(False, f"the patched workflow does not load: {after.problems[0].message}")
    failing_before = {(j.key, c.label) for j in before.jobs for c in j.cells if c.fails}
    added = [
        (j, c) for j in after.jobs for c in j.cells if c.fails and (j.key, c.label) not in failing_before
    ]
    if added:
        job, cell = added[0]
        return CiVerification(
            False, f"the patch adds a cell that fails: job '{job.id}' ({cell.label}): {cell.fails}"
        )
    old, new = released_tags(before), released_tags(after)
    lost = tuple(sorted(old - new))
    arm_jobs = tuple(j.key for j in after.counted() if WIN_ARM64 in j.delivered())
    gained = tuple(sorted(t for t in new - old if t.endswith(WIN_ARM64)))
    if not arm_jobs:
        failing = [(j, c) for j in after.counted() for c in j.cells if c.fails and c.runner.is_windows]
        if failing:
            job, cell = failing[0]
            why = f"job '{job.id}' fails in cell {cell.label}: {cell.fails}"
        else:
            why = "no released job yields a win_arm64 wheel after the patch"
        return CiVerification(False, why, lost=lost)
    if lost:
        shown = ", ".join(lost[:4]) + (f", +{len(lost) - 4} more" if len(lost) > 4 else "")
        return CiVerification(
            False, f"the patch loses wheels the CI built before: {shown}", arm_jobs, gained, lost
        )
    shown = ", ".join(gained[:4]) + (f", +{len(gained) - 4} more" if len(gained) > 4 else "")
    return CiVerification(
        True, f"recomputed: now builds {shown or 'win_arm64 wheels'}; nothing lost", arm_jobs, gained
    )


def verify_ci(base: Path, patched: Path) -> CiVerification:
    """Compare the CI of the tree at ``base`` with that of its patched copy."""
    return compare(read_ci(base), read_ci(patched))
