"""Is this line compiled for a target model?  Three answers: 1, 0 or None (maybe).

Every ``#if`` condition is evaluated under each target model's predefined macros plus the
macros the scanned tree defines itself. A tree macro's definition counts when the branch
that holds it is taken (evaluated the same way, recursively); include guards and
``#ifndef X / #define X`` defaults are handled by assuming X undefined while deciding
whether its own definition is reached. Macros that neither the model nor the tree
defines are either known compiler macros (so undefined: 0) or build flags (None).
"""

from __future__ import annotations

import posixpath
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from analyzer.model import Language, TargetModel
from analyzer.native import cexpr
from analyzer.native.preproc import MacroDef, PreprocStructure
from analyzer.native.reach import propagate_reach
from analyzer.targets import load_system_headers
from analyzer.tri import MAYBE, Value, and3


@dataclass(frozen=True)
class FileStructure:
    """What the guard model needs from one C/C++ file (small, picklable)."""

    path: str
    language: Language
    is_header: bool
    structure: PreprocStructure


class TreeMacros:
    """Tree-wide index: which file includes which, and where each macro is defined."""

    def __init__(self, files: list[FileStructure], system_headers: frozenset[str] | None = None) -> None:
        self.files = {f.path: f for f in files}
        self.system_headers = load_system_headers() if system_headers is None else system_headers
        self._by_basename: dict[str, list[str]] = defaultdict(list)
        for path in self.files:
            self._by_basename[posixpath.basename(path)].append(path)
        self.includes: dict[str, list[str]] = {}
        self.included_by: dict[str, list[str]] = defaultdict(list)
        # includer -> included file -> the first line including it (macro order).
        self._first_include: dict[str, dict[str, int]] = {}
        for f in files:
            resolved = []
            first: dict[str, int] = {}
            for inc in f.structure.includes:
                target = self.resolve_include(f.path, inc.target, inc.angled)
                if target is not None:
                    resolved.append(target)
                    self.included_by[target].append(f.path)
                    if target != f.path:
                        first[target] = min(first.get(target, inc.line), inc.line)
            self.includes[f.path] = resolved
            self._first_include[f.path] = first
        self.definitions: dict[str, list[tuple[str, MacroDef]]] = defaultdict(list)
        for f in files:
            for macro in f.structure.defines:
                self.definitions[macro.name].append((f.path, macro))
        self._visible: dict[str, frozenset[str]] = {}
        self._function_like: frozenset[str] | None = None

    def resolve_include(self, from_path: str, target: str, angled: bool = False) -> str | None:
        """The tree file an include names: beside the includer first, then by suffix. An
        angle-bracket include of a system header name is the system's."""
        target = target.replace("\\", "/")
        if angled and target in self.system_headers:
            return None
        beside = posixpath.normpath(posixpath.join(posixpath.dirname(from_path), target))
        if beside in self.files:
            return beside
        candidates = [
            p
            for p in self._by_basename.get(posixpath.basename(target), [])
            if p == target or p.endswith("/" + target)
        ]
        if not candidates:
            return None
        # Prefer the candidate sharing the longest directory prefix with the includer.
        return max(candidates, key=lambda p: (len(posixpath.commonprefix([p, from_path])), p))

    def reachable_from(self, starts: Iterable[str]) -> set[str]:
        """The tree files among ``starts``, and every file they include, directly or not
        (whatever the conditions)."""
        return self._closure((start for start in starts if start in self.files), self.includes)

    def _closure(self, starts: Iterable[str], edges: dict[str, list[str]]) -> set[str]:
        seen = set(starts)
        todo = list(seen)
        while todo:
            for nxt in edges.get(todo.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    def before(self, def_path: str, def_line: int, path: str, line: int) -> bool:
        """Can a definition at ``def_line`` of ``def_path`` be in effect at ``line`` of
        ``path``? Preprocessing is in order: not if it comes later in the same file, in a
        header ``path`` includes (directly) only after ``line``, or after the
        ``#include`` of ``path`` in a file that includes it directly. Otherwise (files
        further away, whose order is not tracked) it can."""
        if def_path == path:
            return def_line < line
        first = self._include_lines(path).get(def_path)
        if first is not None:
            return first < line
        including = self._included_at(def_path, path)
        if including is not None:
            return def_line < including
        return True

    def _include_lines(self, path: str) -> dict[str, int]:
        """File -> the first line of ``path`` that includes it directly. (Files reached
        through longer chains are not ordered: on deep chains that would cost quadratic
        time.)"""
        return self._first_include.get(path, {})

    def _included_at(self, includer: str, path: str) -> int | None:
        """The line where ``includer`` includes ``path`` directly (the first), if it does."""
        return self._first_include.get(includer, {}).get(path)

    def function_like_names(self) -> frozenset[str]:
        """Names of the function-like macros the tree defines."""
        if self._function_like is None:
            self._function_like = frozenset(
                name
                for name, found in self.definitions.items()
                if any(d.params is not None for _, d in found)
            )
        return self._function_like

    def visible(self, path: str) -> frozenset[str]:
        """Files whose definitions can reach ``path``: what it includes, and what includes it."""
        cached = self._visible.get(path)
        if cached is None:
            files = self._closure((path,), self.includes) | self._closure((path,), self.included_by)
            cached = frozenset(files)
            self._visible[path] = cached
        return cached


class _WalkResult(Protocol):
    cover: dict[str, dict[int, Value]]
    local: dict[str, dict[int, Value]]


class LoneUnitWalker(Protocol):
    """What a guard model needs of :class:`analyzer.native.units.UnitWalker` (which
    imports this module) to walk a unit on demand."""

    @property
    def result(self) -> _WalkResult: ...

    def walk(self, unit: str, level: Value) -> None: ...


class GuardModel:
    """Reachability of branches and lines under one target model."""

    def __init__(
        self,
        tree: TreeMacros,
        model: TargetModel,
        known_macros: frozenset[str],
        predefined_shape: re.Pattern[str] | None = None,
        build_macros: Mapping[str, Value] | None = None,
    ):
        self.tree = tree
        self.model = model
        self.known = known_macros
        # Macros the build defines (-D, define_macros) on this model: 1 defined for every
        # unit, 0 defined by no unit (the build names it on other models or paths only).
        self.build_macros: Mapping[str, Value] = build_macros or {}
        # Per file: compiled on this model (file_reach)? Set once reach is known: a file
        # no unit compiles here cannot define a macro here (a wrapper ``foo_avx2.c``
        # that defines USE_AVX2 and includes ``foo.c`` is not compiled on ARM64).
        self.compiled: Mapping[str, Value] = {}
        # Names shaped like compiler predefines: undefined here unless the tree defines them.
        self.predefined_shape = predefined_shape
        self._branch_memo: dict[tuple[str, int, frozenset[str]], Value] = {}
        self._in_progress: set[tuple[str, str, frozenset[str], int]] = set()
        self._enclosing_memo: dict[tuple[str, int], frozenset[int]] = {}
        self._condition_memo: dict[tuple[str, int, frozenset[str]], Value] = {}
        self.bad_expressions: dict[tuple[str, int], str] = {}
        # Files the per-unit walk judged (analyzer.native.units): per branch, compiled in
        # some unit (cover) and compiled given the file is (local). Other files (headers
        # nothing includes) are judged here, one file at a time.
        self._unit_cover: dict[str, Mapping[int, Value]] = {}
        self._unit_local: dict[str, Mapping[int, Value]] = {}
        # Units that include no tree file, walked when first asked about (their level).
        self._lazy_units: dict[str, Value] = {}
        self._walker: LoneUnitWalker | None = None
        # Units that include no tree file and are judged here: no other file's
        # definitions reach them.
        self._alone: frozenset[str] = frozenset()

    # -- public -----------------------------------------------------------------
    def line_state(self, path: str, line: int) -> Value:
        structure = self.tree.files[path].structure
        return self.branch_state(path, structure.owner(line))

    def branch_state(self, path: str, branch: int, assume: frozenset[str] = frozenset()) -> Value:
        """1: the branch body is compiled; 0: it is not; None: depends on the build."""
        walked = self._walked(path)
        if walked is not None:
            return walked.get(branch, 0)
        if branch < 0:
            return 1
        memo = self._branch_memo
        key = (path, branch, assume)
        if key in memo:
            return memo[key]
        # Evaluate outermost-first so that deep nesting costs no recursion depth.
        branches = self.tree.files[path].structure.branches
        chain = []
        index = branch
        while index >= 0 and (path, index, assume) not in memo:
            chain.append(index)
            index = branches[index].parent
        for index in reversed(chain):
            memo[(path, index, assume)] = MAYBE  # cycle guard while computing
            memo[(path, index, assume)] = self._compute_branch(path, index, assume)
        return memo[key]

    def condition_state(self, path: str, branch: int, assume: frozenset[str] = frozenset()) -> Value:
        """The branch's own condition (ignoring enclosing branches and earlier arms)."""
        structure = self.tree.files[path].structure
        b = structure.branches[branch]
        if b.kind == "else":
            return 1
        if branch == 0 and structure.include_guard is not None:
            return 1
        key = (path, branch, assume)
        if key in self._condition_memo:
            return self._condition_memo[key]
        try:
            node = cexpr.parse(b.condition)
        except cexpr.ExpressionError as exc:
            self.bad_expressions[(path, b.directive_line)] = str(exc)
            return MAYBE
        value = cexpr.evaluate(node, _Context(self, path, assume, b.directive_line))
        result: Value = None if value is None else int(value != 0)
        self._condition_memo[key] = result
        return result

    def taken_branch(self, path: str, group: int) -> int | None:
        """The arm of a group this model compiles: an index, -1 for none, None if unknown."""
        structure = self.tree.files[path].structure
        local = self._unit_local.get(path) if self._walked(path) is not None else None
        for index in structure.groups[group]:
            state = local.get(index, 0) if local is not None else self.branch_state(path, index)
            if state is None:
                return None
            if state:
                return index
        return -1

    # -- internals --------------------------------------------------------------
    def _compute_branch(self, path: str, branch: int, assume: frozenset[str]) -> Value:
        structure = self.tree.files[path].structure
        b = structure.branches[branch]
        parent = self.branch_state(path, b.parent, assume)
        if parent == 0:
            return 0
        own = self.condition_state(path, branch, assume)
        if own == 0:
            return 0
        result: Value = 1 if parent == 1 and own == 1 else MAYBE
        for earlier in b.prior:
            state = self.condition_state(path, earlier, assume)
            if state == 1:
                return 0
            if state is None:
                result = MAYBE
        return result

    def defined(self, path: str, name: str, assume: frozenset[str], line: int = 0) -> Value:
        """Is ``name`` defined at ``line`` of ``path`` (0: anywhere in it)?"""
        if name in assume:
            return 0
        if name in self.model.defines:
            return 1
        if self.build_macros.get(name) == 1:
            return 1
        if name == "__cplusplus":
            f = self.tree.files[path]
            if f.is_header:
                return MAYBE
            return int(f.language is Language.CPP)
        key = (path, name, assume, line)
        if key in self._in_progress:
            return MAYBE
        self._in_progress.add(key)
        try:
            return self._defined_by_tree(path, name, assume, line)
        finally:
            self._in_progress.discard(key)

    def _definition_state(
        self, def_path: str, macro: MacroDef, path: str, line: int, assume: frozenset[str]
    ) -> Value:
        """Is this definition in effect, seen from ``line`` of ``path``?"""
        if def_path == path and line:
            return self._state_where_compiled(path, macro.branch, self._enclosing(path, line), assume)
        return self.branch_state(def_path, macro.branch, assume)

    def _state_where_compiled(
        self, path: str, branch: int, enclosing: frozenset[int], assume: frozenset[str]
    ) -> Value:
        """Is ``branch`` taken, given that the directive whose enclosing branches are
        ``enclosing`` (same file) is compiled? A branch among them is taken; so is one
        that opens with the same condition (``#ifndef XXH_NO_XXH3`` twice in a header):
        correlated conditions that three-valued logic alone would leave "maybe"."""
        structure = self.tree.files[path].structure
        opening = {structure.branches[e].condition for e in enclosing if not structure.branches[e].prior}
        result: Value = 1
        while branch >= 0:
            b = structure.branches[branch]
            if branch in enclosing or (not b.prior and b.kind != "else" and b.condition in opening):
                branch = b.parent
                continue
            own = self.condition_state(path, branch, assume)
            for earlier in b.prior:
                state = self.condition_state(path, earlier, assume)
                if state == 1:
                    return 0
                if state is None:
                    own = and3(own, MAYBE)
            result = and3(result, own)
            if result == 0:
                return 0
            branch = b.parent
        return result

    def _enclosing(self, path: str, line: int) -> frozenset[int]:
        """The branches holding ``line`` of ``path`` (its owner and their parents)."""
        key = (path, line)
        cached = self._enclosing_memo.get(key)
        if cached is None:
            structure = self.tree.files[path].structure
            found: set[int] = set()
            branch = structure.owner(line)
            while branch >= 0:
                found.add(branch)
                branch = structure.branches[branch].parent
            cached = frozenset(found)
            self._enclosing_memo[key] = cached
        return cached

    def set_units(
        self,
        cover: dict[str, Mapping[int, Value]],
        local: dict[str, Mapping[int, Value]],
        lazy: Mapping[str, Value] | None = None,
        walker: LoneUnitWalker | None = None,
        alone: frozenset[str] = frozenset(),
    ) -> None:
        """Judge the files the per-unit walk reached by what it found (a file listed with
        no branches is compiled by no unit on this model). ``lazy``: units ``walker``
        walks when first asked about, at their level."""
        self._unit_cover = cover
        self._unit_local = local
        self._lazy_units = dict(lazy or {})
        self._walker = walker
        self._alone = alone
        self._branch_memo.clear()
        self._condition_memo.clear()

    def _walked(self, path: str) -> Mapping[int, Value] | None:
        found = self._unit_cover.get(path)
        if found is None and self._walker is not None and path in self._lazy_units:
            self._walker.walk(path, self._lazy_units.pop(path))
            found = self._unit_cover[path] = self._walker.result.cover[path]
            self._unit_local[path] = self._walker.result.local[path]
        return found

    def per_file(self) -> GuardModel:
        """The same model judging every file alone (what ``--all-code`` lists): no walk."""
        alone = GuardModel(self.tree, self.model, self.known, self.predefined_shape, self.build_macros)
        alone.compiled = self.compiled
        return alone

    def set_compiled(self, compiled: Mapping[str, Value]) -> None:
        """Use file reach from now on (the branch memo is cleared: answers may change)."""
        self.compiled = compiled
        self._branch_memo.clear()
        self._condition_memo.clear()

    def _relevant_definitions(self, path: str, name: str, line: int = 0) -> list[tuple[str, MacroDef]]:
        everywhere = self.tree.definitions.get(name, [])
        if self.compiled:
            everywhere = [(p, d) for p, d in everywhere if self.compiled.get(p) != 0]
        if line:
            everywhere = [(p, d) for p, d in everywhere if self.tree.before(p, d.line, path, line)]
        if path in self._alone:
            return [(p, d) for p, d in everywhere if p == path]
        visible = self.tree.visible(path)
        near = [(p, d) for p, d in everywhere if p in visible]
        # An include we could not resolve may still bring the definition in.
        return near or everywhere

    def _defined_by_tree(self, path: str, name: str, assume: frozenset[str], line: int) -> Value:
        definitions = self._relevant_definitions(path, name, line)
        inner = assume | {name}
        verdict: Value = 0
        undefined_maybe = False
        for def_path, macro in definitions:
            state = self._definition_state(def_path, macro, path, line, inner)
            if macro.undef:
                undefined_maybe = undefined_maybe or state != 0
            elif state == 1:
                verdict = 1
            elif state is None and verdict == 0:
                verdict = MAYBE
        if verdict == 1:
            return MAYBE if undefined_maybe else 1
        if verdict is None:
            return MAYBE
        if name in self.build_macros:
            return self.build_macros[name]  # 0 or MAYBE: whether the build defines it
        # The tree defines it (perhaps later than this line, or in a file not compiled
        # here, like an x86 dispatch unit): not a build flag, so undefined here.
        anywhere = self.tree.definitions.get(name, [])
        has_definitions = any(not m.undef for _, m in anywhere)
        if has_definitions or name in self.known:
            return 0
        if not definitions and self.predefined_shape is not None and self.predefined_shape.fullmatch(name):
            return 0  # the closed world: a compiler predefine this model does not have
        return MAYBE

    def value(self, path: str, name: str, assume: frozenset[str], line: int = 0) -> Value:
        if name in self.model.defines:
            return _literal_value(self.model.defines[name])
        is_defined = self.defined(path, name, assume, line)
        if is_defined == 0:
            return 0
        if is_defined is None:
            return MAYBE
        values = {
            m.value
            for p, m in self._relevant_definitions(path, name, line)
            if not m.undef and self._definition_state(p, m, path, line, assume | {name}) == 1
        }
        if len(values) != 1:
            return MAYBE
        text = values.pop()
        if not text:
            return MAYBE
        try:
            node = cexpr.parse(text)
        except cexpr.ExpressionError:
            return MAYBE
        return cexpr.evaluate(node, _Context(self, path, assume | {name}, line))


def file_reach(
    tree: TreeMacros,
    guards: Mapping[str, GuardModel],
    roots: frozenset[str] | Mapping[str, Mapping[str, Value]],
    unreached: Callable[[str, str], Value] | None = None,
) -> dict[str, dict[str, Value]]:
    """Per file and model: is the file compiled at all? For a translation unit, what the
    build says (1 on every model without a build model); for a file others include,
    the three-valued OR over its includers of "the includer is compiled AND its
    ``#include`` line is"; for a file no translation unit reaches even ignoring guards
    (a header nothing includes, or only a cycle of headers does) ``unreached``: MAYBE
    (what compiles it is unknown) unless the build lists every source on that model.
    A fixpoint over the include graph, so cycles end: every value only ever rises."""
    edges: dict[str, list[tuple[str, int]]] = defaultdict(list)  # header -> (includer, line)
    for path, f in tree.files.items():
        for inc in f.structure.includes:
            target = tree.resolve_include(path, inc.target, inc.angled)
            if target is not None and target != path:
                edges[target].append((path, inc.line))

    def included(includer: str, line: int, model: str) -> Value:
        return guards[model].line_state(includer, line)

    return propagate_reach(tree.files, roots, edges, tuple(guards), included, unreached)


def _literal_value(text: str) -> Value:
    try:
        node = cexpr.parse(text)
    except cexpr.ExpressionError:
        return MAYBE
    return cexpr.evaluate(node, _NoMacros())


class _NoMacros:
    def defined(self, name: str) -> Value:
        return MAYBE

    def value(self, name: str) -> Value:
        return MAYBE


class _Context:
    """A :class:`cexpr.Resolver` bound to one file and one set of assumptions."""

    def __init__(self, guards: GuardModel, path: str, assume: frozenset[str], line: int = 0) -> None:
        self.guards = guards
        self.path = path
        self.assume = assume
        self.line = line  # the directive being evaluated: later definitions do not count

    def defined(self, name: str) -> Value:
        return self.guards.defined(self.path, name, self.assume, self.line)

    def value(self, name: str) -> Value:
        return self.guards.value(self.path, name, self.assume, self.line)


# --- Rust cfg predicates -----------------------------------------------------------
_CFG_TOKEN = re.compile(r'\s*(?:(?P<id>[A-Za-z_][\w]*)|(?P<str>"(?:\\.|[^"\\])*")|(?P<op>[(),=]))')


def evaluate_cfg(text: str, cfg: Mapping[str, tuple[str, ...]]) -> Value:
    """Evaluate a Rust ``cfg(...)`` predicate body such as ``target_arch = "x86_64"``.

    Keys the target does not set (``feature = "simd"``, ``test``) are None: they depend
    on how the crate is built.
    """
    tokens: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text.rstrip()):
        match = _CFG_TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            return MAYBE
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        pos = match.end()
    result, end = _cfg_predicate(tokens, 0, cfg)
    return result if end == len(tokens) else MAYBE


