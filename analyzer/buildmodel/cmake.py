"""The CMake build model: ``CMakeLists.txt`` interpreted per model, never run.

Variables hold strings (lists are ``;``-joined, as in CMake) or UNKNOWN. The model's
facts set ``CMAKE_SYSTEM_PROCESSOR`` (``ARM64`` on Windows ARM64), ``MSVC``, ``WIN32``...;
``option()`` takes its default; ``find_package`` and checks CMake does not describe
statically leave their result variables unknown. ``if()`` follows CMake's rules, and a
branch under an unknown condition counts as "maybe". ``try_compile``,
``check_c_source_compiles``, ``check_include_file`` and a ``configure_file``d probe
source are compile probes judged by the native rules. ``function``/``macro`` bodies run
when called. Targets (``add_library``, ``add_executable``, ``python_add_library``,
``pybind11_add_module``, ``nanobind_add_module``, ``target_sources``) give the sources.
"""

from __future__ import annotations

import contextlib
import fnmatch
import posixpath
import re
from collections.abc import Callable, Mapping
from typing import Any

from analyzer.buildmodel.cmakeparse import Arg, Block, CMakeError, Command, nest, parse
from analyzer.buildmodel.deps import CMAKE_LOOKUPS, cmake_lookup_names
from analyzer.buildmodel.plan import (
    NATIVE_SUFFIXES,
    BuildPlan,
    EventKey,
    Fact,
    GeneratedTexts,
    ProbeJudge,
    ProbeKey,
    build_env,
    event_list,
    generated_header_list,
    judge_for,
    note_on,
    probe_list,
    reference_env,
    settings_list,
    source_uses,
    without_shared_stops,
)
from analyzer.buildmodel.public import installed_headers
from analyzer.buildmodel.runtime import InterpreterRuntime, RunRecord
from analyzer.buildmodel.values import UNKNOWN, Target
from analyzer.limits import BUILD_LIMITS
from analyzer.safeload import regex_search
from analyzer.tri import MAYBE, Value, and3, or3

MAX_STEPS = 300_000
MAX_FILES = 1_000
MAX_CALL_DEPTH = 32
ROOT = "\x00root"  # CMAKE_SOURCE_DIR: absolute in CMake, the tree root here
BINARY = "\x00build"  # CMAKE_BINARY_DIR: not in the tree


class _Return(Exception):
    pass


class _Stop(Exception):
    """``message(FATAL_ERROR ...)`` was reached: the configure step ends here."""


class _Break(Exception):
    pass


# -- evaluation ------------------------------------------------------------------------
_TRUE = {"1", "ON", "YES", "TRUE", "Y"}
_FALSE = {"0", "OFF", "NO", "FALSE", "N", "IGNORE", "NOTFOUND", ""}
_VAR_REF = re.compile(r"\$\{([^${}]*)\}")
TARGET_COMMANDS = {
    "add_library": (
        "STATIC",
        "SHARED",
        "MODULE",
        "OBJECT",
        "INTERFACE",
        "EXCLUDE_FROM_ALL",
        "IMPORTED",
        "ALIAS",
        "GLOBAL",
    ),
    "add_executable": ("WIN32", "MACOSX_BUNDLE", "EXCLUDE_FROM_ALL", "IMPORTED", "ALIAS", "GLOBAL"),
    "python_add_library": ("STATIC", "SHARED", "MODULE", "WITH_SOABI", "USE_SABI"),
    "python3_add_library": ("STATIC", "SHARED", "MODULE", "WITH_SOABI", "USE_SABI"),
    "pybind11_add_module": (
        "MODULE",
        "SHARED",
        "EXCLUDE_FROM_ALL",
        "NO_EXTRAS",
        "THIN_LTO",
        "OPT_SIZE",
        "SYSTEM",
        "WITHOUT_SOABI",
    ),
    "nanobind_add_module": (
        "NB_STATIC",
        "NB_SHARED",
        "STABLE_ABI",
        "NOMINSIZE",
        "NOSTRIP",
        "LTO",
        "PROTECT_STACK",
        "FREE_THREADED",
        "NB_SUPPRESS_WARNINGS",
        "MUSL_DYNAMIC_LIBCPP",
    ),
}
_UNKNOWN_OUTPUT_KEYWORDS = {"OUTPUT_VARIABLE", "RESULT_VARIABLE", "ERROR_VARIABLE", "RESULT", "OUTPUT"}


