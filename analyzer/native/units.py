"""The per-translation-unit walk: each unit is preprocessed the way a compiler would, in
order, following its ``#include``s into tree files, with one macro table per unit.

Macro state is three-valued (defined / undefined / unknown) and carried in order: a
``#define`` affects only what comes after it in the same unit, include guards are
ordinary ``#ifndef``s, and a header is judged in every context that reaches it. Where a
condition is "maybe", each arm is walked from the same state and the states are joined
at ``#endif`` (a macro the arms leave different becomes unknown).

What the walk records, per model, is the union over units:

* ``files[path]``: the file is compiled (1), maybe (None) or not (0) by some unit;
* ``cover[path][branch]``: the branch's lines are compiled in some unit, including the
  file's own reach (branch -1 is the top level);
* ``local[path][branch]``: the same, given the file is compiled (an ``#if`` ladder's arm
  is "the one taken" even in a header reached under a build-dependent condition).

A header reached by many units is walked once per distinct macro context: when its walk
ends, the macros it read (and their values on entry) and the macros it left changed are
kept; a later entry whose table agrees on the read macros replays the changes instead of
walking the header again. A walk that exceeds its work budget raises
:class:`WalkTooLong`; the caller falls back to the per-file view.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import cast

from analyzer.model import Language, TargetModel
from analyzer.native import cexpr
from analyzer.native.guards import TreeMacros
from analyzer.native.preproc import Branch, MacroDef
from analyzer.tri import MAYBE, Value, and3, or3

# A macro's state in a unit: (defined, replacement text). The text is None when it is not
# known (the build's -D without a value, arms that define different values) or the macro
# is function-like.
Entry = tuple[Value, str | None]
UNDEFINED: Entry = (0, None)
UNKNOWN: Entry = (MAYBE, None)

_DEFINED_TEST = re.compile(r"\s*(!)?\s*defined\s*(?:\(\s*(\w+)\s*\)|\s+(\w+))\s*$")
# Event kinds, in the order a file's directives come.
_OPEN, _ARM, _ENDIF, _DEFINE, _INCLUDE = range(5)
# Headers whose walk starts deeper than this are walked without a summary: building one
# scans the macro reads of everything under it, which on a chain thousands deep would cost
# quadratic time.
MAX_SUMMARY_DEPTH = 48
# Distinct macro contexts kept per header (and entry level); more are walked, not kept.
MAX_SUMMARIES = 16
# Events walked per model before the walk gives up (the per-file view takes over).
DEFAULT_BUDGET = 4_000_000


class WalkTooLong(Exception):
    """The walk needed more work than its budget."""


@dataclass(frozen=True)
class Events:
    """A file's directives as the walk needs them, in line order."""

    items: tuple[tuple[int, int, object], ...]  # (kind, line, payload)
    # For an arm's event: the index of the next arm or the #endif of its group.
    arm_end: Mapping[int, int]
    # ``#ifndef X`` arms that define X: include guards (a whole file's, or an amalgamated
    # section's) and defaults (``#ifndef LEVEL / #define LEVEL 2``): branch index -> X.
    guards: Mapping[int, str]
    branches: Sequence[Branch]
    # ``defined(X)`` and ``!defined(X)`` conditions (most of them): branch -> (X, negated).
    simple: Mapping[int, tuple[str, bool]]


@dataclass
class UnitCover:
    """What the walk found on one model (the union over units)."""

    files: dict[str, Value] = field(default_factory=dict)
    cover: dict[str, dict[int, Value]] = field(default_factory=dict)
    local: dict[str, dict[int, Value]] = field(default_factory=dict)
    units: int = 0
    header_walks: int = 0  # headers walked (not replayed)
    replays: int = 0  # header entries answered by a kept summary


