"""Run the rules over one parsed file and produce findings.

Everything here is a pure function of a file's bytes, its preprocessor structure, the
guard models and the rules, so it runs the same in the main process or a worker.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

import tree_sitter

from analyzer.fallbacks import FallbackTable
from analyzer.model import Confidence, Finding, Language, Location, Severity, TargetModel
from analyzer.native import treesitter
from analyzer.native.cexpr import Value
from analyzer.native.guards import FileStructure, GuardModel, evaluate_cfg
from analyzer.native.preproc import LineIndex, PreprocStructure, mask_comments_and_strings
from analyzer.precise.clang import Hit
from analyzer.rules import Rule, fast_start

_SUPPRESS = re.compile(rb"woaport:\s*ignore(?:\[([A-Za-z0-9_, -]+)\])?")
_COMMENT_ONLY = re.compile(rb"^\s*(?://|/\*|\*)")
_GNU_ASM = re.compile(rb"\b(?:__asm__|__asm|asm)\b(?:\s+(?:volatile|__volatile__|goto|inline))*\s*\(")
_MSVC_ASM = re.compile(
    rb"\b(?:__asm|_asm)\b(?=\s*\{|[ \t]+(?!volatile\b|__volatile__\b|goto\b|inline\b)[A-Za-z])"
)
_RUST_ASM = re.compile(rb"\b(?:asm|global_asm|naked_asm)!\s*[\(\[\{]")
_CLOSERS = {ord("("): ord(")"), ord("["): ord("]"), ord("{"): ord("}")}
MAX_ASM_SPAN = 64 * 1024
SNIPPET_CHARS = 200
_NOT_CALL_SYNTAX = frozenset({"type", "identifier", "macro"})


@dataclass
class FileInput:
    rel: str
    data: bytes
    language: Language
    structure: PreprocStructure | None = None  # C/C++ only
    cython_markers: list[tuple[int, str, int]] = field(default_factory=list)
    masked: bytes | None = None  # mask_comments_and_strings(data), when already computed


class _File:
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

    def snippet(self, line: int) -> str:
        text = self.line_text(line).decode("utf-8", "replace").strip()
        return text if len(text) <= SNIPPET_CHARS else text[:SNIPPET_CHARS] + "…"

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

    def structure_of(self, rel: str) -> FileStructure | None:
        """The preprocessor structure of a tree file (None for files with none: Rust)."""
        for guard in self.guards.values():
            return guard.tree.files.get(rel)
        return None

    @cached_property
    def condition_memo(self) -> dict[tuple[str, str], bool]:
        """(rule id, #if condition) -> does the rule's condition pattern select it. The
        same conditions recur across a tree's files (and within one)."""
        return {}

    @cached_property
    def token_rules(self) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.match.kind == "token")

    @cached_property
    def token_prefilter(self) -> re.Pattern[bytes] | None:
        patterns = [r.match.pattern.pattern for r in self.token_rules if r.match.pattern is not None]
        if not patterns:
            return None
        body = rb"(?<![\w$])(?:" + b"|".join(b"(?:" + p + b")" for p in patterns) + rb")(?![\w$])"
        if all(p.startswith(b"_") for p in patterns):
            body = b"(?=_)" + body  # a known first character lets re skip ahead quickly
        return re.compile(body)


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


def _rule_regex(rule: Rule) -> bytes | None:
    m = rule.match
    if m.kind in ("token", "include") and m.pattern is not None:
        return m.pattern.pattern
    if m.kind == "asm":
        return b"asm"
    if m.kind == "branch" and m.condition is not None:
        if m.state == "skipped" or m.body is None:
            return fast_start(m.condition.pattern).encode()
        return m.body.pattern
    if m.kind == "missing_counterpart" and m.body is not None:
        return m.body.pattern
    return None


def build_prefilter(rules: tuple[Rule, ...]) -> Prefilter:
    literals: list[bytes] = []
    regexes: list[re.Pattern[bytes]] = []
    for rule in rules:
        if Language.C not in rule.languages and Language.CPP not in rule.languages:
            continue
        if rule.prefilter:
            literals.extend(x for x in rule.prefilter if x not in literals)
        else:
            pattern = _rule_regex(rule)
            if pattern is not None:
                regexes.append(re.compile(pattern))
    # A literal that contains another is redundant: every file holding it holds the shorter
    # one too. Fewer literals, fewer passes over each file.
    minimal = [x for x in literals if not any(y != x and y in x for y in literals)]
    return Prefilter(tuple(sorted(minimal)), tuple(regexes))


