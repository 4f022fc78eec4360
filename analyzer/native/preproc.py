"""Line-level C preprocessor structure: conditionals, defines, includes, #error.

The preprocessor is defined over logical lines (translation phases 1-4), so a line
scanner over comment-masked text recovers the exact conditional structure even where a
syntax tree breaks down. tree-sitter's view of the same directives is compared with this
one in tests; this scanner is the fallback whenever the tree has ERROR nodes.
"""

from __future__ import annotations

import itertools
import re
from array import array
from bisect import bisect_right
from dataclasses import dataclass, field
from itertools import accumulate, repeat
from operator import add
from typing import NamedTuple

# Comments and string/char literals, in one alternation so that a "/*" inside a string
# is not a comment and a quote inside a comment is not a string. Char literals are at
# most one (escaped) character so that C++ digit separators and Rust lifetimes do not
# swallow code.
_MASK_RE = re.compile(
    rb"//(?:[^\n\\]|\\.|\\\n)*"
    rb"|/\*(?:.*?\*/|.*\Z)"
    rb'|"(?:[^"\\\n]|\\.|\\\n)*"'
    rb"|'(?:\\.[^'\n]{0,8}|[^'\\\n])'",
    re.DOTALL,
)
# Every byte but the newline becomes a space (bytes.translate: one C pass, where a
# regex substitution per byte was half of the masking time on a large tree).
_BLANKS = bytes(b if b == 0x0A else 0x20 for b in range(256))
# A directive: "#", its name, and its operand through any backslash-continued lines.
# Searching from the newline before it (and the file's start separately) lets re skip
# ahead on a literal: "^" with MULTILINE tries every position and ran 3-4x slower.
_DIRECTIVE_BODY = rb"[ \t]*#[ \t]*([A-Za-z_]*)((?:[^\n]*\\[ \t\r]*\n)*[^\n]*)"
_DIRECTIVE_RE = re.compile(rb"\n" + _DIRECTIVE_BODY)
_FIRST_DIRECTIVE_RE = re.compile(_DIRECTIVE_BODY)
_LINE_JOIN_RE = re.compile(rb"\\[ \t\r]*\n")
_IDENT_RE = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)")
_INCLUDE_RE = re.compile(r'^\s*[<"]([^>"\n]+)[>"]')

CONDITIONAL_OPENERS = frozenset({"if", "ifdef", "ifndef"})
_RAW_KINDS = frozenset({"include", "include_next", "import", "error", "warning"})
CONDITIONAL_CONTINUERS = frozenset({"elif", "elifdef", "elifndef", "else"})


def _blank(match: re.Match[bytes]) -> bytes:
    return match.group().translate(_BLANKS)


def mask_comments_and_strings(source: bytes) -> bytes:
    """Same length as ``source``; comments and literals become spaces, newlines stay."""
    return _MASK_RE.sub(_blank, source)


class LineIndex:
    """Maps byte offsets to 1-based line numbers and back."""

    def __init__(self, source: bytes) -> None:
        # Line start offsets, computed without a Python-level loop per line:
        # running sums of (length + 1) over the lines.
        lengths = map(len, source.split(b"\n"))
        starts: array[int] = array("q", accumulate(map(add, lengths, repeat(1)), initial=0))
        starts.pop()  # the sum after the last line is not a line start
        self.starts = starts
        self.size = len(source)

    @property
    def line_count(self) -> int:
        return len(self.starts)

    def line_of(self, offset: int) -> int:
        return bisect_right(self.starts, offset)

    def start_of(self, line: int) -> int:
        return self.starts[line - 1]

    def end_of(self, line: int) -> int:
        """Offset of the newline ending ``line`` (or the end of the source)."""
        if line < len(self.starts):
            return self.starts[line] - 1
        return self.size


class Directive(NamedTuple):
    """One directive (a NamedTuple, not a dataclass: files hold tens of thousands and
    construction cost shows in scan throughput)."""

    line: int
    end_line: int
    kind: str
    text: str  # the directive's operand, continuations joined, comments masked
    raw: str  # the operand as written (used for include names)


@dataclass(frozen=True)
class Branch:
    """One arm of an #if/#elif/#else chain; its body is lines body_start..body_end."""

    index: int
    group: int
    kind: str
    directive_line: int
    condition: str
    body_start: int
    body_end: int
    parent: int
    prior: tuple[int, ...]


