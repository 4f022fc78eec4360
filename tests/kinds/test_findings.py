"""One way to build a finding for every mode: suppressions, messages and fallbacks agree
between the fast mode, precise mode and build files (regressions of issue 10's bugs)."""

from __future__ import annotations

from pathlib import Path

from analyzer.buildfiles import analyze_build_file
from analyzer.findings import fallback_for, format_message, suppressed
from analyzer.model import Language
from analyzer.precise.clang import Hit
from analyzer.precise.findings import precise_file_findings
from analyzer.rules import default_rules
from analyzer.scan import ScanOptions, scan
from analyzer.targets import load_targets

RULES = default_rules()
ALL = frozenset(load_targets().names)


def _ids(rel: str, language: Language, text: str) -> list[tuple[str, int]]:
    found, _ = analyze_build_file(rel, language, text, RULES, ALL)
    return [(f.rule_id, f.location.line) for f in found]


def test_a_trailing_suppression_on_a_cmake_code_line_covers_that_line_only() -> None:
    # Before: the comment on line 1 also silenced line 2 (C only honoured comment lines).
    text = "add_compile_options(-mavx2)  # woaport: ignore[WOA511]\nset(F -msse4.2)\n"
    assert _ids("CMakeLists.txt", Language.CMAKE, text) == [("WOA511", 2)]
    # A comment-only line above still covers the next line, as in C.
    assert _ids("CMakeLists.txt", Language.CMAKE, "# woaport: ignore\nset(F -msse4.2)\n") == []


def test_suppression_is_the_same_rule_in_c_and_build_files(tmp_path: Path) -> None:
    (tmp_path / "a.c").write_text(
        "#include <immintrin.h> /* woaport: ignore[WOA101] */\n"
        "int x = _mm_cvtsi128_si32(v); // woaport: ignore\n"
        "int y = _mm_cvtsi128_si32(v);\n"
    )
    lines = {(f.rule_id, f.location.line) for f in scan(tmp_path, ScanOptions()).findings}
    assert ("WOA101", 1) not in lines and ("WOA102", 2) not in lines
    assert ("WOA102", 3) in lines  # a trailing comment on line 2 does not reach line 3


def test_suppressed_reads_rule_lists_case_insensitively() -> None:
    lines = ["x = 1  # woaport: ignore[woa511, WOA512]", "y"]

    def text(n: int) -> str:
        return lines[n - 1]

    assert suppressed(text, 1, "WOA511", Language.CMAKE)
    assert suppressed(text, 1, "WOA512", Language.CMAKE)
    assert not suppressed(text, 1, "WOA510", Language.CMAKE)
    assert not suppressed(text, 2, "WOA511", Language.CMAKE)


def test_precise_findings_carry_the_fast_mode_fallback() -> None:
    # _mm_stream_si32 has no NEON entry, only its family's translation-layer coverage:
    # the fast mode appends that coverage to the rule's advice; precise mode dropped it.
    from analyzer.fallbacks import default_fallbacks
    from analyzer.native.engine import scan_native

    source = b"#include <emmintrin.h>\nvoid f(int *p) { _mm_stream_si32(p, 1); }\n"
    rule = next(r for r in RULES if r.id == "WOA102")
    expected = fallback_for(rule, "_mm_stream_si32", default_fallbacks())
    assert expected and "sse2neon" in expected and expected.startswith(rule.fallback or "")
    native = scan_native(Path("."), [], RULES, load_targets(), ALL, 1 << 20, 1)
    hit = Hit("WOA102", 2, 18, 33, "_mm_stream_si32", "STREAM")
    found = precise_file_findings("m.c", source, Language.C, {hit: {"msvc-arm64"}}, native.ctx)
    assert [f.fallback for f in found] == [expected]
    assert found[0].message == format_message(rule.message, match="_mm_stream_si32") + " (through STREAM)"


def test_a_message_naming_an_unknown_field_is_shown_as_written() -> None:
    assert format_message("{match} and {nope}", match="x") == "{match} and {nope}"
    assert format_message("{match}", match="x") == "x"


def test_every_scan_result_field_survives_a_merge() -> None:
    """`woaport scan A B` judges the inputs together: a field the merge forgot (as
    `dependencies` once was) would make the verdict say something false."""
    from dataclasses import fields

    from analyzer.model import ScanWarning
    from analyzer.result import ScanResult, merge_results

    def sample(tag: str, n: int) -> ScanResult:
        values: dict[str, object] = {}
        for f in fields(ScanResult):
            if f.name in ("targets", "rules"):
                values[f.name] = ()
            elif f.type in ("str",):
                values[f.name] = tag
            elif f.type == "int":
                values[f.name] = n
            elif f.type.startswith("dict"):
                values[f.name] = {tag: n}
            elif f.name == "warnings":
                values[f.name] = (ScanWarning(tag, "w"),)
            else:
                values[f.name] = ((tag, tag, tag),) if "tuple[tuple" in f.type else ()
        return ScanResult(**values)  # type: ignore[arg-type]

    a, b = sample("a", 1), sample("b", 2)
    merged = merge_results([a, b])
    for f in fields(ScanResult):
        left, right, both = getattr(a, f.name), getattr(b, f.name), getattr(merged, f.name)
        if f.name in ("targets", "rules"):
            continue
        if isinstance(both, int):
            assert both == left + right, f.name
        elif isinstance(both, str):
            assert both == "a,b", f.name
        elif isinstance(both, dict):
            assert both == {**left, **right}, f.name
        else:
            assert all(item in both for item in (*left, *right)), f.name
    deps = merge_results([sample("a", 1), sample("a", 1)]).dependencies
    assert deps == (("a", "a", "a"),)  # the same dependency from two inputs is named once


def test_precise_findings_follow_the_build_models_reach() -> None:
    """Issue 25 item 6: --precise never reports a unit on a model the build model leaves
    it out of, and a unit the build may leave out is "maybe" there."""
    from dataclasses import replace

    from analyzer.native.engine import scan_native
    from analyzer.tri import MAYBE

    source = b"#include <emmintrin.h>\nvoid f(float *p) { _mm_loadu_ps(p); }\n"
    native = scan_native(Path("."), [], RULES, load_targets(), ALL, 1 << 20, 1)
    hit = Hit("WOA102", 2, 20, 32, "_mm_loadu_ps")
    models = {"msvc-arm64", "mingw-arm64", "clang-cl-arm64"}
    reach = {"m.c": {"msvc-arm64": 0, "mingw-arm64": MAYBE, "clang-cl-arm64": 1}}
    ctx = replace(native.ctx, reach=reach)
    (found,) = precise_file_findings("m.c", source, Language.C, {hit: models}, ctx)
    assert "msvc-arm64" not in found.reachable_on and "clang-cl-arm64" in found.reachable_on
    left_out = {"m.c": dict.fromkeys(models, 0)}
    assert precise_file_findings("m.c", source, Language.C, {hit: models}, replace(ctx, reach=left_out)) == []