_BUILD_DEPENDENT_KEYS = frozenset(
    {
        "feature",
        "test",
        "debug_assertions",
        "doc",
        "miri",
        "proc_macro",
        "panic",
        "target_has_atomic",
        "docsrs",
    }
)


def _cfg_predicate(
    tokens: list[tuple[str, str]], i: int, cfg: Mapping[str, tuple[str, ...]]
) -> tuple[Value, int]:
    if i >= len(tokens) or tokens[i][0] != "id":
        return MAYBE, len(tokens) + 1
    name = tokens[i][1]
    if name in ("all", "any", "not") and i + 1 < len(tokens) and tokens[i + 1][1] == "(":
        i += 2
        values: list[Value] = []
        while i < len(tokens) and tokens[i][1] != ")":
            value, i = _cfg_predicate(tokens, i, cfg)
            values.append(value)
            if i < len(tokens) and tokens[i][1] == ",":
                i += 1
        i += 1  # the closing parenthesis
        if name == "not":
            if len(values) != 1:
                return MAYBE, i
            return (None if values[0] is None else int(not values[0])), i
        if name == "all":
            if 0 in values:
                return 0, i
            return (MAYBE if None in values else 1), i
        if 1 in values:
            return 1, i
        return (MAYBE if None in values else 0), i
    if i + 2 < len(tokens) and tokens[i + 1][1] == "=" and tokens[i + 2][0] == "str":
        wanted = tokens[i + 2][1][1:-1]
        i += 3
        if name in cfg:
            return int(wanted in cfg[name]), i
        return (MAYBE if name in _BUILD_DEPENDENT_KEYS or not name.startswith("target_") else 0), i
    i += 1
    if name in cfg:
        return 1, i
    if name in ("unix", "wasm"):
        return 0, i
    return MAYBE, i
