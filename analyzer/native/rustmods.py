"""Which Rust files each target compiles: ``#[cfg(...)] mod x;`` gates the whole file
``x.rs`` (or ``x/mod.rs``, or a ``#[path]``) and every module below it.

Crate roots are the files Cargo builds without being declared (``lib.rs``, ``main.rs``,
``build.rs`` and the files of ``bin/``, ``examples/``, ``tests/``, ``benches/``). A file
is compiled on a model when some declaring file is, and the declaration's ``cfg`` holds
there; a file no root reaches even ignoring ``cfg`` is unknown (MAYBE), like a C header
nothing includes. Only the files' text is read; nothing is built.
"""

from __future__ import annotations

import posixpath
import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from analyzer.model import Language
from analyzer.native import treesitter
from analyzer.native.guards import evaluate_cfg
from analyzer.native.preproc import mask_comments_and_strings
from analyzer.native.reach import propagate_reach
from analyzer.tri import MAYBE, Value

_MOD_DECL = re.compile(rb"\bmod\s+(?:r#)?([A-Za-z_]\w*)\s*;")
_PATH_ATTR = re.compile(rb'#\[\s*path\s*=\s*"([^"\n]+)"\s*\]\s*$')
_ROOT_NAMES = frozenset({"lib.rs", "main.rs", "build.rs"})
_ROOT_DIRS = frozenset({"bin", "examples", "tests", "benches"})
_MOD_RS = frozenset({"lib.rs", "main.rs", "mod.rs", "build.rs"})


@dataclass(frozen=True)
class ModDecl:
    parent: str
    child: str
    predicates: tuple[str, ...]  # cfg(...) bodies on the declaration and around it


def is_crate_root(rel: str) -> bool:
    parts = rel.split("/")
    return parts[-1] in _ROOT_NAMES or (len(parts) > 1 and parts[-2] in _ROOT_DIRS)


def declarations(rel: str, data: bytes, known: set[str]) -> list[ModDecl]:
    """The ``mod x;`` declarations of one file that resolve to files in ``known``."""
    masked = mask_comments_and_strings(data)
    matches = list(_MOD_DECL.finditer(masked))
    if not matches:
        return []
    tree = treesitter.parse(data, Language.RUST)
    directory = posixpath.dirname(rel)
    name = posixpath.basename(rel)
    base = directory if name in _MOD_RS else posixpath.join(directory, name.removesuffix(".rs"))
    out = []
    for m in matches:
        line_start = data.rfind(b"\n", 0, m.start()) + 1
        before = data[max(0, line_start - 512) : line_start].rstrip()
        path_attr = _PATH_ATTR.search(before)
        module = m.group(1).decode("ascii")
        if path_attr is not None:
            candidates = [
                posixpath.normpath(posixpath.join(directory, path_attr.group(1).decode("utf-8", "replace")))
            ]
        else:
            candidates = [posixpath.join(base, f"{module}.rs"), posixpath.join(base, module, "mod.rs")]
        child = next((c.removeprefix("./") for c in candidates if c.removeprefix("./") in known), None)
        if child is None or child == rel:
            continue
        predicates = tuple(treesitter.rust_cfg_predicates(tree, data, m.start()))
        out.append(ModDecl(rel, child, predicates))
    return out


def _cfg_state(predicates: tuple[str, ...], cfg: Mapping[str, tuple[str, ...]]) -> Value:
    state: Value = 1
    for predicate in predicates:
        value = evaluate_cfg(predicate, cfg)
        if value == 0:
            return 0
        if value is None:
            state = MAYBE
    return state


def rust_reach(
    sources: Mapping[str, bytes], models: Mapping[str, Mapping[str, tuple[str, ...]]]
) -> dict[str, dict[str, Value]]:
    """Per Rust file and model (name -> Rust cfg): is the file compiled at all?"""
    known = set(sources)
    decls = [d for rel, data in sources.items() for d in declarations(rel, data, known)]
    parents: dict[str, list[tuple[str, ModDecl]]] = defaultdict(list)
    for d in decls:
        parents[d.child].append((d.parent, d))

    def declared(parent: str, decl: ModDecl, model: str) -> Value:
        return _cfg_state(decl.predicates, models[model])

    roots = {rel for rel in sources if is_crate_root(rel)}
    return propagate_reach(sources, roots, parents, tuple(models), declared)
