"""Run the rules over one parsed file and produce findings.

Everything here is a pure function of a file's bytes, its preprocessor structure, the
guard models and the rules, so it runs the same in the main process or a worker. Each
rule's match kind (:mod:`analyzer.native.kinds`) does the matching through a view of
the file defined here; findings are built by :mod:`analyzer.findings`.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property

import tree_sitter

from analyzer.fallbacks import FallbackTable
from analyzer.findings import format_message, make_finding, reach_summary, suppressed
from analyzer.kinds.rule import Rule
from analyzer.model import Confidence, Finding, Language, Location, Severity, TargetModel
from analyzer.native import treesitter
from analyzer.native.guards import FileStructure, GuardModel, TreeMacros, evaluate_cfg
from analyzer.native.kinds import NativeKind, is_x86_only_refusal
from analyzer.native.preproc import LineIndex, PreprocStructure, mask_comments_and_strings
from analyzer.native.sources import cython_source_at
from analyzer.tri import Value, and3

_CLOSERS = {ord("("): ord(")"), ord("["): ord("]"), ord("{"): ord("}")}
MAX_ASM_SPAN = 64 * 1024


_WORD = re.compile(rb"[A-Za-z_]\w*")


@dataclass
class FileInput:
    rel: str
    data: bytes
    language: Language
    structure: PreprocStructure | None = None  # C/C++ only
    cython_markers: list[tuple[int, str, int]] = field(default_factory=list)
    masked: bytes | None = None  # mask_comments_and_strings(data), when already computed


class SourceText:
    """Lazily derived views of one file (masked text, line index, syntax tree)."""

    def __init__(self, item: FileInput) -> None:
        self.item = item
        self.rel = item.rel
        self.data = item.data
        self.masked = item.masked if item.masked is not None else mask_comments_and_strings(item.data)
        self.index = LineIndex(item.data)
        self._tree: tree_sitter.Tree | None = None

    @property
    def tree(self) -> tree_sitter.Tree:
        if self._tree is None:
            self._tree = treesitter.parse(self.data, self.item.language)
        return self._tree

    def line_text(self, line: int) -> bytes:
        return self.data[self.index.start_of(line) : self.index.end_of(line)]

    def column(self, offset: int) -> int:
        line = self.index.line_of(offset)
        prefix = self.data[self.index.start_of(line) : offset]
        return len(prefix.decode("utf-8", "replace")) + 1

    def location(self, start: int, end: int) -> Location:
        line = self.index.line_of(start)
        end_line = self.index.line_of(max(start, end - 1))
        return Location(self.rel, line, self.column(start), end_line, self.column(end))

    def line_location(self, line: int) -> Location:
        text = self.line_text(line)
        indent = len(text) - len(text.lstrip())
        start = self.index.start_of(line) + indent
        return self.location(start, max(start + 1, self.index.end_of(line)))

    def text_of_line(self, line: int) -> str:
        if not 0 < line <= self.index.line_count:
            return ""
        return self.line_text(line).decode("utf-8", "replace")

    def span_end(self, open_at: int) -> int:
        """Offset after the bracket matching the one at ``open_at`` (in masked text)."""
        opener = self.masked[open_at]
        closer = _CLOSERS[opener]
        depth = 0
        limit = min(len(self.masked), open_at + MAX_ASM_SPAN)
        for pos in range(open_at, limit):
            char = self.masked[pos]
            if char == opener:
                depth += 1
            elif char == closer:
                depth -= 1
                if depth == 0:
                    return pos + 1
        return limit


@dataclass(frozen=True)
class Context:
    """What every file's analysis shares: rules, models and guard state for the tree."""

    rules: tuple[Rule, ...]
    models: tuple[TargetModel, ...]  # every model: taken_on may name unselected ones
    selected: frozenset[str]
    guards: dict[str, GuardModel]
    fallbacks: FallbackTable
    # What counts as x86-only code when classifying the branch a ladder falls into
    # (patterns.toml "x86_only").
    x86_marker: re.Pattern[bytes]
    # Per file and model: is the file compiled at all (guards.file_reach)? A file absent
    # here (none when the engine built the context) counts as compiled.
    reach: Mapping[str, Mapping[str, Value]] = field(default_factory=dict)
    # Per name and model: does the package compile its own definition (a shim) there?
    provided: Mapping[str, Mapping[str, Value]] = field(default_factory=dict)

    @property
    def tree(self) -> TreeMacros | None:
        """The tree index every guard model shares (None without models)."""
        for guard in self.guards.values():
            return guard.tree
        return None

    def structure_of(self, rel: str) -> FileStructure | None:
        """The preprocessor structure of a tree file (None for files with none: Rust)."""
        tree = self.tree
        return tree.files.get(rel) if tree is not None else None


