"""The build-file interpreters on small in-memory trees: what they decide per model,
what they leave unknown, and that hostile build files neither hang nor escape."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from analyzer.buildmodel.cmake import cmake_plan
from analyzer.buildmodel.meson import meson_plan
from analyzer.buildmodel.model import plan_build, tree_reader
from analyzer.buildmodel.plan import UNKNOWN_MACRO_TEXT, BuildPlan
from analyzer.buildmodel.setuptools import setuptools_plan
from analyzer.native.probe import ProbeJudge
from analyzer.rules import default_rules
from analyzer.targets import load_targets
from analyzer.tri import MAYBE, Value

MODELS = load_targets().names
# Mutated build files per run; WOAPORT_MUTATIONS=2000 for a longer, by-hand search.
MUTATIONS = int(os.environ.get("WOAPORT_MUTATIONS", "40"))
JUDGE = ProbeJudge(default_rules(), load_targets())


def tree(files: dict[str, str]) -> tuple[frozenset[str], dict[str, str]]:
    texts = {path: textwrap.dedent(text) for path, text in files.items()}
    return frozenset(texts), texts


def setuptools(files: dict[str, str]) -> BuildPlan:
    names, texts = tree(files)
    plan = setuptools_plan("setup.py", None, names, texts.get, JUDGE, MODELS)
    assert plan is not None
    return plan


def compiled(plan: BuildPlan, path: str, model: str = "msvc-arm64") -> Value | str:
    listed = plan.compiled().get(path)
    if listed is None:
        return 0 if model in plan.complete_on else "unlisted"
    return listed[model]


SETUP_HEAD = "from setuptools import Extension, setup\nimport sys, os, platform, struct, sysconfig\n"


@pytest.mark.parametrize(
    ("condition", "arm64", "mingw"),
    [
        ('platform.machine() == "ARM64"', 1, 1),
        ('platform.machine() in ("AMD64", "x86_64")', 0, 0),
        ('sysconfig.get_platform() == "win-amd64"', 0, 0),
        ('sysconfig.get_platform().startswith("win")', 1, 0),
        ('sys.platform == "win32"', 1, 1),
        ('os.name == "nt"', 1, 1),
        ('struct.calcsize("P") == 8', 1, 1),
        ("sys.maxsize > 2**32", 1, 1),
        ("'64 bit' in sys.version", 1, 1),
        ('os.environ.get("VSCMD_ARG_TGT_ARCH") == "x64"', 0, MAYBE),
        # pip builds from the sdist with none of the project's own switches set.
        ('os.environ.get("MY_FLAG")', 0, 0),
        ('os.environ.get("MY_FLAG", "1") == "1"', 1, 1),
        ("sys.version_info >= (3, 12)", MAYBE, MAYBE),
        # Every Python a win_arm64 wheel is built for is 3.9 or later.
        ("sys.version_info >= (3, 0)", 1, 1),
        ("sys.version_info < (3,)", 0, 0),
        ("sys.version_info[0] == 2", 0, 0),
        ("sys.version_info.major >= 3", 1, 1),
        ("sys.version_info[:2] >= (3, 9)", 1, 1),
        ("(3, 8) < sys.version_info", 1, 1),
        ("sys.version_info == (3, 12)", MAYBE, MAYBE),
        # The wheels judged are CPython's.
        ('platform.python_implementation() == "CPython"', 1, 1),
        ('sys.implementation.name == "pypy"', 0, 0),
        # A standard-library value the model does not evaluate: neither equal nor not.
        ("sys.flags.optimize == 0", MAYBE, MAYBE),
        ("sys.flags.optimize", MAYBE, MAYBE),
        ('sys.platform.startswith(("freebsd", "linux"))', 0, 0),
        # pip's build runs "setup.py bdist_wheel --dist-dir ...": no option of the project's.
        ('"--no-cython-compile" in sys.argv', 0, 0),
        ('"bdist_wheel" in sys.argv', 1, 1),
        # The default (GIL) CPython builds, not the free-threaded ones.
        ('sysconfig.get_config_var("Py_GIL_DISABLED")', 0, 0),
    ],
)
def test_setup_py_conditions(condition: str, arm64: Value, mingw: Value) -> None:
    plan = setuptools(
        {
            "setup.py": SETUP_HEAD
            + f"srcs = ['a.c']\nif {condition}:\n    srcs.append('b.c')\n"
            + "setup(ext_modules=[Extension('m', srcs)])\n",
            "a.c": "",
            "b.c": "",
        }
    )
    assert compiled(plan, "a.c") == 1
    assert compiled(plan, "b.c", "msvc-arm64") == arm64
    assert compiled(plan, "b.c", "mingw-arm64") == mingw


def test_helper_functions_and_imported_modules_are_followed() -> None:
    plan = setuptools(
        {
            "setup.py": SETUP_HEAD
            + "from helpers import x86_sources\n"
            + "def extension(name, extra):\n    return Extension(name, ['core.c'] + extra)\n"
            + "setup(ext_modules=[extension('m', x86_sources())])\n",
            "helpers.py": "import platform\n"
            "def is_x86():\n    return platform.machine().lower() in ('amd64', 'x86_64')\n"
            "def x86_sources():\n    return ['cpu.c'] if is_x86() else []\n",
            "core.c": "",
            "cpu.c": "",
        }
    )
    assert compiled(plan, "core.c") == 1
    assert compiled(plan, "cpu.c") == 0
    assert "msvc-arm64" in plan.complete_on


def test_a_failing_probe_removes_what_it_guards() -> None:
    plan = setuptools(
        {
            "setup.py": SETUP_HEAD
            + "exts = [Extension('m', ['m.c']), Extension('fast', ['fast.c'])]\n"
            + "if not config.try_compile('#include <emmintrin.h>\\nint main(void){return 0;}'):\n"
            + "    del exts[1]\n"
            + "setup(ext_modules=exts)\n",
            "m.c": "",
            "fast.c": "",
        }
    )
    assert compiled(plan, "fast.c") == 0
    assert compiled(plan, "m.c") == 1
    assert [dict(p.compiles)["msvc-arm64"] for p in plan.probes] == [0]


def test_an_unknown_condition_makes_sources_maybe_not_certain() -> None:
    plan = setuptools(
        {
            "setup.py": SETUP_HEAD
            + "srcs = ['a.c']\nif sys.version_info >= (3, 12):\n    srcs += ['b.c']\n"
            + "else:\n    srcs.remove('a.c')\n"
            + "setup(ext_modules=[Extension('m', srcs)])\n",
            "a.c": "",
            "b.c": "",
        }
    )
    assert compiled(plan, "a.c") is MAYBE
    assert compiled(plan, "b.c") is MAYBE


def test_sources_the_model_cannot_compute_make_the_plan_incomplete() -> None:
    plan = setuptools(
        {
            "setup.py": SETUP_HEAD + "setup(ext_modules=[Extension('m', [open('list.txt').read()])])\n",
            "list.txt": "a.c",
        }
    )
    assert plan.complete_on == ()


@pytest.mark.parametrize(
    "body",
    [
        "while True:\n    pass\n",
        "def f(n):\n    return f(n + 1)\nf(0)\n",
        "x = 'a' * (10 ** 9)\n",
        "x = 2 ** (2 ** 40)\n",
        "for i in range(10 ** 12):\n    pass\n",
        "import os\nos.system('rm -rf /')\nopen('/etc/passwd').read()\n",
        "def (:\n",
        "exec('import os')\n__import__('os').remove('x')\n",
    ],
)
def test_hostile_setup_py_is_neither_run_nor_hangs(body: str) -> None:
    names, texts = tree({"setup.py": SETUP_HEAD + body + "setup(ext_modules=[Extension('m', ['a.c'])])\n"})
    plan = setuptools_plan("setup.py", None, names | {"a.c"}, texts.get, JUDGE, MODELS)
    # A model either reads the extension or says it could not; it never raises.
    assert plan is None or plan.sources == () or plan.sources[0].path == "a.c"


def test_the_tree_reader_refuses_links_and_escapes(tmp_path: pytest.TempPathFactory) -> None:
    from pathlib import Path

    root = Path(str(tmp_path))
    (root / "setup.py").write_text("x = 1\n")
    (root / "outside.py").write_text("secret\n")
    inner = root / "tree"
    inner.mkdir()
    (inner / "setup.py").symlink_to(root / "outside.py")
    read = tree_reader(inner)
    assert read("setup.py") is None
    assert read("../setup.py") is None
    assert read("/etc/passwd") is None
    assert tree_reader(root)("setup.py") == "x = 1\n"


# -- meson --------------------------------------------------------------------------
def meson(files: dict[str, str]) -> BuildPlan:
    names, texts = tree(files)
    plan = meson_plan(names, texts.get, JUDGE, MODELS)
    assert plan is not None
    return plan


def test_meson_cpu_family_ternary_and_foreach() -> None:
    plan = meson(
        {
            "meson.build": """\
                project('p', 'c')
                is_x86 = host_machine.cpu_family() in ['x86', 'x86_64']
                foreach spec : [['a', is_x86 ? ['x86.c'] : []], ['b', ['b.c']]]
                  if spec[1].length() > 0
                    static_library(spec[0], spec[1])
                  endif
                endforeach
                if cc_id_missing_is_unknown == 'x'
                  error('never decided')
                endif
                """,
            "x86.c": "",
            "b.c": "",
        }
    )
    assert compiled(plan, "b.c") == 1
    assert compiled(plan, "x86.c") == 0


def test_meson_error_reached_on_arm64_is_noted() -> None:
    plan = meson(
        {
            "meson.build": """\
                project('p', 'c')
                if host_machine.cpu_family() != 'x86_64'
                  error('only x86_64 is supported')
                endif
                static_library('a', 'a.c')
                """,
            "a.c": "",
        }
    )
    assert any("error() on msvc-arm64" in note for note in plan.notes)
    assert "msvc-arm64" not in plan.complete_on


def test_meson_link_with_joins_the_librarys_sources_to_the_module() -> None:
    """pandas: ``declare_dependency(link_with: static_library(...))`` in ``dependencies:``,
    and a direct ``link_with:``: the module's code includes the library's (prove links
    them in; "undefined symbol" otherwise)."""
    plan = meson(
        {
            "meson.build": """\
