"""Fan work out to processes, typed: ``func(shared, job)`` for every job, results in job
order, with the shared state shipped to each worker once (not with every job).

A worker that dies (libclang segfaulting on a pathological unit, say) need not take the
run down: with ``on_crash``, the jobs not yet answered are run again one at a time in a
single worker, so the one that kills its process is known and answered by
``on_crash(job)`` while every other job still gets its real result.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import Any, TypeVar

S = TypeVar("S")
J = TypeVar("J")
R = TypeVar("R")
Progress = Callable[[str, int, int], None]

# The shared state inside a worker process, installed once by the pool's initializer.
# (The one piece of module state: a process pool can only hand state to its workers so.)
_WORKER_SHARED: list[Any] = []


def _install(shared: Any) -> None:
    _WORKER_SHARED[:] = [shared]


def _call(func: Callable[[Any, J], R], job: J) -> R:
    return func(_WORKER_SHARED[0], job)


def fan_out(
    func: Callable[[S, J], R],
    shared: S,
    jobs: Sequence[J],
    workers: int,
    stage: str,
    progress: Progress | None = None,
    on_crash: Callable[[J], R] | None = None,
) -> Iterator[R]:
    """``func(shared, job)`` for each job, in order. ``func`` must be a module-level
    function (picklable). Without ``on_crash``, jobs run in this process when
    ``workers <= 1`` or there is at most one job; with it, always in worker processes (at
    least one), since only a separate process can die without taking the run down."""
    total = len(jobs)
    done = 0

    def tick() -> None:
        if progress:
            progress(stage, done, total)

    if on_crash is None and (workers <= 1 or total < 2):
        for job in jobs:
            yield func(shared, job)
            done += 1
            tick()
        return
    if total == 0:
        return
    # Process pools only when there is parallel work (multiprocessing's import costs a small scan).
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    workers = max(1, min(workers, total))
    chunk = max(1, min(64, total // (workers * 8) or 1))
    call = partial(_call, func)
    try:
        with ProcessPoolExecutor(max_workers=workers, initializer=_install, initargs=(shared,)) as pool:
            for result in pool.map(call, jobs, chunksize=chunk):
                yield result
                done += 1
                tick()
        return
    except BrokenProcessPool:
        if on_crash is None:
            raise
    # One job at a time from here: a job that breaks its worker is the one that crashed.
    remaining = list(jobs[done:])
    while remaining:
        with ProcessPoolExecutor(max_workers=1, initializer=_install, initargs=(shared,)) as single:
            while remaining:
                job = remaining[0]
                try:
                    result = single.submit(call, job).result()
                except BrokenProcessPool:
                    result = on_crash(job)
                    remaining.pop(0)
                    yield result
                    done += 1
                    tick()
                    break  # this pool is dead: start another for the rest
                remaining.pop(0)
                yield result
                done += 1
                tick()


def default_jobs() -> int:
    """One worker per core (at most eight)."""
    return max(1, min(8, os.cpu_count() or 1))


# What one scan worker may hold at its peak (measured: -j 16 on 2 cores peaked at 4.7 GB,
# about 290 MB a worker on a large tree).
WORKER_BYTES = 320 * 2**20


def available_memory() -> int | None:
    """Bytes of memory available for new work (Linux MemAvailable), or None if unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def capped_jobs(requested: int, cores: int, memory: int | None) -> tuple[int, str | None]:
    """Workers to start for ``-j requested``: no more than the cores, nor than the memory
    holds; with the reason when that is fewer than asked."""
    limits = [(max(1, cores), f"{cores} core(s)")]
    if memory is not None:
        limits.append((max(1, memory // WORKER_BYTES), f"{memory / 2**30:.1f} GiB of memory available"))
    allowed, why = min(limits)
    if requested <= allowed:
        return requested, None
    return (
        allowed,
        f"-j {requested} reduced to {allowed}: {why} (a worker needs about {WORKER_BYTES // 2**20} MiB)",
    )
