"""Headers from a package's build requirements, for ``prove``: ``numpy/arrayobject.h``,
``pybind11/pybind11.h``, ``cppy.h`` come from the wheels the build installs first, not
from the sdist. The requirements are read from ``pyproject.toml``'s
``[build-system] requires`` (never by running anything); for each, the newest release
the specifier allows is looked up on the index with woaport's own client, and one of its
wheels is taken — a ``win_arm64`` one when there is one (numpy's ``_numpyconfig.h`` is
per platform), else ``win_amd64`` (the same 64-bit Windows layout), else any. The wheel
is unpacked with the defensive extractor into woaport's cache, only its headers kept,
and its include folders are found statically: every folder named ``include`` holding
headers (``numpy/_core/include``, ``pybind11/include``), plus the wheel's root.

Requirements whose wheels carry no headers a compile includes (the build backends,
Cython, setuptools-scm...) are not fetched; at most :data:`MAX_REQUIREMENTS` are."""

from __future__ import annotations

import ast
import configparser
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from analyzer.archive import ArchiveError, ArchiveLimits, extract
from analyzer.index.config import IndexConfigError
from analyzer.index.errors import IndexFetchError
from analyzer.index.simple import DistFile, ProjectNotFound, SimpleIndex
from analyzer.paths import BUILD_INCLUDE_EXTENSIONS
from analyzer.safeload import toml_table
from analyzer.targets import RULES_DIR
from analyzer.wheeltags import windows_arm64_markers

MAX_REQUIREMENTS = 8
MAX_ALL_REQUIREMENTS = 32  # every build requirement, for the CI dependency-wheel check
MAX_PYPROJECT = 1024 * 1024
HEADER_SUFFIXES = tuple(sorted(BUILD_INCLUDE_EXTENSIONS))
# Build tools whose wheels hold no header a C or C++ compile includes.
NO_HEADERS = frozenset(
    {
        "setuptools", "wheel", "cython", "meson", "meson-python", "scikit-build-core",
        "scikit-build", "maturin", "setuptools-rust", "hatchling", "hatch-vcs", "poetry-core",
        "flit-core", "pdm-backend", "setuptools-scm", "cmake", "ninja", "pkgconfig", "packaging",
        "tomli", "versioneer", "cffi", "pip", "build", "extension-helpers", "oldest-supported-numpy",
    }
)  # fmt: skip
FORMAT = 1  # bump when what a cached unpacked wheel holds changes
# What is kept of a requirement that ships a library as sources (rules/requirement-libraries.json).
SOURCE_SUFFIXES = (*HEADER_SUFFIXES, ".c", ".cc", ".cpp", ".cxx")
# What is kept of a requirement that ships static libraries (the "prebuilt" entries).
LIBRARY_SUFFIXES = (*HEADER_SUFFIXES, ".lib", ".a")
LIBRARIES_FILE = RULES_DIR / "requirement-libraries.json"


@dataclass(frozen=True)
class LibrarySpec:
    """How a build requirement's library is compiled (rules/requirement-libraries.json):
    paths relative to the unpacked wheel."""

    functions: tuple[str, ...]  # the build functions whose targets link it
    sources: tuple[str, ...]
    include: tuple[str, ...]
    defines: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()


@lru_cache(maxsize=1)
def _libraries_rules() -> Mapping[str, Any]:
    """rules/requirement-libraries.json, read once."""
    data: Mapping[str, Any] = json.loads(LIBRARIES_FILE.read_text(encoding="utf-8"))
    return data


@lru_cache(maxsize=1)
def library_specs() -> Mapping[str, LibrarySpec]:
    raw = _libraries_rules()
    return {
        canonicalize_name(name): LibrarySpec(
            tuple(entry["functions"]),
            tuple(entry["sources"]),
            tuple(entry["include"]),
            tuple(entry.get("defines", ())),
            tuple(entry.get("flags", ())),
        )
        for name, entry in raw["libraries"].items()
    }


