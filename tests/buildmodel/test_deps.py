"""Native dependencies by route (issue 16 item 4): what each kind of build file looks
for outside the tree, with where; what non-Windows branches, examples and in-tree
fallbacks do not count; and how the verdict names them."""

from __future__ import annotations

from pathlib import Path

from analyzer.buildmodel.deps import built_in_tree, is_built_in_tree, normalized, tool_lookups
from analyzer.buildmodel.textual import dependencies, dependencies_in
from analyzer.scan import ScanOptions, scan
from analyzer.verdict import judge

CMAKE = """cmake_minimum_required(VERSION 3.15)
find_package(Python COMPONENTS Interpreter Development.Module REQUIRED)
find_package(ZLIB REQUIRED)
pkg_check_modules(RDKAFKA REQUIRED IMPORTED_TARGET rdkafka>=2.0)
find_library(PQ_LIB NAMES pq libpq)
if(UNIX)
  find_package(X11)
endif()
find_package(taskflow QUIET)
if(NOT taskflow_FOUND)
  add_subdirectory(extern/taskflow)
endif()
"""
MESON = """project('x', 'c')
py = import('python').find_installation()
blas = dependency('openblas')
m = cc.find_library('m', required: false)
if host_machine.system() == 'linux'
  rt = dependency('librt')
endif
"""
SETUP = """import subprocess, sys
from ctypes.util import find_library
flags = subprocess.check_output(['pkg-config', '--cflags', 'libxml-2.0'])
if sys.platform != "win32":
    subprocess.check_output(['pkg-config', '--libs', 'ncurses'])
ssl = find_library('ssl')
"""


MESON_PYPROJECT = '[build-system]\nrequires = ["meson-python"]\nbuild-backend = "mesonpy"\n'


def names(rel: str, text: str) -> list[tuple[str, str, str]]:
    return [(d.name, d.route, d.where) for d in dependencies_in(rel, text)]


def test_each_route() -> None:
    assert names("CMakeLists.txt", CMAKE) == [
        ("ZLIB", "CMake find_package", "CMakeLists.txt:3"),
        ("rdkafka", "CMake pkg_check_modules", "CMakeLists.txt:4"),
        ("pq", "CMake find_library", "CMakeLists.txt:5"),
        ("taskflow", "CMake find_package", "CMakeLists.txt:9"),
    ]  # Python is the interpreter, X11 is under if(UNIX)
    assert names("meson.build", MESON) == [("openblas", "meson dependency()", "meson.build:3")]
    assert names("setup.py", SETUP) == [
        ("libxml-2.0", "pkg-config in setup.py", "setup.py:3"),
        ("ssl", "find_library in setup.py", "setup.py:6"),
    ]
    vcpkg = '{"name": "x", "dependencies": ["zlib", {"name": "openssl", "features": ["tools"]}]}'
    assert [d.name for d in dependencies_in("vcpkg.json", vcpkg)] == ["zlib", "openssl"]
    nuget = '<packages><package id="zeromq.redist" version="4.3.5" /></packages>'
    assert names("packages.config", nuget) == [("zeromq.redist", "NuGet package", "packages.config:1")]
    project = '<ItemGroup><PackageReference Include="libpq.redist" Version="16" /></ItemGroup>'
    assert names("x.vcxproj", project)[0][:2] == ("libpq.redist", "NuGet package")
    assert dependencies_in("vcpkg.json", "{not json") == []


def test_built_in_tree_fallbacks_and_names() -> None:
    built = built_in_tree([("CMakeLists.txt", CMAKE), ("meson.build", "sub = subproject('zstd')\n")])
    assert is_built_in_tree("taskflow", built) and is_built_in_tree("Taskflow::Taskflow", built)
    assert is_built_in_tree("zstd", built) and not is_built_in_tree("ZLIB", built)
    assert normalized('"libsodium.a"') == normalized("Sodium::sodium") == "sodium"
    twice = dependencies(
        [("a/CMakeLists.txt", "find_package(Sodium)\n"), ("b.cmake", "find_library(X libsodium.a)\n")]
    )
    assert [d.name for d in twice] == ["Sodium"]


def test_the_verdict_names_dependencies_with_their_route(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "m.c").write_text("int m;\n")
    (tmp_path / "CMakeLists.txt").write_text(CMAKE + "add_library(m MODULE src/m.c)\n")
    (tmp_path / "examples").mkdir()
    (tmp_path / "examples" / "CMakeLists.txt").write_text("find_package(Boost)\n")
    deps = judge(scan(tmp_path, ScanOptions(jobs=1))).area("dependencies")
    assert deps.state == "unknown"
    assert deps.reasons[0] == (
        "links libraries the tree does not build: ZLIB (CMake find_package, CMakeLists.txt:3),"
        " rdkafka (CMake pkg_check_modules, CMakeLists.txt:4), pq (CMake find_library, CMakeLists.txt:5);"
        " each needs an ARM64 Windows build"
    )
    (tmp_path / "build_deps.bat").write_text("vcpkg install zlib:x64-windows\n")
    deps = judge(scan(tmp_path, ScanOptions(jobs=1))).area("dependencies")
    assert deps.state == "unknown" and any("WOA562 build_deps.bat:1" in r for r in deps.reasons)


