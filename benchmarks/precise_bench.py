"""Fast vs precise mode on one generated tree, and a warm precise re-scan after one edit.

    python benchmarks/precise_bench.py              # 150 translation units
    python benchmarks/precise_bench.py --files 40   # quicker

Prints files/s for each mode, the precise/fast time ratio, the findings each mode has
that the other lacks, and the warm re-scan time (one file changed, result cache in place)
against the cold precise scan. Goal: warm re-scan >= 20x faster than cold.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analyzer.scan import ScanOptions, ScanResult, scan

HEADER = """\
#ifndef PKG_SIMD_H
#define PKG_SIMD_H
#if defined(__x86_64__) || (defined(_M_X64) && !defined(_M_ARM64EC))
#define PKG_HAVE_SSE 1
#endif
#include "api.h"
#endif
"""

# A project-wide API header every unit includes, as extension modules have (a few
# hundred declarations and inline helpers): what each translation unit re-parses.
API_ENTRY = """\
typedef struct pkg_obj_{n} {{ long refcount; double values[8]; const char *name; }} pkg_obj_{n};
static inline double pkg_obj_{n}_sum(const pkg_obj_{n} *o)
{{
    double total = 0.0;
    int i;
    for (i = 0; i < 8; ++i) total += o->values[i];
    return total;
}}
int pkg_obj_{n}_init(pkg_obj_{n} *o, const char *name);
#define PKG_OBJ_{n}_NAME(o) ((o)->name)
"""

# Each unit mixes: plain code, a macro-hidden intrinsic (precise finds the use),
# a typedef'd vector type, an unguarded intrinsic, and correctly guarded x86 code.
UNIT = """\
#include <Python.h>
#include <string.h>
#include "simd.h"
#include <immintrin.h>
#define LOAD_{n}(p) _mm_loadu_ps(p)
typedef __m128 vec_{n};

static double plain_{n}(const double *v, size_t count)
{{
    double total = 0.0;
    size_t i;
    for (i = 0; i < count; ++i) total += v[i] * 0.5;
    return total;
}}

float simd_{n}(const float *p)
{{
    vec_{n} a = LOAD_{n}(p);
    return _mm_cvtss_f32(a);
}}

#ifdef PKG_HAVE_SSE
static __m128i twice_{n}(__m128i v) {{ return _mm_add_epi32(v, v); }}
#endif
"""


API_ENTRIES = 300


def generate(root: Path, files: int) -> None:
    (root / "include").mkdir(parents=True)
    (root / "include" / "simd.h").write_text(HEADER)
    api = "".join(API_ENTRY.format(n=n) for n in range(API_ENTRIES))
    (root / "include" / "api.h").write_text(f"#ifndef PKG_API_H\n#define PKG_API_H\n{api}#endif\n")
    (root / "setup.py").write_text("setup(ext_modules=[Extension('m', [], include_dirs=['include'])])\n")
    for n in range(files):
        (root / f"unit_{n:04d}.c").write_text(UNIT.format(n=n))


def keys(result: ScanResult) -> set[tuple[str, int, str]]:
    return {(f.location.path, f.location.line, f.rule_id) for f in result.findings}


def timed(root: Path, options: ScanOptions) -> tuple[ScanResult, float]:
    start = time.perf_counter()
    result = scan(root, options)
    return result, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=150, help="translation units to generate")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    random.seed(1)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "tree"
        generate(root, args.files)
        cache = Path(tmp) / "cache"
        fast, fast_s = timed(root, ScanOptions(jobs=args.jobs))
        cold, cold_s = timed(root, ScanOptions(jobs=args.jobs, precise=True, cache_dir=cache))
        edited = root / "unit_0000.c"
        edited.write_text(
            edited.read_text() + "float extra(const float *p) { return _mm_cvtss_f32(LOAD_0(p)); }\n"
        )
        warm, warm_s = timed(root, ScanOptions(jobs=args.jobs, precise=True, cache_dir=cache))
    n = args.files
    print(
        f"tree: {n} translation units, each including a {API_ENTRIES}-type project header; "
        f"{args.jobs} processes"
    )
    print(f"fast mode    : {fast_s:7.2f} s  {n / fast_s:8.1f} files/s  {len(fast.findings)} findings")
    print(
        f"precise, cold: {cold_s:7.2f} s  {n / cold_s:8.1f} files/s  {len(cold.findings)} findings"
        f"  (precise/fast time x{cold_s / fast_s:.1f}; {cold.precise_units} units parsed)"
    )
    print(
        f"precise, warm: {warm_s:7.2f} s  after changing one file "
        f"({warm.precise_cached} of {warm.precise_units} units from the cache)"
    )
    only_fast = keys(fast) - keys(cold)
    only_precise = keys(cold) - keys(fast)
    print(f"findings only fast mode has   : {len(only_fast)}")
    print(
        f"findings only precise mode has: {len(only_precise)} "
        f"(uses through macros, e.g. {sorted(only_precise)[:1]})"
    )
    ratio = cold_s / warm_s
    print(
        f"warm re-scan is x{ratio:.1f} faster than the cold precise scan (goal >= 20x): "
        f"{'met' if ratio >= 20 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