project('p', 'c')
py = import('python').find_installation()
lib = static_library('tok', 'tok.c')
dep = declare_dependency(link_with: lib, sources: ['extra.c'])
py.extension_module('parser', 'parser.c', dependencies: [dep])
py.extension_module('direct', 'direct.c', link_with: lib)
py.extension_module('alone', 'alone.c')
""",
            "tok.c": "", "extra.c": "", "parser.c": "", "direct.c": "", "alone.c": "",
        }
    )  # fmt: skip
    by_target: dict[str, set[str]] = {}
    for use in plan.sources:
        by_target.setdefault(use.target, set()).add(use.path)
    assert by_target["parser"] == {"parser.c", "tok.c", "extra.c"}
    assert by_target["direct"] == {"direct.c", "tok.c"}
    assert by_target["alone"] == {"alone.c"} and by_target["tok"] == {"tok.c"}


def test_meson_parse_error_is_a_note_not_a_crash() -> None:
    names, texts = tree({"meson.build": "project('p'\nif (\n"})
    plan = meson_plan(names, texts.get, JUDGE, MODELS)
    # Said, not a silent "no build model"; nothing is taken from it.
    assert plan is not None and plan.sources == () and plan.complete_on == ()
    assert [n for n in plan.notes if n.startswith("meson.build: cannot parse")]
    deep = "project('p')\nx = " + "(" * 5000 + "1" + ")" * 5000 + "\n"
    names, texts = tree({"meson.build": deep})
    plan = meson_plan(names, texts.get, JUDGE, MODELS)
    assert plan is not None and plan.notes == ("meson.build: nested too deeply to read",)


# -- CMake --------------------------------------------------------------------------
def cmake(files: dict[str, str]) -> BuildPlan:
    names, texts = tree(files)
    plan = cmake_plan(names, texts.get, JUDGE, MODELS)
    assert plan is not None
    return plan


CMAKE_DEPENDENT_FLAG = (
    "project(p C)\n"  # 1
    'if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")\n'  # 2
    "  set(_IS_X86 ON)\n"  # 3
    "endif()\n"  # 4
    'cmake_dependent_option(FAST "fast" ON "_IS_X86" OFF)\n'  # 5
    "add_library(m MODULE m.c)\n"  # 6
    "if(FAST)\n"  # 7
    "  target_compile_options(m PRIVATE\n"  # 8
    "    -mavx2)\n"  # 9
    "endif()\n"  # 10
)


def test_cmake_records_which_commands_ran_on_which_models() -> None:
    """Issue 25: a flag under cmake_dependent_option(... "_IS_X86" OFF) never reaches an
    ARM64 compile; the plan says which commands ran where, so a rule's hit on a line
    that runs on no ARM64 model is not an ARM64 finding."""
    (lines,) = cmake({"CMakeLists.txt": CMAKE_DEPENDENT_FLAG, "m.c": ""}).command_lines
    assert lines.path == "CMakeLists.txt" and set(lines.full_on) == set(MODELS)
    ran = dict(lines.ran_on(9))  # the flag's line, inside the command opened on line 8
    assert ran["msvc-arm64"] == 0 and ran["mingw-arm64"] == 0
    assert dict(lines.ran_on(7))["msvc-arm64"] == 1  # the if() itself is evaluated
    assert dict(lines.ran_on(3))["msvc-arm64"] == 0  # the x86 branch
    # A loop over a list only the build knows: the file is not fully read, nothing is
    # said against any of its lines.
    unknown = "execute_process(COMMAND git describe OUTPUT_VARIABLE V)\nforeach(x IN LISTS V)\nendforeach()\n"
    (lines,) = cmake({"CMakeLists.txt": CMAKE_DEPENDENT_FLAG + unknown, "m.c": ""}).command_lines
    assert lines.full_on == () and dict(lines.ran_on(9))["msvc-arm64"] == 1


MESON_X86_FLAGS = (
    "project('p', 'c')\n"  # 1
    "is_x86 = host_machine.cpu_family() in ['x86', 'x86_64']\n"  # 2
    "if is_x86\n"  # 3
    "  flags = [\n"  # 4
    "    '-mavx2',\n"  # 5
    "  ]\n"  # 6
    "elif host_machine.system() == 'windows'\n"  # 7
    "  flags = []\n"  # 8
    "endif\n"  # 9
    "py = import('python').find_installation()\n"  # 10
    "py.extension_module('m', 'm.c', c_args: flags)\n"  # 11
)


def test_meson_records_which_statements_ran_on_which_models() -> None:
    """Issue 28: meson keeps the same per-line record as CMake, so a rule's hit (or a
    dependency) on a line that runs on no ARM64 model is read from the model, not guessed
    from the text. A statement spans its lines; an elif's condition runs when the arms
    before it were not taken."""
    (lines,) = meson({"meson.build": MESON_X86_FLAGS, "m.c": ""}).command_lines
    assert lines.path == "meson.build" and set(lines.full_on) == set(MODELS)
    assert dict(lines.ran_on(5))["msvc-arm64"] == 0  # inside the x86 arm's assignment
    assert dict(lines.ran_on(3))["msvc-arm64"] == 1  # the if itself is evaluated
    assert dict(lines.ran_on(7))["msvc-arm64"] == 1 and dict(lines.ran_on(8))["msvc-arm64"] == 1
    assert dict(lines.ran_on(11))["mingw-arm64"] == 1
    # An unknown condition: the arm may run (MAYBE), never "did not run".
    unknown = MESON_X86_FLAGS.replace("if is_x86", "if run_command('x').returncode() == 0")
    (lines,) = meson({"meson.build": unknown, "m.c": ""}).command_lines
    assert dict(lines.ran_on(5))["msvc-arm64"] == MAYBE
    # A loop over a list only the build knows: nothing is said against the file's lines.
    loop = "foreach x : run_command('ls').stdout().split()\n  y = x\nendforeach\n"
    (lines,) = meson({"meson.build": MESON_X86_FLAGS + loop, "m.c": ""}).command_lines
    assert lines.full_on == () and dict(lines.ran_on(5))["msvc-arm64"] == 1


def test_meson_files_entered_only_off_windows_run_nowhere() -> None:
    plan = meson(
        {
            "meson.build": (
                "project('p', 'c')\n"
                "if host_machine.system() != 'windows'\n  subdir('unix')\nendif\n"
                "subdir('broken')\n"
                "py = import('python').find_installation()\npy.extension_module('m', 'm.c')\n"
            ),
            "unix/meson.build": "x11 = dependency('x11')\n",
            "broken/meson.build": "if (\n",
            "m.c": "",
        }
    )
    assert plan.line_runs("broken/meson.build", 1) is None  # entered but unreadable
    # Every subdir() named its folder, so a meson.build no Windows model enters is no
    # part of the build there; the if that guards the subdir is evaluated everywhere.
    assert plan.runs_nowhere("unix/meson.build", 1)
    assert plan.runs_nowhere("meson.build", 3) and not plan.runs_nowhere("meson.build", 2)
    # A subdir() whose folder only the build knows: a file not entered may still be one.
    unknown = meson(
        {
            "meson.build": (
                "project('p', 'c')\nsubdir(run_command('pick').stdout())\n"
                "py = import('python').find_installation()\npy.extension_module('m', 'm.c')\n"
            ),
            "unix/meson.build": "x11 = dependency('x11')\n",
            "broken/meson.build": "if (\n",
            "m.c": "",
        }
    )
    assert unknown.line_runs("unix/meson.build", 1) is None
    assert not unknown.runs_nowhere("meson.build", 2)


def test_meson_function_attributes_as_meson_answers_them() -> None:
    """numpy's ``cc.has_function_attribute('visibility:hidden')``: cl and clang-cl have
    only dllimport/dllexport (meson answers without compiling); GCC-style compilers
    compile a declaration, which the fast judge leaves unknown."""
    plan = meson(
        {
            "meson.build": """\
                project('p', 'c')
                cc = meson.get_compiler('c')
                if cc.has_function_attribute('visibility:hidden')
                  add_project_arguments('-DHIDDEN', language: 'c')
                endif
                if cc.has_function_attribute('dllexport')
                  add_project_arguments('-DEXPORT', language: 'c')
                endif
                py = import('python').find_installation()
                py.extension_module('m', 'm.c')
            """,
            "m.c": "",
        }
    )
    macros = plan.macro_values()
    assert macros["HIDDEN"]["msvc-arm64"] == 0 and macros["HIDDEN"]["clang-cl-arm64"] == 0
    assert macros["HIDDEN"]["mingw-arm64"] == MAYBE
    assert macros["EXPORT"]["msvc-arm64"] == 1 and macros["EXPORT"]["clang-cl-arm64"] == 1


def test_meson_format_and_configuration_data_read_back() -> None:
    """numpy's config checks: ``'@0@'.format(x)`` builds a check's text, ``cdata.get``
    reads back what an earlier check set (a value only a loop that was not evaluated
    could have set stays unknown), and a check's ``args:`` go to the judge with it."""
    seen: list[str] = []

    def judge(text: str) -> dict[str, Value]:
        seen.append(text)
        return dict.fromkeys(MODELS, 0 if "xlocale" in text else MAYBE)

    names, texts = tree(
        {
            "meson.build": """\
                project('p', 'c')
                cc = meson.get_compiler('c')
                cdata = configuration_data()
                other = configuration_data()
                if cc.has_header('xlocale.h')
                  cdata.set10('HAVE_XLOCALE_H', true)
                endif
                cdata.set10('KNOWN', true)
                foreach x : run_command('ls').stdout().split()
                  other.set(x, 1)
                endforeach
                if cdata.get('HAVE_XLOCALE_H', 0) == 1 or cdata.get('KNOWN') != 1
                  add_project_arguments('-DWRONG', language: 'c')
                endif
                if other.get('ANY', 0) == 0
                  add_project_arguments('-DUNSURE', language: 'c')
                endif
                code = '__attribute__((@0@)) void f(void);'.format('nonnull(1)')
                if cc.compiles(code, args: ['-Werror', '-I/etc'])
                  add_project_arguments('-DATTR', language: 'c')
                endif
                py = import('python').find_installation()
                py.extension_module('m', 'm.c')
            """,
            "m.c": "",
        }
    )
    plan = meson_plan(names, texts.get, judge, MODELS)
    assert plan is not None
    macros = plan.macro_values()
    assert "WRONG" not in macros  # both read back (0 and 1): the branch runs nowhere
    assert macros["UNSURE"]["msvc-arm64"] == MAYBE  # the loop may have set it
    assert macros["ATTR"]["msvc-arm64"] == MAYBE
    (check,) = {t for t in seen if "nonnull" in t}  # the same text for every model
    assert check.startswith("/* woaport probe arguments: -Werror */\n__attribute__((nonnull(1))) void f")