def _events_of(tree: TreeMacros, path: str) -> Events:
    structure = tree.files[path].structure
    # (line, kind, tie-break, payload). One directive per line: ties are the #endifs of
    # groups left open at the end of the file, which close innermost (latest) first;
    # the tie-break is unique, so payloads are never compared.
    items: list[tuple[int, int, int, object]] = []
    for branch in structure.branches:
        items.append((branch.directive_line, _OPEN if not branch.prior else _ARM, 0, branch.index))
    for group in structure.groups:
        last = structure.branches[group[-1]]
        index = structure.branches[group[0]].group
        items.append((last.body_end + 1, _ENDIF, -index, index))
    for number, macro in enumerate(structure.defines):
        items.append((macro.line, _DEFINE, number, macro))
    for number, include in enumerate(structure.includes):
        target = tree.resolve_include(path, include.target, include.angled)
        if target is not None:
            items.append((include.line, _INCLUDE, number, target))
    items.sort(key=lambda item: item[:3])
    ordered = tuple((kind, line, payload) for line, kind, _, payload in items)
    arm_end: dict[int, int] = {}
    open_arm: dict[int, int] = {}  # group -> event index of its current arm
    for index, (kind, _, payload) in enumerate(ordered):
        if kind in (_OPEN, _ARM, _ENDIF):
            group_index = (
                structure.branches[cast(int, payload)].group if kind != _ENDIF else cast(int, payload)
            )
            if group_index in open_arm:
                arm_end[open_arm.pop(group_index)] = index
            if kind != _ENDIF:
                open_arm[group_index] = index
    simple: dict[int, tuple[str, bool]] = {}
    for branch in structure.branches:
        test = _DEFINED_TEST.match(branch.condition)
        if test is not None:
            simple[branch.index] = (test.group(2) or test.group(3), bool(test.group(1)))
    guards: dict[int, str] = {}
    defined_in: dict[str, list[int]] = {}
    for macro in structure.defines:
        if not macro.undef:
            defined_in.setdefault(macro.name, []).append(macro.line)
    for index, (name, negated) in simple.items():
        branch = structure.branches[index]
        if (
            negated
            and not branch.prior
            and any(branch.body_start <= line <= branch.body_end for line in defined_in.get(name, ()))
        ):
            guards[index] = name
    return Events(ordered, arm_end, guards, structure.branches, simple)


class TreeEvents:
    """What the walk needs of a tree, whatever the model: each file's events (built on
    first use) and the macros that can matter to a condition."""

    def __init__(self, tree: TreeMacros, relevant: frozenset[str] | None = None) -> None:
        self.tree = tree
        self._events: dict[str, Events] = {}
        self.relevant = _condition_macros(tree) if relevant is None else relevant

    def of(self, path: str) -> Events:
        events = self._events.get(path)
        if events is None:
            events = self._events[path] = _events_of(self.tree, path)
        return events


def _condition_macros(tree: TreeMacros) -> frozenset[str]:
    """Names an ``#if`` can depend on: those its conditions mention, and those their
    definitions' replacement texts mention, transitively. A ``#define`` of any other name
    (most of a header's macros are helpers no condition reads) changes nothing the walk
    decides, so it is not tracked."""
    relevant: set[str] = set()
    for f in tree.files.values():
        for branch in f.structure.branches:
            if branch.condition:
                relevant |= cexpr.mentioned_identifiers(branch.condition)
    todo = list(relevant)
    while todo:
        for _, macro in tree.definitions.get(todo.pop(), ()):
            if macro.value:
                for name in cexpr.mentioned_identifiers(macro.value) - relevant:
                    relevant.add(name)
                    todo.append(name)
    return frozenset(relevant)


@dataclass
class _Group:
    index: int
    outer: Value  # the in-file level outside the group
    prior: Value = 0  # OR of the earlier arms' conditions
    forked: bool = False  # some arm was walked from a copy of the state
    arm_forked: bool = False  # the current arm is walked from a copy
    arm_mark: int = 0  # undo-log length when the current arm began
    outcomes: list[dict[str, Entry | None]] = field(default_factory=list)


@dataclass
class _Frame:
    path: str
    events: Events
    level: Value  # the file's entry level (1, or None under a build-dependent #include)
    depth: int
    cover: dict[int, Value]  # the walk's records for this file (UnitCover.cover/local)
    local: dict[int, Value]
    pos: int = 0
    in_file: Value = 1  # level inside the file (given it is compiled)
    groups: list[_Group] = field(default_factory=list)
    summarise: bool = False
    start_stamp: int = 0
    read_start: int = 0
    write_start: int = 0
    pure: bool = True  # no include was skipped because it was already open


@dataclass(frozen=True)
class _Summary:
    reads: tuple[tuple[str, Entry], ...]
    writes: tuple[tuple[str, Entry], ...]


