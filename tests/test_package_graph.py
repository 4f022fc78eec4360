"""The package import graph: every ``import`` counts, at module level, inside functions
and under ``TYPE_CHECKING`` alike, because each is a dependency a reader must follow.

Nodes are ``analyzer``'s sub-packages and top-level modules. The graph has no cycle
(issue 28). The ground floor (``tri``, ``model``, then ``targets``, ``fallbacks`` and
``findings`` on it) imports nothing above it; the scan's result, which carries the rules,
is ``result``, above them.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.paths import REPO

PACKAGE = REPO / "analyzer"
# Each ground-floor node and what it may import: the vocabulary every stage shares.
GROUND_FLOOR = {
    "errors": set[str](),
    "tri": set[str](),
    "model": set[str](),
    "targets": {"model"},
    "fallbacks": {"targets"},
    "filekinds": {"model"},
    "findings": {"fallbacks", "filekinds", "model", "tri"},
}


def _node(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "analyzer" else None


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                found.add(".".join([*base, *([node.module] if node.module else [])]))
            elif node.module == "analyzer":
                found.update(f"analyzer.{alias.name}" for alias in node.names)
            elif node.module:
                found.add(node.module)
    return found


def package_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        source = _node(_module_name(path))
        if source is None:
            continue
        targets = {_node(name) for name in _imports(path)}
        graph.setdefault(source, set()).update(t for t in targets if t and t != source and t != "__version__")
    return graph


def strongly_connected(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """Tarjan's algorithm, iteratively: the groups of more than one node."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[frozenset[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work: list[tuple[str, list[str]]] = [(start, sorted(graph.get(start, ())))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, pending = work[-1]
            if pending:
                child = pending.pop()
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, sorted(graph.get(child, ()))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                group: set[str] = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.add(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(frozenset(group))
    return groups


def test_the_tarjan_helper_finds_a_planted_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert strongly_connected(graph) == [frozenset({"a", "b", "c"})]
    assert strongly_connected({"a": {"b"}, "b": set()}) == []


def test_the_package_graph_has_no_cycle() -> None:
    groups = strongly_connected(package_graph())
    assert not groups, f"import cycles between packages: {[sorted(g) for g in groups]}"


def test_the_engine_layers_import_downwards() -> None:
    """The order the pipeline runs in: the kinds below the engines that run them, the
    engines below the rule loader and the scan."""
    graph = package_graph()
    below = {
        "findings": {"kinds", "native", "buildmodel", "rules", "project"},
        "buildmodel": {"kinds", "native", "rules", "buildfiles", "precise", "project"},
        "kinds": {"native", "rules", "buildfiles", "precise", "project"},
        "native": {"rules", "buildfiles", "precise", "project"},
        "precise": {"rules", "scan", "project"},
        # The stages that open a tree sit below everything that judges, proves or fixes it.
        "project": {"scan", "prove", "fix", "cli", "survey", "status", "report"},
    }
    for node, above in below.items():
        assert not graph.get(node, set()) & above, (node, graph.get(node, set()) & above)


def test_the_ground_floor_imports_nothing_above_it() -> None:
    graph = package_graph()
    for module, allowed in GROUND_FLOOR.items():
        assert graph.get(module, set()) <= allowed, (module, graph.get(module))


def test_the_ci_package_is_outside_every_cycle() -> None:
    graph = package_graph()
    assert "ci" in graph
    for group in strongly_connected(graph):
        assert "ci" not in group
