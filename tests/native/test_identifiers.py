"""The literal-led regex shapes match exactly what the plain (look-behind first) forms
match: the rewrite is for speed only."""

from __future__ import annotations

import re

import pytest

from analyzer.model import Language
from analyzer.native.identifiers import identifier_union, top_level_alternatives
from analyzer.native.kinds import _GNU_ASM, _MSVC_ASM, C_FAMILY, TokenMatch
from analyzer.native.sources import header_language, join_token_splices
from analyzer.rules import default_rules

TEXT = (
    b"_mm_add_ps(a); x_mm_add_ps; $_mm_set1_ps; _mm_set1_ps$; __m128i v; __m128ix;\n"
    b"ctx.Eip = ctx.Rip; REip; Eipx; SegCs; R12; R16; _rdtsc(); __rdtsc(); __cpuidex(a, 0);\n"
    b"_mm256_load_ps(p); _mm512_x; foo(__cpuid); ab cd ef_ ab_c aX\n_mm_end"
)


def plain_union(patterns: list[bytes]) -> re.Pattern[bytes]:
    return re.compile(rb"(?<![\w$])(?:" + b"|".join(b"(?:" + p + b")" for p in patterns) + rb")(?![\w$])")


def spans(pattern: re.Pattern[bytes], text: bytes) -> list[tuple[int, int]]:
    return [m.span() for m in pattern.finditer(text)]


def test_the_catalogue_union_matches_what_the_plain_union_matches() -> None:
    patterns = [
        r.match.pattern.pattern
        for r in default_rules()
        if isinstance(r.match, TokenMatch) and r.languages & C_FAMILY
    ]
    found = spans(identifier_union(patterns), TEXT)
    assert found == spans(plain_union(patterns), TEXT)
    assert len(found) >= 12  # the text exercises real matches, not only rejections


@pytest.mark.parametrize(
    "patterns",
    [
        [b"ab", b"cd|ef_?"],  # a quantified last character stays inside the rest
        [b"[ac][bd]", b"e?f_"],  # a class first; a quantified first character stays plain
        [b"(?:ab|cd)", b"(?i:AX)"],  # a group first, a scoped flag: the plain branch
        [b"a(?:b|c)_c", b"a[]b]"],  # a class holding "]" first
        [b"_mm_\\w+", b"_m(?:end)"],
    ],
)
def test_alternatives_of_every_shape_keep_their_language(patterns: list[bytes]) -> None:
    for text in (TEXT, b"ab", b"ef_", b"f_", b"ax", b"a]", b"ab_c", b"_mm_end"):
        assert spans(identifier_union(patterns), text) == spans(plain_union(patterns), text), text
        for m in identifier_union(patterns).finditer(text):
            assert identifier_union(patterns).fullmatch(m.group())


def test_top_level_alternatives_ignore_bars_in_groups_classes_and_escapes() -> None:
    assert top_level_alternatives(rb"a(?:b|c)|[|]d|e\|f|g") == [b"a(?:b|c)", b"[|]d", rb"e\|f", b"g"]


def test_a_single_first_character_gives_re_a_literal_prefix() -> None:
    # With one first character the whole union starts with a literal: the fast path.
    assert identifier_union([b"_mm_\\w+", b"__cpuid"]).pattern.startswith(b"(?:_(?<!")


@pytest.mark.parametrize(
    "source, cpp",
    [
        (b"class X;", True),
        (b"\t template <int N> struct A;", True),
        (b"int a;\n\n   namespace x {}", True),
        (b"int a; std::vector<int> v;", True),
        (b"xstd::y", False),
        (b"static constexpr int a = 1;", True),
        (b"int notconstexpr;", False),
        (b"p = nullptr;", True),
        (b"p = anullptr;", False),
        (b"int a; class_x b;", False),
        (b"int a; struct s { public: int b; };", False),  # "public:" only where a line opens
        (b"int a;\n  public: int b;", True),
    ],
)
def test_header_language_hints(source: bytes, cpp: bool) -> None:
    reference = re.compile(
        rb"^\s*(?:class|namespace|template\s*<|using\s+namespace|public:|private:|protected:)"
        rb"|\bstd::|\bconstexpr\b|\bnullptr\b",
        re.MULTILINE,
    )
    assert bool(reference.search(source)) is cpp  # the reference agrees with the table
    assert (header_language(source, Language.C) is Language.CPP) is cpp


def test_token_splices_are_joined_only_inside_tokens() -> None:
    assert join_token_splices(b"#inc\\\nlude <x.h>\nint a;\n") == b"#include <x.h>\n\nint a;\n"
    # A splice after a space or before a non-word byte is between tokens: left alone.
    assert join_token_splices(b"#define A 1 \\\n + 2\n") == b"#define A 1 \\\n + 2\n"
    assert join_token_splices(b"\\\nx") == b"\\\nx"  # no token before the backslash


@pytest.mark.parametrize(
    "text, gnu, msvc",
    [
        (b'__asm__ volatile ("nop");', True, False),
        (b'__asm__ __volatile__("nop");', True, False),
        (b'asm("nop");', True, False),
        (b'x__asm("nop"); basm(1);', False, False),
        (b"__asm { mov eax, 1 }", False, True),
        (b"_asm mov eax, 1", False, True),
        (b'__asm volatile ("nop")', True, False),
        (b"my_asm mov", False, False),
    ],
)
def test_asm_openers(text: bytes, gnu: bool, msvc: bool) -> None:
    plain_gnu = re.compile(rb"\b(?:__asm__|__asm|asm)\b(?:\s+(?:volatile|__volatile__|goto|inline))*\s*\(")
    plain_msvc = re.compile(
        rb"\b(?:__asm|_asm)\b(?=\s*\{|[ \t]+(?!volatile\b|__volatile__\b|goto\b|inline\b)[A-Za-z])"
    )
    assert spans(_GNU_ASM, text) == spans(plain_gnu, text)
    assert spans(_MSVC_ASM, text) == spans(plain_msvc, text)
    assert bool(_GNU_ASM.search(text)) is gnu
    assert bool(_MSVC_ASM.search(text)) is msvc