@dataclass
class UnitWalker:
    """Walks the units of one tree on one model."""

    tree: TreeMacros
    model: TargetModel
    known_macros: frozenset[str]
    predefined_shape: re.Pattern[str]
    build_macros: Mapping[str, Value]
    shared: TreeEvents
    budget: int = DEFAULT_BUDGET
    result: UnitCover = field(default_factory=UnitCover)
    _summaries: dict[tuple[str, Value], list[_Summary]] = field(default_factory=dict)
    _tree_defined: frozenset[str] = frozenset()
    _work: int = 0
    # Per unit:
    _table: dict[str, tuple[Value, str | None, int]] = field(default_factory=dict)
    _stamp: int = 0
    _undo: list[tuple[str, tuple[Value, str | None, int] | None]] = field(default_factory=list)
    _forks: int = 0
    _reads: list[tuple[str, int, Entry]] = field(default_factory=list)
    _writes: list[str] = field(default_factory=list)
    _summarising: int = 0
    _cplusplus: bool = False
    _expanding: set[str] = field(default_factory=set)
    _base_memo: dict[str, Entry] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._relevant = self.shared.relevant
        self._resolver = _Resolver(self)
        self._tree_defined = frozenset(
            name for name, found in self.tree.definitions.items() if any(not m.undef for _, m in found)
        )

    # -- the walk ---------------------------------------------------------------------
    def walk(self, unit: str, level: Value) -> None:
        """Walk one translation unit entered at ``level`` (1, or None: maybe compiled)."""
        self.result.units += 1
        self._table = {}
        self._undo = []
        self._forks = 0
        self._reads = []
        self._writes = []
        self._summarising = 0
        self._cplusplus = self.tree.files[unit].language is Language.CPP
        stack = [self._enter(unit, level, 0)]
        on_stack = {unit}
        while stack:
            frame = stack[-1]
            items = frame.events.items
            count = len(items)
            branches = frame.events.branches
            groups = frame.groups
            start = frame.pos
            entered = False
            # The events of one file, until it ends or includes another.
            while frame.pos < count:
                kind, _, payload = items[frame.pos]
                frame.pos += 1
                if kind == _OPEN:
                    groups.append(_Group(branches[payload].group, frame.in_file))  # type: ignore[call-overload]
                    self._arm(frame, payload)  # type: ignore[arg-type]
                elif kind == _ARM:
                    # Unbalanced directives (a mutated or truncated file): an arm of a
                    # group that is not the innermost open one is ignored.
                    if groups and groups[-1].index == branches[payload].group:  # type: ignore[call-overload]
                        self._end_arm(frame)
                        self._arm(frame, payload)  # type: ignore[arg-type]
                elif kind == _ENDIF:
                    if groups and groups[-1].index == payload:
                        self._endif(frame)
                    elif any(group.index == payload for group in groups):
                        while groups[-1].index != payload:
                            self._endif(frame)
                        self._endif(frame)
                elif kind == _DEFINE:
                    self._define(payload)  # type: ignore[arg-type]
                else:
                    target: str = payload  # type: ignore[assignment]
                    if target in on_stack:
                        # Skipped because it is open: what the open headers did depends
                        # on the stack, so none of them is summarised. Only the top
                        # MAX_SUMMARY_DEPTH frames can be (a cycle at the bottom of a
                        # deep chain must not cost the chain's depth).
                        for open_frame in stack[: MAX_SUMMARY_DEPTH + 1]:
                            open_frame.pure = False
                        continue
                    entry_level = and3(frame.level, frame.in_file)
                    if self._replay(target, entry_level):
                        continue
                    stack.append(self._enter(target, entry_level, frame.depth + 1))
                    on_stack.add(target)
                    entered = True
                    break
            self._work += frame.pos - start
            if self._work > self.budget:
                raise WalkTooLong(unit)
            if not entered:
                stack.pop()
                on_stack.discard(frame.path)
                self._leave(frame, stack)

    def release(self, shared: TreeEvents) -> None:
        """Drop what only the walks of units that include tree files need (header
        summaries, events): the walker lives on in the guard models, which are sent to
        worker processes, for the lazy walks of units that include no tree file.
        ``shared``: a fresh event cache for those walks, one for all models."""
        self._summaries = {}
        self.shared = shared
        self.budget = 1 << 62  # a lone file's walk is linear in its directives

    def _enter(self, path: str, level: Value, depth: int) -> _Frame:
        events = self.shared.of(path)
        result = self.result
        result.files[path] = or3(result.files.get(path, 0), level)
        cover = result.cover.setdefault(path, {})
        cover[-1] = or3(cover.get(-1, 0), level)
        local = result.local.setdefault(path, {})
        local[-1] = 1
        frame = _Frame(path, events, level, depth, cover, local)
        if depth > 0:
            result.header_walks += 1
            if depth <= MAX_SUMMARY_DEPTH and len(self._summaries.get((path, level), ())) < MAX_SUMMARIES:
                frame.summarise = True
                frame.start_stamp = self._stamp + 1
                frame.read_start = len(self._reads)
                frame.write_start = len(self._writes)
                self._summarising += 1
        return frame

    def _leave(self, frame: _Frame, stack: list[_Frame]) -> None:
        while frame.groups:  # unclosed #if at the end of the file: close it here
            self._endif(frame)
        if not frame.summarise:
            return
        self._summarising -= 1
        if not frame.pure:
            return
        reads: dict[str, Entry] = {}
        for name, stamp, entry in self._reads[frame.read_start :]:
            if stamp < frame.start_stamp and name not in reads:
                reads[name] = entry
        writes: dict[str, Entry] = {}
        for name in self._writes[frame.write_start :]:
            current = self._table.get(name)
            # Absent at the end means a write undone at an #endif: absent at the start
            # too, and nothing to replay.
            if name not in writes and current is not None:
                writes[name] = (current[0], current[1])
        self._summaries.setdefault((frame.path, frame.level), []).append(
            _Summary(tuple(reads.items()), tuple(writes.items()))
        )
        if self._summarising == 0:
            # No open header is building a summary: the logs are not needed any more.
            self._reads.clear()
            self._writes.clear()

    def _replay(self, path: str, level: Value) -> bool:
        for summary in self._summaries.get((path, level), ()):
            if all(self._peek(name) == entry for name, entry in summary.reads):
                self.result.replays += 1
                if self._summarising:
                    for name, _ in summary.reads:
                        self._lookup(name)
                for name, written in summary.writes:
                    self._write(name, written)
                return True
        return False

    # -- conditionals -----------------------------------------------------------------
    def _arm(self, frame: _Frame, branch: int) -> None:
        group = frame.groups[-1]
        b = frame.events.branches[branch]
        guard = frame.events.guards.get(branch)
        if group.prior == 1:  # an earlier arm is taken: not even the condition is read
            condition: Value = 0
        elif guard is not None:
            # An include guard or a default that is "maybe" defined (the header was
            # included, or the default set, under a build-dependent condition): the body
            # ran on that path with the same compiler macros, so walking it again gives
            # the same definitions; joining with a path where none of its macros exist
            # would make every one of them unknown for the rest of the unit.
            condition = 0 if self._lookup(guard)[0] == 1 else 1
        elif b.kind == "else":
            condition = 1
        else:
            simple = frame.events.simple.get(branch)
            if simple is None:
                condition = self._condition(b.condition)
            else:
                state = self._lookup(simple[0])[0]
                condition = state if state is None or not simple[1] else 1 - state
        prior = group.prior
        # and3(not3(prior), condition) and or3(prior, condition), with prior != 1 here.
        if condition == 0:
            effective: Value = 0
        elif prior is None:
            effective = None
        else:
            effective = condition
        if condition == 1:
            group.prior = 1
        elif condition is None:
            group.prior = None
        if effective == 0:
            frame.in_file = 0
            frame.pos = frame.events.arm_end.get(frame.pos - 1, len(frame.events.items))
            return
        in_file = and3(group.outer, effective)
        frame.in_file = in_file
        local = frame.local
        if local.get(branch) != 1:
            local[branch] = or3(local.get(branch, 0), in_file)
        cover = frame.cover
        if cover.get(branch) != 1:
            cover[branch] = or3(cover.get(branch, 0), and3(frame.level, in_file))
        if effective != 1:
            group.forked = True
            group.arm_forked = True
            group.arm_mark = len(self._undo)
            self._forks += 1

    def _end_arm(self, frame: _Frame) -> None:
        group = frame.groups[-1]
        if group.arm_forked:
            outcome: dict[str, Entry | None] = {}
            for name, _ in self._undo[group.arm_mark :]:
                if name not in outcome:
                    current = self._table.get(name)
                    outcome[name] = None if current is None else (current[0], current[1])
            self._undo_to(group.arm_mark)
            self._forks -= 1
            group.outcomes.append(outcome)
            group.arm_forked = False
        frame.in_file = group.outer

    def _endif(self, frame: _Frame) -> None:
        self._end_arm(frame)
        group = frame.groups.pop()
        frame.in_file = group.outer
        if not group.forked:
            return
        outcomes = group.outcomes
        if not any(outcomes):
            return  # no arm defined or undefined anything
        if group.prior != 1:
            outcomes.append({})  # no arm taken: the state before the group
        names = {name for outcome in outcomes for name in outcome}
        for name in sorted(names):
            before = self._lookup(name)
            values = {_entry_or(outcome, name, before) for outcome in outcomes}
            joined = values.pop() if len(values) == 1 else _join(values)
            if joined != before:
                self._write(name, joined)

    def _undo_to(self, mark: int) -> None:
        undo = self._undo
        table = self._table
        while len(undo) > mark:
            name, old = undo.pop()
            if old is None:
                table.pop(name, None)
            else:
                table[name] = old

    # -- macros -----------------------------------------------------------------------
    def _define(self, macro: MacroDef) -> None:
        if macro.name not in self._relevant:
            return
        if macro.undef:
            self._write(macro.name, UNDEFINED)
        elif macro.params is not None:
            self._write(macro.name, (1, None))
        else:
            self._write(macro.name, (1, macro.value if macro.value else ""))

    def _write(self, name: str, entry: Entry) -> None:
        if self._forks:
            self._undo.append((name, self._table.get(name)))
        if self._summarising:
            self._writes.append(name)
        self._stamp += 1
        self._table[name] = (entry[0], entry[1], self._stamp)

    def _peek(self, name: str) -> Entry:
        found = self._table.get(name)
        if found is not None:
            return (found[0], found[1])
        return self._base(name)

    def _lookup(self, name: str) -> Entry:
        found = self._table.get(name)
        entry: Entry = (found[0], found[1]) if found is not None else self._base(name)
        if self._summarising:
            self._reads.append((name, found[2] if found is not None else 0, entry))
        return entry

    def _base(self, name: str) -> Entry:
        """A macro no line of this unit has defined or undefined so far."""
        if name == "__cplusplus":  # the one answer that depends on the unit
            return (1, "201703L") if self._cplusplus else UNDEFINED
        found = self._base_memo.get(name)
        if found is None:
            found = self._base_memo[name] = self._base_uncached(name)
        return found

    def _base_uncached(self, name: str) -> Entry:
        text = self.model.defines.get(name)
        if text is not None:
            return (1, text)
        build = self.build_macros.get(name)
        if build == 1:
            return (1, None)
        if build is not None or name in self.build_macros:
            return (build, None)
        if name in self._tree_defined or name in self.known_macros or self.predefined_shape.fullmatch(name):
            # Defined by a tree file this unit has not reached (yet), or a compiler macro
            # this model does not predefine: the closed world.
            return UNDEFINED
        return UNKNOWN  # a build flag nobody in the tree defines

    def _condition(self, text: str) -> Value:
        try:
            node = cexpr.parse(text)
        except cexpr.ExpressionError:
            return MAYBE
        value = cexpr.evaluate(node, self._resolver)
        return None if value is None else int(value != 0)

    def macro_value(self, name: str) -> Value:
        state, text = self._lookup(name)
        if state == 0:
            return 0
        if state is None or not text or name in self._expanding:
            return MAYBE
        try:
            node = cexpr.parse(text)
        except cexpr.ExpressionError:
            return MAYBE
        self._expanding.add(name)
        try:
            return cexpr.evaluate(node, self._resolver)
        finally:
            self._expanding.discard(name)


