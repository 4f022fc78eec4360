"""woaport status against an index on 127.0.0.1: every class, abi3, yanked files, the
"none but not any" trap, free-threaded tags, errors reported per package, history."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from analyzer.index.simple import DistFile
from analyzer.index.wheels import admits, latest_release, release_for, releases
from analyzer.status.classify import (
    Status,
    StatusClass,
    classify,
    sdist_has_compiled_code,
)
from analyzer.status.history import History
from tests.localindex import LocalIndex, Reply, sdist
from tests.localindex import run_status as status_cli
from tests.paths import DOCS

PYTHONS = ("3.11", "3.12", "3.13", "3.14", "3.13t", "3.14t")


def files(*names: str, yanked: tuple[str, ...] = ()) -> list[DistFile]:
    return [DistFile(n, f"http://127.0.0.1/{n}", (), yanked="" if n in yanked else None) for n in names]


@pytest.mark.parametrize(
    ("wheels", "overall", "per"),
    [
        (
            [f"p-1.0-cp{v}-cp{v}-win_arm64.whl" for v in ("311", "312", "313", "314")]
            + ["p-1.0-cp313-cp313t-win_arm64.whl", "p-1.0-cp314-cp314t-win_arm64.whl"],
            "native",
            {p: "native" for p in PYTHONS},
        ),
        # abi3 from 3.9 up covers every regular build, but no free-threaded one; no
        # platform has a free-threaded wheel, so those Pythons are not offered at all.
        (["p-1.0-cp39-abi3-win_arm64.whl"], "native", {"3.11": "native", "3.13t": "not-offered"}),
        # Free-threaded wheels on Linux only: 3.13t is a Windows-on-Arm gap, 3.14t is not.
        (
            ["p-1.0-cp39-abi3-win_arm64.whl", "p-1.0-cp313-cp313t-manylinux_2_17_x86_64.whl"],
            "partial",
            {"3.11": "native", "3.13t": "amber", "3.14t": "not-offered"},
        ),
        (
            ["p-1.0-cp312-abi3-win_arm64.whl", "p-1.0-cp311-cp311-win_amd64.whl"],
            "partial",
            {"3.11": "amber", "3.12": "native", "3.14": "native"},
        ),
        (
            ["p-1.0-cp312-abi3-win_arm64.whl"],
            "native",
            {"3.11": "not-offered", "3.12": "native", "3.14": "native"},
        ),
        (
            ["p-1.0-cp312-cp312-win_arm64.whl", "p-1.0-cp313-cp313-manylinux_2_17_x86_64.whl"],
            "partial",
            {"3.13": "amber", "3.14": "not-offered"},
        ),
        (["p-1.0-py3-none-any.whl"], "pure", {p: "pure" for p in PYTHONS}),
        (["p-1.0-py2.py3-none-any.whl", "p-1.0-cp312-cp312-win_amd64.whl"], "pure", {"3.12": "pure"}),
        # ruff, uv, cmake...: ABI "none" but a platform wheel; without win_arm64 it is amber.
        (
            ["p-1.0-py3-none-win_amd64.whl", "p-1.0-py3-none-manylinux_2_17_x86_64.whl"],
            "amber",
            {"3.12": "amber"},
        ),
        (["p-1.0-py3-none-win_arm64.whl"], "native", {"3.14t": "native"}),
        (["p-1.0-cp312-none-any.whl"], "pure", {"3.12": "pure", "3.13": "source-only"}),
        (
            ["p-1.0-cp313-cp313t-win_arm64.whl", "p-1.0-cp313-cp313-macosx_11_0_arm64.whl"],
            "partial",
            {"3.13t": "native", "3.13": "amber", "3.14t": "not-offered"},
        ),
        # Every Python this release offers anywhere installs natively.
        (["p-1.0-cp313-cp313t-win_arm64.whl"], "native", {"3.13t": "native", "3.13": "not-offered"}),
    ],
)
def test_wheel_classes(wheels: list[str], overall: str, per: dict[str, str]) -> None:
    release = latest_release(files(*wheels, "p-1.0.tar.gz"), "p")
    status = classify("p", release, PYTHONS)
    assert status.klass == overall
    assert {p: status.pythons[p] for p in per} == per


def test_free_threaded_stable_abi_wheels() -> None:
    # PEP 803: "abi3.abi3t" serves regular and free-threaded builds from 3.15 on.
    release = latest_release(files("p-1.0-cp315-abi3.abi3t-win_arm64.whl", "p-1.0.tar.gz"))
    status = classify("p", release, ("3.14", "3.15", "3.15t", "3.16t"))
    assert status.pythons == {"3.14": "not-offered", "3.15": "native", "3.15t": "native", "3.16t": "native"}
    only_abi3 = latest_release(files("p-1.0-cp312-abi3-win_arm64.whl", "p-1.0-cp315-cp315t-win_amd64.whl"))
    assert classify("p", only_abi3, ("3.15t",)).pythons == {"3.15t": "amber"}


def test_each_python_gets_the_release_an_installer_would_pick() -> None:
    found = releases(
        [
            DistFile("p-2.0-cp312-cp312-win_amd64.whl", "u", (), requires_python=">=3.12"),
            DistFile("p-2.0.tar.gz", "u", (), requires_python=">=3.12"),
            DistFile("p-1.5-cp311-cp311-win_arm64.whl", "u", (), requires_python=">=3.11"),
            DistFile("p-1.0-py3-none-any.whl", "u", (), requires_python=">=3.8, <3.11"),
        ]
    )
    per_python = {p: release_for(found, p) for p in ("3.10", "3.11", "3.12")}
    status = classify("p", found[0], ("3.10", "3.11", "3.12"), per_python=per_python)
    # 3.11 users get 1.5 (2.0 dropped 3.11), which has a win_arm64 wheel.
    assert status.pythons == {"3.10": "pure", "3.11": "native", "3.12": "amber"}
    assert status.versions == {"3.10": "1.0", "3.11": "1.5"} and status.version == "2.0"
    assert release_for(found, "3.7") is None
    assert admits(">=3.11.4", "3.11") and not admits("!=3.11.*", "3.11") and admits("garbage", "3.11")


def test_latest_non_yanked_final_release_is_classified() -> None:
    release = latest_release(
        files(
            "p-2.0-cp312-cp312-win_arm64.whl",
            "p-1.5-cp312-cp312-win_amd64.whl",
            "p-3.0rc1.tar.gz",
            "p-2.0.tar.gz",
            yanked=("p-2.0-cp312-cp312-win_arm64.whl", "p-2.0.tar.gz"),
        ),
        "p",
    )
    assert release is not None and release.version == "1.5"
    assert classify("p", release, ("3.12",)).klass == "amber"


def test_sdist_contents_decide_pure_sdist() -> None:
    assert not sdist_has_compiled_code(["p-1.0/p/__init__.py", "p-1.0/setup.py"], b"setup(name='p')")
    assert sdist_has_compiled_code(["p-1.0/src/fast.c"])
    assert sdist_has_compiled_code(["p-1.0/Cargo.toml"])
    assert sdist_has_compiled_code(["p-1.0/setup.py"], b"setup(ext_modules=[Extension('m', ['m.c'])])")
    maturin = b'[build-system]\nrequires = ["maturin>=1"]\nbuild-backend = "maturin"\n'
    assert sdist_has_compiled_code(["p-1.0/pyproject.toml", "p-1.0/p/__init__.py"], None, maturin)
    hatch = b'[build-system]\nbuild-backend = "hatchling.build"\n'
    assert not sdist_has_compiled_code(["p-1.0/pyproject.toml", "p-1.0/p/__init__.py"], None, hatch)
    assert not sdist_has_compiled_code(["p-1.0/pyproject.toml"], None, b"not toml [[[")


def publish_all(index: LocalIndex) -> None:
    wheel = b"not opened by status"
    index.publish(
        "native-pkg",
        {f"native_pkg-2.0-cp{v}-cp{v}-win_arm64.whl": wheel for v in ("311", "312", "313", "314")},
    )
    index.publish(
        "amber-pkg", {"amber_pkg-1.0-cp312-cp312-win_amd64.whl": wheel, "amber_pkg-1.0.tar.gz": b"x"}
    )
    index.publish("tool-pkg", {"tool_pkg-0.9-py3-none-win_amd64.whl": wheel})
    index.publish("pure-pkg", {"pure_pkg-3.1-py3-none-any.whl": wheel})
    index.publish(
        "pysrc-pkg", {"pysrc_pkg-1.0.tar.gz": sdist("pysrc_pkg-1.0", {"pysrc_pkg/__init__.py": b"x = 1\n"})}
    )
    index.publish(
        "csrc-pkg", {"csrc_pkg-1.0.tar.gz": sdist("csrc_pkg-1.0", {"src/fast.c": b"int x;\n"})}, style="html"
    )
    index.route(
        "/simple/broken-pkg/",
        Reply(200, b"{not json", {"Content-Type": "application/vnd.pypi.simple.v1+json"}),
    )


def run_status(index: LocalIndex, tmp_path: Path, *args: str) -> tuple[int, dict[str, Any], str]:
    history = ["--db", str(tmp_path / "h.sqlite"), "--cache-dir", str(tmp_path / "cache")]
    return status_cli(
        index, tmp_path / "status.json", "--python", "3.12,3.13t", "--retries", "1", *history, *args
    )


def test_status_command_every_class_and_errors_per_package(local_index: LocalIndex, tmp_path: Path) -> None:
    publish_all(local_index)
    names = [
        "Native_Pkg",
        "amber-pkg",
        "tool-pkg",
        "pure-pkg",
        "pysrc-pkg",
        "csrc-pkg",
        "no-such-pkg",
        "broken-pkg",
    ]
    code, data, output = run_status(local_index, tmp_path, *names)
    assert code == 2  # one package could not be read: reported, not a crash
    assert data["schema"] == "woaport-status/2" and data["pythons"] == ["3.12", "3.13t"]
    listed = data["packages"]
    assert isinstance(listed, list)
    packages = {p["name"]: p for p in listed}
    classes = {name: p["class"] for name, p in packages.items()}
    assert classes == {
        "native-pkg": "native",  # no free-threaded wheel on any platform: not offered
        "amber-pkg": "amber",
        "tool-pkg": "amber",
        "pure-pkg": "pure",
        "pysrc-pkg": "pure-sdist",
        "csrc-pkg": "source-only",
        "no-such-pkg": "missing",
        "broken-pkg": "error",
    }
    assert packages["native-pkg"]["pythons"] == {"3.12": "native", "3.13t": "not-offered"}
    assert packages["amber-pkg"]["blocked_by"] == ["no win_arm64 wheel among 1 platform wheel(s)"]
    assert packages["broken-pkg"]["blocked_by"][0].startswith("http://127.0.0.1")
    assert [p["list_position"] for p in listed] == list(range(1, 9))
    # Only projects that need porting are queued; with no counts, list order decides.
    ranks = {p["name"]: p["rank"] for p in listed if p["rank"] is not None}
    assert ranks == {"amber-pkg": 1, "tool-pkg": 2, "csrc-pkg": 3}
    assert "8 project(s):" in output and "pure-sdist" in output
    schema = json.loads((DOCS / "status-schema.json").read_text())
    jsonschema.validate(data, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**data, "packages": [{**listed[0], "class": "green"}]}, schema)


def test_history_records_runs_and_when_a_project_turned(local_index: LocalIndex, tmp_path: Path) -> None:
    wheel = b"w"
    local_index.publish("late-pkg", {"late_pkg-1.0-cp312-cp312-win_amd64.whl": wheel})
    local_index.publish("same-pkg", {"same_pkg-1.0-cp312-cp312-win_amd64.whl": wheel})
    run_status(local_index, tmp_path, "late-pkg", "same-pkg")
    local_index.publish("late-pkg", {"late_pkg-1.1-cp312-cp312-win_arm64.whl": wheel})
    _, data, _ = run_status(local_index, tmp_path, "late-pkg", "same-pkg")
    history = History(tmp_path / "h.sqlite")
    try:
        trend = history.trend().runs
        assert [dict(counts) for _, counts in trend] == [{"amber": 2}, {"native": 1, "amber": 1}]
        assert history.turned("late-pkg", "native") == trend[1][0]
        assert history.turned("late-pkg", "amber") is None
        since = {p["name"]: p["since"] for p in data["packages"]}
        assert since == {"late-pkg": trend[1][0], "same-pkg": trend[0][0]}
    finally:
        history.close()


def test_an_interrupted_run_leaves_the_history_unchanged(tmp_path: Path) -> None:
    history = History(tmp_path / "h.sqlite")
    history.record(
        "2026-01-01T00:00:00+00:00", "http://i", ("3.12",), [Status("a", "1", StatusClass.AMBER, {}, ())]
    )

    class Interrupted(BaseException):
        pass

    def statuses() -> Iterator[Status]:
        yield Status("b", "1", StatusClass.NATIVE, {}, ())
        raise Interrupted  # Ctrl-C in the middle of writing

    with pytest.raises(Interrupted):
        history.record("2026-01-02T00:00:00+00:00", "http://i", ("3.12",), statuses())
    history.close()
    db = sqlite3.connect(tmp_path / "h.sqlite")
    assert db.execute("SELECT COUNT(*) FROM runs").fetchone() == (1,)
    assert db.execute("SELECT name FROM results").fetchall() == [("a",)]


def publish_offer_cases(index: LocalIndex) -> None:
    w = b"w"
    # No free-threaded wheel on any platform: 3.13t is not offered, not a WoA gap.
    index.publish(
        "no-ft-anywhere",
        {
            "no_ft_anywhere-1.0-cp312-cp312-win_arm64.whl": w,
            "no_ft_anywhere-1.0-cp312-cp312-manylinux_2_17_x86_64.whl": w,
            "no_ft_anywhere-1.0.tar.gz": b"x",
        },
    )
    # Free-threaded wheels on Linux and macOS only: a real gap on Windows on Arm.
    index.publish(
        "ft-elsewhere",
        {
            "ft_elsewhere-1.0-cp312-cp312-win_arm64.whl": w,
            "ft_elsewhere-1.0-cp313-cp313t-manylinux_2_17_x86_64.whl": w,
            "ft_elsewhere-1.0-cp313-cp313t-macosx_11_0_arm64.whl": w,
        },
    )
    # 2.0 dropped the win_arm64 wheel 1.9 had; 1.8's is yanked and does not count.
    index.publish(
        "regressed-pkg",
        {
            "regressed_pkg-2.0-cp312-cp312-win_amd64.whl": w,
            "regressed_pkg-2.0-cp313-cp313t-win_amd64.whl": w,
            "regressed_pkg-1.9-cp312-cp312-win_arm64.whl": w,
            "regressed_pkg-1.8-cp313-cp313t-win_arm64.whl": w,
        },
        yanked={"regressed_pkg-1.8-cp313-cp313t-win_arm64.whl": "broken"},
    )
    # A dead project: its last release predates both target Pythons.
    index.publish(
        "dead-pkg",
        {"dead_pkg-1.5-cp38-cp38-win_amd64.whl": w, "dead_pkg-1.5-cp39-cp39-manylinux1_x86_64.whl": w},
    )
    # Requires-Python excludes every target Python: offered nowhere for them.
    index.publish("old-only", {"old_only-1.0-cp39-cp39-win_amd64.whl": w}, requires_python="<3.10")


def test_not_offered_and_regressed_against_the_local_index(local_index: LocalIndex, tmp_path: Path) -> None:
    publish_offer_cases(local_index)
    names = ["no-ft-anywhere", "ft-elsewhere", "regressed-pkg", "dead-pkg", "old-only"]
    code, data, output = run_status(local_index, tmp_path, "--no-deps", *names)
    assert code == 0, output
    packages = {p["name"]: p for p in data["packages"]}
    assert {n: (p["class"], p["pythons"]) for n, p in packages.items()} == {
        "no-ft-anywhere": ("native", {"3.12": "native", "3.13t": "not-offered"}),
        "ft-elsewhere": ("partial", {"3.12": "native", "3.13t": "amber"}),
        "regressed-pkg": ("regressed", {"3.12": "regressed", "3.13t": "amber"}),
        "dead-pkg": ("not-offered", {"3.12": "not-offered", "3.13t": "not-offered"}),
        "old-only": ("not-offered", {"3.12": "not-offered", "3.13t": "not-offered"}),
    }
    regressed = packages["regressed-pkg"]
    assert regressed["last_native"] == "1.9" and regressed["last_native_by_python"] == {"3.12": "1.9"}
    assert regressed["blocked_by"][0] == (
        "regressed: 2.0 has no win_arm64 wheel for Python 3.12;"
        " 1.9 had one (pip install regressed-pkg==1.9 installs natively)"
    )
    # Only real Windows-on-Arm gaps are queued, and the regression first although the
    # other project comes earlier in the list.
    assert {n: p["rank"] for n, p in packages.items() if p["rank"]} == {"regressed-pkg": 1, "ft-elsewhere": 2}
    assert packages["no-ft-anywhere"]["last_native"] is None
    assert data["coverage"]["3.13t"]["not-offered"] == 3
    jsonschema.validate(data, json.loads((DOCS / "status-schema.json").read_text()))
    assert "1. regressed-pkg (regressed)\n       regressed: 2.0 has no win_arm64 wheel" in output


def status(name: str, klass: StatusClass) -> Status:
    return Status(name, "1", klass, {}, ())


def test_trend_is_drawn_per_project_set_without_failed_runs(tmp_path: Path) -> None:
    history = History(tmp_path / "h.sqlite")
    try:
        top = [status("a", StatusClass.AMBER), status("b", StatusClass.NATIVE)]
        history.record("2026-11-01T00:00:00+00:00", "i", ("3.12",), top, "top 2 of list", listed=True)
        history.record("2026-11-02T00:00:00+00:00", "i", ("3.12",), [status("b", StatusClass.NATIVE)])
        offline = [status(n, StatusClass.ERROR) for n in "ab"]  # every lookup failed
        history.record("2026-11-03T00:00:00+00:00", "i", ("3.12",), offline, listed=True)
        history.record("2026-11-04T00:00:00+00:00", "i", ("3.13",), top, "top 2 of list", listed=True)
        # The same set in another order.
        top_later = [status("b", StatusClass.NATIVE), status("a", StatusClass.NATIVE)]
        history.record("2026-11-05T00:00:00+00:00", "i", ("3.12",), top_later, "top 2 of list", listed=True)
        history.record("2026-11-06T00:00:00+00:00", "i", ("3.12",), [status("c", StatusClass.AMBER)])
        trend = history.trend()  # the latest listed run that did not fail: 3.12, a and b
        assert [started[:10] for started, _ in trend.runs] == ["2026-11-01", "2026-11-05"]
        assert [dict(c) for _, c in trend.runs] == [{"amber": 1, "native": 1}, {"native": 2}]
        assert trend.label == "top 2 of list" and trend.pythons == ("3.12",) and trend.left_out == 4
    finally:
        history.close()
    lone = History(tmp_path / "lone.sqlite")
    try:  # no listed run yet: the latest run that did not fail
        lone.record("2026-11-01T00:00:00+00:00", "i", ("3.12",), [status("c", StatusClass.AMBER)])
        lone.record("2026-11-02T00:00:00+00:00", "i", ("3.12",), [status("c", StatusClass.ERROR)])
        assert [s[:10] for s, _ in lone.trend().runs] == ["2026-11-01"] and lone.trend().left_out == 1
    finally:
        lone.close()


def test_a_schema_1_history_is_upgraded_in_place(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    with db:
        db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
        db.execute("INSERT INTO meta VALUES ('schema', '1')")
        db.execute(
            "CREATE TABLE runs (id INTEGER PRIMARY KEY, started TEXT NOT NULL, index_url TEXT NOT NULL,"
            " pythons TEXT NOT NULL)"
        )
        db.execute(
            "CREATE TABLE results (run_id INTEGER NOT NULL REFERENCES runs(id), name TEXT NOT NULL,"
            " version TEXT, class TEXT NOT NULL, pythons TEXT NOT NULL, PRIMARY KEY (run_id, name))"
        )
        for run_id, klass in ((1, "amber"), (2, "error"), (3, "native")):
            started = f"2026-10-0{run_id}T00:00:00+00:00"
            db.execute("INSERT INTO runs VALUES (?, ?, 'i', '[\"3.12\"]')", (run_id, started))
            db.execute("INSERT INTO results VALUES (?, 'a', '1', ?, '{}')", (run_id, klass))
    db.close()
    history = History(path)
    try:
        # Nothing lost: the old runs form one set, the failed one is kept but not drawn.
        trend = history.trend()
        assert [dict(c) for _, c in trend.runs] == [{"amber": 1}, {"native": 1}] and trend.left_out == 1
        assert trend.label == "1 project(s)"
        assert history.turned("a", "native") == "2026-10-03T00:00:00+00:00"
        history.record("2026-10-04T00:00:00+00:00", "i", ("3.12",), [status("a", StatusClass.NATIVE)])
        assert len(history.trend().runs) == 3  # the same set as the old runs
    finally:
        history.close()
    assert sqlite3.connect(path).execute("SELECT value FROM meta").fetchone() == ("2",)


def test_a_hyphen_in_an_sdists_version_is_not_where_the_name_ends() -> None:
    """``thrift-0.14.0-2.tar.gz`` is thrift 0.14.0.post2: split at the last hyphen it
    was "version 2", newer than 0.25.0, and thrift read as regressed."""
    found = releases(files("thrift-0.14.0-2.tar.gz", "thrift-0.25.0.tar.gz"), "thrift")
    assert [r.version for r in found] == ["0.25.0", "0.14.0.post2"]
    assert [r.version for r in releases(files("ruamel.yaml.clib-0.2.15.tar.gz"), "ruamel-yaml-clib")] == [
        "0.2.15"
    ]
