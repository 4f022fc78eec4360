"""Build requirements a win_arm64 cell would have to compile from source (issue 25): a
job that cibuildwheel makes build ``cp310-win_arm64`` needs every build requirement
installable on CPython 3.10 for Windows ARM64. When the newest release a requirement
allows (``numpy>=2``) has no wheel for that interpreter and platform (nor a pure one),
pip builds it from its sdist inside the job, which seldom works on a fresh runner: the
cell is likely to fail, and with fail-fast it cancels the rest.

Pure logic: the index is asked through ``files_of`` (name -> the project's files), so the
caller decides the client, the cache and the limits.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from analyzer.ci.model import WIN_ARM64, CiModel
from analyzer.index.wheels import python_native, python_pure, releases, wheel_parts
from analyzer.wheeltags import windows_arm64_markers

if TYPE_CHECKING:
    from contextlib import AbstractContextManager
    from pathlib import Path

    from analyzer.index.simple import DistFile, SimpleIndex

_CPYTHON_TAG = re.compile(r"^cp3(\d+)(t?)-win_arm64$")


@dataclass(frozen=True)
class DependencyGap:
    """One (job, wheel tag, build requirement) whose requirement has no wheel there."""

    job: str  # "path:job-id"
    tag: str  # "cp310-win_arm64"
    requirement: str  # as the project writes it: "numpy>=2"
    why: str  # "numpy 2.3.5 has no wheel for CPython 3.10 on win_arm64 (only an sdist: pip builds it)"


def _installs(filename: str, python: str) -> bool:
    """A wheel that pip would take for CPython ``python`` on Windows ARM64."""
    parts = wheel_parts(filename)
    if parts is None:
        return False
    tags = set(parts[1])
    return python_native(tags, python) or python_pure(tags, python)


def requirement_gap(requirement: Requirement, files: Iterable[DistFile], python: str) -> str | None:
    """Why ``requirement`` would be built from source on CPython ``python`` for Windows
    ARM64 (None when a wheel installs): the newest release it allows has no wheel there."""
    name = canonicalize_name(requirement.name)
    allowed = [
        r
        for r in releases(files, name)
        if requirement.specifier.contains(r.version, prereleases=True)
        and (r.requires_python is None or _python_fits(r.requires_python, python))
    ]
    if not allowed:
        return f"no release of {name} on the index matches {requirement.specifier or 'any version'}"
    newest = allowed[0]
    if any(_installs(w, python) for w in newest.wheels):
        return None
    what = "only an sdist: pip builds it from source" if newest.sdist is not None else "nothing installs"
    return f"{name} {newest.version} has no wheel for CPython {python} on win_arm64 ({what})"


def _python_fits(requires_python: str, python: str) -> bool:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        return SpecifierSet(requires_python).contains(f"{python.rstrip('t')}.0", prereleases=True)
    except InvalidSpecifier:
        return True


def dependency_gaps(
    model: CiModel,
    requirements: Sequence[Requirement],
    files_of: Callable[[str], Sequence[DistFile]],
) -> tuple[DependencyGap, ...]:
    """Per released job and win_arm64 CPython tag it builds, the build requirements that
    have no wheel for it. ``files_of`` is asked once per requirement."""
    known: dict[str, Sequence[DistFile]] = {}
    gaps: list[DependencyGap] = []
    for job in model.counted():
        if WIN_ARM64 not in job.delivered():
            continue
        cpython = [(m, t) for t in job.delivered_tags() if (m := _CPYTHON_TAG.match(t)) is not None]
        for found, tag in sorted(cpython, key=lambda item: (int(item[0].group(1)), item[0].group(2))):
            python = f"3.{found.group(1)}{found.group(2)}"
            for requirement in requirements:
                if requirement.marker is not None and not requirement.marker.evaluate(
                    windows_arm64_markers(python)
                ):
                    continue
                name = canonicalize_name(requirement.name)
                if name not in known:
                    known[name] = files_of(name)
                why = requirement_gap(requirement, known[name], python)
                if why is not None:
                    gaps.append(DependencyGap(f"{job.path}:{job.id}", tag, str(requirement), why))
    return tuple(gaps)


def tree_dependency_gaps(
    model: CiModel, root: Path, open_index: Callable[[], AbstractContextManager[SimpleIndex]]
) -> tuple[DependencyGap, ...]:
    """:func:`dependency_gaps` for the build requirements the tree at ``root`` declares,
    each looked up on the index ``open_index`` opens (a project it does not have has
    no wheel)."""
    from analyzer.index.simple import ProjectNotFound
    from analyzer.sdk.requires import build_requirements

    requirements = build_requirements(root, "", every=True)
    if not requirements:
        return ()
    with open_index() as index:

        def files_of(name: str) -> tuple[DistFile, ...]:
            try:
                return index.project(name).files
            except ProjectNotFound:
                return ()

        return tuple(dependency_gaps(model, requirements, files_of))
