"""The verdict on a scan: what blocks a win_arm64 wheel, per area and in one sentence."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from analyzer.scan import scan
from analyzer.verdict import judge
from tests.clirun import run
from tests.paths import FIXTURES


def test_code_blocked_names_the_places_and_the_step() -> None:
    verdict = judge(scan(FIXTURES / "builds" / "setuptools"))
    code = verdict.area("code")
    assert code.state == "blocked"
    assert any(place.startswith("WOA102 src/fast64.c:") for place in code.findings)
    assert verdict.area("build").state == "ok"
    assert verdict.area("ci").state == "unknown"  # no CI in the tree
    assert verdict.overall.startswith("build is ARM64-clean; port the x86-only code")


def test_a_missing_windows_arm64_job_is_the_whole_verdict() -> None:
    verdict = judge(scan(FIXTURES / "rules" / "WOA601" / "bad_macos_arm64"))
    assert verdict.area("ci").state == "blocked"
    assert "job 'build_wheels' in .github/workflows/wheels.yml" in verdict.overall
    assert verdict.area("code").state == "ok"


def test_warnings_and_build_dependent_findings_are_unknown_not_blocked() -> None:
    result = scan(FIXTURES / "guards" / "project_macro")
    assert result.findings and all(f.confidence.value == "low" for f in result.findings)
    verdict = judge(result)
    assert verdict.area("code").state == "unknown"
    assert "nothing blocks for certain" in verdict.overall


def test_a_vendored_projects_workflow_does_not_decide_ci(tmp_path: Path) -> None:
    # Only the tree's own .github/ builds this package's wheels.
    workflows = tmp_path / "vendor_lib" / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "wheels.yml").write_text(
        (FIXTURES / "rules" / "WOA601" / "bad" / ".github" / "workflows" / "wheels.yml").read_text()
    )
    verdict = judge(scan(tmp_path))
    assert verdict.area("ci").state == "unknown"


def test_external_libraries_are_a_dependency_question() -> None:
    result = replace(scan(FIXTURES / "builds" / "cmake"), external_libraries=("rdkafka",))
    verdict = judge(result)
    assert verdict.area("dependencies").state == "unknown"
    assert "rdkafka" in verdict.area("dependencies").reasons[0]
    assert "external libraries" in verdict.overall


def test_every_report_carries_the_verdict() -> None:
    project = str(FIXTURES / "builds" / "setuptools")
    _, text = run("scan", project)
    assert text.startswith("Verdict: build is ARM64-clean")
    _, out = run("scan", project, "--json", "-")
    assert json.loads(out)["verdict"]["areas"]["code"]["state"] == "blocked"
    _, out = run("scan", project, "--sarif", "-")
    assert json.loads(out)["runs"][0]["properties"]["verdict"]["areas"]["build"]["state"] == "ok"
    _, out = run("scan", project, "--markdown", "-")
    assert "**Verdict:** build is ARM64-clean" in out


def test_ci_outside_github_actions_counts(tmp_path: Path) -> None:
    (tmp_path / "fast.c").write_text("int x;\n")
    appveyor = "image: Visual Studio 2022\nenvironment:\n  matrix:\n    - ARCH: x64\n"
    wheels = "build_script:\n  - cmake -A x64 .\n  - python -m pip wheel . -w wheelhouse\n"
    (tmp_path / "appveyor.yml").write_text(appveyor + wheels)
    verdict = judge(scan(tmp_path))
    assert verdict.area("ci").state == "blocked"
    assert "WOA620 appveyor.yml:4" in verdict.area("ci").findings
    assert "job 'build' in appveyor.yml" in verdict.overall
    # A vendored project's CI is not this project's.
    (tmp_path / "appveyor.yml").rename(tmp_path / "vendored.yml")
    (tmp_path / "third_party" / "lib").mkdir(parents=True)
    (tmp_path / "vendored.yml").rename(tmp_path / "third_party" / "lib" / "appveyor.yml")
    assert judge(scan(tmp_path)).area("ci").state == "unknown"
    # An ARM64 row makes it fine; the CI file is counted.
    gitlab = "build:\n  tags: [windows]\n  variables:\n    ARCH: x64\n"
    (tmp_path / ".gitlab-ci.yml").write_text(
        gitlab + "  parallel:\n    matrix:\n      - ARCH: [x64, ARM64]\n"
    )
    ci = judge(scan(tmp_path)).area("ci")
    assert ci.state == "ok" and ci.reasons == ("1 CI file(s): none misses a Windows ARM64 build",)


def test_a_subfolder_of_a_repository_keeps_its_own_ci() -> None:
    """Paths are reported from the repository root, so a project in a subfolder has its
    workflows at SUB/.github/...: they are still the project's own CI."""
    _, text = run("scan", str(FIXTURES / "rules" / "WOA620" / "bad_github_script"))
    ci_line = next(line for line in text.splitlines() if line.startswith("  ci "))
    assert "blocked" in ci_line and "bad_github_script/.github/workflows/wheels.yml:4" in ci_line


def test_a_folder_inside_a_repository_is_not_told_about_sdists(tmp_path: Path) -> None:
    """Issue 27, item 2: scanning a folder of a checkout (its CI at the repository's root)
    says so, not that "an sdist rarely ships .github/"; the root itself is judged on its
    own CI, and a folder outside any repository still gets the sdist advice."""
    import shutil

    shutil.copytree(FIXTURES / "rules" / "WOA101", tmp_path / "outside")
    (tmp_path / "checkout" / ".git").mkdir(parents=True)
    shutil.copytree(FIXTURES / "rules" / "WOA101", tmp_path / "checkout" / "pkg")
    folder = judge(scan(tmp_path / "checkout" / "pkg")).area("ci").reasons[0]
    root = judge(scan(tmp_path / "checkout")).area("ci").reasons[0]
    outside = judge(scan(tmp_path / "outside")).area("ci").reasons[0]
    assert "this folder of a repository" in folder and "sdist" not in folder
    assert root.startswith("no CI configuration in this repository")
    assert "an sdist rarely ships .github/" in outside