def _reach_summary(
    rule: Rule, reach: dict[str, Value], selected: frozenset[str]
) -> tuple[Confidence, tuple[str, ...]] | None:
    models = [m for m in rule.models if m in selected]
    sure = tuple(m for m in models if reach.get(m) == 1)
    maybe = tuple(m for m in models if m in reach and reach[m] is None)
    if sure:
        return Confidence.HIGH, sure
    if maybe:
        return Confidence.LOW, maybe
    return None


def _format(template: str, **fields: str) -> str:
    try:
        return template.format(**fields)
    except (KeyError, IndexError, ValueError):
        return template


class _CFileMatcher:
    def __init__(self, f: _File, ctx: Context) -> None:
        self.f = f
        self.ctx = ctx
        assert f.item.structure is not None
        self.structure: PreprocStructure = f.item.structure
        self._state_memo: dict[int, dict[str, Value]] = {}
        self._pattern_hits: dict[re.Pattern[bytes], list[int]] = {}

    def _hits_in(self, pattern: re.Pattern[bytes], first_line: int, last_line: int) -> list[int]:
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

    def branch_states(self, branch: int) -> dict[str, Value]:
        return {m: g.branch_state(self.f.rel, branch) for m, g in self.ctx.guards.items()}

    def emit(
        self,
        rule: Rule,
        location: Location,
        reach: dict[str, Value],
        message: str,
        fallback: str | None,
        severity: Severity | None = None,
        confidence: Confidence | None = None,
    ) -> Finding | None:
        summary = _reach_summary(rule, reach, self.ctx.selected)
        if summary is None:
            return None
        conf, models = summary
        return Finding(
            rule_id=rule.id,
            severity=severity or rule.severity,
            confidence=confidence or conf,
            location=location,
            message=message,
            reachable_on=models,
            fallback=fallback,
            snippet=self.f.snippet(location.line),
        )

    def run(self) -> list[Finding]:
        findings: list[Finding | None] = []
        rules = [r for r in self.ctx.rules if self.f.item.language in r.languages]
        findings.extend(self.tokens([r for r in rules if r.match.kind == "token"]))
        for rule in rules:
            kind = rule.match.kind
            if kind == "include":
                findings.extend(self.includes(rule))
            elif kind == "asm":
                findings.extend(self.asm(rule))
            elif kind == "branch":
                findings.extend(self.branches(rule))
            elif kind == "missing_counterpart":
                findings.extend(self.missing_counterpart(rule))
        return [x for x in findings if x is not None]

    def _fallback_for(self, rule: Rule, token: str) -> str | None:
        found = self.ctx.fallbacks.lookup(token)
        if found is None:
            return rule.fallback
        if found.neon is None and found.generic is None:
            # Only the family's translation-layer coverage is known: keep the rule's advice.
            return f"{rule.fallback} ({found.describe()})" if rule.fallback else found.describe()
        return found.describe()

    # -- rule kinds ---------------------------------------------------------------
    def tokens(self, rules: list[Rule]) -> list[Finding | None]:
        prefilter = self.ctx.token_prefilter
        if not rules or prefilter is None:
            return []
        out: list[Finding | None] = []
        for m in prefilter.finditer(self.f.masked):
            token = m.group()
            line = self.f.index.line_of(m.start())
            reach = self.states_at(line)
            if not any(v != 0 for v in reach.values()):
                continue
            syntax: str | None = None
            for rule in rules:
                pattern, exclude = rule.match.pattern, rule.match.exclude
                if pattern is None or not pattern.fullmatch(token):
                    continue
                if exclude is not None and exclude.fullmatch(token):
                    continue
                if rule.match.syntax and not (
                    # Outside comments and strings (masked) and not followed by "(", a
                    # token can only be a type, identifier or macro use: no parse needed.
                    rule.match.syntax >= _NOT_CALL_SYNTAX and not self._followed_by_paren(m.end())
                ):
                    if syntax is None:
                        syntax = treesitter.syntax_at(self.f.tree, m.start(), m.end())
                    if syntax not in rule.match.syntax:
                        continue
                name = token.decode("ascii", "replace")
                out.append(
                    self.emit(
                        rule,
                        self.f.location(m.start(), m.end()),
                        reach,
                        _format(rule.message, match=name),
                        self._fallback_for(rule, name),
                    )
                )
        return out

    def _followed_by_paren(self, end: int) -> bool:
        return self.f.masked[end : end + 256].lstrip()[:1] == b"("

    def includes(self, rule: Rule) -> list[Finding | None]:
        out: list[Finding | None] = []
        assert rule.match.pattern is not None
        for inc in self.structure.includes:
            header = inc.target.replace("\\", "/").rsplit("/", 1)[-1]
            if not rule.match.pattern.fullmatch(header.encode()):
                continue
            reach = self.states_at(inc.line)
            out.append(
                self.emit(
                    rule,
                    self.f.line_location(inc.line),
                    reach,
                    _format(rule.message, match=inc.target),
                    rule.fallback,
                )
            )
        return out

    def asm(self, rule: Rule) -> list[Finding | None]:
        out: list[Finding | None] = []
        if b"asm" not in self.f.masked:  # a substring test is far cheaper than the regex
            return out
        gnu = rule.match.form == "gnu"
        finder = _GNU_ASM if gnu else _MSVC_ASM
        for m in finder.finditer(self.f.masked):
            end = self.f.span_end(m.end() - 1) if gnu else self._msvc_asm_end(m.end())
            text = self.f.data[m.start() : end]
            if rule.match.pattern is not None and not rule.match.pattern.search(text):
                continue
            line = self.f.index.line_of(m.start())
            out.append(
                self.emit(
                    rule,
                    self.f.location(m.start(), m.end()),
                    self.states_at(line),
                    _format(rule.message, match="asm"),
                    rule.fallback,
                )
            )
        return out

    def _msvc_asm_end(self, after: int) -> int:
        rest = self.f.masked[after : after + 64]
        brace = rest.find(b"{")
        if brace != -1 and not rest[:brace].strip():
            return self.f.span_end(after + brace)
        return self.f.index.end_of(self.f.index.line_of(after))

    def _matching_branches(self, rule: Rule) -> list[int]:
        cond, excl = rule.match.condition, rule.match.condition_excludes
        assert cond is not None
        memo = self.ctx.condition_memo
        out = []
        for b in self.structure.branches:
            if not b.condition:
                continue
            key = (rule.id, b.condition)
            hit = memo.get(key)
            if hit is None:
                hit = memo[key] = bool(cond.search(b.condition)) and not (excl and excl.search(b.condition))
            if hit:
                out.append(b.index)
        return out

    def _body_hits(self, branch: int, pattern: re.Pattern[bytes], model: str | None = None) -> bool:
        """Does the branch body hold ``pattern``: on a line ``model`` compiles, or, with no
        model, anywhere in the body?"""
        b = self.structure.branches[branch]
        if b.body_end < b.body_start:
            return False

        def compiled(line: int) -> bool:
            return model is None or self.states_at(line).get(model) != 0

        if any(compiled(self.f.index.line_of(o)) for o in self._hits_in(pattern, b.body_start, b.body_end)):
            return True
        # "quoted" include names are masked as strings; look at the names themselves.
        return any(
            b.body_start <= inc.line <= b.body_end
            and pattern.search(inc.target.encode())
            and compiled(inc.line)
            for inc in self.structure.includes
        )

    def branches(self, rule: Rule) -> list[Finding | None]:
        out: list[Finding | None] = []
        for index in self._matching_branches(rule):
            b = self.structure.branches[index]
            states = self.branch_states(index)
            if rule.match.state == "taken":
                out.append(self._taken(rule, index, states))
            else:
                out.append(self._skipped(rule, index, b.parent, states))
        return out

    def _condition_fields(self, rule: Rule, index: int) -> dict[str, str]:
        b = self.structure.branches[index]
        shown = b.condition if len(b.condition) <= 80 else b.condition[:77] + "..."
        assert rule.match.condition is not None
        macros = sorted(set(rule.match.condition.findall(b.condition)))
        if b.kind in ("ifdef", "ifndef", "elifdef", "elifndef"):
            shown = shown.lstrip("!").removeprefix("defined(").removesuffix(")")
        return {"condition": f"#{b.kind} {shown}", "condition_macros": " and ".join(macros) or shown}

    def _taken(self, rule: Rule, index: int, states: dict[str, Value]) -> Finding | None:
        reach: dict[str, Value] = {}
        for model in rule.models:
            state = states.get(model, 0)
            if state == 0:
                continue
            if rule.match.body is not None and not self._body_hits(index, rule.match.body, model):
                continue
            reach[model] = state
        b = self.structure.branches[index]
        return self.emit(
            rule,
            self.f.line_location(b.directive_line),
            reach,
            _format(rule.message, **self._condition_fields(rule, index)),
            rule.fallback,
        )

    def _skipped(self, rule: Rule, index: int, parent: int, states: dict[str, Value]) -> Finding | None:
        if not any(states.get(t) == 1 for t in rule.match.taken_on):
            return None
        b = self.structure.branches[index]
        reach: dict[str, Value] = {}
        outcome = "none"
        taken_text = "nothing (the ARM64 code is left out)"
        uncertain = False
        for model in rule.models:
            guard = self.ctx.guards[model]
            parent_state = guard.branch_state(self.f.rel, parent)
            if states.get(model) != 0 or parent_state == 0:
                continue
            reach[model] = parent_state
            taken = guard.taken_branch(self.f.rel, b.group)
            if taken is None:
                uncertain = True
                outcome, taken_text = "generic", "another branch (which one depends on the build)"
            elif taken >= 0:
                outcome, taken_text = self._classify_taken(taken, model)
        severity = rule.match.outcome(outcome, rule.severity)
        fields = {**self._condition_fields(rule, index), "taken": taken_text}
        return self.emit(
            rule,
            self.f.line_location(b.directive_line),
            reach,
            _format(rule.message, **fields),
            rule.fallback,
            severity=severity,
            confidence=Confidence.LOW if uncertain else None,
        )

    def _classify_taken(self, taken: int, model: str) -> tuple[str, str]:
        tb = self.structure.branches[taken]
        for err in self.structure.errors:
            if tb.body_start <= err.line <= tb.body_end and self.states_at(err.line).get(model) != 0:
                return "error", f"the #error at line {err.line}"
        if self._body_hits(taken, self.ctx.x86_marker, model):
            return "x86", f"the x86-only branch at line {tb.directive_line}"
        return "generic", f"the fallback branch at line {tb.directive_line}"

    def missing_counterpart(self, rule: Rule) -> list[Finding | None]:
        body, counterpart = rule.match.body, rule.match.counterpart
        assert body is not None and counterpart is not None
        if counterpart.search(self.f.masked) or any(
            counterpart.search(inc.target.encode()) for inc in self.structure.includes
        ):
            return []
        models = [m for m in rule.models if m in self.ctx.selected]
        if not models or not self._hits_in(body, 1, self.f.index.line_count):
            return []
        out: list[Finding | None] = []
        reported: set[int] = set()
        for b in self.structure.branches:
            # Cheapest test first: most branches hold no x86 SIMD at all.
            if not self._body_hits(b.index, body):
                continue
            if any(a in reported for a in self.structure.enclosing(b.directive_line)):
                continue
            states = self.branch_states(b.index)
            if any(states.get(m) != 0 for m in models):
                continue
            reach = {m: self.ctx.guards[m].branch_state(self.f.rel, b.parent) for m in models}
            finding = self.emit(
                rule, self.f.line_location(b.directive_line), reach, rule.message, rule.fallback
            )
            if finding is not None:
                reported.add(b.index)
                out.append(finding)
        return out


