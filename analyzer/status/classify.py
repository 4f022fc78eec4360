"""Classify a project's latest release for Windows on Arm, per target Python (pure).

Classes, per Python and overall:
  native       a win_arm64 wheel installs: cpXY for that Python (cpXYt for free-threaded),
               abi3 from its minimum version up (not for free-threaded builds), or a
               py3-none-win_arm64 wheel
  partial      (overall only) native for some of the target Pythons
  pure         a wheel for platform "any" installs
  pure-sdist   no wheel installs, but the sdist holds no compiled code (it builds anywhere)
  amber        Windows wheels exist for another architecture (win_amd64, win32), none for
               win_arm64 (py3-none-win_amd64 is one of them: ABI "none" is not "pure")
  no-windows   platform wheels exist, none for Windows at all: the project does not build
               Windows wheels; kept out of the port queue
  source-only  no wheel installs and the sdist holds compiled code
  regressed    no win_arm64 wheel installs, but an earlier non-yanked release had one for
               that Python (an older version installs natively; ``last_native`` names it)
  not-offered  (per Python) the project offers nothing for that Python on any platform: no
               release admits it (Requires-Python), or the release an installer picks has
               platform wheels but none for it anywhere (a free-threaded build nobody ships,
               a Python newer than the last release). Not a Windows-on-Arm gap: it neither
               makes a project partial nor queues it
  missing      no such project, or no release with files
"""

from __future__ import annotations

import enum
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from packaging.tags import Tag
from packaging.version import Version

from analyzer.index.simple import DistFile
from analyzer.index.wheels import (
    Release,
    parse_version,
    python_native,
    python_offered,
    python_pure,
    wheel_tags,
)
from analyzer.safeload import toml_loads
from analyzer.status.defaults import DEFAULT_PYTHONS

COMPILED_SUFFIXES = (
    ".c",
    ".cc",
    ".cpp",
    ".cxx",
    ".c++",
    ".h",
    ".hpp",
    ".pyx",
    ".pxd",
    ".rs",
    ".f",
    ".f90",
    ".f95",
    ".for",
    ".cu",
    ".m",
    ".mm",
)
BUILD_MARKERS = ("Cargo.toml", "CMakeLists.txt", "meson.build", "binding.gyp", "SConstruct")
# Build backends whose whole purpose is compiling (Rust, CMake, Meson, Cython...).
COMPILING_BACKENDS = frozenset(
    {"maturin", "scikit_build_core", "mesonpy", "pymsbuild", "py_build_cmake", "enscons", "setuptools_rust"}
)
_EXT_MODULES = re.compile(rb"\bext_modules\b|\bExtension\s*\(|\bcythonize\s*\(|\bcffi_modules\b")


class StatusClass(enum.StrEnum):
    """What installing a project on Windows on Arm gives, per Python or overall. A
    ``StrEnum``: JSON, history rows and templates keep the plain strings."""

    NATIVE = "native"  # a win_arm64 (or abi3/abi3t covering it) wheel
    PARTIAL = "partial"  # overall only: native on some target Pythons, not all
    PURE = "pure"  # a pure-Python wheel
    PURE_SDIST = "pure-sdist"  # only an sdist, with no compiled code in it
    AMBER = "amber"  # Windows wheels for other architectures only: a source build on WoA
    NO_WINDOWS = "no-windows"  # platform wheels, none for Windows: not a Windows-on-Arm port
    SOURCE_ONLY = "source-only"  # only an sdist that (may) compile code
    REGRESSED = "regressed"  # an earlier release had a win_arm64 wheel, the latest has none
    NOT_OFFERED = "not-offered"  # per Python: no platform has anything for it
    MISSING = "missing"  # no release installs here (or no such project)
    ERROR = "error"  # the project could not be read


# Per-Python classes that need a port (the port queue's business).
BLOCKED = frozenset({StatusClass.AMBER, StatusClass.SOURCE_ONLY, StatusClass.REGRESSED})


@dataclass(frozen=True)
class Status:
    name: str
    version: str | None
    klass: StatusClass
    pythons: dict[str, StatusClass]
    wheels: tuple[str, ...]
    note: str = ""
    requires: tuple[str, ...] = ()  # projects it needs on WoA (core metadata Requires-Dist)
    requires_known: bool = False  # whether the metadata could be read
    scan: ScanSummary | None = None  # the analyzer's summary of its sdist (--scan)
    versions: dict[str, str] = field(default_factory=dict)  # per Python, where not the latest
    did_you_mean: tuple[str, ...] = ()  # a missing project: the closest known names
    last_native: dict[str, str] = field(default_factory=dict)  # regressed Pythons: last version native there
    sdist: DistFile | None = None  # the latest release's sdist (what a survey downloads)


@dataclass(frozen=True)
class ScanSummary:
    sdist: str
    files_scanned: int
    findings: int
    by_rule: dict[str, int]
    top_blockers: tuple[tuple[str, int, str], ...]  # (rule, count, first location)
    error: str = ""
    warnings: tuple[str, ...] = field(default=())
    verdict: str = ""  # the scan's verdict in one sentence (analyzer/verdict.py)
    areas: tuple[tuple[str, str, tuple[str, ...]], ...] = ()  # the verdict's (area, state, reasons)


