"""Markdown output (PR comments, job summaries)."""

from __future__ import annotations

from collections import Counter

from analyzer.model import Finding, ScanResult
from analyzer.verdict import judge


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _row(f: Finding) -> str:
    loc = f"{f.location.path}:{f.location.line}"
    return (
        f"| `{loc}` | {f.severity.value} | [{f.rule_id}](docs/rules/{f.rule_id}.md) | "
        f"{_cell(f.message)} | {', '.join(f.reachable_on)} | {f.confidence.value} | "
        f"{_cell(f.fallback or '')} |"
    )


def _verdict(result: ScanResult) -> list[str]:
    verdict = judge(result)
    lines = [f"**Verdict:** {verdict.overall}", "", "| Area | State | Why |", "|---|---|---|"]
    for name, area in verdict.areas:
        why = "; ".join(area.reasons).replace("|", "\\|")
        lines.append(f"| {name} | {area.state} | {why} |")
    return [*lines, ""]


def render(result: ScanResult) -> str:
    counts = Counter(f.severity.value for f in result.findings)
    lines = [
        "# woaport: Windows on Arm compatibility report",
        "",
        f"Scanned {result.files_scanned} file(s) for {', '.join(result.targets)}: "
        + (
            ", ".join(f"**{counts[s]} {s}**" for s in ("error", "warning", "perf", "note") if counts[s])
            or "no findings"
        )
        + ".",
        "",
        *_verdict(result),
    ]
    if result.findings:
        lines += [
            "| Location | Severity | Rule | Message | Compiled on | Confidence | Suggested fallback |",
            "|---|---|---|---|---|---|---|",
        ]
        lines += [_row(f) for f in result.findings]
        lines.append("")
    if result.warnings:
        lines += [f"<details><summary>{len(result.warnings)} warning(s)</summary>", ""]
        lines += [f"- `{w.path}`: {_cell(w.message)}" for w in result.warnings]
        lines += ["", "</details>", ""]
    return "\n".join(lines)