def test_cmake_macro_configure_file_and_try_compile() -> None:
    plan = cmake(
        {
            "CMakeLists.txt": """\
                project(p C)
                macro(check_arch VAR DEFINES)
                  set(ARCH_DEFINES "${DEFINES}")
                  configure_file(${PROJECT_SOURCE_DIR}/cmake/arch.c.in ${PROJECT_BINARY_DIR}/arch.c @ONLY)
                  try_compile(HAVE_${VAR} "${PROJECT_BINARY_DIR}" "${PROJECT_BINARY_DIR}/arch.c")
                  if(HAVE_${VAR})
                    set(${VAR} 1)
                  endif()
                endmacro()
                check_arch(ARCH_X64 "defined(_M_X64) || defined(__x86_64__)")
                set(SRCS core.c)
                if(ARCH_X64)
                  list(APPEND SRCS cpuinfo.c)
                endif()
                add_library(core MODULE ${SRCS})
                """,
            "cmake/arch.c.in": "int main(void) {\n#if @ARCH_DEFINES@\n return 0;\n#else\n fail\n#endif\n}\n",
            "core.c": "",
            "cpuinfo.c": "",
        }
    )
    assert compiled(plan, "core.c") == 1
    assert compiled(plan, "cpuinfo.c") == 0
    assert compiled(plan, "cpuinfo.c", "arm64ec") is MAYBE  # _M_X64 is defined there


def test_cmake_function_scope_and_parent_scope() -> None:
    plan = cmake(
        {
            "CMakeLists.txt": """\
                function(pick OUT)
                  set(LOCAL x86.c)
                  if(CMAKE_SYSTEM_PROCESSOR STREQUAL "ARM64")
                    set(${OUT} arm.c PARENT_SCOPE)
                  else()
                    set(${OUT} ${LOCAL} PARENT_SCOPE)
                  endif()
                endfunction()
                pick(CHOSEN)
                add_library(lib STATIC ${CHOSEN} ${LOCAL})
                """,
            "arm.c": "",
            "x86.c": "",
        }
    )
    assert compiled(plan, "arm.c") == 1
    assert compiled(plan, "x86.c") == 0  # LOCAL is not visible outside the function
    assert compiled(plan, "arm.c", "mingw-arm64") == 1


def test_cmake_unknown_find_package_result_is_maybe() -> None:
    plan = cmake(
        {
            "CMakeLists.txt": """\
                find_package(Foo)
                if(Foo_FOUND)
                  add_library(withfoo STATIC foo.c)
                endif()
                add_library(always STATIC a.c)
                """,
            "foo.c": "",
            "a.c": "",
        }
    )
    assert compiled(plan, "foo.c") is MAYBE
    assert compiled(plan, "a.c") == 1


