"""Abstract values the build-file interpreters share: UNKNOWN (from :mod:`analyzer.tri`),
a list item present on some paths only (:class:`Maybe`), the join of two paths, and a
build target's sources."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from analyzer.limits import BUILD_LIMITS, BuildLimits
from analyzer.tri import UNKNOWN, Value

__all__ = ["UNKNOWN", "Maybe", "Target", "WorkBudget", "WorkExhausted", "join", "strip_maybe"]


@dataclass
class Maybe:
    """A list item added (or kept) only on some paths: its condition is unknown."""

    value: Any


def strip_maybe(value: Any) -> Any:
    return value.value if isinstance(value, Maybe) else value


def join(old: Any, new: Any, known: Callable[[Any], bool]) -> Any:
    """The value of a name after a branch that may or may not have rebound it: list items
    on both sides stay certain, the others become :class:`Maybe`; equal known values stay;
    anything else is UNKNOWN. ``known`` says which values are fully known."""
    if old is new:
        return old
    if isinstance(old, list) and isinstance(new, list):
        olds = [strip_maybe(o) for o in old]
        news = [strip_maybe(n) for n in new]
        merged = [o if strip_maybe(o) in news else Maybe(strip_maybe(o)) for o in old]
        merged.extend(Maybe(n) for n in news if n not in olds)
        return merged
    try:
        if known(old) and known(new) and old == new:
            return old
    except Exception:  # comparing arbitrary values: an unequal answer is safe
        pass
    if old is None and new is None:
        return None
    return UNKNOWN


@dataclass
class Target:
    """A build target (meson, CMake) and its sources, each with its certainty."""

    name: str
    sources: list[tuple[Any, Value]]
    file: str
    line: int
    present: Value


class WorkExhausted(Exception):
    """An interpreter built more than its work budget allows: the rest is not evaluated."""


class WorkBudget:
    """What one interpreter run may build (CMake expansion, meson ``+``), counted before
    a value is made: one value longer than ``max_value`` is refused (UNKNOWN, said once),
    and past ``max_work`` in all the run stops (:class:`WorkExhausted`)."""

    def __init__(self, note: Callable[[str], None], limits: BuildLimits = BUILD_LIMITS) -> None:
        self.note, self.limits, self.built = note, limits, 0

    def fits(self, size: int) -> bool:
        """Is one value of ``size`` within ``max_value``? (said once when it is not)"""
        if size > self.limits.max_value:
            self.note(f"a value longer than {self.limits.max_value:,} items or characters is not built")
            return False
        return True

    def allow(self, size: int) -> bool:
        """:meth:`fits`, and counted against ``max_work``."""
        if not self.fits(size):
            return False
        self.built += size
        if self.built > self.limits.max_work:
            raise WorkExhausted(f"work budget of {self.limits.max_work:,} items or characters exhausted")
        return True
