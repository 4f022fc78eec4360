"""Output formats, each a pure function of a ScanResult, registered by name.

Adding a format is one module with a ``render(result, verdict=None) -> str`` (the
verdict is judged once by the caller and handed to every format; None: judged here) and
one entry in
:data:`FORMATS`: the CLI offers ``--<name> FILE|-`` for every entry. A format's module
is imported when a report is written, not when the CLI starts (SARIF's library alone
costs a tenth of a second).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from analyzer.result import ScanResult

if TYPE_CHECKING:  # the verdict's module loads with the first report, not with the CLI
    from analyzer.verdict import Verdict


@dataclass(frozen=True)
class ReportFormat:
    name: str  # the CLI option is --<name>
    help: str
    module: str  # analyzer.report.<module> has render(result, verdict) -> str

    @property
    def render(self) -> Callable[[ScanResult, Verdict | None], str]:
        renderer: Callable[[ScanResult, Verdict | None], str] = importlib.import_module(
            f"analyzer.report.{self.module}"
        ).render
        return renderer


FORMATS: dict[str, ReportFormat] = {
    f.name: f
    for f in (
        ReportFormat("json", "Write JSON findings (schema woaport-findings/1).", "json"),
        ReportFormat("sarif", "Write SARIF 2.1.0 for code scanning.", "sarif"),
        ReportFormat("markdown", "Write a markdown report.", "markdown"),
        ReportFormat("github", "Write GitHub Actions annotations (workflow commands).", "github"),
    )
}