class _RustMatcher:
    def __init__(self, f: _File, ctx: Context) -> None:
        self.f = f
        self.ctx = ctx
        self._cfg = {m.name: m.rust_cfg for m in ctx.models}

    def reach_at(self, offset: int) -> dict[str, Value]:
        predicates = treesitter.rust_cfg_predicates(self.f.tree, self.f.data, offset)
        reach: dict[str, Value] = {}
        for model, cfg in self._cfg.items():
            state: Value = 1
            for predicate in predicates:
                value = evaluate_cfg(predicate, cfg)
                if value == 0:
                    state = 0
                    break
                if value is None:
                    state = None
            reach[model] = state
        return reach

    def emit(self, rule: Rule, start: int, end: int, reach: dict[str, Value], match: str) -> Finding | None:
        summary = _reach_summary(rule, reach, self.ctx.selected)
        if summary is None:
            return None
        confidence, models = summary
        location = self.f.location(start, end)
        return Finding(
            rule.id,
            rule.severity,
            confidence,
            location,
            _format(rule.message, match=match, models=", ".join(models)),
            models,
            rule.fallback,
            self.f.snippet(location.line),
        )

    def run(self) -> list[Finding]:
        out: list[Finding | None] = []
        for rule in self.ctx.rules:
            if Language.RUST not in rule.languages:
                continue
            kind, pattern = rule.match.kind, rule.match.pattern
            if kind == "rust_token" and pattern is not None:
                for m in pattern.finditer(self.f.masked):
                    out.append(
                        self.emit(
                            rule,
                            m.start(),
                            m.end(),
                            self.reach_at(m.start()),
                            m.group().decode("ascii", "replace"),
                        )
                    )
            elif kind == "rust_asm":
                for m in _RUST_ASM.finditer(self.f.masked):
                    text = self.f.data[m.start() : self.f.span_end(m.end() - 1)]
                    if pattern is None or pattern.search(text):
                        out.append(self.emit(rule, m.start(), m.end(), self.reach_at(m.start()), "asm!"))
            elif kind == "rust_missing_counterpart" and pattern is not None:
                counterpart = rule.match.counterpart
                first = pattern.search(self.f.data)
                if first is None or (counterpart is not None and counterpart.search(self.f.data)):
                    continue
                reach: dict[str, Value] = {m: 1 for m in rule.models}
                out.append(
                    self.emit(
                        rule, first.start(), first.end(), reach, first.group().decode("ascii", "replace")
                    )
                )
        return [x for x in out if x is not None]