class _Resolver:
    def __init__(self, walker: UnitWalker) -> None:
        self.walker = walker

    def defined(self, name: str) -> Value:
        return self.walker._lookup(name)[0]

    def value(self, name: str) -> Value:
        return self.walker.macro_value(name)


def _not3(value: Value) -> Value:
    return None if value is None else int(not value)


def _entry_or(outcome: Mapping[str, Entry | None], name: str, before: Entry) -> Entry:
    """The name's entry at the end of an arm. Absent from the table there means absent
    before the group too (entries are only added or changed, never removed), so ``before``."""
    found = outcome.get(name)
    return before if found is None else found


def _join(values: set[Entry]) -> Entry:
    states = {state for state, _ in values}
    if states == {1}:
        return (1, None)  # defined on every path, with different values
    if states == {0}:
        return UNDEFINED
    return UNKNOWN


def walk_units(
    tree: TreeMacros,
    model: TargetModel,
    roots: Mapping[str, Value],
    known_macros: frozenset[str],
    predefined_shape: re.Pattern[str],
    build_macros: Mapping[str, Value] | None = None,
    budget: int = DEFAULT_BUDGET,
    shared: TreeEvents | None = None,
    defer: Collection[str] = (),
) -> UnitWalker:
    """Walk every unit ``roots`` compiles on ``model`` (value 1 or None), in path order,
    but those in ``defer`` (the caller walks them later, or not at all); what was found is
    the walker's ``result``. ``shared``: the tree's events, when several models are
    walked. Raises :class:`WalkTooLong` past ``budget``."""
    walker = UnitWalker(
        tree, model, known_macros, predefined_shape, build_macros or {}, shared or TreeEvents(tree), budget
    )
    for unit, level in sorted(roots.items()):
        if level != 0 and unit in tree.files and unit not in defer:
            walker.walk(unit, level)
    return walker
