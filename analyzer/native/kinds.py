"""Match kinds for C, C++ and Rust sources.

Each kind matches one file through a view (:class:`analyzer.native.views.CFileView` or
``RustFileView``) that knows the file's bytes, preprocessor structure and, per target
model, whether each line is compiled. A kind that matches both languages has one method
per language; what differs is only how the language spells the thing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, ClassVar

from analyzer.findings import fallback_for, format_message
from analyzer.kinds.base import MatchKind, fast_start, register, spec
from analyzer.model import Confidence, Finding, Language, Severity
from analyzer.native import treesitter
from analyzer.native.identifiers import identifier_union
from analyzer.native.preproc import ErrorDirective, MacroDef, PreprocStructure
from analyzer.tri import MAYBE, Value, and3, or3

if TYPE_CHECKING:
    from analyzer.kinds.rule import Rule
    from analyzer.native.guards import TreeMacros
    from analyzer.native.views import CFileView, RustFileView

C_FAMILY = frozenset({Language.C, Language.CPP})
NATIVE = C_FAMILY | {Language.RUST}
_NOT_CALL_SYNTAX = frozenset({"type", "identifier", "macro"})
_SYNTAX = ("call", "type", "identifier", "macro", "field")

# ``\b(?:__asm__|__asm|asm)\b`` and ``\b(?:__asm|_asm)\b``, written with a literal first
# bytes and the word boundary checked behind them, so ``re`` skips ahead to each candidate.
_GNU_ASM = re.compile(
    rb"(?:__asm(?<!\w__asm)(?:__)?|asm(?<!\wasm))\b(?:\s+(?:volatile|__volatile__|goto|inline))*\s*\("
)
_MSVC_ASM = re.compile(
    rb"_(?<!\w_)_?asm\b(?=\s*\{|[ \t]+(?!volatile\b|__volatile__\b|goto\b|inline\b)[A-Za-z])"
)
_COMMENT = re.compile(r"/\*.*?\*/|//.*$")
_RUST_ASM = re.compile(rb"\b(?:asm|global_asm|naked_asm)!\s*[\(\[\{]")

Found = Iterator[Finding | None]


@dataclass(frozen=True)
class NativeKind(MatchKind):
    """A kind the native-code engine runs. Rules of one kind are handed over together
    (:meth:`find_c`), so a kind can share one pass over the file between its rules."""

    @classmethod
    def find_c(cls, rules: Sequence[Rule], view: CFileView) -> Found:
        for rule in rules:
            match = rule.match
            assert isinstance(match, cls)
            yield from match.match_c(rule, view)

    def match_c(self, rule: Rule, view: CFileView) -> Found:
        raise NotImplementedError(f"{self.name} does not match C/C++")

    def match_rust(self, rule: Rule, view: RustFileView) -> Found:
        raise NotImplementedError(f"{self.name} does not match Rust")


@lru_cache(maxsize=64)
def _any_token(patterns: tuple[bytes, ...]) -> re.Pattern[bytes]:
    """One pass for every token rule of a scan: the union of their patterns, as whole
    identifiers, in the branch-per-first-character form ``re`` can skip ahead in."""
    return identifier_union(patterns)


def token_names(rules: Sequence[Rule]) -> re.Pattern[bytes] | None:
    """Every identifier a C/C++ token rule looks for, as one pattern (None: no such rule)."""
    patterns = tuple(
        r.match.pattern.pattern for r in rules if isinstance(r.match, TokenMatch) and r.languages & C_FAMILY
    )
    return _any_token(patterns) if patterns else None


def _without_shims(reach: dict[str, Value], shim: Mapping[str, Value] | None) -> dict[str, Value]:
    """Where the package defines the name itself (``shim``: 1, or MAYBE), a use is not
    the x86 intrinsic: that model drops out (or becomes a maybe)."""
    if not shim:
        return reach
    out: dict[str, Value] = {}
    for model, state in reach.items():
        own = shim.get(model, 0)
        out[model] = 0 if own == 1 or state == 0 else (MAYBE if own is None else state)
    return out


@register
@dataclass(frozen=True)
class TokenMatch(NativeKind):
    """An identifier (C/C++: a whole token, optionally only in some syntactic roles) or,
    in Rust, any text matching ``pattern`` (``std::arch::x86_64``)."""

    name: ClassVar[str] = "token"
    languages: ClassVar[frozenset[Language]] = NATIVE
    precise: ClassVar[bool] = True

    pattern: re.Pattern[bytes] = spec("bytes_regex", required=True)
    exclude: re.Pattern[bytes] | None = spec("bytes_regex")
    syntax: frozenset[str] = spec("string_set", choices=_SYNTAX, default=frozenset())

    def prefilter_regex(self) -> bytes:
        return self.pattern.pattern

    def names(self, token: bytes) -> bool:
        """Is ``token`` one of the identifiers this rule is about?"""
        return bool(self.pattern.fullmatch(token)) and not (
            self.exclude is not None and self.exclude.fullmatch(token)
        )

    def accepts(self, token: bytes, syntax: str | None) -> bool:
        """... used in this syntactic role (``call``, ``type``, ...; None: unknown)?"""
        return self.names(token) and (not self.syntax or syntax in self.syntax)

    @classmethod
    def find_c(cls, rules: Sequence[Rule], view: CFileView) -> Found:
        kinds = [r.match for r in rules if isinstance(r.match, TokenMatch)]
        if not kinds:
            return
        finder = _any_token(tuple(k.pattern.pattern for k in kinds))
        f = view.f
        for m in finder.finditer(f.masked):
            token = m.group()
            reach = view.states_at(f.index.line_of(m.start()))
            reach = _without_shims(reach, view.ctx.provided.get(token.decode("ascii", "replace")))
            reach = _as_macro_argument(view, m.start(), reach)
            if not any(v != 0 for v in reach.values()):
                continue
            syntax: str | None = None
            for rule in rules:
                match = rule.match
                assert isinstance(match, TokenMatch)
                if not match.names(token):
                    continue
                if match.syntax and not (
                    # Outside comments and strings (masked) and not followed by "(", a
                    # token can only be a type, identifier or macro use: no parse needed.
                    match.syntax >= _NOT_CALL_SYNTAX and not view.followed_by_paren(m.end())
                ):
                    if syntax is None:
                        syntax = treesitter.syntax_at(f.tree, m.start(), m.end())
                    if syntax not in match.syntax:
                        continue
                name = token.decode("ascii", "replace")
                yield view.emit(
                    rule,
                    f.location(m.start(), m.end()),
                    reach,
                    format_message(rule.message, match=name),
                    fallback_for(rule, name, view.ctx.fallbacks),
                )

    def match_rust(self, rule: Rule, view: RustFileView) -> Found:
        for m in self.pattern.finditer(view.f.masked):
            text = m.group().decode("ascii", "replace")
            yield view.emit(rule, m.start(), m.end(), view.reach_at(m.start()), text)


_CALL_WINDOW = 4096  # how far back an enclosing macro call is looked for
_STRUCTURAL = re.compile(rb"[()\[\]{},;]")


def _marks_backwards(masked: bytes, stop: int, offset: int) -> Iterator[int]:
    """Offsets of the bracket, comma and semicolon bytes in ``masked[stop:offset]``, last
    first: found by the regex engine in growing chunks (most walks end within a few
    hundred bytes), not byte by byte in Python (that was a fifth of a large tree's scan)."""
    end = offset
    chunk = 256
    while end > stop:
        start = max(stop, end - chunk)
        yield from reversed([m.start() for m in _STRUCTURAL.finditer(masked, start, end)])
        end = start
        chunk *= 4


def _enclosing_calls(masked: bytes, offset: int) -> list[tuple[str, int]]:
    """The function-like names whose argument lists hold ``offset``, innermost first,
    each with the index of the argument holding it (top-level commas before it); looks
    back at most ``_CALL_WINDOW`` bytes and stops at a ``;`` or an open brace."""
    calls: list[tuple[str, int]] = []
    depth = 0
    commas = 0
    stop = max(0, offset - _CALL_WINDOW)
    for position in _marks_backwards(masked, stop, offset):
        char = masked[position]
        if char in b")]}":
            depth += 1
        elif char in b"[{":
            if depth == 0:
                break  # a body or an index: no call encloses this
            depth -= 1
        elif char == ord("("):
            if depth == 0:
                name = re.search(rb"([A-Za-z_]\w*)\s*$", masked[max(0, position - 128) : position])
                if name is not None:
                    calls.append((name.group(1).decode("ascii"), commas))
                commas = 0
            else:
                depth -= 1
        elif char == ord(",") and depth == 0:
            commas += 1
        elif char == ord(";") and depth == 0:
            break
    return calls


def _parameter(params: tuple[str, ...], index: int) -> str | None:
    """The name argument ``index`` binds to (``__VA_ARGS__`` for a ``...`` tail)."""
    variadic = bool(params) and params[-1].endswith("...")
    if variadic and index >= len(params) - 1:
        tail = params[-1][:-3].strip()
        return tail or "__VA_ARGS__"
    return params[index] if index < len(params) else None


def _as_macro_argument(view: CFileView, offset: int, reach: dict[str, Value]) -> dict[str, Value]:
    """An intrinsic passed to a function-like macro of the tree is used only where the
    macro's definition compiled on that model uses the parameter (``PICK(_mm_x(), vx())``
    where ARM64's PICK keeps its second argument), at any depth of enclosing calls."""
    guards = view.ctx.guards
    tree = view.ctx.tree
    if tree is None or not view.calls_tree_macros():
        return reach
    narrowed = dict(reach)
    for name, index in _enclosing_calls(view.f.masked, offset):
        definitions = [(p, d) for p, d in tree.definitions.get(name, ()) if d.params is not None]
        for model, value in narrowed.items():
            if definitions and value != 0 and model in guards:
                narrowed[model] = and3(value, _passes_on(view, definitions, index, model))
    return narrowed


def _passes_on(view: CFileView, definitions: list[tuple[str, MacroDef]], index: int, model: str) -> Value:
    """Does some definition compiled on ``model`` use argument ``index``?"""
    uses: Value = 0
    for path, macro in definitions:
        in_file = view.ctx.reach.get(path, {}).get(model, 1)
        compiled = and3(view.ctx.guards[model].line_state(path, macro.line), in_file)
        parameter = _parameter(macro.params or (), index)
        if compiled != 0 and parameter is not None and re.search(rf"\b{re.escape(parameter)}\b", macro.body):
            uses = or3(uses, compiled)
    return uses


@register
@dataclass(frozen=True)
class IncludeMatch(NativeKind):
    """An ``#include`` whose header's base name matches ``pattern``."""

    name: ClassVar[str] = "include"
    languages: ClassVar[frozenset[Language]] = C_FAMILY
    precise: ClassVar[bool] = True

    pattern: re.Pattern[bytes] = spec("bytes_regex", required=True)

    def prefilter_regex(self) -> bytes:
        return self.pattern.pattern

    def names(self, header: str) -> bool:
        base = header.replace("\\", "/").rsplit("/", 1)[-1]
        return bool(self.pattern.fullmatch(base.encode()))

    def match_c(self, rule: Rule, view: CFileView) -> Found:
        for inc in view.structure.includes:
            if self.names(inc.target):
                yield view.emit(
                    rule,
                    view.f.line_location(inc.line),
                    view.states_at(inc.line),
                    format_message(rule.message, match=inc.target),
                    rule.fallback,
                )


@register
@dataclass(frozen=True)
class AsmMatch(NativeKind):
    """Inline assembly: GNU ``asm(...)`` or MSVC ``__asm`` (C/C++, by ``form``), Rust
    ``asm!``; with ``pattern``, only blocks whose text matches it (x86 registers...)."""

    name: ClassVar[str] = "asm"
    languages: ClassVar[frozenset[Language]] = NATIVE
    precise: ClassVar[bool] = True

    form: str = spec("string", choices=("gnu", "msvc"), default="gnu")
    pattern: re.Pattern[bytes] | None = spec("bytes_regex")
    # Blocks whose text matches this belong to another rule (POWER asm is WOA123's).
    exclude: re.Pattern[bytes] | None = spec("bytes_regex")

    def prefilter_regex(self) -> bytes:
        return b"asm"

    def accepts(self, text: bytes) -> bool:
        if self.exclude is not None and self.exclude.search(text):
            return False
        return self.pattern is None or bool(self.pattern.search(text))

    def match_c(self, rule: Rule, view: CFileView) -> Found:
        f = view.f
        if b"asm" not in f.masked:  # a substring test is far cheaper than the regex
            return
        gnu = self.form == "gnu"
        for m in (_GNU_ASM if gnu else _MSVC_ASM).finditer(f.masked):
            end = f.span_end(m.end() - 1) if gnu else _msvc_asm_end(view, m.end())
            if not self.accepts(f.data[m.start() : end]):
                continue
            yield view.emit(
                rule,
                f.location(m.start(), m.end()),
                view.states_at(f.index.line_of(m.start())),
                format_message(rule.message, match="asm"),
                rule.fallback,
            )

    def match_rust(self, rule: Rule, view: RustFileView) -> Found:
        f = view.f
        for m in _RUST_ASM.finditer(f.masked):
            if self.accepts(f.data[m.start() : f.span_end(m.end() - 1)]):
                yield view.emit(rule, m.start(), m.end(), view.reach_at(m.start()), "asm!")


def _msvc_asm_end(view: CFileView, after: int) -> int:
    """Where an MSVC ``__asm`` statement ends: its ``{...}`` block, else its line."""
    f = view.f
    rest = f.masked[after : after + 64]
    brace = rest.find(b"{")
    if brace != -1 and not rest[:brace].strip():
        return f.span_end(after + brace)
    return f.index.end_of(f.index.line_of(after))


@lru_cache(maxsize=65536)
def _selects(condition: re.Pattern[str], excludes: re.Pattern[str] | None, text: str) -> bool:
    """Does a branch condition pattern pick this ``#if`` condition? The same conditions
    recur across a tree's files and within one."""
    return bool(condition.search(text)) and not (excludes is not None and excludes.search(text))


@register
@dataclass(frozen=True)
class BranchMatch(NativeKind):
    """An ``#if`` branch whose condition matches ``condition`` (and not
    ``condition_excludes``). ``state = "taken"``: reported where a model compiles the
    branch (and, with ``body``, where its compiled lines hold ``body``). ``state =
    "skipped"``: reported where a model that ``taken_on`` says should take it skips it;
    ``outcomes`` sets the severity by what that model falls into instead."""

    name: ClassVar[str] = "branch"
    languages: ClassVar[frozenset[Language]] = C_FAMILY

    condition: re.Pattern[str] = spec("text_regex", required=True)
    state: str = spec("string", choices=("taken", "skipped"), required=True)
    condition_excludes: re.Pattern[str] | None = spec("text_regex")
    taken_on: tuple[str, ...] = spec("models", default=())
    body: re.Pattern[bytes] | None = spec("bytes_regex")
    outcomes: tuple[tuple[str, Severity], ...] = spec(
        "severity_map", choices=("error", "x86", "generic", "none"), default=()
    )

    def prefilter_regex(self) -> bytes:
        if self.state == "skipped" or self.body is None:
            return fast_start(self.condition.pattern).encode()
        return self.body.pattern

    def outcome(self, what: str, default: Severity) -> Severity:
        return dict(self.outcomes).get(what, default)

    def match_c(self, rule: Rule, view: CFileView) -> Found:
        for b in view.structure.branches:
            if not b.condition or not _selects(self.condition, self.condition_excludes, b.condition):
                continue
            states = view.branch_states(b.index)
            if self.state == "taken":
                yield self._taken(rule, view, b.index, states)
            else:
                yield self._skipped(rule, view, b.index, b.parent, states)

    def _fields(self, view: CFileView, index: int) -> dict[str, str]:
        b = view.structure.branches[index]
        shown = b.condition if len(b.condition) <= 80 else b.condition[:77] + "..."
        macros = sorted(set(self.condition.findall(b.condition)))
        if b.kind in ("ifdef", "ifndef", "elifdef", "elifndef"):
            shown = shown.lstrip("!").removeprefix("defined(").removesuffix(")")
        return {"condition": f"#{b.kind} {shown}", "condition_macros": " and ".join(macros) or shown}

    def _taken(self, rule: Rule, view: CFileView, index: int, states: dict[str, Value]) -> Finding | None:
        reach: dict[str, Value] = {}
        for model in rule.models:
            state = states.get(model, 0)
            if state == 0:
                continue
            if self.body is not None and not view.body_hits(index, self.body, model):
                continue
            reach[model] = state
        b = view.structure.branches[index]
        return view.emit(
            rule,
            view.f.line_location(b.directive_line),
            reach,
            format_message(rule.message, **self._fields(view, index)),
            rule.fallback,
        )

    def _skipped(
        self, rule: Rule, view: CFileView, index: int, parent: int, states: dict[str, Value]
    ) -> Finding | None:
        if not any(states.get(t) == 1 for t in self.taken_on):
            return None
        b = view.structure.branches[index]
        reach: dict[str, Value] = {}
        outcome = "none"
        taken_text = "nothing (the ARM64 code is left out)"
        uncertain = False
        for model in rule.models:
            guard = view.ctx.guards[model]
            parent_state = view.branch_state(model, parent)
            if states.get(model) != 0 or parent_state == 0:
                continue
            reach[model] = parent_state
            taken = guard.taken_branch(view.f.rel, b.group)
            if taken is None:
                uncertain = True
                outcome, taken_text = "generic", "another branch (which one depends on the build)"
            elif taken >= 0:
                outcome, taken_text = _classify_taken(view, taken, model)
            if outcome in ("none", "generic") and not uncertain:
                elsewhere = _error_elsewhere(view, index, model)
                if elsewhere is not None:
                    outcome, taken_text = "error", elsewhere
        severity = self.outcome(outcome, rule.severity)
        if outcome == "none" and _hints_only(view, index):
            # Only a prefetch or spin-wait hint is lost: slower at most, never wrong.
            taken_text = "the code without the hint (only a prefetch or yield is lost: slower at most)"
            severity = Severity.PERF
        return view.emit(
            rule,
            view.f.line_location(b.directive_line),
            reach,
            format_message(rule.message, **self._fields(view, index), taken=taken_text),
            rule.fallback,
            severity=severity,
            confidence=Confidence.LOW if uncertain else None,
        )


# A statement that is only a hint to the CPU: a prefetch or a spin-wait yield, through a
# builtin, an intrinsic or the package's own PREFETCH-like macro.
_HINT_STATEMENT = re.compile(
    rb"(?:\(void\)\s*)?(?:[A-Za-z_]\w*prefetch\w*|[A-Za-z_]*PREFETCH\w*|prefetch\w*|__pld\w*|__yield"
    rb"|YieldProcessor|__builtin_arm_yield|_mm_pause)\s*\([^;{}]*\)",
    re.IGNORECASE,
)


def _hints_only(view: CFileView, index: int) -> bool:
    """Is the branch body nothing but CPU hints (``__builtin_prefetch(p);``)?"""
    b = view.structure.branches[index]
    if b.body_end < b.body_start:
        return False
    start = view.f.index.start_of(b.body_start)
    end = (
        view.f.index.start_of(b.body_end + 1) if b.body_end < view.f.index.line_count else len(view.f.masked)
    )
    body = view.f.masked[start:end]
    if b"#" in body:
        return False  # a define or a nested test: more than a hint
    statements = [part.strip() for part in body.split(b";") if part.strip()]
    return bool(statements) and all(_HINT_STATEMENT.fullmatch(part) for part in statements)


def _error_elsewhere(view: CFileView, skipped: int, model: str) -> str | None:
    """A ladder across files: the skipped ARM branch defines a macro (``CPU_ARM64``) and
    an ``#error`` elsewhere in the tree that tests it fires on ``model`` because it is not
    defined (``#if !defined(CPU_X64) && !defined(CPU_ARM64)`` / ``#error``). Says where."""
    structure = view.structure
    b = structure.branches[skipped]
    names = {d.name for d in structure.defines if not d.undef and b.body_start <= d.line <= b.body_end}
    if not names:
        return None
    pattern = re.compile(r"\b(?:" + "|".join(re.escape(n) for n in sorted(names)) + r")\b")
    guard = view.ctx.guards[model]
    for path, file in sorted(guard.tree.files.items()):
        errors = file.structure.errors
        if not errors or view.ctx.reach.get(path, {}).get(model, 1) == 0:
            continue
        for err in errors:
            tested = [file.structure.branches[i].condition for i in file.structure.enclosing(err.line)]
            if not any(pattern.search(condition) for condition in tested):
                continue
            if guard.line_state(path, err.line) == 1:
                where = f"line {err.line}" if path == view.f.rel else f"{path}:{err.line}"
                return f"the #error at {where} (nothing defines {' or '.join(sorted(names))} there)"
    return None


def _classify_taken(view: CFileView, taken: int, model: str) -> tuple[str, str]:
    """What a model falls into instead: an ``#error``, x86-only code, or a fallback."""
    tb = view.structure.branches[taken]
    for err in view.structure.errors:
        if tb.body_start <= err.line <= tb.body_end and view.states_at(err.line).get(model) != 0:
            return "error", f"the #error at line {err.line}"
    if view.body_hits(taken, view.ctx.x86_marker, model):
        return "x86", f"the x86-only branch at line {tb.directive_line}"
    return "generic", f"the fallback branch at line {tb.directive_line}"


@register
@dataclass(frozen=True)
class MissingCounterpartMatch(NativeKind):
    """x86 code (``body``) in a file that never matches ``counterpart`` (an ARM path).
    C/C++: each outermost x86-only branch holding ``body``, where the ARM64 models fall
    past it. Rust: the first ``body`` in the file."""

    name: ClassVar[str] = "missing_counterpart"
    languages: ClassVar[frozenset[Language]] = NATIVE

    body: re.Pattern[bytes] = spec("bytes_regex", required=True)
    counterpart: re.Pattern[bytes] = spec("bytes_regex", required=True)

    def prefilter_regex(self) -> bytes:
        return self.body.pattern

    def match_c(self, rule: Rule, view: CFileView) -> Found:
        structure = view.structure
        if self.counterpart.search(view.f.masked) or any(
            self.counterpart.search(inc.target.encode()) for inc in structure.includes
        ):
            return
        models = [m for m in rule.models if m in view.ctx.selected]
        if not models or not view.hits_in(self.body, 1, view.f.index.line_count):
            return
        reported: set[int] = set()
        for b in structure.branches:
            # Cheapest test first: most branches hold no x86 SIMD at all.
            if not view.body_hits(b.index, self.body):
                continue
            if any(a in reported for a in structure.enclosing(b.directive_line)):
                continue
            states = view.branch_states(b.index)
            if any(states.get(m) != 0 for m in models):
                continue
            reach = {m: view.branch_state(m, b.parent) for m in models}
            finding = view.emit(
                rule, view.f.line_location(b.directive_line), reach, rule.message, rule.fallback
            )
            if finding is not None:
                reported.add(b.index)
                yield finding

    def match_rust(self, rule: Rule, view: RustFileView) -> Found:
        first = self.body.search(view.f.data)
        if first is None or self.counterpart.search(view.f.data):
            return
        reach: dict[str, Value] = {m: view.file_reach.get(m, 1) for m in rule.models}
        yield view.emit(rule, first.start(), first.end(), reach, first.group().decode("ascii", "replace"))


_IDENTIFIER = re.compile(r"[A-Za-z_]\w*")


_ARM_TEST = re.compile(r"_M_ARM|__aarch64__|__arm64__|__arm__|__ARM_NEON|__ARM_ARCH")


def _tests_arm_ladder_macros(view: CFileView, err: ErrorDirective) -> bool:
    """Does the clause test a macro that an arm of an ARM-aware ladder defines, in this
    file or another (``!defined(CPU_ARM64)``, set by ``#elif defined(__aarch64__)`` in
    ``arch.h``)? Then the cause is that ladder (WOA130 says so) and the #error is where
    the compile stops (WOA171), not an x86-only source."""
    if err.branch < 0 or view.ctx.tree is None:
        return False
    return any(
        len(group) > 1 and any(_ARM_TEST.search(structure.branches[i].condition) for i in group)
        for name in _macro_names([view.structure.branches[err.branch].condition])
        for structure, group in _ladders_defining(view.ctx.tree, name, innermost_only=True)
    )


def _macro_names(conditions: Iterable[str]) -> set[str]:
    return {name for condition in conditions for name in _IDENTIFIER.findall(condition)} - {"defined"}


def _ladders_defining(
    tree: TreeMacros, name: str, innermost_only: bool
) -> Iterator[tuple[PreprocStructure, tuple[int, ...]]]:
    """For each tree definition of ``name``: the branch groups (arms of one ladder)
    around it, the innermost only or every enclosing one, with their file's structure."""
    for path, macro in tree.definitions.get(name, ()):
        found = tree.files.get(path)
        if found is None:
            continue
        structure = found.structure
        if innermost_only:
            indices = [macro.branch] if macro.branch >= 0 else []
        else:
            indices = list(structure.enclosing(macro.line))
        for index in indices:
            yield structure, structure.groups[structure.branches[index].group]


def is_guard_clause(structure: PreprocStructure, err: ErrorDirective) -> bool:
    """An ``#error`` that refuses a target outright: unconditional, or the only arm of an
    ``#if``/``#ifdef``/``#ifndef`` (not the ``#else`` of a ladder)."""
    if err.branch < 0:
        return True
    b = structure.branches[err.branch]
    return b.kind in ("if", "ifdef", "ifndef") and len(structure.groups[b.group]) == 1


@lru_cache(maxsize=1)
def _arch_macro() -> re.Pattern[str]:
    from analyzer.kinds.rule import load_patterns

    return re.compile(load_patterns()["arch_macro"])


def depends_on_architecture(view: CFileView, err: ErrorDirective) -> bool:
    """Do the conditions that lead to ``err`` depend on the target architecture? They do
    when one of them (or an earlier arm of its ladder) tests it, or names a macro the
    build sets per model or the tree defines under such a test, in any file. An #error
    reached whatever the architecture (``#ifndef _WIN32_WINNT`` after ``<windows.h>``,
    which defines it) is reached on x64 too, where the project builds its wheels: what is
    missing is a definition woaport cannot see, not an ARM64 port. Unconditional, or with
    no tree index: assumed to."""
    structure = view.structure
    tree = view.ctx.tree
    enclosing = structure.enclosing(err.line)
    if tree is None or not enclosing:
        return True
    arch = _arch_macro()
    conditions = [
        structure.branches[arm].condition
        for index in enclosing
        for arm in structure.groups[structure.branches[index].group]
        if arm <= index
    ]
    if any(arch.search(condition) for condition in conditions):
        return True
    names = _macro_names(conditions)
    if any(name in guard.build_macros for guard in view.ctx.guards.values() for name in names):
        return True
    return any(
        any(arch.search(other.branches[arm].condition) for arm in group)
        for name in names
        for other, group in _ladders_defining(tree, name, innermost_only=False)
    )


def error_chain(structure: PreprocStructure, err: ErrorDirective) -> list[str]:
    """The conditions that lead to ``err``, outermost first (``#ifndef CONFIG_X``)."""
    chain = []
    for index in reversed(structure.enclosing(err.line)):
        branch = structure.branches[index]
        # The condition as the model reads it (#ifndef X is "!defined(X)"); #else by name.
        chain.append("#else" if branch.kind == "else" else f"#if {branch.condition}")
    return chain


def is_x86_only_refusal(view: CFileView, err: ErrorDirective) -> bool:
    """A guard-clause ``#error`` that makes the file an x86-only source (WOA170): its
    condition tests the target architecture, or it is certainly reached on an ARM64
    model through macros no ARM-aware ladder defines (``#ifndef NPY_HAVE_AVX2``). A
    build-dependent clause (Limited-API checks, ``SIZEOF_LONG_LONG < 8``: undecided) is
    not one, and neither is a check after an ARM-aware ladder (WOA171's)."""
    structure = view.structure
    if err.branch < 0 or not is_guard_clause(structure, err):
        return False
    if any(_arch_macro().search(structure.branches[i].condition) for i in structure.enclosing(err.line)):
        return True
    if _tests_arm_ladder_macros(view, err) or not depends_on_architecture(view, err):
        return False
    return any(state == 1 for state in view.states_at(err.line).values())


def in_arch_ladder(structure: PreprocStructure, err: ErrorDirective) -> bool:
    """Is ``err`` in an arm of a ladder (more than one arm) some arm of which tests the
    architecture? Then the ladder rules report it (WOA130 and kin)."""
    pattern = _arch_macro()
    for index in structure.enclosing(err.line):
        group = structure.groups[structure.branches[index].group]
        if len(group) > 1 and any(pattern.search(structure.branches[i].condition) for i in group):
            return True
    return False


@register
@dataclass(frozen=True)
class ReachedErrorMatch(NativeKind):
    """An ``#error`` that a model certainly reaches, outside an architecture guard clause
    (WOA170) or ladder (the ladder rules): the compile stops there on that model.
    Reported at the directive with the conditions that led to it; a build-dependent
    ``#error`` (its conditions undecided) is not reported, and findings after it stay."""

    name: ClassVar[str] = "reached_error"
    languages: ClassVar[frozenset[Language]] = C_FAMILY

    def prefilter_regex(self) -> bytes:
        return rb"#[ \t]*error"

    def match_c(self, rule: Rule, view: CFileView) -> Found:
        for err in view.structure.errors:
            if is_x86_only_refusal(view, err) or in_arch_ladder(view.structure, err):
                continue
            if not depends_on_architecture(view, err):
                continue
            states = view.states_at(err.line)
            certain = {m: (1 if v == 1 else 0) for m, v in states.items()}
            if not any(certain.values()):
                continue
            chain = error_chain(view.structure, err)
            text = _COMMENT.sub("", err.text).strip() or "#error"
            match = f"{text}, reached through {' / '.join(chain)}" if chain else f"{text}, unconditional"
            finding = view.emit(
                rule,
                view.f.line_location(err.line),
                certain,
                format_message(rule.message, match=match),
                rule.fallback,
            )
            if finding is not None:
                yield finding


@register
@dataclass(frozen=True)
class RefusalMatch(NativeKind):
    """An ``#error`` in a guard clause (a lone ``#if``/``#ifdef``/``#ifndef`` arm, or
    unconditional) that a model compiles: the file refuses that target, an x86-only
    source. Reported once per file, at the first such ``#error``. (An ``#error`` in the
    ``#else`` of a ladder is the ladder rules' business.)"""

    name: ClassVar[str] = "refusal"
    languages: ClassVar[frozenset[Language]] = C_FAMILY

    def prefilter_regex(self) -> bytes:
        return rb"#[ \t]*error"

    def match_c(self, rule: Rule, view: CFileView) -> Found:
        for err in view.structure.errors:
            if not is_x86_only_refusal(view, err):
                continue
            finding = view.emit(
                rule,
                view.f.line_location(err.line),
                view.states_at(err.line),
                format_message(rule.message, match=_COMMENT.sub("", err.text).strip() or "#error"),
                rule.fallback,
            )
            if finding is not None:
                yield finding
                return