def test_backend_decides_which_build_is_read() -> None:
    names, texts = tree(
        {
            "pyproject.toml": '[build-system]\nbuild-backend = "hatchling.build"\n',
            "setup.py": SETUP_HEAD + "setup(ext_modules=[Extension('m', ['a.c'])])\n",
        }
    )
    assert plan_build(names, texts.get, JUDGE, MODELS) is None
    names, texts = tree(
        {
            "pyproject.toml": '[build-system]\nbuild-backend = "setuptools.build_meta"\n',
            "setup.py": SETUP_HEAD + "setup(ext_modules=[Extension('m', ['a.c'])])\n",
        }
    )
    plan = plan_build(names, texts.get, JUDGE, MODELS)
    assert plan is not None and plan.systems == ("setuptools",)


def test_a_name_an_unevaluated_loop_assigns_is_unknown_not_stale() -> None:
    # zstandard's setup.py: the version is read in a loop over a file; "if not version:
    # raise" must not count as a build that stops for certain.
    plan = setuptools(
        {
            "setup.py": SETUP_HEAD
            + "version = None\nwith open('v.h') as fh:\n    for line in fh:\n        version = line\n"
            + "if not version:\n    raise Exception('no version')\n"
            + "setup(ext_modules=[Extension('m', ['a.c'])])\n",
            "a.c": "",
        }
    )
    assert not [e for e in plan.events if e.kind == "stops"]
    assert compiled(plan, "a.c") == 1


def test_a_raise_reached_for_certain_on_arm64_is_a_stop_event() -> None:
    plan = setuptools(
        {
            "setup.py": SETUP_HEAD
            + "if platform.machine() != 'AMD64':\n    sys.exit('x64 only')\n"
            + "setup(ext_modules=[Extension('m', ['a.c'])])\n",
            "a.c": "",
        }
    )
    stops = [e for e in plan.events if e.kind == "stops"]
    assert [(e.line, dict(e.models).get("msvc-arm64")) for e in stops] == [(4, 1)]
    assert "arm64ec" not in dict(stops[0].models)  # machine unknown there: not certain


def _build_fixture_files() -> list[tuple[str, str]]:
    from tests.paths import FIXTURES

    found = []
    for path in sorted((FIXTURES / "builds").rglob("*")):
        if path.name in ("setup.py", "meson.build", "CMakeLists.txt", "build_helpers.py"):
            found.append((path.relative_to(FIXTURES / "builds").as_posix(), path.read_text()))
    return found


@pytest.mark.parametrize("seed", range(MUTATIONS))
def test_mutated_build_files_never_crash_the_model(seed: int) -> None:
    import random

    rng = random.Random(seed)
    sources = _build_fixture_files()
    project = rng.choice(sorted({rel.split("/", 1)[0] for rel, _ in sources}))
    files = {rel.split("/", 1)[1]: text for rel, text in sources if rel.startswith(project + "/")}
    for name in list(files):
        lines = files[name].splitlines(keepends=True)
        for _ in range(rng.randint(1, 6)):
            if not lines:
                break
            choice = rng.random()
            index = rng.randrange(len(lines))
            if choice < 0.3:
                del lines[index]
            elif choice < 0.6:
                lines.insert(index, lines[rng.randrange(len(lines))])
            elif choice < 0.8:
                cut = rng.randrange(len(lines[index]) + 1)
                lines[index] = lines[index][:cut] + rng.choice(
                    ["(", ")", "'", '"', "[", "\\", "${", "if(", "endif"]
                )
            else:
                lines = lines[:index]  # truncated
        files[name] = "".join(lines)
    files["pyproject.toml"] = {
        "meson": '[build-system]\nbuild-backend = "mesonpy"\n',
        "cmake": '[build-system]\nbuild-backend = "scikit_build_core.build"\n',
    }.get(project, '[build-system]\nbuild-backend = "setuptools.build_meta"\n')
    names, texts = tree(files)
    plan = plan_build(names | {"src/core.c"}, texts.get, JUDGE, MODELS)
    assert plan is None or all(0 < len(dict(u.compiled)) <= len(MODELS) for u in plan.sources)


def test_libraries_and_flags_per_model_as_the_build_computes_them() -> None:
    plan = setuptools(
        {
            "setup.py": SETUP_HEAD
            + "libs = ['ws2_32'] if sys.platform == 'win32' else ['m']\n"
            + "args = ['/O2'] if platform.machine() == 'ARM64' else ['/O2', '/arch:AVX2']\n"
            + "setup(ext_modules=[Extension('m', ['a.c'], libraries=libs, extra_compile_args=args)])\n",
            "a.c": "",
        }
    )
    by_model = {s.model: s for s in plan.settings if s.target == "m"}
    assert by_model["msvc-arm64"].libraries == ("ws2_32",)
    assert by_model["msvc-arm64"].compile_args == ("/O2",)


def test_setuptools_rust_extensions_compile_their_crate() -> None:
    plan = setuptools(
        {
            "setup.py": "from setuptools import setup\nfrom setuptools_rust import RustExtension\n"
            "setup(rust_extensions=[RustExtension('pkg._lib', 'rust/Cargo.toml')])\n",
            "rust/Cargo.toml": '[package]\nname = "lib"\n\n[lib]\npath = "src/main_lib.rs"\n',
            "rust/src/main_lib.rs": "",
        }
    )
    assert compiled(plan, "rust/src/main_lib.rs") == 1


def test_setuptools_rust_declared_in_pyproject_compiles_its_crate() -> None:
    """bcrypt: no setup.py, the Rust module declared in ``[[tool.setuptools-rust.ext-modules]]``."""
    pyproject = (
        '[build-system]\nrequires = ["setuptools", "setuptools-rust"]\n'
        'build-backend = "setuptools.build_meta"\n\n'
        '[[tool.setuptools-rust.ext-modules]]\ntarget = "pkg._lib"\npath = "src/_lib/Cargo.toml"\n'
    )
    files = {
        "pyproject.toml": pyproject,
        "src/_lib/Cargo.toml": '[package]\nname = "lib"\n',
        "src/_lib/src/lib.rs": "",
    }
    names, texts = tree(files)
    plan = plan_build(names, texts.get, JUDGE, MODELS)
    assert plan is not None and compiled(plan, "src/_lib/src/lib.rs") == 1
    assert {use.target for use in plan.sources} == {"pkg._lib"}
    # Without the table there is no module to build.
    texts["pyproject.toml"] = pyproject.split("[[tool")[0]
    assert plan_build(names, texts.get, JUDGE, MODELS) is None


def test_an_sdist_is_the_whole_tree_for_file_tests() -> None:
    """pycryptodome's setup.py picks its package root from ``os.path.isfile(".separate_namespace")``.
    In an unpacked sdist (PKG-INFO at the root) a file the walk did not list is absent; in a
    checkout the walk may have skipped it, so it stays unknown."""
    setup = textwrap.dedent(
        """
        import os
        from setuptools import Extension, setup
        root = "Cryptodome" if os.path.isfile(".separate_namespace") else "Crypto"
        exts = [Extension(root + ".fast", ["src/fast.c"]), Extension(root + "._aesni", ["src/aesni.c"])]
        exts = [e for e in exts if e.name != "Crypto._aesni"]
        setup(name="x", ext_modules=exts)
        """
    )
    files = {"setup.py": setup, "src/fast.c": "int f;\\n", "src/aesni.c": "int a;\\n"}
    sdist = setuptools({**files, "PKG-INFO": "Metadata-Version: 2.1\\nName: x\\n"})
    assert compiled(sdist, "src/aesni.c") == 0 and compiled(sdist, "src/fast.c") == 1
    checkout = setuptools(files)
    assert compiled(checkout, "src/aesni.c") is MAYBE


def test_macro_values_are_kept_when_every_extension_agrees() -> None:
    setup = """
        from setuptools import Extension, setup
        bits = ("SYS_BITS", "64")
        setup(name="x", ext_modules=[
            Extension("a", ["a.c"], define_macros=[bits, ("MODE", "1"), ("FLAG", None)]),
            Extension("b", ["b.c"], define_macros=[bits, ("MODE", "2")], extra_compile_args=["-DLEVEL=3"]),
        ])
        """
    plan = setuptools({"setup.py": setup, "a.c": "int a;\n", "b.c": "int b;\n"})
    assert plan.macro_texts("mingw-arm64") == {"LEVEL": "3", "SYS_BITS": "64"}  # MODE differs; FLAG has none


