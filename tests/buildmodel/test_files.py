"""Build and CI rules: the parts fixtures do not pin down on their own: unparseable
files, suppressions, block guards in CMake/meson, TOML key lines, monorepo workflows."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from analyzer.buildfiles import analyze_build_file
from analyzer.buildmodel.parse import project_context, toml_key_line
from analyzer.buildmodel.textual import guarded_lines
from analyzer.model import Language, Severity
from analyzer.rules import default_rules
from analyzer.scan import ScanOptions, scan

RULES = default_rules()
WINDOWS_CIBW_JOB = (
    "jobs:\n  wheels:\n    runs-on: windows-latest\n    steps:\n      - uses: pypa/cibuildwheel@v3\n"
)
ALL = frozenset({"msvc-arm64", "clang-cl-arm64", "mingw-arm64", "arm64ec"})


MESON_PYPROJECT = '[build-system]\nrequires = ["meson-python"]\nbuild-backend = "mesonpy"\n'


def ids(rel: str, language: Language, text: str) -> list[tuple[str, int]]:
    found, _ = analyze_build_file(rel, language, text, RULES, ALL)
    return [(f.rule_id, f.location.line) for f in found]


def test_unparseable_build_files_warn_and_the_scan_goes_on(tmp_path: Path) -> None:
    (tmp_path / "setup.py").write_text("ext = Extension('m', extra_compile_args=['-mavx2']\n")  # no ")"
    (tmp_path / "pyproject.toml").write_text("[tool.cibuildwheel.windows\narchs = ['AMD64']\n")
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "w.yml").write_text("jobs:\n  a: [unclosed\n")
    (tmp_path / "CMakeLists.txt").write_text("add_compile_options(-mavx2)\n")
    result = scan(tmp_path, ScanOptions())
    messages = {w.path: w.message for w in result.warnings}
    assert "cannot parse as Python" in messages["setup.py"]
    assert "cannot parse as TOML" in messages["pyproject.toml"]
    assert "cannot parse as YAML" in messages[".github/workflows/w.yml"]
    assert [(f.rule_id, f.location.path) for f in result.findings] == [("WOA511", "CMakeLists.txt")]


def test_suppression_comments_work_in_build_files() -> None:
    text = "add_compile_options(-mavx2)  # woaport: ignore[WOA511]\n# woaport: ignore\nset(F -msse4.2)\n"
    assert ids("CMakeLists.txt", Language.CMAKE, text) == []
    assert ids("CMakeLists.txt", Language.CMAKE, "set(F -msse4.2)\n") == [("WOA511", 1)]


def test_cmake_and_meson_block_guards() -> None:
    guard = re.compile(r"(?i)\bx86_64\b")
    cmake = [
        'if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64")',
        "  x86 line",  # 2: guarded
        "  if(MSVC)",
        "    nested x86 line",  # 4: guarded through the outer if
        "  endif()",
        "else()",
        "  other line",  # 7: not guarded
        "endif()",
        "after",  # 9
    ]
    assert guarded_lines(cmake, Language.CMAKE, guard) == {2, 4}
    meson = ["if cpu == 'aarch64'", "  neon", "elif cpu == 'x86_64'", "  sse", "endif"]
    assert guarded_lines(meson, Language.MESON, guard) == {4}


def test_toml_key_line_finds_tables_and_dotted_keys() -> None:
    lines = ["[project]", 'name = "x"', "[tool.cibuildwheel]", 'windows.archs = ["AMD64"]']
    assert toml_key_line(lines, ["tool", "cibuildwheel", "windows", "archs"]) == 4
    lines = ["[tool.cibuildwheel.windows]", "# archs below", 'archs = ["AMD64"]']
    assert toml_key_line(lines, ["tool", "cibuildwheel", "windows", "archs"]) == 3


def test_workflow_counterpart_comes_from_the_projects_pyproject() -> None:
    workflow = WINDOWS_CIBW_JOB
    found, _ = analyze_build_file(".github/workflows/w.yml", Language.WORKFLOW, workflow, RULES, ALL)
    assert [f.rule_id for f in found] == ["WOA601"]
    arm = project_context('[tool.cibuildwheel.windows]\narchs = ["AMD64", "ARM64"]\n')
    found, _ = analyze_build_file(".github/workflows/w.yml", Language.WORKFLOW, workflow, RULES, ALL, arm)
    assert found == []


def test_monorepo_member_workflow_uses_its_own_pyproject(tmp_path: Path) -> None:
    for member, archs in (("a", '["AMD64", "ARM64"]'), ("b", '["AMD64"]')):
        (tmp_path / member / ".github" / "workflows").mkdir(parents=True)
        (tmp_path / member / ".github" / "workflows" / "w.yml").write_text(WINDOWS_CIBW_JOB)
        (tmp_path / member / "pyproject.toml").write_text(f"[tool.cibuildwheel.windows]\narchs = {archs}\n")
    result = scan(tmp_path, ScanOptions())
    assert sorted((f.rule_id, f.location.path) for f in result.findings) == [
        ("WOA601", "b/.github/workflows/w.yml"),
        ("WOA610", "b/pyproject.toml"),
    ]


def test_fortran_is_reported_once_per_tree(tmp_path: Path) -> None:
    for name in ("a.f", "b.f90", "sub/c.F"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("      end\n")
    result = scan(tmp_path, ScanOptions())
    assert [(f.rule_id, f.location.path) for f in result.findings] == [("WOA540", "a.f")]
    assert "3 file(s), e.g. a.f" in result.findings[0].message


def test_no_wheel_ci_needs_a_checkout_to_tell(tmp_path: Path) -> None:
    """An sdist ships no .github/: "no wheel CI" is only said of a checkout (a .git, or
    workflows at the project root; workflows of vendored code do not count)."""
    (tmp_path / "pkg" / "src").mkdir(parents=True)
    (tmp_path / "pkg" / "src" / "a.c").write_text("int a;\n")
    (tmp_path / "pkg" / "pyproject.toml").write_text('[project]\nname = "a"\n')
    vendored_ci = tmp_path / "pkg" / "deps" / "lib" / ".github" / "workflows"
    vendored_ci.mkdir(parents=True)
    (vendored_ci / "ci.yml").write_text(
        "on: [push]\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps: []\n"
    )
    assert not [f for f in scan(tmp_path / "pkg", ScanOptions()).findings if f.rule_id == "WOA604"]
    (tmp_path / "pkg" / ".git").mkdir()
    found = [f for f in scan(tmp_path / "pkg", ScanOptions()).findings if f.rule_id == "WOA604"]
    assert [f.location.path for f in found] == ["pyproject.toml"]
    assert "(1 native source file(s))" in found[0].message


def test_every_setup_py_rule_shares_one_walk_of_the_tree(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 27, item 1: the setup.py rules (py_string, py_compare) read one walk of the
    parsed file; each used to walk the whole tree again, up to three times. Their
    findings on the fixtures stay as they were (test_fixtures)."""
    import ast

    text = (
        "import platform\nfrom setuptools import Extension, setup\n"
        "args = ['-mavx2'] if platform.machine() == 'AMD64' else []\n"
        "setup(ext_modules=[Extension('m', ['m.c'], extra_compile_args=['/arch:AVX2'])])\n"
    )
    walked: list[str] = []
    real_walk = ast.walk

    def counting(node: ast.AST) -> Iterator[ast.AST]:
        if isinstance(node, ast.Module):
            walked.append("whole tree")
        return real_walk(node)

    monkeypatch.setattr(ast, "walk", counting)
    found = ids("setup.py", Language.SETUP_PY, text)
    assert found and walked == ["whole tree"], (found, walked)


