"""Attacks on woaport as an unreviewed sdist would make them (issue 24). Each plants a
secret outside the tree (a file beside it, an environment variable) and asserts that the
secret reaches no output, that nothing outside the output folder changes, and that the
command ends within the (tiny) limit the test sets. docs/security.md lists every attack
with the test that holds it."""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from analyzer import cython
from analyzer.buildmodel.plan import BuildPlan
from analyzer.childproc import run_limited
from analyzer.index.simple import IndexFetchError, SimpleIndex
from analyzer.limits import ChildLimits, LimitError, check_environment, overridden
from analyzer.paths import asm_reads_outside, compiler_overlay
from analyzer.project import plan_of
from analyzer.prove import STOPPED_NOTE, prove, toolchain_runner
from analyzer.safeload import regex_search
from analyzer.scan import ScanOptions, scan
from analyzer.sdk.provider import Sdk, SdkError, archive_damage, checked, zig_command
from analyzer.tri import MAYBE
from tests.clirun import run
from tests.localindex import LocalIndex, Reply

SECRET = "WOAPORT_PLANTED_SECRET_7f3a"


@dataclass(frozen=True)
class Planted:
    tree: Path
    outside: Path  # a folder beside the tree holding the secret
    secret_file: Path  # valid C: a compiler that reads it declares SECRET

    def unchanged(self, before: dict[str, str]) -> bool:
        return _listing(self.outside) == before


def _listing(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def planted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Planted]:
    outside = tmp_path / "outside"
    outside.mkdir()
    secret_file = outside / "secret.h"
    secret_file.write_text(f"int {SECRET} = 1;\n#define LOADU(p) _mm_loadu_ps(p)\n")
    monkeypatch.setenv("WOAPORT_TEST_TOKEN", SECRET)
    tree = tmp_path / "tree"
    tree.mkdir()
    yield Planted(tree, outside, secret_file)


def _plan(tree: Path) -> BuildPlan:
    plan = plan_of(tree)
    assert plan is not None
    return plan


def _setup_py(tree: Path, extension: str) -> None:
    (tree / "setup.py").write_text(
        f"from setuptools import setup, Extension\nsetup(ext_modules=[{extension}])\n", encoding="utf-8"
    )


class Recorder:
    """A stand-in toolchain that records what it was asked to run."""

    def __init__(self) -> None:
        self.commands: list[list[str]] = []

    def __call__(self, command: list[str], cwd: Path) -> tuple[int, str]:
        self.commands.append(command)
        return 0, ""

    def words(self) -> str:
        return "\n".join(" ".join(c) for c in self.commands)


def _prove(planted: Planted, out: Path) -> tuple[list[str], Recorder]:
    recorder = Recorder()
    sdk = Sdk("3.13", planted.tree.parent / "sdk", "test")
    result = prove(planted.tree, _plan(planted.tree), [sdk], out, ["zig"], run=recorder, jobs=1)
    return [m.not_proven for m in result.modules], recorder


# -- escapes ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sources",
    [
        lambda secret: [str(secret.with_suffix(".c"))],  # an absolute source
        lambda secret: ["../outside/secret.c"],  # a ../ source
    ],
    ids=["absolute-source", "dotdot-source"],
)
def test_prove_never_compiles_a_source_outside_the_tree(planted: Planted, sources, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    shutil.copy(planted.secret_file, planted.secret_file.with_suffix(".c"))
    before = _listing(planted.outside)
    (planted.tree / "m.c").write_text("int m;\n")
    _setup_py(planted.tree, f"Extension('m', ['m.c', {sources(planted.secret_file)[0]!r}])")
    why, recorder = _prove(planted, tmp_path / "out")
    assert any("inside the tree: refused" in w for w in why), why
    assert "secret" not in recorder.words() and planted.unchanged(before)


def test_prove_drops_include_dirs_outside_the_tree_and_confines_the_compiler(
    planted: Planted, tmp_path: Path
) -> None:
    (planted.tree / "m.c").write_text("int m;\n")
    _setup_py(
        planted.tree, f"Extension('m', ['m.c'], include_dirs=['inc', {str(planted.outside)!r}, '../..'])"
    )
    (planted.tree / "inc").mkdir()
    out = tmp_path / "out"
    result = prove(
        planted.tree,
        _plan(planted.tree),
        [Sdk("3.13", tmp_path / "sdk", "t")],
        out,
        ["zig"],
        run=(rec := Recorder()),
    )
    (compile_command, _link) = rec.commands
    assert f"-I{planted.tree.resolve() / 'inc'}" in compile_command
    assert not [c for c in compile_command if str(planted.outside) in c or c.endswith("/..")]
    assert "-ivfsoverlay" in compile_command  # the compiler sees only the allowed folders
    assert any("outside the tree: not used" in n for n in result.notes)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "outside", "tree"]


