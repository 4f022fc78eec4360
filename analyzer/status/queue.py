"""The port queue (pure): which blocked projects to port first.

A project is blocked when, for some target Python, what an installer picks has no wheel
that installs on Windows on Arm (per-Python class amber or source-only); a "partial"
project whose other Pythons fall back to a pure-Python wheel installs everywhere and is not
queued. A project's weight is its downloads when the package list gives counts, else
``1 / rank`` in the list (download counts on PyPI fall off roughly as the inverse of the
rank). A blocked project scores its own weight plus the weights of every listed project
that requires it on Windows on Arm: porting it unblocks them too.
Regressions come first (a release that had a win_arm64 wheel and whose successor has
none: users who installed it natively now build from source), then the queue is sorted by
score, then by list position.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from analyzer.status.classify import BLOCKED, Status, StatusClass


def is_blocked(status: Status) -> bool:
    return any(klass in BLOCKED for klass in status.pythons.values())


@dataclass(frozen=True)
class QueueEntry:
    name: str
    rank: int  # 1: port first
    score: float
    dependents: tuple[str, ...]  # listed projects that require this one on WoA


def dependents_of(results: Sequence[Status]) -> dict[str, tuple[str, ...]]:
    listed = {s.name for s in results}
    found: dict[str, set[str]] = {}
    for status in results:
        for required in status.requires:
            if required in listed and required != status.name:
                found.setdefault(required, set()).add(status.name)
    return {name: tuple(sorted(users)) for name, users in found.items()}


def port_queue(
    results: Sequence[Status], downloads: Mapping[str, int] | None = None
) -> dict[str, QueueEntry]:
    downloads = downloads or {}
    position = {s.name: i for i, s in enumerate(results, 1)}

    def weight(name: str) -> float:
        count = downloads.get(name)
        return float(count) if count is not None else 1.0 / position[name]

    dependents = dependents_of(results)
    scored = [
        (weight(s.name) + sum(weight(d) for d in dependents.get(s.name, ())), s.name)
        for s in results
        if is_blocked(s)
    ]
    regressed = {s.name for s in results if StatusClass.REGRESSED in s.pythons.values()}
    scored.sort(key=lambda item: (item[1] not in regressed, -item[0], position[item[1]]))
    return {
        name: QueueEntry(name, rank, score, dependents.get(name, ()))
        for rank, (score, name) in enumerate(scored, 1)
    }
