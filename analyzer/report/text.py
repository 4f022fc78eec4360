"""Human output: the verdict, then findings grouped by file (plain text; the CLI colours it
for a terminal with :mod:`analyzer.report.colour`)."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from itertools import groupby

from analyzer.model import Confidence, Finding
from analyzer.report.groups import FindingGroup, group_findings
from analyzer.report.inert import one_line
from analyzer.result import ScanResult
from analyzer.verdict import Verdict, judge


def _finding_lines(f: Finding) -> list[str]:
    loc = f.location
    head = f"  {loc.line}:{loc.column} {f.severity.value} {f.rule_id} {one_line(f.message)}"
    consumers = "  (an installed header: for consumers that include it)" if f.for_consumers else ""
    lines = [head, f"      on: {', '.join(f.reachable_on)}{consumers}"]
    if f.generated_from is not None:
        lines.append(f"      generated: {one_line(f.generated_from.path)}:{f.generated_from.line}")
    if f.snippet:
        lines.append(f"      | {one_line(f.snippet)}")
    if f.fallback:
        lines.append(f"      fix: {one_line(f.fallback)}")
    return lines


def _group_lines(group: FindingGroup) -> list[str]:
    """One group: its first finding in full, the count and lines of the rest, the fix once."""
    if group.count == 1:
        return _finding_lines(group.first)
    head, *rest = _finding_lines(replace(group.first, fallback=None, reachable_on=group.models()))
    more = f"      and {group.count - 1} more {group.first.rule_id} in {group.where}: lines {group.lines()}"
    return [head, more, *rest, *(f"      fix: {fix}" for fix in group.fixes())]


def _section(findings: list[Finding], verbose: bool = True) -> list[str]:
    out: list[str] = []
    for path, in_file in groupby(findings, key=lambda f: f.location.path):
        shown = one_line(path)  # file names from the package: control characters escaped
        out.append(shown)
        if verbose:
            for f in in_file:
                out.extend(_finding_lines(f))
        else:
            for group in group_findings(in_file):
                out.extend(_group_lines(group))
        out.append("")
    return out


def verdict_lines(result: ScanResult, verdict: Verdict | None = None) -> list[str]:
    """The first screen: the verdict in one sentence, then one line per area."""
    verdict = verdict or judge(result)
    lines = [f"Verdict: {one_line(verdict.overall)}"]
    for name, area in verdict.areas:
        lines.append(f"  {name:12} {area.state:8} {one_line(area.reasons[0]) if area.reasons else ''}")
    return [*lines, ""]


def _folded(findings: list[Finding], title: str) -> list[str]:
    """One line per rule for findings that do not decide the verdict on their own: how
    many, in how many files, and the first place (``-v`` lists them all)."""
    out = [f"{title} (folded: -v lists them):"]
    by_rule: dict[str, list[Finding]] = {}
    for f in findings:
        by_rule.setdefault(f.rule_id, []).append(f)
    for rule_id, group in sorted(by_rule.items(), key=lambda item: (-len(item[1]), item[0])):
        files = len({f.location.path for f in group})
        first = group[0]
        place = f"{one_line(first.location.path)}:{first.location.line}"
        out.append(
            f"  {rule_id} {len(group):>6} in {files} file(s), first at {place}: {one_line(first.message)}"
        )
    return [*out, ""]


def render(
    result: ScanResult, show_warnings: bool = True, verbose: bool = False, verdict: Verdict | None = None
) -> str:
    """The verdict, then the findings that decide it, grouped by place and rule; the
    build-dependent ones and those in files no model compiles folded to a line per rule
    (``verbose``: every finding on its own lines)."""
    sure = [f for f in result.findings if f.confidence is Confidence.HIGH]
    maybe = [f for f in result.findings if f.confidence is Confidence.LOW]
    out = verdict_lines(result, verdict)
    out.extend(_section(sure, verbose))
    title = "Depends on build configuration (macros the tree does not define)"
    if maybe:
        out.extend([f"{title}:", "", *_section(maybe, verbose)] if verbose else _folded(maybe, title))
    if result.not_compiled:
        title = "Not compiled on any selected model (no translation unit reaches these files)"
        not_compiled_findings = list(result.not_compiled)
        out.extend(
            [f"{title}:", "", *_section(not_compiled_findings, verbose)]
            if verbose
            else _folded(not_compiled_findings, title)
        )
    if show_warnings and result.warnings:
        out.append(f"{len(result.warnings)} warning(s):")
        out.extend(f"  {one_line(w.path)}: {one_line(w.message)}" for w in result.warnings)
        out.append("")
    # The headline counts what decides the verdict: build-dependent findings are said apart.
    counts = Counter(f.severity.value for f in sure)
    summary = ", ".join(f"{counts[s]} {s}" for s in ("error", "warning", "perf", "note") if counts[s])
    not_compiled = sum(n for why, n in result.skipped.items() if why.startswith("not compiled"))
    skipped = sum(result.skipped.values()) - not_compiled
    out.append(
        f"{len(sure)} finding(s){' (' + summary + ')' if summary else ''}"
        f"{f', and {len(maybe)} build-dependent' if maybe else ''} in {result.files_scanned} file(s)"
        f"{f', {skipped} skipped' if skipped else ''}"
        f"{f', {not_compiled} with x86 code not compiled on these models' if not_compiled else ''}"
        f"; targets: {', '.join(result.targets)}"
    )
    return "\n".join(out) + "\n"


def explain(result: ScanResult) -> str:
    """``--explain``: what precise mode parsed and where it disagrees with the fast mode."""
    lines = [
        f"\nprecise mode: {result.precise_units} translation unit(s) parsed "
        f"({result.precise_cached} from the cache), "
        f"{result.precise_fallbacks} kept fast-mode results; {len(result.differences)} difference(s)"
    ]
    for d in result.differences:
        lines.append(f"  {d.path}:{d.line} {d.rule_id} only in {d.only_in} mode: {d.detail}")
    return "\n".join(lines) + "\n"
