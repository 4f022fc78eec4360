"""Faults while checking many projects: each is retried, then reported for its own
project only; never a crash, never a wrong class. Ctrl-C records nothing."""

from __future__ import annotations

import gzip
import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from analyzer.index.simple import SimpleIndex
from analyzer.status.run import CheckOptions, check_projects
from tests.localindex import LocalIndex, Reply, run_status

AMBER = {"amber_pkg-1.0-cp312-cp312-win_amd64.whl": b"w"}
NATIVE = {"native_pkg-1.0-cp312-cp312-win_arm64.whl": b"w"}
_PAGE = b"<html><body>" + b"".join(b"<a href='/files/amber_pkg-%d.0.tar.gz'>x</a>" % i for i in range(50))
HALF_GZIP_PAGE = gzip.compress(_PAGE + b"</body></html>")[: len(gzip.compress(_PAGE)) // 2]


def run(index: LocalIndex, tmp_path: Path, *args: str) -> tuple[int, dict[str, str], str]:
    options = ("--python", "3.12", "--db", str(tmp_path / "h.sqlite"), "--no-cache", "--no-deps")
    code, data, output = run_status(index, tmp_path / "s.json", *options, *args)
    return code, {p["name"]: p["class"] for p in data.get("packages", [])}, output


@pytest.mark.parametrize(
    "fault",
    [
        Reply(429, b"slow down", {"Retry-After": "0"}),
        Reply(503, b"busy"),
        Reply(
            200,
            b'{"meta": {"api-version": "1.1"}, "files": [',
            {"Content-Type": "application/vnd.pypi.simple.v1+json"},
        ),
        Reply(200, b"<html>" + b"x" * 100, {"Content-Type": "text/html"}, truncate=True),
        Reply(200, b"\xff\xfe<a href='x'>", {"Content-Type": "text/html"}),
        # A whole HTTP answer whose gzip stream stops half-way: before, the half page
        # parsed as "no sdist" and the project was called missing.
        Reply(200, HALF_GZIP_PAGE, {"Content-Type": "text/html", "Content-Encoding": "gzip"}),
    ],
    ids=["429", "503", "malformed-json", "truncated", "undecodable-html", "truncated-gzip"],
)
def test_a_transient_fault_is_retried_and_the_class_is_right(
    local_index: LocalIndex, tmp_path: Path, fault: Reply
) -> None:
    local_index.publish("amber-pkg", AMBER)
    good = local_index.routes["/simple/amber-pkg/"][0]
    local_index.route("/simple/amber-pkg/", fault, good)
    code, classes, output = run(local_index, tmp_path, "--retries", "1", "amber-pkg")
    assert code == 0, output
    assert classes == {"amber-pkg": "amber"}
    assert local_index.hits("/simple/amber-pkg/") == 2


def test_lasting_faults_are_reported_per_project(local_index: LocalIndex, tmp_path: Path) -> None:
    local_index.publish("native-pkg", NATIVE)
    local_index.route("/simple/down-pkg/", Reply(502, b"bad gateway"))
    local_index.route("/simple/slow-pkg/", Reply(200, b"", delay=1.5))
    local_index.route("/simple/forbidden-pkg/", Reply(403, b"no"))
    gzip_headers = {"Content-Type": "text/html", "Content-Encoding": "gzip"}
    local_index.route("/simple/cut-pkg/", Reply(200, HALF_GZIP_PAGE, gzip_headers))
    code, classes, output = run(
        local_index,
        tmp_path,
        "--retries",
        "1",
        "--timeout",
        "0.3",
        "native-pkg",
        "down-pkg",
        "slow-pkg",
        "forbidden-pkg",
        "cut-pkg",
    )
    assert code == 2  # some projects could not be looked up
    assert classes == {
        "native-pkg": "native",
        "down-pkg": "error",
        "slow-pkg": "error",
        "forbidden-pkg": "error",
        "cut-pkg": "error",  # a page cut short is no answer, not "missing"
    }
    assert local_index.hits("/simple/down-pkg/") == 2  # retried once
    assert local_index.hits("/simple/forbidden-pkg/") == 1  # a 403 is not retried
    assert "HTTP 502" in output or "error" in output


def test_ctrl_c_records_nothing(
    local_index: LocalIndex, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    local_index.publish("native-pkg", NATIVE)
    code, _, _ = run(local_index, tmp_path, "native-pkg")
    assert code == 0

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("analyzer.status.command.check_projects", interrupted)
    code, _, output = run(local_index, tmp_path, "native-pkg")
    assert code == 130 and "nothing recorded" in output
    db = sqlite3.connect(tmp_path / "h.sqlite")
    assert db.execute("SELECT COUNT(*) FROM runs").fetchone() == (1,)


def test_an_interrupt_cancels_the_lookups_not_started(local_index: LocalIndex) -> None:
    for i in range(40):
        local_index.publish(f"p{i}", {f"p{i}-1.0-py3-none-any.whl": b"w"})
    # Answers that take a moment: on a loaded machine, instant answers let the two
    # workers finish every lookup before the interrupt is raised, and nothing is left
    # to cancel.
    local_index.latency = 0.05
    seen: list[int] = []

    def progress(done: int, total: int) -> None:
        seen.append(done)
        if done == 3:
            raise KeyboardInterrupt

    with SimpleIndex(local_index.url) as index, pytest.raises(KeyboardInterrupt):
        check_projects(index, [f"p{i}" for i in range(40)], CheckOptions(dependencies=False), 2, progress)
    assert seen == [1, 2, 3]
    assert sum(1 for path, _ in local_index.requests if path.startswith("/simple/p")) < 40


def test_sigint_stops_a_real_run_promptly_and_records_nothing(
    local_index: LocalIndex, tmp_path: Path
) -> None:
    for i in range(40):
        local_index.publish(f"p{i}", {f"p{i}-1.0-py3-none-any.whl": b"w"})
    local_index.latency = 0.5  # slow answers: the run is still going when Ctrl-C comes
    db = tmp_path / "h.sqlite"
    command = [
        sys.executable,
        "-c",
        "from analyzer.cli import main; main()",
        "status",
        "--index-url",
        local_index.url,
        "--db",
        str(db),
        "--no-cache",
        "--no-deps",
        "-j",
        "2",
        *[f"p{i}" for i in range(40)],
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while local_index.hits("/simple/p0/") == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    started = time.monotonic()
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 130, err
    assert "nothing recorded" in err
    assert time.monotonic() - started < 5  # no waiting for the 38 lookups not started
    assert sum(1 for path, _ in local_index.requests if path.startswith("/simple/p")) < 40
    if db.exists():
        assert sqlite3.connect(db).execute("SELECT COUNT(*) FROM runs").fetchone() == (0,)


def test_a_failed_lookup_says_why_once_and_per_project(local_index: LocalIndex, tmp_path: Path) -> None:
    local_index.route("/simple/down-pkg/", Reply(502, b"bad gateway"))
    local_index.route("/simple/gone-pkg/", Reply(502, b"bad gateway"))
    local_index.route("/simple/slow-pkg/", Reply(200, b"", delay=1.5))
    code, data, output = run_status(
        local_index,
        tmp_path / "s.json",
        "--no-db",
        "--no-cache",
        "--no-deps",
        "--retries",
        "0",
        "--timeout",
        "0.3",
        "down-pkg",
        "gone-pkg",
        "slow-pkg",
    )
    assert code == 2
    causes = {p["name"]: p["error"]["cause"] for p in data["packages"]}
    assert causes == {"down-pkg": "HTTP 502", "gone-pkg": "HTTP 502", "slow-pkg": "timeout"}
    assert output.count("HTTP 502 (2 project(s): down-pkg, gone-pkg)") == 1  # once, not per project


def test_a_dead_index_is_connection_refused(tmp_path: Path) -> None:
    import socket

    from click.testing import CliRunner

    from analyzer.cli import main

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    out = tmp_path / "s.json"
    result = CliRunner().invoke(
        main,
        [
            "status",
            "--index-url",
            f"http://127.0.0.1:{port}/simple/",
            "--no-db",
            "--no-cache",
            "--no-deps",
            "--retries",
            "0",
            "--json",
            str(out),
            "some-pkg",
        ],
    )
    assert result.exit_code == 2
    assert "connection refused (1 project(s): some-pkg)" in result.output
    assert json.loads(out.read_text())["packages"][0]["error"]["cause"] == "connection refused"
