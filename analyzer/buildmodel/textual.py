"""What build files say when read as text, for where the build model did not read them
(no plan: an unknown backend, a model failure; a file the model did not evaluate in
full). Every reader here is the fallback: where a
:class:`~analyzer.buildmodel.plan.BuildPlan` has the answer, it is used instead.

Guards: the lines of CMake/meson ``if`` branches (and Python ``if`` blocks) whose
condition matches a pattern (an x86 test, a non-Windows test).

Dependencies: CMake ``find_package`` / ``pkg_check_modules`` / ``find_library``, meson
``dependency()`` / ``find_library()``, pkg-config, ``find_library`` and a library's own
configuration tool (``pg_config``) in setup.py, vcpkg manifests, NuGet packages, each
with where; the lines of non-Windows branches left out.

Include folders: setup.py's literal ``include_dirs`` (``ast``), pyproject's setuptools
``include-dirs``, CMake's ``[target_]include_directories`` and meson's
``include_directories`` (regular expressions), each relative to its build file's
folder and kept only when it is a folder inside the tree. The text is never run.
"""

from __future__ import annotations

import ast
import os
import re
import tomllib
from collections.abc import Iterable
from pathlib import Path

from analyzer.buildmodel.deps import (
    CONFIG_TOOLS,
    Dependency,
    cmake_lookup_names,
    first_of_each_name,
    is_dependency_name,
)
from analyzer.buildmodel.parse import block_syntax
from analyzer.model import Language
from analyzer.paths import DEFAULT_SKIP_DIRS, VENDORED_DIRS
from analyzer.safeload import json_loads, toml_loads


