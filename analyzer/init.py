"""``woaport init``: the pre-commit entry and a code-scanning workflow for a repository,
pinned to the commit of the woaport that writes them (a tag that does not exist, or a
branch that moves, is no pin). The texts are pure functions; reading the repository's
branch and writing the files happen at the edges."""

from __future__ import annotations

import importlib.metadata
import json
import re
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from typing import Any

REPOSITORY = "https://github.com/woaport/woaport"
WORKFLOW = Path(".github") / "workflows" / "woaport.yml"
PRE_COMMIT = Path(".pre-commit-config.yaml")
COMMIT = re.compile(r"[0-9a-f]{40}")  # a full commit hash: the only pin that does not move
_BRANCH = re.compile(r"[A-Za-z0-9._/-]{1,200}")


class InitError(RuntimeError):
    """What init cannot do, and how to get past it."""


@dataclass(frozen=True)
class Written:
    path: Path
    action: str  # "created", "updated", "unchanged"


def installed_commit() -> str | None:
    """The commit the running woaport was installed from: pip's record of a VCS install
    (PEP 610 ``direct_url.json``), else the checkout an editable install runs from."""
    try:
        text = importlib.metadata.distribution("woaport").read_text("direct_url.json")
    except importlib.metadata.PackageNotFoundError:
        text = None
    if text:
        try:
            commit = json.loads(text).get("vcs_info", {}).get("commit_id", "")
        except (ValueError, AttributeError):
            commit = ""
        if COMMIT.fullmatch(str(commit)):
            return str(commit)
    checkout = Path(__file__).resolve().parent.parent / ".git"
    return _head_commit(checkout) if checkout.is_dir() else None


def _head_commit(git_dir: Path) -> str | None:
    """HEAD's commit, read from the files git keeps (no git process is run)."""
    try:
        head = (git_dir / "HEAD").read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    if COMMIT.fullmatch(head):
        return head
    if not head.startswith("ref: "):
        return None
    ref = head.removeprefix("ref: ")
    try:
        value = (git_dir / ref).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        value = _packed_ref(git_dir, ref) or ""
    return value if COMMIT.fullmatch(value) else None


def _packed_ref(git_dir: Path, ref: str) -> str | None:
    try:
        for line in (git_dir / "packed-refs").read_text(encoding="ascii").splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[1] == ref:
                return parts[0]
    except (OSError, UnicodeDecodeError):
        pass
    return None


def default_branch(root: Path) -> str | None:
    """The repository's default branch as its checkout says it: the remote's HEAD
    (``origin/HEAD``), else the branch checked out; None when neither is known."""
    git_dir = root / ".git"
    for path, prefix in (
        (git_dir / "refs" / "remotes" / "origin" / "HEAD", "ref: refs/remotes/origin/"),
        (git_dir / "HEAD", "ref: refs/heads/"),
    ):
        try:
            text = path.read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError):
            continue
        if text.startswith(prefix) and _BRANCH.fullmatch(text.removeprefix(prefix)):
            return text.removeprefix(prefix)
    return None


def workflow_text(commit: str, branch: str) -> str:
    """A code-scanning workflow: woaport at ``commit``, SARIF uploaded, the verdict and
    findings in the job summary; never failing the build (code scanning shows them)."""
    return f"""# Written by `woaport init`: Windows on Arm findings in code scanning.
name: woaport
on:
  push:
    branches: [{branch}]
  pull_request:
    branches: [{branch}]
permissions:
  contents: read
jobs:
  woaport:
    runs-on: ubuntu-latest
    permissions:
      contents: read
      security-events: write
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      - run: pip install "woaport @ git+{REPOSITORY}@{commit}"
      - run: >-
          woaport scan . --no-progress --fail-on never
          --sarif woaport.sarif --markdown "$GITHUB_STEP_SUMMARY"
      - uses: github/codeql-action/upload-sarif@v3
        with:
          sarif_file: woaport.sarif
          category: woaport
"""


def pre_commit_entry(commit: str) -> dict[str, Any]:
    return {"repo": REPOSITORY, "rev": commit, "hooks": [{"id": "woaport"}]}


def pre_commit_text(existing: str | None, commit: str) -> str:
    """``.pre-commit-config.yaml`` with woaport's entry at ``commit``: added to the
    ``repos`` list (comments and the rest kept), its ``rev`` updated when present."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.indent(mapping=2, sequence=4, offset=2)
    data = yaml.load(existing) if existing and existing.strip() else None
    if data is None:
        data = {"repos": []}
    if not isinstance(data, dict) or not isinstance(data.get("repos", []), list):
        raise InitError(".pre-commit-config.yaml has no `repos:` list: add woaport's entry by hand")
    repos = data.setdefault("repos", [])
    ours = [r for r in repos if isinstance(r, dict) and str(r.get("repo", "")).rstrip("/") == REPOSITORY]
    if ours:
        for entry in ours:
            entry["rev"] = commit
    else:
        repos.append(pre_commit_entry(commit))
    out = StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def write_setup(root: Path, commit: str, branch: str, force: bool = False) -> list[Written]:
    """Write (or update) both files under ``root``; an existing, different workflow is
    left unless ``force`` (checked before anything is written)."""
    workflow = root / WORKFLOW
    text = workflow_text(commit, branch)
    old = workflow.read_text(encoding="utf-8") if workflow.is_file() else None
    if old is not None and old != text and not force:
        raise InitError(f"{WORKFLOW} exists and differs: --force replaces it")
    config = root / PRE_COMMIT
    before = config.read_text(encoding="utf-8") if config.is_file() else None
    after = pre_commit_text(before, commit)
    if after != before:
        config.write_text(after, encoding="utf-8")
    if old != text:
        workflow.parent.mkdir(parents=True, exist_ok=True)
        workflow.write_text(text, encoding="utf-8")
    return [
        Written(config, "unchanged" if after == before else "updated" if before else "created"),
        Written(workflow, "unchanged" if old == text else "updated" if old else "created"),
    ]