@dataclass(frozen=True)
class MacroDef:
    name: str
    line: int
    branch: int  # the innermost enclosing branch, -1 at top level
    value: str | None  # None for function-like macros
    undef: bool = False
    # Function-like macros: the parameter names and the replacement text.
    params: tuple[str, ...] | None = None
    body: str = ""


@dataclass(frozen=True)
class Include:
    line: int
    target: str
    angled: bool
    branch: int


@dataclass(frozen=True)
class ErrorDirective:
    line: int
    branch: int
    text: str


@dataclass
class PreprocStructure:
    directives: list[Directive]
    branches: list[Branch]
    groups: list[tuple[int, ...]]
    # Lines owner_starts[i] up to owner_starts[i+1]-1 have innermost branch owner_ids[i]
    # (-1: top level). Runs, not one entry per line: cheaper to build and to ship.
    owner_starts: array[int]
    owner_ids: array[int]
    defines: list[MacroDef] = field(default_factory=list)
    includes: list[Include] = field(default_factory=list)
    errors: list[ErrorDirective] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    include_guard: str | None = None

    def __getstate__(self) -> dict[str, object]:
        # The directive list is an intermediate (branches, defines and includes are built
        # from it); leaving it out makes structures a quarter cheaper to send to workers.
        return {**self.__dict__, "directives": []}

    def owner(self, line: int) -> int:
        run = bisect_right(self.owner_starts, line) - 1
        return self.owner_ids[run] if run >= 0 else -1

    def enclosing(self, line: int) -> list[int]:
        """Branch indexes enclosing ``line``, innermost first."""
        chain = []
        index = self.owner(line)
        while index != -1:
            chain.append(index)
            index = self.branches[index].parent
        return chain


def _joined(chunk: bytes) -> str:
    if b"\n" in chunk:
        chunk = _LINE_JOIN_RE.sub(b" ", chunk)
    return chunk.decode("utf-8", "replace").strip()


def scan_directives(source: bytes, masked: bytes | None = None) -> list[Directive]:
    """Every directive, in order, over logical lines. One regex match takes a whole
    directive with its continuation lines, and line numbers are counted as the scan
    moves forward (no per-line index): this pass runs close to regex speed."""
    if masked is None:
        masked = mask_comments_and_strings(source)
    directives = []
    line = 1
    counted_to = 0  # newlines before this offset are counted in ``line``
    resume = 0  # a match starting before this offset is inside the previous directive
    first = _FIRST_DIRECTIVE_RE.match(masked)
    for match in itertools.chain((first,) if first else (), _DIRECTIVE_RE.finditer(masked)):
        if match.start() < resume:
            continue  # e.g. "#x" (stringification) on a macro's continuation line
        resume = match.end()
        line_start = 0 if match is first else match.start() + 1  # after the "\n"
        line += masked.count(b"\n", counted_to, line_start)
        counted_to = line_start
        kind = match.group(1).decode("ascii")
        operand = match.group(2)
        last = line + operand.count(b"\n")
        # Only #include and #error use the unmasked text (names, messages).
        raw = _joined(source[match.start(2) : match.end(2)]) if kind in _RAW_KINDS else ""
        directives.append(Directive(line, last, kind, _joined(operand), raw))
    return directives


def _define(directive: Directive, branch: int) -> MacroDef | None:
    match = re.match(r"\s*([A-Za-z_]\w*)(\()?", directive.text)
    if match is None:
        return None
    name = match.group(1)
    if directive.kind == "undef":
        return MacroDef(name, directive.line, branch, None, undef=True)
    if match.group(2):
        close = directive.text.find(")", match.end())
        if close < 0:
            return MacroDef(name, directive.line, branch, None)
        params = tuple(p.strip() for p in directive.text[match.end() : close].split(",") if p.strip())
        return MacroDef(name, directive.line, branch, None, params=params, body=directive.text[close + 1 :])
    return MacroDef(name, directive.line, branch, directive.text[match.end() :].strip())


@dataclass
class _Draft:
    """A branch whose end is not known yet."""

    index: int
    group: int
    kind: str
    line: int
    condition: str
    body_start: int
    parent: int
    prior: tuple[int, ...]

    def close(self, end_line: int) -> Branch:
        return Branch(
            self.index,
            self.group,
            self.kind,
            self.line,
            self.condition,
            self.body_start,
            end_line,
            self.parent,
            self.prior,
        )