def _setup_py_dirs(text: bytes) -> list[str]:
    """``include_dirs=[...]`` string literals in setup.py (read with ast, never run)."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return []
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg == "include_dirs" and isinstance(node.value, ast.List):
            found += [
                e.value for e in node.value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)
            ]
    return found


def _pyproject_dirs(text: bytes) -> list[str]:
    """setuptools' ``[tool.setuptools] ext-modules = [{include-dirs = [...]}]``."""
    try:
        data = toml_loads(text.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        return []
    modules = data.get("tool", {}).get("setuptools", {}).get("ext-modules", [])
    found: list[str] = []
    for module in modules if isinstance(modules, list) else []:
        dirs = module.get("include-dirs", []) if isinstance(module, dict) else []
        found += [d for d in dirs if isinstance(d, str)] if isinstance(dirs, list) else []
    return found


_CMAKE_INCLUDE = re.compile(r"\b(target_)?include_directories\s*\(([^)]*)\)", re.IGNORECASE)
_CMAKE_KEYWORDS = frozenset({"SYSTEM", "BEFORE", "AFTER", "PUBLIC", "PRIVATE", "INTERFACE"})
_CMAKE_DIR_VARS = ("${CMAKE_CURRENT_SOURCE_DIR}/", "${CMAKE_CURRENT_LIST_DIR}/", "${PROJECT_SOURCE_DIR}/")
_MESON_INCLUDE = re.compile(r"\binclude_directories\s*\(([^)]*)\)")
_MESON_STRING = re.compile(r"'([^'\n]*)'")


def _cmake_dirs(text: bytes) -> list[str]:
    found = []
    for match in _CMAKE_INCLUDE.finditer(text.decode("utf-8", "replace")):
        args = match.group(2).replace('"', " ").split()
        if match.group(1):
            args = args[1:]  # the target name
        for arg in args:
            for prefix in _CMAKE_DIR_VARS:
                arg = arg.removeprefix(prefix)
            if arg.upper() not in _CMAKE_KEYWORDS and "$" not in arg:
                found.append(arg)
    return found


def _meson_dirs(text: bytes) -> list[str]:
    found = []
    for match in _MESON_INCLUDE.finditer(text.decode("utf-8", "replace")):
        found += _MESON_STRING.findall(match.group(1))
    return found


_BUILD_FILES = {
    "setup.py": _setup_py_dirs,
    "pyproject.toml": _pyproject_dirs,
    "CMakeLists.txt": _cmake_dirs,
    "meson.build": _meson_dirs,
}


def find_build_files(root: Path, max_depth: int = 4) -> list[Path]:
    """Build files in the tree (not following links, skipping build output and VCS and
    vendored directories), shallowest first."""
    found: list[Path] = []
    root = root.resolve()
    for directory, subdirs, names in os.walk(root):
        depth = len(Path(directory).relative_to(root).parts)
        subdirs[:] = sorted(
            d
            for d in subdirs
            if depth < max_depth
            and d not in DEFAULT_SKIP_DIRS
            and d.lower() not in VENDORED_DIRS
            and not (Path(directory) / d).is_symlink()
        )
        found += [Path(directory) / n for n in sorted(names) if n in _BUILD_FILES]
    return sorted(found, key=lambda p: (len(p.parts), str(p)))


def static_include_dirs(root: Path, build_files: list[Path] | None = None) -> list[Path]:
    """Include directories the build files name, read as text (never run): setup.py's
    ``include_dirs`` (ast), pyproject's setuptools ``include-dirs``, CMake's
    ``[target_]include_directories`` and meson's ``include_directories``, each relative
    to its build file's directory; only existing directories inside the tree."""
    root = root.resolve()
    if build_files is None:
        build_files = [
            root / name for name in ("setup.py", "pyproject.toml", "CMakeLists.txt", "meson.build")
        ]
    found: list[Path] = []
    for build_file in build_files:
        reader = _BUILD_FILES.get(build_file.name)
        try:
            text = build_file.read_bytes() if reader is not None else b""
        except OSError:
            continue
        for name in reader(text) if reader is not None else []:
            candidate = (build_file.parent / name).resolve()
            if candidate.is_dir() and candidate.is_relative_to(root) and candidate not in found:
                found.append(candidate)
    return found


def guarded_lines(lines: list[str], language: Language, guard: re.Pattern[str]) -> set[int]:
    """1-based lines inside a CMake/meson if/elseif branch whose condition matches
    ``guard`` (an ``else`` branch is the opposite of its conditions: never guarded)."""
    block = block_syntax(language)
    stack: list[bool] = []  # per open if: is the current branch guarded?
    guarded: set[int] = set()
    for number, line in enumerate(lines, 1):
        m = block.match(line)
        if m is not None:
            keyword = m.group(1).lower()
            if keyword == "if":
                stack.append(bool(guard.search(m.group(2))))
            elif keyword in ("elseif", "elif") and stack:
                stack[-1] = bool(guard.search(m.group(2)))
            elif keyword == "else" and stack:
                stack[-1] = False
            elif keyword == "endif" and stack:
                stack.pop()
            continue
        if any(stack):
            guarded.add(number)
    return guarded


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


_CMAKE = re.compile(
    r"(?im)^[^#\n]*\b(find_package|pkg_check_modules|pkg_search_module|find_library)\s*\(\s*([^)]*)\)"
)
_MESON = re.compile(r"(?m)^[^#\n]*\b(dependency|find_library)\s*\(\s*['\"]([\w.+-]+)['\"]")
_SETUP_PKGCONFIG = re.compile(
    r"""(?m)^[^#\n]*(?:pkg-config['"]?\s*,?\s*[^\n]*?--(?:cflags|libs)[^\n]*?['"]([\w.+-]+)['"]"""
    r"""|pkgconfig\.(?:parse|cflags|libs|exists)\(\s*['"]([\w.+ -]+)['"]"""
    r"""|find_library\(\s*['"]([\w.+-]+)['"])"""
)
_CONFIG_TOOL = re.compile(
    r"""(?m)^[^#\n]*['"](?:[^'"\n]*[/\\])?("""
    + "|".join(map(re.escape, CONFIG_TOOLS))
    + r""")(?:\.exe)?['"]"""
)
_NUGET = re.compile(r"""(?i)<(?:package|PackageReference)\s+(?:id|Include)\s*=\s*["']([\w.-]+)["']""")


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


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