def _dependency_names(root: Path) -> list[str]:
    return [name for name, _, _ in scan(root, ScanOptions(jobs=1)).dependencies]


def test_a_dependency_on_a_line_the_build_model_never_runs_is_none(tmp_path: Path) -> None:
    # No text guard sees it (no UNIX/APPLE/NOT WIN32): the model knows a win_arm64 build
    # is 64-bit on every model, so this branch never runs.
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "m.c").write_text("int m;\n")
    (tmp_path / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["scikit-build-core"]\nbuild-backend = "scikit_build_core.build"\n'
    )
    (tmp_path / "CMakeLists.txt").write_text(
        "cmake_minimum_required(VERSION 3.15)\nproject(m C)\n"
        "if(CMAKE_SIZEOF_VOID_P EQUAL 4)\n  find_package(Wayland REQUIRED)\nendif()\n"
        "find_package(ZLIB REQUIRED)\nadd_library(m MODULE src/m.c)\n"
    )
    assert _dependency_names(tmp_path) == ["ZLIB"]
    # Read as text alone (no build model), the guess keeps both.
    texts = [("CMakeLists.txt", (tmp_path / "CMakeLists.txt").read_text())]
    assert [d.name for d in dependencies(texts)] == ["Wayland", "ZLIB"]


def test_a_meson_dependency_in_a_branch_no_windows_model_takes_is_none(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(MESON_PYPROJECT)
    (tmp_path / "m.c").write_text("int m;\n")
    (tmp_path / "meson.build").write_text(
        "project('m', 'c')\nis_win = host_machine.system() == 'windows'\n"
        "if not is_win\n  x11 = dependency('x11')\nendif\nsodium = dependency('libsodium')\n"
        "py = import('python').find_installation()\npy.extension_module('m', 'm.c')\n"
    )
    assert _dependency_names(tmp_path) == ["libsodium"]
    texts = [("meson.build", (tmp_path / "meson.build").read_text())]
    assert [d.name for d in dependencies(texts)] == ["x11", "libsodium"]  # the text alone


def test_the_model_names_a_library_only_its_variables_spell(tmp_path: Path) -> None:
    """Issue 28: a build file the model read is asked, not its text: the lookup's name
    with its variables expanded, and meson's compiler lookups. A file the model could
    not read in full keeps the text reader's answer beside it."""
    (tmp_path / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["scikit-build-core"]\nbuild-backend = "scikit_build_core.build"\n'
    )
    (tmp_path / "m.c").write_text("int m;\n")
    cmake = "project(m C)\nset(CODEC zstd)\nfind_package(${CODEC} REQUIRED)\nadd_library(m MODULE m.c)\n"
    (tmp_path / "CMakeLists.txt").write_text(cmake)
    assert _dependency_names(tmp_path) == ["zstd"]
    assert dependencies([("CMakeLists.txt", cmake)]) == ()  # the text sees only ${CODEC}
    unread = "execute_process(COMMAND git describe OUTPUT_VARIABLE V)\nforeach(x IN LISTS V)\nendforeach()\n"
    (tmp_path / "CMakeLists.txt").write_text(cmake + unread + "find_package(LZ4)\n")
    # Not read in full: the text's answer, and what the model saw run.
    assert _dependency_names(tmp_path) == ["LZ4", "zstd"]


def test_what_the_build_compiles_in_its_place_is_no_dependency_as_the_model_reads_it(tmp_path: Path) -> None:
    """``add_subdirectory(${VENDOR})``: the text sees a variable; the model knows it is
    extern/zstd, so zstd (looked for first) is built from the tree when not installed."""
    (tmp_path / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["scikit-build-core"]\nbuild-backend = "scikit_build_core.build"\n'
    )
    (tmp_path / "m.c").write_text("int m;\n")
    cmake = (
        "project(m C)\nset(VENDOR extern/zstd)\nfind_package(zstd QUIET)\n"
        "if(NOT zstd_FOUND)\n  add_subdirectory(${VENDOR})\nendif()\nadd_library(m MODULE m.c)\n"
    )
    (tmp_path / "CMakeLists.txt").write_text(cmake)
    assert _dependency_names(tmp_path) == []
    assert "zstd" not in built_in_tree([("CMakeLists.txt", cmake)])  # the text alone
    # meson: a subproject named in a variable.
    (tmp_path / "CMakeLists.txt").unlink()
    (tmp_path / "pyproject.toml").write_text(MESON_PYPROJECT)
    (tmp_path / "meson.build").write_text(
        "project('m', 'c')\nname = 'zlib'\nz = dependency(name, required: false)\n"
        "if not z.found()\n  z = subproject(name).get_variable('zlib_dep')\nendif\n"
        "py = import('python').find_installation()\npy.extension_module('m', 'm.c', dependencies: z)\n"
    )
    assert _dependency_names(tmp_path) == []


def test_meson_compiler_lookups_come_from_the_model(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(MESON_PYPROJECT)
    (tmp_path / "m.c").write_text("int m;\n")
    (tmp_path / "meson.build").write_text(
        "project('m', 'c')\ncc = meson.get_compiler('c')\nname = 'ssl'\nssl = cc.find_library(name)\n"
        "py = import('python').find_installation()\npy.extension_module('m', 'm.c', dependencies: ssl)\n"
    )
    result = scan(tmp_path, ScanOptions(jobs=1))
    assert result.dependencies == (("ssl", "meson find_library()", "meson.build:4"),)


def test_setup_py_tool_calls_name_what_the_model_computes(tmp_path: Path) -> None:
    """pkg-config and a library's configuration tool asked with names from variables (and
    from a module setup.py imports): the model's evaluated command lines name them; the
    text alone cannot."""
    (tmp_path / "m.c").write_text("int m;\n")
    (tmp_path / "buildinfo.py").write_text(
        "import subprocess\nTOOL = 'mysql' + '_config'\n"
        "def flags():\n    return subprocess.check_output([TOOL, '--libs'])\n"
    )
    (tmp_path / "setup.py").write_text(
        "import subprocess, pkgconfig\nfrom setuptools import setup, Extension\nimport buildinfo\n"
        "LIBS = ['libxml-2.0', 'libxslt']\n"
        "cflags = subprocess.check_output(['pkg-config', '--cflags', *LIBS])\n"
        "pkgconfig.parse(' '.join(['zlib']))\n"
        "buildinfo.flags()\n"
        'setup(ext_modules=[Extension("m", ["m.c"])])\n'
    )
    assert _dependency_names(tmp_path) == ["libxml-2.0", "libxslt", "zlib", "mysqlclient"]
    texts = [("setup.py", (tmp_path / "setup.py").read_text())]
    assert dependencies(texts) == ()


def test_build_plan_reports_what_the_build_looks_for_and_builds_in_its_place(tmp_path: Path) -> None:
    import json

    from analyzer.project import plan_of
    from analyzer.report.buildplan import render_json, render_text

    (tmp_path / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["scikit-build-core"]\nbuild-backend = "scikit_build_core.build"\n'
    )
    (tmp_path / "m.c").write_text("int m;\n")
    (tmp_path / "CMakeLists.txt").write_text(
        "project(m C)\nfind_package(ZLIB REQUIRED)\nif(UNIX)\n  find_package(X11)\nendif()\n"
        "add_subdirectory(extern/taskflow)\nadd_library(m MODULE m.c)\n"
    )
    plan = plan_of(tmp_path)
    assert plan is not None
    data = json.loads(render_json(plan, ("msvc-arm64",), "t"))
    assert data["models"]["msvc-arm64"]["looks_for"] == [
        {"name": "ZLIB", "route": "CMake find_package", "where": "CMakeLists.txt:2"}
    ]
    assert data["built_here"] == ["taskflow"]
    text = render_text(plan, ("msvc-arm64",), "t")
    assert "looks for     ZLIB (CMake find_package, CMakeLists.txt:2)" in text and "X11" not in text


def test_tool_lookups_read_an_evaluated_command_line() -> None:
    assert tool_lookups(["pkg-config", "--variable", "includedir", "--cflags", "gmp"]) == [
        ("gmp", "pkg-config")
    ]
    assert tool_lookups(["C:\\pg\\bin\\pg_config.exe", "--libdir"]) == [("libpq", "pg_config")]
    assert tool_lookups(["pkg-config", "gmp"]) == []  # no query: not a lookup
    assert tool_lookups(["gcc", "-lgmp"]) == []
    assert tool_lookups(["pkg-config --libs gmp"]) == [("gmp", "pkg-config")]  # os.system's one string


def test_a_setup_py_branch_no_model_takes_names_no_dependency(tmp_path: Path) -> None:
    (tmp_path / "m.c").write_text("int m;\n")
    (tmp_path / "setup.py").write_text(
        "import subprocess, sys\nfrom setuptools import setup, Extension\n"
        'if sys.platform == "emscripten":\n'
        "    subprocess.check_output(['pkg-config', '--libs', 'gmp'])\n"
        "subprocess.check_output(['pkg-config', '--cflags', 'libxml-2.0'])\n"
        'setup(ext_modules=[Extension("m", ["m.c"])])\n'
    )
    assert _dependency_names(tmp_path) == ["libxml-2.0"]


def test_a_librarys_own_configuration_tool_names_the_library() -> None:
    """psycopg2 asks pg_config for libpq's flags: it needs libpq (it said "links no
    library from outside the tree")."""
    text = (
        "import subprocess\n"
        'PG = "pg_config"\n'
        'subprocess.run(["/usr/local/bin/xml2-config.exe", "--libs"])\n'
        '# "mysql_config" in a comment\n'
        'other = "not_pg_config_at_all"\n'
    )
    assert names("setup.py", text) == [
        ("libpq", "pg_config in setup.py", "setup.py:2"),
        ("libxml2", "xml2-config in setup.py", "setup.py:3"),
    ]
