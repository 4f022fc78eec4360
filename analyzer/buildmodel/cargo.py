"""Cargo manifests, read as TOML: which file is a crate's library root."""

from __future__ import annotations

import posixpath
import tomllib
from collections.abc import Callable

from analyzer.safeload import toml_loads


def crate_root(
    files: frozenset[str], read_text: Callable[[str], str | None], manifest: str
) -> tuple[str, str]:
    """(library root file, crate name) of the Cargo crate whose manifest is ``manifest``."""
    folder = posixpath.dirname(manifest)
    text = read_text(manifest) if manifest in files else None
    try:
        cargo = toml_loads(text) if text is not None else {}
    except tomllib.TOMLDecodeError:
        cargo = {}
    library = cargo.get("lib", {}) if isinstance(cargo.get("lib"), dict) else {}
    package = cargo.get("package", {}) if isinstance(cargo.get("package"), dict) else {}
    given = library.get("path")
    root = given if isinstance(given, str) else "src/lib.rs"
    name = library.get("name") or package.get("name") or ""
    return posixpath.normpath(posixpath.join(folder, root)), str(name)
