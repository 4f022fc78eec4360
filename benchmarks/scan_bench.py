"""Scan throughput, recall and precision on a generated tree, against a naive baseline.

    python benchmarks/scan_bench.py            # 50 MB, as in the goals
    python benchmarks/scan_bench.py --mb 5     # quicker
    python benchmarks/scan_bench.py --tree /tmp/numpy-2.5.5   # a real tree: the ratio alone

The tree holds plain C/C++ filler, planted blockers (unguarded intrinsics, _WIN64 guards,
x64-only intrinsics, __aarch64__-only ladders) whose lines are recorded, and decoys:
x86 code correctly guarded in every common style, which must produce no finding. The
baseline is what a grep-based checker does: the same identifiers, no guard model.
Goals: >= 30 MB/s on one core, 100% recall of planted blockers, 0 findings in decoys.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analyzer.native.kinds import IncludeMatch, TokenMatch
from analyzer.rules import default_rules
from analyzer.scan import ScanOptions, scan

FILLER = """\
/* {name}: generated filler modelled on extension-module code. */
static int {name}_check(const double *values, size_t count, double *out)
{{
    size_t i;
    double total = 0.0;
    if (values == NULL || out == NULL) {{
        return -1;  /* nothing to do */
    }}
    for (i = 0; i < count; ++i) {{
        total += values[i] * 0.5 + (double)i;
    }}
#ifdef Py_DEBUG
    fprintf(stderr, "%s: %f\\n", "{name}", total);
#endif
    *out = total;
    return 0;
}}