@dataclass(frozen=True)
class PrebuiltSpec:
    """Static libraries a build requirement's wheel ships (rules/requirement-libraries.json,
    ``prebuilt``): link name -> path in the unpacked wheel; ``msvc``: built by MSVC."""

    files: Mapping[str, str]
    msvc: bool


@lru_cache(maxsize=1)
def prebuilt_specs() -> Mapping[str, PrebuiltSpec]:
    raw = _libraries_rules()["prebuilt"]
    return {
        canonicalize_name(name): PrebuiltSpec(dict(entry["files"]), bool(entry.get("msvc", False)))
        for name, entry in raw["libraries"].items()
    }


@lru_cache(maxsize=1)
def msvc_runtime_libraries() -> tuple[str, ...]:
    """The MSVC runtime libraries an MSVC-built object names by ``/DEFAULTLIB``."""
    return tuple(_libraries_rules()["prebuilt"]["msvc_runtime_libraries"])


@dataclass(frozen=True)
class PrebuiltLibrary:
    """A static library from a build requirement's wheel, in the cache."""

    name: str  # as the build links it: "npymath"
    path: Path
    msvc: bool


def _prebuilt_of(name: str, unpacked: Path) -> tuple[PrebuiltLibrary, ...]:
    spec = prebuilt_specs().get(name)
    if spec is None:
        return ()
    return tuple(
        PrebuiltLibrary(link_name, unpacked / rel, spec.msvc)
        for link_name, rel in sorted(spec.files.items())
        if (unpacked / rel).is_file() and not (unpacked / rel).is_symlink()
    )  # a wheel without them (another release, another platform): nothing is linked


@dataclass(frozen=True)
class RequirementLibrary:
    """A build requirement's library as a proof compiles it: its sources and include
    folders in the unpacked wheel, and the arguments it is compiled with."""

    name: str
    functions: tuple[str, ...]
    sources: tuple[Path, ...]
    include_dirs: tuple[Path, ...]
    arguments: tuple[str, ...]


def _library_of(name: str, unpacked: Path) -> RequirementLibrary | None:
    spec = library_specs().get(name)
    if spec is None:
        return None
    sources = tuple(unpacked / rel for rel in spec.sources)
    if not all(path.is_file() and not path.is_symlink() for path in sources):
        return None  # another release's layout: the library is not compiled here
    folders = tuple(unpacked / rel for rel in spec.include if (unpacked / rel).is_dir())
    arguments = (*spec.flags, *(f"-D{d}" for d in spec.defines))
    return RequirementLibrary(name, spec.functions, sources, folders, arguments)


@dataclass(frozen=True)
class RequirementHeaders:
    name: str
    wheel: str  # the wheel's file name
    include_dirs: tuple[Path, ...]
    library: RequirementLibrary | None = None
    prebuilt: tuple[PrebuiltLibrary, ...] = ()


def _tree_text(root: Path, name: str) -> str | None:
    """A top-level file of the tree, if it is a regular file of a sane size."""
    path = root / name
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size > MAX_PYPROJECT:
            return None
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def _pyproject_requires(root: Path) -> list[object]:
    system = toml_table(_tree_text(root, "pyproject.toml")).get("build-system")
    listed = system.get("requires") if isinstance(system, dict) else None
    return list(listed) if isinstance(listed, list) else []


def _string_list(node: ast.expr | None) -> list[str]:
    if not isinstance(node, ast.List | ast.Tuple):
        return []
    return [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]


