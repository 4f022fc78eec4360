"""Report shape (issue 16 item 8): findings grouped by place and rule with the fix once
(``-v`` lists every line), markdown within GitHub's comment limit with absolute rule
links, SARIF one result per finding with low confidence a level down and within code
scanning's result limit."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest

from analyzer.model import Confidence
from analyzer.native.matching import with_places
from analyzer.native.preproc import mask_comments_and_strings, parse_preprocessor
from analyzer.report import markdown, sarif
from analyzer.report.groups import group_findings
from analyzer.scan import ScanOptions, scan
from tests.clirun import run
from tests.paths import FIXTURES, REPO

SIMD_C = """#ifndef SIMD_H
#define SIMD_H
#include <xmmintrin.h>

static int table[4];

float sum4(const float *a, const float *b)
{
    __m128 x = _mm_loadu_ps(a);
    __m128 y = _mm_loadu_ps(b);
    __m128 z = _mm_add_ps(x, y);
    z = _mm_add_ps(z, y);
    return _mm_cvtss_f32(z);
}

#if defined(USE_FAST)
void fast(float *a)
{
    _mm_storeu_ps(a, _mm_setzero_ps());
    _mm_storeu_ps(a, _mm_setzero_ps());
}
#endif
#endif
"""


def test_text_groups_by_place_and_rule_and_verbose_lists_every_line(tmp_path: Path) -> None:
    (tmp_path / "simd.c").write_text(SIMD_C)
    code, grouped = run("scan", str(tmp_path), "--no-progress")
    assert code == 1
    # The five SSE intrinsics of sum4 are one entry with their lines; each distinct fix once.
    assert "and 4 more WOA102 in function sum4: lines 9, 10, 11, 12, 13" in grouped
    assert grouped.count("fix: NEON: vaddq_f32") == 1 and grouped.count("fix: NEON: vld1q_f32") == 1
    # The build-dependent USE_FAST block is folded to a line per rule, out of the headline.
    assert "  WOA102      4 in 1 file(s), first at simd.c:19:" in grouped
    assert "9 finding(s) (9 error), and 4 build-dependent in 1 file(s)" in grouped
    # The include guard is not a place: the include sits at file scope, alone.
    assert "in #ifndef SIMD_H" not in grouped
    code, verbose = run("scan", str(tmp_path), "--no-progress", "-v")
    assert "more WOA102" not in verbose and "folded" not in verbose
    assert len(re.findall(r"^  \d+:\d+ error WOA102", verbose, re.M)) == 5 + 4
    assert len(re.findall(r"^  \d+:\d+ error WOA102", grouped, re.M)) == 1


def test_places_of_findings() -> None:
    result = scan(FIXTURES / "rules" / "WOA102", ScanOptions(jobs=1))
    assert result.findings  # the fixture's positive case
    text = mask_comments_and_strings(SIMD_C.encode())
    structure = parse_preprocessor(SIMD_C.encode())
    base = replace(result.findings[0], place="")
    at = {
        line: with_places(structure, text, [replace(base, location=replace(base.location, line=line))])[
            0
        ].place
        for line in (3, 5, 9, 19)
    }
    assert at == {3: "", 5: "", 9: "function sum4", 19: "#if defined(USE_FAST) (line 16)"}


def many_groups(tmp_path: Path, files: int) -> Path:
    tmp_path.mkdir(exist_ok=True)
    for i in range(files):
        body = "".join(f"void f{j}(float *a) {{ _mm_storeu_ps(a, _mm_setzero_ps()); }}\n" for j in range(3))
        (tmp_path / f"file_{i:04}_with_a_long_name_so_rows_are_long.c").write_text(
            "#include <xmmintrin.h>\n" + body
        )
    return tmp_path


def test_markdown_stays_under_the_comment_limit_and_links_absolutely(tmp_path: Path) -> None:
    result = scan(many_groups(tmp_path, 300), ScanOptions(jobs=1))
    assert len(group_findings(result.findings)) > 600
    page = markdown.render(result)
    assert len(page) <= markdown.MAX_CHARS
    assert re.search(r"\*\*\d+ more group\(s\) \(\d+ finding\(s\)\) not shown\*\*", page)
    links = re.findall(r"\]\(([^)]+)\)", page)
    assert links and all(link.startswith("https://") and link.endswith(".md") for link in links)
    small = markdown.render(scan(many_groups(tmp_path / "small", 1), ScanOptions(jobs=1)))
    assert "not shown" not in small and "| 2 |" in small  # one group of two findings per place


def test_sarif_levels_follow_confidence_and_truncation_is_said(tmp_path: Path) -> None:
    (tmp_path / "simd.c").write_text(SIMD_C)
    result = scan(tmp_path, ScanOptions(jobs=1))
    low = {f.location.line for f in result.findings if f.confidence is Confidence.LOW}
    sure = [f for f in result.findings if f.confidence is Confidence.HIGH]
    assert low == {19, 20} and sure
    # By default the build-dependent findings are counted, not listed (an alert each).
    default = sarif.to_dict(result)["runs"][0]
    assert len(default["results"]) == len(sure)
    first_notice = default["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"]
    assert first_notice.startswith(
        f"{len(result.findings) - len(sure)} build-dependent finding(s) not listed"
    )
    # With --sarif-all, one result per finding, the build-dependent ones as notes.
    results = sarif.to_dict(result, include_low=True)["runs"][0]["results"]
    assert len(results) == len(result.findings)
    # "warning" is SARIF's default level: a result at that level leaves the field out.
    by_line = {
        r["locations"][0]["physicalLocation"]["region"]["startLine"]: r.get("level", "warning")
        for r in results
    }
    assert {by_line[n] for n in low} == {"note"} and by_line[9] == "error"
    data = json.loads(json.dumps(sarif.to_dict(result, limit=3)))
    run_ = data["runs"][0]
    assert len(run_["results"]) == 3 and {r["level"] for r in run_["results"]} == {"error"}
    assert run_["properties"]["truncated"] == {"kept": 3, "total": len(sure)}
    notice = run_["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"]
    assert notice.startswith(f"truncated: 3 of {len(sure)} results kept")


def test_github_annotations_are_one_command_each_and_inert(tmp_path: Path) -> None:
    """--format github: one workflow command per deciding finding; a file name or message
    from the package cannot end the command or start another (CR/LF, "::", "," encoded)."""
    from analyzer.report import github

    (tmp_path / "simd.c").write_text(SIMD_C)
    evil = tmp_path / "a,b::c%\x1b[31m.c"
    evil.write_text("#include <immintrin.h>\n")
    code, out = run("scan", str(tmp_path), "--no-progress", "--format", "github")
    assert code == 1
    commands = [line for line in out.splitlines() if line.startswith("::")]
    errors = [line for line in commands if line.startswith("::error ")]
    # simd.c's nine deciding findings (the five in sum4, its types, its include) and the
    # hostile file's include: one command each, none for the four build-dependent ones.
    assert len(errors) == 9 + 1
    assert "file=a%2Cb%3A%3Ac%25\\x1b[31m.c,line=1" in out and "\x1b" not in out
    assert commands[-1].startswith("::notice title=woaport verdict::")
    assert "4 build-dependent finding(s) not annotated" in out
    assert github.escape_data("x\r\n::set-env name=A::1") == "x\\x0d%0A::set-env name=A::1"
    assert "\n" not in github.escape_property("a\nb") and github.escape_property("a:b,c") == "a%3Ab%2Cc"


def test_json_reports_follow_the_published_schema(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """docs/schema/woaport-findings-1.json is the contract: every JSON report validates,
    and the root is what was scanned as given, never the machine's absolute path."""
    import jsonschema

    schema = json.loads((REPO / "docs" / "schema" / "woaport-findings-1.json").read_text())
    jsonschema.validators.validator_for(schema).check_schema(schema)
    (tmp_path / "simd.c").write_text(SIMD_C)
    fixtures = FIXTURES
    for tree in (
        tmp_path,
        fixtures / "rules",
        fixtures / "cython_source",
        fixtures / "builds" / "installed_headers",
    ):
        _code, out = run("scan", str(tree), "--no-progress", "--json", "-", "--all-code")
        data = json.loads(out)
        jsonschema.validate(data, schema)
        assert data["findings"]
    assert any(f.get("for_consumers") for f in data["findings"])  # the installed-headers tree
    monkeypatch.chdir(fixtures.parent)
    code, out = run("scan", "fixtures/rules/WOA101", "--no-progress", "--json", "-")
    assert code == 1 and json.loads(out)["root"] == "fixtures/rules/WOA101"
