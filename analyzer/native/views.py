"""What the native kinds read of one file: its text and derived views (masked text, line
index, syntax tree), the analysis context the tree shares, and the C/C++ and Rust file
views through which each kind (:mod:`analyzer.native.kinds`) matches and emits findings.
Pure: a function of the file's bytes, its preprocessor structure and the guard models.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass, field

import tree_sitter

from analyzer.fallbacks import FallbackTable
from analyzer.findings import format_message, make_finding, reach_summary
from analyzer.kinds.rule import Rule
from analyzer.model import Confidence, Finding, Language, Location, Severity, TargetModel
from analyzer.native import treesitter
from analyzer.native.guards import FileStructure, GuardModel, TreeMacros, evaluate_cfg
from analyzer.native.preproc import LineIndex, PreprocStructure, mask_comments_and_strings
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
