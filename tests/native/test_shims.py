"""The package's own definitions of intrinsic names (issue 13, "uses, not mentions"): a
shim compiled on a model makes its uses there no finding; one compiled elsewhere does not."""

from __future__ import annotations

from pathlib import Path

from analyzer.scan import ScanOptions, scan


def models_by_line(root: Path, rule: str) -> dict[int, tuple[str, ...]]:
    return {
        f.location.line: f.reachable_on
        for f in scan(root, ScanOptions()).findings
        if f.rule_id == rule and f.location.path == "use.c"
    }


def test_a_shim_compiled_on_arm64_silences_uses_there_only(tmp_path: Path) -> None:
    (tmp_path / "shim.h").write_text(
        "#if defined(_M_ARM64) || defined(__aarch64__)\n"
        "#define _mm_pause() __yield()\n"  # a macro shim
        "static inline unsigned long long _umul128(unsigned long long a, unsigned long long b,\n"
        "                                          unsigned long long *hi) { *hi = 0; return a * b; }\n"
        "#endif\n"
        "#if defined(__aarch64__)\n"
        "typedef struct { float v[4]; } __m128;\n"  # a type shim: not for cl.exe (no __aarch64__)
        "#endif\n"
    )
    (tmp_path / "use.c").write_text(
        '#include "shim.h"\n'
        "void spin(void) { _mm_pause(); }\n"
        "unsigned long long m(unsigned long long a) { unsigned long long h; return _umul128(a, a, &h); }\n"
        "__m128 zero;\n"
    )
    assert 2 not in models_by_line(tmp_path, "WOA102")  # _mm_pause: provided on every ARM64 model
    assert 3 not in models_by_line(tmp_path, "WOA110")  # _umul128: likewise
    assert models_by_line(tmp_path, "WOA104")[4] == ("msvc-arm64",)  # only cl.exe lacks the typedef


def test_an_x86_only_definition_or_a_call_is_no_shim(tmp_path: Path) -> None:
    (tmp_path / "shim.h").write_text(
        "#if defined(_M_X64)\n"
        "static inline int _mm_popcnt_u32(unsigned x) { return __popcnt(x); }\n"  # x86 only
        "#endif\n"
        "static int twice(unsigned x) { int y = _mm_popcnt_u32(x); return y + y; }\n"  # a call
    )
    (tmp_path / "use.c").write_text('#include "shim.h"\nint f(unsigned x) { return _mm_popcnt_u32(x); }\n')
    assert models_by_line(tmp_path, "WOA111")[2] == ("msvc-arm64", "clang-cl-arm64", "mingw-arm64")
