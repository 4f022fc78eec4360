"""What a CMake configure step computes that a proof needs (issue 26: generated headers):
``cmake_dependent_option``, a find module the tree ships, ``check_function_exists``,
``configure_file`` headers with ``#cmakedefine``, and directory-scoped definitions."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping

from analyzer.buildmodel.cmake import cmake_plan, configured_text
from analyzer.buildmodel.plan import BuildPlan
from analyzer.native.probe import ProbeJudge
from analyzer.rules import default_rules
from analyzer.targets import load_targets
from analyzer.tri import Value

MODELS = load_targets().names
FAST = ProbeJudge(default_rules(), load_targets())


def plan_of(files: Mapping[str, str], judge: object = FAST) -> BuildPlan:
    texts = {path: textwrap.dedent(text) for path, text in files.items()}
    plan = cmake_plan(frozenset(texts), texts.get, judge, MODELS)  # type: ignore[arg-type]
    assert plan is not None
    return plan


class Compiler:
    """A judge that answers every probe as a toolchain would on every model (what prove's
    judge does for its model), recording what it was asked."""

    def __init__(self, fails: tuple[str, ...] = ()) -> None:
        self.fails, self.asked = fails, list[str]()

    def __call__(self, text: str) -> Mapping[str, Value]:
        self.asked.append(text)
        verdict: Value = 0 if any(word in text for word in self.fails) else 1
        return dict.fromkeys(MODELS, verdict)


def test_configured_text_follows_cmakes_rules() -> None:
    template = (
        "#cmakedefine HAVE_A\n#cmakedefine HAVE_B 1\n#  cmakedefine01 HAVE_C\n"
        '#define VERSION "@VERSION@"\n#define NAME "${NAME}"\n'
    )
    scope = {"HAVE_A": "ON", "HAVE_B": "NOTFOUND", "HAVE_C": "1", "VERSION": "1.2", "NAME": "x"}
    text, unknown = configured_text(template, scope)
    assert text == (
        '#define HAVE_A\n/* #undef HAVE_B */\n#  define HAVE_C 1\n#define VERSION "1.2"\n#define NAME "x"\n'
    )
    assert unknown == []
    # @ONLY leaves ${...} alone; an unset variable is empty (false), as in CMake.
    text, _ = configured_text('#cmakedefine01 MISSING\n#define N "${NAME}"\n', scope, only_at=True)
    assert text == '#define MISSING 0\n#define N "${NAME}"\n'


def test_an_unknown_value_is_named() -> None:
    from analyzer.tri import UNKNOWN

    text, unknown = configured_text(
        "#cmakedefine01 HAVE_X\n#define V @V@\n", {"HAVE_X": UNKNOWN, "V": UNKNOWN}
    )
    assert unknown == ["HAVE_X", "V"]
    assert "#define HAVE_X 0" in text  # a guess, flagged by ``unknown``


PROJECT = {
    "CMakeLists.txt": """
        project(p C)
        include(CMakeDependentOption)
        list(APPEND CMAKE_MODULE_PATH ${CMAKE_CURRENT_SOURCE_DIR}/cmake)
        option(WITH_FAST "fast paths" ON)
        cmake_dependent_option(WITH_SIMD "SIMD" ON "WITH_FAST;NOT DISABLE_SIMD" OFF)
        cmake_dependent_option(WITH_SLOW "slow" ON "NOT WITH_FAST" OFF)
        if(WITH_SIMD)
          find_package(SIMD)
          set(WITH_SIMD ${SIMD_FOUND})
        endif()
        include(CheckIncludeFiles)
        include(CheckFunctionExists)
        check_include_files(stdint.h HAVE_STDINT_H)
        check_function_exists(lrint HAVE_LRINT)
        configure_file(${PROJECT_SOURCE_DIR}/config.h.in ${PROJECT_BINARY_DIR}/config.h)
        add_definitions(-DTOP_LEVEL /DALSO -Wall)
        add_subdirectory(lib)
        add_library(top MODULE top.c)
    """,
    "cmake/FindSIMD.cmake": """
        include(FindPackageHandleStandardArgs)
        include(CheckCSourceCompiles)
        check_c_source_compiles("#include <immintrin.h>\nint main(void){__m256 a; return 0;}" SIMD_WORKS)
        if(SIMD_WORKS)
          set(SIMD_FLAGS "-mavx")
        endif()
        find_package_handle_standard_args(SIMD DEFAULT_MSG SIMD_FLAGS)
    """,
    "config.h.in": """
        #cmakedefine01 WITH_FAST
        #cmakedefine01 WITH_SIMD
        #cmakedefine01 WITH_SLOW
        #cmakedefine01 HAVE_STDINT_H
        #cmakedefine01 HAVE_LRINT
    """,
    "lib/CMakeLists.txt": """
        add_compile_definitions(LIB_ONLY=1)
        add_library(core STATIC core.c)
        target_compile_definitions(core PRIVATE CORE_BUILD)
    """,
    "top.c": "int top;\n",
    "lib/core.c": "int core;\n",
}


def test_the_configure_step_as_a_toolchain_would_run_it() -> None:
    compiler = Compiler(fails=("immintrin.h",))
    plan = plan_of(PROJECT, compiler)
    (header,) = plan.generated_headers
    assert (header.path, header.template, header.in_tree) == ("config.h", "config.h.in", False)
    assert header.unknown == ()
    text = header.text_on("mingw-arm64")
    assert text is not None
    assert [line.strip() for line in text.splitlines() if line.strip()] == [
        "#define WITH_FAST 1",
        "#define WITH_SIMD 0",  # the tree's FindSIMD ran its probe: no AVX on ARM64
        "#define WITH_SLOW 0",  # its condition does not hold: the FORCE value
        "#define HAVE_STDINT_H 1",
        "#define HAVE_LRINT 1",
    ]
    # check_function_exists is CMake's own probe: declared, called and linked.
    assert any("char lrint(void);" in asked and "int main(void)" in asked for asked in compiler.asked)


def test_a_probe_the_fast_mode_cannot_settle_leaves_the_header_unknown() -> None:
    plan = plan_of(PROJECT)
    (header,) = plan.generated_headers
    assert header.text_on("msvc-arm64") is None
    assert {"HAVE_STDINT_H", "HAVE_LRINT"} <= set(header.unknown)


def test_definitions_reach_the_targets_of_their_directory() -> None:
    plan = plan_of(PROJECT, Compiler())
    args = {s.target: s.compile_args for s in plan.settings if s.model == "mingw-arm64"}
    # The top-level definitions came before add_subdirectory: lib/ inherits them; its own
    # stay there; a flag that is no definition (-Wall) is not one.
    assert args["core"] == ("-DTOP_LEVEL", "-DALSO", "-DLIB_ONLY=1", "-DCORE_BUILD")
    assert args["top"] == ("-DTOP_LEVEL", "-DALSO")


def test_a_find_module_the_tree_does_not_ship_stays_unknown() -> None:
    files = {
        "CMakeLists.txt": """
            project(p C)
            find_package(Foo)
            configure_file(config.h.in config.h)
            add_library(m MODULE m.c)
        """,
        "config.h.in": "#cmakedefine01 Foo_FOUND\n",
        "m.c": "int m;\n",
    }
    (header,) = plan_of(files, Compiler()).generated_headers
    assert header.unknown == ("Foo_FOUND",)
    assert header.text_on("msvc-arm64") is None
    # A relative output lands in the build folder, never the tree.
    assert (header.path, header.in_tree) == ("config.h", False)


def test_an_interface_librarys_build_interface_include_folder_is_an_include_folder() -> None:
    """rapidfuzz's header-only library: ``$<BUILD_INTERFACE:dir>`` is ``dir`` while the
    project builds, ``$<INSTALL_INTERFACE:...>`` is nothing (an installed layout)."""
    plan = plan_of(
        {
            "CMakeLists.txt": """\
                project(x LANGUAGES CXX)
                add_subdirectory(lib/cpp)
                add_library(m MODULE m.cpp)
                target_link_libraries(m PRIVATE cpp::cpp)
                """,
            "lib/cpp/CMakeLists.txt": """\
                set(SOURCES_DIR ${CMAKE_CURRENT_SOURCE_DIR}/cpp)
                add_library(cpp INTERFACE)
                add_library(cpp::cpp ALIAS cpp)
                target_include_directories(cpp INTERFACE
                    $<BUILD_INTERFACE:${SOURCES_DIR}/..>
                    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
                """,
            "m.cpp": "",
        }
    )
    assert plan.include_dirs == ("lib/cpp",)