@pytest.mark.parametrize(
    "directive",
    [
        '#include "{secret}"',
        '#include "../outside/secret.h"',
        '#define WHERE "{secret}"\n#include WHERE',
        'static const char e[] = {{\n#embed "{secret}"\n}};',
    ],
    ids=["absolute-include", "dotdot-include", "computed-include", "embed"],
)
def test_the_compiler_overlay_makes_outside_files_not_found(planted: Planted, directive: str) -> None:
    """What prove and precise mode give the compiler: with the overlay, zig's clang
    cannot open a file outside the allowed folders, however the name is spelled."""
    zig = zig_command()
    from analyzer.sdk.provider import zig_lib_dir

    source = planted.tree / "a.c"
    source.write_text(directive.format(secret=planted.secret_file) + "\nint f(void) { return 0; }\n")
    overlay = planted.tree.parent / "overlay.yaml"
    overlay.write_text(compiler_overlay([planted.tree, zig_lib_dir(zig)]))
    command = [*zig, "cc", "-target", "aarch64-windows-gnu", "-std=c2x", "-c", "-ivfsoverlay", str(overlay)]
    outcome = run_limited([*command, str(source), "-o", str(planted.tree.parent / "a.o")], planted.tree)
    assert outcome.code != 0 and SECRET not in outcome.output
    assert "not found" in outcome.output or "FileNotFound" in outcome.output, outcome.output
    # Without the overlay the same compile does read it: the test would notice a change.
    if directive.startswith('#include "{secret}"'):
        bare = run_limited([*zig, "cc", "-target", "aarch64-windows-gnu", "-E", str(source)], planted.tree)
        assert SECRET in bare.output


@pytest.mark.parametrize(
    "text",
    [
        b'__asm__(".incbin \\"/etc/passwd\\"");',
        b'__asm__(".section .rdata\\n.incbin \\"../../outside/secret.h\\"\\n");',
        b'  .include "/outside/secret.s"\n',
        b".macro blob f\n  .incbin \\f\n.endm\n",
    ],
    ids=["incbin-absolute", "incbin-dotdot", "asm-include", "incbin-computed"],
)
def test_assembler_reads_outside_the_tree_are_refused_before_any_compile(
    planted: Planted, text: bytes, tmp_path: Path
) -> None:
    assert asm_reads_outside(text)
    (planted.tree / "m.c").write_bytes(text + b"\nint m;\n")
    _setup_py(planted.tree, "Extension('m', ['m.c'])")
    why, recorder = _prove(planted, tmp_path / "out")
    assert why and "assembler directive" in why[0] and recorder.commands == []


def test_plain_assembler_includes_in_the_tree_and_c_members_named_include_are_fine() -> None:
    assert asm_reads_outside(b'__asm__(".incbin \\"data/table.bin\\"");') == []
    assert asm_reads_outside(b"options.include = 1; s.incbin = 2; .include_dirs\n") == []