class Interpreter(InterpreterRuntime[list[Any]]):
    max_steps = MAX_STEPS
    max_files = MAX_FILES
    stop_error = CMakeError
    file_kind = "CMake"

    def __init__(
        self,
        facts: Mapping[str, Fact],
        tree_files: frozenset[str],
        read_text: Callable[[str], str | None],
        judge: Callable[[str], Value],
        defines: Mapping[str, str] | None = None,
        parsed: dict[str, list[Any] | None] | None = None,  # shared by every model's run
    ) -> None:
        super().__init__(facts, tree_files, read_text, judge, parsed)
        self.depth = 0
        self.include_depth = 0
        self.subdirectories: set[str] = set()
        self.commands: dict[str, tuple[str, tuple[str, ...], tuple[Any, ...], str]] = {}
        self.targets: dict[str, Target] = {}
        self.probes: list[tuple[str, int, str, Value]] = []
        self.virtual: dict[str, str] = {}  # configure_file outputs
        # Headers configure_file writes: (path, template, text or None, unknown names, in tree).
        self.generated: list[tuple[str, str, str | None, tuple[str, ...], bool]] = []
        self.include_paths: list[str] = []
        self.public_headers: list[str] = []  # install(FILES|DIRECTORY ...) headers
        self.settings: dict[str, dict[str, list[str]]] = {}
        # Arguments of commands that run tools or link (execute_process, link_directories,
        # target_link_libraries...) as this model computes them: (file, line, text, certain).
        self.values: list[tuple[str, int, str, bool]] = []
        self.excluded = 0  # depth of EXCLUDE_FROM_ALL subdirectories
        self.base_vars: dict[str, Any] = {
            "CMAKE_SYSTEM_NAME": "Windows",
            "CMAKE_HOST_SYSTEM_NAME": "Windows",
            "CMAKE_SOURCE_DIR": ROOT,
            "PROJECT_SOURCE_DIR": ROOT,
            "CMAKE_BINARY_DIR": BINARY,
            "PROJECT_BINARY_DIR": BINARY,
            "CMAKE_CURRENT_BINARY_DIR": BINARY,
            "CMAKE_VERSION": "3.30.0",
        }
        for key, value in facts.items():
            if key.startswith("cmake."):
                name = key.removeprefix("cmake.")
                if value is None:
                    self.base_vars[name] = UNKNOWN
                elif isinstance(value, bool):
                    self.base_vars[name] = "1" if value else ""
                else:
                    self.base_vars[name] = str(value)
        processor = self.base_vars.get("CMAKE_SYSTEM_PROCESSOR", UNKNOWN)
        self.base_vars["CMAKE_HOST_SYSTEM_PROCESSOR"] = processor
        compiler = facts.get("meson.compiler_id")
        ids = {"msvc": "MSVC", "clang-cl": "Clang", "clang": "Clang", "gcc": "GNU"}
        compiler_id = ids.get(str(compiler), UNKNOWN) if compiler else UNKNOWN
        self.base_vars["CMAKE_C_COMPILER_ID"] = compiler_id
        self.base_vars["CMAKE_CXX_COMPILER_ID"] = compiler_id
        if compiler == "clang-cl":
            self.base_vars["CMAKE_C_SIMULATE_ID"] = "MSVC"
            self.base_vars["CMAKE_CXX_SIMULATE_ID"] = "MSVC"
        if self.base_vars.get("MSVC") == "1":
            platform = self.base_vars.get("CMAKE_GENERATOR_PLATFORM", UNKNOWN)
            self.base_vars["CMAKE_VS_PLATFORM_NAME"] = platform
            self.base_vars["CMAKE_CXX_COMPILER_ARCHITECTURE_ID"] = platform
            self.base_vars["CMAKE_C_COMPILER_ARCHITECTURE_ID"] = platform
        self.base_vars.update(defines or {})
        self.cache: set[str] = set()

    # -- files -------------------------------------------------------------------
    def run(self, path: str) -> None:
        scope = dict(self.base_vars)
        self.subdirectories.add(path)

        def evaluate() -> None:
            with contextlib.suppress(_Return, _Stop):  # return() at file level, FATAL_ERROR
                self.run_file(path, scope, posixpath.dirname(path))

        self.run_entry(path, evaluate)

    def load(self, path: str) -> list[Any] | None:
        return self.parse_once(path, lambda text: nest(parse(text)))

    def run_file(self, path: str, scope: dict[str, Any], directory: str) -> None:
        self.loaded.add(path)
        body = self.load(path)
        if body is None:
            self.unknown_sources = True
            return
        saved = {k: scope.get(k) for k in ("CMAKE_CURRENT_SOURCE_DIR", "CMAKE_CURRENT_LIST_DIR", "_file")}
        scope["CMAKE_CURRENT_SOURCE_DIR"] = (
            scope.get("CMAKE_CURRENT_SOURCE_DIR") if path.endswith(".cmake") else _abs(directory)
        )
        scope["CMAKE_CURRENT_LIST_DIR"] = _abs(posixpath.dirname(path))
        scope["_file"] = path
        try:
            self.exec_block(body, scope)
        finally:
            for key, value in saved.items():
                if value is None:
                    scope.pop(key, None)
                else:
                    scope[key] = value

    # -- statements --------------------------------------------------------------
    def exec_block(self, body: tuple[Any, ...] | list[Any], scope: dict[str, Any]) -> None:
        for item in body:
            self.tick()
            if isinstance(item, Block):
                self.exec_structure(item, scope)
            else:
                self.exec_command(item, scope)

    def exec_structure(self, block: Block, scope: dict[str, Any]) -> None:
        if block.kind == "if":
            opened = 0
            try:
                for head, body in block.arms:
                    self.ran_command(head, scope)
                    if head.name == "else":
                        state: Value = 1
                    else:
                        state = self.condition(self.expand_args(head.args, scope, keep_names=True), scope)
                    if state == 0:
                        continue
                    if state == 1:
                        self.exec_block(body, scope)
                        return
                    self.uncertain += 1
                    opened += 1
                    self.exec_block(body, scope)
            finally:
                self.uncertain -= opened
        elif block.kind == "foreach":
            self.ran_command(block.head, scope)
            self.exec_foreach(block, scope)
        elif block.kind in ("function", "macro"):
            self.ran_command(block.head, scope)
            args = self.expand_args(block.head.args, scope)
            names = [a for a in args if isinstance(a, str)]
            if names:
                self.commands[names[0].lower()] = (
                    block.kind,
                    tuple(names[1:]),
                    block.arms[0][1],
                    scope.get("_file", ""),
                )
        elif block.kind == "block":
            inner = dict(scope)
            self.exec_block(block.arms[0][1], inner)
        else:
            self.skipped_in.add(str(scope.get("_file")))
            self.note(f"{scope.get('_file')}:{block.head.line}: while() not evaluated")

    def exec_foreach(self, block: Block, scope: dict[str, Any]) -> None:
        args = self.expand_args(block.head.args, scope)
        if not args or not isinstance(args[0], str):
            return
        variable, rest = args[0], args[1:]
        items: list[Any]
        if rest and rest[0] == "RANGE":
            numbers = [int(a) for a in rest[1:] if isinstance(a, str) and a.isdigit()]
            if len(numbers) != len(rest) - 1 or not numbers:
                items = [UNKNOWN]
            else:
                span = (
                    range(numbers[0] + 1)
                    if len(numbers) == 1
                    else range(numbers[0], numbers[1] + 1, *numbers[2:3])
                )
                if len(span) > BUILD_LIMITS.max_range:
                    self.note(
                        f"{scope.get('_file')}:{block.head.line}: a RANGE of {len(span):,} not evaluated"
                    )
                    items = [UNKNOWN]
                else:
                    items = [str(n) for n in span]
        elif rest and rest[0] == "IN":
            items = []
            mode = ""
            for arg in rest[1:]:
                if arg in ("LISTS", "ITEMS", "ZIP_LISTS"):
                    mode = str(arg)
                elif mode == "LISTS":
                    value = scope.get(arg, "") if isinstance(arg, str) else UNKNOWN
                    items.extend(_split(value) if isinstance(value, str) else [UNKNOWN])
                else:
                    items.append(arg)
        else:
            items = rest
        if any(item is UNKNOWN for item in items):
            self.skipped_in.add(str(scope.get("_file")))
            self.unknown_sources = self.unknown_sources or _names_sources(block)
            self.note(f"{scope.get('_file')}:{block.head.line}: foreach over an unknown list not evaluated")
            return
        body = block.arms[0][1]
        for item in items:
            scope[variable] = item
            try:
                self.exec_block(body, scope)
            except _Break:
                break

    def command_project(self, args: list[Any], scope: dict[str, Any]) -> None:
        """``project(name ...)``: PROJECT_NAME, PROJECT_SOURCE_DIR and <name>_SOURCE_DIR for
        the directory it is in (libsoxr's ``add_library(${PROJECT_NAME} ...)``), and
        CMAKE_PROJECT_NAME for the top one; the version when given."""
        if not args or not isinstance(args[0], str):
            return
        name = args[0]
        here = scope.get("CMAKE_CURRENT_SOURCE_DIR", ROOT)
        scope["PROJECT_NAME"] = name
        scope["PROJECT_SOURCE_DIR"] = here
        scope[f"{name}_SOURCE_DIR"] = here
        if "CMAKE_PROJECT_NAME" not in scope:
            scope["CMAKE_PROJECT_NAME"] = name
        if "VERSION" in args[1:-1]:
            version = args[args.index("VERSION") + 1]
            if isinstance(version, str):
                scope["PROJECT_VERSION"] = version
                scope[f"{name}_VERSION"] = version

    def command_install(self, args: list[Any], scope: dict[str, Any]) -> None:
        """``install(FILES a.h ... DESTINATION include)`` and ``install(DIRECTORY include/
        ...)``: the headers the package installs for other packages to compile against."""
        if not args or args[0] not in ("FILES", "DIRECTORY"):
            return
        current = _relative(str(scope.get("CMAKE_CURRENT_SOURCE_DIR", ROOT)))
        named: list[str] = []
        for arg in args[1:]:
            if not isinstance(arg, str) or arg in _INSTALL_KEYWORDS:
                break
            named.extend(_split(arg))
        for item in named:
            rel = _tree_path(current, item)
            if not rel or rel.startswith(".."):
                continue
            self.public_headers.extend(installed_headers(self.tree_files, rel, args[0] == "DIRECTORY"))

    def set_var(self, scope: dict[str, Any], name: str, value: Any) -> None:
        """Set a variable; on a path that may not be taken, its items become "maybe"."""
        value = self.bounded(value)
        if not self.uncertain:
            scope[name] = value
            return
        old = scope.get(name, "")
        scope[name] = UNKNOWN if value is UNKNOWN or old is UNKNOWN else _join(str(old), str(value))

    def bounded(self, value: Any) -> Any:
        """``value``, or UNKNOWN (said once) when it is longer than the limit."""
        return UNKNOWN if isinstance(value, str) and not self.budget.fits(len(value)) else value

    def ran_command(self, command: Command, scope: dict[str, Any]) -> None:
        """Note that ``command`` (or a block's head) ran, for sure or on some paths."""
        self.ran(str(scope.get("_file")), command.line, command.end_line or command.line)

    def exec_command(self, command: Command, scope: dict[str, Any]) -> None:
        self.ran_command(command, scope)
        name = command.name
        if name in ("break",):
            raise _Break()
        if name == "return":
            raise _Return()
        args = self.expand_args(command.args, scope)
        where = f"{scope.get('_file')}:{command.line}"
        if name in ("add_subdirectory", "fetchcontent_declare", "externalproject_add") and args:
            first = _unmark(args[0]) if isinstance(args[0], str) else ""
            if first and not first.startswith("$"):
                self.built_here.add(first.rstrip("/").rsplit("/", 1)[-1])
        if name in CMAKE_LOOKUPS:
            # An argument only the configure step knows stays "$..." (no library name).
            words = [_unmark(a) if isinstance(a, str) else "$unknown" for a in args]
            for library in cmake_lookup_names(name, words):
                self.looked_for(library, f"CMake {name}", str(scope.get("_file")), command.line)
        if name in _VALUE_COMMANDS:
            words = [_shown(_unmark(a)) for a in args if isinstance(a, str)]
            if len(words) >= 2:
                certain = not self.uncertain and not any(_MAYBE_MARK in a for a in args if isinstance(a, str))
                self.values.append((str(scope.get("_file")), command.line, " ".join(words), certain))
        if name in self.commands:
            self.call_user(name, args, scope, command)
            return
        if name == "message" and args and args[0] == "FATAL_ERROR":
            if not self.uncertain:
                text = " ".join(a for a in args[1:] if isinstance(a, str))
                self.stopped = (str(scope.get("_file")), command.line, f"message(FATAL_ERROR {text[:160]!r})")
                raise _Stop()
            return
        if name == "set":
            self.command_set(args, scope)
        elif name == "project":
            self.command_project(args, scope)
        elif name == "install" and not self.uncertain:
            self.command_install(args, scope)
        elif name == "unset":
            if args and isinstance(args[0], str):
                if self.uncertain:
                    scope[args[0]] = UNKNOWN
                else:
                    scope.pop(args[0], None)
        elif name == "option":
            if args and isinstance(args[0], str) and args[0] not in scope:
                default = args[2] if len(args) > 2 else "OFF"
                scope[args[0]] = default
        elif name == "cmake_dependent_option":
            self.command_dependent_option(args, scope)
        elif name == "list":
            self.command_list(args, scope)
        elif name == "file":
            self.command_file(args, scope)
        elif name in ("add_subdirectory",):
            self.command_subdirectory(args, scope)
        elif name == "include":
            self.command_include(args, scope)
        elif name in TARGET_COMMANDS:
            self.command_target(name, args, scope, command)
        elif name in ("include_directories", "target_include_directories"):
            current = _relative(str(scope.get("CMAKE_CURRENT_SOURCE_DIR", ROOT)))
            skip = 1 if name == "target_include_directories" else 0
            for arg in args[skip:]:
                if not isinstance(arg, str):
                    continue
                # $<BUILD_INTERFACE:dir> is dir while the project builds (an INTERFACE
                # library's headers, rapidfuzz-cpp's); $<INSTALL_INTERFACE:...> is nothing.
                built = _BUILD_INTERFACE.fullmatch(arg)
                if built is not None:
                    arg = built.group(1)
                if arg not in _INCLUDE_KEYWORDS and not arg.startswith(("$<", BINARY)):
                    self.include_paths.append(_tree_path(current, _unmark(arg)))
        elif name in ("add_definitions", "add_compile_definitions"):
            # The directory's compile definitions: every target made here (and in the
            # subdirectories added after) gets them. A path that may not run adds none.
            if not self.uncertain:
                found = _definitions(args, name == "add_definitions")
                if found:
                    old = scope.get(_DEFINITIONS, "")
                    scope[_DEFINITIONS] = ";".join(
                        filter(None, [old if isinstance(old, str) else "", *found])
                    )
        elif name == "target_compile_definitions":
            if args and isinstance(args[0], str) and not self.uncertain:
                words = [a for a in args[1:] if not (isinstance(a, str) and a in _INCLUDE_KEYWORDS)]
                found = _definitions(words, False)
                self.settings.setdefault(args[0], {}).setdefault("compile_args", []).extend(found)
        elif name == "target_compile_features" and args and isinstance(args[0], str):
            # cxx_std_20 / c_std_11: the target compiles with at least that standard.
            for feature in args[1:]:
                level = re.fullmatch(r"(c|cxx)_std_(\d\d)", feature) if isinstance(feature, str) else None
                if level:
                    # A feature asks for at least that standard: CMAKE_CXX_STANDARD 20 with
                    # cxx_std_17 compiles as C++20.
                    spelling = "c++" if level.group(1) == "cxx" else "c"
                    compile_args = self.settings.setdefault(args[0], {}).setdefault("compile_args", [])
                    have = [_year(f) for f in compile_args if f.startswith(f"-std={spelling}")]
                    if _year(f"-std={spelling}{level.group(2)}") > max(have, default=0):
                        compile_args.append(f"-std={spelling}{level.group(2)}")
        elif name in ("target_link_libraries", "target_compile_options", "target_link_options"):
            if args and isinstance(args[0], str):
                kind = {"target_link_libraries": "libraries", "target_compile_options": "compile_args"}.get(
                    name, "link_args"
                )
                values = [a for a in args[1:] if isinstance(a, str) and a not in _INCLUDE_KEYWORDS]
                self.settings.setdefault(args[0], {}).setdefault(kind, []).extend(_unmark(v) for v in values)
        elif name == "target_sources":
            if args and isinstance(args[0], str) and args[0] in self.targets:
                target = self.targets[args[0]]
                target.sources.extend(
                    self.sources(args[1:], scope, where, ("PRIVATE", "PUBLIC", "INTERFACE"))
                )
        elif name == "find_package":
            if args and isinstance(args[0], str) and not self.run_find_module(args[0], scope):
                scope[f"{args[0]}_FOUND"] = UNKNOWN
                scope[f"{args[0].upper()}_FOUND"] = UNKNOWN
        elif name == "find_package_handle_standard_args":
            self.command_handle_standard_args(args, scope)
        elif name == "configure_file":
            self.command_configure(args, scope)
        elif name == "try_compile":
            self.command_try_compile(args, scope, where)
        elif name in (
            "check_c_source_compiles",
            "check_cxx_source_compiles",
            "check_c_source_runs",
            "check_cxx_source_runs",
            "check_source_compiles",
        ):
            text_index = 1 if name == "check_source_compiles" else 0
            if (
                len(args) > text_index + 1
                and isinstance(args[text_index], str)
                and isinstance(args[text_index + 1], str)
            ):
                verdict = self.judge(args[text_index])
                self.probes.append(
                    (str(scope.get("_file")), command.line, f"{name}({args[text_index + 1]})", verdict)
                )
                self.set_var(scope, args[text_index + 1], _probe_result(verdict))
        elif name == "check_function_exists" and len(args) > 1 and all(isinstance(a, str) for a in args[:2]):
            # CMake's own probe: the function declared with a dummy type, called, linked.
            function = args[0]
            if re.fullmatch(r"[A-Za-z_]\w*", function):
                text = f"char {function}(void);\nint main(void) {{ {function}(); return 0; }}\n"
                verdict = self.judge(text)
                self.probes.append((str(scope.get("_file")), command.line, f"{name}({function})", verdict))
                self.set_var(scope, args[1], _probe_result(verdict))
            else:
                self.set_var(scope, args[1], UNKNOWN)
        elif name in ("check_include_file", "check_include_file_cxx", "check_include_files"):
            if len(args) > 1 and isinstance(args[0], str) and isinstance(args[1], str):
                headers = _split(args[0])
                verdict = self.judge("".join(f"#include <{h}>\n" for h in headers))
                self.probes.append((str(scope.get("_file")), command.line, f"{name}({args[0]})", verdict))
                self.set_var(scope, args[1], _probe_result(verdict))
        elif name in (
            "string",
            "get_filename_component",
            "cmake_path",
            "execute_process",
            "get_property",
            "get_target_property",
            "get_directory_property",
            "cmake_host_system_information",
            "check_symbol_exists",
            "check_function_exists",
            "check_type_size",
            "check_library_exists",
            "check_c_compiler_flag",
            "check_cxx_compiler_flag",
            "try_run",
            "math",
            "check_ipo_supported",
            "find_program",
            "find_library",
            "find_path",
            "find_file",
            "pkg_check_modules",
            "fetchcontent_makeavailable",
            "fetchcontent_populate",
        ):
            self.unknown_outputs(name, args, scope)
        # Everything else (messages, properties, install rules...) does not decide sources.

    def unknown_outputs(self, name: str, args: list[Any], scope: dict[str, Any]) -> None:
        """Variables a command CMake computes at configure time sets: unknown here."""
        words = [a for a in args if isinstance(a, str)]
        outputs: list[str] = []
        if name in (
            "get_filename_component",
            "find_program",
            "find_library",
            "find_path",
            "find_file",
            "get_target_property",
            "get_property",
            "get_directory_property",
            "pkg_check_modules",
            "check_ipo_supported",
        ):
            outputs = words[:1]
        elif name in ("string", "math"):
            outputs = (
                words[-1:]
                if name == "string" and words and words[0] not in ("APPEND", "PREPEND")
                else words[1:2]
            )
            if name == "string" and words and words[0] in ("REGEX",):
                outputs = words[2:3]
        elif name in (
            "check_symbol_exists",
            "check_function_exists",
            "check_type_size",
            "check_library_exists",
            "check_c_compiler_flag",
            "check_cxx_compiler_flag",
            "try_run",
        ):
            outputs = words[-1:] if name != "try_run" else words[:2]
        for index, word in enumerate(words[:-1]):
            if word in _UNKNOWN_OUTPUT_KEYWORDS:
                outputs.append(words[index + 1])
        if name == "pkg_check_modules" and words:
            outputs.append(f"{words[0]}_FOUND")
        if name == "fetchcontent_makeavailable":
            self.unknown_sources = True
        for output in outputs:
            scope[output] = UNKNOWN

    def call_user(self, name: str, args: list[Any], scope: dict[str, Any], command: Command) -> None:
        kind, params, body, _file = self.commands[name]
        if self.depth >= MAX_CALL_DEPTH:
            self.unknown_sources = True
            self.skipped_in.add(_file or str(scope.get("_file")))
            return
        inner = scope if kind == "macro" else dict(scope)
        inner["_parent"] = scope if kind == "function" else scope.get("_parent")
        caller_file = scope.get("_file")
        inner["_file"] = _file or caller_file  # where the body's commands are written
        values = [a if isinstance(a, str) else UNKNOWN for a in args]
        for index, param in enumerate(params):
            inner[param] = values[index] if index < len(values) else ""
        inner["ARGV"] = _joined(values)
        inner["ARGN"] = _joined(values[len(params) :])
        inner["ARGC"] = str(len(values))
        for index, value in enumerate(values):
            inner[f"ARGV{index}"] = value
        self.depth += 1
        try:
            self.exec_block(body, inner)
        except _Return:
            pass
        finally:
            self.depth -= 1
            scope["_file"] = caller_file

    def command_set(self, args: list[Any], scope: dict[str, Any]) -> None:
        if not args or not isinstance(args[0], str):
            return
        name, values = args[0], list(args[1:])
        parent = False
        if "PARENT_SCOPE" in values:
            values = values[: values.index("PARENT_SCOPE")]
            parent = True
        if "CACHE" in values:
            values = values[: values.index("CACHE")]
            if name in self.cache and "FORCE" not in args:
                return
            self.cache.add(name)
        value: Any = UNKNOWN if any(v is UNKNOWN for v in values) else ";".join(values)
        target = scope.get("_parent") if parent else scope
        if isinstance(target, dict):
            self.set_var(target, name, value)

    def command_list(self, args: list[Any], scope: dict[str, Any]) -> None:
        if len(args) < 2 or not isinstance(args[0], str) or not isinstance(args[1], str):
            return
        operation, name = args[0], args[1]
        current = scope.get(name, "")
        if operation in ("APPEND", "PREPEND", "INSERT"):
            extra = args[2:] if operation != "INSERT" else args[3:]
            if current is UNKNOWN or any(v is UNKNOWN for v in extra):
                scope[name] = UNKNOWN
                return
            items = _split(current)
            added = [v for v in extra if isinstance(v, str)]
            if self.uncertain:
                # An item added on some paths only: its sources count as "maybe".
                added = [_MAYBE_MARK + v for v in added]
            scope[name] = self.bounded(";".join(added + items if operation == "PREPEND" else items + added))
        elif operation in ("REMOVE_ITEM",):
            if current is UNKNOWN or self.uncertain:
                scope[name] = UNKNOWN if current is UNKNOWN else current
                return
            removed = {v for v in args[2:] if isinstance(v, str)}
            scope[name] = ";".join(i for i in _split(current) if i not in removed)
        elif operation in ("LENGTH", "GET", "FIND", "JOIN", "SUBLIST"):
            if args:
                last = args[-1]
                if isinstance(last, str):
                    scope[last] = UNKNOWN
        elif operation in (
            "FILTER",
            "TRANSFORM",
            "REMOVE_AT",
            "REMOVE_DUPLICATES",
            "SORT",
            "REVERSE",
            "POP_BACK",
            "POP_FRONT",
        ):
            scope[name] = UNKNOWN if current is UNKNOWN or operation in ("FILTER", "TRANSFORM") else current

    def command_file(self, args: list[Any], scope: dict[str, Any]) -> None:
        if len(args) < 2 or args[0] not in ("GLOB", "GLOB_RECURSE") or not isinstance(args[1], str):
            if (
                len(args) > 1
                and isinstance(args[1], str)
                and args[0]
                in (
                    "READ",
                    "STRINGS",
                    "RELATIVE_PATH",
                    "TO_CMAKE_PATH",
                    "TO_NATIVE_PATH",
                    "REAL_PATH",
                    "SHA256",
                    "MD5",
                )
            ):
                scope[args[1]] = UNKNOWN
            return
        variable = args[1]
        patterns: list[str] = []
        relative: str | None = None
        rest = args[2:]
        index = 0
        while index < len(rest):
            word = rest[index]
            if word == "RELATIVE" and index + 1 < len(rest):
                relative = rest[index + 1] if isinstance(rest[index + 1], str) else None
                index += 2
                continue
            if word in ("CONFIGURE_DEPENDS", "FOLLOW_SYMLINKS", "LIST_DIRECTORIES"):
                index += 2 if word == "LIST_DIRECTORIES" else 1
                continue
            if not isinstance(word, str):
                scope[variable] = UNKNOWN
                return
            patterns.append(word)
            index += 1
        current = _relative(str(scope.get("CMAKE_CURRENT_SOURCE_DIR", ROOT)))
        matches: list[str] = []
        for pattern in patterns:
            full = _tree_path(current, pattern)
            for candidate in sorted(self.tree_files):
                if fnmatch.fnmatchcase(candidate, full) and (
                    args[0] == "GLOB_RECURSE" or "/" not in candidate[len(posixpath.dirname(full)) + 1 :]
                ):
                    matches.append(_abs(candidate))
        if relative is not None:
            matches = [posixpath.relpath(_relative(m), _relative(relative)) for m in matches]
        self.set_var(scope, variable, ";".join(matches))

    def command_subdirectory(self, args: list[Any], scope: dict[str, Any]) -> None:
        if not args or not isinstance(args[0], str):
            return
        current = _relative(str(scope.get("CMAKE_CURRENT_SOURCE_DIR", ROOT)))
        directory = _tree_path(current, args[0])
        path = posixpath.join(directory, "CMakeLists.txt") if directory else "CMakeLists.txt"
        if path not in self.tree_files:
            self.note(f"{scope.get('_file')}: add_subdirectory({args[0]}) has no CMakeLists.txt in the tree")
            return
        if path in self.subdirectories:  # CMake refuses a source directory added twice
            self.note(f"{scope.get('_file')}: add_subdirectory({args[0]}) was already added: not read again")
            return
        self.subdirectories.add(path)
        inner = dict(scope)
        inner["_parent"] = scope
        excluded = "EXCLUDE_FROM_ALL" in args
        self.excluded += excluded
        try:
            self.run_file(path, inner, directory)
        except _Return:
            pass
        finally:
            self.excluded -= excluded

    def command_include(self, args: list[Any], scope: dict[str, Any]) -> None:
        if not args or not isinstance(args[0], str):
            return
        name = args[0]
        current = _relative(str(scope.get("CMAKE_CURRENT_SOURCE_DIR", ROOT)))
        candidates = [_tree_path(current, name)] if name.endswith(".cmake") else []
        module_path = scope.get("CMAKE_MODULE_PATH", "")
        if isinstance(module_path, str):
            candidates.extend(_tree_path("", f"{d}/{name}.cmake") for d in _split(module_path) if d)
        for path in candidates:
            if path in self.tree_files:
                self.run_included(path, name, scope)
                return

    def run_included(self, path: str, name: str, scope: dict[str, Any]) -> None:
        """Run the tree file ``path`` in ``scope`` (include(), a find module)."""
        if self.include_depth >= MAX_CALL_DEPTH:
            self.unknown_sources = True
            self.note(f"{scope.get('_file')}: include({name}) nested too deeply: not read")
            return
        self.include_depth += 1
        try:
            self.run_file(path, scope, _relative(str(scope.get("CMAKE_CURRENT_SOURCE_DIR", ROOT))))
        finally:
            self.include_depth -= 1

    def run_find_module(self, package: str, scope: dict[str, Any]) -> bool:
        """``find_package(X)`` where the tree ships ``FindX.cmake`` on ``CMAKE_MODULE_PATH``:
        the module runs in the caller's scope, as CMake runs it (its probes are judged like
        any other). False when the tree has no such module (what it finds is unknown)."""
        module_path = scope.get("CMAKE_MODULE_PATH", "")
        if not isinstance(module_path, str) or not module_path:
            return False
        for directory in _split(module_path):
            path = _tree_path("", f"{directory}/Find{package}.cmake") if directory else ""
            if path in self.tree_files:
                self.run_included(path, f"Find{package}", scope)
                return True
        return False

    def command_handle_standard_args(self, args: list[Any], scope: dict[str, Any]) -> None:
        """``find_package_handle_standard_args(X DEFAULT_MSG v...)`` or ``(X
        REQUIRED_VARS v... [VERSION_VAR v ...])``: X is found when every required
        variable is true."""
        if not args or not isinstance(args[0], str):
            return
        package, rest = args[0], [a for a in args[1:] if isinstance(a, str)]
        if "REQUIRED_VARS" in rest:
            start = rest.index("REQUIRED_VARS") + 1
            required = []
            for word in rest[start:]:
                if word in _HANDLE_ARGS_KEYWORDS:
                    break
                required.append(word)
        else:
            required = rest[1:]  # after the message (DEFAULT_MSG or a custom one)
        found: Value = 1 if required else MAYBE
        for variable in required:
            found = and3(found, self.truth(variable, scope))
        value = UNKNOWN if found is MAYBE else "TRUE" if found == 1 else "FALSE"
        for name in (f"{package}_FOUND", f"{package.upper()}_FOUND"):
            self.set_var(scope, name, value)

    def command_target(self, name: str, args: list[Any], scope: dict[str, Any], command: Command) -> None:
        if not args or not isinstance(args[0], str):
            self.unknown_sources = True
            return
        words = TARGET_COMMANDS[name]
        if any(a in ("IMPORTED", "ALIAS", "INTERFACE") for a in args[1:]):
            return
        where = f"{scope.get('_file')}:{command.line}"
        present: Value = MAYBE if self.uncertain or self.excluded else 1
        target = args[0]
        if target.startswith(_MAYBE_MARK):
            target, present = target[len(_MAYBE_MARK) :], MAYBE
        sources = self.sources(args[1:], scope, where, words)
        self.targets[target] = Target(target, sources, str(scope.get("_file")), command.line, present)
        if name not in ("add_library", "add_executable"):
            self.settings.setdefault(target, {})["made_by"] = [name]
        inherited = scope.get(_DEFINITIONS, "")
        if isinstance(inherited, str) and inherited:
            self.settings.setdefault(target, {}).setdefault("compile_args", []).extend(_split(inherited))
        # CMAKE_C_STANDARD / CMAKE_CXX_STANDARD when the target is made: its standards.
        for variable, spelling in (("CMAKE_C_STANDARD", "c"), ("CMAKE_CXX_STANDARD", "c++")):
            level = scope.get(variable)
            if isinstance(level, str) and level.isdigit():
                self.settings.setdefault(target, {}).setdefault("compile_args", []).append(
                    f"-std={spelling}{level}"
                )

    def sources(
        self, args: list[Any], scope: dict[str, Any], where: str, keywords: tuple[str, ...]
    ) -> list[tuple[str, Value]]:
        current = _relative(str(scope.get("CMAKE_CURRENT_SOURCE_DIR", ROOT)))
        found: list[tuple[str, Value]] = []
        for arg in args:
            if arg is UNKNOWN:
                self.unknown_sources = True
                self.note(f"{where}: a source is not known statically")
                continue
            for item in _split(arg):
                certainty: Value = 1
                if item.startswith(_MAYBE_MARK):
                    item, certainty = item[len(_MAYBE_MARK) :], MAYBE
                if not item or item in keywords or item.startswith("$<") or item.startswith(BINARY):
                    continue
                path = _tree_path(current, item)
                if path in self.tree_files or path.lower().endswith(NATIVE_SUFFIXES):
                    found.append((path, certainty))
        return found

    def command_dependent_option(self, args: list[Any], scope: dict[str, Any]) -> None:
        """``cmake_dependent_option(OPT doc DEFAULT "COND;COND" FORCE)``: OPT is its own
        value (or DEFAULT) where every condition holds, else FORCE; each condition is an
        ``if()`` expression (CMakeDependentOption splits it on spaces)."""
        if len(args) < 5 or not all(isinstance(a, str) for a in args[:5]):
            if args and isinstance(args[0], str):
                scope[args[0]] = UNKNOWN
            return
        option, default, depends, force = args[0], args[2], args[3], args[4]
        holds: Value = 1
        for condition in _split(depends):
            holds = and3(holds, self.condition(condition.split(), scope))
        chosen = scope.get(option, default)
        if holds == 1:
            scope[option] = chosen
        elif holds == 0:
            scope[option] = force
        else:
            scope[option] = chosen if chosen == force else UNKNOWN

    def command_configure(self, args: list[Any], scope: dict[str, Any]) -> None:
        if len(args) < 2 or not all(isinstance(a, str) for a in args[:2]):
            return
        current = _relative(str(scope.get("CMAKE_CURRENT_SOURCE_DIR", ROOT)))
        source = _tree_path(current, args[0])
        text = self.read_text(source) if source in self.tree_files else None
        if text is None:
            return
        rendered, unknown = configured_text(text, scope, only_at="@ONLY" in args)
        self.virtual[args[1]] = rendered
        output = args[1].replace("\\", "/")
        if posixpath.splitext(output)[1].lower() in GENERATED_HEADER_SUFFIXES:
            # An absolute path in the source tree, else the build folder (a relative
            # output is relative to the current binary folder, which mirrors the source's).
            in_tree = output.startswith(ROOT)
            if in_tree:
                where = _relative(output)
            elif output.startswith(BINARY):
                where = output[len(BINARY) :].lstrip("/")
            else:
                where = posixpath.normpath(posixpath.join(current, output))
            if where and ".." not in where.split("/"):
                self.generated.append((where, source, None if unknown else rendered, tuple(unknown), in_tree))

    def command_try_compile(self, args: list[Any], scope: dict[str, Any], where: str) -> None:
        if len(args) < 3 or not isinstance(args[0], str):
            return
        result = args[0]
        text: str | None = None
        if "SOURCE_FROM_CONTENT" in args:
            index = args.index("SOURCE_FROM_CONTENT")
            if index + 2 < len(args) and isinstance(args[index + 2], str):
                text = args[index + 2]
        else:
            for arg in args[1:]:
                if not isinstance(arg, str):
                    continue
                if arg in self.virtual:
                    text = self.virtual[arg]
                    break
                if arg.lower().endswith(NATIVE_SUFFIXES):
                    path = _tree_path(_relative(str(scope.get("CMAKE_CURRENT_SOURCE_DIR", ROOT))), arg)
                    text = self.read_text(path) if path in self.tree_files else None
                    break
        if text is None:
            self.set_var(scope, result, UNKNOWN)
            return
        verdict = self.judge(text)
        self.probes.append(
            (where.rsplit(":", 1)[0], int(where.rsplit(":", 1)[1]), f"try_compile({result})", verdict)
        )
        self.set_var(scope, result, _probe_result(verdict))

    # -- arguments and conditions ------------------------------------------------
    def expand(self, text: str, scope: dict[str, Any]) -> Any:
        if "$" not in text:
            return text
        for _ in range(32):
            match = _VAR_REF.search(text)
            if match is None:
                break
            value = scope.get(match.group(1), "")
            if value is UNKNOWN:
                return UNKNOWN
            if not self.budget.allow(len(text) - (match.end() - match.start()) + len(str(value))):
                return UNKNOWN
            text = text[: match.start()] + str(value) + text[match.end() :]
        if "$ENV{" in text or "$CACHE{" in text:
            return UNKNOWN
        return text

    def expand_args(
        self, args: tuple[Arg, ...], scope: dict[str, Any], keep_names: bool = False
    ) -> list[Any]:
        values: list[Any] = []
        for arg in args:
            value = self.expand(arg.text, scope)
            if arg.quoted:
                values.append(value)
            elif value is UNKNOWN:
                values.append(UNKNOWN)
            elif keep_names:
                values.append(value)  # if(): an unquoted argument stays one operand
            elif value != "":
                values.extend(_split(value))
        return values

    def condition(self, args: list[Any], scope: dict[str, Any]) -> Value:
        try:
            value, end = self._or(args, 0, scope)
        except (IndexError, CMakeError):
            return MAYBE
        return value if end == len(args) else MAYBE

    def _or(self, args: list[Any], i: int, scope: dict[str, Any]) -> tuple[Value, int]:
        return self._chain(args, i, scope, "OR", self._and, or3)

    def _and(self, args: list[Any], i: int, scope: dict[str, Any]) -> tuple[Value, int]:
        return self._chain(args, i, scope, "AND", self._not, and3)

    def _chain(
        self,
        args: list[Any],
        i: int,
        scope: dict[str, Any],
        word: str,
        operand: Callable[[list[Any], int, dict[str, Any]], tuple[Value, int]],
        combine: Callable[[Value, Value], Value],
    ) -> tuple[Value, int]:
        """``a word b word c``: operands left to right, combined three-valued."""
        value, i = operand(args, i, scope)
        while i < len(args) and args[i] == word:
            right, i = operand(args, i + 1, scope)
            value = combine(value, right)
        return value, i

    def _not(self, args: list[Any], i: int, scope: dict[str, Any]) -> tuple[Value, int]:
        if i < len(args) and args[i] == "NOT":
            value, i = self._not(args, i + 1, scope)
            return (None if value is None else 1 - value), i
        return self._primary(args, i, scope)

    def operand(self, arg: Any, scope: dict[str, Any]) -> Any:
        if isinstance(arg, str) and arg in scope:
            return scope[arg]
        return arg

    def _primary(self, args: list[Any], i: int, scope: dict[str, Any]) -> tuple[Value, int]:
        arg = args[i]
        if arg == "(":
            value, i = self._or(args, i + 1, scope)
            if i >= len(args) or args[i] != ")":
                raise CMakeError("unbalanced parentheses")
            return value, i + 1
        if arg == "DEFINED" and i + 1 < len(args):
            name = args[i + 1]
            if not isinstance(name, str):
                return MAYBE, i + 2
            if name.startswith("ENV{"):
                return MAYBE, i + 2
            return (MAYBE if scope.get(name) is UNKNOWN and name in scope else int(name in scope)), i + 2
        if arg in ("EXISTS", "IS_DIRECTORY") and i + 1 < len(args):
            path = args[i + 1]
            if not isinstance(path, str):
                return MAYBE, i + 2
            rel = _tree_path("", path) if path.startswith(ROOT) else None
            if rel is None:
                return MAYBE, i + 2
            exists = rel in self.tree_files or any(f.startswith(rel + "/") for f in self.tree_files)
            return (1 if exists else MAYBE), i + 2
        if arg in ("TARGET",) and i + 1 < len(args):
            name = args[i + 1]
            return (
                int(name in self.targets) if isinstance(name, str) and name in self.targets else MAYBE
            ), i + 2
        if arg in ("COMMAND", "POLICY", "TEST", "IS_ABSOLUTE", "IS_SYMLINK"):
            return MAYBE, i + 2
        if i + 2 < len(args) and isinstance(args[i + 1], str) and args[i + 1] in _BINARY_TESTS:
            left = self.operand(arg, scope)
            right = self.operand(args[i + 2], scope) if args[i + 1] != "MATCHES" else args[i + 2]
            return _binary_test(args[i + 1], left, right, scope), i + 3
        return self.truth(arg, scope), i + 1

    def truth(self, arg: Any, scope: dict[str, Any]) -> Value:
        if arg is UNKNOWN or _MAYBE_MARK in str(arg):
            return MAYBE
        text = str(arg)
        upper = text.upper()
        if upper in _TRUE or (_is_number(text) and float(text) != 0):
            return 1
        if upper in _FALSE or upper.endswith("-NOTFOUND") or _is_number(text):
            return 0
        # A name: its variable's value (undefined: false, as in CMake).
        value = scope.get(text, "")
        if value is UNKNOWN or _MAYBE_MARK in str(value):
            return MAYBE
        value_upper = str(value).upper()
        if value_upper in _FALSE or value_upper.endswith("-NOTFOUND"):
            return 0
        return 1


