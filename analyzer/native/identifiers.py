"""One regex for many whole-identifier patterns, shaped so ``re`` can skip ahead.

A rule's token pattern (``_mm_\\w+``, ``__cpuid(?:ex)?``) must match a whole identifier:
``(?<![\\w$])(?:P)(?![\\w$])``. Written that way, the union of a catalogue's patterns
starts with a look-behind, so ``re`` tries it at every byte of a file (on a 500k-line
tree, a fifth of a scan). Written instead as a branch per first character
(``_(?<![\\w$]_)(?:mm_\\w+|_cpuid(?:ex)?)|E(?<![\\w$]E)(?:ip|...)``), every branch starts
with a literal, and ``re`` only tries positions holding one of those characters (and
with a single first character, finds them at memchr speed). The matched language is the
same: each top-level alternative keeps its text after its first character, and an
alternative that does not start with a plain literal (a group, an inline flag, a
quantified first character) stays in a branch written the plain way.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_WORD = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")
_QUANTIFIERS = frozenset(b"?*+{")


def top_level_alternatives(pattern: bytes) -> list[bytes]:
    """``pattern`` split at its top-level ``|`` (not inside a group, a class or an escape)."""
    parts: list[bytes] = []
    depth = 0
    start = 0
    in_class = False
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == 0x5C:  # \: the next byte is escaped
            i += 2
            continue
        if in_class:
            if char == 0x5D:  # ]
                in_class = False
        elif char == 0x5B:  # [: a "]" right after "[" or "[^" is a member, not the end
            in_class = True
            i += 1
            if i < len(pattern) and pattern[i] == 0x5E:
                i += 1
            if i < len(pattern) and pattern[i] == 0x5D:
                i += 1
            continue
        elif char == 0x28:
            depth += 1
        elif char == 0x29:
            depth -= 1
        elif char == 0x7C and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
        i += 1
    parts.append(pattern[start:])
    return parts


def _first_characters(alternative: bytes) -> tuple[list[int], bytes] | None:
    """The characters an alternative must start with and the rest after them, when the
    first item is a plain word character or a class of plain word characters that no
    quantifier follows; None otherwise."""
    if not alternative:
        return None
    if alternative[0] in _WORD:
        firsts, rest = [alternative[0]], alternative[1:]
    elif alternative[0] == 0x5B:  # [
        close = alternative.find(b"]", 1)
        members = alternative[1:close] if close > 1 else b""
        if not members or any(c not in _WORD for c in members):
            return None
        firsts, rest = sorted(set(members)), alternative[close + 1 :]
    else:
        return None
    if rest and rest[0] in _QUANTIFIERS:
        return None
    return firsts, rest


def identifier_union(patterns: Sequence[bytes]) -> re.Pattern[bytes]:
    """Whole identifiers matching any of ``patterns``, as one regex with literal-led branches."""
    by_first: dict[int, list[bytes]] = {}
    plain: list[bytes] = []
    for pattern in patterns:
        for alternative in top_level_alternatives(pattern):
            split = _first_characters(alternative)
            if split is None:
                plain.append(alternative)
                continue
            firsts, rest = split
            for first in firsts:
                rests = by_first.setdefault(first, [])
                if rest not in rests:
                    rests.append(rest)
    branches = []
    for first, rests in by_first.items():
        char = bytes([first])
        branches.append(char + rb"(?<![\w$]" + char + rb")(?:" + b"|".join(rests) + b")")
    if plain:
        branches.append(rb"(?<![\w$])(?:" + b"|".join(b"(?:" + p + b")" for p in plain) + b")")
    return re.compile(b"(?:" + b"|".join(branches) + rb")(?![\w$])")