def test_prove_refuses_a_tree_with_links_leading_out(planted: Planted, tmp_path: Path) -> None:
    (planted.tree / "m.c").write_text('#include "cfg.h"\nint m;\n')
    (planted.tree / "cfg.h").symlink_to(planted.secret_file)
    _setup_py(planted.tree, "Extension('m', ['m.c'])")
    why, recorder = _prove(planted, tmp_path / "out")
    assert why and "links that lead outside" in why[0] and recorder.commands == []


@pytest.mark.parametrize(
    "library", ["../../../outside/secret", "/etc/passwd", "a b"], ids=["dotdot", "absolute", "space"]
)
def test_prove_links_only_plain_library_names(planted: Planted, library: str, tmp_path: Path) -> None:
    (planted.tree / "m.c").write_text("int m;\n")
    _setup_py(planted.tree, f"Extension('m', ['m.c'], libraries=[{library!r}])")
    why, recorder = _prove(planted, tmp_path / "out")
    assert why and "not a plain library name" in why[0]
    assert not [c for c in recorder.commands if "-shared" in c]  # never linked


@pytest.mark.slow
def test_precise_mode_never_reads_an_include_outside_the_tree(planted: Planted) -> None:
    """Through an absolute or ../ include the secret header would define LOADU as an SSE
    intrinsic, and precise mode would report its use; confined, it cannot see it."""
    (planted.tree / "a.c").write_text(
        f'#include "{planted.secret_file}"\n#include "../outside/secret.h"\n'
        "void f(float *p) { LOADU(p); }\n"
    )
    _code, output = run("scan", str(planted.tree), "--precise", "--json", "-")
    assert SECRET not in output and "LOADU" not in output and "_mm_loadu_ps" not in output


def test_cython_include_outside_the_tree_is_not_translated(planted: Planted, tmp_path: Path) -> None:
    if not cython.available():
        pytest.skip("cython not installed")
    (planted.tree / "m.pyx").write_text(f'include "{planted.secret_file}"\ndef f():\n    return 1\n')
    (planted.tree / "n.pyx").write_text('include "../outside/secret.pxi"\n')
    made, warnings = cython.translate(planted.tree, ["m.pyx", "n.pyx"], tmp_path / "c", 1)
    assert made == [] and all("leaves the tree" in w.message for w in warnings)
    _code, output = run("scan", str(planted.tree))
    assert SECRET not in output and "leaves the tree" in output


def test_the_setup_py_evaluator_reaches_no_environment(planted: Planted) -> None:
    (planted.tree / "m.c").write_text("int m;\n")
    _setup_py(
        planted.tree,
        "Extension('m', ['m.c'], define_macros=[('T', os.environ.get('WOAPORT_TEST_TOKEN', 'x'))],"
        " extra_compile_args=['{0.__class__.__init__.__globals__}'.format(1), '%s' % os.environ])",
    )
    text = (planted.tree / "setup.py").read_text()
    (planted.tree / "setup.py").write_text("import os\n" + text)
    for command in (
        ["build-plan", str(planted.tree), "--json", "-"],
        ["scan", str(planted.tree), "--json", "-"],
    ):
        _code, output = run(*command)
        assert SECRET not in output and "__globals__" not in output.replace(
            "{0.__class__.__init__.__globals__}", ""
        )


# -- hangs and crashes ---------------------------------------------------------------


TOKEN_BOMB = (
    "\n".join(
        ["#define A0 x x x x x x x x"] + [f"#define A{i} A{i - 1} A{i - 1} A{i - 1}" for i in range(1, 20)]
    )
    + "\nint v[] = { A19 };\n"
)
SELF_INCLUDE_BOMB = '#include "bomb.c"\n#include "bomb.c"\n'


