"""Does the SDK prove links with cover what shipped Windows ARM64 modules import?

    python benchmarks/sdk_bench.py           # check every pinned wheel (downloads once, cached)
    python benchmarks/sdk_bench.py --pin     # development: pin the wheels anew, print TOML

woaport's import libraries for ``python313.dll`` and ``python3.dll`` are made from
CPython's header declarations, because no CPython ARM64 DLL can be fetched here. The
oracle no one here wrote: the ``win_arm64`` wheels the accuracy set's projects ship
(``benchmarks/sdk_oracle.toml``, one CPython 3.13 or abi3 wheel per project, pinned by
sha256) were linked by their projects against the real DLLs, so every name their modules
import from them is a real export. Goal: the SDK lacks none of them.

Wheels are fetched with woaport's own index client and read in memory; nothing in them
is run.
"""

from __future__ import annotations

import argparse
import sys
import time
import tomllib
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analyzer.index.config import default_index_url
from analyzer.index.simple import SimpleIndex
from analyzer.paths import default_cache_dir
from analyzer.sdk.coverage import check_paths, sdk_exports
from analyzer.sdk.provider import checked, find_sdk
from benchmarks.accuracy import PINS as ACCURACY_PINS
from benchmarks.accuracy import fetch_pinned

PINS = Path(__file__).resolve().parent / "sdk_oracle.toml"
PYTHON = "3.13"


def pin() -> None:
    """Print pins: per accuracy-set project, its pinned version's cp313 win_arm64 wheel,
    else its abi3 one."""
    projects = tomllib.loads(ACCURACY_PINS.read_text(encoding="utf-8"))["builds"]
    print(f"# Pinned with `python benchmarks/sdk_bench.py --pin` from {ACCURACY_PINS.name}'s versions.\n")
    with SimpleIndex(default_index_url()) as index:
        for project in projects:
            wheels = [
                f
                for f in index.project(project["name"]).files
                if f.filename.endswith("-win_arm64.whl") and f"-{project['version']}-" in f.filename
            ]
            ranked = sorted(
                (w for w in wheels if "-cp313-cp313-" in w.filename or "-abi3-" in w.filename),
                key=lambda w: ("-cp313-cp313-" not in w.filename, w.filename),
            )
            if not ranked:
                print(f"# {project['name']} {project['version']}: no cp313 or abi3 win_arm64 wheel\n")
                continue
            wheel = ranked[0]
            print(
                f'[[wheels]]\nname = "{project["name"]}"\nwheel = "{wheel.filename}"\n'
                f'sha256 = "{wheel.hash("sha256")}"\n'
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pin", action="store_true", help="print pins and stop")
    parser.add_argument("--python-sdk", type=Path, help="an SDK directory (default: the cache's)")
    args = parser.parse_args()
    if args.pin:
        pin()
        return
    pins = tomllib.loads(PINS.read_text(encoding="utf-8"))["wheels"]
    sdk = checked(find_sdk(PYTHON, default_cache_dir() / "sdk", args.python_sdk))
    exports = sdk_exports(sdk.libs)
    cache = default_cache_dir() / "benchmark-wheels"
    start = time.perf_counter()
    with SimpleIndex(default_index_url()) as index:
        wheels = [fetch_pinned(index, p["name"], p["wheel"], p["sha256"], cache) for p in pins]
    fetched = time.perf_counter() - start
    start = time.perf_counter()
    results = check_paths(wheels, exports)
    seconds = time.perf_counter() - start
    imported: dict[str, set[str]] = {}
    for result in results:
        for dll, name in result.imported:
            imported.setdefault(dll, set()).add(name)
    lacking = sorted({(dll, name) for r in results for dll, name in r.missing})
    skipped = Counter(r.skipped for r in results if not r.checked)
    print(f"SDK: CPython {PYTHON} ({sdk.source})")
    print(
        f"wheels: {len(wheels)} from {len(pins)} pins; modules: {len(results)},"
        f" compared {sum(1 for r in results if r.checked)}"
    )
    for reason, count in sorted(skipped.items()):
        print(f"  not compared: {count} ({reason})")
    for dll in sorted(imported):
        print(f"  {dll}: {len(imported[dll])} distinct names imported, SDK library has {len(exports[dll])}")
    print(f"names the SDK lacks (goal 0): {len(lacking)}")
    for dll, name in lacking:
        print(f"  {dll}: {name}")
    print(f"read and compared in {seconds:.2f} s (fetch/cache check {fetched:.1f} s)")


if __name__ == "__main__":
    main()
