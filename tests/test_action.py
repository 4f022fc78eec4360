"""action.yml (issue 27, item 6): the composite action's steps run here as the runner
would run them (bash, inputs through the environment), against fixture trees; the
`uses:` steps are GitHub's own actions and are only checked for their inputs."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from tests.paths import FIXTURES, REPO

ACTION = YAML(typ="safe").load((REPO / "action.yml").read_text())


def _expand(value: str, inputs: dict[str, str], action_path: Path) -> str:
    def one(match: re.Match[str]) -> str:
        expression = match.group(1).strip()
        if expression == "github.action_path":
            return str(action_path)
        if expression.startswith("inputs."):
            return inputs[expression.removeprefix("inputs.")]
        raise AssertionError(f"unexpected expression in a run step's env: {expression}")

    return re.sub(r"\$\{\{(.*?)\}\}", one, value)


def run_step(step: dict[str, Any], inputs: dict[str, str], cwd: Path, summary: Path) -> int:
    assert step["shell"] == "bash" and "${{" not in step["run"]  # no input spliced into a script
    env = {k: _expand(str(v), inputs, REPO) for k, v in step.get("env", {}).items()}
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        cwd=cwd,
        env={**_base_env(), **env, "GITHUB_STEP_SUMMARY": str(summary)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    return done.returncode


def _base_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}


def inputs_with(**given: str) -> dict[str, str]:
    defaults = {name: str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()}
    return {**defaults, **{k.replace("_", "-"): v for k, v in given.items()}}


@pytest.mark.parametrize(
    ("tree", "given", "exit_code"),
    [
        ("rules/WOA101", {}, 1),
        ("rules/WOA101", {"fail_on": "never"}, 0),
        ("rules/WOA101", {"args": "--ignore WOA101 --ignore WOA140"}, 0),
        ("rules/WOA112", {"path": "good.c"}, 0),
    ],
)
def test_the_scan_step_writes_sarif_and_the_summary(
    tree: str, given: dict[str, str], exit_code: int, tmp_path: Path
) -> None:
    (scan_step,) = [s for s in ACTION["runs"]["steps"] if s.get("name") == "Scan"]
    summary = tmp_path / "summary.md"
    summary.write_text("")
    code = run_step(scan_step, inputs_with(**given), FIXTURES / tree, summary)
    sarif = FIXTURES / tree / "woaport.sarif"
    try:
        assert code == exit_code
        data = json.loads(sarif.read_text())
        assert data["version"] == "2.1.0"
        assert summary.read_text().startswith("# woaport: Windows on Arm compatibility report")
    finally:
        sarif.unlink(missing_ok=True)


def test_the_install_step_installs_this_commit_and_uploads_go_to_code_scanning() -> None:
    steps = ACTION["runs"]["steps"]
    install = next(s for s in steps if s.get("name", "").startswith("Install"))
    assert (
        '"$WOAPORT_SOURCE"' in install["run"]
        and install["env"]["WOAPORT_SOURCE"] == "${{ github.action_path }}"
    )
    upload = next(s for s in steps if str(s.get("uses", "")).startswith("github/codeql-action/upload-sarif"))
    assert upload["with"]["sarif_file"] == "woaport.sarif" and "always()" in upload["if"]
    assert ACTION["runs"]["using"] == "composite"
