"""Headers a package installs for other packages to compile against, found by convention:
the folder its ``get_include()`` returns (numpy's ``_core/include``, pybind11's
``include``). Read statically: the function's string constants joined below the module's
folder or one of its parents, kept when that folder holds headers of the tree. The build
systems' own declarations (meson ``install_headers``, ``setup(headers=...)``,
``package_data``) are read by their interpreters."""

from __future__ import annotations

import ast
import posixpath
import re
from collections.abc import Callable, Collection, Iterable, Iterator

from analyzer.paths import HEADER_EXTENSIONS

# Bounds: a tree's Python files are many; get_include() lives in a package's own modules.
MAX_MODULES = 4000  # .py files looked at (by name order)
MAX_CONSTANTS = 16  # string constants of one get_include() tried as path parts
_PART = re.compile(r"^[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)*$")
_SKIPPED = ("test", "tests", "testing", "docs", "doc", "examples", "benchmarks")
# A ``def`` is a statement of its own line (decorators sit on the lines before it).
_DEF_GET_INCLUDE = re.compile(r"^[ \t]*def[ \t]+get_include[ \t]*\(", re.MULTILINE)


def _parts_of_get_include(text: str) -> list[list[str]]:
    """Per ``def get_include``, its string constants that could name folders, in order."""
    try:
        module = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    found: list[list[str]] = []
    for node in _statements(module.body):
        if isinstance(node, ast.FunctionDef) and node.name == "get_include":
            constants = [
                c.value
                for c in ast.walk(node)
                if isinstance(c, ast.Constant)
                and isinstance(c.value, str)
                and _PART.match(c.value)
                and not c.value.endswith(".py")
                and c.value not in (".", "..")
            ]
            found.append(constants[:MAX_CONSTANTS])
    return found


def _statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Every statement of ``body``, nested ones too (a ``def`` is only ever a statement:
    walking statements, not every expression node, finds each one at a tenth the cost)."""
    stack = list(reversed(body))
    while stack:
        statement = stack.pop()
        yield statement
        nested: list[ast.stmt] = []
        for field in ("body", "orelse", "finalbody"):
            nested.extend(getattr(statement, field, ()))
        for handler in getattr(statement, "handlers", ()):
            nested.extend(handler.body)
        for case in getattr(statement, "cases", ()):
            nested.extend(case.body)
        stack.extend(reversed(nested))


def get_include_headers(files: Iterable[str], read_text: Callable[[str], str | None]) -> tuple[str, ...]:
    """The tree's headers below a folder some ``get_include()`` returns."""
    all_files = sorted(files)
    headers = [f for f in all_files if posixpath.splitext(f)[1] in HEADER_EXTENSIONS]
    if not headers:
        return ()
    folders = {posixpath.dirname(h) for h in headers}
    ancestors_with_headers = {a for f in folders for a in _ancestors(f)}
    modules = [
        f for f in all_files if f.endswith(".py") and not any(part in _SKIPPED for part in f.split("/")[:-1])
    ][:MAX_MODULES]
    public: set[str] = set()
    for rel in modules:
        text = read_text(rel)
        if text is None or _DEF_GET_INCLUDE.search(text) is None:
            continue  # parsed only with a def of it (get_include_dirs, docs: not parsed)
        for parts in _parts_of_get_include(text):
            # From the module's folder up (the nearest reading wins), the longest run of
            # constants that names a folder holding headers.
            runs = sorted(
                ((b, e) for b in range(len(parts)) for e in range(b + 1, len(parts) + 1)),
                key=lambda run: run[0] - run[1],
            )
            for start in _ancestors(posixpath.dirname(rel)):
                named = (posixpath.normpath(posixpath.join(start, *parts[b:e])) for b, e in runs)
                folder = next((f for f in named if f != "." and f in ancestors_with_headers), None)
                if folder is not None:
                    public.add(folder)
                    break
    return tuple(h for h in headers if any(h.startswith(folder + "/") for folder in public))


def _ancestors(folder: str) -> list[str]:
    """``a/b/c`` -> ``a/b/c``, ``a/b``, ``a``, ``""`` (the tree's root)."""
    out = []
    while folder:
        out.append(folder)
        folder = posixpath.dirname(folder)
    return [*out, ""]


def installed_headers(tree_files: Collection[str], rel: str, folder: bool) -> list[str]:
    """The tree's headers a build's install command names: the file ``rel`` (when it is a
    header of the tree), or every header below the folder ``rel``."""
    if not folder:
        return [rel] if rel in tree_files and posixpath.splitext(rel)[1] in HEADER_EXTENSIONS else []
    prefix = rel.rstrip("/") + "/"
    return [
        f
        for f in sorted(tree_files)
        if f.startswith(prefix) and posixpath.splitext(f)[1] in HEADER_EXTENSIONS
    ]
