"""Wheel and release vocabulary of a package index (pure): a wheel file name's version
and tags, which tags install on a CPython (native win_arm64, pure), and a project's files
grouped into releases, newest first. Used by the status tracker, the survey, prove's
build-requirement headers and the CI dependency-wheel check."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.tags import Tag
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from analyzer.index.simple import DistFile, normalize


@dataclass(frozen=True)
class Release:
    version: str
    wheels: tuple[str, ...]
    sdist: DistFile | None
    files: tuple[DistFile, ...] = ()  # every non-yanked file of this version
    requires_python: str | None = None


def releases(files: Iterable[DistFile], project: str = "") -> list[Release]:
    """Every version with a non-yanked file, newest first; final releases before
    pre-releases (an installer takes a pre-release only when there is nothing else).
    ``project``: the project's name, which tells where an sdist's name ends when its
    version holds a hyphen (``thrift-0.14.0-2.tar.gz`` is 0.14.0.post2, not version 2)."""
    by_version: dict[Version, list[DistFile]] = {}
    for file in files:
        if file.yanked is not None:
            continue
        version = _version_of(file.filename, project)
        if version is not None:
            by_version.setdefault(version, []).append(file)
    ordered = sorted(by_version, key=lambda v: (not v.is_prerelease, v), reverse=True)
    out = []
    for version in ordered:
        group = by_version[version]
        wheels = tuple(sorted(f.filename for f in group if f.filename.endswith(".whl")))
        sdists = [f for f in group if not f.filename.endswith(".whl")]
        # .tar.gz is the standard sdist format (PEP 625); prefer it over a legacy .zip.
        sdists.sort(key=lambda f: (not f.filename.endswith(".tar.gz"), f.filename))
        requires = next((f.requires_python for f in group if f.requires_python), None)
        out.append(Release(str(version), wheels, sdists[0] if sdists else None, tuple(group), requires))
    return out


def latest_release(files: Iterable[DistFile], project: str = "") -> Release | None:
    """The newest version with a non-yanked file (final releases before pre-releases)."""
    found = releases(files, project)
    return found[0] if found else None


def admits(requires_python: str | None, python: str) -> bool:
    """Whether ``Requires-Python`` lets Python X.Y (any patch level) install the release."""
    if not requires_python:
        return True
    try:
        spec = SpecifierSet(requires_python)
    except InvalidSpecifier:
        return True  # unreadable metadata: do not let it decide a class
    version = python.rstrip("t")
    return any(spec.contains(f"{version}.{patch}", prereleases=True) for patch in (0, 99))


def release_for(found: list[Release], python: str) -> Release | None:
    """What an installer picks for ``python``: the newest release whose Requires-Python
    admits it (a 3.11 user of a project that dropped 3.11 gets its last 3.11 release)."""
    return next((r for r in found if admits(r.requires_python, python)), None)


@functools.lru_cache(maxsize=4096)
def wheel_parts(filename: str) -> tuple[Version, frozenset[Tag]] | None:
    """A wheel file name's version and tags (None if it is not a valid one). Cached: the
    same names come back on every run, and parsing tags is the costly part of a warm one."""
    try:
        _, version, _, tags = parse_wheel_filename(filename)
    except (InvalidWheelFilename, InvalidVersion):
        return None
    return version, tags


@functools.lru_cache(maxsize=4096)
def parse_version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def _version_of(filename: str, project: str = "") -> Version | None:
    if project and filename.endswith((".tar.gz", ".zip")):
        stem = filename.removesuffix(".tar.gz").removesuffix(".zip")
        head, dash, rest = (
            stem[: len(project)],
            stem[len(project) : len(project) + 1],
            stem[len(project) + 1 :],
        )
        if dash == "-" and normalize(head) == normalize(project):
            return parse_version(rest)
    if filename.endswith(".whl"):
        # name-version[-build]-python-abi-platform.whl: the version is the second field.
        # Projects have thousands of files over their history; parsing every tag only to
        # group them by version was most of a warm run. Tags are parsed for chosen ones.
        fields = filename[:-4].split("-")
        return parse_version(fields[1]) if len(fields) in (5, 6) else None
    try:
        if filename.endswith((".tar.gz", ".zip")):
            return parse_sdist_filename(filename)[1]
    except (InvalidSdistFilename, InvalidVersion):
        return None
    return None


def wheel_tags(wheels: Iterable[str]) -> set[Tag]:
    out: set[Tag] = set()
    for wheel in wheels:
        parts = wheel_parts(wheel)
        if parts is not None:
            out |= parts[1]
    return out


def _serves(tag: Tag, python: str) -> bool:
    """Whether a wheel tag's interpreter and ABI install on CPython ``python`` (X.Y, or
    X.Yt for a free-threaded build), whatever its platform."""
    free_threaded = python.endswith("t")
    major, minor = (int(x) for x in python.rstrip("t").split("."))
    cp = f"cp{major}{minor}"
    if tag.interpreter == cp and tag.abi == (cp + "t" if free_threaded else cp):
        return True
    # abi3 wheels serve their minimum version and later on regular builds; abi3t
    # (PEP 803, from 3.15) does the same for free-threaded builds.
    stable = "abi3t" if free_threaded else "abi3"
    since = tag.interpreter[3:] if tag.interpreter.startswith("cp3") else ""
    if tag.abi == stable and since.isdigit() and int(since) <= minor:
        return True
    return tag.abi == "none" and tag.interpreter in ("py3", f"py{major}{minor}", cp)


def python_native(tags: set[Tag], python: str) -> bool:
    return any(tag.platform == "win_arm64" and _serves(tag, python) for tag in tags)


def python_offered(tags: set[Tag], python: str) -> bool:
    """Whether some platform wheel installs on ``python`` (on any operating system)."""
    return any(tag.platform != "any" and _serves(tag, python) for tag in tags)


def python_pure(tags: set[Tag], python: str) -> bool:
    major, minor = (int(x) for x in python.rstrip("t").split("."))
    return any(
        t.platform == "any"
        and t.abi == "none"
        and t.interpreter in ("py3", f"py{major}", f"py{major}{minor}", f"cp{major}{minor}")
        for t in tags
    )
