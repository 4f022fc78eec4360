"""The --html dashboard: self-contained (works from file://, no request leaves it), safe
with hostile text, and really rendered: headless Chromium runs its script (filter and sort
from the URL) and takes a screenshot that is checked for content."""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import zlib
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from analyzer.cli import main
from analyzer.status.classify import Status, StatusClass
from analyzer.status.history import Trend
from analyzer.status.html import LABEL_GAP, render_dashboard, trend_chart
from analyzer.status.queue import port_queue
from analyzer.status.report import StatusReport
from tests.localindex import LocalIndex

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("CI must have Debian's chromium (.ci/run installs it)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return found


NO_RUNS = Trend("", ("3.12",), ())


def report(results: list[Status]) -> StatusReport:
    return StatusReport(
        "2026-11-24T10:00:00+00:00",
        "http://127.0.0.1/simple/",
        ("3.12",),
        tuple(results),
        port_queue(results),
    )


def test_hostile_text_cannot_break_out_of_the_page() -> None:
    evil = "</script><script>alert(1)</script><b>&amp;"
    page = render_dashboard(
        report([Status("p", None, StatusClass.ERROR, {"3.12": StatusClass.ERROR}, (), note=evil)]), NO_RUNS
    )
    assert "<script>alert(1)" not in page
    data = re.search(r'<script type="application/json" id="status-data">(.*?)</script>', page, re.S)
    assert data is not None and json.loads(data.group(1))["packages"][0]["blocked_by"] == [evil]


def test_the_page_needs_nothing_from_outside() -> None:
    page = render_dashboard(
        report([Status("p", "1", StatusClass.NATIVE, {"3.12": StatusClass.NATIVE}, ())]), NO_RUNS
    )
    assert not re.search(r"<(link|img|iframe)\b|\bsrc=|url\(|@import|fetch\(|XMLHttpRequest", page)


def test_trend_chart_geometry() -> None:
    chart = trend_chart(
        [("2026-11-01", Counter(amber=4, native=1)), ("2026-11-02", Counter(amber=2, native=3))]
    )
    lines = {line.klass: line.dots for line in chart.lines}
    assert set(lines) == {"amber", "native"} and chart.ymax == 4
    assert lines["amber"][0] == (chart.left, chart.top) and lines["amber"][1][0] == chart.right
    assert lines["native"][0][1] > lines["native"][1][1]  # more native later: the line rises


def test_trend_axis_is_time() -> None:
    days = ["2026-11-01", "2026-11-02", "2026-11-03", "2026-11-30"]
    chart = trend_chart([(f"{d}T08:00:00+00:00", Counter(native=1)) for d in days])
    xs = [x for x, _ in chart.lines[0].dots]
    span = chart.right - chart.left
    # Placed by date: the month-long gap before the last run is 27 times a day's.
    assert xs[0] == chart.left and xs[-1] == chart.right
    assert abs((xs[1] - xs[0]) - span / 29) < 0.2 and abs((xs[3] - xs[2]) - 27 * span / 29) < 0.2
    # Labels never crowd: the 2nd and 3rd runs are a few pixels apart, only one is labelled,
    # and the latest run always is.
    texts = [label["text"] for label in chart.labels]
    assert texts == ["2026-11-01", "2026-11-30"]
    xs_labelled = [float(str(label["x"])) for label in chart.labels]
    assert all(b - a >= LABEL_GAP for a, b in itertools.pairwise(xs_labelled))


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else b if pb <= pc else c


def png_pixels(path: Path) -> tuple[int, int, set[bytes]]:
    """Width, height and the distinct RGB colours of an 8-bit RGB/RGBA PNG (decoded here,
    scanline filters undone, so that no imaging library is needed)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    offset, idat, width, height, channels = 8, b"", 0, 0, 4
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind, body = data[offset + 4 : offset + 8], data[offset + 8 : offset + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and body[12] == 0  # 8 bits, not interlaced
            channels = {2: 3, 6: 4}[color]
        elif kind == b"IDAT":
            idat += body
        offset += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    previous = bytearray(stride)
    colours: set[bytes] = set()
    for row in range(height):
        start = row * (stride + 1)
        filter_type, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            add = (0, left, up, (left + up) // 2, _paeth(left, up, corner))[filter_type]
            line[i] = (line[i] + add) & 0xFF
        if row % 4 == 0:
            colours.update(bytes(line[i : i + 3]) for i in range(0, stride, channels * 3))
        previous = line
    return width, height, colours


@pytest.fixture
def dashboard(local_index: LocalIndex, tmp_path: Path) -> Path:
    local_index.publish("native-pkg", {"native_pkg-1.0-cp312-cp312-win_arm64.whl": b"w"})
    local_index.publish("amber-pkg", {"amber_pkg-1.0-cp312-cp312-win_amd64.whl": b"w"})
    local_index.publish("pure-pkg", {"pure_pkg-1.0-py3-none-any.whl": b"w"})
    local_index.publish("tool-pkg", {"tool_pkg-1.0-py3-none-win_amd64.whl": b"w"})
    local_index.publish(
        "regressed-pkg",
        {
            f"regressed_pkg-{v}-cp{py}-cp{py}-{platform}.whl": b"w"
            for v, platform in (("1.0", "win_arm64"), ("2.0", "win_amd64"))
            for py in ("312", "313")
        },
    )
    top = tmp_path / "top.txt"
    top.write_text("# source: test list\nnative-pkg\namber-pkg\npure-pkg\ntool-pkg\nregressed-pkg\n")
    common = ["status", "--python", "3.12,3.13", "--db", str(tmp_path / "h.sqlite"), "--no-cache"]
    listed = [*common, "--index-url", local_index.url, "--top-file", str(top)]
    runs = [
        (listed, 0),
        (listed, 0),
        ([*common, "--index-url", local_index.url, "amber-pkg"], 0),  # ad hoc: another set
        ([*common, "--index-url", dead_port_url(), "--retries", "0", "--top-file", str(top)], 2),  # offline
        ([*listed, "--html", str(tmp_path / "site")], 0),
    ]
    for args, code in runs:
        result = CliRunner().invoke(main, args)
        assert result.exit_code == code, result.output
    return tmp_path / "site" / "index.html"


def dead_port_url() -> str:
    with socket.socket() as probe:  # a port nothing listens on once the probe closes
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/simple/"


def run_chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_dashboard_script_filters_and_sorts_from_file_url(dashboard: Path, tmp_path: Path) -> None:
    page = dashboard.read_text()
    assert "<polyline" in page and "Port queue" in page
    assert dashboard.stat().st_mode & 0o044 == 0o044  # readable by a web server
    assert [p.name for p in dashboard.parent.iterdir()] == ["index.html"]  # no temporary left
    dom = run_chromium(tmp_path, "--dump-dom", dashboard.as_uri() + "#q=amber&sort=name&dir=desc").stdout
    assert 'data-ready="1"' in dom  # the inline script ran from file://
    body = dom.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    names = re.findall(r"<tr><td>\d+</td><td>([a-z-]+)</td>", body)
    assert names == ["tool-pkg", "amber-pkg"]  # both amber, sorted by name, descending
    assert "2 of 5 shown" in dom


def test_dashboard_trend_draws_one_project_set_with_a_legend(dashboard: Path, tmp_path: Path) -> None:
    dom = run_chromium(tmp_path, "--dump-dom", dashboard.as_uri()).stdout
    trend = dom.split('<section id="trend">', 1)[1].split("</section>", 1)[0]
    # The three runs of the list; the ad-hoc run and the offline one are counted, not drawn.
    paragraph = trend.split('id="trend-set"', 1)[1].split("</p>", 1)[0]
    said = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", paragraph))
    assert "Project set: test list" in said and "Pythons 3.12, 3.13" in said and "3 run(s)" in said
    assert "2 other run(s) not drawn" in said
    legend = re.findall(r'<span data-class="([a-z-]+)">', trend.split('id="trend-legend"', 1)[1])
    assert set(legend) == {"native", "pure", "amber", "regressed"}
    lines = trend.split("<polyline")[1:]
    assert len(lines) == len(legend) and all(line.count("<circle") == 3 for line in lines)
    assert len(re.findall(r'<text class="date"', trend)) >= 1
    # The regression is shown and queued first, with the version that still installs.
    queue = dom.split('<section id="queue">', 1)[1].split("</section>", 1)[0]
    first = queue.split("<li>", 2)[1]
    assert "<b>regressed-pkg</b>" in first and "c-regressed" in first
    assert "pip install regressed-pkg==1.0 installs natively" in first


@pytest.mark.slow  # a headless Chromium starts
def test_dashboard_screenshot_shows_the_page(dashboard: Path, tmp_path: Path) -> None:
    shot = tmp_path / "shot.png"
    result = run_chromium(tmp_path, f"--screenshot={shot}", "--window-size=1200,1400", dashboard.as_uri())
    assert shot.exists(), result.stderr[-2000:]
    width, height, colours = png_pixels(shot)
    assert (width, height) == (1200, 1400)
    # A drawn page: text, the class colours of the cards and bars, not one flat colour.
    assert len(colours) > 20
    assert bytes((0x2E, 0x7D, 0x32)) in colours  # the "native" green of a coverage bar
    assert bytes((0xF9, 0xA8, 0x25)) in colours  # the "amber" of a summary card
    assert bytes((0xAD, 0x14, 0x57)) in colours  # the "regressed" card
