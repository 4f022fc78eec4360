"""Output formats, each a pure function of a ScanResult, registered by name.

Adding a format is one module with a ``render(result) -> str`` and one entry in
:data:`FORMATS`: the CLI offers ``--<name> FILE|-`` for every entry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from analyzer.model import ScanResult
from analyzer.report import github, json, markdown, sarif


@dataclass(frozen=True)
class ReportFormat:
    name: str  # the CLI option is --<name>
    help: str
    render: Callable[[ScanResult], str]


FORMATS: dict[str, ReportFormat] = {
    f.name: f
    for f in (
        ReportFormat("json", "Write JSON findings (schema woaport-findings/1).", json.render),
        ReportFormat("sarif", "Write SARIF 2.1.0 for code scanning.", sarif.render),
        ReportFormat("markdown", "Write a markdown report.", markdown.render),
        ReportFormat("github", "Write GitHub Actions annotations (workflow commands).", github.render),
    )
}
