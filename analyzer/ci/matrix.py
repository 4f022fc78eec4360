"""A job's ``strategy.matrix`` expanded exactly as GitHub documents it ("Using a matrix
for your jobs"): the cartesian product of the keys, then ``exclude`` (a combination is
dropped when every key of an exclude entry matches it, partial entries included), then
``include``: each entry extends every combination in which none of the *original* matrix
values would be overwritten (values added by an earlier include may be); an entry that
extends no combination is added as a new one.

Values stay as YAML gives them (strings, numbers, mappings such as maturin's
``platform: {runner, target}`` rows). An expression that cannot be known (``fromJSON``
of another job's output) makes the whole matrix unknown, never a guess.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from analyzer.ci.expr import substitute
from analyzer.limits import CI_LIMITS
from analyzer.tri import UNKNOWN


@dataclass(frozen=True)
class Expansion:
    cells: tuple[dict[str, Any], ...]
    unknown: str = ""  # why the cells cannot be known ("" when they can)


def plain(value: Any) -> Any:
    """ruamel's commented containers as plain dicts and lists (for comparisons)."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def _matches(entry: Mapping[str, Any], cell: Mapping[str, Any]) -> bool:
    """Every key of ``entry`` is in ``cell`` with an equal value (a mapping value
    matches when its own keys match: GitHub compares objects key by key)."""
    for key, wanted in entry.items():
        if key not in cell:
            return False
        have = cell[key]
        if isinstance(wanted, Mapping) and isinstance(have, Mapping):
            if not _matches(wanted, have):
                return False
        elif _scalar(wanted) != _scalar(have):
            return False
    return True


def _scalar(value: Any) -> Any:
    # YAML 3.10 is a float; the matrix value GitHub substitutes is its text.
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(value)
    return str(value) if isinstance(value, (int, float)) else value


def expand(matrix: Any, context: Mapping[str, Any], limit: int = CI_LIMITS.max_cells) -> Expansion:
    """The combinations of ``matrix`` (the ``strategy.matrix`` value). ``context`` is for
    expressions (``fromJSON`` of a literal, ``env``...)."""
    if matrix is None:
        return Expansion(({},))
    matrix = substitute(matrix, context) if isinstance(matrix, str) else matrix
    if matrix is UNKNOWN:
        return Expansion((), "the matrix is computed when the workflow runs")
    if not isinstance(matrix, Mapping):
        return Expansion((), "the matrix is not a mapping")
    axes: list[tuple[str, list[Any]]] = []
    include: Any = []
    exclude: Any = []
    for key, raw in matrix.items():
        value = substitute(raw, context)
        if value is UNKNOWN:
            return Expansion((), f"matrix.{key} is computed when the workflow runs")
        if key == "include":
            include = value
        elif key == "exclude":
            exclude = value
        elif isinstance(value, list):
            axes.append((str(key), [plain(substitute(v, context)) for v in value]))
        else:
            return Expansion((), f"matrix.{key} is not a list")
    for entries in (include, exclude):
        if not isinstance(entries, list) or not all(isinstance(e, Mapping) for e in entries):
            return Expansion((), "include/exclude is not a list of mappings")
    if any(v is UNKNOWN for _, values in axes for v in values):
        return Expansion((), "a matrix value is computed when the workflow runs")
    size = 1
    for _, values in axes:
        size *= len(values)
        if size > limit:
            return Expansion((), f"the matrix has more than {limit} combinations")
    original_keys = {k for k, _ in axes}
    cells: list[dict[str, Any]] = (
        [
            dict(zip([k for k, _ in axes], combo, strict=True))
            for combo in itertools.product(*(v for _, v in axes))
        ]
        if axes
        else []
    )
    if any(not values for _, values in axes):
        cells = []  # an empty axis: no combination (GitHub then runs only the includes)
    excluded = [plain(e) for e in exclude]
    cells = [c for c in cells if not any(_matches(e, c) for e in excluded)]
    originals = len(cells)  # combinations an include may extend (not ones added by include)
    for raw_entry in include:
        entry = {str(k): plain(substitute(v, context)) for k, v in raw_entry.items()}
        if any(v is UNKNOWN for v in entry.values()):
            return Expansion((), "an include entry is computed when the workflow runs")
        fixed = {k: v for k, v in entry.items() if k in original_keys}
        extended = False
        for cell in cells[:originals]:
            if all(_scalar(cell.get(k)) == _scalar(v) or cell.get(k) == v for k, v in fixed.items()):
                cell.update(entry)
                extended = True
        if not extended:
            cells.append(dict(entry))
        if len(cells) > limit:
            return Expansion((), f"the matrix has more than {limit} combinations")
    return Expansion(tuple(cells))


def flatten(cell: Mapping[str, Any], prefix: str = "") -> tuple[tuple[str, str], ...]:
    """A cell's values as ``(key, text)`` pairs, nested mappings dotted (``platform.runner``)."""
    out: list[tuple[str, str]] = []
    for key, value in cell.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.extend(flatten(value, name + "."))
        else:
            out.append((name, str(_scalar(value)) if not isinstance(value, str) else value))
    return tuple(out)
