"""The process-pool helper: order, crash isolation, and how many workers it may start."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from analyzer.pool import WORKER_BYTES, capped_jobs, fan_out


def _square_or_die(offset: int, job: int) -> int:
    if job == 3:
        os._exit(70)  # a worker that dies the way a segfaulting libclang does
    return job * job + offset


def test_results_come_in_job_order_with_the_shared_state() -> None:
    assert list(fan_out(_square_or_die, 1, [0, 1, 2, 4, 5], workers=2, stage="t")) == [1, 2, 5, 17, 26]
    assert list(fan_out(_square_or_die, 1, [2], workers=1, stage="t")) == [5]


# The crash tests run in a fresh interpreter: the test process may hold other threads (a
# Dask loop left by the survey tests, pytest-xdist's), and forking a worker from a
# threaded process can leave the child stuck on a lock another thread held, which a
# broken pool's shutdown then waits on for ever (seen under load with two workers).
_CRASH_CHECK = """
from concurrent.futures.process import BrokenProcessPool
from analyzer.pool import fan_out
from tests.test_pool import _square_or_die
jobs = list(range(8))
results = list(fan_out(_square_or_die, 0, jobs, workers=2, stage="t", on_crash=lambda job: -job))
assert results == [0, 1, 4, -3, 16, 25, 36, 49], results
# With one worker and one job, still in a separate process: this process survives.
assert list(fan_out(_square_or_die, 0, [3], workers=1, stage="t", on_crash=lambda job: -1)) == [-1]
try:
    list(fan_out(_square_or_die, 0, jobs, workers=2, stage="t"))
except BrokenProcessPool:
    print("without on_crash: BrokenProcessPool")
"""


def test_a_job_that_kills_its_worker_is_answered_by_on_crash_and_the_rest_still_run() -> None:
    """And without ``on_crash`` a dead worker is an error (BrokenProcessPool)."""
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, "-c", _CRASH_CHECK], cwd=root, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "without on_crash: BrokenProcessPool"


@pytest.mark.parametrize(
    ("requested", "cores", "memory", "expected"),
    [
        (2, 2, None, 2),
        (16, 2, None, 2),  # -j 16 on 2 cores
        (8, 16, 3 * WORKER_BYTES, 3),  # memory for three workers
        (8, 16, WORKER_BYTES // 2, 1),  # always at least one
        (4, 16, 64 * WORKER_BYTES, 4),
    ],
)
def test_jobs_are_capped_by_cores_and_memory(
    requested: int, cores: int, memory: int | None, expected: int
) -> None:
    jobs, why = capped_jobs(requested, cores, memory)
    assert jobs == expected
    assert (why is None) == (jobs == requested)
    if why:
        assert f"-j {requested} reduced to {expected}" in why
