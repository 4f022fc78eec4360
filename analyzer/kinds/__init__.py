"""Match kinds: how a rule finds its places, one registered class per kind.

Adding a kind is one new class decorated with :func:`register` in a module imported
here (or, for the C/C++/Rust kinds, which read the native engine's views, in
:mod:`analyzer.native.kinds`, which the rule loader imports): its fields declare how the
rule file spells them, its matcher does the rest.
"""

from analyzer.kinds import build, ci, proof
from analyzer.kinds.base import KINDS, FieldReader, MatchKind, RuleError, fast_start, parse_match, register

__all__ = [
    "KINDS",
    "FieldReader",
    "MatchKind",
    "RuleError",
    "build",
    "ci",
    "fast_start",
    "parse_match",
    "proof",
    "register",
]
