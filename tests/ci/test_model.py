"""The CI model on fixture workflows written for each case of the CI issue: what each
job builds (computed), and which rules fire on which job."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from analyzer.ci import WIN_AMD64, WIN_ARM64, CiModel, read_ci
from analyzer.limits import CiLimits
from analyzer.scan import ScanOptions, scan
from tests.paths import FIXTURES

CI = FIXTURES / "ci"


def model(name: str) -> CiModel:
    return read_ci(CI / name)


def ci_findings(root: Path) -> list[tuple[str, str, int]]:
    result = scan(root, ScanOptions())
    rules = {r.id: r for r in result.rules}
    return sorted(
        (f.rule_id, f.location.path, f.location.line)
        for f in result.findings
        if rules[f.rule_id].category == "ci"
    )


def test_archs_that_exclude_arm64_build_none_even_on_the_arm_runner() -> None:
    """The patch that only added windows-11-arm: cibuildwheel, asked for AMD64 and x86,
    builds those on the ARM64 runner too; no win_arm64 wheel."""
    (job,) = model("archs-exclude-arm64").jobs
    arm_cell = next(c for c in job.cells if c.runner.arch == "arm64")
    assert WIN_ARM64 not in arm_cell.platforms() and WIN_AMD64 in arm_cell.platforms()
    assert ci_findings(CI / "archs-exclude-arm64") == [("WOA601", ".github/workflows/wheels.yml", 6)]


def test_maturin_rows_on_arm64_with_old_pythons_fail_and_fail_fast_cancels_the_job() -> None:
    found = model("maturin-old-python")
    windows = found.job(".github/workflows/release.yml", "windows")
    assert windows is not None
    failing = [c.label for c in windows.cells if c.fails]
    assert len(failing) == 3 and all("windows-11-arm" in label for label in failing)
    assert windows.platforms() >= {WIN_ARM64, WIN_AMD64}  # if every cell ran
    assert windows.delivered() == frozenset()  # fail-fast: one failure cancels the rest
    assert [f[0] for f in ci_findings(CI / "maturin-old-python")] == ["WOA607"]


def test_an_upload_only_release_job_is_no_maturin_build() -> None:
    found = model("upload-only-release")
    release = found.job(".github/workflows/release.yml", "release")
    assert release is not None and release.publishes and not release.builds_wheels
    assert found.ships_win_arm64()
    assert ci_findings(CI / "upload-only-release") == []


def test_exclude_is_applied_before_judging_old_pythons_on_arm() -> None:
    (build, _) = model("exclude-old-python").jobs
    assert [c.label for c in build.cells] == [
        "os=windows-latest, python=3.9",
        "os=windows-latest, python=3.12",
        "os=windows-11-arm, python=3.12",
    ]
    assert ci_findings(CI / "exclude-old-python") == []


def test_a_merge_key_is_a_workflow_github_will_not_load() -> None:
    found = model("merge-key")
    assert found.jobs == ()
    (problem,) = found.problems
    assert "merge key" in problem.message and problem.line > 0
    result = scan(CI / "merge-key", ScanOptions())
    assert any("merge key" in w.message and w.kind == "unparseable" for w in result.warnings)


def test_qemu_and_macos_arm64_are_decoys() -> None:
    found = model("qemu-decoy")
    assert not found.ships_win_arm64()
    linux = found.job(".github/workflows/wheels.yml", "linux_arm")
    assert linux is not None and linux.platforms() == {"linux_aarch64"}
    assert ci_findings(CI / "qemu-decoy") == [("WOA601", ".github/workflows/wheels.yml", 19)]


def test_a_test_only_workflow_never_blocks_and_the_released_job_is_judged() -> None:
    found = model("test-only")
    assert found.ships_win_arm64()
    test_job = found.job(".github/workflows/tests.yml", "test")
    assert test_job is not None and not test_job.builds_wheels
    assert ci_findings(CI / "test-only") == []


def test_a_sibling_job_that_builds_and_releases_arm64_clears_the_package() -> None:
    found = model("sibling-arm64")
    assert {j.id for j in found.counted()} == {"windows_x64", "windows_arm64"}
    assert ci_findings(CI / "sibling-arm64") == []


def test_a_vendored_librarys_ci_is_out_of_scope() -> None:
    assert ci_findings(CI / "vendored-ci") == []


def test_runs_on_from_a_fromjson_literal() -> None:
    found = model("fromjson-runs-on")
    arm = found.job(".github/workflows/wheels.yml", "arm")
    assert arm is not None and arm.platforms() == {WIN_ARM64}
    assert ci_findings(CI / "fromjson-runs-on") == []


def test_an_include_row_that_extends_nothing_adds_an_arm64_cell() -> None:
    (job,) = model("include-extends").jobs
    assert [c.label for c in job.cells] == [
        "os=windows-latest, archs=AMD64",
        "os=windows-latest, archs=ARM64",
    ]
    assert WIN_ARM64 in job.cells[1].platforms()
    assert ci_findings(CI / "include-extends") == []


def test_pyproject_build_selection_and_overrides_come_from_cibuildwheel() -> None:
    """[tool.cibuildwheel] build selects cp311/cp312, the env adds ARM64 to the archs, and
    an override gives cp312 a test command: cibuildwheel's reader resolves all three."""
    (job,) = model("pyproject-overrides").jobs
    (build,) = job.builds()
    assert build.tags == ("cp311-win_amd64", "cp312-win_amd64", "cp311-win_arm64", "cp312-win_arm64")
    assert build.cross and build.tested == ("cp312-win_amd64", "cp312-win_arm64")
    assert [f[0] for f in ci_findings(CI / "pyproject-overrides")] == ["WOA606", "WOA610"]


