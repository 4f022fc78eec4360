"""Which files a build compiles, per model: a three-valued fixpoint over a graph of files
(C ``#include``s, Rust ``mod`` declarations) whose edges hold on some models only.

A root (a translation unit, a crate root) is compiled (1). Any other file is compiled on
a model when some parent is AND the edge to it holds there (three-valued OR over the
parents). A file no root reaches even ignoring the edges' conditions is unknown (MAYBE):
nothing known compiles it. Values only ever rise (0 < MAYBE < 1), so cycles end.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import TypeVar

from analyzer.tri import MAYBE, Value, and3, or3

E = TypeVar("E")  # what an edge carries (an include line, a mod declaration's cfgs)


def propagate_reach(
    nodes: Iterable[str],
    roots: Collection[str] | Mapping[str, Mapping[str, Value]],
    incoming: Mapping[str, list[tuple[str, E]]],
    models: Collection[str],
    holds: Callable[[str, E, str], Value],
    unreached: Callable[[str, str], Value] | None = None,
) -> dict[str, dict[str, Value]]:
    """Per node and model: compiled? ``incoming[child]`` lists ``(parent, edge)``;
    ``holds(parent, edge, model)`` says whether the edge is taken on ``model``.

    ``roots`` are compiled on every model, or (a mapping) on the models their values
    say: a build that compiles a source only on some models. ``unreached(node, model)``
    is the value of a node no root reaches (MAYBE unless a build model lists every
    compiled source of the node's project there: then 0)."""
    start_of: Mapping[str, Mapping[str, Value]] = (
        roots if isinstance(roots, Mapping) else {root: dict.fromkeys(models, 1) for root in roots}
    )
    children: dict[str, list[str]] = defaultdict(list)
    for child, parents in incoming.items():
        for parent, _ in parents:
            children[parent].append(child)
    reached = set(start_of)
    todo = list(start_of)
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in reached:
                reached.add(child)
                todo.append(child)
    reach: dict[str, dict[str, Value]] = {}
    for node in nodes:
        if node in start_of:
            reach[node] = {m: start_of[node].get(m, 1) for m in models}
        elif node in reached:
            reach[node] = dict.fromkeys(models, 0)
        else:
            reach[node] = {m: unreached(node, m) if unreached is not None else MAYBE for m in models}
    todo = [node for node in reach if node in reached]
    while todo:
        node = todo.pop()
        changed = False
        own = start_of.get(node)
        for model in models:
            value: Value = own.get(model, 1) if own is not None else 0
            if value != 1:
                for parent, edge in incoming.get(node, ()):
                    value = or3(value, and3(reach[parent][model], holds(parent, edge, model)))
                    if value == 1:
                        break
            if value != reach[node][model]:
                reach[node][model] = value
                changed = True
        if changed:
            todo.extend(children.get(node, ()))
    return reach