@pytest.mark.parametrize("text", [TOKEN_BOMB, SELF_INCLUDE_BOMB], ids=["token-bomb", "self-include-bomb"])
def test_a_preprocessor_bomb_ends_as_a_limit_not_an_error(planted: Planted, text: str) -> None:
    (planted.tree / "bomb.c").write_text(text)
    runner = toolchain_runner(limits=ChildLimits(command_seconds=2, memory_bytes=768 * 1024**2))
    started = time.monotonic()
    _code, output = runner(
        [*zig_command(), "cc", "-target", "aarch64-windows-gnu", "-E", "bomb.c"], planted.tree
    )
    assert time.monotonic() - started < 30
    # The token bomb meets the memory or time cap; clang itself ends the self-include
    # bomb at its nesting limit (a fatal error: the package's own, and true).
    assert (output.startswith(STOPPED_NOTE) and "limit reached" in output) or (
        text is SELF_INCLUDE_BOMB and "nested too deeply" in output
    ), output[-300:]


def test_proves_overall_deadline_stops_what_is_left(planted: Planted, tmp_path: Path) -> None:
    for name in ("a", "b", "c"):
        (planted.tree / f"{name}.c").write_text("int x;\n")
    _setup_py(planted.tree, "Extension('a', ['a.c']), Extension('b', ['b.c']), Extension('c', ['c.c'])")
    slow = [sys.executable, "-c", "import time; time.sleep(30)"]
    limits = ChildLimits(command_seconds=30, prove_seconds=1.5)
    deadline = time.monotonic() + limits.prove_seconds
    runner = toolchain_runner(limits=limits, deadline=deadline)

    def compile_slowly(command: list[str], cwd: Path) -> tuple[int, str]:
        return runner(slow, cwd)

    started = time.monotonic()
    result = prove(
        planted.tree, _plan(planted.tree), [Sdk("3.13", tmp_path / "s", "t")], tmp_path / "o", ["zig"],
        run=compile_slowly, jobs=1, limits=limits,
    )  # fmt: skip
    assert time.monotonic() - started < 20
    assert [m.not_proven.startswith("limit reached") for m in result.modules] == [True, True, True]
    assert not [m for m in result.modules if m.findings]  # a limit is never the package's error


def test_a_cython_def_bomb_is_stopped_within_the_tree_budget(planted: Planted, tmp_path: Path) -> None:
    if not cython.available():
        pytest.skip("cython not installed")
    for name in ("a", "b", "c"):
        (planted.tree / f"{name}.pyx").write_text("DEF BIG = 7 ** 7 ** 7 ** 7\nx = BIG\n")
    limits = ChildLimits(command_seconds=1, memory_bytes=1024**3, cython_seconds=2)
    started = time.monotonic()
    made, warnings = cython.translate(
        planted.tree, ["a.pyx", "b.pyx", "c.pyx"], tmp_path / "c", 1, limits=limits
    )
    assert time.monotonic() - started < 30
    assert made == [] and len(warnings) == 3 and all("limit reached" in w.message for w in warnings)


@pytest.mark.parametrize(
    ("files", "note"),
    [
        (
            {
                "pyproject.toml": '[build-system]\nbuild-backend = "scikit_build_core.build"\n',
                "CMakeLists.txt": "project(x C)\nset(L a)\nforeach(i RANGE 80)\n  list(APPEND L ${L})\n"
                "endforeach()\nforeach(i RANGE 100000000000)\nendforeach()\nadd_library(m MODULE a.c)\n",
            },
            "characters is not built",
        ),
        (
            {
                "pyproject.toml": '[build-system]\nbuild-backend = "scikit_build_core.build"\n',
                "CMakeLists.txt": "project(x C)\nadd_subdirectory(sub)\ninclude(self.cmake)\n"
                "add_library(m MODULE a.c)\n",
                "sub/CMakeLists.txt": "add_subdirectory(..)\n",
                "self.cmake": "include(self.cmake)\n",
            },
            "was already added",
        ),
        (
            {
                "pyproject.toml": '[build-system]\nbuild-backend = "mesonpy"\n',
                "meson.build": "project('x', 'c')\nl = ['a']\nforeach i : range(80)\n  l += l\nendforeach\n"
                "r = range(1000000000)\nsubdir('sub')\npy = import('python').find_installation()\n"
                "py.extension_module('m', files('/outside/secret.c', '../outside/s.c', 'a.c'))\n",
                "sub/meson.build": "subdir('..')\n",
            },
            "is not in the tree: not read",
        ),
    ],
    ids=["cmake-doubling-and-range", "cmake-cycles", "meson-doubling-cycles-and-files"],
)
def test_build_file_bombs_keep_the_model(planted: Planted, files: dict[str, str], note: str) -> None:
    (planted.tree / "a.c").write_text("int a;\n")
    for rel, text in files.items():
        (planted.tree / rel).parent.mkdir(parents=True, exist_ok=True)
        (planted.tree / rel).write_text(text)
    started = time.monotonic()
    plan = _plan(planted.tree)
    assert time.monotonic() - started < 30
    assert "a.c" in {use.path for use in plan.sources}  # the target is still seen
    assert any(note in n for n in plan.notes), plan.notes
    assert not [use for use in plan.sources if "secret" in use.path or use.path.startswith("..")]


