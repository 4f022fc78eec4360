"""Findings grouped for people (pure): one entry per place and rule, so a block of 200
AVX2 lines reads as one problem with one fix, not 200 lines repeating it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from analyzer.model import Finding

SHOWN_LINES = 12  # line numbers listed per group before "…"
SHOWN_FIXES = 3  # distinct fixes listed per group


@dataclass(frozen=True)
class FindingGroup:
    """Findings of one rule in one place (a guarded block, a function, or file scope)
    of one file, in line order."""

    findings: tuple[Finding, ...]

    @property
    def first(self) -> Finding:
        return self.findings[0]

    @property
    def count(self) -> int:
        return len(self.findings)

    @property
    def where(self) -> str:
        return self.first.place or "file scope"

    def lines(self) -> str:
        numbers = sorted({f.location.line for f in self.findings})
        shown = ", ".join(str(n) for n in numbers[:SHOWN_LINES])
        return shown + (f", … ({len(numbers) - SHOWN_LINES} more)" if len(numbers) > SHOWN_LINES else "")

    def models(self) -> tuple[str, ...]:
        """Every model some finding of the group bites on, in first-seen order."""
        return tuple(dict.fromkeys(m for f in self.findings for m in f.reachable_on))

    def fixes(self) -> tuple[str, ...]:
        """The distinct suggested fixes, at most SHOWN_FIXES (one per intrinsic family
        is the usual case: the same advice is given once)."""
        return tuple(dict.fromkeys(f.fallback for f in self.findings if f.fallback))[:SHOWN_FIXES]


def group_findings(findings: Iterable[Finding]) -> list[FindingGroup]:
    """Findings grouped by file, place and rule, in the order their first finding comes."""
    groups: dict[tuple[str, str, str], list[Finding]] = {}
    for finding in findings:
        groups.setdefault((finding.location.path, finding.place, finding.rule_id), []).append(finding)
    return [FindingGroup(tuple(members)) for members in groups.values()]