def test_hasattr_on_a_standard_module_is_answered_per_model() -> None:
    """Issue 25: `hasattr(os, "uname")` is False on Windows (POSIX only), so a POWER flag
    behind it is not a flag of the ARM64 build; getattr with a default likewise."""
    setup_py = (
        "import os, sys\nfrom setuptools import setup, Extension\nflags = []\n"
        'if hasattr(os, "uname") and os.uname().machine == "ppc64le":\n    flags.append("-mcpu=power8")\n'
        'if getattr(os, "uname", None) is not None:\n    flags.append("-maltivec")\n'
        'if hasattr(sys, "getwindowsversion"):\n    flags.append("/DWINDOWS_API")\n'
        'setup(ext_modules=[Extension("m", ["m.c"], extra_compile_args=flags)])\n'
    )
    names, texts = tree({"setup.py": setup_py})
    plan = setuptools_plan("setup.py", None, names | {"m.c"}, texts.get, JUDGE, MODELS)
    assert plan is not None and plan.settings
    assert {s.compile_args for s in plan.settings} == {("/DWINDOWS_API",)}


def test_include_folders_a_build_ext_override_adds_are_in_the_plan() -> None:
    """Issue 26: `self.include_dirs.append("src/include")` in finalize_options is passed
    to every compile by setuptools; prove said its headers were "not found"."""
    setup_py = (
        "from setuptools import setup, Extension\nfrom setuptools.command.build_ext import build_ext\n"
        "class BuildExt(build_ext):\n    def finalize_options(self):\n"
        "        super().finalize_options()\n        self.include_dirs.append('src/include')\n"
        "        self.include_dirs.extend(['.', '/usr/include'])\n"
        "setup(cmdclass={'build_ext': BuildExt}, ext_modules=[Extension('m', ['m.c'])])\n"
    )
    names, texts = tree({"setup.py": setup_py})
    plan = setuptools_plan("setup.py", None, names | {"m.c", "src/include/m.h"}, texts.get, JUDGE, MODELS)
    assert plan is not None
    assert plan.include_dirs == ("src/include", ".")  # an absolute folder is not the tree's


def test_meson_configuration_headers_and_project_arguments_define_macros() -> None:
    """Issue 25 item 5: configure_file's configuration_data and add_project_arguments -D
    are the build's macros per model: HAVE_SSE2 set only for x86_64 is undefined on
    ARM64 (decided), set10 and -D are defined, set(name, false) is #undef."""
    names, texts = tree(
        {
            "meson.build": """
                project('x', 'c')
                conf = configuration_data({'FROM_DICT': 'yes'})
                if host_machine.cpu_family() == 'x86_64'
                  conf.set('HAVE_SSE2', 1)
                endif
                conf.set10('HAVE_THREADS', true)
                conf.set('DISABLED', false)
                conf.set_quoted('VERSION', '1.2')
                configure_file(output: 'config.h', configuration: conf)
                if get_option('fast')
                  add_project_arguments('-DUSE_FAST=2', language: 'c')
                endif
                static_library('m', 'm.c')
                """,
            "m.c": "",
        }
    )
    plan = meson_plan(names, texts.get, JUDGE, MODELS)
    assert plan is not None
    values = plan.macro_values()
    model = MODELS[0]
    assert values["HAVE_SSE2"][model] == 0 and values["DISABLED"][model] == 0
    assert values["HAVE_THREADS"][model] == 1 and values["FROM_DICT"][model] == 1
    assert values["USE_FAST"][model] is MAYBE  # under an option the model cannot read
    assert plan.macro_texts(model)["VERSION"] == '"1.2"' and plan.macro_texts(model)["HAVE_THREADS"] == "1"


def test_a_configured_macro_decides_the_guards_of_the_units(tmp_path: Path) -> None:
    from analyzer.model import Confidence
    from analyzer.scan import ScanOptions, scan

    (tmp_path / "pyproject.toml").write_text('[build-system]\nbuild-backend = "mesonpy"\n')
    (tmp_path / "meson.build").write_text(
        "project('x', 'c')\nconf = configuration_data()\nif host_machine.cpu_family() == 'x86_64'\n"
        "  conf.set('HAVE_SSE2', 1)\nendif\nconfigure_file(output: 'config.h', configuration: conf)\n"
        "add_project_arguments('-DUSE_AVX', language: 'c')\n"
        "py = import('python').find_installation()\npy.extension_module('m', 'm.c')\n"
    )
    (tmp_path / "m.c").write_text(
        '#include "config.h"\n#ifdef HAVE_SSE2\n#include <emmintrin.h>\n#endif\n'
        "#ifdef USE_AVX\n#include <immintrin.h>\n#endif\nint m;\n"
    )
    found = {(f.rule_id, f.location.line, f.confidence) for f in scan(tmp_path, ScanOptions()).findings}
    assert ("WOA101", 6, Confidence.HIGH) in found  # -DUSE_AVX: certain on every model
    assert not [f for f in found if f[0] == "WOA101" and f[1] == 3]  # HAVE_SSE2 is x86_64's only


class CompilingJudge(ProbeJudge):
    """A judge that, like prove's toolchain, compiled every probe that names stdint.h."""

    def __call__(self, text: str) -> dict[str, Value]:
        return {m: (1 if "stdint.h" in text else MAYBE) for m in MODELS}


def test_meson_target_defines_are_macros_and_a_compiled_probe_decides_them() -> None:
    files = {
        "meson.build": """
            project('x', 'c')
            cc = meson.get_compiler('c')
            args = ['-DALWAYS']
            if cc.has_header('stdint.h')
              args += '-DHAVE_STDINT_H'
            endif
            static_library('m', 'm.c', c_args: args)
            """,
        "m.c": "",
    }
    names, texts = tree(files)
    fast = meson_plan(names, texts.get, JUDGE, MODELS)
    proved = meson_plan(names, texts.get, CompilingJudge(default_rules(), load_targets()), MODELS)
    assert fast is not None and proved is not None
    model = MODELS[0]
    assert fast.macro_values()["ALWAYS"][model] == 1
    assert fast.macro_values()["HAVE_STDINT_H"][model] is MAYBE  # the fast judge cannot tell
    assert proved.macro_values()["HAVE_STDINT_H"][model] == 1  # the compiled probe can


def test_cmake_a_compiled_probe_sets_its_result_variable() -> None:
    files = {
        "CMakeLists.txt": """\
            project(p C)
            check_include_file(stdint.h HAVE_STDINT_H)
            set(SRCS core.c)
            if(HAVE_STDINT_H)
              list(APPEND SRCS fast.c)
            endif()
            add_library(core MODULE ${SRCS})
            """,
        "core.c": "",
        "fast.c": "",
    }
    names, texts = tree(files)
    fast = cmake_plan(names, texts.get, JUDGE, MODELS)
    proved = cmake_plan(names, texts.get, CompilingJudge(default_rules(), load_targets()), MODELS)
    assert fast is not None and proved is not None
    assert compiled(fast, "fast.c") is MAYBE and compiled(proved, "fast.c") == 1


@pytest.mark.parametrize(
    ("project", "target", "cplus"),
    [
        ("", "", False),
        ("", ", cython_args: ['--cplus']", True),
        ("", ", override_options: ['cython_language=cpp']", True),
        (", default_options: ['cython_language=cpp']", "", True),
        (", default_options: {'cython_language': 'cpp'}", "", True),
        (", default_options: ['cython_language=cpp']", ", override_options: ['cython_language=c']", False),
    ],
)
def test_meson_says_when_cython_makes_cpp(project: str, target: str, cplus: bool) -> None:
    """Issue 26, item 2: the language Cython translates a meson target's .pyx to."""
    plan = meson(
        {
            "meson.build": f"""
                project('p', 'c', 'cython'{project})
                py = import('python').find_installation(pure: false)
                py.extension_module('m', 'm.pyx'{target})
                """,
            "m.pyx": "",
        }
    )
    languages = {s.language for s in plan.settings if s.target == "m"}
    assert languages == ({"c++"} if cplus else {""} if languages else set()), languages