def test_a_3000_deep_import_chain_keeps_the_build_model(planted: Planted) -> None:
    for i in range(3000):
        (planted.tree / f"m{i}.py").write_text(f"from m{i + 1} import X\n")
    (planted.tree / "m3000.py").write_text("X = 1\n")
    (planted.tree / "e.c").write_text("int e;\n")
    (planted.tree / "setup.py").write_text(
        "from setuptools import setup, Extension\nimport m0\nsetup(ext_modules=[Extension('e', ['e.c'])])\n"
    )
    plan = _plan(planted.tree)
    assert "e.c" in {use.path for use in plan.sources}
    assert any("imports nested deeper than" in n for n in plan.notes)


# -- wrong answers ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [b"#inc\\\nlude <immintrin.h>\n", b"#\\\ninclude <immintrin.h>\n", b"#include <immin\\\ntrin.h>\n"],
    ids=["in-keyword", "after-hash", "in-name"],
)
def test_a_line_splice_inside_a_directive_hides_nothing(planted: Planted, text: bytes) -> None:
    (planted.tree / "a.c").write_bytes(text + b"__m128 v;\n")
    found = {(f.rule_id, f.location.line) for f in scan(planted.tree, ScanOptions()).findings}
    assert ("WOA101", 1) in found and ("WOA104", 3) in found  # lines stay where they were


def test_splices_between_tokens_keep_their_lines(planted: Planted) -> None:
    (planted.tree / "a.c").write_bytes(b"#define LOAD(p) \\\n  _mm_loadu_ps(p)\n")
    found = {(f.rule_id, f.location.line) for f in scan(planted.tree, ScanOptions()).findings}
    assert ("WOA102", 2) in found


def test_a_truncated_sdk_import_library_is_the_sdks_fault(tmp_path: Path) -> None:
    whole = b"!<arch>\n" + b"x.obj/".ljust(48) + b"4".ljust(10) + b"`\n" + b"abcd"
    assert archive_damage(whole) == ""
    assert "truncated" in archive_damage(whole[:-2])
    assert "no !<arch>" in archive_damage(b"MZ")
    sdk = Sdk("3.13", tmp_path, "test")
    (tmp_path / "libs").mkdir()
    (tmp_path / "libs" / "python313.lib").write_bytes(whole[:-2])
    with pytest.raises(
        SdkError, match=r"damaged \(python313.lib: truncated.*woaport sdk --python 3.13 --rebuild"
    ):
        checked(sdk)
    (tmp_path / "libs" / "python313.lib").write_bytes(whole)
    assert checked(sdk) is sdk


# -- limits as data ---------------------------------------------------------------------