@dataclass(frozen=True)
class Prefilter:
    """Can a C/C++ file produce any finding at all?  Each rule's ``prefilter`` literals
    (substring tests, memory speed) or, for a rule without them, its own regex. A hit in
    a comment only costs a closer look; a miss is final, so a file that fails is never
    masked, structured or analysed."""

    literals: tuple[bytes, ...]
    regexes: tuple[re.Pattern[bytes], ...]

    @cached_property
    def _searches(self) -> tuple[tuple[bytes, ...], tuple[re.Pattern[bytes], ...]]:
        """The literals as few passes over the text as possible: literals that share a
        first byte become one regex (``re`` finds a literal first byte at memchr speed
        and only then tries the alternatives), a literal alone stays a substring test."""
        by_first: dict[int, list[bytes]] = {}
        for literal in self.literals:
            by_first.setdefault(literal[0], []).append(literal)
        singles = tuple(group[0] for group in by_first.values() if len(group) == 1)
        grouped = tuple(
            re.compile(re.escape(bytes([first])) + b"(?:" + b"|".join(re.escape(x[1:]) for x in group) + b")")
            for first, group in by_first.items()
            if len(group) > 1
        )
        return singles, grouped + self.regexes

    def wants(self, raw: bytes) -> bool:
        singles, regexes = self._searches
        return any(x in raw for x in singles) or any(r.search(raw) for r in regexes)


def build_prefilter(rules: tuple[Rule, ...]) -> Prefilter:
    literals: list[bytes] = []
    regexes: list[re.Pattern[bytes]] = []
    for rule in rules:
        if Language.C not in rule.languages and Language.CPP not in rule.languages:
            continue
        if rule.prefilter:
            literals.extend(x for x in rule.prefilter if x not in literals)
        else:
            pattern = rule.match.prefilter_regex()
            if pattern is not None:
                regexes.append(re.compile(pattern))
    # A literal that contains another is redundant: every file holding it holds the shorter
    # one too. Fewer literals, fewer passes over each file.
    minimal = [x for x in literals if not any(y != x and y in x for y in literals)]
    return Prefilter(tuple(sorted(minimal)), tuple(regexes))


class CFileView:
    """One C/C++ file as the native kinds see it: its text, preprocessor structure and,
    per model, whether each line is compiled."""

    def __init__(self, f: SourceText, ctx: Context) -> None:
        self.f = f
        self.ctx = ctx
        assert f.item.structure is not None
        self.structure: PreprocStructure = f.item.structure
        self._state_memo: dict[int, dict[str, Value]] = {}
        self._pattern_hits: dict[re.Pattern[bytes], list[int]] = {}
        self.file_reach: Mapping[str, Value] = ctx.reach.get(f.rel, {})
        self._macro_callers: bool | None = None

    def hits_in(self, pattern: re.Pattern[bytes], first_line: int, last_line: int) -> list[int]:
        """Offsets of ``pattern`` in lines first..last: one regex pass per file, then bisect
        (nested branches would otherwise re-scan the same body once per level)."""
        hits = self._pattern_hits.get(pattern)
        if hits is None:
            hits = [m.start() for m in pattern.finditer(self.f.masked)]
            self._pattern_hits[pattern] = hits
        start, end = self.f.index.start_of(first_line), self.f.index.end_of(last_line)
        return hits[bisect_left(hits, start) : bisect_left(hits, end)]

    def states_at(self, line: int) -> dict[str, Value]:
        owner = self.structure.owner(line)
        cached = self._state_memo.get(owner)
        if cached is None:
            cached = self._state_memo[owner] = self.branch_states(owner)
        return cached

    def calls_tree_macros(self) -> bool:
        """Does this file name a function-like macro the tree defines? (Cheap test before
        looking for the macro call around each intrinsic.)"""
        if self._macro_callers is None:
            tree = self.ctx.tree
            names = tree.function_like_names() if tree is not None else frozenset()
            masked = self.f.masked
            self._macro_callers = any(name.encode() in masked for name in names)
        return self._macro_callers

    def branch_states(self, branch: int) -> dict[str, Value]:
        return {m: self.branch_state(m, branch) for m in self.ctx.guards}

    def branch_state(self, model: str, branch: int) -> Value:
        """Is ``branch`` (-1: the file's top level) compiled on ``model``: the file is
        reached by some translation unit there, and the branch's guards are taken."""
        return and3(self.ctx.guards[model].branch_state(self.f.rel, branch), self.file_reach.get(model, 1))

    def followed_by_paren(self, end: int) -> bool:
        return self.f.masked[end : end + 256].lstrip()[:1] == b"("

    def body_hits(self, branch: int, pattern: re.Pattern[bytes], model: str | None = None) -> bool:
        """Does the branch body hold ``pattern``: on a line ``model`` compiles, or, with no
        model, anywhere in the body?"""
        b = self.structure.branches[branch]
        if b.body_end < b.body_start:
            return False

        def compiled(line: int) -> bool:
            return model is None or self.states_at(line).get(model) != 0

        def shimmed(offset: int) -> bool:
            # The package's own definition of the name (``_umul128`` built on __umulh)
            # compiled on this model: a use of it is not x86-only code there.
            if model is None or not self.ctx.provided:
                return False
            word = _WORD.match(self.f.masked, offset)
            return word is not None and self.ctx.provided.get(word.group().decode(), {}).get(model) == 1

        if any(
            compiled(self.f.index.line_of(o)) and not shimmed(o)
            for o in self.hits_in(pattern, b.body_start, b.body_end)
        ):
            return True
        # "quoted" include names are masked as strings; look at the names themselves.
        return any(
            b.body_start <= inc.line <= b.body_end
            and pattern.search(inc.target.encode())
            and compiled(inc.line)
            for inc in self.structure.includes
        )

    def emit(
        self,
        rule: Rule,
        location: Location,
        reach: Mapping[str, Value],
        message: str,
        fallback: str | None,
        severity: Severity | None = None,
        confidence: Confidence | None = None,
    ) -> Finding | None:
        return make_finding(
            rule,
            location,
            reach,
            self.ctx.selected,
            message,
            fallback,
            self.f.text_of_line(location.line),
            severity,
            confidence,
        )


