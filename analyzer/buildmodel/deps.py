"""Native dependencies a build reaches for outside the tree, and by which route (pure):
CMake ``find_package`` / ``pkg_check_modules`` / ``find_library``, meson ``dependency()``
/ ``find_library()``, pkg-config, ``find_library`` and a library's own configuration
tool (``pg_config``) in setup.py, vcpkg manifests, NuGet packages. Each is a library a
Windows ARM64 build needs an ARM64 build of. Read as text, never run; build tools and
Python itself are not native dependencies."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from analyzer.safeload import json_loads

# Found by the build, provided by the toolchain or Python: not something to port.
NOT_DEPENDENCIES = frozenset(
    {
        "python", "python3", "pythoninterp", "pythonlibs", "python3-embed", "python-embed",
        "threads", "openmp", "pybind11", "nanobind", "numpy", "cython", "python3-extension",
        "cuda", "cudatoolkit", "pkgconfig", "git", "doxygen", "sphinx", "gtest", "gmock",
        "googletest", "catch2", "benchmark", "m", "dl", "rt", "pthread", "c", "stdc++",
        "scikit-build-core", "skbuild", "python-extension", "py", "pyext",
        "vcvars", "atomic", "atomics", "libatomic", "synchronization", "msvc", "windowssdk",
    }
)  # fmt: skip

_CMAKE = re.compile(
    r"(?im)^[^#\n]*\b(find_package|pkg_check_modules|pkg_search_module|find_library)\s*\(\s*([^)]*)\)"
)
_MESON = re.compile(r"(?m)^[^#\n]*\b(dependency|find_library)\s*\(\s*['\"]([\w.+-]+)['\"]")
_SETUP_PKGCONFIG = re.compile(
    r"""(?m)^[^#\n]*(?:pkg-config['"]?\s*,?\s*[^\n]*?--(?:cflags|libs)[^\n]*?['"]([\w.+-]+)['"]"""
    r"""|pkgconfig\.(?:parse|cflags|libs|exists)\(\s*['"]([\w.+ -]+)['"]"""
    r"""|find_library\(\s*['"]([\w.+-]+)['"])"""
)
# A library's own configuration tool a build asks for its flags (``pg_config --libdir``):
# the tool comes with the library, so naming it is looking for the library.
CONFIG_TOOLS = {
    "pg_config": "libpq",
    "mysql_config": "mysqlclient",
    "mariadb_config": "mariadb",
    "xml2-config": "libxml2",
    "xslt-config": "libxslt",
    "curl-config": "libcurl",
    "gdal-config": "gdal",
    "geos-config": "geos",
    "freetype-config": "freetype",
    "net-snmp-config": "net-snmp",
    "icu-config": "icu",
    "gpgme-config": "gpgme",
}
_CONFIG_TOOL = re.compile(
    r"""(?m)^[^#\n]*['"](?:[^'"\n]*[/\\])?("""
    + "|".join(map(re.escape, CONFIG_TOOLS))
    + r""")(?:\.exe)?['"]"""
)
_NUGET = re.compile(r"""(?i)<(?:package|PackageReference)\s+(?:id|Include)\s*=\s*["']([\w.-]+)["']""")


@dataclass(frozen=True)
class Dependency:
    name: str
    route: str  # "CMake find_package", "meson dependency()", "vcpkg.json", ...
    where: str  # "path:line"


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def normalized(name: str) -> str:
    """A library's name as spelled anywhere: ``"libsodium.a"``, ``sodium``, ``Sodium::sodium``
    are all ``sodium``."""
    name = name.strip("\"'").split("::")[-1].lower()
    for suffix in (".lib", ".a", ".so", ".dll", ".dylib"):
        name = name.removesuffix(suffix)
    return name.removeprefix("lib") if len(name) > 3 else name


