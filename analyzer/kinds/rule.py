"""A rule as the engines see it: its metadata (:class:`Rule`, :class:`RuleDoc`) and the
named patterns of ``rules/patterns.toml`` some engines use directly.

A rule holds its match kind and every kind's matcher takes the rule, so the two live in
one package; loading the rule files (and choosing among them) is :mod:`analyzer.rules`,
above every engine.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from analyzer.kinds.base import MatchKind, fast_start
from analyzer.model import Language, Severity
from analyzer.targets import RULES_DIR


@dataclass(frozen=True)
class RuleDoc:
    why: str
    bad: str
    good: str
    fix: str
    references: tuple[str, ...]
    example_language: str = ""  # code-fence language for bad/good, when set


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    family: str
    severity: Severity
    languages: frozenset[Language]
    models: tuple[str, ...]
    summary: str
    message: str
    fallback: str | None
    match: MatchKind
    doc: RuleDoc
    # Which kind of change resolves it (``woaport fix --only``): code, build or ci.
    category: str = "code"
    # The fixer that resolves it (analyzer/fix/engine.py FIXERS), or None: manual work.
    autofix: str | None = None
    # Literals at least one of which is in any file the rule can match (a fast skip).
    prefilter: tuple[bytes, ...] = ()
    # It bites only when the win_arm64 wheel is cross-compiled from x64 (a distutils
    # build_ext names the module from the running Python): at its severity when a CI job
    # of the tree cross-compiles, a note otherwise.
    cross_compile_only: bool = False

    @property
    def help_uri(self) -> str:
        return rule_doc_path(self.id)


def rule_doc_path(rule_id: str) -> str:
    """Where a rule's documentation lives in the repository."""
    return f"docs/rules/{rule_id}.md"


def load_patterns(rules_dir: Path = RULES_DIR) -> dict[str, str]:
    with open(rules_dir / "patterns.toml", "rb") as handle:
        data = tomllib.load(handle)
    return {str(k): str(v) for k, v in data.get("patterns", {}).items()}


@lru_cache(maxsize=1)
def x86_only_pattern(rules_dir: Path = RULES_DIR) -> re.Pattern[bytes]:
    """The shared "x86_only" pattern: what makes a branch x86-only code."""
    return re.compile(fast_start(load_patterns(rules_dir)["x86_only"]).encode())