def _suppressed(f: _File, finding: Finding) -> bool:
    line = finding.location.line
    candidates = [f.line_text(line)]
    if line > 1 and _COMMENT_ONLY.match(f.line_text(line - 1)):
        candidates.append(f.line_text(line - 1))
    for text in candidates:
        for m in _SUPPRESS.finditer(text):
            if m.group(1) is None:
                return True
            ids = {x.strip().upper() for x in m.group(1).decode().split(",")}
            if finding.rule_id in ids:
                return True
    return False


def _map_cython(finding: Finding, markers: list[tuple[int, str, int]], resolve: dict[str, str]) -> Finding:
    line = finding.location.line
    chosen: tuple[int, str, int] | None = None
    for marker in markers:
        if marker[0] > line:
            break
        chosen = marker
    if chosen is None or not chosen[1]:
        return finding
    pyx_path = resolve.get(chosen[1], chosen[1])
    return Finding(
        finding.rule_id,
        finding.severity,
        finding.confidence,
        Location(pyx_path, chosen[2]),
        finding.message,
        finding.reachable_on,
        finding.fallback,
        finding.snippet,
        generated_from=finding.location,
    )


def analyze(item: FileInput, ctx: Context, cython_paths: dict[str, str] | None = None) -> list[Finding]:
    """All findings for one file, suppressions applied, Cython lines mapped back."""
    f = _File(item)
    matcher = _RustMatcher(f, ctx) if item.language is Language.RUST else _CFileMatcher(f, ctx)
    findings = matcher.run()
    findings = [x for x in findings if not _suppressed(f, x)]
    if item.cython_markers:
        findings = [_map_cython(x, item.cython_markers, cython_paths or {}) for x in findings]
    return sorted(set(findings), key=Finding.sort_key)


