"""Native dependencies a build reaches for outside the tree, and by which route (pure):
the vocabulary. Each is a library a Windows ARM64 build needs an ARM64 build of; build
tools and Python itself are not native dependencies. The build model reports the
lookups it ran (:attr:`~analyzer.buildmodel.plan.BuildPlan.dependencies`); the text
reader for the files it did not read is :func:`analyzer.buildmodel.textual.dependencies_in`."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

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
PKG_CONFIG_QUERIES = frozenset({"--libs", "--cflags", "--modversion", "--exists", "--variable"})


def tool_lookups(words: list[str]) -> list[tuple[str, str]]:
    """The libraries a tool's command line (as the build computes it) asks about, with
    the route: ``pkg-config --libs libxml-2.0``, ``/usr/bin/pg_config --libdir`` (as a
    list or one shell string)."""
    words = [part for word in words for part in word.split()]
    tools = [w.replace("\\", "/").rsplit("/", 1)[-1].lower().removesuffix(".exe") for w in words]
    found: list[tuple[str, str]] = []
    if "pkg-config" in tools and any(w.split("=", 1)[0] in PKG_CONFIG_QUERIES for w in words):
        rest = words[tools.index("pkg-config") + 1 :]
        for index, word in enumerate(rest):
            if word.startswith("-") or word == "<?>" or (index and rest[index - 1] == "--variable"):
                continue
            found.append((word, "pkg-config"))
    found += [(CONFIG_TOOLS[tool], tool) for tool in tools if tool in CONFIG_TOOLS]
    return found


@dataclass(frozen=True)
class Dependency:
    name: str
    route: str  # "CMake find_package", "meson dependency()", "vcpkg.json", ...
    where: str  # "path:line"


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


def first_of_each_name(found: Iterable[Dependency]) -> tuple[Dependency, ...]:
    """The first mention of each library, however its name is spelled."""
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