_MAYBE_MARK = "\x00maybe:"
# The keywords of find_package_handle_standard_args that end its REQUIRED_VARS list.
_HANDLE_ARGS_KEYWORDS = frozenset(
    {"VERSION_VAR", "HANDLE_VERSION_RANGE", "HANDLE_COMPONENTS", "CONFIG_MODE", "NAME_MISMATCHED",
     "REASON_FAILURE_MESSAGE", "FAIL_MESSAGE", "FOUND_VAR"}
)  # fmt: skip
_VALUE_COMMANDS = frozenset(
    {
        "execute_process",
        "add_custom_command",
        "add_custom_target",
        "link_directories",
        "target_link_directories",
        "target_link_libraries",
        "link_libraries",
        "target_link_options",
        "add_link_options",
        "target_sources",
        "add_library",
        "externalproject_add",
    }
)
_INCLUDE_KEYWORDS = frozenset({"PRIVATE", "PUBLIC", "INTERFACE", "SYSTEM", "BEFORE", "AFTER"})
_BINARY_TESTS = frozenset(
    {
        "STREQUAL",
        "MATCHES",
        "EQUAL",
        "LESS",
        "GREATER",
        "LESS_EQUAL",
        "GREATER_EQUAL",
        "VERSION_LESS",
        "VERSION_GREATER",
        "VERSION_EQUAL",
        "VERSION_LESS_EQUAL",
        "VERSION_GREATER_EQUAL",
        "IN_LIST",
        "STRLESS",
        "STRGREATER",
    }
)


