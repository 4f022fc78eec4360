"""woaport fix on repositories the tests write: the patch applies with git apply, the
targeted findings disappear and none appear, a second run changes nothing, unrelated
bytes stay, unparseable files are left alone with a message, --apply is careful."""

from __future__ import annotations

import importlib.resources
import json
import subprocess
from collections import Counter
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from ruamel.yaml import YAML

from analyzer.cli import main
from analyzer.scan import ScanOptions, scan

WORKFLOW = """\
# Wheels for every platform.   (comments, anchors and odd spacing must survive)
name: wheels
on:
  push:
    branches: [main]
env: &common
  PIP_NO_CACHE_DIR: "1"
jobs:
  wheels:
    name: Build wheels on ${{ matrix.os }}
    runs-on: ${{ matrix.os }}
    strategy:
      fail-fast: false
      matrix:
        os:
          - ubuntu-latest      # Linux
          - windows-latest     # Windows x64
          - macos-14
    steps:
      - uses: actions/checkout@v4
      - name: Build
        uses: pypa/cibuildwheel@v3.1
        env: *common
  single:
    runs-on: windows-2022
    steps:
      - uses: pypa/cibuildwheel@v3.1
        with:
          output-dir: wheelhouse
  rust:
    runs-on: windows-latest
    strategy:
      matrix:
        target: [x64, x86]
    steps:
      - uses: PyO3/maturin-action@v1
        with:
          target: ${{ matrix.target }}
"""

PYPROJECT = """\
[project]
name = "fast"   # the name
version = "1.0"

[tool.cibuildwheel.windows]
# x64 and x86 only, for now
archs = ["AMD64",  "x86"]
"""

SETUP_PY = '''\
"""Build script."""
import sys
from setuptools import Extension, setup

COMMON = ["-O3", "-mavx2"]
if sys.platform == "win32":
    COMMON = ["/O2", "/arch:AVX2"]

setup(ext_modules=[Extension("fast", ["src/fast.c"], extra_compile_args=COMMON + ["-msse4.2"])])
'''

CMAKE = """\
cmake_minimum_required(VERSION 3.15)
project(fast C)
add_compile_options(-O2 -mavx2)   # speed
if(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64|arm64")
  set(FAST_NEON ON)
endif()
"""

C_SOURCE = """\
#if defined(__aarch64__)   /* NEON path */
#  include <arm_neon.h>
#elif defined(__SSE2__) || defined(_M_X64)
#  include <emmintrin.h>
#else
#  error "unsupported architecture"
#endif

#ifdef _WIN64
#include <intrin.h>
static int cpu(void) { int r[4]; __cpuid(r, 0); return r[0]; }
#endif
"""


def git(repo: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "-C", str(repo), *args], input=stdin, capture_output=True, text=True, check=False
    )


def make_repo(root: Path, broken: bool = False) -> Path:
    (root / ".github" / "workflows").mkdir(parents=True)
    (root / ".github" / "workflows" / "wheels.yml").write_text(WORKFLOW)
    (root / "pyproject.toml").write_text(PYPROJECT)
    (root / "setup.py").write_text(SETUP_PY)
    (root / "CMakeLists.txt").write_text(CMAKE)
    (root / "src").mkdir()
    (root / "src" / "fast.c").write_text(C_SOURCE)
    if broken:
        (root / ".github" / "workflows" / "broken.yml").write_text("jobs:\n  wheels: [unclosed\n")
    for args in (
        ("init", "-q"),
        ("add", "-A"),
        ("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x"),
    ):
        assert git(root, *args).returncode == 0
    return root


def findings(root: Path) -> Counter[tuple[str, str]]:
    return Counter((f.location.path, f.rule_id) for f in scan(root, ScanOptions()).findings)


def fix(root: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["fix", str(root), *args])
    return result.exit_code, result.stdout, result.stderr


TARGETED = {
    (".github/workflows/wheels.yml", "WOA601"),
    (".github/workflows/wheels.yml", "WOA603"),
    ("pyproject.toml", "WOA610"),
    ("setup.py", "WOA501"),
    ("setup.py", "WOA502"),
    ("CMakeLists.txt", "WOA510"),
    ("CMakeLists.txt", "WOA511"),
    ("src/fast.c", "WOA130"),
    ("src/fast.c", "WOA140"),
}


