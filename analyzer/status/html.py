"""``--html DIR``: a static dashboard (one self-contained page: summary counts, per-Python
coverage, a trend chart, the port queue, a sortable and searchable table). Its data, style
and script are inline, so it works from ``file://`` with no network."""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib import metadata, resources
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from analyzer.status.classify import StatusClass
from analyzer.status.history import Trend
from analyzer.status.report import CLASSES, StatusReport, blocked_by, status_data

PER_PYTHON_CLASSES = tuple(k for k in CLASSES if k is not StatusClass.PARTIAL)
TREND_CLASSES = (
    StatusClass.NATIVE,
    StatusClass.PARTIAL,
    StatusClass.PURE,
    StatusClass.AMBER,
    StatusClass.SOURCE_ONLY,
    StatusClass.REGRESSED,
)
LABEL_GAP = 84  # pixels between two date labels on the time axis
QUEUE_ON_PAGE = 50


@dataclass(frozen=True)
class TrendLine:
    klass: str
    points: str  # SVG polyline points
    dots: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class TrendChart:
    runs: int
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    ymax: int
    lines: tuple[TrendLine, ...]
    labels: tuple[dict[str, object], ...]


def trend_chart(trend: Sequence[tuple[str, Counter[str]]], width: int = 720, height: int = 220) -> TrendChart:
    """Where to draw one line per class over the runs of one project set (pure geometry).
    The x axis is time: runs are placed by when they started, so a gap of a month looks
    like one, and dates label it where they do not overlap."""
    left, right, top, bottom = 48, width - 12, 12, height - 28
    ymax = max([1, *(max(counts.values(), default=0) for _, counts in trend)])
    moments = [_moment(started) for started, _ in trend]
    first, last = (min(moments), max(moments)) if moments else (0.0, 0.0)

    def x(i: int) -> float:
        if len(trend) == 1:
            share = 0.5
        elif last > first:
            share = (moments[i] - first) / (last - first)
        else:  # no readable times: evenly
            share = i / (len(trend) - 1)
        return round(left + (right - left) * share, 1)

    def y(n: int) -> float:
        return round(bottom - (bottom - top) * n / ymax, 1)

    lines = []
    for klass in TREND_CLASSES:
        dots = tuple((x(i), y(counts.get(klass, 0))) for i, (_, counts) in enumerate(trend))
        if any(counts.get(klass, 0) for _, counts in trend):
            lines.append(TrendLine(klass, " ".join(f"{a},{b}" for a, b in dots), dots))
    # Several runs a day: label them with the time too, or the axis repeats one date.
    same_day = len({started[:10] for started, _ in trend}) < len(trend)
    width_of_label = 16 if same_day else 10
    shown: list[int] = []
    for i in range(len(trend)):
        if not shown or x(i) - x(shown[-1]) >= LABEL_GAP:
            shown.append(i)
    latest = len(trend) - 1
    if shown and shown[-1] != latest:  # the latest run is always labelled, its neighbour gives way
        if x(latest) - x(shown[-1]) < LABEL_GAP:
            shown.pop()
        shown.append(latest)
    labels = tuple(
        {
            "x": x(i),
            "text": trend[i][0][:width_of_label].replace("T", " "),
            "anchor": _anchor(i, len(trend)),
        }
        for i in shown
    )
    return TrendChart(len(trend), width, height, left, right, top, bottom, ymax, tuple(lines), labels)


def _moment(started: str) -> float:
    try:
        return datetime.fromisoformat(started).timestamp()
    except ValueError:
        return 0.0


def _anchor(i: int, runs: int) -> str:
    """Labels at the chart's ends grow inwards, so that none is cut off."""
    if runs == 1:
        return "middle"
    return "start" if i == 0 else "end" if i == runs - 1 else "middle"


def json_for_script(data: Any) -> Markup:
    """JSON that cannot close the <script> element it sits in."""
    text = json.dumps(data, separators=(",", ":"))
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def page_template(package: str, name: str) -> jinja2.Template:
    """``package``'s ``templates/NAME``, autoescaped (every text on a page comes from an
    index or a package), failing on an undefined name rather than printing nothing."""
    environment = jinja2.Environment(
        loader=jinja2.FunctionLoader(
            lambda file: resources.files(package).joinpath("templates", file).read_text("utf-8")
        ),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
    )
    return environment.get_template(name)


def woaport_version() -> str:
    try:
        return metadata.version("woaport")
    except metadata.PackageNotFoundError:
        return "dev"


def render_dashboard(report: StatusReport, trend: Trend) -> str:
    data = status_data(report)
    by_name = {s.name: s for s in report.results}
    queue = [
        {
            "name": entry.name,
            "klass": by_name[entry.name].klass,
            "dependents": entry.dependents,
            "why": blocked_by(by_name[entry.name]),
        }
        for entry in sorted(report.queue.values(), key=lambda e: e.rank)[:QUEUE_ON_PAGE]
    ]
    return page_template("analyzer.status", "dashboard.html.j2").render(
        data=data,
        data_json=json_for_script(data),
        classes=CLASSES,
        per_python_classes=PER_PYTHON_CLASSES,
        total=max(1, len(report.results)),
        trend=trend_chart(trend.runs),
        trend_set=trend,
        trend_classes=[k for k in TREND_CLASSES if any(counts.get(k) for _, counts in trend.runs)],
        queue=queue,
        version=woaport_version(),
    )


def write_dashboard(directory: Path, page: str) -> Path:
    """Write ``DIR/index.html`` atomically (a reader never sees half a page)."""
    return write_page(directory, "index.html", page)


def write_page(directory: Path, name: str, page: str) -> Path:
    """Write ``DIR/NAME`` atomically."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / name
    # A plain open() so the page gets the usual permissions (umask), not a private
    # temporary file's 0600: the dashboard is meant to be served.
    temporary = directory / f".{name}.{os.getpid()}.tmp"
    try:
        temporary.write_text(page, encoding="utf-8")
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    return target
