"""Precise mode (libclang per model) on fixtures with macro-wrapped intrinsics, typedef'd
vector types, a guard macro defined by an included header, and a unit that cannot be
parsed; and agreement with the fast mode where both see the same thing."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from analyzer.parsers.clang import PreciseUnavailable, Toolchain
from analyzer.precise import static_include_dirs
from analyzer.scan import ScanOptions, ScanResult, scan

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
PKG = FIXTURES / "precise" / "pkg"
_EXPECT = re.compile(r"expect:\s*(WOA\d{3})")

try:
    Toolchain.locate()
    HAVE_CLANG = True
except PreciseUnavailable:
    HAVE_CLANG = False
needs_clang = pytest.mark.skipif(not HAVE_CLANG, reason="libclang/ziglang not installed (woaport[precise])")


def annotated(root: Path) -> Counter[tuple[str, int, str]]:
    found: Counter[tuple[str, int, str]] = Counter()
    for path in sorted(root.rglob("*.c")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            for m in _EXPECT.finditer(line):
                found[(path.relative_to(root).as_posix(), number, m.group(1))] += 1
    return found


def found(result: ScanResult) -> Counter[tuple[str, int, str]]:
    return Counter((f.location.path, f.location.line, f.rule_id) for f in result.findings)


@pytest.fixture(scope="module")
def precise_result() -> ScanResult:
    return scan(PKG, ScanOptions(precise=True))


@needs_clang
def test_precise_mode_matches_annotations(precise_result: ScanResult) -> None:
    assert found(precise_result) == annotated(PKG)
    assert all(f.confidence.value == "high" for f in precise_result.findings)
    assert precise_result.precise_units == 2 and precise_result.precise_fallbacks == 1


@needs_clang
def test_macro_and_typedef_hidden_uses_are_reported_where_used(precise_result: ScanResult) -> None:
    by_line = {(f.location.path, f.location.line): f for f in precise_result.findings}
    assert "(through LOADU)" in by_line[("macros.c", 11)].message
    assert any("(through ADD)" in f.message for f in precise_result.findings if f.location.line == 13)
    # Fast mode reports the macro bodies instead (lines 5 and 6), never the uses.
    fast = found(scan(PKG))
    assert fast[("macros.c", 5, "WOA102")] == 1 and fast[("macros.c", 11, "WOA102")] == 0


@needs_clang
def test_differences_are_explained(precise_result: ScanResult) -> None:
    diffs = {(d.path, d.line, d.rule_id, d.only_in) for d in precise_result.differences}
    assert diffs == {
        ("macros.c", 5, "WOA102", "fast"),  # macro bodies: reported where expanded instead
        ("macros.c", 6, "WOA102", "fast"),
        ("macros.c", 11, "WOA102", "precise"),
        ("macros.c", 12, "WOA102", "precise"),
    }


@needs_clang
def test_unparseable_unit_falls_back_and_says_so(precise_result: ScanResult) -> None:
    messages = [w.message for w in precise_result.warnings if w.path == "broken.c"]
    assert any("generated_config.h" in m and "fast-mode results kept" in m for m in messages)
    assert found(precise_result)[("broken.c", 5, "WOA102")] == 2  # the fast mode's answer


@needs_clang
@pytest.mark.parametrize("rule_id", ["WOA101", "WOA102", "WOA103", "WOA104", "WOA105", "WOA110", "WOA111"])
def test_fast_and_precise_agree_on_rule_fixtures(rule_id: str) -> None:
    root = FIXTURES / "rules" / rule_id
    result = scan(root, ScanOptions(precise=True))
    assert result.precise_units >= 1 and result.precise_fallbacks == 0, result.warnings
    # The one allowed difference: a macro body the fast mode flags and no code expands.
    for d in result.differences:
        text = (root / d.path).read_text().splitlines()[d.line - 1]
        assert d.only_in == "fast" and text.lstrip().startswith("#define"), (d, text)


def test_include_dirs_are_read_statically_from_setup_py(tmp_path: Path) -> None:
    (tmp_path / "inc").mkdir()
    (tmp_path / "setup.py").write_text(
        "import os\nos.system('echo never run')\n"
        "setup(ext_modules=[Extension('m', ['m.c'], include_dirs=['inc', '../outside', 'missing'])])\n"
    )
    assert static_include_dirs(tmp_path) == [(tmp_path / "inc").resolve()]
    (tmp_path / "setup.py").write_text("this is not python (\n")
    assert static_include_dirs(tmp_path) == []