def test_patch_applies_removes_findings_and_is_idempotent(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    before = findings(repo)
    assert set(before) >= TARGETED, sorted(set(before))
    code, patch, summary = fix(repo, "--diff")
    assert code == 0 and "file(s) changed" in summary
    assert git(repo, "apply", "--check", "-", stdin=patch).returncode == 0
    assert git(repo, "apply", "-", stdin=patch).returncode == 0
    after = findings(repo)
    assert not (TARGETED & set(after)), sorted(TARGETED & set(after))
    assert all(after[k] <= before[k] for k in after), "the fix introduced findings"
    assert fix(repo, "--diff")[1] == ""  # a second run changes nothing
    # Unrelated bytes: comments, anchors, spacing, other jobs.
    workflow = (repo / ".github" / "workflows" / "wheels.yml").read_text()
    assert workflow.startswith("# Wheels for every platform.   (comments")
    assert "env: &common" in workflow and "env: *common" in workflow
    assert (
        "          - windows-latest     # Windows x64\n          - macos-14\n          - windows-11-arm\n"
        in workflow
    )
    assert "        target: [x64, x86, aarch64]\n" in workflow
    assert (
        "      - uses: pypa/cibuildwheel@v3.1\n        env:\n          CIBW_ARCHS_WINDOWS: auto ARM64\n"
        in workflow
    )
    pyproject = (repo / "pyproject.toml").read_text()
    # tomlkit keeps the file and follows the array's own spacing.
    assert pyproject == PYPROJECT.replace('["AMD64",  "x86"]', '["AMD64",  "x86",  "ARM64"]')
    source = (repo / "src" / "fast.c").read_text()
    assert source.startswith("#if (defined(__aarch64__) || defined(_M_ARM64))   /* NEON path */\n")
    assert "#if (defined(_WIN64)) && (defined(_M_X64)" in source
    # The edited workflow is still a valid GitHub Actions workflow (schema from check-jsonschema).
    schema_text = importlib.resources.files("check_jsonschema").joinpath(
        "builtin_schemas/vendor/github-workflows.json"
    )
    schema = json.loads(schema_text.read_text())
    document = json.loads(json.dumps(YAML(typ="safe").load(workflow)))
    jsonschema.validate(document, schema)


def test_unparseable_files_are_left_alone_and_the_rest_is_fixed(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", broken=True)
    (repo / "pyproject.toml").write_text("[tool.cibuildwheel.windows\narchs = ['AMD64']\n")
    (repo / "sub").mkdir()
    (repo / "sub" / "setup.py").write_text("flags = ['-mavx2'\n")  # unclosed: not Python
    code, patch, _ = fix(repo)
    assert code == 0
    assert "broken.yml" not in patch and "pyproject.toml" not in patch and "sub/setup.py" not in patch
    assert "a/setup.py" in patch and "src/fast.c" in patch
    scan_warnings = {w.path: w.message for w in scan(repo, ScanOptions()).warnings}
    assert "cannot parse as YAML" in scan_warnings[".github/workflows/broken.yml"]
    assert "cannot parse as TOML" in scan_warnings["pyproject.toml"]
    assert "cannot parse as Python" in scan_warnings["sub/setup.py"]


def test_apply_refuses_a_dirty_tree_unless_forced(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    (repo / "notes.txt").write_text("work in progress\n")
    code, _, err = fix(repo, "--apply")
    assert code == 2 and "uncommitted changes" in err
    assert (repo / "setup.py").read_text() == SETUP_PY
    code, _, err = fix(repo, "--apply", "--force")
    assert code == 0 and "fixed setup.py" in err
    assert "TARGET_IS_X86" in (repo / "setup.py").read_text()
    assert (repo / "notes.txt").read_text() == "work in progress\n"


def test_only_limits_the_kinds_of_fixes(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    _, patch, _ = fix(repo, "--only", "ci")
    changed = {line.split(" b/")[-1] for line in patch.splitlines() if line.startswith("diff --git")}
    assert changed == {".github/workflows/wheels.yml", "pyproject.toml"}
    assert fix(repo, "--only", "nonsense")[0] == 2


def test_symlinked_files_are_never_written(tmp_path: Path) -> None:
    outside = tmp_path / "outside.py"
    outside.write_text(SETUP_PY)
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "setup.py").symlink_to(outside)
    (repo / "CMakeLists.txt").write_text(CMAKE)
    code, _, _ = fix(repo, "--apply", "--force")
    assert code == 0
    assert outside.read_text() == SETUP_PY  # the walker never follows the link
    assert "if(CMAKE_SYSTEM_PROCESSOR" in (repo / "CMakeLists.txt").read_text()


def test_pull_request_text(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    code, text, _ = fix(repo, "--markdown", "-")
    assert code == 0
    assert text.startswith("## Build for Windows on Arm (ARM64)")
    assert "### Findings before and after (woaport)" in text
    assert "| WOA601 | 2 | 0 |" in text
    assert "### Still to do by hand" in text and "__cpuid" in text  # WOA110 has no safe fix
    assert "runs-on: windows-11-arm" in text


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("#ifdef __aarch64__", "#if (defined(__aarch64__) || defined(_M_ARM64))"),
        ("# if defined __ARM_NEON && FAST", "# if (defined(__ARM_NEON) || defined(_M_ARM64)) && FAST"),
        ("#elif defined(__aarch64__) // arm", "#elif (defined(__aarch64__) || defined(_M_ARM64)) // arm"),
    ],
)
def test_arm64_condition_widening(line: str, expected: str) -> None:
    from analyzer.fix.code import widen_arm64

    assert widen_arm64(line, "_M_ARM64") == expected


def test_unfixable_conditions_say_why() -> None:
    from analyzer.fix.code import widen_arm64
    from analyzer.fix.model import Unfixable

    with pytest.raises(Unfixable, match="not a defined"):
        widen_arm64("#if __ARM_ARCH >= 8", "_M_ARM64")
    with pytest.raises(Unfixable, match="several lines"):
        widen_arm64("#if defined(__aarch64__) && \\", "_M_ARM64")


def _workflow_schema() -> dict[str, object]:
    text = importlib.resources.files("check_jsonschema").joinpath(
        "builtin_schemas/vendor/github-workflows.json"
    )
    return dict(json.loads(text.read_text()))


def project_without_wheel_ci(repo: Path) -> Path:
    """A C extension whose only workflow is a lint job (WOA604's case)."""
    (repo / "src").mkdir(parents=True)
    (repo / "src" / "fast.c").write_text("int fast_add(int a, int b) { return a + b; }\n")
    (repo / "pyproject.toml").write_text('[project]\nname = "fast"\nversion = "1.0"\n')
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / ".github" / "workflows" / "lint.yml").write_text(
        "on: [push]\njobs:\n  lint:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo lint\n"
    )
    return repo


def test_project_without_wheel_ci_gets_a_windows_wheels_workflow(tmp_path: Path) -> None:
    repo = project_without_wheel_ci(tmp_path / "repo")
    for args in (
        ("init", "-q"),
        ("add", "-A"),
        ("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x"),
    ):
        assert git(repo, *args).returncode == 0
    assert findings(repo)[("pyproject.toml", "WOA604")] == 1
    code, patch, _ = fix(repo, "--only", "ci")
    assert (
        code == 0
        and "new file mode 100644\n--- /dev/null\n+++ b/.github/workflows/wheels-windows.yml" in patch
    )
    assert git(repo, "apply", "-", stdin=patch).returncode == 0
    created = (repo / ".github" / "workflows" / "wheels-windows.yml").read_text()
    jsonschema.validate(json.loads(json.dumps(YAML(typ="safe").load(created))), _workflow_schema())
    after = findings(repo)
    assert ("pyproject.toml", "WOA604") not in after
    assert not any(rule.startswith("WOA6") for _, rule in after)  # the new workflow is clean itself
    assert fix(repo, "--only", "ci")[1] == ""  # idempotent


WIDE_MULTIPLY = """\
#ifdef _WIN32
#include <intrin.h>
#endif
typedef unsigned long long u64;
u64 mul_hi(u64 a, u64 b) {
    u64 hi, lo = _umul128(a, b, &hi);
    return hi ^ lo;
}
int features(void) { int info[4]; __cpuid(info, 1); return info[2]; }
"""


def test_x64_intrinsic_with_exact_arm64_equivalent_gets_a_guarded_replacement(tmp_path: Path) -> None:
    import sys

    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "wide.c").write_text(WIDE_MULTIPLY)
    assert findings(repo)[("wide.c", "WOA110")] == 2  # _umul128 and __cpuid
    code, _, summary = fix(repo, "--apply", "--force")
    assert code == 0 and "1 finding(s) fixed" in summary and "1 left for manual work" in summary
    fixed = (repo / "wide.c").read_text()
    assert "#if defined(__aarch64__) && defined(__GNUC__)" in fixed and "__umulh((a), (b))" in fixed
    assert findings(repo)[("wide.c", "WOA110")] == 1  # only __cpuid is left, for manual work
    # Each branch compiles where it is meant to: zig's clang for mingw ARM64, Linux aarch64
    # and mingw x64 (the original branch).
    for target in ("aarch64-windows-gnu", "aarch64-linux-gnu", "x86_64-windows-gnu"):
        source = tmp_path / f"{target}.c"
        source.write_text(fixed.replace("int features(void)", "#if 0\nint features(void)") + "#endif\n")
        built = subprocess.run(
            [
                sys.executable,
                "-m",
                "ziglang",
                "cc",
                "-target",
                target,
                "-c",
                str(source),
                "-o",
                str(tmp_path / "o"),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        assert built.returncode == 0, (target, built.stderr)
    # The MSVC ARM64 branch: libclang with clang's own intrin.h, which declares __umulh.
    import clang.cindex as ci

    from analyzer.precise.clang import Toolchain

    toolchain = Toolchain.locate()
    unit = ci.Index.create().parse(
        str(repo / "wide.c"),
        args=[
            "--target=aarch64-pc-windows-msvc",
            "-fms-compatibility",
            "-fms-extensions",
            "-ffreestanding",
            "-isystem",
            str(toolchain.builtin_headers),
        ],
    )
    line = next(n for n, text in enumerate(fixed.splitlines(), 1) if "__umulh" in text)
    assert not [d.spelling for d in unit.diagnostics if d.location.line == line and d.severity >= 3]


def test_meson_checks_are_widened_only_when_the_branch_is_not_x86_code(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "sizes").mkdir(parents=True)
    (repo / "simd").mkdir()
    (repo / "sizes" / "meson.build").write_text(
        "# 64-bit only options\n"
        "if host_machine.cpu_family() == 'x86_64'\n"
        "  add_project_arguments('-DBIG_TABLES', language: 'c')\n"
        "endif\n"
    )
    (repo / "simd" / "meson.build").write_text(
        "if host_machine.cpu_family() == 'x86_64'\n  sources += ['kernel_sse2.c']\nendif\n"
    )
    assert findings(repo)[("sizes/meson.build", "WOA520")] == 1
    code, _, summary = fix(repo, "--apply", "--force")
    assert code == 0 and "1 finding(s) fixed" in summary and "1 left for manual work" in summary
    assert (
        "if host_machine.cpu_family() in ['x86_64', 'aarch64']\n"
        in (repo / "sizes" / "meson.build").read_text()
    )
    assert (
        (repo / "simd" / "meson.build").read_text().startswith("if host_machine.cpu_family() == 'x86_64'\n")
    )
    after = findings(repo)
    assert ("sizes/meson.build", "WOA520") not in after and ("simd/meson.build", "WOA520") in after
    _, text, _ = fix(repo, "--markdown", "-")
    assert "simd/meson.build:1` WOA520" in text and "add an aarch64 branch with the NEON equivalent" in text


def test_text_output_lists_the_manual_work(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "wide.c").write_text(WIDE_MULTIPLY)  # _umul128 is fixed, __cpuid is manual work
    result = CliRunner().invoke(main, ["fix", str(repo)])
    assert result.exit_code == 0
    assert "manual: wide.c:9 WOA110: no exact ARM64 equivalent to substitute automatically" in result.stderr
    assert "1 left for manual work" in result.stderr


def test_unparseable_files_are_reported_and_no_workflow_is_added_beside_a_broken_one(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / "src").mkdir()
    (repo / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "1"\n')
    (repo / "src" / "a.c").write_text("int f(void) { return 0; }\n")
    (repo / ".github" / "workflows" / "broken.yml").write_text("jobs:\n  wheels: [unclosed\n")
    (repo / "setup.py").write_text('flags = ["-mavx2"\n')
    result = CliRunner().invoke(main, ["fix", str(repo)])
    assert result.exit_code == 0 and result.stdout == ""  # no patch at all
    said = result.stderr
    assert "warning: .github/workflows/broken.yml: left alone: cannot parse as YAML" in said
    assert "warning: setup.py: left alone: cannot parse as Python" in said
    assert "manual: pyproject.toml:1 WOA604: .github/workflows/broken.yml cannot be parsed" in said
    (repo / ".github" / "workflows" / "broken.yml").write_text("name: lint\non: [push]\njobs: {}\n")
    repaired = CliRunner().invoke(main, ["fix", str(repo)])
    assert "wheels-windows.yml" in repaired.stdout  # once the workflow reads, the fix is offered


def test_a_read_only_file_is_left_alone(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "CMakeLists.txt").write_text(CMAKE)
    (repo / "CMakeLists.txt").chmod(0o444)
    result = CliRunner().invoke(main, ["fix", str(repo), "--apply", "--force"])
    assert result.exit_code == 0
    assert "CMakeLists.txt: left alone: the file is read-only" in result.stderr
    assert (repo / "CMakeLists.txt").read_text() == CMAKE


@pytest.mark.parametrize(
    ("extra", "needed"),
    [
        (
            {
                "setup.py": "from setuptools import Extension, setup\n"
                "setup(ext_modules=[Extension('fast', ['src/fast.c'], libraries=['rdkafka'])])\n"
            },
            "ARM64 Windows builds of rdkafka (linked, not in the tree)",
        ),
        (
            {".gitmodules": '[submodule "zstd"]\n\tpath = vendor/zstd\n\turl = https://example.org/zstd\n'},
            "the git submodules (.gitmodules) checked out and built for ARM64",
        ),
        (
            {"build_wheels.bat": 'cmake -G "Visual Studio 17 2022" -A x64 ..\n'},
            "the build script(s) build_wheels.bat ported to ARM64",
        ),
    ],
)
def test_a_new_wheel_workflow_is_offered_only_for_a_self_contained_build(
    tmp_path: Path, extra: dict[str, str], needed: str
) -> None:
    repo = project_without_wheel_ci(tmp_path / "repo")
    for rel, text in extra.items():
        (repo / rel).write_text(text)
    assert findings(repo)[("pyproject.toml", "WOA604")] == 1
    code, patch, stderr = fix(repo, "--only", "ci")
    assert code == 0 and "wheels-windows.yml" not in patch
    assert f"WOA604: a generated wheel workflow would not build yet: {needed}" in stderr


def test_submodules_missing_from_a_checkout_make_dependencies_unknown(tmp_path: Path) -> None:
    from analyzer.verdict import judge

    (tmp_path / "fast.c").write_text("int x;\n")
    (tmp_path / ".gitmodules").write_text(
        '[submodule "a"]\n\tpath = third/a\n[submodule "b"]\n\tpath = third/b\n'
    )
    (tmp_path / "third" / "a").mkdir(parents=True)
    (tmp_path / "third" / "a" / "a.c").write_text("int a;\n")
    (tmp_path / "third" / "b").mkdir()  # cloned without its submodule: empty
    verdict = judge(scan(tmp_path, ScanOptions(jobs=1)))
    assert verdict.area("dependencies").state == "unknown"
    assert verdict.area("dependencies").reasons == (
        "git submodule(s) not in the tree, so not scanned: third/b",
    )
    assert "scan the git submodules too" in verdict.overall
