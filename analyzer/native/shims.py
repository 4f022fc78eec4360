"""Names the package defines itself: a function, macro or typedef named like an x86
intrinsic or vector type (a vendored sse2neon.h or SIMDe, a portable ``_umul128``) is a
shim, not a use of the x86 intrinsic, wherever that definition is compiled.

Definitions are found in comment- and string-masked text: a function with a body
(``static inline __m128 _mm_add_ps(...) {``), a ``#define`` of the name, a
``typedef ... __m128;``, or the name used as a struct/union/enum/class tag (no intrinsic
is one). A mere prototype proves nothing and is not counted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from analyzer.native.guards import GuardModel
from analyzer.native.preproc import PreprocStructure
from analyzer.tri import Value, and3, or3

# What may stand right before a defined function's name: the end of its return type.
_TYPE_END = re.compile(rb"[\w*&>]\s*$")
_TYPEDEF_TAIL = re.compile(rb"\s*;")
_BODY = re.compile(rb"\s*(?:const\s*|noexcept\s*|__attribute__\s*\(\([^;{]*\)\)\s*)*\{")
# A struct/union/enum/class tag: no x86 intrinsic or vector type is one, so a name used as
# a tag (``struct _mm_node *next;``) is the project's own, wherever that line is compiled.
# Searched in the bytes right before a name the rules look for (one pass over the file
# for the names, not a second one for every tag of the file).
_TAG_BEFORE = re.compile(rb"(?<![\w$])(?:struct|union|enum|class)\s+(?:__attribute__\s*\(\([^;{]*\)\)\s*)?$")
_TAG_WINDOW = 256
_TAG_KEYWORDS = (b"struct", b"union", b"enum", b"class")  # substring tests first: cheap
MAX_PARAMETERS = 4096


def _closing_paren(text: bytes, open_at: int) -> int:
    depth = 0
    for pos in range(open_at, min(len(text), open_at + MAX_PARAMETERS)):
        char = text[pos]
        if char == 40:  # (
            depth += 1
        elif char == 41:  # )
            depth -= 1
            if depth == 0:
                return pos
        elif char in (59, 123, 125):  # ; { } before the parameters close: not a definition
            return -1
    return -1


def _statement_start(text: bytes, end: int) -> int:
    """Where the declaration ending at ``end`` starts: after the previous ``;``, stepping
    back over a braced body (``typedef struct { ...; } name``)."""
    pos = end
    while True:
        semi = text.rfind(b";", 0, pos)
        close = text.rfind(b"}", 0, pos)
        if close <= semi:
            return semi + 1
        depth = 0
        for back in range(close, max(-1, close - MAX_PARAMETERS * 16), -1):
            if text[back] == 125:  # }
                depth += 1
            elif text[back] == 123:  # {
                depth -= 1
                if depth == 0:
                    pos = back
                    break
        else:
            return close + 1


def definitions(
    masked: bytes, names: re.Pattern[bytes], structure: PreprocStructure
) -> list[tuple[str, int]]:
    """(name, line) of every definition in one file of a name ``names`` matches."""
    found: list[tuple[str, int]] = []

    def line_of(offset: int) -> int:
        # Counted only for a definition found (most files have none): a list of every
        # line start per file was most of this function's time on a large tree.
        return masked.count(b"\n", 0, offset) + 1

    macros = [
        (macro.name, macro.line)
        for macro in structure.defines
        if not macro.undef and names.fullmatch(macro.name.encode())
    ]
    tags: list[tuple[str, int]] = []
    for m in names.finditer(masked):
        name = m.group().decode("ascii", "replace")
        window = max(0, m.start() - _TAG_WINDOW)
        before = masked[window : m.start()]
        if any(k in before for k in _TAG_KEYWORDS) and _TAG_BEFORE.search(masked, window, m.start()):
            tags.append((name, line_of(m.start())))
        after = m.end()
        if _TYPEDEF_TAIL.match(masked, after):
            if b"typedef" in masked[_statement_start(masked, m.start()) : m.start()]:
                found.append((name, line_of(m.start())))
            continue
        rest = masked[after : after + 64].lstrip()
        if not rest.startswith(b"(") or not _TYPE_END.search(masked[max(0, m.start() - 64) : m.start()]):
            continue
        before = masked[max(0, m.start() - 64) : m.start()].rstrip()
        if before.endswith((b"return", b"else", b"case")):
            continue  # a call in a statement, not a return type
        close = _closing_paren(masked, masked.index(b"(", after))
        if close != -1 and _BODY.match(masked, close + 1):
            found.append((name, line_of(m.start())))
    return macros + tags + found


def provided(
    defined: Mapping[str, list[tuple[str, int]]],
    guards: Mapping[str, GuardModel],
    reach: Mapping[str, Mapping[str, Value]],
) -> dict[str, dict[str, Value]]:
    """Per name and model: does the package compile its own definition of it there?"""
    out: dict[str, dict[str, Value]] = {}
    for name, places in defined.items():
        per_model: dict[str, Value] = {}
        for model, guard in guards.items():
            value: Value = 0
            for path, line in places:
                reached = reach.get(path, {}).get(model, 1)
                value = or3(value, and3(guard.line_state(path, line), reached))
            per_model[model] = value
        out[name] = per_model
    return out
