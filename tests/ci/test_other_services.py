"""Semaphore, AppVeyor and Kokoro jobs, each on its own, with the scripts they call
followed inside the tree only."""

from __future__ import annotations

from pathlib import Path

from analyzer.ci import WIN_AMD64, WIN_ARM64, read_ci
from analyzer.limits import CiLimits
from tests.ci.test_model import ci_findings
from tests.paths import FIXTURES

RULES = FIXTURES / "rules"


def test_an_arm64_block_for_macos_does_not_clear_the_windows_block() -> None:
    model = read_ci(RULES / "WOA620" / "bad_semaphore")
    jobs = {j.id: j for j in model.jobs}
    assert jobs["Wheels: Windows / build"].platforms() == {WIN_AMD64}
    assert jobs["Wheels: macOS arm64 / build"].platforms() == frozenset()  # not a Windows wheel
    assert [f[0] for f in ci_findings(RULES / "WOA620" / "bad_semaphore")] == ["WOA620"]
    good = read_ci(RULES / "WOA620" / "good_semaphore")
    assert good.ships_win_arm64()
    assert ci_findings(RULES / "WOA620" / "good_semaphore") == []


def test_kokoro_follows_the_build_file_into_the_script_that_decides() -> None:
    (job,) = read_ci(RULES / "WOA620" / "bad_kokoro").jobs
    assert job.provider == "kokoro" and job.deciding == "scripts/windows/build.bat:3"
    assert job.cells[0].scripts == (".kokoro/windows/build.bat", "scripts/windows/build.bat")
    (finding,) = [f for f in ci_findings(RULES / "WOA620" / "bad_kokoro") if f[0] == "WOA620"]
    assert finding[1] == ".kokoro/windows/release.cfg"


def test_appveyor_matrix_entries_are_cells_of_one_job() -> None:
    (job,) = read_ci(RULES / "WOA620" / "good_appveyor").jobs
    assert [c.runner.arch for c in job.cells] == ["x64", "arm64"]
    assert WIN_ARM64 in job.platforms()
    (bad,) = read_ci(RULES / "WOA620" / "bad_appveyor").jobs
    assert WIN_ARM64 not in bad.platforms() and bad.line == 4


def test_a_ci_job_that_builds_no_wheel_never_blocks(tmp_path: Path) -> None:
    (tmp_path / "appveyor.yml").write_text(
        "image: Visual Studio 2022\nenvironment:\n  matrix:\n    - ARCH: x64\n"
        "build_script:\n  - cmake -A x64 -B build\ntest_script:\n  - ctest\n"
    )
    assert read_ci(tmp_path).jobs[0].builds() == ()
    assert ci_findings(tmp_path) == []


def test_scripts_outside_the_tree_and_call_loops_are_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside.bat"
    outside.write_text("py -3.12-64 -m pip wheel . -w wheels\n")
    tree = tmp_path / "tree"
    (tree / ".kokoro").mkdir(parents=True)
    (tree / ".kokoro" / "win.cfg").write_text('build_file: "repo/.kokoro/a.bat"\n')
    # a.bat calls b.bat, which calls a.bat again, and a script outside the tree.
    (tree / ".kokoro" / "a.bat").write_text("call .kokoro\\b.bat\ncall ..\\outside.bat\n")
    (tree / ".kokoro" / "b.bat").write_text("call .kokoro\\a.bat\npython -m pip wheel . -w wheels\n")
    (job,) = read_ci(tree).jobs
    assert job.cells[0].scripts == (".kokoro/a.bat", ".kokoro/b.bat")
    assert job.platforms() == {WIN_AMD64}  # the agent's own arch: the outside -64 was not read


def test_script_size_and_count_limits(tmp_path: Path) -> None:
    (tmp_path / ".kokoro").mkdir()
    (tmp_path / ".kokoro" / "win.cfg").write_text('build_file: "repo/.kokoro/a.bat"\n')
    (tmp_path / ".kokoro" / "a.bat").write_text("rem " + "x" * 5000 + "\npython -m pip wheel .\n")
    (job,) = read_ci(tmp_path, CiLimits(max_script_bytes=1000)).jobs
    assert job.builds() == ()  # the script was too large to read: nothing is claimed


def test_azure_matrix_legs_are_cells_and_their_variables_expand() -> None:
    (job,) = read_ci(RULES / "WOA620" / "good_azure").jobs
    assert job.provider == "azure" and [dict(c.values)["ARCH"] for c in job.cells] == ["x64", "amd64_arm64"]
    assert job.platforms() == {WIN_AMD64, WIN_ARM64}


def test_linux_and_macos_arm64_jobs_of_travis_and_cirrus_are_decoys() -> None:
    for case in ("bad_travis", "bad_cirrus"):
        model = read_ci(RULES / "WOA620" / case)
        assert not model.ships_win_arm64()
        assert [j.provider for j in model.jobs if j.platforms()] == [case.removeprefix("bad_")]


def test_gitlab_parallel_matrix_legs(tmp_path: Path) -> None:
    (tmp_path / ".gitlab-ci.yml").write_text(
        "wheels:\n  tags: [saas-windows-medium-amd64]\n  parallel:\n    matrix:\n"
        "      - ARCH: [x64, arm64]\n  script:\n    - python setup.py bdist_wheel --plat-name win-$ARCH\n"
    )
    (job,) = read_ci(tmp_path).jobs
    assert [dict(c.values)["ARCH"] for c in job.cells] == ["x64", "arm64"]
    assert WIN_ARM64 in job.platforms()
    assert ci_findings(tmp_path) == []


def test_no_wheel_ci_is_asked_of_the_computed_ci(tmp_path: Path) -> None:
    """WOA604 (native code, no wheel CI): wheels built on AppVeyor are wheel CI; a
    workflow that only mentions cibuildwheel in a lint step is not."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "a.c").write_text("int a;\n")
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "a"\nversion = "1"\n')
    (tmp_path / "appveyor.yml").write_text(
        "image: Visual Studio 2022\nbuild_script:\n  - python -m pip wheel . -w wheelhouse\n"
    )
    assert "WOA604" not in [f[0] for f in ci_findings(tmp_path)]
    (tmp_path / "appveyor.yml").unlink()
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "lint.yml").write_text(
        "on: [push]\njobs:\n  lint:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo 'wheels come later, with cibuildwheel'\n"
    )
    assert "WOA604" in [f[0] for f in ci_findings(tmp_path)]


def test_merge_keys_are_read_where_the_service_reads_them(tmp_path: Path) -> None:
    """GitHub Actions refuses YAML merge keys; CircleCI, GitLab and Travis merge them
    (numpy's .circleci/config.yml was wrongly reported as a workflow that does not run)."""
    (tmp_path / ".circleci").mkdir()
    (tmp_path / ".circleci" / "config.yml").write_text(
        "version: 2.1\n"
        "defaults: &defaults\n  docker:\n    - image: cimg/python:3.12\n"
        "jobs:\n  docs:\n    <<: *defaults\n    steps:\n      - checkout\n"
    )
    model = read_ci(tmp_path)
    assert not [p for p in model.problems if "merge key" in p.message]
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "w.yml").write_text(
        "on: push\nx: &x\n  runs-on: windows-latest\njobs:\n  a:\n    <<: *x\n    steps: []\n"
    )
    assert [p.path for p in read_ci(tmp_path).problems if "merge key" in p.message] == [
        ".github/workflows/w.yml"
    ]