def is_dependency_name(name: str) -> bool:
    """A name worth reporting: not Python, a build tool or the toolchain's own library,
    and not a variable left unexpanded."""
    clean = name.strip("\"'")
    return (
        bool(clean)
        and normalized(clean) not in NOT_DEPENDENCIES
        and clean.lower() not in NOT_DEPENDENCIES
        and not clean.startswith(("$", "@"))
    )


_PKG_FLAGS = frozenset(
    {"REQUIRED", "QUIET", "IMPORTED_TARGET", "GLOBAL", "NO_CMAKE_PATH", "NO_CMAKE_ENVIRONMENT_PATH"}
)


CMAKE_LOOKUPS = frozenset({"find_package", "pkg_check_modules", "pkg_search_module", "find_library"})


def cmake_lookup_names(command: str, args: list[str]) -> list[str]:
    """The libraries one CMake lookup command names, from its arguments (the text's or
    the interpreter's expanded ones)."""
    command = command.lower()
    if command == "find_package":
        candidates = args[:1]
    elif command in ("pkg_check_modules", "pkg_search_module"):
        candidates = [a for a in args[1:] if a.upper() not in _PKG_FLAGS]
    else:  # find_library(VAR name | NAMES a b ...)
        rest = args[1:]
        candidates = rest[1:2] if rest[:1] == ["NAMES"] else rest[:1]
    return [re.sub(r"[<>=].*$", "", candidate) for candidate in candidates]


def dependencies_in(rel: str, text: str) -> list[Dependency]:
    """The external dependencies one build file names."""
    name = rel.rsplit("/", 1)[-1]
    found: list[Dependency] = []

    skipped = _not_windows_lines(name, text)

    def add(candidate: str, route: str, offset: int) -> None:
        line = _line_of(text, offset)
        if is_dependency_name(candidate) and line not in skipped:
            found.append(Dependency(candidate.strip("\"'"), route, f"{rel}:{line}"))

    if name == "CMakeLists.txt" or name.lower().endswith(".cmake"):
        for m in _CMAKE.finditer(text):
            command = m.group(1).lower()
            for candidate in cmake_lookup_names(command, m.group(2).split()):
                add(candidate, f"CMake {command}", m.start(1))
    elif name == "meson.build":
        for m in _MESON.finditer(text):
            add(m.group(2), f"meson {m.group(1)}()", m.start(1))
    elif name in ("setup.py", "build.py", "hatch_build.py"):
        for m in _SETUP_PKGCONFIG.finditer(text):
            route = f"{'find_library' if m.group(3) else 'pkg-config'} in {name}"
            for value in (m.group(1), m.group(2), m.group(3)):
                for candidate in (value or "").split():
                    add(candidate, route, m.start())
        for m in _CONFIG_TOOL.finditer(text):
            add(CONFIG_TOOLS[m.group(1)], f"{m.group(1)} in {name}", m.start(1))
    elif name == "vcpkg.json":
        try:
            data = json_loads(text)
        except ValueError:
            return []
        listed = data.get("dependencies", []) if isinstance(data, dict) else []
        for entry in listed if isinstance(listed, list) else []:
            dep = entry.get("name") if isinstance(entry, dict) else entry
            if isinstance(dep, str):
                add(dep, "vcpkg manifest", 0)
    elif name == "packages.config" or name.lower().endswith((".vcxproj", ".csproj", ".props")):
        for m in _NUGET.finditer(text):
            add(m.group(1), "NuGet package", m.start())
    return found


def _not_windows_lines(name: str, text: str) -> set[int]:
    from analyzer.buildmodel.parse import guarded_lines
    from analyzer.model import Language

    lines = text.splitlines()
    if name == "CMakeLists.txt" or name.lower().endswith(".cmake"):
        return guarded_lines(lines, Language.CMAKE, NOT_WINDOWS)
    if name == "meson.build":
        return guarded_lines(lines, Language.MESON, NOT_WINDOWS)
    if name.endswith(".py"):
        return python_guarded(lines, NOT_WINDOWS)
    return set()


