"""Start-up cost of the CLI, against the interpreter's own, measured in the same run.

    python benchmarks/startup_bench.py           # 9 runs of each, medians

What a pre-commit hook pays on every commit: ``woaport --version`` (the import of the
CLI alone) and ``woaport scan ONE_FILE -q`` (one small C file), each as CPU seconds of a
fresh process, next to ``python -c pass``. Goal (issue 27): at most 0.15 CPU-s over the
interpreter for both.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

RUNS = 9


def cpu_seconds(command: list[str], env: dict[str, str]) -> float:
    """User + system CPU of one fresh process running ``command`` (getrusage: finer than
    os.times' 10 ms clock ticks, which are the size of the goal's margin)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(command, check=False, capture_output=True, env=env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def median_cpu(command: list[str], env: dict[str, str]) -> float:
    cpu_seconds(command, env)  # warm: bytecode written, as an installed package has it
    return statistics.median(cpu_seconds(command, env) for _ in range(RUNS))


def main() -> None:
    cli = [sys.executable, "-c", "from analyzer.cli import main; main()"]
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(scratch) / "one.c"
        source.write_text("#include <immintrin.h>\nint f(void) { return 0; }\n")
        # Bytecode allowed (an installed package has it), kept out of the source tree.
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = str(Path(scratch) / "pycache")
        python = median_cpu([sys.executable, "-c", "pass"], env)
        version = median_cpu([*cli, "--version"], env)
        one_file = median_cpu([*cli, "scan", str(source), "-q", "--no-cache"], env)
    print(f"python -c pass            {python:6.3f} CPU-s")
    print(f"woaport --version         {version:6.3f} CPU-s  (+{version - python:.3f} over the interpreter)")
    print(f"woaport scan one.c -q     {one_file:6.3f} CPU-s  (+{one_file - python:.3f} over the interpreter)")
    print("goal: each at most +0.150 over the interpreter")


if __name__ == "__main__":
    main()
