"""Building a finding, in one place for every mode (fast, precise, build and CI files):
reach -> confidence and models, message text, fallback advice, inline suppressions."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence

from analyzer.fallbacks import FallbackTable
from analyzer.filekinds import FILE_KINDS
from analyzer.model import Confidence, Finding, Language, Location, RuleFacts, Severity
from analyzer.tri import Value

SNIPPET_CHARS = 200
SUPPRESS = re.compile(r"woaport:\s*ignore(?:\[([A-Za-z0-9_, -]+)\])?")

# A line holding nothing but a comment, per language (analyzer/filekinds.py): a
# suppression there covers the next line. A trailing comment on a code line covers that
# line only.
COMMENT_ONLY: dict[Language, re.Pattern[str]] = {k.language: k.comment_only for k in FILE_KINDS}


def format_message(template: str, **fields: str) -> str:
    """The rule's message with ``{match}``-style fields filled in; a template that names a
    field this place has no value for is shown as written rather than failing."""
    try:
        return template.format(**fields)
    except (KeyError, IndexError, ValueError):
        return template


def reach_summary(
    rule: RuleFacts, reach: Mapping[str, Value], selected: frozenset[str]
) -> tuple[Confidence, tuple[str, ...]] | None:
    """Models the place is compiled on: the sure ones (high confidence), else the maybe
    ones (low); None when no selected model of the rule compiles it."""
    models = [m for m in rule.models if m in selected]
    sure = tuple(m for m in models if reach.get(m) == 1)
    if sure:
        return Confidence.HIGH, sure
    maybe = tuple(m for m in models if m in reach and reach[m] is None)
    if maybe:
        return Confidence.LOW, maybe
    return None


def fallback_for(rule: RuleFacts, token: str | None, table: FallbackTable) -> str | None:
    """The advice for a token: its entry in ``rules/fallbacks.toml`` when it names a NEON
    or generic replacement; the rule's own advice (with the family's translation-layer
    coverage, when that is all the table knows) otherwise."""
    found = table.lookup(token) if token else None
    if found is None:
        return rule.fallback
    if found.neon is None and found.generic is None:
        return f"{rule.fallback} ({found.describe()})" if rule.fallback else found.describe()
    return found.describe()


def snippet_of(text: str) -> str:
    text = text.strip()
    return text if len(text) <= SNIPPET_CHARS else text[:SNIPPET_CHARS] + "…"


def make_finding(
    rule: RuleFacts,
    location: Location,
    reach: Mapping[str, Value],
    selected: frozenset[str],
    message: str,
    fallback: str | None,
    snippet: str,
    severity: Severity | None = None,
    confidence: Confidence | None = None,
) -> Finding | None:
    """The finding for ``rule`` at ``location``, or None when no selected model compiles
    the place. ``confidence`` overrides the one the reach gives (a ladder whose taken
    branch depends on the build is low however sure its reach is)."""
    summary = reach_summary(rule, reach, selected)
    if summary is None:
        return None
    conf, models = summary
    return Finding(
        rule_id=rule.id,
        severity=severity or rule.severity,
        confidence=confidence or conf,
        location=location,
        message=message,
        reachable_on=models,
        fallback=fallback,
        snippet=snippet_of(snippet),
    )


def suppressed(line_text: Callable[[int], str], line: int, rule_id: str, language: Language) -> bool:
    """``woaport: ignore`` / ``woaport: ignore[WOA101, ...]`` on the finding's line, or on a
    comment-only line just above it (one rule for every language)."""
    candidates = [line_text(line)]
    comment_only = COMMENT_ONLY.get(language)
    if line > 1 and comment_only is not None:
        above = line_text(line - 1)
        if comment_only.match(above):
            candidates.append(above)
    for text in candidates:
        for m in SUPPRESS.finditer(text):
            if m.group(1) is None:
                return True
            if rule_id in {x.strip().upper() for x in m.group(1).split(",")}:
                return True
    return False


def finding_keys(findings: Sequence[Finding]) -> list[str]:
    """A key per finding that survives edits moving code: the rule, the file, the line's
    text with its spacing normalized, and which occurrence of that triple it is (SARIF's
    partialFingerprints, and what --changed compares before and after)."""
    seen: Counter[tuple[str, str, str]] = Counter()
    keys = []
    for f in findings:
        triple = (f.rule_id, f.location.path, " ".join(f.snippet.split()))
        seen[triple] += 1
        keys.append(hashlib.sha256("\0".join([*triple, str(seen[triple])]).encode()).hexdigest()[:32])
    return keys
