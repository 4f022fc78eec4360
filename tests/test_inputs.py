"""``woaport scan`` on an sdist file and on NAME[==VERSION] from a local index."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from analyzer.cli import main
from analyzer.inputs import index_request, parse_requirement
from tests.clirun import run
from tests.localindex import LocalIndex, Reply, sdist

X86_SOURCE = b"#include <immintrin.h>\nfloat f(float x) { return _mm_cvtss_f32(_mm_set1_ps(x)); }\n"
GUARDED = b"#if defined(__x86_64__) || defined(_M_X64)\n#include <immintrin.h>\n#endif\nint g;\n"


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point tempfile at a directory of our own, to see what the scan leaves behind."""
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    return scratch


def scan_json(*args: str) -> tuple[int, dict[str, object], str]:
    result = CliRunner().invoke(main, ["scan", "--no-progress", "--json", "-", "-q", *args])
    try:
        data = json.loads(result.stdout)
    except json.JSONDecodeError:
        data = {}
    return result.exit_code, data, result.stderr if result.stderr_bytes is not None else result.output


def rule_lines(data: dict[str, object]) -> set[tuple[str, str, int]]:
    findings = data["findings"]
    assert isinstance(findings, list)
    return {(f["rule_id"], f["path"], f["line"]) for f in findings}


def test_scan_project_from_local_index(local_index: LocalIndex, private_tmp: Path) -> None:
    files = {
        "fastthing-1.0.tar.gz": sdist("fastthing-1.0", {"src/old.c": b"int old;\n"}),
        "fastthing-1.2.tar.gz": sdist("fastthing-1.2", {"src/simd.c": X86_SOURCE, "src/ok.c": GUARDED}),
    }
    local_index.publish("fastthing", files, style="html")
    code, data, said = scan_json("--index-url", local_index.url, "pypi:FastThing")
    assert code == 1
    assert f"fetched FastThing 1.2 (fastthing-1.2.tar.gz, sha256 checked) from {local_index.url}" in said
    assert {("WOA101", "src/simd.c", 1), ("WOA102", "src/simd.c", 2)} <= rule_lines(data)
    # Guarded x86 code is no blocker; only the "no NEON path" perf note applies to it.
    assert {rule for rule, path, _ in rule_lines(data) if path == "src/ok.c"} == {"WOA160"}
    assert data["root"] == "FastThing==1.2 (fastthing-1.2.tar.gz)"
    assert list(private_tmp.iterdir()) == []  # download and unpacked tree removed

    code, data, _ = scan_json("--index-url", local_index.url, "fastthing==1.0")
    assert code == 0 and rule_lines(data) == set()
    assert data["root"] == "fastthing==1.0 (fastthing-1.0.tar.gz)"


def test_index_url_from_environment(local_index: LocalIndex, monkeypatch: pytest.MonkeyPatch) -> None:
    local_index.publish("envthing", {"envthing-0.1.tar.gz": sdist("envthing-0.1", {"a.c": X86_SOURCE})})
    monkeypatch.setenv("PIP_INDEX_URL", local_index.url)
    code, data, _ = scan_json("pypi:envthing")
    assert code == 1 and ("WOA101", "a.c", 1) in rule_lines(data)


def test_index_failures_exit_2_with_a_message(local_index: LocalIndex, private_tmp: Path) -> None:
    result = CliRunner().invoke(main, ["scan", "--index-url", local_index.url, "pypi:nothing-here"])
    assert result.exit_code == 2
    assert "nothing-here: not found on" in result.output
    local_index.route("/simple/broken/", Reply(502, b"bad gateway"))
    result = CliRunner().invoke(main, ["scan", "--index-url", local_index.url, "broken==1.0"])
    assert result.exit_code == 2 and "giving up" in result.output
    assert list(private_tmp.iterdir()) == []


def test_scan_sdist_file_and_hostile_members(tmp_path: Path, private_tmp: Path) -> None:
    import io
    import tarfile

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, content in (("pkg-1.0/a.c", X86_SOURCE), ("pkg-1.0/../../escape.c", X86_SOURCE)):
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
        link = tarfile.TarInfo("pkg-1.0/link.c")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(link)
    archive = tmp_path / "pkg-1.0.tar.gz"
    archive.write_bytes(buffer.getvalue())
    code, data, _ = scan_json(str(archive))
    assert code == 1
    assert rule_lines(data) >= {("WOA101", "a.c", 1)}
    assert {path for _, path, _ in rule_lines(data)} == {"a.c"}
    warnings = data["warnings"]
    assert isinstance(warnings, list)
    assert any("outside the tree" in w["message"] for w in warnings)
    assert any(w["path"] == "pkg-1.0/link.c" and "link" in w["message"] for w in warnings)
    assert data["root"] == "pkg-1.0.tar.gz"
    assert not (tmp_path.parent / "escape.c").exists()
    assert list(private_tmp.iterdir()) == []


