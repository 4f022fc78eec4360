"""GitHub Actions workflow commands: one ``::error``/``::warning``/``::notice`` line per
finding that decides the verdict, which the runner shows as an annotation on the file
and line in the pull request. Build-dependent findings are counted, not annotated.

Package text is made inert for this sink: every command is one line (``%``, CR and LF
percent-encoded as the runner decodes them; ``:`` and ``,`` too inside properties), and
control characters are escaped, so a message cannot start a command of its own."""

from __future__ import annotations

from analyzer.model import Confidence, Finding, Severity
from analyzer.report.inert import terminal
from analyzer.result import ScanResult
from analyzer.verdict import Verdict, judge

_COMMAND = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.PERF: "notice",
    Severity.NOTE: "notice",
}


def escape_data(text: str) -> str:
    """A command's message: one line, as the runner decodes it."""
    return terminal(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A command's property value (``file=``, ``title=``)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(f: Finding) -> str:
    title = f"{f.rule_id} on {', '.join(f.reachable_on)}"
    properties = [f"file={escape_property(f.location.path)}", f"line={f.location.line}"]
    if f.location.end_line:
        properties.append(f"endLine={f.location.end_line}")
    properties += [f"col={f.location.column}", f"title={escape_property(title)}"]
    message = f.message + (f" Fix: {f.fallback}" if f.fallback else "")
    return f"::{_COMMAND[f.severity]} {','.join(properties)}::{escape_data(message)}"


def render(result: ScanResult, verdict: Verdict | None = None) -> str:
    sure = [f for f in result.findings if f.confidence is Confidence.HIGH]
    doubtful = len(result.findings) - len(sure)
    lines = [annotation(f) for f in sure]
    verdict = verdict or judge(result)
    lines.append(f"::notice title=woaport verdict::{escape_data(verdict.overall)}")
    if doubtful:
        not_shown = "not annotated (the text report with -v lists them)"
        lines.append(f"woaport: {doubtful} build-dependent finding(s) {not_shown}")
    return "\n".join(lines) + "\n"