def test_a_computed_build_value_is_reported_where_it_is_decided(tmp_path: Path) -> None:
    """Issue 25, item 4: "-A x64" computed from ``arch = "x64" if sys.maxsize > 2**32``
    is reported on that line (the test ARM64 also passes), not at the call using it; when
    the word is written in more than one place, the call's line is kept."""
    call = 'subprocess.check_call(["cmake", "-S", ".", "-B", "b", "-A", arch])\n'
    head = "import subprocess, sys\nfrom setuptools import Extension, setup\n"
    tail = 'setup(ext_modules=[Extension("m", ["m.c"])])\n'
    decided = 'arch = "x64" if sys.maxsize > 2**32 else "Win32"\n'
    (tmp_path / "m.c").write_text("int m;\n")
    (tmp_path / "setup.py").write_text(head + decided + call + tail)
    lines = [(f.rule_id, f.location.line) for f in scan(tmp_path, ScanOptions()).findings]
    assert ("WOA505", 3) in lines and ("WOA505", 4) not in lines
    twice = 'NAMES = ["x64"]\narch = "x64" if sys.maxsize > 2**32 else "Win32"\n'
    (tmp_path / "setup.py").write_text(head + twice + call + tail)
    lines = [(f.rule_id, f.location.line) for f in scan(tmp_path, ScanOptions()).findings]
    assert ("WOA505", 5) in lines  # ambiguous: the call


