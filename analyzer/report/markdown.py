"""Markdown output (PR comments, job summaries): the verdict, then findings grouped by
place and rule with the fix once, within GitHub's comment size limit."""

from __future__ import annotations

from collections import Counter

from analyzer.model import Confidence, Finding
from analyzer.report.groups import FindingGroup, group_findings
from analyzer.report.inert import markdown_code, markdown_text
from analyzer.report.sarif import rule_url
from analyzer.result import ScanResult
from analyzer.verdict import Verdict, judge

# GitHub refuses a comment over 65,536 characters; keep a margin for what a workflow adds.
MAX_CHARS = 60_000
_RESERVE = 1_500  # for the closing lines and the "not shown" summary
_HEADER = (
    "| Location | Rule | Findings | Message | Compiled on | Suggested fix |",
    "|---|---|---|---|---|---|",
)


def _cell(text: str) -> str:
    return markdown_text(text)


def _row(group: FindingGroup) -> str:
    f = group.first
    # In a table, "|" ends the cell even inside a code span unless escaped.
    where = markdown_code(f"{f.location.path}:{f.location.line}").replace("|", "\\|")
    if group.count > 1:
        where += f" ({_cell(group.where)}; lines {group.lines()})"
    return (
        f"| {where} | [{f.rule_id}]({rule_url(f.rule_id)}) {f.severity.value} | {group.count} | "
        f"{_cell(f.message)} | {', '.join(group.models())} | {_cell('; '.join(group.fixes()))} |"
    )


def _verdict(verdict: Verdict) -> list[str]:
    lines = [f"**Verdict:** {markdown_text(verdict.overall)}", "", "| Area | State | Why |", "|---|---|---|"]
    for name, area in verdict.areas:
        why = markdown_text("; ".join(area.reasons))
        lines.append(f"| {name} | {area.state} | {why} |")
    return [*lines, ""]


class _Budget:
    """Lines added while they fit in MAX_CHARS (less the reserve); what does not fit is
    counted for the summary."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.used = sum(len(x) + 1 for x in lines)
        self.left_out_groups = 0
        self.left_out_findings = 0

    def fits(self, extra: list[str]) -> bool:
        return self.used + sum(len(x) + 1 for x in extra) <= MAX_CHARS - _RESERVE

    def add(self, extra: list[str]) -> None:
        self.lines += extra
        self.used += sum(len(x) + 1 for x in extra)

    def table(self, findings: list[Finding], title: str, collapsed: bool) -> None:
        groups = group_findings(findings)
        if not groups:
            return
        heading = f"<details><summary>{title}</summary>" if collapsed else f"### {title}"
        opening = [heading, "", *_HEADER]
        closing = ["", "</details>", ""] if collapsed else [""]
        if not self.fits([*opening, *closing]):
            self.left_out_groups += len(groups)
            self.left_out_findings += len(findings)
            return
        self.add(opening)
        for position, group in enumerate(groups):
            row = _row(group)
            if not self.fits([row, *closing]):
                rest = groups[position:]
                self.left_out_groups += len(rest)
                self.left_out_findings += sum(g.count for g in rest)
                break
            self.add([row])
        self.add(closing)


def render(result: ScanResult, verdict: Verdict | None = None) -> str:
    sure = [f for f in result.findings if f.confidence is Confidence.HIGH]
    maybe = [f for f in result.findings if f.confidence is Confidence.LOW]
    # The headline counts what decides the verdict; build-dependent findings apart.
    counts = Counter(f.severity.value for f in sure)
    lines = [
        "# woaport: Windows on Arm compatibility report",
        "",
        f"Scanned {result.files_scanned} file(s) for {', '.join(result.targets)}: "
        + (
            ", ".join(f"**{counts[s]} {s}**" for s in ("error", "warning", "perf", "note") if counts[s])
            or "no findings"
        )
        + (f", and {len(maybe)} build-dependent (folded below)" if maybe else "")
        + ".",
        "",
        *_verdict(verdict or judge(result)),
    ]
    budget = _Budget(lines)
    budget.table(sure, f"Findings ({len(sure)})", collapsed=False)
    budget.table(maybe, f"Depends on build configuration ({len(maybe)} findings)", collapsed=True)
    not_compiled = list(result.not_compiled)
    budget.table(not_compiled, f"Not compiled on any selected model ({len(not_compiled)})", collapsed=True)
    if result.warnings:
        notes = [f"- {markdown_code(w.path)}: {_cell(w.message)}" for w in result.warnings]
        summary = f"<details><summary>{len(result.warnings)} warning(s)</summary>"
        block = [summary, "", *notes, "", "</details>", ""]
        if budget.fits(block):
            budget.add(block)
        else:
            budget.add([f"{len(result.warnings)} warning(s) not shown.", ""])
    if budget.left_out_groups:
        budget.add(
            [
                f"**{budget.left_out_groups} more group(s) ({budget.left_out_findings} finding(s))"
                " not shown**"
                f" to keep this report under {MAX_CHARS:,} characters: the JSON or SARIF report"
                " (`--json`, `--sarif`) lists every finding.",
                "",
            ]
        )
    return "\n".join(budget.lines)
