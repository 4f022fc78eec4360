"""woaport init (issue 27, item 6): the pre-commit entry and a code-scanning workflow,
pinned to a commit, on the repository's default branch; existing configuration kept."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from analyzer.init import REPOSITORY, default_branch, installed_commit, pre_commit_text
from analyzer.scan import ScanOptions, scan
from tests.clirun import run

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def repository(tmp_path: Path, head: str = "ref: refs/heads/master", origin: str | None = None) -> Path:
    (tmp_path / ".git" / "refs" / "remotes" / "origin").mkdir(parents=True)
    (tmp_path / ".git" / "HEAD").write_text(head + "\n")
    if origin is not None:
        (tmp_path / ".git" / "refs" / "remotes" / "origin" / "HEAD").write_text(origin + "\n")
    return tmp_path


def test_init_writes_both_files_pinned_and_on_the_default_branch(tmp_path: Path) -> None:
    root = repository(tmp_path, origin="ref: refs/remotes/origin/develop")
    (root / ".pre-commit-config.yaml").write_text(
        "# our hooks\nrepos:\n  - repo: https://github.com/astral-sh/ruff-pre-commit\n    rev: v0.6.0\n"
        "    hooks:\n      - id: ruff\n"
    )
    code, out = run("init", str(root), "--rev", COMMIT)
    assert code == 0, out
    config = (root / ".pre-commit-config.yaml").read_text()
    assert config.startswith("# our hooks") and "ruff-pre-commit" in config
    repos = YAML(typ="safe").load(config)["repos"]
    assert repos[-1] == {"repo": REPOSITORY, "rev": COMMIT, "hooks": [{"id": "woaport"}]}
    workflow = (root / ".github" / "workflows" / "woaport.yml").read_text()
    assert f"git+{REPOSITORY}@{COMMIT}" in workflow and "branches: [develop]" in workflow
    # Idempotent; a different pin updates the hook and needs --force for the workflow.
    assert run("init", str(root), "--rev", COMMIT)[1].count("unchanged") == 2
    other = "f" * 40
    code, out = run("init", str(root), "--rev", other)
    assert code != 0 and "--force" in out and COMMIT in (root / ".pre-commit-config.yaml").read_text()
    code, out = run("init", str(root), "--rev", other, "--force")
    assert code == 0 and other in (root / ".github" / "workflows" / "woaport.yml").read_text()
    assert YAML(typ="safe").load((root / ".pre-commit-config.yaml").read_text())["repos"][-1]["rev"] == other


def test_the_generated_workflow_is_valid_and_woaport_finds_nothing_in_it(tmp_path: Path) -> None:
    root = repository(tmp_path)
    assert run("init", str(root), "--rev", COMMIT)[0] == 0
    workflow = root / ".github" / "workflows" / "woaport.yml"
    actionlint = shutil.which("actionlint")
    if actionlint is None:
        pytest.skip("actionlint is not installed (pip install '.[dev]')")
    done = subprocess.run(
        [actionlint, "-no-color", str(workflow)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert [f for f in scan(root, ScanOptions()).findings if f.location.path.startswith(".github")] == []


def test_branch_and_commit_come_from_the_checkouts(tmp_path: Path) -> None:
    assert default_branch(repository(tmp_path / "a")) == "master"
    assert default_branch(repository(tmp_path / "b", origin="ref: refs/remotes/origin/main")) == "main"
    assert default_branch(repository(tmp_path / "c", head=COMMIT)) is None  # detached, no remote HEAD
    assert default_branch(tmp_path / "nowhere") is None
    found = installed_commit()
    assert found is None or len(found) == 40
    code, out = run("init", str(repository(tmp_path / "d", head=COMMIT)), "--rev", COMMIT)
    assert code == 2 and "--branch" in out
    assert run("init", str(tmp_path / "d"), "--rev", "v0.1.0")[0] == 2  # a tag is no pin


def test_an_unusual_pre_commit_file_is_refused_not_rewritten() -> None:
    from analyzer.init import InitError

    with pytest.raises(InitError, match="no `repos:` list"):
        pre_commit_text("repos: 3\n", COMMIT)
    assert REPOSITORY in pre_commit_text("", COMMIT)
