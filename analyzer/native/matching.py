"""Run the rules over one parsed file and produce findings.

Everything here is a pure function of a file's bytes, its preprocessor structure, the
guard models and the rules, so it runs the same in the main process or a worker. Each
rule's match kind (:mod:`analyzer.native.kinds`) does the matching through a view of
the file (:mod:`analyzer.native.views`); findings are built by :mod:`analyzer.findings`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import cached_property

from analyzer.findings import suppressed
from analyzer.kinds.rule import Rule
from analyzer.model import Finding, Language, Location
from analyzer.native.kinds import NativeKind, is_x86_only_refusal
from analyzer.native.preproc import PreprocStructure
from analyzer.native.sources import cython_source_at
from analyzer.native.views import CFileView, Context, FileInput, RustFileView, SourceText


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