def precise_file_findings(
    rel: str, data: bytes, language: Language, hits: Mapping[Hit, set[str]], ctx: Context
) -> list[Finding]:
    """Findings for a translation unit from precise-mode hits (hit -> models it occurs on),
    with the same messages, fallbacks and suppressions as the fast mode."""
    f = _File(FileInput(rel, data, language))
    by_id = {r.id: r for r in ctx.rules}
    out: list[Finding] = []
    for hit, models in hits.items():
        rule = by_id.get(hit.rule_id)
        if rule is None or hit.provided:
            continue
        reach: dict[str, Value] = {m: 1 for m in models}
        summary = _reach_summary(rule, reach, ctx.selected)
        if summary is None:
            continue
        message = _format(rule.message, match=hit.token)
        if hit.via:
            message += f" (through {hit.via})"
        line_start = f.index.start_of(hit.line) if hit.line <= f.index.line_count else 0
        location = f.location(
            line_start + hit.column - 1, line_start + max(hit.end_column, hit.column + 1) - 1
        )
        fallback = rule.fallback
        if rule.match.kind == "token":
            found = ctx.fallbacks.lookup(hit.token)
            if found is not None:
                fallback = found.describe() if (found.neon or found.generic) else fallback
        finding = Finding(
            rule_id=rule.id,
            severity=rule.severity,
            confidence=Confidence.HIGH,
            location=location,
            message=message,
            reachable_on=summary[1],
            fallback=fallback,
            snippet=f.snippet(hit.line),
        )
        if not _suppressed(f, finding):
            out.append(finding)
    return sorted(set(out), key=Finding.sort_key)
