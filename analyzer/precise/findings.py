"""Findings from precise mode's hits, built as the fast mode builds them (same messages,
fallbacks, suppressions and build-model reach): precise mode uses the native engine's
file view, never the other way round."""

from __future__ import annotations

from collections.abc import Mapping

from analyzer.findings import fallback_for, format_message, make_finding
from analyzer.model import Finding, Language
from analyzer.native.kinds import TokenMatch
from analyzer.native.matching import unsuppressed
from analyzer.native.views import Context, FileInput, SourceText
from analyzer.precise.clang import Hit
from analyzer.tri import Value


def precise_file_findings(
    rel: str, data: bytes, language: Language, hits: Mapping[Hit, set[str]], ctx: Context
) -> list[Finding]:
    """Findings for a translation unit from precise-mode hits (hit -> models it occurs on),
    built as the fast mode builds them: same messages, fallbacks and suppressions."""
    f = SourceText(FileInput(rel, data, language))
    by_id = {r.id: r for r in ctx.rules}
    out: list[Finding | None] = []
    for hit, models in hits.items():
        rule = by_id.get(hit.rule_id)
        if rule is None or hit.provided:
            continue
        message = format_message(rule.message, match=hit.token)
        if hit.via:
            message += f" (through {hit.via})"
        line_start = f.index.start_of(hit.line) if hit.line <= f.index.line_count else 0
        location = f.location(
            line_start + hit.column - 1, line_start + max(hit.end_column, hit.column + 1) - 1
        )
        token = hit.token if isinstance(rule.match, TokenMatch) else None
        # The build model decides where the unit is compiled: a model it leaves the unit
        # out of gets no precise finding, one it may leave it out of a "maybe".
        file_reach = ctx.reach.get(rel, {})
        reach: dict[str, Value] = {m: file_reach.get(m, 1) for m in models if file_reach.get(m, 1) != 0}
        if not reach:
            continue
        out.append(
            make_finding(
                rule,
                location,
                reach,
                ctx.selected,
                message,
                fallback_for(rule, token, ctx.fallbacks),
                f.text_of_line(hit.line),
            )
        )
    return sorted(set(unsuppressed(f, (x for x in out if x is not None))), key=Finding.sort_key)