def _join(old: str, new: str) -> str:
    """A list after a branch that may or may not have set it: items on both sides stay
    certain, the others are marked "maybe"."""
    olds = [_unmark(i) for i in _split(old)]
    news = [_unmark(i) for i in _split(new)]
    items = [
        i if i in news and not i.startswith(_MAYBE_MARK) else _MAYBE_MARK + _unmark(i) for i in _split(old)
    ]
    items.extend(_MAYBE_MARK + n for n in news if n not in olds)
    return ";".join(items)


def _shown(text: str) -> str:
    """A value as a reader would write it: tree paths relative, the build dir named."""
    return text.replace(ROOT + "/", "").replace(ROOT, ".").replace(BINARY, "<build>")


def _joined(items: list[Any]) -> Any:
    return UNKNOWN if any(v is UNKNOWN for v in items) else ";".join(items)


def _unmark(item: str) -> str:
    return item.removeprefix(_MAYBE_MARK)


def _binary_test(op: str, left: Any, right: Any, scope: dict[str, Any]) -> Value:
    if _MAYBE_MARK in str(left) or _MAYBE_MARK in str(right):
        return MAYBE
    if op == "IN_LIST":
        items = scope.get(right, "") if isinstance(right, str) else UNKNOWN
        if left is UNKNOWN or items is UNKNOWN:
            return MAYBE
        return int(left in _split(items))
    if left is UNKNOWN or right is UNKNOWN:
        return MAYBE
    left, right = str(left), str(right)
    if op == "STREQUAL":
        return int(left == right)
    if op == "MATCHES":
        found = regex_search(right, left)  # bounded: a hostile pattern cannot backtrack for long
        return MAYBE if found is None else int(found)
    if op.startswith("VERSION_"):
        a, b = _version(left), _version(right)
        if a is None or b is None:
            return MAYBE
        return int(
            {
                "VERSION_LESS": a < b,
                "VERSION_GREATER": a > b,
                "VERSION_EQUAL": a == b,
                "VERSION_LESS_EQUAL": a <= b,
                "VERSION_GREATER_EQUAL": a >= b,
            }[op]
        )
    if op in ("EQUAL", "LESS", "GREATER", "LESS_EQUAL", "GREATER_EQUAL"):
        if not (_is_number(left) and _is_number(right)):
            return MAYBE
        x, y = float(left), float(right)
        return int(
            {"EQUAL": x == y, "LESS": x < y, "GREATER": x > y, "LESS_EQUAL": x <= y, "GREATER_EQUAL": x >= y}[
                op
            ]
        )
    if op == "STRLESS":
        return int(left < right)
    return int(left > right)


