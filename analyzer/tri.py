"""Three-valued logic: the ground floor every stage shares.

A value is an ``int`` (0 false, non-zero true) or ``MAYBE`` (``None``): it depends on
something woaport cannot know, such as a ``-D`` flag the build passes, an environment
variable a CI job reads, or an option the user gives the build. ``and3`` and ``or3``
short-circuit the way the C preprocessor does, so ``0 && MAYBE`` is 0 and ``1 || MAYBE``
is 1. It lives here, not in the ``#if`` evaluator, because the build model, the CI model
and the reports all answer in these three values too.
"""

from __future__ import annotations

from typing import Any

MAYBE = None
Value = int | None


class _Unknown:
    """A value (not a truth value) that cannot be known statically: an environment
    variable, a secret, another job's output. One instance, compared with ``is``."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()


def and3(a: Value, b: Value) -> Value:
    """Three-valued AND: 0 wins, then MAYBE."""
    if a == 0 or b == 0:
        return 0
    return MAYBE if a is None or b is None else 1


def or3(a: Value, b: Value) -> Value:
    """Three-valued OR: 1 wins, then MAYBE."""
    if a == 1 or b == 1:
        return 1
    return MAYBE if a is None or b is None else 0


def not3(a: Value) -> Value:
    """Three-valued NOT: MAYBE stays MAYBE."""
    return MAYBE if a is None else int(not a)