def test_what_follows_a_loop_that_may_have_returned_is_only_maybe_reached() -> None:
    """psutil's get_version() returns from inside a loop over a file's lines and raises
    after it: the loop is not evaluated, so the raise is not certain and setup() is read."""
    plan = setuptools(
        {
            "setup.py": SETUP_HEAD
            + "def get_version():\n    with open('v.py') as f:\n        for line in f:\n"
            + "            if line.startswith('__version__'):\n                return line\n"
            + "    raise ValueError('no version')\n"
            + "VERSION = get_version()\nsetup(version=VERSION, ext_modules=[Extension('m', ['a.c'])])\n",
            "a.c": "",
        }
    )
    assert compiled(plan, "a.c") == 1 and not any(e.kind == "stops" for e in plan.events)


def test_a_tree_folder_setup_py_puts_on_sys_path_is_where_imports_are_found() -> None:
    plan = setuptools(
        {
            "setup.py": SETUP_HEAD
            + "sys.path.insert(0, os.path.join(os.path.dirname(__file__), 'pkg'))\n"
            + "from _common import POSIX, WINDOWS\nsrcs = ['a.c']\n"
            + "if POSIX:\n    srcs.append('posix.c')\nif WINDOWS:\n    srcs.append('windows.c')\n"
            + "setup(ext_modules=[Extension('m', srcs)])\n",
            "pkg/_common.py": "import os\nPOSIX = os.name == 'posix'\nWINDOWS = os.name == 'nt'\n",
            "a.c": "",
            "posix.c": "",
            "windows.c": "",
        }
    )
    assert compiled(plan, "posix.c") == 0 and compiled(plan, "windows.c") == 1


def test_an_in_tree_backend_that_wraps_setuptools_is_read_as_setuptools() -> None:
    """pillow: build-backend = "backend", backend-path = ["_custom_build"], whose module
    subclasses setuptools.build_meta's backend: its setup.py still builds."""
    files = {
        "pyproject.toml": '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "backend"\n'
        'backend-path = ["_custom_build"]\n',
        "_custom_build/backend.py": "from setuptools.build_meta import *  # noqa\n",
        "setup.py": SETUP_HEAD + "setup(ext_modules=[Extension('m', ['a.c'])])\n",
        "a.c": "",
    }
    names, texts = tree(files)
    plan = plan_build(names, texts.get, JUDGE, MODELS)
    assert plan is not None and plan.systems == ("setuptools",) and compiled(plan, "a.c") == 1
    texts["_custom_build/backend.py"] = "def build_wheel(*args):\n    raise NotImplementedError\n"
    assert plan_build(names, texts.get, JUDGE, MODELS) is None  # a backend of its own: not read


def test_a_hatch_hook_that_runs_a_setup_script_is_read_through_that_script() -> None:
    """pymongo: hatchling, and hatch_build.py runs ``[sys.executable, "_setup.py",
    "build_ext", "-i"]``; setup.py itself only raises."""
    hook = (
        "import subprocess, sys\n"
        "from hatchling.builders.hooks.plugin.interface import BuildHookInterface\n"
        "class Hook(BuildHookInterface):\n"
        "    def initialize(self, version, build_data):\n"
        "        subprocess.run([sys.executable, '_setup.py', 'build_ext', '-i'], check=True)\n"
    )
    files = {
        "pyproject.toml": '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n',
        "hatch_build.py": hook,
        "_setup.py": SETUP_HEAD + "setup(ext_modules=[Extension('p._c', ['p/c.c'])])\n",
        "setup.py": "raise RuntimeError('use pip')\n",
        "p/c.c": "",
    }
    names, texts = tree(files)
    plan = plan_build(names, texts.get, JUDGE, MODELS)
    assert plan is not None and compiled(plan, "p/c.c") == 1
    # A hook that runs some other tool, or a script with no setup command, is not read.
    texts["hatch_build.py"] = hook.replace("'build_ext', ", "'lint', ")
    assert plan_build(names, texts.get, JUDGE, MODELS) is None


@pytest.mark.parametrize(
    ("body", "read"),
    [
        # pyyaml: extra feature arguments, then the base class's __init__ with name,
        # sources and the keywords.
        (
            "    def __init__(self, name, sources, feature, **kwds):\n"
            "        _Extension.__init__(self, name, sources, **kwds)\n"
            "        self.feature = feature\n",
            True,
        ),
        ("    pass\n", True),  # no __init__ of its own: the base class's
        # An __init__ that never makes the extension: not read as one.
        ("    def __init__(self, name, sources, feature, **kwds):\n        self.feature = feature\n", False),
    ],
)
def test_a_project_subclass_of_extension_is_read_through_its_init(body: str, read: bool) -> None:
    feature = ", 'libz'" if "feature" in body else ""
    setup = (
        "from setuptools import setup, Extension as _Extension\n"
        f"class Extension(_Extension):\n{body}"
        f"setup(ext_modules=[Extension('p._c', ['p/c.c']{feature}, libraries=['z'])])\n"
    )
    names, texts = tree({"setup.py": setup, "p/c.c": ""})
    plan = setuptools_plan("setup.py", None, names, texts.get, JUDGE, MODELS)
    if read:
        assert plan is not None and compiled(plan, "p/c.c") == 1
        settings = {s.model: s for s in plan.settings if s.target == "p._c"}
        assert settings["msvc-arm64"].libraries == ("z",)
    else:
        assert plan is None or compiled(plan, "p/c.c") != 1


@pytest.mark.parametrize("section", ["cythonize", "cython"])
def test_aio_libs_backend_cythonizes_its_src_globs_in_place(section: str) -> None:
    """yarl, propcache, frozenlist: an in-tree backend wrapping setuptools runs Cython's
    cythonize command line on ``[tool.local.cythonize] src`` with ``inplace`` on."""
    pyproject = (
        '[build-system]\nrequires = ["setuptools"]\nbackend-path = ["packaging"]\n'
        'build-backend = "pep517_backend.hooks"\n\n'
        f'[tool.local.{section}]\nsrc = ["src/pkg/*.pyx"]\n\n'
        f"[tool.local.{section}.flags]\nbuild = false\ninplace = true\n"
    )
    files = {
        "pyproject.toml": pyproject,
        "packaging/pep517_backend/hooks.py": "from setuptools.build_meta import *\n",
        "packaging/pep517_backend/_backend.py": "from Cython.Build.Cythonize import main\n",
        "src/pkg/__init__.py": "",
        "src/pkg/_fast.pyx": "",
        "src/pkg/_slow.py": "",
    }
    names, texts = tree(files)
    plan = plan_build(names, texts.get, JUDGE, MODELS)
    assert plan is not None and plan.systems == ("cythonize",)
    assert [(u.path, u.target) for u in plan.sources] == [("src/pkg/_fast.pyx", "pkg._fast")]
    # Generating the C only (neither inplace nor build): nothing compiles in this step.
    texts["pyproject.toml"] = pyproject.replace("inplace = true", "inplace = false")
    assert plan_build(names, texts.get, JUDGE, MODELS) is None
    # A backend that does not run cythonize: the table alone says nothing.
    texts["pyproject.toml"] = pyproject
    texts["packaging/pep517_backend/_backend.py"] = "import os\n"
    assert plan_build(names, texts.get, JUDGE, MODELS) is None


