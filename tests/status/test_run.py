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
from analyzer.status.classify import (
    admits,
    classify,
    latest_release,
    release_for,
    releases,
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
        # abi3 from 3.9 up covers every regular build, but no free-threaded one.
        (["p-1.0-cp39-abi3-win_arm64.whl"], "partial", {"3.11": "native", "3.13t": "amber"}),
        (
            ["p-1.0-cp312-abi3-win_arm64.whl"],
            "partial",
            {"3.11": "amber", "3.12": "native", "3.14": "native"},
        ),
        (
            ["p-1.0-cp312-cp312-win_arm64.whl", "p-1.0-cp312-cp312-win_amd64.whl"],
            "partial",
            {"3.13": "amber"},
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
            ["p-1.0-cp313-cp313t-win_arm64.whl"],
            "partial",
            {"3.13t": "native", "3.13": "amber", "3.14t": "amber"},
        ),
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
    assert status.pythons == {"3.14": "amber", "3.15": "native", "3.15t": "native", "3.16t": "native"}
    only_abi3 = latest_release(files("p-1.0-cp312-abi3-win_arm64.whl"))
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
    assert data["schema"] == "woaport-status/1" and data["pythons"] == ["3.12", "3.13t"]
    listed = data["packages"]
    assert isinstance(listed, list)
    packages = {p["name"]: p for p in listed}
    classes = {name: p["class"] for name, p in packages.items()}
    assert classes == {
        "native-pkg": "partial",  # no free-threaded wheel
        "amber-pkg": "amber",
        "tool-pkg": "amber",
        "pure-pkg": "pure",
        "pysrc-pkg": "pure-sdist",
        "csrc-pkg": "source-only",
        "no-such-pkg": "missing",
        "broken-pkg": "error",
    }
    assert packages["native-pkg"]["pythons"] == {"3.12": "native", "3.13t": "amber"}
    assert packages["amber-pkg"]["blocked_by"] == ["no win_arm64 wheel among 1 platform wheel(s)"]
    assert packages["broken-pkg"]["blocked_by"][0].startswith("http://127.0.0.1")
    assert [p["list_position"] for p in listed] == list(range(1, 9))
    # Only projects that need porting are queued; with no counts, list order decides.
    ranks = {p["name"]: p["rank"] for p in listed if p["rank"] is not None}
    assert ranks == {"native-pkg": 1, "amber-pkg": 2, "tool-pkg": 3, "csrc-pkg": 4}
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
        trend = history.trend()
        assert [dict(counts) for _, counts in trend] == [{"amber": 2}, {"partial": 1, "amber": 1}]
        assert history.turned("late-pkg", "partial") == trend[1][0]
        assert history.turned("late-pkg", "amber") is None
        since = {p["name"]: p["since"] for p in data["packages"]}
        assert since == {"late-pkg": trend[1][0], "same-pkg": trend[0][0]}
    finally:
        history.close()


def test_an_interrupted_run_leaves_the_history_unchanged(tmp_path: Path) -> None:
    from analyzer.status.classify import Status, StatusClass

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
