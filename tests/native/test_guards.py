"""The WoA facts the guard model rests on, one model at a time."""

from __future__ import annotations

import pytest

from analyzer.model import Language
from analyzer.native.guards import FileStructure, GuardModel, TreeMacros, evaluate_cfg
from analyzer.native.preproc import parse_preprocessor
from analyzer.targets import load_targets
from tests.paths import FIXTURES


def state(condition: str, model: str, extra: dict[str, bytes] | None = None) -> object:
    files = [
        FileStructure(
            "a.c",
            Language.C,
            False,
            parse_preprocessor(f'#include "cfg.h"\n#if {condition}\nint x;\n#endif\n'.encode()),
        )
    ]
    for name, text in (extra or {}).items():
        files.append(FileStructure(name, Language.C, True, parse_preprocessor(text)))
    data = load_targets()
    guard = GuardModel(TreeMacros(files), data.by_name(model), data.known_macros)
    return guard.line_state("a.c", 3)


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        # mingw-w64 headers (_mingw_mac.h, in every CRT header) define _M_ARM64 too.
        ("defined(_M_ARM64)", {"msvc-arm64": 1, "clang-cl-arm64": 1, "mingw-arm64": 1, "arm64ec": 0}),
        ("defined(__aarch64__)", {"msvc-arm64": 0, "clang-cl-arm64": 1, "mingw-arm64": 1, "arm64ec": 0}),
        ("defined(__ARM_NEON)", {"msvc-arm64": 0, "clang-cl-arm64": 1, "mingw-arm64": 1, "arm64ec": 0}),
        ("defined(_M_X64)", {"msvc-arm64": 0, "clang-cl-arm64": 0, "mingw-arm64": 0, "arm64ec": 1}),
        ("defined(_WIN64)", {"msvc-arm64": 1, "clang-cl-arm64": 1, "mingw-arm64": 1, "arm64ec": 1}),
        ("defined(_MSC_VER)", {"msvc-arm64": 1, "clang-cl-arm64": 1, "mingw-arm64": 0, "arm64ec": 1}),
        ("defined(__GNUC__)", {"msvc-arm64": 0, "clang-cl-arm64": 0, "mingw-arm64": 1, "arm64ec": 0}),
        (
            "defined(__x86_64__) || defined(__SSE2__)",
            {"msvc-arm64": 0, "clang-cl-arm64": 0, "mingw-arm64": 0, "arm64ec": 0},
        ),
        (
            "defined(NDEBUG)",
            {"msvc-arm64": None, "clang-cl-arm64": None, "mingw-arm64": None, "arm64ec": None},
        ),
    ],
)
def test_model_macros(condition: str, expected: dict[str, object]) -> None:
    assert {m: state(condition, m) for m in expected} == expected


def test_tree_macro_defined_under_x86_only_is_false_on_arm64() -> None:
    cfg = (
        b"#ifndef CFG_H\n#define CFG_H\n"
        b"#if defined(_M_X64) || defined(__x86_64__)\n#define USE_SSE 1\n#endif\n#endif\n"
    )
    assert state("defined(USE_SSE)", "msvc-arm64", {"cfg.h": cfg}) == 0
    assert state("defined(USE_SSE)", "arm64ec", {"cfg.h": cfg}) == 1


def test_default_value_idiom_and_values() -> None:
    cfg = b"#ifndef LEVEL\n#define LEVEL 2\n#endif\n#define TWICE (LEVEL * 2)\n"
    assert state("TWICE == 4", "msvc-arm64", {"cfg.h": cfg}) == 1
    assert state("LEVEL > 3", "mingw-arm64", {"cfg.h": cfg}) == 0


def test_macros_defined_in_order_follow_the_order() -> None:
    # B is tested before anything defines it, so A is defined; then A is defined, so B
    # is not. Read in order, the answer is decided (no recursion, no "maybe").
    cfg = b"#ifndef B\n#define A 1\n#endif\n#ifndef A\n#define B 1\n#endif\n"
    assert state("defined(A)", "msvc-arm64", {"cfg.h": cfg}) == 1
    assert state("defined(B)", "msvc-arm64", {"cfg.h": cfg}) == 0


@pytest.mark.parametrize(
    ("predicate", "model", "expected"),
    [
        ('target_arch = "x86_64"', "msvc-arm64", 0),
        ('target_arch = "aarch64"', "msvc-arm64", 1),
        ('target_arch = "aarch64"', "arm64ec", 0),
        ('any(target_arch = "x86", target_arch = "x86_64")', "mingw-arm64", 0),
        ('all(windows, target_env = "msvc")', "msvc-arm64", 1),
        ('all(windows, target_env = "msvc")', "mingw-arm64", 0),
        ('not(target_arch = "x86_64")', "msvc-arm64", 1),
        ('feature = "simd"', "msvc-arm64", None),
        ("unix", "msvc-arm64", 0),
    ],
)
def test_rust_cfg(predicate: str, model: str, expected: object) -> None:
    assert evaluate_cfg(predicate, dict(load_targets().by_name(model).rust_cfg)) == expected


def test_a_definition_later_in_the_file_or_after_the_include_does_not_count() -> None:
    # a.c tests X at line 2; the header defines it, but a.c includes the header only after.
    files = {
        "a.c": b'#ifdef LATE\nint early;\n#endif\n#include "late.h"\n#ifdef LATE\nint after;\n#endif\n',
        "late.h": b"#define LATE 1\n",
    }
    structures = [
        FileStructure(name, Language.C, name.endswith(".h"), parse_preprocessor(text))
        for name, text in files.items()
    ]
    data = load_targets()
    guard = GuardModel(TreeMacros(structures), data.by_name("msvc-arm64"), data.known_macros)
    assert guard.line_state("a.c", 2) == 0
    assert guard.line_state("a.c", 6) == 1


def test_an_amalgamated_header_compiles_every_section() -> None:
    # Back-to-back include-guarded sections: each guard macro is defined after its own
    # #ifndef, so every section is compiled (the macro of a later section does not count
    # as defined at an earlier line, nor its own at its #ifndef).
    amalgam = (
        b"#ifndef ONE_H\n#define ONE_H\nint one;\n#endif\n#ifndef TWO_H\n#define TWO_H\nint two;\n#endif\n"
    )
    structures = [
        FileStructure("all.h", Language.C, True, parse_preprocessor(amalgam)),
        FileStructure("a.c", Language.C, False, parse_preprocessor(b'#include "all.h"\n')),
    ]
    data = load_targets()
    guard = GuardModel(TreeMacros(structures), data.by_name("msvc-arm64"), data.known_macros)
    assert guard.line_state("all.h", 3) == 1
    assert guard.line_state("all.h", 7) == 1


def test_a_skipped_branch_of_only_prefetch_hints_is_perf_not_a_warning() -> None:
    """Issue 25: losing a prefetch hint on cl.exe is slower code at most; a skipped
    branch with real code in it stays a warning that makes the code area unknown."""
    from dataclasses import replace

    from analyzer.model import Severity
    from analyzer.scan import ScanOptions, scan
    from analyzer.verdict import judge

    result = scan(FIXTURES / "guards" / "prefetch_hint.c", ScanOptions())
    by_line = {f.location.line: f.severity for f in result.findings}
    assert by_line == {7: Severity.PERF, 15: Severity.WARNING}
    hint_only = replace(result, findings=tuple(f for f in result.findings if f.location.line == 7))
    assert judge(hint_only).area("code").state == "ok"
    assert judge(result).area("code").state == "unknown"