@pytest.mark.parametrize(
    ("runner", "severity", "said"),
    [
        # cibuildwheel on an x64 runner building ARM64: the module would be misnamed.
        ("windows-latest", Severity.WARNING, "cross-compiled by CI: .github/workflows/w.yml:3 job 'wheels'"),
        # Built on an ARM64 runner: the running Python is ARM64's; only a note.
        ("windows-11-arm", Severity.NOTE, "every win_arm64 build in the CI runs on an ARM64 runner"),
        (None, Severity.NOTE, "no CI job in the tree cross-compiles it"),  # an sdist: no CI
    ],
)
def test_a_cross_compile_only_rule_belongs_to_the_jobs_that_cross_compile(
    tmp_path: Path, runner: str | None, severity: Severity, said: str
) -> None:
    """WOA553 (distutils' build_ext names the module from the running Python) bites only
    when the win_arm64 wheel is built by x64 Python: brotli ships win_arm64 wheels."""
    (tmp_path / "setup.py").write_text(
        "from setuptools import setup, Extension\n"
        "from distutils.command.build_ext import build_ext\n"
        "setup(ext_modules=[Extension('m', ['m.c'])], cmdclass={'build_ext': build_ext})\n"
    )
    (tmp_path / "m.c").write_text("int m;\n")
    if runner is not None:
        workflows = tmp_path / ".github" / "workflows"
        workflows.mkdir(parents=True)
        (workflows / "w.yml").write_text(
            f"on: [push]\njobs:\n  wheels:\n    runs-on: {runner}\n    steps:\n"
            "      - uses: pypa/cibuildwheel@v3\n        env:\n          CIBW_ARCHS_WINDOWS: ARM64\n"
        )
    (finding,) = [f for f in scan(tmp_path).findings if f.rule_id == "WOA553"]
    assert finding.severity is severity and said in finding.message


def test_branch_body_is_the_branch_up_to_its_next_arm_nested_blocks_included() -> None:
    from analyzer.buildmodel.parse import branch_body

    meson = [
        "if a",  # 1
        "  x = 1",
        "  if b",
        "    y = 2",
        "  endif",
        "elif c",  # 6
        "  z = 3",
        "else",
        "  w = 4",
        "endif",
    ]
    assert branch_body(meson, Language.MESON, 1) == ["  x = 1", "  if b", "    y = 2", "  endif"]
    assert branch_body(meson, Language.MESON, 6) == ["  z = 3"]
    assert branch_body(meson, Language.MESON, 2) is None  # not a branch opener
    cmake = ["if(X86)", "  set(SRC a.c)", "elseif(ARM)", "endif()"]
    assert branch_body(cmake, Language.CMAKE, 1) == ["  set(SRC a.c)"]


MESON_ROOT = (
    "project('p', 'c')\n{enter}\npy = import('python').find_installation()\npy.extension_module('m', 'm.c')\n"
)
X86_LADDER = "sources = []\nif host_machine.cpu_family() == 'x86_64'\n  sources += ['simd_sse2.c']\nendif\n"


@pytest.mark.parametrize(
    ("enter", "flagged"),
    [
        ("subdir('simd')", True),
        # Only text knows no such guard: the model evaluates the variable per model.
        ("off_windows = host_machine.system() != 'windows'\nif off_windows\n  subdir('simd')\nendif", False),
    ],
)
def test_a_meson_file_the_model_never_enters_on_windows_is_not_flagged(
    tmp_path: Path, enter: str, flagged: bool
) -> None:
    """Issue 28: meson's per-line record decides, as CMake's does (WOA520 on a cpu_family
    ladder in a folder only non-Windows builds enter is not a Windows on Arm finding)."""
    (tmp_path / "pyproject.toml").write_text(MESON_PYPROJECT)
    (tmp_path / "m.c").write_text("int m;\n")
    (tmp_path / "meson.build").write_text(MESON_ROOT.format(enter=enter))
    (tmp_path / "simd").mkdir()
    (tmp_path / "simd" / "meson.build").write_text(X86_LADDER)
    found = [(f.rule_id, f.location.path) for f in scan(tmp_path, ScanOptions(jobs=1)).findings]
    assert (("WOA520", "simd/meson.build") in found) is flagged
