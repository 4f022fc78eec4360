"""The static build model on fixture projects: per model, which sources are compiled,
which probes fail, which macros the build defines; and the scan's findings there."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from analyzer.buildmodel.plan import BuildPlan
from analyzer.project import plan_of as project_plan
from analyzer.scan import ScanOptions, scan
from analyzer.tri import MAYBE
from tests.clirun import run
from tests.kinds.test_fixtures import expected
from tests.paths import FIXTURES

PROJECTS = sorted(p.parent for p in (FIXTURES / "builds").glob("*/plan.json"))


def plan_of(root: Path) -> BuildPlan:
    plan = project_plan(root)
    assert plan is not None, f"{root.name}: no build model"
    return plan


@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: p.name)
def test_plan_matches_expectations(project: Path) -> None:
    plan = plan_of(project)
    wanted: dict[str, dict[str, Any]] = json.loads((project / "plan.json").read_text())
    compiled = plan.compiled()
    for model, expect in wanted.items():
        complete = model in plan.complete_on

        def value(path: str, model: str = model, complete: bool = complete) -> object:
            listed = compiled.get(path)
            if listed is None:
                return 0 if complete else "unlisted"
            return listed.get(model)

        for path in expect.get("compiled", []):
            assert value(path) == 1, f"{model}: {path} should be compiled"
        for path in expect.get("not_compiled", []):
            assert value(path) == 0, f"{model}: {path} should not be compiled"
        for path in expect.get("maybe", []):
            assert value(path) is MAYBE, f"{model}: {path} should be unknown"
        for path in expect.get("unlisted", []):
            assert value(path) == "unlisted", f"{model}: {path} should be unlisted"
        if "probes_fail" in expect:
            failing = [p for p in plan.probes if dict(p.compiles).get(model) == 0]
            assert len(failing) == expect["probes_fail"], f"{model}: {[p.what for p in failing]}"
        for name, defined in expect.get("macros", {}).items():
            assert plan.macro_values()[name][model] == defined, f"{model}: macro {name}"
        if "probe_files" in expect:
            assert sorted(plan.probe_files) == sorted(expect["probe_files"])


def _annotated(project: Path) -> list[Path]:
    return sorted(p for p in project.rglob("*") if p.suffix in (".c", ".cpp", ".h", ".rs"))


@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: p.name)
def test_scan_findings_match_annotations(project: Path) -> None:
    actual: dict[str, Counter[tuple[int, str, str]]] = {}
    for f in scan(project).findings:
        actual.setdefault(f.location.path, Counter())[(f.location.line, f.rule_id, f.confidence.value)] += 1
    for path in _annotated(project):
        rel = path.relative_to(project).as_posix()
        assert actual.get(rel, Counter()) == expected(path), rel


def test_without_the_build_model_the_x86_only_sources_are_reported() -> None:
    # The same trees, each file judged alone: what the build model removes.
    project = FIXTURES / "builds" / "setuptools"
    with_model = {f.location.path for f in scan(project).findings}
    without = {f.location.path for f in scan(project, ScanOptions(build_model=False)).findings}
    assert {"src/cpu_x86.c", "src/aesni.c", "src/unused.c"} <= without
    assert not {"src/cpu_x86.c", "src/aesni.c", "src/unused.c"} & with_model
    assert "src/fast64.c" in with_model  # compiled on ARM64: a real blocker stays


def test_probe_sources_are_not_package_code() -> None:
    result = scan(FIXTURES / "builds" / "meson")
    assert not [f for f in result.findings if f.location.path.startswith("checks/")]
    assert any("build probe" in key for key in result.skipped)


def test_the_build_macro_decides_a_guarded_path() -> None:
    # USE_SSE2 is defined only when the SSE2 test program compiles: never on ARM64, so
    # core.c's SSE2 branch is not compiled there (no WOA101/WOA102 on it).
    result = scan(FIXTURES / "builds" / "setuptools", ScanOptions(targets=("msvc-arm64",)))
    core = [f.rule_id for f in result.findings if f.location.path == "src/core.c"]
    assert core == ["WOA160"]


def test_build_plan_command_text_and_json() -> None:
    code, out = run("build-plan", str(FIXTURES / "builds" / "cmake"), "--target", "msvc-arm64")
    assert code == 0
    assert "cmake build" in out
    assert "not compiled  _demo: src/cpuinfo.cpp" in out  # avx2.cpp: never even listed
    assert "probe fails   CMakeLists.txt:8 check_c_source_compiles(HAVE_AVX2)" in out
    code, out = run("build-plan", str(FIXTURES / "builds" / "cmake"), "--json", "-")
    assert code == 0
    payload = json.loads(out)
    assert payload["schema"] == "woaport-build-plan/1"
    arm64 = payload["models"]["msvc-arm64"]
    assert arm64["sources"]["compiled"]["_demo"] == ["src/core.cpp", "src/extra/util.cpp"]
    assert arm64["probes"][0]["compiles"] == 0
    assert arm64["targets"]["_demo"] == {
        "libraries": ["ws2_32"],
        "compile_args": ["-DDEMO_BUILD=1", "/W3"],
        "link_args": [],
    }
    # /W3 is added under if(MSVC); the definition is for every model.
    assert payload["models"]["mingw-arm64"]["targets"]["_demo"]["compile_args"] == ["-DDEMO_BUILD=1"]


def test_build_plan_command_without_a_build_and_with_bad_input(tmp_path: Path) -> None:
    (tmp_path / "a.c").write_text("int x;\n")
    code, out = run("build-plan", str(tmp_path))
    assert code == 0 and "no build model" in out
    code, out = run("build-plan", str(tmp_path / "missing"))
    assert code != 0 and "Traceback" not in out
    code, out = run("build-plan", str(tmp_path), "--target", "nope")
    assert code == 2


def test_scan_no_build_model_flag_judges_each_file_alone() -> None:
    project = str(FIXTURES / "builds" / "setuptools")
    _, with_model = run("scan", project, "--json", "-")
    _, without = run("scan", project, "--no-build-model", "--json", "-")
    paths = {f["path"] for f in json.loads(with_model)["findings"]}
    alone = {f["path"] for f in json.loads(without)["findings"]}
    assert not any(p.endswith("src/cpu_x86.c") for p in paths)
    assert any(p.endswith("src/cpu_x86.c") for p in alone)


def test_modules_setup_py_imports_are_read_by_the_setup_py_rules(tmp_path: Path) -> None:
    # zstandard 0.23.0: the distutils build_ext sits in setup_zstd.py, which setup.py imports.
    (tmp_path / "setup.py").write_text(
        "from setuptools import Extension, setup\nimport setup_zstd\n"
        "setup(cmdclass={'build_ext': setup_zstd.Build}, ext_modules=[Extension('m', ['m.c'])])\n"
    )
    (tmp_path / "setup_zstd.py").write_text(
        "import distutils.command.build_ext\n\n"
        "class Build(distutils.command.build_ext.build_ext):\n    pass\n"
    )
    (tmp_path / "m.c").write_text("int m;\n")
    found = [(f.location.path, f.rule_id) for f in scan(tmp_path).findings]
    assert found == [("setup_zstd.py", "WOA553")]
    # zstandard 0.24.0: setup.py itself honours SETUPTOOLS_EXT_SUFFIX, so the pair is fine.
    (tmp_path / "setup.py").write_text(
        "import os\nfrom setuptools import Extension, setup\nimport setup_zstd\n"
        "suffix = os.environ.get('SETUPTOOLS_EXT_SUFFIX')\n"
        "setup(cmdclass={'build_ext': setup_zstd.Build}, ext_modules=[Extension('m', ['m.c'])])\n"
    )
    assert [f for f in scan(tmp_path).findings if f.rule_id == "WOA553"] == []
