"""Include reachability (issue 13, first part): a header is compiled on a model only when
a translation unit reaches its #include with the guards taken there."""

from __future__ import annotations

from pathlib import Path

from analyzer.model import Language
from analyzer.native.guards import FileStructure, GuardModel, TreeMacros, file_reach
from analyzer.native.preproc import mask_comments_and_strings, parse_preprocessor
from analyzer.scan import ScanOptions, scan
from analyzer.targets import load_targets
from tests.paths import FIXTURES


def reach_of(files: dict[str, bytes], roots: set[str]) -> dict[str, dict[str, object]]:
    structures = [
        FileStructure(
            path,
            Language.C,
            path.endswith(".h"),
            parse_preprocessor(data, mask_comments_and_strings(data)),
        )
        for path, data in files.items()
    ]
    tree = TreeMacros(structures)
    targets = load_targets()
    guards = {m.name: GuardModel(tree, m, targets.known_macros) for m in targets.models}
    return dict(file_reach(tree, guards, frozenset(roots)))  # type: ignore[arg-type]


LADDER = {
    "m.c": b'#include "select.h"\n',
    "select.h": b'#if defined(_M_X64) || defined(__x86_64__)\n#include "x64.h"\n'
    b'#elif defined(_M_ARM64)\n#include "arm64.h"\n#endif\n',
    "x64.h": b"int x;\n",
    "arm64.h": b"int a;\n",
    "probe.h": b'#ifdef HAVE_AVX2INTRIN_H\n#include "avx2.h"\n#endif\n',
    "avx2.h": b"int v;\n",
    "orphan.h": b"int o;\n",
}


def test_a_header_picked_by_a_ladder_is_compiled_only_where_the_ladder_picks_it() -> None:
    reach = reach_of(LADDER, {"m.c"})
    assert reach["m.c"]["msvc-arm64"] == 1
    assert reach["select.h"]["msvc-arm64"] == 1
    assert reach["x64.h"] == {"msvc-arm64": 0, "clang-cl-arm64": 0, "mingw-arm64": 0, "arm64ec": 1}
    assert reach["arm64.h"] == {"msvc-arm64": 1, "clang-cl-arm64": 1, "mingw-arm64": 1, "arm64ec": 0}


def test_unknown_reach_for_probe_macros_orphans_and_unreached_cycles() -> None:
    files = {**LADDER, "m.c": b'#include "select.h"\n#include "probe.h"\n', "c1.h": b'#include "c2.h"\n'}
    files["c2.h"] = b'#include "c1.h"\n#include "c2.h"\n'
    reach = reach_of(files, {"m.c"})
    assert set(reach["avx2.h"].values()) == {None}  # a build-probe macro nobody defines
    assert set(reach["orphan.h"].values()) == {None}  # nothing includes it
    assert set(reach["c1.h"].values()) == {None} and set(reach["c2.h"].values()) == {None}


def test_a_header_reached_by_many_units_is_compiled_if_any_reaches_it() -> None:
    files = {
        "a.c": b'#ifdef _M_X64\n#include "k.h"\n#endif\n',
        "b.c": b'#include "k.h"\n',
        "k.h": b"int k;\n",
    }
    assert reach_of(files, {"a.c", "b.c"})["k.h"]["msvc-arm64"] == 1
    only_x64_unit = {path: data for path, data in files.items() if path != "b.c"}
    assert reach_of(only_x64_unit, {"a.c"})["k.h"]["msvc-arm64"] == 0


def test_scan_reports_headers_in_the_context_of_their_units() -> None:
    found = {
        (f.location.path.rsplit("/", 1)[-1], f.rule_id, f.confidence.value)
        for f in scan(FIXTURES / "units", ScanOptions()).findings
    }
    assert ("api.h", "WOA101", "high") in found
    assert not any(name == "x64.h" for name, _, _ in found)  # not compiled on ARM64 models


