"""The port queue: dependents from core metadata (PEP 658, or a wheel's METADATA when the
index has none), WoA markers, download weights; package lists; --scan summaries."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from analyzer.cli import main
from analyzer.status.classify import Status, StatusClass
from analyzer.status.deps import requirements_of
from analyzer.status.queue import port_queue
from analyzer.status.toplist import TopListError, builtin_top, load_top_file, parse_text
from tests.localindex import LocalIndex, Reply, core_metadata, run_status, sdist, wheel


def status(name: str, klass: str, requires: tuple[str, ...] = (), other: str = "amber") -> Status:
    # per Python: 3.12 has the overall class, 3.13t ``other`` for a partial project
    overall = StatusClass(klass)
    pythons: dict[str, StatusClass] = (
        {"3.12": StatusClass.NATIVE, "3.13t": StatusClass(other)}
        if overall is StatusClass.PARTIAL
        else {"3.12": overall}
    )
    return Status(name, "1", overall, pythons, (), requires=requires, requires_known=True)


def test_requirements_that_apply_on_windows_on_arm() -> None:
    metadata = core_metadata(
        "app",
        "1.0",
        (
            "NumPy>=2",
            "colorama; sys_platform == 'win32'",
            "uvloop; sys_platform != 'win32'",
            "pytest; extra == 'test'",
            "tomli; python_version < '3.11'",
            "pywin32; platform_machine == 'AMD64'",
            "not a requirement ???",
        ),
    )
    assert requirements_of(metadata, ("3.12",)) == ("colorama", "numpy")
    assert requirements_of(metadata, ("3.10", "3.12")) == ("colorama", "numpy", "tomli")


def test_port_queue_weighs_a_project_by_what_depends_on_it() -> None:
    results = [
        status("leaf", "amber"),  # most downloaded, but nothing listed needs it
        status("app1", "pure", ("base",)),
        status("base", "source-only"),
        status("app2", "native", ("base", "unlisted")),
        status("fine", "native"),
        status("tail", "partial"),
        status("speedups", "partial", other="pure"),  # a pure fallback installs: not queued
    ]
    queue = port_queue(results)
    assert [e.name for e in sorted(queue.values(), key=lambda e: e.rank)] == ["base", "leaf", "tail"]
    assert queue["base"].dependents == ("app1", "app2")
    assert queue["base"].score == pytest.approx(1 / 3 + 1 / 2 + 1 / 4)
    # With download counts, the counts decide.
    counted = port_queue(results, {"leaf": 10_000, "app1": 10, "base": 10, "app2": 10, "tail": 1})
    assert counted["leaf"].rank == 1 and counted["base"].score == 30


def publish_graph(index: LocalIndex) -> None:
    base_whl, base_data = wheel("base", "1.0", "cp312-cp312-win_amd64")
    index.publish("base", {base_whl: base_data}, metadata={base_whl: core_metadata("base", "1.0")})
    # app1 has no PEP 658 metadata: its wheel's METADATA is read instead.
    app1_whl, app1_data = wheel("app1", "2.0", "py3-none-any", ("base>=1", "pytest; extra == 'dev'"))
    index.publish("app1", {app1_whl: app1_data}, style="html")
    app2_whl, app2_data = wheel("app2", "1.0", "cp312-cp312-win_arm64", ("Base",))
    index.publish("app2", {app2_whl: app2_data}, metadata={app2_whl: core_metadata("app2", "1.0", ("Base",))})
    leaf_whl, leaf_data = wheel("leaf", "1.0", "cp312-cp312-win_amd64")
    index.publish("leaf", {leaf_whl: leaf_data})
    # Linux wheels only: the project builds no Windows wheels at all (not a port to queue).
    linux_whl, linux_data = wheel("linuxonly", "1.0", "cp312-cp312-manylinux_2_17_x86_64")
    index.publish("linuxonly", {linux_whl: linux_data})


def run(index: LocalIndex, tmp_path: Path, *args: str) -> tuple[int, dict[str, Any], str]:
    return run_status(index, tmp_path / "s.json", "--python", "3.12", "--no-db", "--no-cache", *args)


def test_status_ranks_the_queue_from_core_metadata(local_index: LocalIndex, tmp_path: Path) -> None:
    publish_graph(local_index)
    code, data, output = run(local_index, tmp_path, "leaf", "app1", "base", "app2")
    assert code == 0, output
    packages = {p["name"]: p for p in data["packages"]}
    assert packages["app1"]["requires"] == ["base"]  # from the wheel: the extra is left out
    assert packages["app2"]["requires"] == ["base"]  # from PEP 658, name normalised
    assert packages["base"]["dependents"] == ["app1", "app2"]
    assert packages["base"]["rank"] == 1 and packages["leaf"]["rank"] == 2
    assert packages["app2"]["rank"] is None
    assert "Port first (top 2 of 2):" in output and "1. base (amber, needed by 2 listed)" in output
    code, data, output = run(local_index, tmp_path, "linuxonly", "leaf")
    packages = {p["name"]: p for p in data["packages"]}
    assert packages["linuxonly"]["class"] == "no-windows" and packages["linuxonly"]["rank"] is None
    assert packages["leaf"]["class"] == "amber" and packages["leaf"]["rank"] == 1
    assert local_index.hits("/files/app2-1.0-cp312-cp312-win_arm64.whl") == 0  # PEP 658 sufficed


def test_no_deps_reads_no_metadata(local_index: LocalIndex, tmp_path: Path) -> None:
    publish_graph(local_index)
    code, data, _ = run(local_index, tmp_path, "--no-deps", "app1", "base", "app2")
    assert code == 0
    packages = {p["name"]: p for p in data["packages"]}
    assert packages["base"]["dependents"] == [] and packages["app1"]["requires"] is None
    assert not any(path.startswith("/files/") for path, _ in local_index.requests)


def test_top_file_lists_and_counts(local_index: LocalIndex, tmp_path: Path) -> None:
    publish_graph(local_index)
    listing = tmp_path / "top.json"
    listing.write_text(
        json.dumps(
            {
                "last_update": "2026-11-01",
                "rows": [
                    {"project": "Leaf", "download_count": 900},
                    {"project": "base", "download_count": 100},
                    {"project": "app1", "download_count": 50},
                ],
            }
        )
    )
    code, data, _ = run(local_index, tmp_path, "--top-file", str(listing), "--top", "2")
    assert code == 0
    assert [p["name"] for p in data["packages"]] == ["leaf", "base"]
    assert [p["downloads"] for p in data["packages"]] == [900, 100]
    assert data["source"] == f"{listing}, 2026-11-01"


def test_top_uses_the_built_in_list(local_index: LocalIndex, tmp_path: Path) -> None:
    top = builtin_top()
    assert len(top.names) > 10_000 and top.date and "download" in top.source
    first, second = top.names[:2]
    local_index.publish(first, {f"{first}-1.0-py3-none-any.whl": b"w"})
    code, data, output = run(local_index, tmp_path, "--no-deps", "--top", "2")
    assert code == 0, output
    classes = [(p["name"], p["class"]) for p in data["packages"]]
    assert classes == [(first, "pure"), (second, "missing")]


def test_bad_package_lists_are_usage_errors(tmp_path: Path) -> None:
    bad = tmp_path / "top.txt"
    bad.write_text("numpy\n../../etc/passwd\n")
    with pytest.raises(TopListError, match="not a project name"):
        load_top_file(bad)
    result = CliRunner().invoke(main, ["status", "--top-file", str(bad), "--no-db"])
    assert result.exit_code == 2 and "not a project name" in result.output
    result = CliRunner().invoke(main, ["status", "--no-db"])
    assert result.exit_code == 2 and "--top" in result.output
    listed = parse_text("# source: mine\n# date: 2026-01-01\nNumPy 123\nnumpy 5\nscipy\n", "x")
    assert listed.names == ("numpy", "scipy") and listed.downloads == {"numpy": 5}


def test_scan_attaches_the_analyzers_summary(local_index: LocalIndex, tmp_path: Path) -> None:
    code_c = b"#include <immintrin.h>\nint f(void) { return _mm_popcnt_u32(3); }\n"
    local_index.publish(
        "simd-pkg",
        {
            "simd_pkg-1.0-cp312-cp312-win_amd64.whl": b"w",
            "simd_pkg-1.0.tar.gz": sdist("simd_pkg-1.0", {"src/fast.c": code_c, "setup.py": b"x"}),
        },
    )
    local_index.publish("bad-sdist", {"bad_sdist-1.0.tar.gz": b"not a tarball"})
    local_index.publish(
        "clean-pkg",
        {
            "clean_pkg-1.0-cp312-cp312-win_amd64.whl": b"w",
            "clean_pkg-1.0.tar.gz": sdist(
                "clean_pkg-1.0", {"src/plain.c": b"int add(int a, int b) { return a + b; }\n"}
            ),
        },
    )
    code, data, output = run(
        local_index, tmp_path, "--no-deps", "--scan", "simd-pkg", "bad-sdist", "clean-pkg"
    )
    assert code == 0, output
    packages = {p["name"]: p for p in data["packages"]}
    summary = packages["simd-pkg"]["scan"]
    assert summary["sdist"] == "simd_pkg-1.0.tar.gz" and summary["files_scanned"] == 2  # fast.c and setup.py
    assert summary["by_rule"]["WOA101"] == 1
    assert {"rule": "WOA101", "count": 1, "first": "src/fast.c:1"} in summary["top_blockers"]
    # The queue's reasons are the verdict's: its sentence, then each area not ok.
    why = packages["simd-pkg"]["blocked_by"]
    assert why[1].startswith("verdict on simd_pkg-1.0.tar.gz: ")
    assert any(r.startswith("code blocked: ") and "src/fast.c:1" in r for r in why[2:])
    assert summary["areas"]["code"]["state"] == "blocked"
    clean = packages["clean-pkg"]
    # The scan's verdict, not a generic sentence: clean code, CI unknown (no .github/).
    assert clean["scan"]["findings"] == 0
    assert clean["blocked_by"][1] == (
        "verdict on clean_pkg-1.0.tar.gz: code is ARM64-clean;"
        " make sure the project's CI builds win_arm64 wheels."
    )
    assert any(r.startswith("ci unknown: no CI configuration in the tree") for r in clean["blocked_by"])
    assert "       ci unknown: no CI configuration in the tree" in output  # the table shows them too
    assert clean["scan"]["verdict"].startswith("code is ARM64-clean")
    broken = packages["bad-sdist"]
    assert broken["class"] == "source-only" and broken["scan"]["error"]


def test_a_misspelt_name_gets_suggestions_and_strict_exits_2(local_index: LocalIndex, tmp_path: Path) -> None:
    local_index.publish("alpha-native", {"alpha_native-1.0-cp312-cp312-win_arm64.whl": b"w"})
    code, data, output = run(local_index, tmp_path, "--no-deps", "alpha-native", "alpha-nativ", "nmupy")
    assert code == 0, output  # a typo alone is not a failure, unless --strict
    by_name = {p["name"]: p for p in data["packages"]}
    assert by_name["alpha-nativ"]["class"] == "missing"
    assert by_name["alpha-nativ"]["did_you_mean"] == ["alpha-native"]  # named in this run
    assert by_name["nmupy"]["did_you_mean"][:1] == ["numpy"]  # from the built-in list
    assert by_name["alpha-native"]["did_you_mean"] == []
    assert "alpha-nativ: not on the index; did you mean alpha-native?" in output
    code, _, _ = run(local_index, tmp_path, "--no-deps", "--strict", "alpha-native", "alpha-nativ")
    assert code == 2
    code, _, _ = run(local_index, tmp_path, "--no-deps", "--strict", "alpha-native")
    assert code == 0


def test_suggestions_fall_back_to_the_index_list(local_index: LocalIndex, tmp_path: Path) -> None:
    local_index.publish("alpha-native", {"alpha_native-1.0-cp312-cp312-win_arm64.whl": b"w"})
    names = ["zeta-widgets", "quux", "alpha-native"]
    local_index.route(
        "/simple/",
        Reply(
            200,
            (
                "<html><body>" + "".join(f'<a href="/simple/{n}/">{n}</a>' for n in names) + "</body></html>"
            ).encode(),
            {"Content-Type": "text/html"},
        ),
    )
    # Close to a popular name: the built-in list answers, the index's list is not asked for.
    code, data, output = run(local_index, tmp_path, "--no-deps", "nmupy")
    assert data["packages"][0]["did_you_mean"][:1] == ["numpy"] and local_index.hits("/simple/") == 0
    # Close to nothing popular: the index's whole list is.
    code, data, output = run(local_index, tmp_path, "--no-deps", "zeta-widget", "qqqqqqqqqq")
    assert code == 0, output
    by_name = {p["name"]: p for p in data["packages"]}
    assert by_name["zeta-widget"]["did_you_mean"] == ["zeta-widgets"]
    assert by_name["qqqqqqqqqq"]["did_you_mean"] == []
    assert "zeta-widget: not on the index; did you mean zeta-widgets?" in output
    assert "qqqqqqqqqq: not on the index\n" in output
    assert local_index.hits("/simple/") == 1  # asked once for both names
    # An index that will not list its projects: no suggestion, no failure.
    local_index.route("/simple/", Reply(403, b"no"))
    code, data, _ = run(local_index, tmp_path, "--no-deps", "zeta-widget")
    assert code == 0 and data["packages"][0]["did_you_mean"] == []


def test_root_page_formats() -> None:
    from analyzer.index.simple import IndexFetchError, _parse_root

    body = json.dumps({"meta": {"api-version": "1.1"}, "projects": [{"name": "A_b"}, {"name": "c"}, 3]})
    assert _parse_root("u", "application/vnd.pypi.simple.v1+json", body.encode()) == ("A_b", "c")
    html_page = b'<a href="/simple/x/">x-y</a>\n<A HREF="/simple/z/">z&amp;</A>'
    assert _parse_root("u", "text/html", html_page) == ("x-y", "z&")
    with pytest.raises(IndexFetchError):
        _parse_root("u", "application/vnd.pypi.simple.v1+json", b"{}")