def _version(text: str) -> tuple[int, ...] | None:
    parts = text.split(".")
    if not all(p.isdigit() for p in parts):
        return None
    return tuple(int(p) for p in parts)


def _is_number(text: str) -> bool:
    return re.fullmatch(r"-?\d+(\.\d+)?", text) is not None


def _split(value: Any) -> list[str]:
    if not isinstance(value, str) or value == "":
        return []
    return value.split(";")


# Where the list of an install() command's files or folders ends.
_INSTALL_KEYWORDS = frozenset(
    {"DESTINATION", "TYPE", "PERMISSIONS", "CONFIGURATIONS", "COMPONENT", "RENAME", "OPTIONAL",
     "EXCLUDE_FROM_ALL", "FILE_PERMISSIONS", "DIRECTORY_PERMISSIONS", "USE_SOURCE_PERMISSIONS",
     "MESSAGE_NEVER", "FILES_MATCHING", "PATTERN", "REGEX"}
)  # fmt: skip


def _abs(directory: str) -> str:
    return ROOT + ("/" + directory if directory else "")


# The scope variable holding a directory's compile definitions ("-DX;-DY=1").
_DEFINITIONS = "\x00definitions"
_BUILD_INTERFACE = re.compile(r"\$<BUILD_INTERFACE:([^$<>;]+)>")
_DEFINITION = re.compile(r"[A-Za-z_]\w*(=[^\s;$<>]*)?")


