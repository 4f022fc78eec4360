"""scan --changed (issue 27, item 2): the repository as it is against --base; what the
change introduces anywhere is reported, what was there before is not."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from analyzer.changed import OutsideRepository, only_new, repository_files
from analyzer.result import ScanResult
from analyzer.scan import ScanOptions, scan
from tests.clirun import run


def git(repo: Path, *args: str) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "config.h").write_text("/* configuration */\n")
    (tmp_path / "src" / "a.c").write_text(
        '#include "config.h"\n#ifdef USE_SSE\n#include <emmintrin.h>\n#endif\nint a;\n'
    )
    (tmp_path / "src" / "old.c").write_text("#include <immintrin.h>\n")  # there before
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "base")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def new_findings(*args: str) -> tuple[int, list[tuple[str, str, int, str]]]:
    code, out = run("scan", "--changed", "--no-progress", "--json", "-", *args)
    data = json.loads(out[out.index("{") :])
    return code, [(f["rule_id"], f["path"], f["line"], f["confidence"]) for f in data["findings"]]


def test_a_change_to_a_header_reports_the_unchanged_file_it_makes_reach_x86(repo: Path) -> None:
    assert new_findings() == (0, [])  # nothing changed: nothing new, the old finding not shown
    (repo / "src" / "config.h").write_text("/* configuration */\n#define USE_SSE 1\n")
    code, found = new_findings()
    assert code == 1 and found == [("WOA101", "src/a.c", 3, "high")]  # a.c itself did not change
    git(repo, "commit", "-qam", "sse")
    assert new_findings() == (0, [])
    assert new_findings("--base", "HEAD~1")[1] == [("WOA101", "src/a.c", 3, "high")]


def test_a_new_flag_in_a_build_file_is_reported(repo: Path) -> None:
    (repo / "setup.py").write_text(
        "from setuptools import setup, Extension\n"
        "setup(ext_modules=[Extension('a', ['src/a.c'], extra_compile_args=['-mavx2'])])\n"
    )
    code, found = new_findings()
    assert code == 1 and [f[:2] for f in found if f[0] == "WOA501"] == [("WOA501", "setup.py")]


def test_outside_a_repository_or_with_a_bad_base_it_says_so(tmp_path: Path, repo: Path) -> None:
    outside = tmp_path.parent / f"{tmp_path.name}-plain"
    outside.mkdir()
    code, out = run("scan", "--changed", str(outside))
    assert code == 2 and "inside a git repository" in out
    code, out = run("scan", "--changed", "--base", "no-such-ref", "--no-progress")
    assert "no no-such-ref to compare with" in out


# -- the comparison itself, without git (analyzer/changed.py) ----------------------------
def _scanned(tmp_path: Path, files: dict[str, str]) -> ScanResult:
    root = tmp_path / "t"
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return scan(root, ScanOptions())


def test_only_new_keeps_what_the_base_did_not_have(tmp_path: Path) -> None:
    before = _scanned(tmp_path / "b", {"a.c": "#include <immintrin.h>\n"})
    after = _scanned(tmp_path / "a", {"a.c": "#include <immintrin.h>\n", "b.c": "#include <xmmintrin.h>\n"})
    assert {f.location.path for f in after.findings} == {"a.c", "b.c"}
    compared = only_new(after, before, "main")
    assert {f.location.path for f in compared.result.findings} == {"b.c"}
    there_before = len(after.findings) - len(compared.result.findings)
    assert (
        compared.note
        == f"{len(compared.result.findings)} finding(s) new since main ({there_before} there before)"
    )
    assert only_new(after, after, "main").result.findings == ()


def test_restricted_to_keeps_the_named_files(tmp_path: Path) -> None:
    result = _scanned(tmp_path, {"a.c": "#include <immintrin.h>\n", "b.c": "#include <xmmintrin.h>\n"})
    assert {f.location.path for f in result.restricted_to({"b.c"}).findings} == {"b.c"}
    assert result.restricted_to(set()).findings == ()


def test_a_file_outside_the_repository_is_refused(tmp_path: Path) -> None:
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / "a.c").write_text("int a;\n")
    assert repository_files(tmp_path / "repo", (str(tmp_path / "repo" / "a.c"),)) == {"a.c"}
    with pytest.raises(OutsideRepository, match="outside the repository"):
        repository_files(tmp_path / "repo", (str(tmp_path / "elsewhere.c"),))
