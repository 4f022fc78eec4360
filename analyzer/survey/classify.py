"""The blocker class of a surveyed project and the porter's worklist order (pure).

The class is read from the scan's verdict per area, hardest first: x86-only code
compiled for ARM64, then build logic,
then libraries the sdist does not build, then CI. A project whose code and build port
cleanly is ``ci-only`` when a job in its own CI does not build ARM64 (a patch can fix
it there) and ``ci-elsewhere`` when the sdist ships no CI (the wheels are built from its
repository, which the survey does not read).

The worklist puts the least work first, "a verified patch of a line or three" at the
top, and within one kind of work the projects that reach the most users (their
downloads, plus those of the listed projects that need them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from analyzer.survey.model import (
    BLOCKER_CLASSES,
    BUILD,
    CI_ELSEWHERE,
    CI_ONLY,
    CODE,
    DONE,
    EXTERNAL_LIBRARY,
    SKIPPED,
    UNKNOWN,
    ProjectSurvey,
)

SMALL_PATCH = 3  # changed lines: "a one-line CI patch" and its neighbours


def blocker_class(
    areas: Mapping[str, str], ci_files: int, external_libraries: Sequence[str]
) -> tuple[str, str]:
    """(class, why) from the verdict's state per area. The proof does not decide it: it
    builds with clang and mingw-w64, the wheels with MSVC, and a pointer cast clang
    rejects or a MASM file it cannot assemble is not the project's blocker there. A
    failed proof is shown beside the class and costs the project its place at the top."""
    if areas.get("code") == "blocked":
        return CODE, "x86-only code is compiled for ARM64"
    if areas.get("build") == "blocked":
        return BUILD, "the build logic picks x64 on ARM64"
    if external_libraries or areas.get("dependencies") == "blocked":
        named = ", ".join(external_libraries[:4]) or "a dependency built for x64 only"
        return EXTERNAL_LIBRARY, f"needs ARM64 builds of {named}"
    if areas.get("ci") == "blocked":
        return CI_ONLY, "a wheel job in the project's CI does not build win_arm64"
    if ci_files == 0:
        return CI_ELSEWHERE, "the sdist ships no CI: the wheels are built from the repository"
    return UNKNOWN, "nothing in the sdist says what keeps the win_arm64 wheel away"


@dataclass(frozen=True)
class WorkItem:
    rank: int
    survey: ProjectSurvey
    reach: float  # downloads (or 1/list position) of the project and of listed ones needing it
    effort: str  # what the porter does, in a few words
    dependents: tuple[str, ...] = ()


def effort_of(survey: ProjectSurvey) -> tuple[int, str]:
    """(bucket, words): 0 is the least work."""
    if survey.outcome != DONE:
        return 9, f"survey {survey.outcome}: {survey.error}" if survey.error else f"survey {survey.outcome}"
    patch = survey.patch
    check = "; then look at the failed proof" if survey.proof.state == "failed" else ""
    if survey.blocker == CI_ONLY and patch.state == "verified":
        if patch.changed <= SMALL_PATCH and not check:
            return 0, f"apply the verified {patch.changed}-line CI patch"
        return 1, f"apply the verified CI patch ({patch.added} line(s) added){check}"
    if survey.blocker == CI_ONLY:
        return 2, "add a Windows ARM64 job to the CI by hand" + (
            f" (the patch was {patch.state}: {patch.reason})" if patch.state != "none" else ""
        )
    bucket = {CI_ELSEWHERE: 3, EXTERNAL_LIBRARY: 4, BUILD: 5, CODE: 6, UNKNOWN: 7}[survey.blocker]
    words = {
        CI_ELSEWHERE: "add a Windows ARM64 wheel build to the repository's CI",
        EXTERNAL_LIBRARY: "get ARM64 builds of the linked libraries",
        BUILD: "fix the build logic",
        CODE: "port the x86-only code",
        UNKNOWN: "look at the project by hand",
    }[survey.blocker]
    return bucket, words + check


def worklist(
    surveys: Sequence[ProjectSurvey],
    reach: Mapping[str, float],
    dependents: Mapping[str, tuple[str, ...]] | None = None,
) -> list[WorkItem]:
    """The surveyed projects that need a port, least effort first, then most reach, then
    by name (a stable order for the same inputs)."""
    dependents = dependents or {}
    keyed = []
    for survey in surveys:
        if survey.outcome == SKIPPED or survey.blocker not in BLOCKER_CLASSES:
            continue
        bucket, words = effort_of(survey)
        keyed.append(
            ((bucket, -reach.get(survey.name, 0.0), survey.patch.changed, survey.name), survey, words)
        )
    keyed.sort(key=lambda item: item[0])
    return [
        WorkItem(rank, survey, reach.get(survey.name, 0.0), words, dependents.get(survey.name, ()))
        for rank, (_, survey, words) in enumerate(keyed, 1)
    ]
