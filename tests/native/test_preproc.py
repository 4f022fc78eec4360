from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.model import Language
from analyzer.native import treesitter
from analyzer.native.preproc import mask_comments_and_strings, parse_preprocessor, scan_directives
from tests.paths import FIXTURES

SAMPLE = b"""#ifndef G_H
#define G_H
/* #if 0 is a comment */
#if defined(__x86_64__) || \\
    defined(_M_X64)
#include <immintrin.h>
#define HAVE_SSE 1
#elif defined(__aarch64__)
#include "neon.h"
#else
#error no
#endif
int x;
#endif
"""


def test_structure_and_line_owners() -> None:
    s = parse_preprocessor(SAMPLE)
    assert [(b.kind, b.directive_line, b.body_start, b.body_end) for b in s.branches] == [
        ("ifndef", 1, 2, 13),
        ("if", 4, 6, 7),
        ("elif", 8, 9, 9),
        ("else", 10, 11, 11),
    ]
    assert s.branches[3].prior == (1, 2)
    assert s.include_guard == "G_H"
    assert [s.owner(n) for n in range(1, 15)] == [-1, 0, 0, 0, 0, 1, 1, 0, 2, 0, 3, 0, 0, -1]
    assert [(i.target, i.angled) for i in s.includes] == [("immintrin.h", True), ("neon.h", False)]
    assert [(d.name, d.value) for d in s.defines] == [("G_H", ""), ("HAVE_SSE", "1")]
    assert s.errors[0].line == 11


def test_mask_keeps_length_and_newlines() -> None:
    src = b'int a; /* x\n y */ const char *s = "/* not a comment"; // tail\nint b;'
    masked = mask_comments_and_strings(src)
    assert len(masked) == len(src)
    assert masked.count(b"\n") == src.count(b"\n")
    assert b"int b;" in masked and b"tail" not in masked and b"not a comment" not in masked


def test_unterminated_and_stray_directives_are_reported_not_fatal() -> None:
    s = parse_preprocessor(b"#endif\n#if A\nint x;\n#else\nint y;\n")
    assert any("without #if" in p for p in s.problems)
    assert any("never closed" in p for p in s.problems)
    assert s.owner(3) == 0 and s.owner(5) == 1


def test_deep_nesting_and_long_lines() -> None:
    depth = 500
    src = b"#if A\n" * depth + b"x" * 1_000_000 + b"\n" + b"#endif\n" * depth
    s = parse_preprocessor(src)
    assert len(s.branches) == depth and not s.problems
    assert s.owner(depth + 1) == depth - 1


@pytest.mark.parametrize("path", sorted(FIXTURES.rglob("*.[ch]")), ids=lambda p: p.name)
def test_tree_sitter_agrees_with_line_scanner(path: Path) -> None:
    data = path.read_bytes()
    masked = mask_comments_and_strings(data)
    tree = treesitter.parse(data, Language.C)
    from_tree = treesitter.directives(tree, Language.C, masked, data)
    if from_tree is None:
        pytest.skip("tree has ERROR nodes: the line scanner is used")
    wanted = {"if", "ifdef", "ifndef", "elif", "else", "endif", "include", "error"}
    line_view = [(d.line, d.kind, d.text) for d in scan_directives(data, masked) if d.kind in wanted]
    tree_view = [(d.line, d.kind, d.text) for d in from_tree if d.kind in wanted]
    assert tree_view == line_view


def test_directives_span_continuations_and_skip_hash_on_continuation_lines() -> None:
    source = b"#define A 1\n  #  if X \\\n  && Y\n#define S(x) \\\n#x\nint a;\n#endif\n"
    found = [(d.line, d.end_line, d.kind, d.text) for d in scan_directives(source)]
    assert found == [
        (1, 1, "define", "A 1"),
        (2, 3, "if", "X    && Y"),
        (4, 5, "define", "S(x)  #x"),  # "#x" is the macro body, not a directive
        (7, 7, "endif", ""),
    ]
