"""The one path policy for what a package names: a path is used only when it stays
inside the tree after ``..`` and links are resolved. Everything that turns a name from
the package (a workflow's ``package-dir``, a script a CI job calls, a config file) into
a path goes through :func:`inside`."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

# The suffixes of C and C++ headers (what a unit includes, what a package installs).
HEADER_EXTENSIONS = frozenset({".h", ".hpp", ".hh", ".hxx", ".h++", ".inl", ".ipp", ".tcc"})
# Folders no walk enters: version control, environments, build output, caches.
DEFAULT_SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".tox",
        ".nox",
        ".venv",
        "venv",
        "node_modules",
        "__pycache__",
        "build",
        "dist",
        "_skbuild",
        ".eggs",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        "target",
    }
)
# Folders holding another project's copy (skipped unless --include-vendored).
VENDORED_DIRS = frozenset(
    {
        "vendor",
        "vendored",
        "third_party",
        "third-party",
        "thirdparty",
        "3rdparty",
        "3rd-party",
        "extern",
        "external",
    }
)

# What a compile may #include besides headers: textual fragments (.inc tables).
INCLUDED_EXTENSIONS = HEADER_EXTENSIONS | {".inc"}
# What a build requirement's wheel ships for a build to include: C/C++ and Cython's own.
BUILD_INCLUDE_EXTENSIONS = INCLUDED_EXTENSIONS | {".pxd", ".pxi"}


def inside(root: Path, rel: str, *, allow_root: bool = False) -> Path | None:
    """``root/rel`` resolved, when it is ``root`` itself (with ``allow_root``) or below
    it; None for anything that leaves the tree or cannot be resolved."""
    try:
        base = root.resolve()
        path = (base / rel).resolve()
    except (OSError, RuntimeError, ValueError):
        return None
    if path == base:
        return path if allow_root else None
    return path if base in path.parents else None


def inside_file(root: Path, rel: str) -> Path | None:
    """As :func:`inside`, for a regular file."""
    path = inside(root, rel)
    return path if path is not None and path.is_file() else None


def may_leave_tree(name: str) -> bool:
    """Can a path a package writes in its text (an ``include "..."``, an ``.incbin``
    operand) lead outside the tree, whatever folder it is resolved from? Absolute, a
    drive or home prefix, or a ``..`` part: yes. Decided from the name alone."""
    return name.startswith(("/", "\\", "~")) or ":" in name or ".." in re.split(r"[/\\]", name)


def compiler_overlay(allowed: list[Path]) -> str:
    """A clang virtual file system overlay (``-ivfsoverlay``) in which only ``allowed``
    directories exist: with ``fallthrough: false`` clang cannot open any other file, so
    ``#include "/etc/passwd"``, ``-I/home``, ``#include "../../x"`` out of the tree and
    ``#embed`` of a secret all end in "file not found". The compiler enforces it; no
    reading of the package's directives can be fooled by a macro-computed name."""
    roots = []
    for directory in dict.fromkeys(p.resolve() for p in allowed):
        quoted = json.dumps(str(directory))
        roots.append(f"{{'type': 'directory-remap', 'name': {quoted}, 'external-contents': {quoted}}}")
    return (
        "{'version': 0, 'fallthrough': false, 'case-sensitive': true, 'roots': [\n  "
        + ",\n  ".join(roots)
        + "\n]}\n"
    )


# Assembler directives that read a file (the integrated assembler does not go through
# clang's file system overlay): `.incbin "f"` copies its bytes into the object, `.include
# "f"` assembles it. Spelled inside C strings (`\"`) or in .S files.
_ASM_READ = re.compile(
    rb'(?:^|(?<=["\s;:])|(?<=\\n)|(?<=\\t))\.(incbin|include)[ \t]+(\\?["\']?)([^"\'\\\s,;)]*)', re.M
)


def asm_reads_outside(text: bytes) -> list[str]:
    """The operands of ``.incbin``/``.include`` directives in ``text`` that could read a
    file outside the tree: absolute, with a ``..`` part, or not a plain quoted name (a
    macro argument, an expression). Plain relative names resolve in the tree."""
    outside = []
    for match in _ASM_READ.finditer(text):
        quote, name = match.group(2), match.group(3).decode("utf-8", "replace")
        if not quote.endswith((b'"', b"'")) or not name or may_leave_tree(name):
            outside.append(f".{match.group(1).decode()} {name or '(computed)'}")
    return outside


def links_outside(root: Path, limit: int = 200_000) -> list[str]:
    """Tree-relative names of symbolic links in ``root`` that lead outside it (or
    nowhere): a compile that follows one reads what the tree does not hold."""
    found: list[str] = []
    base = root.resolve()
    seen = 0
    for directory, dirs, files in os.walk(base, followlinks=False):
        for name in dirs + files:
            seen += 1
            if seen > limit:
                return found
            path = Path(directory) / name
            if path.is_symlink() and inside(base, str(path.relative_to(base))) is None:
                found.append(path.relative_to(base).as_posix())
    return found


def repository_root(path: Path) -> Path | None:
    """The git work tree holding ``path`` (a ``.git`` directory or file in it or an
    ancestor), found on disk: no git process runs, since a scanned tree's own git
    configuration could make one run commands."""
    here = path.resolve()
    for candidate in (here, *here.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def default_cache_dir() -> Path:
    """woaport's cache folder (LOCALAPPDATA on Windows, else XDG_CACHE_HOME or ~/.cache).
    Here, not in the precise cache's module, so that asking for it imports nothing."""
    if sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"]) / "woaport" / "cache"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "woaport"
