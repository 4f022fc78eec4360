"""The one base class of the errors a command reports as "this input (or what fetching
it needs) cannot be used": an unreadable archive, a failed clone, an index that does not
answer, a bad index configuration, a missing toolchain. The command line catches this
class once and exits 2 with the message; anything else escaping is a bug. Each error
keeps its own built-in base too (``RuntimeError``, ``ValueError``), so existing
``except`` clauses still hold."""

from __future__ import annotations


class InputProblem(Exception):
    """The input, or something needed to fetch or prove it, cannot be used."""
