"""``survey --html DIR``: the porter's worklist as one self-contained page
(``DIR/worklist.html``, beside the status dashboard's ``index.html``): counts and a chart
of blocker classes, the ranked worklist with each project's verdict, patch and proof,
filterable by class and searchable in the page, and what changed since the last run."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from analyzer.status.html import json_for_script, page_template, woaport_version, write_page
from analyzer.survey.model import BLOCKER_CLASSES
from analyzer.survey.report import class_counts, survey_data
from analyzer.survey.run import SurveyReport

PAGE = "worklist.html"


@dataclass(frozen=True)
class Bar:
    klass: str
    count: int
    y: int
    width: float


def class_bars(counts: dict[str, int], width: int = 420, row: int = 22) -> tuple[Bar, ...]:
    """One horizontal bar per blocker class, scaled to the largest (pure geometry)."""
    most = max([1, *counts.values()])
    return tuple(
        Bar(klass, counts.get(klass, 0), i * row, round(width * counts.get(klass, 0) / most, 1))
        for i, klass in enumerate(BLOCKER_CLASSES)
    )


def render_worklist(report: SurveyReport, patches: dict[str, str], dashboard: bool = False) -> str:
    data = survey_data(report, patches)
    return page_template("analyzer.survey", "worklist.html.j2").render(
        data=data,
        data_json=json_for_script(data),
        classes=BLOCKER_CLASSES,
        bars=class_bars(class_counts(report)),
        dashboard=dashboard,
        version=woaport_version(),
    )


def write_worklist(directory: Path, report: SurveyReport, patches: dict[str, str]) -> Path:
    page = render_worklist(report, patches, dashboard=(directory / "index.html").is_file())
    return write_page(directory, PAGE, page)
