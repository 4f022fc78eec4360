"""What the static build model costs: a scan's CPU time with and without it, measured in
the same run on the pinned oracle sdists (goal: under 10% more on a large real tree).

    python benchmarks/build_model_bench.py                 # numpy, lxml, pycryptodome, pillow
    python benchmarks/build_model_bench.py --only numpy --repeat 5

The sdists come from the accuracy benchmark's cache (``benchmarks/accuracy.py`` fetches
and pins them). Each tree is unpacked once; the two scans alternate so that warm caches
favour neither. Also printed: the time of the build model alone (reading the build files
and judging probes), which is what the ratio is made of.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
import tomllib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analyzer.archive import extract
from analyzer.index.config import default_index_url
from analyzer.index.simple import SimpleIndex
from analyzer.paths import default_cache_dir
from analyzer.project import plan_of
from analyzer.scan import ScanOptions, scan
from benchmarks.accuracy import PINS, fetch_pinned

DEFAULT = ("numpy", "lxml", "pycryptodome", "pillow")


def _cpu(function: object, *args: object) -> float:
    start = time.process_time()
    function(*args)  # type: ignore[operator]
    return time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default=",".join(DEFAULT), help="comma-separated oracle project names")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    wanted = [n.strip() for n in args.only.split(",") if n.strip()]
    data = tomllib.loads(PINS.read_text(encoding="utf-8"))
    entries = {e["name"]: e for e in data.get("builds", [])}
    cache = default_cache_dir() / "benchmark-sdists"
    total_with = total_without = 0.0
    print("build model cost: scan CPU with / without it (same run, best of each)")
    with SimpleIndex(default_index_url()) as index:
        for name in wanted:
            entry = entries[name]
            archive = fetch_pinned(index, name, entry["sdist"], entry["sha256"], cache)
            scratch = Path(tempfile.mkdtemp(prefix="woaport-build-bench-"))
            try:
                root = extract(archive, scratch).root
                with_model: list[float] = []
                without: list[float] = []
                for _ in range(args.repeat):
                    without.append(_cpu(scan, root, ScanOptions(build_model=False)))
                    with_model.append(_cpu(scan, root, ScanOptions()))
                plan_only = min(_cpu(plan_of, root) for _ in range(args.repeat))
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
            best_with, best_without = min(with_model), min(without)
            total_with += best_with
            total_without += best_without
            ratio = best_with / best_without
            print(
                f"  {name:14} {best_with:6.2f} s / {best_without:6.2f} s  ratio {ratio:5.2f}"
                f"   build model alone {plan_only:5.2f} s"
            )
    ratio = total_with / total_without
    print(f"  total          {total_with:6.2f} s / {total_without:6.2f} s  ratio {ratio:5.2f}")


if __name__ == "__main__":
    main()
