"""The survey's worklist page: self-contained, safe with hostile text from the index and
the sdist, and really filtered by its script (headless Chromium, from a file:// URL)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from analyzer.survey.classify import worklist
from analyzer.survey.html import PAGE, class_bars, render_worklist, write_worklist
from analyzer.survey.model import DONE, FAILED, Patch, ProjectSurvey, Proof
from analyzer.survey.run import NotSurveyed, SurveyReport
from tests.status.test_html import run_chromium

HOSTILE = '</script><img src=x onerror="alert(1)">'


def _report(*surveys: ProjectSurvey) -> SurveyReport:
    return SurveyReport(
        started="2026-12-06T00:00:00+00:00",
        index_url="http://127.0.0.1/simple/",
        label="test set",
        surveys=surveys,
        work=tuple(worklist(surveys, {s.name: 1.0 for s in surveys})),
        not_surveyed=(NotSurveyed("native-one", "native", "native: nothing to port"),),
    )


SURVEYS = (
    ProjectSurvey(
        "fast-ci", "1.0", DONE, "amber", blocker="ci-only", patch=Patch("verified", "ok", (), 1, 1, "d")
    ),
    ProjectSurvey("simd-heavy", "2.0", DONE, "amber", blocker="code", proof=Proof("failed", "immintrin.h")),
    ProjectSurvey("no-ci-here", "3.0", DONE, "amber", blocker="ci-elsewhere"),
    ProjectSurvey("bomb", "0.1", FAILED, "amber", error="decompression bomb"),
)


def test_the_page_is_self_contained_and_hostile_text_stays_text() -> None:
    evil = ProjectSurvey("evil", "1.0", DONE, "amber", blocker="unknown", verdict=HOSTILE, error=HOSTILE)
    page = render_worklist(_report(*SURVEYS, evil), {"fast-ci": "fast-ci-1.0.patch"})
    assert HOSTILE not in page and "<img" not in page
    assert not re.search(r"""(?:src|href)=["']?(?:https?:)?//""", page)  # nothing loads from outside
    assert 'href="patches/fast-ci-1.0.patch"' in page


def test_class_bars_scale_to_the_largest() -> None:
    bars = {b.klass: b for b in class_bars({"ci-only": 4, "code": 2}, width=400)}
    assert bars["ci-only"].width == 400 and bars["code"].width == 200 and bars["build"].width == 0


@pytest.mark.slow  # a headless Chromium starts
def test_the_script_filters_by_class_and_search_from_the_url(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("status dashboard")
    page = write_worklist(tmp_path, _report(*SURVEYS), {})
    assert page.name == PAGE and 'href="index.html"' in page.read_text()

    def shown(fragment: str) -> set[str]:
        dom = run_chromium(tmp_path, "--dump-dom", page.as_uri() + fragment).stdout
        rows = re.findall(
            r'<tr data-class="[^"]+"( style="display: none;")?>\s*<td>\d+</td>\s*<td><b>([^<]+)</b>', dom
        )
        assert rows, dom[:2000]
        return {name for hidden, name in rows if not hidden}

    assert shown("") == {"fast-ci", "simd-heavy", "no-ci-here", "bomb"}
    assert shown("#class=ci-only,ci-elsewhere") == {"fast-ci", "no-ci-here"}
    assert shown("#q=simd") == {"simd-heavy"}
    assert shown("#class=failed") == {"bomb"}
