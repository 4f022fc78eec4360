"""Survey throughput on one worker and on two, measured in the same run.

    python benchmarks/survey_bench.py              # 24 projects, scan + fix (no proof)
    python benchmarks/survey_bench.py --prove      # with compile-and-link proofs (needs an SDK)
    python benchmarks/survey_bench.py --copies 8   # 8 copies of each blocker class

A fixed local set: synthetic sdists, one per blocker class (ci-only, ci-elsewhere,
external-library, build, code, unknown) times ``--copies``, served by an index on
127.0.0.1 (tests/localindex.py). The same set is surveyed with ``-j 1`` (one task at a
time) and on a local Dask cluster of 2 worker processes; printed: projects per minute of
each, their ratio, the peak memory of one task's process tree (a worker runs one at a
time), and the blocker-class table (which must be the same both ways).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analyzer.index.simple import SimpleIndex
from analyzer.paths import default_cache_dir
from analyzer.sdk.provider import SdkError, checked, find_sdk
from analyzer.survey.run import SurveyOptions, SurveyReport, run_survey
from tests.localindex import LocalIndex
from tests.survey.test_survey import PROJECTS, publish_amber


def _survey(index: LocalIndex, names: list[str], options: SurveyOptions) -> tuple[float, SurveyReport]:
    with SimpleIndex(index.url, timeout=30.0) as client:
        started = time.perf_counter()
        report = run_survey(client, names, options, None, "bench", "survey bench")
        return time.perf_counter() - started, report


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--copies", type=int, default=4, help="projects per blocker class")
    parser.add_argument("--prove", action="store_true", help="also compile and link (needs an SDK)")
    args = parser.parse_args()
    options = SurveyOptions(jobs=1, repo_ci=False)
    if args.prove:
        try:
            sdk = checked(find_sdk("3.13", default_cache_dir() / "sdk"))
        except SdkError as error:
            sys.exit(f"--prove: {error}")
        zig_cache = str(default_cache_dir() / "zig")
        options = replace(options, prove_python="3.13", sdk_dir=str(sdk.root), zig_cache=zig_cache)
    index = LocalIndex().start()
    try:
        names = []
        for copy in range(args.copies):
            for base, (files, _) in PROJECTS.items():
                name = f"{base}{copy}"
                publish_amber(index, name, {rel: text.replace(base, name) for rel, text in files.items()})
                names.append(name)
        with tempfile.TemporaryDirectory():
            one_seconds, one = _survey(index, names, options)
            two_seconds, two = _survey(index, names, replace(options, jobs=2))
    finally:
        index.stop()
    classes_one = Counter(s.blocker for s in one.surveys)
    classes_two = Counter(s.blocker for s in two.surveys)
    per_minute_one = len(names) / one_seconds * 60
    per_minute_two = len(names) / two_seconds * 60
    peak = max(s.peak_memory_mb for s in (*one.surveys, *two.surveys))
    median_task = sorted(s.seconds() for s in one.surveys)[len(one.surveys) // 2]
    print(f"{len(names)} projects ({args.copies} per blocker class), proofs {'on' if args.prove else 'off'}")
    print(f"  -j 1 (one at a time):        {one_seconds:6.1f} s   {per_minute_one:6.1f} projects/min")
    print(f"  local Dask cluster, 2 workers: {two_seconds:6.1f} s   {per_minute_two:6.1f} projects/min")
    print(f"  ratio 2 workers / 1:         {per_minute_two / per_minute_one:6.2f}x")
    print(f"  median task (in its process): {median_task:.2f} s; peak memory of one task: {peak:.0f} MB")
    print("  blocker classes: " + ", ".join(f"{k} {n}" for k, n in sorted(classes_one.items())))
    if classes_one != classes_two or any(s.outcome != "done" for s in (*one.surveys, *two.surveys)):
        sys.exit("the two runs disagree, or a project failed")


if __name__ == "__main__":
    main()