def _definitions(args: list[Any], flags_only: bool) -> list[str]:
    """``-DNAME[=VALUE]`` for each definition ``args`` give: add_definitions takes
    flags (``-DX``, ``/DX``; other flags are not definitions), add_compile_definitions
    and target_compile_definitions plain ``NAME[=VALUE]``. A value the model does not
    know, or a generator expression, is left out."""
    found = []
    for arg in args:
        if not isinstance(arg, str):
            continue
        for word in _split(arg) if ";" in arg else [arg]:
            if word.startswith(("-D", "/D")):
                word = word[2:]
            elif flags_only:
                continue
            if _DEFINITION.fullmatch(word):
                found.append(f"-D{word}")
    return found


GENERATED_HEADER_SUFFIXES = frozenset({".h", ".hh", ".hpp", ".hxx", ".h++", ".inc", ".inl"})
_CMAKEDEFINE = re.compile(r"^([ \t]*)#([ \t]*)cmakedefine(01)?[ \t]+([A-Za-z_]\w*)(.*)$", re.MULTILINE)
_AT_REF = re.compile(r"@([A-Za-z_]\w*)@")


def _cmake_true(value: Any) -> Value:
    if value is UNKNOWN or _MAYBE_MARK in str(value):
        return MAYBE
    upper = str(value).upper()
    return 0 if upper in _FALSE or upper.endswith("-NOTFOUND") else 1