@pytest.mark.parametrize(
    ("code", "compiled_a"),
    [
        # lxml's has_option(): list.remove raises ValueError for an option not given.
        (
            "def has(name):\n    try:\n        sys.argv.remove('--' + name)\n        return True\n"
            "    except ValueError:\n        return False\nwanted = not has('no-ext')\n",
            1,
        ),
        # A raise the handler catches (by a base class, or Exception) runs the handler.
        ("try:\n    raise ModuleNotFoundError('x')\nexcept ImportError:\n    wanted = True\n", 1),
        ("try:\n    raise RuntimeError('x')\nexcept Exception as error:\n    wanted = False\n", 0),
        # Nothing raised: the else branch, then finally.
        (
            "try:\n    wanted = False\nexcept ValueError:\n    wanted = False\nelse:\n    wanted = True\n"
            "finally:\n    pass\n",
            1,
        ),
        # sys.exit() is not caught by "except Exception".
        ("try:\n    sys.exit(1)\nexcept Exception:\n    pass\nwanted = True\n", "unlisted"),
    ],
)
def test_try_runs_the_handler_that_catches_a_certain_raise(code: str, compiled_a: Value | str) -> None:
    setup = code + "setup(ext_modules=[Extension('a', ['a.c'])] if wanted else [])\n"
    names, texts = tree({"setup.py": SETUP_HEAD + setup, "a.c": ""})
    plan = setuptools_plan("setup.py", None, names, texts.get, JUDGE, MODELS)
    if plan is None:
        assert compiled_a == "unlisted"
    else:
        assert compiled(plan, "a.c") == compiled_a


def test_cffi_modules_are_read_through_their_build_script() -> None:
    """pynacl: ``setup(cffi_modules=["src/bindings/build.py:ffi"])``; the script's
    ``ffi.set_source(...)`` is the extension, its keywords read per model."""
    build = (
        "import sys\nfrom cffi import FFI\n"
        "ffi = FFI()\nffi.cdef('int f(void);')\n"
        "libraries = ['libsodium'] if sys.platform == 'win32' else ['sodium']\n"
        "ffi.set_source('_sodium', '#include <sodium.h>', libraries=libraries, sources=['src/glue.c'])\n"
    )
    plan = setuptools(
        {
            "setup.py": SETUP_HEAD + "setup(cffi_modules=['src/bindings/build.py:ffi'])\n",
            "src/bindings/build.py": build,
            "src/glue.c": "",
        }
    )
    assert compiled(plan, "src/glue.c") == 1
    settings = {s.model: s for s in plan.settings if s.target == "_sodium"}
    assert settings["msvc-arm64"].libraries == ("libsodium",)
    # A build script the model cannot find, or no set_source: unknown, never "none".
    names, texts = tree({"setup.py": SETUP_HEAD + "setup(cffi_modules=['missing.py:ffi'])\n"})
    unread = setuptools_plan("setup.py", None, names, texts.get, JUDGE, MODELS)
    assert unread is None or "msvc-arm64" not in unread.complete_on


def test_listings_globs_and_constants_of_tree_modules_are_evaluated_in_the_tree() -> None:
    """Issue 25: ``os.listdir``, ``glob`` and path joins inside the tree, and a constant
    imported from a tree module, are values, not unknowns."""
    setup = (
        "import glob\n"
        "from build_config import SOURCES_DIR\n"
        "srcs = [os.path.join(SOURCES_DIR, f) for f in sorted(os.listdir(SOURCES_DIR)) if f.endswith('.c')]\n"
        "srcs += glob.glob(os.path.join('extra', '*.c'))\n"
        "setup(ext_modules=[Extension('m', srcs)])\n"
    )
    plan = setuptools(
        {
            "setup.py": SETUP_HEAD + setup,
            "build_config.py": "SOURCES_DIR = 'src'\n",
            "src/a.c": "",
            "src/b.c": "",
            "src/notes.txt": "",
            "extra/c.c": "",
        }
    )
    assert {path: compiled(plan, path) for path in ("src/a.c", "src/b.c", "extra/c.c")} == {
        "src/a.c": 1,
        "src/b.c": 1,
        "extra/c.c": 1,
    }
    assert "msvc-arm64" in plan.complete_on and "src/notes.txt" not in plan.compiled()


def test_from_imported_os_constants_and_shlex_split_are_values() -> None:
    """ujson: ``from os import environ, pathsep``; the include folders are a default split
    on ``pathsep`` and the vendored sources are compiled unless ``shlex.split`` of an
    unset switch names libraries."""
    setup = (
        "from os import environ, pathsep\nimport shlex\n"
        "incs = [d for d in environ.get('X_INCLUDES', 'inc').split(pathsep) if d]\n"
        "libs = shlex.split(environ.get('X_LIBS', ''))\n"
        "srcs = [] if libs else ['vendored.c']\n"
        "setup(ext_modules=[Extension('m', srcs + ['m.c'], include_dirs=incs)])\n"
    )
    plan = setuptools({"setup.py": SETUP_HEAD + setup, "m.c": "", "vendored.c": "", "inc/h.h": ""})
    assert compiled(plan, "vendored.c") == 1 and plan.include_dirs == ("inc",)


def test_sys_argv_is_one_list_a_setup_py_can_edit() -> None:
    """Cython's check_option(): an option found in sys.argv is removed from it; the next
    read sees the edit, and a project option pip never passes is absent."""
    setup = (
        "def check(name):\n"
        "    arg = '--' + name\n"
        "    if arg in sys.argv:\n"
        "        sys.argv.remove(arg)\n"
        "        return True\n"
        "    return False\n"
        "sys.argv.append('--fast')\n"
        "exts = []\n"
        "if not check('no-compile'):\n"
        "    exts.append(Extension('a', ['a.c']))\n"
        "if check('fast') and not check('fast'):\n"
        "    exts.append(Extension('b', ['b.c']))\n"
        "setup(ext_modules=exts)\n"
    )
    plan = setuptools({"setup.py": SETUP_HEAD + setup, "a.c": "", "b.c": ""})
    assert compiled(plan, "a.c") == 1 and compiled(plan, "b.c") == 1


def test_a_backend_importing_build_meta_from_setuptools_wraps_setuptools() -> None:
    """charset-normalizer's ``_build_hook/backend.py``: ``from setuptools import build_meta
    as _orig``, the module name spelled apart."""
    files = {
        "pyproject.toml": '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "backend"\n'
        'backend-path = ["_build_hook"]\n',
        "_build_hook/backend.py": "from setuptools import build_meta as _orig\n"
        "build_wheel = _orig.build_wheel\n",
        "setup.py": SETUP_HEAD + "setup(ext_modules=[Extension('m', ['a.c'])])\n",
        "a.c": "",
    }
    names, texts = tree(files)
    plan = plan_build(names, texts.get, JUDGE, MODELS)
    assert plan is not None and compiled(plan, "a.c") == 1


@pytest.mark.parametrize(
    ("setup", "pure"),
    [
        # charset-normalizer: the Cython modules only with an opt-in switch pip never sets.
        (
            "mods = None\nif os.getenv('USE_CYTHON') == '1':\n    mods = [Extension('m', ['m.c'])]\n"
            "setup(ext_modules=mods)\n",
            True,
        ),
        ("setup(ext_modules=[])\n", True),
        # Something else compiles, or the build command is the project's own: not pure.
        ("setup(ext_modules=None, cffi_modules=['build.py:ffi'])\n", False),
        ("setup(ext_modules=None, cmdclass={'build_ext': object})\n", False),
        ("setup(ext_modules=None, libraries=[('x', {'sources': ['m.c']})])\n", False),
        # ext_modules not given at all: not known to be pure.
        ("setup(name='p')\n", False),
    ],
)
def test_a_setup_that_compiles_nothing_is_a_pure_build(setup: str, pure: bool) -> None:
    names, texts = tree({"setup.py": SETUP_HEAD + setup, "m.c": "", "build.py": ""})
    plan = setuptools_plan("setup.py", None, names, texts.get, JUDGE, MODELS)
    if pure:
        assert plan is not None and plan.sources == () and set(plan.complete_on) == set(MODELS)
    else:
        assert plan is None or plan.sources != ()