class RustFileView:
    """One Rust file as the native kinds see it: reach comes from ``#[cfg(...)]``."""

    def __init__(self, f: SourceText, ctx: Context) -> None:
        self.f = f
        self.ctx = ctx
        self._cfg = {m.name: m.rust_cfg for m in ctx.models}
        self.file_reach: Mapping[str, Value] = ctx.reach.get(f.rel, {})

    def reach_at(self, offset: int) -> dict[str, Value]:
        """Per model: is the file compiled there (its ``mod`` declarations' cfg, from the
        crate roots), and do the ``cfg``s around ``offset`` hold?"""
        predicates = treesitter.rust_cfg_predicates(self.f.tree, self.f.data, offset)
        reach: dict[str, Value] = {}
        for model, cfg in self._cfg.items():
            state: Value = self.file_reach.get(model, 1)
            if state == 0:
                reach[model] = 0
                continue
            for predicate in predicates:
                value = evaluate_cfg(predicate, cfg)
                if value == 0:
                    state = 0
                    break
                if value is None:
                    state = None
            reach[model] = state
        return reach

    def emit(
        self, rule: Rule, start: int, end: int, reach: Mapping[str, Value], match: str
    ) -> Finding | None:
        summary = reach_summary(rule, reach, self.ctx.selected)
        models = ", ".join(summary[1]) if summary else ""
        location = self.f.location(start, end)
        return make_finding(
            rule,
            location,
            reach,
            self.ctx.selected,
            format_message(rule.message, match=match, models=models),
            rule.fallback,
            self.f.text_of_line(location.line),
        )


def _by_kind(rules: Iterable[Rule], language: Language) -> dict[type[NativeKind], list[Rule]]:
    """The rules for ``language``, grouped by match kind (in rule order)."""
    groups: dict[type[NativeKind], list[Rule]] = {}
    for rule in rules:
        if language in rule.languages and isinstance(rule.match, NativeKind):
            groups.setdefault(type(rule.match), []).append(rule)
    return groups


def _run_kinds(f: SourceText, ctx: Context) -> list[Finding]:
    found: list[Finding | None] = []
    groups = _by_kind(ctx.rules, f.item.language)
    if f.item.language is Language.RUST:
        rust = RustFileView(f, ctx)
        for rules in groups.values():
            for rule in rules:
                assert isinstance(rule.match, NativeKind)
                found.extend(rule.match.match_rust(rule, rust))
    else:
        view = CFileView(f, ctx)
        for kind, rules in groups.items():
            found.extend(kind.find_c(rules, view))
        kept = _after_error_stops(view, [x for x in found if x is not None])
        return with_places(view.structure, f.masked, kept)
    return [x for x in found if x is not None]


