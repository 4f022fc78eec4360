"""CI patches are verified by recomputing the patched copy's CI model: offered only when
a released job then yields win_arm64 wheels and nothing built before is lost."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from analyzer.ci import model_from_texts, read_ci
from analyzer.fix.recompute import compare
from tests.clirun import run
from tests.paths import FIXTURES

CI = FIXTURES / "ci"


JOB = "on: [push]\njobs:\n  w:\n    runs-on: {runner}\n    steps:\n      - uses: pypa/cibuildwheel@v3\n{env}"


def workflow(runner: str, env: str = "") -> str:
    return JOB.format(runner=runner, env=f"        env:\n          {env}\n" if env else "")


def test_compare_names_the_check_that_failed(tmp_path: Path) -> None:
    x64 = model_from_texts(tmp_path, {"w.yml": workflow("windows-latest")})
    arm_only = model_from_texts(tmp_path, {"w.yml": workflow("windows-latest", "CIBW_ARCHS_WINDOWS: ARM64")})
    both = model_from_texts(tmp_path, {"w.yml": workflow("windows-latest", "CIBW_ARCHS_WINDOWS: auto ARM64")})
    assert not compare(x64, x64).verified
    assert "no released job yields a win_arm64" in compare(x64, x64).reason
    lost = compare(x64, arm_only)
    assert not lost.verified and "loses wheels" in lost.reason and "cp312-win_amd64" in lost.lost
    good = compare(x64, both)
    assert good.verified and "cp312-win_arm64" in good.gained and good.lost == ()
    broken = model_from_texts(tmp_path, {"w.yml": "jobs: [unclosed\n"})
    assert not compare(x64, broken).verified


def _fix(tmp_path: Path, case: str) -> tuple[int, str, Path]:
    work = tmp_path / case
    shutil.copytree(CI / case, work)
    code, out = run("fix", str(work), "--only", "ci", "--apply", "--force")
    return code, out, work


FIXABLE = [
    "archs-exclude-arm64",
    "qemu-decoy",
    "maturin-old-python",
    "maturin-platform-rows",
    "maturin-os-python",
]


@pytest.mark.parametrize("case", FIXABLE)
def test_fix_is_verified_and_recomputes_to_win_arm64(tmp_path: Path, case: str) -> None:
    before = read_ci(CI / case)
    code, out, work = _fix(tmp_path, case)
    assert code == 0 and "ci patch: verified" in out, out
    after = read_ci(work)
    assert after.ships_win_arm64() and not before.ships_win_arm64()
    old = {t for j in before.counted() for t in j.delivered_tags()}
    new = {t for j in after.counted() for t in j.delivered_tags()}
    assert old <= new


def test_a_patch_that_would_build_nothing_for_arm64_is_withheld(tmp_path: Path) -> None:
    """Only PyPy is selected: a windows-11-arm cell would select no identifier (there is
    no PyPy for Windows ARM64) and cibuildwheel would fail there, so the runner the
    fixer adds is not offered as a fix."""
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    text = (
        "on: [push]\njobs:\n  wheels:\n    runs-on: ${{ matrix.os }}\n    strategy:\n      matrix:\n"
        "        os: [windows-latest]\n    steps:\n      - uses: pypa/cibuildwheel@v3\n"
        '        env:\n          CIBW_BUILD: "pp*"\n          CIBW_ENABLE: pypy\n'
    )
    (tmp_path / ".github" / "workflows" / "w.yml").write_text(text)
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\nversion = "1"\nrequires-python = ">=3.10"\n'
    )
    _, out = run("fix", str(tmp_path), "--only", "ci")
    assert "ci patch: NOT verified, withheld" in out
    assert "patch not verified" in out and "diff --git" not in out
    assert (tmp_path / ".github" / "workflows" / "w.yml").read_text() == text


def _actionlint() -> str:
    found = shutil.which("actionlint")
    if found is None:
        pytest.skip("actionlint is not installed (pip install '.[dev]')")
    return found


def test_patched_workflows_pass_actionlint(tmp_path: Path) -> None:
    actionlint = _actionlint()
    patched = [p for d in (FIXTURES / "fixes").glob("*/after") for p in d.glob(".github/workflows/*.yml")]
    for case in FIXABLE:
        _fix(tmp_path, case)
        patched += list((tmp_path / case / ".github" / "workflows").glob("*.yml"))
    assert len(patched) >= 8
    result = subprocess.run(
        [actionlint, "-no-color", *map(str, patched)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_agrees_that_merge_keys_do_not_load() -> None:
    """The CI model's refusal of merge keys is GitHub's: actionlint says the same."""
    actionlint = _actionlint()
    path = CI / "merge-key" / ".github" / "workflows" / "wheels.yml"
    result = subprocess.run([actionlint, "-no-color", str(path)], capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and "merge key" in result.stdout
    assert "merge key" in read_ci(CI / "merge-key").problems[0].message


def test_old_pythons_on_arm_are_added_to_an_existing_exclude_list(tmp_path: Path) -> None:
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "w.yml").write_text(
        "on: [push]\njobs:\n  build:\n    runs-on: ${{ matrix.os }}\n    strategy:\n      matrix:\n"
        "        os: [windows-latest, windows-11-arm]\n        python: [3.9, '3.12']\n        exclude:\n"
        "          - os: windows-latest\n            python: '3.12'\n    steps:\n"
        "      - uses: actions/setup-python@v5\n        with:\n"
        "          python-version: ${{ matrix.python }}\n"
        "      - run: python -m build --wheel\n"
    )
    code, out = run("fix", str(tmp_path), "--only", "ci", "--apply", "--force")
    assert code == 0 and "ci patch: verified" in out, out
    text = (tmp_path / ".github" / "workflows" / "w.yml").read_text()
    assert '          - {"os": "windows-11-arm", "python": 3.9}\n' in text  # the YAML number kept
    (job,) = read_ci(tmp_path).jobs
    assert [c.label for c in job.cells] == ["os=windows-latest, python=3.9", "os=windows-11-arm, python=3.12"]


def test_maturins_aarch64_is_not_an_architecture_for_setup_python(tmp_path: Path) -> None:
    """Copying the row without mapping setup-python's architecture would hand it
    'aarch64': the recomputed cell fails, so such a patch could not be verified."""
    text = (CI / "maturin-platform-rows" / ".github" / "workflows" / "CI.yml").read_text()
    text = text.replace(
        "            target: x86\n",
        "            target: x86\n          - runner: windows-11-arm\n            target: aarch64\n",
        1,
    )
    found = model_from_texts(tmp_path, {"w.yml": text}).job("w.yml", "windows")
    assert found is not None
    arm = next(c for c in found.cells if c.runner.arch == "arm64")
    assert "architecture 'aarch64'" in arm.fails and found.delivered() == frozenset()


def test_no_github_workflow_is_offered_to_a_project_hosted_elsewhere(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "m.c").write_text("int m;\n")
    (tmp_path / "setup.py").write_text(
        "from setuptools import setup, Extension\nsetup(ext_modules=[Extension('m', ['src/m.c'])])\n"
    )
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "m"\nversion = "1"\n[project.urls]\nSource = "https://hg.example.org/m"\n'
    )
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "config").write_text('[remote "origin"]\n\turl = https://git.code.sf.net/p/m/code\n')
    _, out = run("fix", str(tmp_path), "--only", "ci")
    assert "WOA604" in out and "not on GitHub" in out and "wheels-windows.yml" not in out
    (tmp_path / ".git" / "config").write_text('[remote "origin"]\n\turl = git@github.com:o/m.git\n')
    _, out = run("fix", str(tmp_path), "--only", "ci")
    assert "+++ b/.github/workflows/wheels-windows.yml" in out
