"""Precise mode (libclang per model) on fixtures with macro-wrapped intrinsics, typedef'd
vector types, a guard macro defined by an included header, and a unit that cannot be
parsed; and agreement with the fast mode where both see the same thing."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from analyzer.buildmodel.textual import static_include_dirs
from analyzer.precise.clang import PreciseUnavailable, Toolchain
from analyzer.scan import ScanOptions, ScanResult, scan
from tests.paths import FIXTURES

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
    for path in sorted(p for p in root.rglob("*") if p.suffix in (".c", ".h") or p.name == "setup.py"):
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
    # Fast mode reports only the macro bodies (lines 5 and 6), never the uses.
    fast = found(scan(PKG))
    assert fast[("macros.c", 5, "WOA102")] == 1 and fast[("macros.c", 11, "WOA102")] == 0


@needs_clang
def test_differences_are_explained(precise_result: ScanResult) -> None:
    diffs = {(d.path, d.line, d.rule_id, d.only_in) for d in precise_result.differences}
    assert diffs == {
        ("macros.c", 11, "WOA102", "precise"),  # uses through LOADU, found where expanded
        ("macros.c", 12, "WOA102", "precise"),
        ("macros.c", 13, "WOA102", "precise"),  # _mm_add_ps through ADD, beside _mm_cvtss_f32
        ("macros.c", 19, "WOA120", "precise"),  # x86 asm through CPU_RELAX
        ("macros.c", 19, "WOA122", "precise"),  # GNU asm reaching cl.exe through CPU_RELAX
    }


@needs_clang
def test_unparseable_unit_falls_back_and_says_so(precise_result: ScanResult) -> None:
    messages = [w.message for w in precise_result.warnings if w.path == "broken.c"]
    assert any("generated_config.h" in m and "fast-mode results kept" in m for m in messages)
    assert found(precise_result)[("broken.c", 5, "WOA102")] == 2  # the fast mode's answer


@needs_clang
@pytest.mark.slow  # libclang over every rule fixture: most of the suite's time
@pytest.mark.parametrize(
    "rule_id",
    ["WOA101", "WOA102", "WOA103", "WOA104", "WOA105", "WOA110", "WOA111", "WOA120", "WOA121", "WOA122"],
)
def test_fast_and_precise_agree_on_rule_fixtures(rule_id: str) -> None:
    root = FIXTURES / "rules" / rule_id
    result = scan(root, ScanOptions(precise=True))
    assert result.precise_units >= 1 and result.precise_fallbacks == 0, result.warnings
    assert result.differences == (), result.differences


def test_include_dirs_are_read_statically_from_setup_py(tmp_path: Path) -> None:
    (tmp_path / "inc").mkdir()
    (tmp_path / "setup.py").write_text(
        "import os\nos.system('echo never run')\n"
        "setup(ext_modules=[Extension('m', ['m.c'], include_dirs=['inc', '../outside', 'missing'])])\n"
    )
    assert static_include_dirs(tmp_path) == [(tmp_path / "inc").resolve()]
    (tmp_path / "setup.py").write_text("this is not python (\n")
    assert static_include_dirs(tmp_path) == []


@needs_clang
def test_a_package_shim_silences_the_calls_it_declares() -> None:
    root = FIXTURES / "precise" / "shim"
    fast = scan(root)
    assert found(fast) == annotated(root) == Counter()  # fast mode sees the definitions too
    result = scan(root, ScanOptions(precise=True))
    assert found(result) == annotated(root)
    assert result.differences == ()  # the two modes agree


def test_merge_keeps_fast_answers_without_evidence_and_drops_skipped_ones() -> None:
    from analyzer.model import Confidence, Finding, Location, Severity
    from analyzer.precise.clang import UnitResult
    from analyzer.precise.run import merge

    def finding(line: int, confidence: Confidence = Confidence.HIGH, rule: str = "WOA102") -> Finding:
        return Finding(
            rule, Severity.ERROR, confidence, Location("a.c", line, 5), "m", ("msvc-arm64", "mingw-arm64")
        )

    unit = UnitResult(skipped={"msvc-arm64": [(10, 20)], "mingw-arm64": [(10, 12)]})
    fast = [
        finding(3),  # not skipped anywhere, not seen by precise: stays
        finding(11),  # skipped on both models: dropped
        finding(15),  # skipped on msvc only: keeps mingw
        finding(11, Confidence.LOW),  # build-dependent, not seen by precise mode: stays
        finding(40, Confidence.LOW),  # "maybe" that precise mode decides: replaced
        finding(11, rule="WOA130"),  # a ladder rule: not precise mode's business
    ]
    precise = {"a.c": [finding(3), finding(30), finding(40)]}  # 3 duplicates fast; 30 is new
    merged, differences = merge(fast, precise, {"a.c": unit}, frozenset({"WOA102"}))
    summary = sorted((f.location.line, f.rule_id, f.confidence.value, f.reachable_on) for f in merged)
    assert summary == [
        (3, "WOA102", "high", ("msvc-arm64", "mingw-arm64")),
        (11, "WOA102", "low", ("msvc-arm64", "mingw-arm64")),
        (11, "WOA130", "high", ("msvc-arm64", "mingw-arm64")),
        (15, "WOA102", "high", ("mingw-arm64",)),
        (30, "WOA102", "high", ("msvc-arm64", "mingw-arm64")),
        (40, "WOA102", "high", ("msvc-arm64", "mingw-arm64")),
    ]
    assert sorted((d.line, d.only_in) for d in differences) == [
        (11, "fast"),
        (30, "precise"),
        (40, "precise"),
    ]
    assert "could only say 'maybe'" in next(d.detail for d in differences if d.line == 40)


@needs_clang
def test_cache_reparses_only_what_changed(tmp_path: Path) -> None:
    import shutil

    tree = tmp_path / "pkg"
    shutil.copytree(PKG, tree)
    options = ScanOptions(precise=True, cache_dir=tmp_path / "cache")
    cold = scan(tree, options)
    assert (cold.precise_units, cold.precise_cached) == (2, 0)
    warm = scan(tree, options)
    assert (warm.precise_units, warm.precise_cached) == (2, 2)
    assert warm.findings == cold.findings and warm.differences == cold.differences
    # A header one unit includes changed: that unit is parsed again, the other is not.
    header = tree / "include" / "simd_config.h"
    header.write_text(header.read_text().replace("PKG_HAVE_SSE 1", "PKG_HAVE_SSE 1 /* edited */"))
    assert scan(tree, options).precise_cached == 1
    # The unit itself changed: its new line is reported, from a fresh parse.
    macros = tree / "macros.c"
    macros.write_text(macros.read_text() + "float more(const float *p) { return _mm_cvtss_f32(LOADU(p)); }\n")
    changed = scan(tree, options)
    assert changed.precise_cached == 1
    new_line = len(macros.read_text().splitlines())
    assert found(changed)[("macros.c", new_line, "WOA102")] == 2  # _mm_cvtss_f32 and LOADU
    # A damaged cache is a miss, never an error.
    import sqlite3

    with sqlite3.connect(tmp_path / "cache" / "precise.sqlite") as db:
        db.execute("UPDATE units SET result = '{not json'")
    again = scan(tree, options)
    assert again.precise_cached == 0 and found(again) == found(changed)


@needs_clang
def test_cli_precise_explain_and_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from analyzer.cli import main

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    args = ["scan", str(PKG), "--precise", "--explain", "--no-progress"]
    first = CliRunner().invoke(main, args)
    assert first.exit_code == 1, first.output
    assert "macros.c:11 WOA102 only in precise mode" in first.output
    assert "2 translation unit(s) parsed (0 from the cache)" in first.output
    assert (tmp_path / "xdg" / "woaport" / "precise.sqlite").is_file()
    second = CliRunner().invoke(main, args)
    assert "2 translation unit(s) parsed (2 from the cache)" in second.output
    no_cache = CliRunner().invoke(main, [*args, "--no-cache"])
    assert "(0 from the cache)" in no_cache.output


def test_explain_needs_precise() -> None:
    from click.testing import CliRunner

    from analyzer.cli import main

    result = CliRunner().invoke(main, ["scan", str(PKG), "--explain"])
    assert result.exit_code == 2 and "add --precise" in result.output


def test_include_dirs_resolve_prefixed_names_by_suffix(tmp_path: Path) -> None:
    from analyzer.native.sources import walk
    from analyzer.precise.run import include_dirs_for

    (tmp_path / "lib" / "include" / "tbb").mkdir(parents=True)
    (tmp_path / "lib" / "include" / "tbb" / "machine.h").write_text("#define TBB 1\n")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.cpp").write_text('#include "tbb/machine.h"\n')
    files = walk(tmp_path, [], False, 1 << 20).files
    dirs = include_dirs_for(tmp_path, files, {"tbb/machine.h", "../escape.h", "stdio.h"})
    root = tmp_path.resolve()
    assert dirs[:2] == [root, root / "lib" / "include"]  # the prefix that resolves tbb/...
    assert root / "lib" / "include" / "tbb" in dirs  # and every header directory


def test_include_dirs_from_cmake_meson_and_pyproject(tmp_path: Path) -> None:
    from analyzer.buildmodel.textual import find_build_files

    for d in ("inc", "sub/cm", "sub/ms", "pp", "build/gen", "vendor/v"):
        (tmp_path / d).mkdir(parents=True)
    (tmp_path / "CMakeLists.txt").write_text(
        'include_directories(SYSTEM "inc" ${CMAKE_BINARY_DIR}/gen)\n'
        "target_include_directories(ext PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/sub/cm $<BUILD_INTERFACE:x>)\n"
    )
    (tmp_path / "sub" / "meson.build").write_text("inc = include_directories('ms', '../nowhere')\n")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.setuptools]\next-modules = [{name = "m", sources = ["m.c"], include-dirs = ["pp"]}]\n'
    )
    (tmp_path / "build" / "meson.build").write_text("include_directories('gen')\n")  # build output
    (tmp_path / "vendor" / "v" / "CMakeLists.txt").write_text("include_directories(.)\n")
    build_files = find_build_files(tmp_path)
    assert [p.relative_to(tmp_path.resolve()).as_posix() for p in build_files] == [
        "CMakeLists.txt",
        "pyproject.toml",
        "sub/meson.build",
    ]
    root = tmp_path.resolve()
    assert static_include_dirs(tmp_path, build_files) == [
        root / "inc",
        root / "sub" / "cm",
        root / "pp",
        root / "sub" / "ms",
    ]


@needs_clang
def test_build_macros_and_include_dirs_reach_libclang(tmp_path: Path) -> None:
    (tmp_path / "deps" / "include").mkdir(parents=True)
    (tmp_path / "deps" / "include" / "cfg.h").write_text("#define FAST_WIDTH 4\n")
    (tmp_path / "setup.py").write_text(
        "import os, platform\nfrom setuptools import Extension, setup\n"
        "srcs = ['m.c']\nif platform.machine() == 'AMD64':\n    srcs.append('x64.c')\n"
        "setup(ext_modules=[Extension('m', srcs, define_macros=[('HAVE_FAST_PATH', '1')],\n"
        "    include_dirs=[os.path.join('deps', 'include')])])\n"
    )
    (tmp_path / "m.c").write_text(
        '#include "cfg.h"\n#ifndef HAVE_FAST_PATH\n#include "not_shipped.h"\n#endif\n'
        "#include <emmintrin.h>\nint f(void) { return FAST_WIDTH; }\n"
    )
    (tmp_path / "x64.c").write_text("#include <immintrin.h>\nint g(void) { return _mm_popcnt_u32(1); }\n")
    result = scan(tmp_path, ScanOptions(precise=True, targets=("msvc-arm64",)))
    # Without -DHAVE_FAST_PATH libclang would stop at the missing header and fall back.
    assert not [w for w in result.warnings if w.path == "m.c"]
    assert result.precise_units == 1  # x64.c: compiled on x64 only, so not parsed
    assert {f.location.path for f in result.findings} == {"m.c"}  # <emmintrin.h> on ARM64


def test_a_python_sdk_lets_extension_units_parse(tmp_path: Path) -> None:
    """Without CPython's headers a unit that includes "Python.h" (quoted, so not stubbed
    as a system header) does not parse, and fast mode is kept; with an SDK's include/ it
    does, the SDK's own Windows includes (io.h) stubbed."""
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "ext.c").write_text(
        '#include "Python.h"\n#include <immintrin.h>\n'
        "PyObject *f(void) { __m128 x = _mm_setzero_ps(); (void)x; Py_INCREF(Py_None); return Py_None; }\n"
    )
    sdk = tmp_path / "include"
    sdk.mkdir()
    (sdk / "Python.h").write_text(
        '#include "pyconfig.h"\ntypedef struct _object { long refcnt; } PyObject;\n'
        "extern PyObject *Py_None;\n#define Py_INCREF(o) ((o)->refcnt++)\n"
    )
    (sdk / "pyconfig.h").write_text("#include <io.h>\n#include <basetsd.h>\n")
    without = scan(tree, ScanOptions(jobs=1, precise=True))
    with_sdk = scan(tree, ScanOptions(jobs=1, precise=True, python_include=sdk))
    assert (without.precise_units, without.precise_fallbacks) == (0, 1)
    assert (with_sdk.precise_units, with_sdk.precise_fallbacks) == (1, 0)
    assert {f.rule_id for f in with_sdk.findings} >= {"WOA101", "WOA102"}