PLACE_CONDITION_CHARS = 60
_DEFINED_NAME = re.compile(r"defined\s*\(\s*(\w+)\s*\)")
_FUNCTION_HEAD = re.compile(rb"[A-Za-z_][\w \t\*&:<>,]*?\b([A-Za-z_]\w*)\s*\(")
_NOT_FUNCTIONS = frozenset({b"if", b"for", b"while", b"switch", b"return", b"sizeof", b"defined"})
FUNCTION_LOOKBACK = 4000  # lines: a longer function is named by its guard or not at all


def with_places(structure: PreprocStructure, masked: bytes, findings: list[Finding]) -> list[Finding]:
    """Each finding gets its place (pure): the innermost guarded block around it that is
    not the file's include guard, else the function around it, else file scope."""
    if not findings:
        return findings
    lines = masked.split(b"\n")
    out = []
    for finding in findings:
        line = finding.location.line
        place = _guard_place(structure, line) or _function_place(lines, line)
        out.append(replace(finding, place=place) if place else finding)
    return out


def _guard_place(structure: PreprocStructure, line: int) -> str:
    for index in structure.enclosing(line):
        branch = structure.branches[index]
        guard = structure.include_guard
        if guard and branch.parent == -1 and branch.kind in ("ifndef", "if") and guard in branch.condition:
            continue
        condition = " ".join(branch.condition.split())
        if branch.kind in ("ifdef", "ifndef"):  # kept as "defined(X)": show it as written
            condition = _DEFINED_NAME.sub(r"\1", condition).lstrip("!")
        if len(condition) > PLACE_CONDITION_CHARS:
            condition = condition[:PLACE_CONDITION_CHARS] + "…"
        return f"#{branch.kind} {condition}".rstrip() + f" (line {branch.directive_line})"
    return ""


def _function_place(lines: list[bytes], line: int) -> str:
    """The function whose body holds ``line``, read from the text as C is usually laid
    out: its head starts at column 0, its closing brace is a "}" at column 0. A line at
    column 0 that closes something first means file scope."""
    for number in range(line - 1, max(0, line - FUNCTION_LOOKBACK) - 1, -1):
        text = lines[number - 1] if 0 < number <= len(lines) else b""
        if number == line or not text or text[:1] in b" \t#{/":
            continue
        if text[:1] == b"}":
            return ""
        head = _FUNCTION_HEAD.match(text)
        if head is not None and head.group(1) not in _NOT_FUNCTIONS and not text.rstrip().endswith(b";"):
            return f"function {head.group(1).decode('ascii', 'replace')}"
        if text.rstrip().endswith((b";", b"}")):
            return ""  # a declaration or a statement at file scope
    return ""


def _after_error_stops(view: CFileView, findings: list[Finding]) -> list[Finding]:
    """A file that refuses a model with a guard-clause ``#error`` (an x86-only source,
    WOA170) is one finding there, not one per line after it: the compiler stops at it.
    (A ladder's ``#else #error`` hides nothing: each ladder is a blocker of its own.)"""
    stops: dict[str, int] = {}
    for err in view.structure.errors:
        if not is_x86_only_refusal(view, err):
            continue
        for model, state in view.states_at(err.line).items():
            if state == 1 and model not in stops:
                stops[model] = err.line
    if not stops:
        return findings
    out = []
    for finding in findings:
        line = finding.location.line
        kept = tuple(m for m in finding.reachable_on if not (m in stops and line > stops[m]))
        if kept == finding.reachable_on:
            out.append(finding)
        elif kept:
            out.append(replace(finding, reachable_on=kept))
    return out


def _map_cython(finding: Finding, markers: list[tuple[int, str, int]], resolve: dict[str, str]) -> Finding:
    source = cython_source_at(markers, finding.location.line)
    if source is None:
        return finding
    pyx_path = resolve.get(source[0], source[0])
    # The place (a block of the generated C) means nothing in the .pyx: file scope there.
    return replace(finding, location=Location(pyx_path, source[1]), generated_from=finding.location, place="")


def unsuppressed(f: SourceText, findings: Iterable[Finding]) -> list[Finding]:
    return [
        x for x in findings if not suppressed(f.text_of_line, x.location.line, x.rule_id, f.item.language)
    ]


def analyze(item: FileInput, ctx: Context, cython_paths: dict[str, str] | None = None) -> list[Finding]:
    """All findings for one file, suppressions applied, Cython lines mapped back."""
    f = SourceText(item)
    findings = unsuppressed(f, _run_kinds(f, ctx))
    if item.cython_markers:
        findings = [_map_cython(x, item.cython_markers, cython_paths or {}) for x in findings]
    return sorted(set(findings), key=Finding.sort_key)
