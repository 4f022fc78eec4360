"""The traps a new user falls into (issue 12, items 13-17): each made CI pass when it should
fail, or produced reports code scanning could not use."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.clirun import run
from tests.paths import REPO

SSE = "#include <emmintrin.h>\nint f(void) { return _mm_cvtsi128_si32(_mm_setzero_si128()); }\n"


def make_repo(root: Path) -> Path:
    (root / ".git").mkdir(parents=True)
    (root / "src" / "fast").mkdir(parents=True)
    (root / "src" / "fast" / "k.c").write_text(SSE)
    return root


def test_paths_are_relative_to_the_repository_root_in_every_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_repo(tmp_path / "repo")
    monkeypatch.chdir(repo)
    code, out = run("scan", "src", "--json", str(tmp_path / "f.json"), "--sarif", str(tmp_path / "f.sarif"))
    assert code == 1 and "src/fast/k.c" in out
    findings = json.loads((tmp_path / "f.json").read_text())["findings"]
    assert {f["path"] for f in findings} == {"src/fast/k.c"}
    sarif = json.loads((tmp_path / "f.sarif").read_text())
    locations = [
        r["locations"][0]["physicalLocation"]["artifactLocation"] for r in sarif["runs"][0]["results"]
    ]
    assert {(a["uri"], a["uriBaseId"]) for a in locations} == {("src/fast/k.c", "%SRCROOT%")}
    # From a subdirectory of the repository, and for a single file, the same paths.
    monkeypatch.chdir(repo / "src")
    code, _ = run("scan", "fast/k.c", "--json", str(tmp_path / "g.json"))
    assert {f["path"] for f in json.loads((tmp_path / "g.json").read_text())["findings"]} == {"src/fast/k.c"}


def test_without_a_repository_paths_are_relative_to_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "work" / "src").mkdir(parents=True)
    (tmp_path / "work" / "src" / "k.c").write_text(SSE)
    monkeypatch.chdir(tmp_path / "work")
    run("scan", "src", "--json", str(tmp_path / "f.json"))
    assert {f["path"] for f in json.loads((tmp_path / "f.json").read_text())["findings"]} == {"src/k.c"}


def test_pre_commit_hook_sees_macros_defined_elsewhere_in_the_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "include").mkdir()
    # The guard macro is defined in another header, for every Windows target: the
    # include below is compiled on Windows ARM64.
    (repo / "include" / "config.h").write_text("#ifdef _WIN32\n#define USE_SSE 1\n#endif\n")
    (repo / "k.c").write_text('#include "config.h"\n#ifdef USE_SSE\n#include <emmintrin.h>\n#endif\n')
    (repo / "other.c").write_text(SSE)  # not changed in this commit: not reported
    monkeypatch.chdir(repo)
    hook = ["scan", "--no-progress", "--fail-on", "error"]
    alone, _ = run(*hook, "k.c")
    assert alone == 0  # the file alone: USE_SSE is unknown, the finding only "maybe"
    code, out = run(*hook, "--in-repo", "k.c")
    assert code == 1 and "k.c" in out and "WOA101" in out
    assert "other.c" not in out
    hooks = (Path(__file__).resolve().parent.parent / ".pre-commit-hooks.yaml").read_text()
    assert "--changed" in hooks  # the hook itself compares with HEAD (tests/test_changed.py)


def test_in_repo_refuses_files_outside_the_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_repo(tmp_path / "repo")
    (tmp_path / "elsewhere.c").write_text(SSE)
    monkeypatch.chdir(repo)
    code, out = run("scan", "--in-repo", str(tmp_path / "elsewhere.c"))
    assert code == 2 and "outside the repository" in out


def test_bare_scan_works_outside_a_checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no fixtures/ here
    code, out = run("scan", "--no-progress")
    assert code == 1
    for place in ("src/simd.c", "src/arch.h", "src/cpu.c"):
        assert place in out
    assert "WOA130" in out and "WOA110" in out
    assert not any(
        line.startswith("  ") and " error " in line
        for line in out.split("src/guarded.c")[1].split("src/simd.c")[0].splitlines()
    )


@pytest.mark.slow
def test_the_wheel_ships_the_demo_tree_and_the_rules(tmp_path: Path) -> None:
    # A copy without build outputs: an in-place build/ left by an earlier build would
    # put files in the wheel that the package list no longer names.
    repo = tmp_path / "src"
    skipped = shutil.ignore_patterns("build", "dist", ".venv", ".ci-venv", ".ci-cache", "*.egg-info", ".git")
    shutil.copytree(REPO, repo, ignore=skipped)
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(repo),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = tmp_path.glob("woaport-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for member in (
        "analyzer/data/demo/src/simd.c",
        "analyzer/data/demo/src/guarded.c",
        "analyzer/native/kinds.py",
    ):
        assert member in names
    # Every package of the source tree is in the wheel (pyproject lists them by hand).
    packages = sorted(p.parent.relative_to(REPO).as_posix() for p in (REPO / "analyzer").rglob("__init__.py"))
    assert [p for p in packages if f"{p}/__init__.py" not in names] == []
    assert any(n.endswith("/data/share/woaport/rules/targets.json") for n in names)


def test_two_reports_on_standard_output_is_a_usage_error() -> None:
    code, out = run("scan", "--json", "-", "--sarif", "-")
    assert code == 2 and "only one report can go to standard output" in out


def test_an_unwritable_report_path_exits_2_and_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "no" / "such" / "dir" / "out.json"
    code, out = run("scan", "--json", str(target))
    assert code == 2 and "cannot write" in out
    assert not any(tmp_path.rglob("*.woaport-tmp"))


def test_reports_to_special_files_and_links_write_through_them(tmp_path: Path) -> None:
    """`--json /dev/null` once replaced the device with a regular file (the atomic write
    renamed its temporary file over it). A FIFO and a link stand in for it here."""
    import os
    import stat
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    code, _ = run("scan", "--json", str(fifo), "-q")
    reader.join(timeout=30)
    assert code == 1 and stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert json.loads(received[0])["schema"] == "woaport-findings/1"
    real = tmp_path / "real.json"
    real.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    run("scan", "--json", str(link), "-q")
    assert link.is_symlink() and json.loads(real.read_text())["schema"] == "woaport-findings/1"