"""

# Each planted blocker: text with one marker line "@@RULE" and the rule it must raise.
BLOCKERS = [
    ("#include <immintrin.h> /*@@WOA101*/\n", "WOA101"),
    ("static float {name}_b(float x) {{ return _mm_cvtss_f32(_mm_set1_ps(x)); }} /*@@WOA102*/\n", "WOA102"),
    (
        "#ifdef _WIN64 /*@@WOA140*/\n"
        "static int {name}_c(void) {{ int r[4]; __cpuid(r, 0); return r[0]; }} /*@@WOA110*/\n#endif\n",
        "WOA140",
    ),
    ("static unsigned long long {name}_d(void) {{ return __rdtsc(); }} /*@@WOA110*/\n", "WOA110"),
    (
        "#if defined(__aarch64__) /*@@WOA130*/\n#include <arm_neon.h>\n"
        "#elif defined(_M_X64)\n#include <emmintrin.h>\n"
        "#else\n#error unsupported\n#endif\n",
        "WOA130",
    ),
]
DECOYS = [
    "#if defined(__x86_64__) || defined(_M_X64)\n#include <immintrin.h>\n"
    "static __m128 {name}_e(__m128 a) {{ return _mm_add_ps(a, a); }}\n"
    "#elif defined(_M_ARM64) || defined(__aarch64__)\n#include <arm_neon.h>\n#endif\n",
    "#ifdef __SSE2__\nstatic __m128i {name}_f(__m128i a) {{ return _mm_add_epi32(a, a); }}\n#endif\n"
    "#if defined(__ARM_NEON) || defined(_M_ARM64)\n#include <arm_neon.h>\n#endif\n",
    "#if defined(_M_X64) && !defined(_M_ARM64EC)\nstatic __m256 {name}_g(__m256 a) "
    "{{ return _mm256_add_ps(a, a); }}\n#endif\n"
    "#if defined(_M_ARM64) || defined(__aarch64__)\nint {name}_h;\n#endif\n",
]
MARK = re.compile(r"/\*@@(WOA\d{3})\*/")


def generate(
    root: Path, megabytes: float, seed: int = 7, rate: float = 0.01
) -> tuple[set[tuple[str, int, str]], set[tuple[str, int]]]:
    """Write the tree; return planted (path, line, rule) and decoy (path, line) sets."""
    rng = random.Random(seed)
    planted: set[tuple[str, int, str]] = set()
    decoy_lines: set[tuple[str, int]] = set()
    target = int(megabytes * 1024 * 1024)
    written = 0
    index = 0
    while written < target:
        rel = f"pkg{index % 40}/mod{index}.{'cpp' if index % 3 == 0 else 'c'}"
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        lines: list[str] = ["#include <stddef.h>\n", "#include <stdio.h>\n"]
        for chunk in range(rng.randint(20, 60)):
            name = f"f{index}_{chunk}"
            roll = rng.random()
            if roll < rate:
                text, _ = rng.choice(BLOCKERS)
                block = text.format(name=name)
                for offset, line in enumerate(block.splitlines(keepends=True)):
                    m = MARK.search(line)
                    if m:
                        planted.add((rel, len(lines) + offset + 1, m.group(1)))
                lines.extend(block.splitlines(keepends=True))
            elif roll < 2 * rate:
                block = rng.choice(DECOYS).format(name=name)
                start = len(lines) + 1
                lines.extend(block.splitlines(keepends=True))
                decoy_lines.update((rel, n) for n in range(start, len(lines) + 1))
            else:
                lines.extend(FILLER.format(name=name).splitlines(keepends=True))
        data = "".join(lines)
        path.write_text(data)
        written += len(data)
        index += 1
    return planted, decoy_lines


SOURCE_SUFFIXES = frozenset({".c", ".cc", ".cpp", ".cxx", ".h", ".hh", ".hpp", ".hxx", ".inl", ".rs"})


def naive_baseline(root: Path, files: list[Path] | None = None) -> tuple[list[tuple[str, int]], float]:
    """A grep for the rules' identifiers and headers, with no preprocessor model, over
    ``files`` (default: the generated tree's ``*.c*``)."""
    patterns = [
        r.match.pattern.pattern for r in default_rules() if isinstance(r.match, TokenMatch | IncludeMatch)
    ]
    regex = re.compile(rb"(?<![\w$])(?:" + b"|".join(patterns) + rb")(?![\w$])")
    start = time.perf_counter()
    hits = []
    for path in sorted(files if files is not None else root.rglob("*.c*")):
        data = path.read_bytes()
        rel = path.relative_to(root).as_posix()
        for m in regex.finditer(data):
            hits.append((rel, data.count(b"\n", 0, m.start()) + 1))
    return hits, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mb", type=float, default=50.0, help="size of the generated tree")
    parser.add_argument("--jobs", type=int, default=2, help="processes for the parallel run")
    parser.add_argument(
        "--rate",
        type=float,
        default=0.01,
        help="chance per generated function of a planted blocker (and of a decoy); 0.01 puts "
        "x86 code in about half of the files, 0.001 in about one in twenty",
    )
    parser.add_argument("--tree", type=Path, help="time a real unpacked tree instead (ratio only)")
    args = parser.parse_args()
    if args.tree is not None:
        real_tree(args.tree)
        return
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        planted, decoys = generate(root, args.mb, rate=args.rate)
        size_mb = sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) / 1e6

        baseline_hits, baseline_s = naive_baseline(root)
        start = time.perf_counter()
        result = scan(root, ScanOptions(jobs=1))
        one_core = time.perf_counter() - start
        start = time.perf_counter()
        parallel = scan(root, ScanOptions(jobs=args.jobs))
        many = time.perf_counter() - start

    found = {(f.location.path, f.location.line, f.rule_id) for f in result.findings}
    recall = len(planted & found) / len(planted) if planted else 1.0
    planted_lines = {(p, line) for p, line, _ in planted}
    on_planted = [f for f in result.findings if (f.location.path, f.location.line) in planted_lines]
    precision = len(on_planted) / len(result.findings) if result.findings else 1.0
    in_decoys = [f for f in result.findings if (f.location.path, f.location.line) in decoys]
    baseline_fp = [h for h in baseline_hits if h in decoys]
    missed = sorted(planted - found)[:5]

    with_x86 = len({p for p, _, _ in planted} | {p for p, _ in decoys})
    print(
        f"tree: {size_mb:.1f} MB, {result.files_scanned} files ({with_x86} with x86 code), "
        f"{len(planted)} planted blockers, {len(decoys)} decoy lines"
    )
    print(f"woaport, 1 process : {one_core:7.2f} s  {size_mb / one_core:7.1f} MB/s")
    print(
        f"woaport, {args.jobs} processes: {many:7.2f} s  {size_mb / many:7.1f} MB/s  "
        f"(speed-up x{one_core / many:.2f}; same findings: {parallel.findings == result.findings})"
    )
    print(
        f"naive grep baseline : {baseline_s:7.2f} s  {size_mb / baseline_s:7.1f} MB/s  "
        f"(woaport/baseline time ratio x{one_core / baseline_s:.2f})"
    )
    print(
        f"recall of planted blockers: {recall:.1%}  (goal 100%){'  missed: ' + str(missed) if missed else ''}"
    )
    print(f"precision (findings on planted lines): {precision:.1%}")
    print(
        f"findings inside correctly guarded x86 blocks: woaport {len(in_decoys)} (goal 0), "
        f"naive baseline {len(baseline_fp)}"
    )
    print(f"goal >= 30 MB/s on one core: {'met' if size_mb / one_core >= 30 else 'NOT met'}")


def real_tree(root: Path) -> None:
    """The ratio to the naive grep on a real tree (no planted lines: no recall here)."""
    sources = [p for p in root.rglob("*") if p.is_file() and p.suffix in SOURCE_SUFFIXES]
    lines = sum(len(p.read_bytes().splitlines()) for p in sources)
    _, baseline_s = naive_baseline(root, sources)
    start = time.process_time()
    # The fast scan of the sources as shipped (translating .pyx with Cython is its own stage).
    result = scan(root, ScanOptions(jobs=1, cython=False))
    woaport_s = time.process_time() - start
    print(f"tree: {root.name}, {len(sources)} C/C++/Rust/Cython files, {lines:,} lines")
    print(f"naive grep baseline : {baseline_s:7.2f} s")
    print(f"woaport, 1 process : {woaport_s:7.2f} CPU-s  ({len(result.findings)} findings)")
    print(f"woaport/baseline ratio x{woaport_s / baseline_s:.2f}  (goal <= 2x on a 300k-line tree)")


if __name__ == "__main__":
    main()