def test_code_no_unit_compiles_is_counted_and_listed_apart_with_all_code() -> None:
    from analyzer.scan import NOT_COMPILED

    arm = ("msvc-arm64", "mingw-arm64")
    plain = scan(FIXTURES / "units", ScanOptions(targets=arm))
    # src/platform/x64.h, and the cfg-gated rust/src/x86_64.rs and rust/src/simd/avx2.rs
    assert plain.skipped.get(NOT_COMPILED) == 3
    assert plain.not_compiled == ()
    listed = scan(FIXTURES / "units", ScanOptions(targets=arm, all_code=True))
    assert listed.findings == plain.findings  # the ARM64 findings do not change
    assert {(f.location.path, f.rule_id) for f in listed.not_compiled} == {
        ("src/platform/x64.h", "WOA101"),
        ("src/platform/x64.h", "WOA102"),
        ("rust/src/x86_64.rs", "WOA301"),
        ("rust/src/simd/avx2.rs", "WOA301"),
    }


def test_rust_modules_gated_by_cfg_gate_their_files_and_subtrees() -> None:
    from analyzer.native.rustmods import rust_reach

    targets = load_targets()
    cfg = {m.name: m.rust_cfg for m in targets.models}
    sources = {
        "src/lib.rs": b'#[cfg(target_arch = "x86_64")]\nmod x86;\nmod common;\n'
        b'#[path = "odd/place.rs"]\nmod placed;\n',
        "src/x86.rs": b"mod deeper;\n",
        "src/x86/deeper.rs": b"pub fn f() {}\n",
        "src/common/mod.rs": b'#[cfg(feature = "simd")]\nmod maybe;\n',
        "src/common/maybe.rs": b"",
        "src/odd/place.rs": b"",
        "src/stray.rs": b"",
        "src/bin/tool.rs": b"",
    }
    reach = rust_reach(sources, cfg)
    assert reach["src/lib.rs"]["msvc-arm64"] == 1 and reach["src/bin/tool.rs"]["msvc-arm64"] == 1
    assert reach["src/x86.rs"]["msvc-arm64"] == 0 and reach["src/x86.rs"]["arm64ec"] == 0
    assert reach["src/x86/deeper.rs"]["mingw-arm64"] == 0  # the whole subtree
    assert reach["src/common/mod.rs"]["msvc-arm64"] == 1
    assert reach["src/common/maybe.rs"]["msvc-arm64"] is None  # a crate feature: build-dependent
    assert reach["src/odd/place.rs"]["msvc-arm64"] == 1  # #[path]
    assert reach["src/stray.rs"]["msvc-arm64"] is None  # declared by nothing


def test_a_unit_the_build_leaves_out_defines_nothing_for_the_headers_others_include(tmp_path: Path) -> None:
    """The wrapper that defines HAVE_SSE is compiled only on x64: on ARM64 main.c alone
    includes simd.h, HAVE_SSE is undefined there, so sse_impl.h is not compiled. (Reach
    must be computed again once the first pass has found the wrapper left out.)"""
    (tmp_path / "setup.py").write_text(
        "import platform\nfrom setuptools import setup, Extension\n"
        'sources = ["main.c"]\nif platform.machine() in ("x86_64", "AMD64"):\n'
        '    sources.append("wrap_sse.c")\nsetup(name="m", ext_modules=[Extension("m", sources)])\n'
    )
    (tmp_path / "simd.h").write_text('#ifdef HAVE_SSE\n#include "sse_impl.h"\n#endif\n')
    (tmp_path / "wrap_sse.c").write_text('#define HAVE_SSE 1\n#include "simd.h"\n')
    (tmp_path / "main.c").write_text('#include "simd.h"\nint main(void) { return 0; }\n')
    (tmp_path / "sse_impl.h").write_text(
        "#include <immintrin.h>\nstatic __m128 add(__m128 a, __m128 b) { return _mm_add_ps(a, b); }\n"
    )
    arm = ("msvc-arm64", "mingw-arm64")
    assert scan(tmp_path, ScanOptions(targets=arm)).findings == ()
    listed = scan(tmp_path, ScanOptions(targets=arm, all_code=True))
    assert ("sse_impl.h", "WOA102") in {(f.location.path, f.rule_id) for f in listed.not_compiled}