def test_secrets_in_the_selection_make_the_tags_unknown(tmp_path: Path) -> None:
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "w.yml").write_text(
        "on: [push]\njobs:\n  wheels:\n    runs-on: windows-latest\n    steps:\n"
        "      - uses: pypa/cibuildwheel@v3\n        env:\n          CIBW_ARCHS: ${{ secrets.ARCHS }}\n"
    )
    (build,) = read_ci(tmp_path).jobs[0].builds()
    assert build.tags is None and "CIBW_ARCHS" in build.unknown
    assert ci_findings(tmp_path) == []  # unknown is not "no ARM64"


def test_package_dir_outside_the_tree_is_refused(tmp_path: Path) -> None:
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "pyproject.toml").write_text('[tool.cibuildwheel.windows]\narchs = ["ARM64"]\n')
    tree = tmp_path / "tree"
    (tree / ".github" / "workflows").mkdir(parents=True)
    (tree / ".github" / "workflows" / "w.yml").write_text(
        "on: [push]\njobs:\n  w:\n    runs-on: windows-latest\n    steps:\n"
        "      - uses: pypa/cibuildwheel@v3\n        with:\n          package-dir: ../outside\n"
    )
    (build,) = read_ci(tree).jobs[0].builds()
    assert build.tags is None and "outside the tree" in build.unknown


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: " + "[" * 200 + "]" * 200 + "\n", "nested"),
        (
            "x: &a [1, 1, 1, 1, 1, 1, 1, 1]\n"
            + "".join(
                f"y{i}: &a{i} [*{'a' if i == 0 else f'a{i - 1}'}, *{'a' if i == 0 else f'a{i - 1}'}]\n"
                for i in range(20)
            ),
            "YAML nodes",
        ),
        ("jobs: {}\n" + "#" * 3000 + "\n", "larger than"),
    ],
)
def test_hostile_workflows_are_refused_within_limits(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "w.yml").write_text(text)
    found = read_ci(tmp_path, CiLimits(max_file_bytes=2048, max_nodes=5000))
    assert found.jobs == () and message in found.problems[0].message


def test_a_linked_workflow_folder_is_not_followed(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere" / "workflows"
    shutil.copytree(CI / "qemu-decoy" / ".github" / "workflows", elsewhere)
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / ".github").symlink_to(tmp_path / "elsewhere")
    assert read_ci(tree).jobs == ()


def test_run_steps_resolve_from_their_working_directory(tmp_path: Path) -> None:
    """``defaults.run.working-directory``: cibuildwheel run from python/ reads
    python/pyproject.toml (whose archs say ARM64); an expression there is unknown."""
    (tmp_path / "python").mkdir()
    (tmp_path / "python" / "pyproject.toml").write_text(
        '[project]\nname = "x"\nversion = "1"\n[tool.cibuildwheel.windows]\narchs = ["ARM64"]\n'
    )
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    text = (
        "on: [push]\ndefaults:\n  run:\n    working-directory: python\njobs:\n  wheels:\n"
        "    runs-on: windows-latest\n    steps:\n      - run: pipx run cibuildwheel\n"
    )
    (workflows / "w.yml").write_text(text)
    (build,) = read_ci(tmp_path).jobs[0].builds()
    assert build.platforms() == {WIN_ARM64}
    (workflows / "w.yml").write_text(
        text.replace("working-directory: python", "working-directory: ${{ inputs.dir }}")
    )
    (build,) = read_ci(tmp_path).jobs[0].builds()
    assert build.tags is None


def test_artifacts_downloaded_by_workflow_name_release_its_jobs(tmp_path: Path) -> None:
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "build.yml").write_text(
        "name: Build wheels\non: [push]\njobs:\n  wheels:\n    runs-on: windows-latest\n"
        "    steps:\n      - uses: pypa/cibuildwheel@v4\n"
    )
    (workflows / "publish.yml").write_text(
        "on: [workflow_dispatch]\njobs:\n  publish:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: dawidd6/action-download-artifact@v6\n        with:\n          workflow: Build wheels\n"
        "      - uses: pypa/gh-action-pypi-publish@release/v1\n"
    )
    model = read_ci(tmp_path)
    assert ".github/workflows/build.yml#wheels" in model.released