def test_limits_are_overridable_and_bad_overrides_are_usage_errors() -> None:
    changed = overridden(ChildLimits(), "CHILD", {"WOAPORT_LIMIT_CHILD_MEMORY_BYTES": "1e9"})
    assert changed.memory_bytes == 1_000_000_000 and changed.command_seconds == ChildLimits().command_seconds
    for bad in ("lots", "-1", "0"):
        with pytest.raises(LimitError, match="WOAPORT_LIMIT_CHILD_PROVE_SECONDS"):
            check_environment({"WOAPORT_LIMIT_CHILD_PROVE_SECONDS": bad})
    env = {**os.environ, "WOAPORT_LIMIT_BUILD_MAX_VALUE": "many"}
    import subprocess

    done = subprocess.run(
        [sys.executable, "-c", "from analyzer.cli import main; main()", "rules"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2 and "WOAPORT_LIMIT_BUILD_MAX_VALUE" in done.stderr


@pytest.mark.parametrize(
    ("pattern", "subject", "expected"),
    [
        ("(a+)+$", "a" * 40 + "!", None),  # nested repetition over a long subject: not evaluated
        ("(a|aa)*b", "a" * 40, None),
        (r"(x)\1", "x" * 40, None),  # a back-reference
        ("^foo.*bar$", "fooxbar", True),
        (r"[0-9]+\.[0-9]+", "3.12", True),
        ("(ab)*c", "ababd", False),
        ("(", "x", None),
        ("a", "a" * 10_000, None),  # a subject longer than any real flag or path
    ],
)
def test_package_regular_expressions_cannot_backtrack_for_long(
    pattern: str, subject: str, expected: bool | None
) -> None:
    assert regex_search(pattern, subject) is expected


def test_a_cmake_matches_bomb_is_maybe_not_a_hang(planted: Planted) -> None:
    (planted.tree / "a.c").write_text("int a;\n")
    (planted.tree / "pyproject.toml").write_text(
        '[build-system]\nbuild-backend = "scikit_build_core.build"\n'
    )
    (planted.tree / "CMakeLists.txt").write_text(
        'project(x C)\nset(S "'
        + "a" * 60
        + '!")\nif(S MATCHES "^(a+)+$")\n  add_library(m MODULE a.c)\nendif()\n'
    )
    started = time.monotonic()
    plan = _plan(planted.tree)
    assert time.monotonic() - started < 30
    assert {dict(use.compiled).get("msvc-arm64") for use in plan.sources if use.path == "a.c"} == {MAYBE}


DEEP_JSON = b'{"meta": {"api-version": "1.0"}, "files": ' + b"[" * 20_000 + b"]" * 20_000 + b"}"


def test_a_deeply_nested_index_page_is_a_clear_error(local_index: LocalIndex) -> None:
    local_index.route(
        "/simple/deep/", Reply(200, DEEP_JSON, {"Content-Type": "application/vnd.pypi.simple.v1+json"})
    )
    index = SimpleIndex(local_index.url, retries=0, backoff=0.0)
    with pytest.raises(IndexFetchError, match="nested too deeply"):
        index.project("deep")
    code, output = run("scan", "pypi:deep", "--index-url", local_index.url)
    assert code == 2 and "nested too deeply" in output


def test_a_deeply_nested_top_file_is_a_usage_error(tmp_path: Path) -> None:
    top = tmp_path / "top.json"
    top.write_bytes(b"[" * 20_000 + b"]" * 20_000)
    code, output = run("status", "--top-file", str(top), "--index-url", "http://127.0.0.1:9/simple/")
    assert code == 2 and "nested too deeply" in output


def test_every_test_the_security_doc_names_exists() -> None:
    import re

    root = Path(__file__).resolve().parent
    doc = (root.parent / "docs" / "security.md").read_text(encoding="utf-8")
    files = {p.stem for p in root.rglob("test_*.py")}
    named = set(re.findall(r"\b(test_\w+)", doc)) - files
    defined = {
        m for p in root.rglob("test_*.py") for m in re.findall(r"^def (test_\w+)", p.read_text(), re.M)
    }
    assert named and named <= defined, sorted(named - defined)
