"""The one path policy for what a package names: a path is used only when it stays
inside the tree after ``..`` and links are resolved. Everything that turns a name from
the package (a workflow's ``package-dir``, a script a CI job calls, a config file) into
a path goes through :func:`inside`."""

from __future__ import annotations

from pathlib import Path


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