def configured_text(text: str, scope: Mapping[str, Any], only_at: bool = False) -> tuple[str, list[str]]:
    """``text`` as ``configure_file`` writes it with the variables of ``scope``:
    ``#cmakedefine V ...`` becomes ``#define V ...`` or ``/* #undef V */``,
    ``#cmakedefine01 V`` ``#define V 1`` or ``0``, and ``@V@`` (and ``${V}`` unless
    ``only_at``) the value (an unset variable is empty, as in CMake). Also the names of
    the variables whose value is unknown here (the text is then a guess)."""
    unknown: list[str] = []

    def value(name: str) -> str:
        found = scope.get(name, "")
        if found is UNKNOWN or _MAYBE_MARK in str(found):
            unknown.append(name)
            return "0"
        return str(found)

    def define(match: re.Match[str]) -> str:
        indent, gap, zero_one, name, rest = match.groups()
        truth = _cmake_true(scope.get(name, ""))
        if truth is MAYBE:
            unknown.append(name)
        if zero_one:
            return f"{indent}#{gap}define {name} {1 if truth == 1 else 0}"
        if truth == 1:
            return f"{indent}#{gap}define {name}{rest}"
        return f"{indent}/* #{gap}undef {name} */"

    text = _CMAKEDEFINE.sub(define, text)
    text = _AT_REF.sub(lambda m: value(m.group(1)), text)
    if not only_at:
        text = _VAR_REF.sub(lambda m: value(m.group(1)), text)
    return text, list(dict.fromkeys(unknown))


