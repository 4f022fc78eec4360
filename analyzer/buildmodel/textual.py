"""What build files say when read as text, for where the build model did not read them
(no plan: an unknown backend, a model failure). Every reader here is the fallback: where
a :class:`~analyzer.buildmodel.plan.BuildPlan` exists, its answer is used instead.

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
from pathlib import Path

from analyzer.paths import DEFAULT_SKIP_DIRS, VENDORED_DIRS
from analyzer.safeload import toml_loads


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