def dependencies(files: Iterable[tuple[str, str]]) -> tuple[Dependency, ...]:
    """Every dependency named by the (path, text) build files, first mention of each name."""
    return first_of_each_name(dep for rel, text in files for dep in dependencies_in(rel, text))


def first_of_each_name(found: Iterable[Dependency]) -> tuple[Dependency, ...]:
    seen: dict[str, Dependency] = {}
    for dep in found:
        seen.setdefault(normalized(dep.name), dep)
    return tuple(seen.values())


DEPENDENCY_FILES = (
    "CMakeLists.txt",
    "meson.build",
    "setup.py",
    "build.py",
    "hatch_build.py",
    "vcpkg.json",
    "packages.config",
)


def is_dependency_file(rel: str) -> bool:
    name = rel.rsplit("/", 1)[-1]
    return name in DEPENDENCY_FILES or name.lower().endswith((".cmake", ".vcxproj", ".props"))


# Branches a Windows build never takes (CMake/meson ``if`` conditions, Python ``if``s).
NOT_WINDOWS = re.compile(
    r"(?i)\b(?:UNIX|APPLE|LINUX|CYGWIN|MINGW)\b(?!\s*\)?\s*(?:AND|OR)?\s*WIN)|NOT\s+(?:WIN32|MSVC)\b"
    r"|!=\s*['\"](?:windows|win32)['\"]|==\s*['\"](?:linux|darwin|posix|freebsd)['\"]"
    r"|sys\.platform\.startswith\(\s*['\"](?:linux|darwin|freebsd)|os\.name\s*==\s*['\"]posix"
)


def python_guarded(lines: list[str], guard: re.Pattern[str]) -> set[int]:
    """1-based lines inside a Python ``if`` (by indentation) whose test matches ``guard``
    (an ``else:`` is not guarded)."""
    guarded: set[int] = set()
    stack: list[tuple[int, bool]] = []  # (indent of the if, guarded)
    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(line) - len(line.lstrip())
        while (
            stack
            and indent <= stack[-1][0]
            and not (indent == stack[-1][0] and stripped.startswith(("elif", "else")))
        ):
            stack.pop()
        if stack and indent == stack[-1][0] and stripped.startswith(("elif", "else")):
            stack[-1] = (indent, bool(guard.search(stripped)) if stripped.startswith("elif") else False)
            continue
        if any(g for _, g in stack):
            guarded.add(number)
        if stripped.startswith("if ") and stripped.endswith(":"):
            stack.append((indent, bool(guard.search(stripped))))
    return guarded


_BUILT_HERE = re.compile(
    r"(?im)^[^#\n]*\b(?:add_subdirectory|FetchContent_Declare|ExternalProject_Add|subproject)\s*\(\s*['\"]?([^\s)'\"]+)"
)


def built_in_tree(files: Iterable[tuple[str, str]]) -> frozenset[str]:
    """Names the build compiles from source when it does not find them installed: CMake
    ``add_subdirectory`` / ``FetchContent_Declare`` / ``ExternalProject_Add`` and meson
    ``subproject()`` (the last part of a path: ``extern/taskflow`` gives ``taskflow``)."""
    out: set[str] = set()
    for _, text in files:
        for m in _BUILT_HERE.finditer(text):
            out.add(normalized(m.group(1).rstrip("/").rsplit("/", 1)[-1]))
    return frozenset(out)


def is_built_in_tree(name: str, built: frozenset[str]) -> bool:
    """``rapidfuzz`` is built by ``add_subdirectory(extern/rapidfuzz-cpp)``."""
    key = normalized(name)
    return any(key == b or (len(key) > 3 and b.startswith(key)) for b in built)


EXAMPLE_DIRS = frozenset(
    {"examples", "example", "tests", "test", "testing", "docs", "doc", "benchmarks", "bench"}
)


def in_examples(rel: str) -> bool:
    """A build file of examples, tests, docs or benchmarks (``numpy/random/_examples/``):
    what it links is not what the package needs."""
    return bool(EXAMPLE_DIRS & {part.strip("_") for part in rel.lower().split("/")[:-1]})