def _relative(path: str) -> str:
    return path[len(ROOT) :].lstrip("/") if path.startswith(ROOT) else path


def _tree_path(current: str, path: str) -> str:
    """A path as CMake means it (relative to the current source directory, or absolute
    below the project root), relative to the tree; outside the tree it keeps a marker."""
    path = path.replace("\\", "/")
    if path.startswith(ROOT):
        rel = _relative(path)
        joined = posixpath.normpath(rel) if rel else "."
    else:
        joined = posixpath.normpath(posixpath.join(current, path)) if current else posixpath.normpath(path)
    return "" if joined == "." else joined


def _names_sources(block: Block) -> bool:
    for _head, body in block.arms:
        for item in body:
            if isinstance(item, Block):
                if _names_sources(item):
                    return True
            elif (
                item.name in TARGET_COMMANDS
                or item.name == "target_sources"
                or any(a.text.lower().endswith(NATIVE_SUFFIXES) for a in item.args)
            ):
                return True
    return False


def cmake_plan(
    tree_files: frozenset[str],
    read_text: Callable[[str], str | None],
    judge: ProbeJudge,
    models: tuple[str, ...],
    defines: Mapping[str, str] | None = None,
) -> BuildPlan | None:
    per_source: dict[tuple[str, str, str, int], dict[str, Value]] = {}
    probes: dict[ProbeKey, dict[str, Value]] = {}
    events: dict[EventKey, dict[str, Value]] = {}
    runs = RunRecord()
    complete: list[str] = []
    notes: list[str] = []
    any_target = False
    target_settings: dict[tuple[str, str], dict[str, list[str]]] = {}
    include_dirs: list[str] = []
    public_headers: list[str] = []
    parsed: dict[str, list[Any] | None] = {}
    generated: GeneratedTexts = {}
    for model in models:
        interpreter = Interpreter(
            build_env().get(model, {}),
            tree_files,
            read_text,
            judge_for(judge, model),
            defines,
            parsed,
        )
        interpreter.run("CMakeLists.txt")
        for target_name, values in interpreter.settings.items():
            if target_name in interpreter.targets:
                target_settings[(target_name, model)] = values
        include_dirs.extend(interpreter.include_paths)
        public_headers.extend(interpreter.public_headers)
        notes.extend(interpreter.notes)
        for path, template, text, unknown, in_tree in interpreter.generated:
            # The last configure_file of a path wins, as the file on disk would.
            generated.setdefault((path, template, in_tree), {})[model] = (text, unknown)
        for file, line, what, verdict in interpreter.probes:
            probes.setdefault((file, line, what, ""), {})[model] = verdict
        for target in interpreter.targets.values():
            any_target = True
            for path, certainty in target.sources:
                key = (path, target.name, target.file, target.line)
                note_on(per_source, key, model, and3(target.present, certainty))
        for file, line, text, certain in interpreter.values:
            note_on(events, ("value", file, line, text), model, 1 if certain else MAYBE)
        if interpreter.stopped is not None:
            file, line, message = interpreter.stopped
            note_on(events, ("stops", file, line, message), model, 1)
        if not interpreter.unknown_sources and interpreter.stopped is None:
            complete.append(model)
        runs.add(model, interpreter)
    if not any_target and not events:
        return None

    def reference_stop() -> tuple[str, int, str] | None:
        reference = Interpreter(reference_env(), tree_files, read_text, lambda _: MAYBE, defines, parsed)
        reference.run("CMakeLists.txt")
        return reference.stopped

    events = without_shared_stops(events, reference_stop)
    return BuildPlan(
        systems=("cmake",),
        sources=source_uses(per_source, models, complete),
        probes=probe_list(probes, models),
        complete_on=tuple(complete),
        notes=tuple(dict.fromkeys(notes)),
        events=event_list(events, models),
        include_dirs=tuple(dict.fromkeys(include_dirs)),
        settings=settings_list(target_settings),
        public_headers=tuple(dict.fromkeys(public_headers)),
        command_lines=runs.command_lines(models),
        dependencies=runs.dependency_lookups(models),
        built_here=tuple(sorted(runs.built_here)),
        generated_headers=generated_header_list(generated, models),
    )


def _year(flag: str) -> int:
    """The year of a ``-std=c++20`` / ``-std=c99`` flag, for comparing standards."""
    digits = int(flag[-2:]) if flag[-2:].isdigit() else 0
    return 1900 + digits if digits >= 89 else 2000 + digits


def _probe_result(verdict: Value) -> Any:
    """A probe's result variable: "" (false) when it cannot compile, "1" only when a judge
    compiled it (prove's toolchain; the fast judge never says 1), else unknown."""
    return "" if verdict == 0 else "1" if verdict == 1 else UNKNOWN