def _setup_py_requires(text: str) -> list[str]:
    """``setup_requires=[...]`` string literals (or a module-level name bound to a list of
    them) in any call of setup.py: read, never run."""
    try:
        module = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    bound: dict[str, ast.expr] = {
        target.id: node.value
        for node in module.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    found: list[str] = []
    for node in ast.walk(module):
        for keyword in node.keywords if isinstance(node, ast.Call) else []:
            if keyword.arg == "setup_requires":
                value = keyword.value
                found += _string_list(bound.get(value.id) if isinstance(value, ast.Name) else value)
    return found


def _setup_cfg_requires(text: str) -> list[str]:
    """``[options] setup_requires`` of setup.cfg (one per line, or ``;``-separated)."""
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
        value = parser.get("options", "setup_requires", fallback="")
    except configparser.Error:
        return []
    return [line.strip() for line in value.replace(";", "\n").splitlines() if line.strip()]


def _setup_requires(root: Path) -> list[str]:
    setup_py, setup_cfg = _tree_text(root, "setup.py"), _tree_text(root, "setup.cfg")
    return [
        *(_setup_py_requires(setup_py) if setup_py is not None else []),
        *(_setup_cfg_requires(setup_cfg) if setup_cfg is not None else []),
    ]


def build_requirements(root: Path, python: str, every: bool = False) -> tuple[Requirement, ...]:
    """``[build-system] requires`` of the tree's ``pyproject.toml`` and the
    ``setup_requires`` of its setup.py / setup.cfg that may carry headers (``every``: all
    of them, build tools too) and apply to a Windows ARM64 build of ``python`` ("" : on
    any Python; their markers are then left to the caller)."""
    listed = [*_pyproject_requires(root), *_setup_requires(root)]
    wanted: dict[str, Requirement] = {}
    for text in listed:
        if not isinstance(text, str):
            continue
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            continue
        name = canonicalize_name(requirement.name)
        if (name in NO_HEADERS and not every) or name in wanted:
            continue
        marker = requirement.marker
        if python and marker is not None and not marker.evaluate(windows_arm64_markers(python)):
            continue
        wanted[name] = requirement
    return tuple(wanted.values())[: MAX_ALL_REQUIREMENTS if every else MAX_REQUIREMENTS]


def choose_wheel(files: Iterable[DistFile], requirement: Requirement, python: str) -> DistFile | None:
    """The wheel to take headers from: the newest release the specifier allows (final
    releases first), its win_arm64 wheel for ``python`` (or abi3), else win_amd64, else
    a pure or any other wheel."""
    from analyzer.index.wheels import releases, wheel_parts

    cp = f"cp{python.replace('.', '')}"
    name = canonicalize_name(requirement.name)
    by_name = {f.filename: f for f in files}
    for release in releases(by_name.values(), name):
        if not requirement.specifier.contains(release.version, prereleases=False):
            continue

        def rank(wheel: str) -> int:
            parsed = wheel_parts(wheel)
            tags = parsed[1] if parsed is not None else frozenset()
            platforms = {t.platform for t in tags}
            fits = any(t.interpreter in (cp, "py3") or t.abi == "abi3" for t in tags)
            if "win_arm64" in platforms:
                return 0 if fits else 2
            if "win_amd64" in platforms:
                return 1 if fits else 3
            return 4 if "any" in platforms else 5

        if release.wheels:
            best = min(release.wheels, key=rank)
            return by_name.get(best)
    return None


def include_dirs_of(unpacked: Path) -> tuple[Path, ...]:
    """Every folder named ``include`` with headers below it, then the unpacked root."""
    found: list[Path] = []
    for path in sorted(unpacked.rglob("include")):
        if (
            path.is_dir()
            and not path.is_symlink()
            and any(p.suffix in HEADER_SUFFIXES for p in path.rglob("*"))
        ) and not any(parent in found for parent in path.parents):
            found.append(path)
    return (*found, unpacked)


def _unpacked_wheel(
    index: SimpleIndex, wheel: DistFile, cache: Path, keep: tuple[str, ...] | None = HEADER_SUFFIXES
) -> Path:
    """The wheel's headers (``keep``: these suffixes; None: every file) in the cache,
    made once, atomically: a half-made folder is never where the next run looks. Raises
    IndexFetchError or ArchiveError."""
    kinds = {HEADER_SUFFIXES: "", SOURCE_SUFFIXES: "src-", LIBRARY_SUFFIXES: "lib-"}
    kind = kinds.get(keep, "all-") if keep is not None else "all-"
    target = cache / f"{FORMAT}-{kind}{wheel.filename.removesuffix('.whl')}"
    if (target / ".complete").is_file():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".woaport-requires-", dir=cache))
    try:
        downloaded = index.download(wheel, work)
        archive = downloaded.rename(work / "wheel.zip")  # the extractor reads zips by name
        unpacked = work / "unpacked"
        unpacked.mkdir()
        extract(archive, unpacked, ArchiveLimits(max_total_bytes=512 * 1024 * 1024))
        for path in sorted(unpacked.rglob("*"), reverse=True):  # only headers stay
            if keep is not None and path.is_file() and path.suffix not in keep:
                path.unlink()
        (unpacked / ".complete").write_text(wheel.filename, encoding="utf-8")
        if target.exists():
            shutil.rmtree(target)
        os.replace(unpacked, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def requirement_headers(
    root: Path,
    index: SimpleIndex,
    python: str,
    cache: Path,
    log: Callable[[str], None] = lambda _: None,
) -> tuple[tuple[RequirementHeaders, ...], tuple[str, ...]]:
    """The include folders of the tree's build requirements, and a note per requirement
    that could not be had (the proof goes on without it)."""
    return _headers_of(build_requirements(root, python), index, python, cache, log)


def _fetched_requirements(
    root: Path,
    open_index: Callable[[], AbstractContextManager[SimpleIndex]],
    python: str,
    cache: Path,
    log: Callable[[str], None],
) -> tuple[RequirementHeaders, ...]:
    requirements = build_requirements(root, python)
    if not requirements:
        return ()
    try:
        with open_index() as index:
            found, notes = _headers_of(requirements, index, python, cache, log)
    except (IndexConfigError, IndexFetchError) as error:
        log(f"note: build requirements' headers not fetched: {error}")
        return ()
    for note in notes:
        log(f"note: {note}")
    return found


def _headers_of(
    requirements: Iterable[Requirement],
    index: SimpleIndex,
    python: str,
    cache: Path,
    log: Callable[[str], None],
) -> tuple[tuple[RequirementHeaders, ...], tuple[str, ...]]:
    found: list[RequirementHeaders] = []
    notes: list[str] = []
    for requirement in requirements:
        name = canonicalize_name(requirement.name)
        try:
            page = index.project(name)
            wheel = choose_wheel(page.files, requirement, python)
            if wheel is None:
                notes.append(f"build requirement {requirement}: no wheel on the index to take headers from")
                continue
            log(f"headers of build requirement {requirement} from {wheel.filename}")
            keep = (
                SOURCE_SUFFIXES
                if name in library_specs()
                else LIBRARY_SUFFIXES
                if name in prebuilt_specs()
                else HEADER_SUFFIXES
            )
            unpacked = _unpacked_wheel(index, wheel, cache, keep)
        except ProjectNotFound:
            notes.append(f"build requirement {requirement}: not on the index")
            continue
        except (IndexFetchError, ArchiveError, OSError) as error:
            notes.append(f"build requirement {requirement}: {str(error)[:200]}")
            continue
        found.append(
            RequirementHeaders(
                name,
                wheel.filename,
                include_dirs_of(unpacked),
                _library_of(name, unpacked),
                _prebuilt_of(name, unpacked),
            )
        )
    return tuple(found), tuple(notes)


@dataclass(frozen=True)
class CythonTool:
    """The Cython that translates a package's ``.pyx`` for ``prove``: the version its
    build requirements allow. ``path``: an unpacked wheel from the index to put first on
    the tool's ``PYTHONPATH`` (never installed into any environment); None: the Cython
    installed beside woaport."""

    version: str
    path: Path | None = None
    origin: str = "installed"  # or the wheel's file name


def installed_cython() -> CythonTool | None:
    import importlib.metadata

    try:
        return CythonTool(importlib.metadata.version("cython"))
    except importlib.metadata.PackageNotFoundError:
        return None


def runnable_wheel(files: Iterable[DistFile], requirement: Requirement) -> DistFile | None:
    """The wheel of the newest release ``requirement`` allows (final releases first) that
    this interpreter can import: the first of its tags in ``packaging.tags.sys_tags()``
    order (a compiled wheel for this platform, else a pure one)."""
    from packaging.tags import sys_tags

    from analyzer.index.wheels import releases, wheel_parts

    order = {tag: rank for rank, tag in enumerate(sys_tags())}
    by_name = {f.filename: f for f in files}
    for release in releases(by_name.values(), canonicalize_name(requirement.name)):
        if not requirement.specifier.contains(release.version, prereleases=False):
            continue
        ranked = []
        for name in release.wheels:
            parsed = wheel_parts(name)
            ranks = [order[t] for t in (parsed[1] if parsed is not None else ()) if t in order]
            if ranks:
                ranked.append((min(ranks), name))
        if ranked:
            return by_name.get(min(ranked)[1])
    return None


def resolve_cython(
    root: Path,
    open_index: Callable[[], AbstractContextManager[SimpleIndex]],
    python: str,
    cache: Path,
    log: Callable[[str], None] = lambda _: None,
) -> CythonTool | None:
    """The Cython the tree's build requirements ask for (``Cython<3``, ``cython>=3.1``...)
    on a Windows ARM64 build of ``python``: the installed one when it is in range (or
    nothing is asked), else the newest allowed release's wheel from the index, unpacked
    into the cache. None when neither is there (said in the log)."""
    installed = installed_cython()
    asked = next(
        (r for r in build_requirements(root, python, every=True) if canonicalize_name(r.name) == "cython"),
        None,
    )
    if asked is None or not asked.specifier:
        return installed
    if installed is not None and asked.specifier.contains(installed.version, prereleases=True):
        return installed
    try:
        with open_index() as index:
            wheel = runnable_wheel(index.project("cython").files, asked)
            if wheel is None:
                log(f"note: no Cython wheel on the index in {asked}: translating with the installed Cython")
                return installed
            log(f"Cython for this package's {asked}: {wheel.filename}")
            unpacked = _unpacked_wheel(index, wheel, cache / "tools", keep=None)
    except (IndexConfigError, IndexFetchError, ProjectNotFound, ArchiveError, OSError) as error:
        log(
            f"note: Cython in {asked} not fetched ({str(error)[:200]}): translating with the installed Cython"
        )
        return installed
    version = wheel.filename.split("-")[1]
    return CythonTool(version, unpacked, wheel.filename)


@dataclass(frozen=True)
class RequirementTools:
    """What ``prove`` takes from a package's build requirements: their wheels' include
    folders and the Cython they ask for (None: the installed one)."""

    include_dirs: tuple[Path, ...] = ()
    cython: CythonTool | None = None
    # Libraries requirements ship as sources (libnanobind), for the modules their build
    # functions make.
    libraries: tuple[RequirementLibrary, ...] = ()
    # Static libraries requirements' wheels ship (numpy's npymath), for modules linking them.
    prebuilt: tuple[PrebuiltLibrary, ...] = ()


def requirement_tools(
    root: Path,
    open_index: Callable[[], AbstractContextManager[SimpleIndex]],
    python: str,
    cache: Path,
    log: Callable[[str], None] = lambda _: None,
) -> RequirementTools:
    """The include folders and the Cython of the tree's build requirements, fetched from
    the index into ``cache`` when needed; what cannot be had is logged and left out."""
    found = _fetched_requirements(root, open_index, python, cache, log)
    include_dirs = tuple(directory for item in found for directory in item.include_dirs)
    libraries = tuple(item.library for item in found if item.library is not None)
    prebuilt = tuple(library for item in found for library in item.prebuilt)
    cython_tool = resolve_cython(root, open_index, python, cache, log)
    return RequirementTools(include_dirs, cython_tool, libraries, prebuilt)