def test_cython_extensions_through_typing_cast_are_read() -> None:
    """sqlalchemy: Cython.Distutils' Extension over .py sources, in a typing.cast()."""
    plan = setuptools(
        {
            "setup.py": "from typing import cast\nfrom setuptools import setup\n"
            + "from Cython.Distutils.extension import Extension as _cy_Extension\n"
            + "mods = ('a_cy', 'b_cy')\n"
            + "exts = [_cy_Extension(f'p.{m}', sources=[f'lib/{m}.py']) for m in mods]\n"
            + "exts = cast('list[Extension]', exts)\n"
            + "setup(ext_modules=exts)\n",
            "lib/a_cy.py": "",
            "lib/b_cy.py": "",
        }
    )
    assert compiled(plan, "lib/a_cy.py") == 1 and compiled(plan, "lib/b_cy.py") == 1


def test_cmake_project_names_the_targets_of_its_directory() -> None:
    """libsoxr: add_library(${PROJECT_NAME} ${LIB_TYPE} ...) in a subdirectory whose
    project() is soxr; the module links it by that name."""
    plan = cmake(
        {
            "CMakeLists.txt": """\
                project(example CXX)
                add_subdirectory(lib)
                python_add_library(ext MODULE ext.cpp)
                target_link_libraries(ext PRIVATE soxr)
                """,
            "lib/CMakeLists.txt": """\
                project (soxr C VERSION 0.1.3)
                set(LIB_TYPE STATIC)
                add_library (${PROJECT_NAME} ${LIB_TYPE} soxr.c)
                """,
            "lib/soxr.c": "",
            "ext.cpp": "",
        }
    )
    targets = {use.target for use in plan.sources if use.path == "lib/soxr.c"}
    assert targets == {"soxr"}


def test_setuptools_scm_in_an_sdist_is_the_pkg_info_version() -> None:
    """ujson defines UJSON_VERSION from setuptools_scm.get_version(): in an sdist that is
    PKG-INFO's Version (setuptools-scm's own fallback); in a checkout it stays unknown."""
    setup = (
        "from setuptools import setup, Extension\nfrom setuptools_scm import get_version\n"
        "version = get_version(local_scheme=lambda v: '')\n"
        "setup(ext_modules=[Extension('u', ['u.c'], define_macros=[('V', f'\"{version}\"')])])\n"
    )
    sdist = setuptools(
        {"setup.py": setup, "u.c": "", "PKG-INFO": "Metadata-Version: 2.4\nName: u\nVersion: 6.1.0\n"}
    )
    assert sdist.macro_texts("msvc-arm64") == {"V": '"6.1.0"'}
    checkout = setuptools({"setup.py": setup, "u.c": ""})
    assert checkout.macro_texts("msvc-arm64") == {"V": UNKNOWN_MACRO_TEXT}


BUILD_EXT_EDITS = """
import pathlib, sys
from setuptools import setup, Extension
from setuptools.command.build_ext import build_ext

ROOT = pathlib.Path(__file__).parent

class BuildExt(build_ext):
    def initialize_options(self):
        if getattr(self, '_initialized', False):
            return
        super().initialize_options()
        self.use_system_lib = False

    def finalize_options(self):
        super().finalize_options()
        self._initialized = True
        if self.compiler_kind() == 'mingw32':
            self.libraries.append('ws2_32')

    def compiler_kind(self):
        return self.compiler.compiler_type

    def build_extensions(self):
        parser, other = self.distribution.ext_modules
        if self.use_system_lib:
            parser.libraries.append('llhttp')
        else:
            parser.include_dirs.append(str(ROOT / 'vendor' / 'llhttp' / 'include'))
            parser.sources.append('vendor/llhttp/src/api.c')
        for ext in self.extensions:
            ext.define_macros.append(('VERSION', '"1.0"'))
        super().build_extensions()

setup(cmdclass={'build_ext': BuildExt},
      ext_modules=[Extension('p', ['p.c']), Extension('o', ['o.c'])])
"""


def test_build_ext_runs_as_setuptools_runs_it() -> None:
    """httptools adds its vendored llhttp in build_extensions, pillow its macros: the
    build_ext class is run (initialize_options, finalize_options, build_extensions) on
    the Extension objects setup() was given, and what it changes is the build's."""
    plan = setuptools({"setup.py": BUILD_EXT_EDITS, "p.c": "", "o.c": "", "vendor/llhttp/src/api.c": ""})
    assert compiled(plan, "vendor/llhttp/src/api.c") == 1
    assert plan.include_dirs == ("vendor/llhttp/include",)
    assert plan.macro_texts("msvc-arm64") == {"VERSION": '"1.0"'}
    libraries = {(s.target, s.model): s.libraries for s in plan.settings}
    assert libraries[("p", "mingw-arm64")] == ("ws2_32",) and ("p", "msvc-arm64") not in libraries
    assert plan.build_time_edits  # still said: the proof knows the build edits as it runs


def test_normcase_is_the_windows_spelling_of_a_tree_path() -> None:
    """google-crc32c passes os.path.normcase(...) of its source: on Windows that is the
    lower-cased path, which Windows finds whatever the file's case."""
    setup = (
        "import os\nfrom setuptools import setup, Extension\n"
        "src = os.path.normcase(os.path.join('src', 'Pkg', '_Fast.c'))\n"
        "setup(ext_modules=[Extension('pkg._fast', [src])])\n"
    )
    plan = setuptools({"setup.py": setup, "src/Pkg/_Fast.c": ""})
    assert compiled(plan, "src/Pkg/_Fast.c") == 1


@pytest.mark.parametrize(
    ("option", "flag"),
    [
        ("cpp_std=c++20", "-std=c++20"),
        ("cpp_std=vc++17", "-std=c++17"),  # meson's MSVC spelling
        ("cpp_std=c++23,c++20", "-std=c++23"),  # a fallback list: the first
        ("c_std=gnu11", "-std=gnu11"),
        ("cpp_std=vc++latest", None),
        ("c_std=none", None),
        ("cython_language=cpp", None),
    ],
)
def test_meson_language_standards_as_compiler_flags(option: str, flag: str | None) -> None:
    from analyzer.buildmodel.meson import _standard_flag

    assert _standard_flag(option) == flag


def test_meson_wraps_give_subprojects_their_folders_and_dependencies_their_fallback() -> None:
    """pandas: ``subproject('fast_float')`` is ``subprojects/fast_float-8.2.10`` (the wrap's
    directory), and ``dependency('xsimd')`` falls back to the subproject its wrap provides
    (which declares it with override_dependency): their include folders reach the build.
    A wrap cannot point outside subprojects/."""
    plan = meson(
        {
            "meson.build": """\
                project('p', 'c', 'cpp')
                ff = subproject('fast_float').get_variable('fast_float_dep')
                xs = dependency('xsimd', version: '>=14')
                evil = subproject('evil')
                py = import('python').find_installation()
                py.extension_module('m', 'm.cpp', dependencies: [ff, xs])
            """,
            "m.cpp": "",
            "subprojects/fast_float.wrap": "[wrap-file]\ndirectory = fast_float-8.2.10\n"
            "[provide]\ndependency_names = fast_float\n",
            "subprojects/fast_float-8.2.10/meson.build": (
                "project('fast_float', 'cpp')\n"
                "fast_float_dep = declare_dependency(include_directories: include_directories('include'))\n"
            ),
            "subprojects/fast_float-8.2.10/include/fast_float/fast_float.h": "",
            "subprojects/xsimd.wrap": (
                "[wrap-file]\ndirectory = xsimd-14.2.0\n[provide]\ndependency_names = xsimd\n"
            ),
            "subprojects/xsimd-14.2.0/meson.build": (
                "project('xsimd', 'cpp')\n"
                "xsimd_dep = declare_dependency(include_directories: include_directories('include'))\n"
                "meson.override_dependency('xsimd', xsimd_dep)\n"
            ),
            "subprojects/xsimd-14.2.0/include/xsimd/xsimd.hpp": "",
            "subprojects/evil.wrap": "[wrap-git]\ndirectory = ../../outside\n",
            "outside/meson.build": "error('never read')\n",
        }
    )
    assert {"subprojects/fast_float-8.2.10/include", "subprojects/xsimd-14.2.0/include"} <= set(
        plan.include_dirs
    )
    assert {"fast_float", "xsimd", "evil"} <= set(plan.built_here)
    assert not any("never read" in n for n in plan.notes) and not plan.events