def test_corrupt_sdist_exits_2(tmp_path: Path) -> None:
    archive = tmp_path / "bad-1.0.tar.gz"
    archive.write_bytes(b"\x1f\x8b not gzip at all")
    result = CliRunner().invoke(main, ["scan", str(archive)])
    assert result.exit_code == 2 and "not a readable tar archive" in result.output


def test_missing_path_is_not_mistaken_for_a_project() -> None:
    result = CliRunner().invoke(main, ["scan", "no/such/dir"])
    assert result.exit_code == 2 and "no such file or directory" in result.output


def test_a_bare_word_that_is_not_a_path_is_refused_not_downloaded(
    local_index: LocalIndex, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `woaport scan src` run in the wrong directory: there is a project called src on the
    # index, and it must not be scanned in place of the missing folder.
    local_index.publish("src", {"src-1.0.tar.gz": sdist("src-1.0", {"a.c": b"int a;\n"})})
    monkeypatch.chdir(tmp_path)
    code, _, said = scan_json("--index-url", local_index.url, "src")
    assert code == 2
    assert "no such file or directory: src" in said and "pypi:src" in said
    assert local_index.hits("/simple/src/") == 0
    # The explicit forms fetch.
    for explicit in ("pypi:src", "src==1.0", "pypi:src==1.0"):
        code, data, said = scan_json("--index-url", local_index.url, explicit)
        assert code == 0 and data["root"] == "src==1.0 (src-1.0.tar.gz)", explicit
        assert "fetched src 1.0" in said


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("numpy", ("numpy", None)),
        ("zope.interface==5.5.2", ("zope.interface", "5.5.2")),
        ("pkg == 1.0rc1", ("pkg", "1.0rc1")),
        ("pkg>=1", None),
        ("pypi:numpy", None),  # parse_requirement takes the bare requirement only
        ("-rfile", None),
        ("a b", None),
    ],
)
def test_parse_requirement(text: str, expected: tuple[str, str | None] | None) -> None:
    assert parse_requirement(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("numpy", None),  # a bare name: not an explicit request for the index
        ("pypi:numpy", ("numpy", None)),
        ("pypi:numpy==2.0", ("numpy", "2.0")),
        ("numpy==2.0", ("numpy", "2.0")),
        ("pypi:./src", None),
        ("src/x==1", None),
    ],
)
def test_index_request(text: str, expected: tuple[str, str | None] | None) -> None:
    assert index_request(text) == expected


def test_sigterm_mid_scan_removes_the_unpacked_sdist(tmp_path: Path) -> None:
    """A cancelled CI job sends SIGTERM: the unpacked tree must go, as with Ctrl-C."""
    import os
    import signal
    import subprocess
    import sys
    import time

    members = {f"big-1.0/src/f{i}.c": X86_SOURCE * 40 for i in range(3000)}
    archive = tmp_path / "big-1.0.tar.gz"
    archive.write_bytes(sdist("big-1.0", {k.split("/", 1)[1]: v for k, v in members.items()}))
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch)}
    command = [sys.executable, "-m", "analyzer.cli", "scan", str(archive), "-q", "-j", "1", "--no-cache"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _ in range(2000):  # until the sdist is being unpacked or scanned (at most 20 s)
            if any(scratch.glob("woaport-*/big-1.0")) or process.poll() is not None:
                break
            time.sleep(0.01)
        assert process.poll() is None, "the scan ended before it could be interrupted"
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 128 + signal.SIGTERM, stderr
    assert list(scratch.iterdir()) == []


def test_every_input_error_is_one_input_problem_the_cli_reports() -> None:
    """The command line catches ``InputProblem`` once (exit 2 with the message): each
    error an input, an index, an archive, a clone or a toolchain raises derives from it,
    and keeps its built-in base for existing handlers."""
    from analyzer.archive import ArchiveError
    from analyzer.errors import InputProblem
    from analyzer.gitclone import CloneError
    from analyzer.index.config import IndexConfigError
    from analyzer.index.errors import DownloadTooLarge, IndexFetchError, ProjectNotFound
    from analyzer.inputs import InputError
    from analyzer.precise import PreciseUnavailable
    from analyzer.sdk.provider import SdkError

    for error in (
        ArchiveError, CloneError, IndexConfigError, IndexFetchError, ProjectNotFound,
        DownloadTooLarge, InputError, PreciseUnavailable, SdkError,
    ):  # fmt: skip
        assert issubclass(error, InputProblem) and issubclass(error, RuntimeError), error


def test_an_unreadable_archive_is_an_input_problem_not_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "pkg-1.0.tar.gz"
    bad.write_bytes(b"not a gzip stream at all")
    code, output = run("scan", str(bad), "--no-progress")
    assert code == 2 and "Traceback" not in output