def _condition_of(d: Directive) -> str:
    if d.kind in ("ifdef", "elifdef"):
        return f"defined({_first_word(d.text)})"
    if d.kind in ("ifndef", "elifndef"):
        return f"!defined({_first_word(d.text)})"
    return "" if d.kind == "else" else d.text


def build_structure(directives: list[Directive], line_count: int) -> PreprocStructure:
    """Turn a directive list into branches, groups and a line -> branch map."""
    drafts: list[_Draft] = []  # every branch, in order of its directive
    closed: dict[int, Branch] = {}
    groups: list[list[int]] = []
    stack: list[int] = []  # open group indexes
    starts: array[int] = array("i")
    ids: array[int] = array("i")
    structure = PreprocStructure([], [], [], starts, ids)
    filled = 1  # lines below this already have their owner
    current = -1  # innermost open branch

    def assign(upto: int, branch: int) -> None:
        """Give lines filled..upto-1 to ``branch``."""
        nonlocal filled
        if upto > filled:
            if not ids or ids[-1] != branch:
                starts.append(filled)
                ids.append(branch)
            filled = upto

    def start_branch(d: Directive, group: int, parent: int) -> None:
        nonlocal current
        assign(d.line, current)
        assign(d.end_line + 1, parent)  # a directive line belongs to the enclosing code
        draft = _Draft(
            len(drafts), group, d.kind, d.line, _condition_of(d), d.end_line + 1, parent, tuple(groups[group])
        )
        drafts.append(draft)
        groups[group].append(draft.index)
        current = draft.index

    for d in directives:
        if d.kind in CONDITIONAL_OPENERS:
            groups.append([])
            stack.append(len(groups) - 1)
            start_branch(d, len(groups) - 1, current)
        elif d.kind in CONDITIONAL_CONTINUERS or d.kind == "endif":
            if not stack:
                structure.problems.append(f"line {d.line}: #{d.kind} without #if")
                continue
            closed[current] = drafts[current].close(d.line - 1)
            parent = drafts[current].parent
            if d.kind == "endif":
                assign(d.line, current)
                current = parent
                assign(d.end_line + 1, parent)
                stack.pop()
            else:
                start_branch(d, stack[-1], parent)
        elif d.kind in ("define", "undef"):
            macro = _define(d, current)
            if macro is not None:
                structure.defines.append(macro)
        elif d.kind in ("include", "include_next", "import"):
            m = _INCLUDE_RE.match(d.raw)
            if m:
                angled = d.raw.lstrip().startswith("<")
                structure.includes.append(Include(d.line, m.group(1), angled, current))
        elif d.kind == "error":
            structure.errors.append(ErrorDirective(d.line, current, d.raw))
    assign(line_count + 1, current)
    assign(line_count + 2, -1)  # past the end: top level, as before line 1
    while stack:
        stack.pop()
        draft = drafts[current]
        structure.problems.append(f"line {draft.line}: #{draft.kind} is never closed by #endif")
        closed[current] = draft.close(line_count)
        current = draft.parent
    structure.directives = directives
    structure.branches = [closed[i] for i in range(len(drafts))]
    structure.groups = [tuple(g) for g in groups]
    structure.include_guard = _include_guard(structure)
    return structure


def _first_word(text: str) -> str:
    match = _IDENT_RE.match(text)
    return match.group(1) if match else text.strip()


def _include_guard(structure: PreprocStructure) -> str | None:
    """``#ifndef X / #define X ... #endif`` spanning the whole file names X."""
    ds = [d for d in structure.directives if d.kind not in ("pragma", "")]
    if len(ds) < 3 or ds[0].kind != "ifndef" or ds[1].kind != "define" or ds[-1].kind != "endif":
        return None
    name = _first_word(ds[0].text)
    if _first_word(ds[1].text) != name:
        return None
    first = structure.branches[0]
    if first.body_end != ds[-1].line - 1 or len(structure.groups[0]) != 1:
        return None
    return name


def parse_preprocessor(source: bytes, masked: bytes | None = None) -> PreprocStructure:
    if masked is None:
        masked = mask_comments_and_strings(source)
    line_count = source.count(b"\n") + 1
    return build_structure(scan_directives(source, masked), line_count)