def compiling_backend(pyproject: bytes | None) -> str | None:
    """The build backend named in pyproject.toml if it is one that compiles."""
    if pyproject is None:
        return None
    try:
        data = toml_loads(pyproject.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    system = data.get("build-system")
    backend = system.get("build-backend") if isinstance(system, dict) else None
    if isinstance(backend, str) and backend.split(".")[0].replace("-", "_") in COMPILING_BACKENDS:
        return backend
    return None


def sdist_has_compiled_code(
    members: Iterable[str], setup_py: bytes | None = None, pyproject: bytes | None = None
) -> bool:
    """Decided from the sdist's file list and build configuration (the text of its
    setup.py and pyproject.toml, never run)."""
    for member in members:
        name = member.rsplit("/", 1)[-1]
        if name.lower().endswith(COMPILED_SUFFIXES) or name in BUILD_MARKERS:
            return True
    if compiling_backend(pyproject) is not None:
        return True
    return setup_py is not None and bool(_EXT_MODULES.search(setup_py))


def native_history(found: Iterable[Release]) -> tuple[tuple[Version, str, set[Tag]], ...]:
    """The releases with a win_arm64 wheel, newest first: (version, its text, the tags of
    its win_arm64 wheels). Only those wheel names are parsed: a project has thousands of
    files over its history and parsing them all is what a warm run would spend its time on."""
    out = []
    for release in found:
        arm = [w for w in release.wheels if "win_arm64" in w]
        version = parse_version(release.version)
        if arm and version is not None:
            out.append((version, release.version, wheel_tags(arm)))
    out.sort(key=lambda item: item[0], reverse=True)
    return tuple(out)


def _last_native(
    history: tuple[tuple[Version, str, set[Tag]], ...], chosen: Release, python: str
) -> str | None:
    """The newest release before ``chosen`` with a win_arm64 wheel for ``python``."""
    before = parse_version(chosen.version)
    for version, text, tags in history:
        if before is not None and version < before and python_native(tags, python):
            return text
    return None


def classify(
    name: str,
    release: Release | None,
    pythons: Iterable[str] = DEFAULT_PYTHONS,
    sdist_compiled: bool | None = None,
    per_python: Mapping[str, Release | None] | None = None,
    earlier: Iterable[Release] = (),
) -> Status:
    """Classify ``release`` (the latest) for each target Python, or the release
    ``per_python`` names for it (what an installer would pick there; None: no release
    supports that Python). ``sdist_compiled``: whether the latest sdist holds compiled
    code (None: not looked at; then an sdist-only release counts as source-only, the
    cautious answer). ``earlier``: the project's other releases, to tell a regression
    (an older release had a win_arm64 wheel) from a project that never had one."""
    pythons = tuple(pythons)
    if release is None:
        return Status(name, None, StatusClass.MISSING, dict.fromkeys(pythons, StatusClass.MISSING), ())
    history = native_history(earlier)
    per: dict[str, StatusClass] = {}
    versions: dict[str, str] = {}
    last_native: dict[str, str] = {}
    for python in pythons:
        chosen = per_python.get(python, release) if per_python is not None else release
        if chosen is None:
            # Requires-Python of every release excludes it: offered nowhere.
            per[python] = StatusClass.NOT_OFFERED
            continue
        if chosen.version != release.version:
            versions[python] = chosen.version
        tags = wheel_tags(chosen.wheels)
        platform_wheels = any(t.platform != "any" for t in tags)
        if python_native(tags, python):
            per[python] = StatusClass.NATIVE
        elif python_pure(tags, python):
            per[python] = StatusClass.PURE
        elif platform_wheels and not python_offered(tags, python):
            # Wheels for other Pythons only, on every platform: whatever builds this
            # Python from the sdist, it is the same everywhere, not a Windows-on-Arm gap.
            per[python] = StatusClass.NOT_OFFERED
        elif (older := _last_native(history, chosen, python)) is not None and not (
            chosen is release and sdist_compiled is False
        ):
            per[python] = StatusClass.REGRESSED
            last_native[python] = older
        elif platform_wheels:
            # Amber is the porter's work: Windows already has wheels, ARM64 does not. A
            # project that ships none for Windows at all is another matter (no-windows).
            windows = any(t.platform.startswith("win") for t in tags)
            per[python] = StatusClass.AMBER if windows else StatusClass.NO_WINDOWS
        elif chosen.sdist is not None:
            compiled = sdist_compiled if chosen is release else None
            per[python] = StatusClass.PURE_SDIST if compiled is False else StatusClass.SOURCE_ONLY
        else:
            per[python] = StatusClass.MISSING
    overall = _overall(set(per.values()))
    return Status(
        name,
        release.version,
        overall,
        per,
        release.wheels,
        versions=versions,
        last_native=last_native,
        sdist=release.sdist,
    )


def _overall(values: set[StatusClass]) -> StatusClass:
    """The project's class from its per-Python ones. Pythons it offers nothing for do not
    count; a regression comes first (users hit it, and an older version is the workaround)."""
    offered = values - {StatusClass.NOT_OFFERED}
    if not offered:
        return StatusClass.NOT_OFFERED if values else StatusClass.MISSING
    if StatusClass.REGRESSED in offered:
        return StatusClass.REGRESSED
    if offered == {StatusClass.NATIVE}:
        return StatusClass.NATIVE
    if StatusClass.NATIVE in offered:
        return StatusClass.PARTIAL
    order = (
        StatusClass.PURE,
        StatusClass.PURE_SDIST,
        StatusClass.AMBER,
        StatusClass.SOURCE_ONLY,
        StatusClass.NO_WINDOWS,
    )
    return next((c for c in order if c in offered), StatusClass.MISSING)
