"""woaport prove on real sdists: modules per second, what each module came to, and how
many units precise mode parses with a Windows CPython SDK against without one.

    python benchmarks/prove_bench.py             # 15 of the sdists benchmarks/accuracy.py pinned
    python benchmarks/prove_bench.py --all --seconds 120   # every pinned one, 120 s each at most
    python benchmarks/prove_bench.py --amber --no-precise  # the 11 amber packages (ci_oracle.toml)

Needs the SDK (`woaport sdk --python 3.13` makes it) and the pinned sdists in the cache
(`python benchmarks/accuracy.py` fetches them); the build requirements' headers come from
the configured index, as `woaport prove` takes them. zig's ARM64 runtime is built on the first
proof (about a minute), before the timed runs.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import tomllib
from collections import Counter
from contextlib import nullcontext
from pathlib import Path

from analyzer.archive import extract
from analyzer.index.config import default_index_url
from analyzer.index.httpcache import HttpCache
from analyzer.index.simple import SimpleIndex
from analyzer.paths import default_cache_dir
from analyzer.project import plan_of
from analyzer.prove import prove, toolchain_runner
from analyzer.prove.session import ProofSettings, find_toolchain, prove_source
from analyzer.scan import ScanOptions, scan
from analyzer.sdk.provider import local_sdk

SDISTS = (
    "markupsafe-3.0.4.tar.gz", "msgpack-1.2.4.tar.gz", "bitarray-3.12.3.tar.gz", "crc32c-2.9.post0.tar.gz",
    "regex-2026.11.19.tar.gz", "xxhash-4.1.0.tar.gz", "kiwisolver-1.5.1.tar.gz", "ujson-6.1.0.tar.gz",
    "cffi-2.1.1.tar.gz", "zstandard-0.25.0.tar.gz", "pycryptodome-3.22.0.tar.gz", "zstandard-0.23.0.tar.gz",
    "bitarray-3.7.1.tar.gz", "regex-2024.11.6.tar.gz", "psutil-7.0.0.tar.gz",
)  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--all", action="store_true", help="every sdist pinned in benchmarks/oracle.toml")
    parser.add_argument(
        "--amber",
        action="store_true",
        help="the amber packages pinned in benchmarks/ci_oracle.toml instead (no win_arm64 wheel yet)",
    )
    parser.add_argument("--seconds", type=float, default=3600.0, help="proof time per sdist")
    parser.add_argument("--no-precise", action="store_true", help="skip the precise-mode comparison")
    args = parser.parse_args()
    sdists = SDISTS
    if args.amber:
        pins_file = Path(__file__).resolve().parent / "ci_oracle.toml"
        ci_pins = tomllib.loads(pins_file.read_text(encoding="utf-8"))
        sdists = tuple(a["sdist"] for a in ci_pins["amber"])
    elif args.all:
        pinned = tomllib.loads((Path(__file__).resolve().parent / "oracle.toml").read_text(encoding="utf-8"))
        sdists = tuple(dict.fromkeys([*SDISTS, *(b["sdist"] for b in pinned["builds"])]))
    cache = default_cache_dir()
    sdk = local_sdk("3.13", cache / "sdk")
    if sdk is None:
        print("no CPython 3.13 SDK: run `woaport sdk --python 3.13` first", file=sys.stderr)
        return 2
    toolchain = find_toolchain()
    zig, run = list(toolchain.zig), toolchain_runner(cache / "zig")
    # The build requirements' headers (cppy, numpy...) from the index the user configured.
    index = SimpleIndex(default_index_url(None), cache=HttpCache(cache / "index"))
    # As `woaport prove` runs: one wiring (analyzer/prove/session.py).
    settings = ProofSettings(
        requires_cache=cache / "requires",
        zig_cache=cache / "zig",
        open_index=lambda: nullcontext(index),
        seconds=args.seconds,
        jobs=2,
    )
    outcomes: Counter[str] = Counter()
    reasons: Counter[str] = Counter()  # not proven, by reason code
    seconds = 0.0
    modules = 0
    parsed = {"without": [0, 0], "with": [0, 0]}
    # Warm-up, not timed: zig builds its ARM64 mingw-w64 runtime on the first link.
    warm = Path(__file__).resolve().parent.parent / "fixtures" / "prove" / "WOA901" / "good"
    with tempfile.TemporaryDirectory(prefix="woaport-prove-warm-") as tmp:
        warm_plan = plan_of(warm)
        if warm_plan is not None:
            prove(warm, warm_plan, [sdk], Path(tmp), zig, run=run)
    print(f"{'sdist':28} {'modules':>7} {'built':>5} {'not proven':>10} {'failed':>6} {'s':>6}", end="")
    print("  precise parsed")
    failed_modules: list[str] = []
    for name in sdists:
        archive = cache / "benchmark-sdists" / name
        if not archive.is_file():
            print(f"{name}: not in the cache (run benchmarks/accuracy.py)", file=sys.stderr)
            continue
        with tempfile.TemporaryDirectory(prefix="woaport-prove-bench-") as tmp:
            (Path(tmp) / "src").mkdir()
            root = extract(archive, Path(tmp) / "src").root
            start = time.perf_counter()
            proof = prove_source(root, [sdk], toolchain, Path(tmp) / "out", settings)
            result = proof.result
            elapsed = time.perf_counter() - start
            proofs = result.modules if result is not None else ()
            kinds = Counter(
                "built" if m.built else "not proven" if m.not_proven else "failed" for m in proofs
            )
            outcomes.update(kinds)
            failed_modules += [
                f"{name}: {m.module}: {(m.errors or ('?',))[0][:160]}"
                for m in proofs
                if not m.built and not m.not_proven
            ]
            reasons.update(m.reason or "?" for m in proofs if not m.built and m.not_proven)
            seconds += elapsed
            modules += len(proofs)
            row = ["-", "-"]
            for key, include in () if args.no_precise else (("without", None), ("with", sdk.include)):
                found = scan(root, ScanOptions(jobs=2, precise=True, python_include=include, cache_dir=None))
                parsed[key][0] += found.precise_units
                parsed[key][1] += found.precise_units + found.precise_fallbacks
                row[0 if key == "without" else 1] = (
                    f"{found.precise_units}/{found.precise_units + found.precise_fallbacks}"
                )
        print(
            f"{name.removesuffix('.tar.gz'):28} {len(proofs):7} {kinds['built']:5} {kinds['not proven']:10}"
            f" {kinds['failed']:6} {elapsed:6.1f}  {row[0]} -> {row[1]}"
        )
    rate = modules / seconds if seconds else 0.0
    print(f"total: {modules} module(s) in {seconds:.1f} s ({rate:.2f} modules/s): {dict(outcomes)}")
    print(f"not proven, by reason: {dict(sorted(reasons.items()))}")
    for line in failed_modules:  # on packages that ship win_arm64 wheels: each a woaport bug
        print(f"  failed: {line}")
    without, with_sdk = parsed["without"], parsed["with"]
    print(f"precise mode units parsed: {without[0]}/{without[1]} without the SDK,", end=" ")
    print(f"{with_sdk[0]}/{with_sdk[1]} with it")
    return 0


if __name__ == "__main__":
    sys.exit(main())
