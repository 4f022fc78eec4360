"""The meson build model: ``meson.build`` files interpreted per model, never run.

meson lists every compiled source by name (it has no globbing), so once a project's
``meson.build`` files are read, a C/C++ file no target lists (and no listed file
includes) is not compiled. Conditions use the model's facts (``host_machine.cpu_family()``
is ``aarch64`` on Windows ARM64, ``cc.get_id()`` is ``msvc``, ``clang-cl`` or ``clang``);
``get_option()`` and anything not modelled are unknown, and a branch under an unknown
condition counts as "maybe". Compiler checks (``cc.compiles``, ``cc.links``,
``cc.has_header``...) are probes judged by the native rules, and files only named as
probe sources (``test_code:``, ``cc.compiles(files(...))``) are not package code.
"""

from __future__ import annotations

import contextlib
import posixpath
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from analyzer.buildmodel.mesonparse import MesonError, parse
from analyzer.buildmodel.plan import (
    MACRO_NAME,
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
    macro_list,
    note_on,
    probe_list,
    probe_with_args,
    reference_env,
    settings_list,
    source_uses,
    without_shared_stops,
)
from analyzer.buildmodel.public import installed_headers
from analyzer.buildmodel.runtime import InterpreterRuntime, RunRecord
from analyzer.buildmodel.values import UNKNOWN, Maybe, Target, join, strip_maybe
from analyzer.limits import BUILD_LIMITS
from analyzer.safeload import TOO_DEEP, toml_table
from analyzer.tri import MAYBE, Value, and3, or3

MAX_STEPS = 500_000
MAX_FILES = 2_000  # meson.build files one project may read (subdir cycles, hostile trees)

# Target-defining functions: their positional arguments after the name, and ``sources:``.
TARGET_FUNCTIONS = frozenset(
    {
        "executable",
        "library",
        "static_library",
        "shared_library",
        "both_libraries",
        "shared_module",
        "extension_module",
        "build_target",
        "multi_targets",  # numpy's vendored meson ``features`` module
    }
)
# Module target functions compiled only when one of these keywords lists something.
ONLY_WHEN_LISTED = {"multi_targets": ("dispatch", "baseline")}
# Calls whose result is generated at build time (not a tree source, not unknown).
GENERATORS = frozenset(
    {
        "custom_target",
        "configure_file",
        "vcs_tag",
        "generator",
        "process",
        "run_command",
        "declare_dependency",
    }
)
PROBE_METHODS = frozenset(
    {
        "compiles",
        "links",
        "run",
        "has_header",
        "check_header",
        "has_header_symbol",
        "has_function",
        "has_type",
    }
)
# Target keywords the plan reports: (meson keyword, kind of setting).
_SETTING_KEYWORDS = (("c_args", "compile_args"), ("cpp_args", "compile_args"), ("link_args", "link_args"))
PROBE_KEYWORDS = frozenset({"test_code", "extra_tests"})
NATIVE = (".c", ".cc", ".cpp", ".cxx", ".c++", ".m", ".mm")


class _Stop(Exception):
    """``error()`` was reached: the configure step ends on this model."""


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


@dataclass(frozen=True)
class MFile:
    path: str  # tree-relative


@dataclass(frozen=True)
class Generated:
    what: str


@dataclass(eq=False)
class Obj:
    """A meson object: ``host_machine``, a compiler, the python installation, a module."""

    kind: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Method:
    obj: Any
    name: str


@dataclass(frozen=True)
class Func:
    name: str


# -- the interpreter ---------------------------------------------------------------
class Interpreter(InterpreterRuntime[list[Any]]):
    max_steps = MAX_STEPS
    max_files = MAX_FILES
    stop_error = MesonError
    file_kind = "meson.build"

    def __init__(
        self,
        facts: Mapping[str, Fact],
        tree_files: frozenset[str],
        read_text: Callable[[str], str | None],
        judge: Callable[[str], Value],
        parsed: dict[str, list[Any] | None] | None = None,  # shared by every model's run
    ) -> None:
        super().__init__(facts, tree_files, read_text, judge, parsed)
        self.targets: list[Target] = []
        # Each target's sources by name, for the targets that link it (link_with, a
        # declare_dependency's link_with): the module's code includes the library's.
        self.target_sources: dict[str, list[tuple[Any, Value]]] = {}
        self.probes: list[tuple[str, int, str, Value, str]] = []
        self.probe_files: set[str] = set()
        self.include_paths: list[str] = []
        self.public_headers: list[str] = []
        self.cython_language = "c"  # project(default_options: ['cython_language=cpp'])
        # The language standards the project asks for (c_std, cpp_std) as compiler flags.
        self.standards: dict[str, str] = {}
        self.settings: dict[str, dict[str, list[str]]] = {}
        self.visited: set[str] = set()  # directories entered with subdir(): meson refuses a second visit
        # Every subdir() and subproject() named its folder: a meson.build never entered is
        # not part of this model's build.
        self.entered_all = True
        self._wraps: dict[str, tuple[str, dict[str, str]]] | None = None
        self.subproject_scopes: dict[str, dict[str, Any]] = {}
        self.overrides: dict[str, Any] = {}  # meson.override_dependency(name, dep)
        # A loop left unevaluated sets values of a configuration_data not named by a plain
        # variable: a value never seen set may be set in any of them.
        self.configuration_unsure = False
        # Macros the build defines for every unit on this model: -D in add_project_arguments
        # and add_global_arguments, and configure_file headers from configuration_data.
        self.macros: dict[str, Value] = {}
        self.macro_texts: dict[str, str] = {}
        self.project_dir: str | None = None  # the top project's folder (its options file)
        self._tree_dirs: frozenset[str] | None = None
        self.options: dict[str, dict[str, Any]] = {}  # per options file folder: name -> value
        # Headers configure_file writes: (path in the build folder, template, text or None,
        # unknown names).
        self.generated: list[tuple[str, str, str | None, tuple[str, ...]]] = []

    def run(self, build_file: str) -> None:
        env: dict[str, Any] = {}
        self.visited.add(build_file)
        if self.project_dir is None:
            self.project_dir = posixpath.dirname(build_file)

        def evaluate() -> None:
            with contextlib.suppress(_Stop):  # error(): the configure step ends on this model
                self.run_file(build_file, env)

        self.run_entry(build_file, evaluate)

    def run_file(self, path: str, env: dict[str, Any]) -> None:
        self.loaded.add(path)
        statements = self.parse_once(path, parse)
        if statements is None:
            self.unknown_sources = True
            return
        frame = {"dir": posixpath.dirname(path), "file": path}
        self.exec_block(statements, env, frame)

    def exec_block(self, statements: list[Any], env: dict[str, Any], frame: dict[str, str]) -> None:
        for statement in statements:
            self.exec_statement(statement, env, frame)

    def exec_statement(self, node: Any, env: dict[str, Any], frame: dict[str, str]) -> None:
        self.tick()
        kind = node[0]
        if kind == "expr":
            self.ran(frame["file"], node[1], node[3])
            self.eval(node[2], env, frame, node[1])
        elif kind == "assign":
            _, line, name, op, expr, last = node
            self.ran(frame["file"], line, last)
            value = self.eval(expr, env, frame, line)
            if op == "+=":
                value = self.add(env.get(name, UNKNOWN), value)
            if self.uncertain and name in env:
                value = _join(env[name], value)
            env[name] = value
        elif kind == "if":
            self.exec_if(node, env, frame)
        elif kind == "foreach":
            self.exec_foreach(node, env, frame)
        elif kind == "break":
            self.ran(frame["file"], node[1], node[1])
            raise _Break()
        elif kind == "continue":
            self.ran(frame["file"], node[1], node[1])
            raise _Continue()

    def exec_if(self, node: Any, env: dict[str, Any], frame: dict[str, str]) -> None:
        _, _, arms, otherwise = node
        opened = 0
        try:
            for condition, body, arm_line in arms:
                self.ran(frame["file"], arm_line, arm_line)
                state = truth(self.eval(condition, env, frame, arm_line))
                if state == 0:
                    continue
                if state == 1:
                    self.exec_block(body, env, frame)
                    return
                self.uncertain += 1
                opened += 1
                self.guarded(body, env, frame)
            self.guarded(otherwise, env, frame) if opened else self.exec_block(otherwise, env, frame)
        finally:
            self.uncertain -= opened

    def guarded(self, body: list[Any], env: dict[str, Any], frame: dict[str, str]) -> None:
        with contextlib.suppress(_Stop):  # error() on a path that may not be taken
            self.exec_block(body, env, frame)

    def exec_foreach(self, node: Any, env: dict[str, Any], frame: dict[str, str]) -> None:
        _, line, names, iterable, body = node
        self.ran(frame["file"], line, line)
        value = self.eval(iterable, env, frame, line)
        if isinstance(value, dict):
            items: list[Any] = [(k, v) for k, v in value.items()]
        elif isinstance(value, list):
            items = list(value)
        else:
            if _names_sources(body):
                self.unknown_sources = True
            self.mark_unsure_configurations(body, env)
            self.skipped_in.add(frame["file"])
            self.note(f"{frame['file']}:{line}: foreach over an unknown value not evaluated")
            return
        for item in items:
            maybe = isinstance(item, Maybe)
            value = strip_maybe(item)
            self.uncertain += maybe
            try:
                if len(names) == 1:
                    env[names[0]] = value
                else:
                    parts = list(value) if isinstance(value, (list, tuple)) else [UNKNOWN] * len(names)
                    for name, part in zip(names, parts, strict=False):
                        env[name] = part
                self.exec_block(body, env, frame)
            except _Break:
                break
            except _Continue:
                continue
            finally:
                self.uncertain -= maybe

    # -- expressions -------------------------------------------------------------
    def eval(self, node: Any, env: dict[str, Any], frame: dict[str, str], line: int) -> Any:
        kind = node[0]
        if kind == "const":
            return node[1]
        if kind == "fstr":
            text = node[1]

            def substitute(match: re.Match[str]) -> str:
                value = env.get(match.group(1), UNKNOWN)
                if not isinstance(value, (str, int)):
                    raise MesonError("unknown")
                return str(value)

            try:
                return re.sub(r"@(\w+)@", substitute, text)
            except MesonError:
                return UNKNOWN
        if kind == "name":
            return env.get(node[1], _GLOBALS.get(node[1], UNKNOWN))
        if kind == "list":
            return [self.eval(item, env, frame, line) for item in node[1]]
        if kind == "dict":
            result: dict[Any, Any] = {}
            for key_node, value_node in node[1]:
                key = self.eval(key_node, env, frame, line)
                if not isinstance(key, str):
                    return UNKNOWN
                result[key] = self.eval(value_node, env, frame, line)
            return result
        if kind == "ternary":
            state = truth(self.eval(node[1], env, frame, line))
            if state == 1:
                return self.eval(node[2], env, frame, line)
            if state == 0:
                return self.eval(node[3], env, frame, line)
            return _join(self.eval(node[2], env, frame, line), self.eval(node[3], env, frame, line))
        if kind == "not":
            state = truth(self.eval(node[1], env, frame, line))
            return UNKNOWN if state is None else not state
        if kind in ("and", "or"):
            left = truth(self.eval(node[1], env, frame, line))
            if kind == "and" and left == 0:
                return False
            if kind == "or" and left == 1:
                return True
            right = truth(self.eval(node[2], env, frame, line))
            combined = and3(left, right) if kind == "and" else or3(left, right)
            return UNKNOWN if combined is None else bool(combined)
        if kind == "cmp":
            return self.compare(
                node[1], self.eval(node[2], env, frame, line), self.eval(node[3], env, frame, line)
            )
        if kind == "bin":
            left = self.eval(node[2], env, frame, line)
            right = self.eval(node[3], env, frame, line)
            return self.binary(node[1], left, right)
        if kind == "neg":
            value = self.eval(node[1], env, frame, line)
            return -value if isinstance(value, int) else UNKNOWN
        if kind == "index":
            container = self.eval(node[1], env, frame, line)
            key = self.eval(node[2], env, frame, line)
            if (
                isinstance(container, list)
                and isinstance(key, int)
                and -len(container) <= key < len(container)
            ):
                return strip_maybe(container[key])
            if isinstance(container, dict) and isinstance(key, str):
                return container.get(key, UNKNOWN)
            if isinstance(container, Generated):
                return container  # one output of a custom target
            return UNKNOWN
        if kind == "attr":
            return Method(self.eval(node[1], env, frame, line), node[2])
        if kind == "call":
            return self.call(node, env, frame)
        return UNKNOWN

    def compare(self, op: str, left: Any, right: Any) -> Any:
        if op in ("in", "not in"):
            if not isinstance(right, (list, dict, str)) or not _known(left):
                return UNKNOWN
            items = [strip_maybe(v) for v in right] if isinstance(right, list) else right
            if (
                isinstance(right, list)
                and left not in items
                and any(isinstance(v, Maybe) or v is UNKNOWN for v in right)
            ):
                return UNKNOWN
            found = left in items
            return found if op == "in" else not found
        if not (_known(left) and _known(right)):
            return UNKNOWN
        try:
            return {
                "==": left == right,
                "!=": left != right,
                "<": left < right,
                ">": left > right,
                "<=": left <= right,
                ">=": left >= right,
            }[op]
        except TypeError:
            return UNKNOWN

    def binary(self, op: str, left: Any, right: Any) -> Any:
        if op == "+":
            return self.add(left, right)
        if op == "/" and isinstance(left, str) and isinstance(right, str):
            return posixpath.join(left, right)
        if isinstance(left, int) and isinstance(right, int) and not isinstance(left, bool):
            if op == "-":
                return left - right
            if op == "*":
                return left * right if abs(left * right) < 1 << 64 else UNKNOWN
            if op == "%" and right:
                return left % right
            if op == "/" and right:
                return left // right
        return UNKNOWN

    def add(self, left: Any, right: Any) -> Any:
        if not self.budget.allow(_size(left) + _size(right)):
            return UNKNOWN
        if isinstance(left, list):
            addition = right if isinstance(right, list) else [right]
            if self.uncertain:
                addition = [Maybe(strip_maybe(v)) for v in addition]
            return left + addition
        if isinstance(left, str) and isinstance(right, str):
            return left + right
        if isinstance(left, int) and isinstance(right, int):
            return left + right
        if isinstance(left, dict) and isinstance(right, dict):
            return {**left, **right}
        return UNKNOWN

    def call(self, node: Any, env: dict[str, Any], frame: dict[str, str]) -> Any:
        _, callee, arg_nodes, kwarg_nodes, line = node
        args = [self.eval(a, env, frame, line) for a in arg_nodes]
        kwargs = {name: self.eval(v, env, frame, line) for name, v in kwarg_nodes}
        for keyword in PROBE_KEYWORDS:
            if keyword in kwargs:
                self.probe_sources(kwargs[keyword], frame, line, keyword)
        if callee[0] == "name":
            return self.function(callee[1], args, kwargs, env, frame, line)
        receiver = self.eval(callee[1], env, frame, line)
        return self.method(receiver, callee[2], args, kwargs, frame, line)

    def installed_headers(self, name: str, args: list[Any], frame: dict[str, str]) -> None:
        """``install_headers(files)`` and ``install_subdir(dir)``: the headers other
        packages compile against (judged for them, whatever this build compiles)."""
        for arg in _flatten(args):
            value = strip_maybe(arg)
            rel = value.path if isinstance(value, MFile) else value if isinstance(value, str) else None
            if rel is None:
                continue
            if isinstance(value, str):
                rel = posixpath.normpath(posixpath.join(frame["dir"], value)).lstrip("/")
            if rel.startswith(".."):
                continue
            self.public_headers.extend(installed_headers(self.tree_files, rel, name == "install_subdir"))

    def files(self, args: list[Any], frame: dict[str, str]) -> list[Any]:
        found: list[Any] = []
        for arg in _flatten(args):
            value = strip_maybe(arg)
            if isinstance(value, str):
                joined = posixpath.normpath(posixpath.join(frame["dir"], value))
                # The model writes the project's source root as "/" (project_source_root(),
                # current_source_dir()): an absolute name is the tree's when the tree has
                # it; anything else, and anything that climbs out, is outside the tree.
                rel = joined.lstrip("/")
                if (
                    joined.startswith("../")
                    or joined == ".."
                    or (joined.startswith("/") and rel not in self.tree_files)
                ):
                    self.unknown_sources = True
                    self.note(f"{frame['file']}: files({value[:200]!r}) is not in the tree: not read")
                    item: Any = UNKNOWN
                else:
                    item = MFile(rel)
            elif isinstance(value, (MFile, Generated)):
                item = value
            else:
                item = UNKNOWN
            found.append(Maybe(item) if isinstance(arg, Maybe) else item)
        return found

    def configuration_method(self, data: Obj, name: str, args: list[Any]) -> Any:
        """``conf.set(name, value)``, ``set10``, ``set_quoted``: what configure_file will
        write; on a path that may not be taken, the value is only "maybe". ``get`` and
        ``has`` read back what was set (unknown where a set may or may not have run)."""
        if name in ("get", "has") and args and isinstance(args[0], str):
            return self.configuration_value(data, name, args)
        if name not in ("set", "set10", "set_quoted") or len(args) < 2 or not isinstance(args[0], str):
            return None
        value = strip_maybe(args[1])
        raw = value
        if name == "set10":
            # meson keeps set10's value as a number: get() gives 1 or 0.
            raw = int(value) if isinstance(value, bool) else UNKNOWN
            value = ("1" if value else "0") if isinstance(value, bool) else UNKNOWN
        elif name == "set_quoted":
            value = f'"{value}"' if isinstance(value, str) else UNKNOWN
            raw = value
        uncertain = bool(self.uncertain) or isinstance(args[1], Maybe)
        data.data["values"][args[0]] = (value, uncertain)
        data.data.setdefault("raw", {})[args[0]] = raw
        return None

    def mark_unsure_configurations(self, body: list[Any], env: dict[str, Any]) -> None:
        """A loop not evaluated: the configuration_data objects its ``set`` calls name
        may hold values this model never saw set (any of them, when a call's receiver
        is not a plain variable)."""
        for receiver in _configuration_receivers(body):
            value = env.get(receiver[1]) if receiver[0] == "name" else None
            if isinstance(value, Obj) and value.kind == "configuration_data":
                value.data["unsure"] = True
            else:
                self.configuration_unsure = True

    def configuration_value(self, data: Obj, name: str, args: list[Any]) -> Any:
        key = args[0]
        values = data.data["values"]
        if key in values:
            _, uncertain = values[key]
            if uncertain:
                return UNKNOWN
            return True if name == "has" else data.data.get("raw", {}).get(key, UNKNOWN)
        # Never set on any path this model took, unless a loop that was not evaluated set it.
        if self.configuration_unsure or data.data.get("unsure"):
            return UNKNOWN
        if name == "has":
            return False
        return strip_maybe(args[1]) if len(args) > 1 else UNKNOWN

    def configured_header(self, kwargs: dict[str, Any]) -> None:
        """``configure_file(configuration: conf, output: 'config.h')``: the header's
        ``#define``s hold for the units that include it; modelled as the build's macros."""
        data = kwargs.get("configuration")
        output = kwargs.get("output")
        if not isinstance(data, Obj) or data.kind != "configuration_data":
            return
        if not isinstance(output, str) or not output.endswith((".h", ".hpp", ".hh")):
            return
        for macro, (value, unsure) in data.data["values"].items():
            if not MACRO_NAME.fullmatch(macro):
                continue
            # set(name, false) writes "#undef name"; every other value defines it.
            defined: Value = 0 if value is False else (1 if value is not UNKNOWN else MAYBE)
            if unsure or self.uncertain:
                defined = MAYBE if defined != 0 else 0
            self.define(macro, defined, value)

    def tree_dirs(self) -> frozenset[str]:
        """Every folder of the tree (made once per run: fs.is_dir is asked in loops)."""
        if self._tree_dirs is None:
            folders: set[str] = set()
            for path in self.tree_files:
                parts = path.split("/")[:-1]
                folders.update("/".join(parts[:i]) for i in range(1, len(parts) + 1))
            self._tree_dirs = frozenset(folders)
        return self._tree_dirs

    def option(self, name: str, frame: dict[str, str]) -> Any:
        """``get_option(name)`` as a wheel build sets it: the project's own options at
        their declared defaults (``meson.options`` / ``meson_options.txt``) unless
        pyproject.toml's ``[tool.meson-python.args] setup`` gives ``-Dname=value``, and
        the built-in options meson-python sets (``buildtype=release``, ``b_ndebug=
        if-release``, ``b_vscrt=md``). Feature options and everything else: unknown."""
        in_subproject = "subprojects" in frame.get("file", "").split("/")[:-1]
        folder = frame.get("dir", "") if in_subproject else (self.project_dir or "")
        if in_subproject:  # a subproject's own options file, at its root
            parts = frame.get("file", "").split("/")
            index = parts.index("subprojects")
            folder = "/".join(parts[: index + 2])
        if folder not in self.options:
            self.options[folder] = self.read_options(folder, with_pyproject=not in_subproject)
        return self.options[folder].get(name, UNKNOWN)

    def read_options(self, folder: str, with_pyproject: bool) -> dict[str, Any]:
        values: dict[str, Any] = dict(MESON_PYTHON_OPTIONS) if with_pyproject else {}
        kinds: dict[str, str] = {}
        for name in ("meson.options", "meson_options.txt"):
            path = posixpath.join(folder, name) if folder else name
            if path not in self.tree_files:
                continue
            text = self.read_text(path)
            try:
                statements = parse(text) if text is not None else []
            except (MesonError, RecursionError):
                statements = []
            for statement in statements[:MAX_OPTIONS]:
                declared = _declared_option(statement)
                if declared is not None:
                    option, kind, value = declared
                    kinds[option] = kind
                    values[option] = value
            break
        if with_pyproject:
            pyproject = self.read_text(
                posixpath.join(folder, "pyproject.toml") if folder else "pyproject.toml"
            )
            for option, text in _pyproject_setup_options(pyproject):
                values[option] = _option_value(kinds.get(option, ""), text)
        return values

    def generated_header(self, kwargs: dict[str, Any], frame: dict[str, str]) -> None:
        """``configure_file(input:, output:, configuration:)`` writing a header: its text
        as meson writes it on this model (:func:`mesonconfigured_text`), kept for a proof
        to compile against; None with the names whose value is unknown."""
        data, output, source = kwargs.get("configuration"), kwargs.get("output"), kwargs.get("input")
        if not isinstance(data, Obj) or data.kind != "configuration_data" or not isinstance(output, str):
            return
        if posixpath.splitext(output)[1].lower() not in _HEADER_OUTPUTS or "/" in output:
            return
        directory = frame.get("dir", "")
        template = ""
        text: str | None = None
        if isinstance(source, str):
            template = posixpath.normpath(posixpath.join(directory, source)) if directory else source
            text = self.read_text(template) if template in self.tree_files else None
            if text is None:
                return
        entries = data.data["values"].items()
        values = {name: (UNKNOWN if unsure else value) for name, (value, unsure) in entries}
        rendered, unknown = meson_configured_text(text, values)
        if self.uncertain:
            unknown = ["(configure_file on a path that may not run)", *unknown]
        where = posixpath.join(directory, output) if directory else output
        self.generated.append((where, template, None if unknown else rendered, tuple(unknown)))

    def define_flag(self, flag: Any, unsure: bool) -> None:
        if not isinstance(flag, str) or not flag.startswith(("-D", "/D")):
            return
        macro, _, text = flag[2:].partition("=")
        if MACRO_NAME.fullmatch(macro):
            self.define(macro, MAYBE if unsure or self.uncertain else 1, text if "=" in flag else True)

    def define(self, macro: str, defined: Value, value: Any) -> None:
        old = self.macros.get(macro)
        self.macros[macro] = defined if old is None or old == defined else MAYBE
        if isinstance(value, (str, int)) and not isinstance(value, bool) and defined != 0:
            self.macro_texts.setdefault(macro, str(value))

    def function(
        self,
        name: str,
        args: list[Any],
        kwargs: dict[str, Any],
        env: dict[str, Any],
        frame: dict[str, str],
        line: int,
    ) -> Any:
        if name == "files":
            return self.files(args, frame)
        if name == "subdir":
            if not (args and isinstance(args[0], str)):
                self.entered_all = False
            else:
                path = posixpath.normpath(posixpath.join(frame["dir"], args[0], "meson.build"))
                if path.startswith(("../", "/")) or path == "..":
                    self.unknown_sources = True
                    self.note(f"{frame['file']}:{line}: subdir {args[0]!r} is outside the tree: not read")
                elif path in self.visited:
                    # As meson: entering a directory twice is an error, not a loop.
                    self.note(
                        f"{frame['file']}:{line}: subdir {args[0]!r} was already visited: not read again"
                    )
                elif path in self.tree_files:
                    self.visited.add(path)
                    self.run_file(path, env)
                else:
                    self.note(f"{frame['file']}:{line}: subdir {args[0]!r} has no meson.build in the tree")
            return None
        if name == "range":
            numbers = [a for a in args if isinstance(a, int) and not isinstance(a, bool)]
            if len(numbers) != len(args) or not 1 <= len(numbers) <= 3 or 0 in numbers[2:]:
                return UNKNOWN
            span = range(*numbers)
            if len(span) > BUILD_LIMITS.max_range:
                self.note(f"{frame['file']}:{line}: a range() of {len(span):,} not evaluated")
                return UNKNOWN
            return list(span)
        if name == "project":
            # The top project's default Cython language (a subproject's is its own).
            defaults = strip_maybe(kwargs.get("default_options"))
            if isinstance(defaults, dict):  # meson >= 1.2 takes a dict too
                defaults = [f"{k}={strip_maybe(v)}" for k, v in defaults.items()]
            if "subprojects" not in frame["file"].split("/")[:-1]:
                for option in _flatten(_as_list(defaults)):
                    option = strip_maybe(option)
                    if isinstance(option, str) and option.startswith("cython_language="):
                        self.cython_language = option.split("=", 1)[1]
                    if isinstance(option, str) and (flag := _standard_flag(option)):
                        self.standards[option.split("=", 1)[0]] = flag
            return None
        if name in ("install_headers", "install_subdir"):
            self.installed_headers(name, args, frame)
            return None
        if name == "subproject":
            self.entered_all &= bool(args and isinstance(args[0], str))
            scope = self.subproject(args[0]) if args and isinstance(args[0], str) else {}
            # Its variables, for get_variable(): a dependency it declares carries the
            # sources and include folders the project's targets then use.
            return Obj("subproject", {"scope": scope})
        if name == "error":
            if not self.uncertain:
                message = " ".join(str(a) for a in args if isinstance(a, str))
                self.stopped = (frame["file"], line, message)
                raise _Stop()
            raise _Stop()
        if name == "import":
            module = args[0] if args and isinstance(args[0], str) else ""
            return Obj("python" if module == "python" else "module", {"name": module})
        if name in TARGET_FUNCTIONS:
            return self.target(name, args, kwargs, frame, line)
        if name == "configuration_data":
            data = Obj("configuration_data", {"values": {}})
            if args and isinstance(args[0], dict):
                for key, value in args[0].items():
                    self.configuration_method(data, "set", [key, value])
            return data
        if name == "configure_file":
            self.configured_header(kwargs)
            self.generated_header(kwargs, frame)
            return Generated(name)
        if name in ("add_project_arguments", "add_global_arguments"):
            for flag in _flatten(args):
                self.define_flag(strip_maybe(flag), isinstance(flag, Maybe))
            return None
        if name == "declare_dependency":
            return self.dependency(kwargs, frame)
        if name in GENERATORS:
            return Generated(name)
        if name == "get_option" and args and isinstance(args[0], str):
            return self.option(args[0], frame)
        if name == "dependency":
            self.lookup(name, args, frame, line)
            return self.found_dependency(args, kwargs)
        if name in ("get_option", "get_variable", "dependency", "find_program", "run_command", "environment"):
            return UNKNOWN
        if name == "is_variable":
            return bool(args) and isinstance(args[0], str) and args[0] in env
        if name == "set_variable" and len(args) == 2 and isinstance(args[0], str):
            env[args[0]] = args[1]
            return None
        if name in (
            "message",
            "warning",
            "summary",
            "add_project_arguments",
            "add_global_arguments",
            "install_data",
            "add_languages",
            "test",
            "benchmark",
            "assert",
        ):
            return None
        if name == "join_paths":
            if all(isinstance(a, str) for a in args):
                return posixpath.join(*args) if args else ""
            return UNKNOWN
        if name == "include_directories":
            self.include_dirs(args, frame)
            return Obj("include_directories", {"dirs": args, "dir": frame["dir"]})
        return UNKNOWN

    def method(
        self,
        receiver: Any,
        name: str,
        args: list[Any],
        kwargs: dict[str, Any],
        frame: dict[str, str],
        line: int,
    ) -> Any:
        if isinstance(receiver, Method):
            receiver = self.method(receiver.obj, receiver.name, [], {}, frame, line)
        if isinstance(receiver, Generated):
            return Generated(name)  # generator.process(...), a custom target's outputs
        facts = self.facts
        if isinstance(receiver, Obj):
            if receiver.kind == "configuration_data":
                return self.configuration_method(receiver, name, args)
            if receiver.kind == "machine":
                if name == "cpu_family" or name == "cpu":
                    return facts.get("meson.cpu_family") or UNKNOWN
                if name == "system":
                    return facts.get("meson.system") or UNKNOWN
                if name == "endian":
                    return facts.get("byteorder") or UNKNOWN
                return UNKNOWN
            if receiver.kind == "meson":
                if name == "get_compiler":
                    return Obj("compiler")
                if name == "override_dependency" and len(args) >= 2 and isinstance(args[0], str):
                    self.overrides[args[0]] = args[1]  # what dependency(name) now finds
                    return None
                if name in ("current_source_dir", "project_source_root", "source_root", "global_source_root"):
                    # Absolute, as in meson: files() joins them as given (the "/" is dropped later).
                    return "/" + frame["dir"] if name == "current_source_dir" else "/"
                return UNKNOWN
            if receiver.kind == "compiler":
                if name == "get_id":
                    return facts.get("meson.compiler_id") or UNKNOWN
                if name == "get_argument_syntax":
                    compiler = facts.get("meson.compiler_id")
                    return ("msvc" if compiler in ("msvc", "clang-cl") else "gcc") if compiler else UNKNOWN
                if name in PROBE_METHODS:
                    return self.compiler_probe(name, args, frame, line, kwargs)
                if name == "sizeof":
                    return self.compiler_sizeof(args, kwargs, frame, line)
                if name == "find_library":
                    self.lookup(name, args, frame, line)
                    library = strip_maybe(args[0]) if args else None
                    # A required library is linked into every target that depends on it;
                    # one with required: false may be absent, so nothing is promised.
                    if isinstance(library, str) and kwargs.get("required", True) is True:
                        return Obj("dependency", {"targets": [], "sources": [], "libraries": [library]})
                if name == "has_function_attribute":
                    return self.function_attribute(args, frame, line)
                return UNKNOWN
            if receiver.kind == "python" and name == "find_installation":
                return Obj("installation")
            if receiver.kind == "installation" and name == "extension_module":
                return self.target(name, args, kwargs, frame, line)
            if receiver.kind == "module":
                if name in TARGET_FUNCTIONS:
                    return self.target(name, args, kwargs, frame, line)
                if receiver.data.get("name") == "fs" and name in ("exists", "is_file", "is_dir"):
                    if args and isinstance(args[0], str):
                        path = posixpath.normpath(posixpath.join(frame["dir"], args[0]))
                        if path in self.tree_files or path in self.tree_dirs():
                            return True
                    return UNKNOWN
                # Other module functions (fs.copyfile, features.new...) make build objects.
                return Generated(f"{receiver.data.get('name')}.{name}")
            if receiver.kind == "subproject" and name == "get_variable" and args and isinstance(args[0], str):
                scope = receiver.data.get("scope", {})
                if args[0] in scope:
                    return scope[args[0]]
                return Generated(name)  # a variable its meson.build (unread) would set
            if receiver.kind in ("target", "subproject"):
                return Generated(name)  # a target's objects, a subproject's variables
            return UNKNOWN
        if isinstance(receiver, list):
            if name == "length" and not any(isinstance(v, Maybe) for v in receiver):
                return len(receiver)
            if name == "contains" and args:
                return self.compare("in", args[0], receiver)
            if name == "get" and args and isinstance(args[0], int):
                return (
                    strip_maybe(receiver[args[0]]) if -len(receiver) <= args[0] < len(receiver) else UNKNOWN
                )
            return UNKNOWN
        if isinstance(receiver, dict):
            if name == "get" and args and isinstance(args[0], str):
                return receiver.get(args[0], args[1] if len(args) > 1 else UNKNOWN)
            if name == "has_key" and args and isinstance(args[0], str):
                return args[0] in receiver
            if name == "keys":
                return sorted(receiver)
            return UNKNOWN
        if isinstance(receiver, str):
            return _string_method(receiver, name, args)
        if isinstance(receiver, bool) and name == "to_int":
            return int(receiver)
        return UNKNOWN

    def wraps(self) -> dict[str, tuple[str, dict[str, str]]]:
        """The tree's ``subprojects/*.wrap`` files: per subproject name, its folder and
        the dependencies it provides (``[provide]``: name -> variable, "" for one the
        subproject declares with ``meson.override_dependency``)."""
        if self._wraps is None:
            self._wraps = {}
            for path in sorted(self.tree_files):
                folder, _, file = path.rpartition("/")
                if folder == "subprojects" and file.endswith(".wrap"):
                    self._wraps[file.removesuffix(".wrap")] = _read_wrap(self.read_text(path))
        return self._wraps

    def subproject(self, name: str) -> dict[str, Any]:
        """Run ``subprojects/<folder>/meson.build`` once (meson configures a subproject
        once, whoever asks): its variables."""
        if name not in self.subproject_scopes:
            scope: dict[str, Any] = {}
            self.subproject_scopes[name] = scope
            self.built_here.add(name)
            folder = self.wraps().get(name, ("", {}))[0] or name
            path = posixpath.normpath(posixpath.join("subprojects", folder, "meson.build"))
            # A wrap's folder is the package's text: only a folder inside subprojects/.
            if path in self.tree_files and path.startswith("subprojects/") and path.count("/") == 2:
                self.run_file(path, scope)
        return self.subproject_scopes[name]

    def found_dependency(self, args: list[Any], kwargs: dict[str, Any]) -> Any:
        """``dependency(name)``: one a subproject declared (``override_dependency``), or
        one a wrap file provides, which meson builds from the subproject when the system
        has none (a proof's environment has none; nor has a wheel build's, unless it
        installs it). Anything else is unknown."""
        name = strip_maybe(args[0]) if args else None
        if not isinstance(name, str):
            return UNKNOWN
        if name in self.overrides:
            return self.overrides[name]
        if strip_maybe(kwargs.get("allow_fallback")) is False:
            return UNKNOWN
        fallback = [strip_maybe(v) for v in _flatten(_as_list(kwargs.get("fallback")))]
        provider: tuple[str, str] | None = None
        if fallback and isinstance(fallback[0], str):
            variable = fallback[1] if len(fallback) > 1 and isinstance(fallback[1], str) else ""
            provider = (fallback[0], variable)
        else:
            provider = next(
                ((wrap, provides[name]) for wrap, (_, provides) in self.wraps().items() if name in provides),
                None,
            )
        if provider is None:
            return UNKNOWN
        scope = self.subproject(provider[0])
        if name in self.overrides:
            return self.overrides[name]
        return scope.get(provider[1], UNKNOWN) if provider[1] else UNKNOWN

    def lookup(self, function: str, args: list[Any], frame: dict[str, str], line: int) -> None:
        """``dependency('zlib')``, ``cc.find_library('ssl')``: a library looked for
        outside the tree (a dependency()'s further names are fallbacks for the first)."""
        name = strip_maybe(args[0]) if args else None
        library = name if isinstance(name, str) else "$unknown"
        self.looked_for(library, f"meson {function}()", frame["file"], line)

    def compiler_sizeof(
        self, args: list[Any], kwargs: dict[str, Any], frame: dict[str, str], line: int
    ) -> Any:
        """``cc.sizeof(type, prefix: ...)`` as meson computes it without running anything
        (its cross-build way): compile checks of ``sizeof(type) == n``. -1 when the type
        does not compile, unknown when a check cannot be settled."""
        type_name = strip_maybe(args[0]) if args else None
        prefix = _probe_prefix(kwargs)
        if not isinstance(type_name, str) or prefix is None or not _C_TYPE.fullmatch(type_name):
            return UNKNOWN
        for size in (1, 2, 4, 8, 16, 32):
            text = f"{prefix}\nchar woaport_sizeof_check[(sizeof({type_name}) == {size}) ? 1 : -1];\n"
            verdict = self.judge(text)
            if verdict == 1:
                self.probes.append((frame["file"], line, f"cc.sizeof({type_name}) == {size}", 1, ""))
                return size
            if verdict is MAYBE:
                return UNKNOWN
        return -1

    def compiler_probe(
        self,
        name: str,
        args: list[Any],
        frame: dict[str, str],
        line: int,
        kwargs: dict[str, Any] | None = None,
    ) -> Any:
        if not args:
            return UNKNOWN
        subject = strip_maybe(args[0])
        if isinstance(subject, list) and subject:
            subject = strip_maybe(subject[0])
        text: str | None = None
        path = ""
        prefix = _probe_prefix(kwargs or {})
        if prefix is None:
            return UNKNOWN
        second = strip_maybe(args[1]) if len(args) > 1 else None
        if name == "has_header_symbol" and isinstance(subject, str) and isinstance(second, str):
            if not _C_NAME.fullmatch(second):
                return UNKNOWN
            # As meson checks it: the header declares the name, or defines it as a macro.
            text = (
                f"{prefix}\n#include <{subject}>\nint main(void) {{\n#ifndef {second}\n"
                f"  (void) {second};\n#endif\n  return 0;\n}}\n"
            )
        elif name == "has_function" and isinstance(subject, str) and _C_NAME.fullmatch(subject):
            if subject.startswith("__builtin_"):
                text = (
                    f"{prefix}\nint main(void) {{\n#if !defined(__has_builtin) || !__has_builtin({subject})\n"
                    f"#error no {subject}\n#endif\n  return 0;\n}}\n"
                )
            elif prefix:  # declared by the prefix's headers: its address is taken
                text = f"{prefix}\nint main(void) {{ void *a = (void *) &{subject}; return a == 0; }}\n"
            else:  # declared here, as meson does without a prefix, and linked
                text = f"char {subject}(void);\nint main(void) {{ return {subject}(); }}\n"
        elif name == "has_type" and isinstance(subject, str) and _C_TYPE.fullmatch(subject):
            text = f"{prefix}\nvoid woaport_has_type(void) {{ {subject} *probe; (void) probe; }}\n"
        elif name in ("has_header", "check_header", "has_header_symbol") and isinstance(subject, str):
            text = f"{prefix}\n#include <{subject}>\n" if prefix else f"#include <{subject}>\n"
        elif isinstance(subject, MFile):
            path = subject.path
            self.probe_files.add(path)
            text = self.read_text(path)
        elif isinstance(subject, str) and name in ("compiles", "links", "run"):
            text = subject
        if text is None:
            return UNKNOWN
        check_args = _probe_args(kwargs or {})
        if check_args is None:
            return UNKNOWN
        verdict = self.judge(probe_with_args(text, check_args))
        what = f"cc.{name}({path or _short(text)})"
        self.probes.append((frame["file"], line, what, verdict, path))
        # 1 only from a judge that compiled the probe (prove's toolchain): the build's answer.
        return False if verdict == 0 else True if verdict == 1 else UNKNOWN

    def function_attribute(self, args: list[Any], frame: dict[str, str], line: int) -> Any:
        """``cc.has_function_attribute(name)`` as meson answers it: a compiler with MSVC's
        argument syntax (cl, clang-cl) has only dllimport and dllexport, without a check;
        GCC and clang compile a declaration with the attribute, its warnings made errors."""
        name = strip_maybe(args[0]) if args else None
        if not isinstance(name, str):
            return UNKNOWN
        compiler = self.facts.get("meson.compiler_id")
        if compiler in ("msvc", "clang-cl"):
            return name in ("dllimport", "dllexport")
        declaration = _attribute_declaration(name)
        if compiler is None or declaration is None:
            return UNKNOWN
        # As meson checks it: the attribute's warnings are errors.
        verdict = self.judge(probe_with_args(f"{declaration}\n", ["-Werror=attributes"]))
        self.probes.append((frame["file"], line, f"cc.has_function_attribute({name!r})", verdict, ""))
        return False if verdict == 0 else True if verdict == 1 else UNKNOWN

    def probe_sources(self, value: Any, frame: dict[str, str], line: int, keyword: str) -> None:
        values = (
            value.values() if isinstance(value, dict) else (value if isinstance(value, list) else [value])
        )
        for item in values:
            item = strip_maybe(item)
            if isinstance(item, list):
                item = strip_maybe(item[0]) if item else None
            if isinstance(item, MFile):
                self.probe_files.add(item.path)
                text = self.read_text(item.path)
                verdict = self.judge(text) if text is not None else MAYBE
                self.probes.append((frame["file"], line, f"{keyword}: {item.path}", verdict, item.path))

    def include_dirs(self, values: list[Any], frame: dict[str, str]) -> None:
        for value in _flatten(values):
            value = strip_maybe(value)
            if isinstance(value, str):
                self.include_paths.append(posixpath.normpath(posixpath.join(frame["dir"], value)).lstrip("/"))

    def target(
        self, function: str, args: list[Any], kwargs: dict[str, Any], frame: dict[str, str], line: int
    ) -> Any:
        name = args[0] if args and isinstance(args[0], str) else ""
        raw = [*args[1:], *_as_list(kwargs.get("sources"))]
        self.include_dirs(
            [v for v in _as_list(kwargs.get("include_directories")) if isinstance(v, str)], frame
        )
        present: Value = MAYBE if self.uncertain else 1
        if function in ONLY_WHEN_LISTED:
            lists = [kwargs.get(k) for k in ONLY_WHEN_LISTED[function]]
            states = [_nonempty(v) for v in lists if v is not None]
            combined: Value = 0
            for state in states:
                combined = or3(combined, state)
            present = and3(present, combined)
        if kwargs.get("build_by_default") is False:
            present = and3(present, MAYBE)
        sources: list[tuple[Any, Value]] = []
        for item in self.files(raw, frame):
            value = strip_maybe(item)
            certainty: Value = MAYBE if isinstance(item, Maybe) else 1
            if isinstance(value, MFile):
                sources.append((value, certainty))
            elif value is UNKNOWN:
                self.unknown_sources = True
                self.note(f"{frame['file']}:{line}: a source of {name or function!r} is not known statically")
        own = list(sources)
        linked = self.linked_targets(kwargs)  # static libraries of this build it links
        libraries = self.dependency_libraries(kwargs)  # found by cc.find_library()
        for dependency in map(strip_maybe, _flatten(_as_list(kwargs.get("dependencies")))):
            if isinstance(dependency, Obj) and dependency.kind == "dependency":
                linked += dependency.data.get("targets", [])
                sources.extend(s for s in dependency.data.get("sources", ()) if s not in sources)
        for library in linked:
            sources.extend(s for s in self.target_sources.get(library, []) if s not in sources)
        if name:
            self.target_sources[name] = own
        self.targets.append(Target(name, sources, frame["file"], line, present))
        if present != 0:
            settings = self.settings.setdefault(name, {})
            settings.setdefault("libraries", []).extend(libraries)
            for keyword, kind in (
                ("c_args", "compile_args"),
                ("cpp_args", "compile_args"),
                ("link_args", "link_args"),
            ):
                settings.setdefault(kind, []).extend(
                    v for v in _flatten(_as_list(kwargs.get(keyword))) if isinstance(v, str)
                )
            # The language standards (the project's, a target's override_options): -std=
            # flags a compile of the matching language takes (prove picks by language).
            standards = dict(self.standards)
            for option in _flatten(_as_list(kwargs.get("override_options"))):
                option = strip_maybe(option)
                if isinstance(option, str) and (flag := _standard_flag(option)):
                    standards[option.split("=", 1)[0]] = flag
            settings.setdefault("compile_args", []).extend(sorted(standards.values()))
            # extension_module(limited_api: '3.10'): meson defines Py_LIMITED_API as that
            # version's hex and links the stable-ABI library (python3.lib on Windows).
            limited = strip_maybe(kwargs.get("limited_api"))
            if isinstance(limited, str) and (version := re.fullmatch(r"3\.(\d{1,2})", limited.strip())):
                settings["compile_args"].append(f"-DPy_LIMITED_API=0x03{int(version.group(1)):02X}0000")
            if self.cython_cplus(kwargs):
                settings["language"] = ["c++"]  # Cython translates this target's .pyx to C++
            # A target's -D flags (``c_args: ['-DHAVE_X']`` after a probe) hold for its
            # units as add_project_arguments' do for all: the build's macros.
            for keyword in ("c_args", "cpp_args"):
                for flag in _flatten(_as_list(kwargs.get(keyword))):
                    self.define_flag(strip_maybe(flag), isinstance(flag, Maybe) or present != 1)
        return Obj("target", {"name": name})

    def cython_cplus(self, kwargs: dict[str, Any]) -> bool:
        """Does meson run Cython in C++ mode for this target: ``cython_args: ['--cplus']``,
        ``override_options: ['cython_language=cpp']``, or the project's default option."""
        words = [strip_maybe(v) for v in _flatten(_as_list(kwargs.get("cython_args")))]
        options = [strip_maybe(v) for v in _flatten(_as_list(kwargs.get("override_options")))]
        if "--cplus" in words or "-+" in words:
            return True
        chosen = [o for o in options if isinstance(o, str) and o.startswith("cython_language=")]
        if chosen:
            return chosen[-1] == "cython_language=cpp"
        return self.cython_language == "cpp"

    @staticmethod
    def dependency_libraries(kwargs: dict[str, Any]) -> list[str]:
        """The libraries ``dependencies:`` link by name (``cc.find_library('npymath')``)."""
        found: list[str] = []
        for dependency in map(strip_maybe, _flatten(_as_list(kwargs.get("dependencies")))):
            if isinstance(dependency, Obj) and dependency.kind == "dependency":
                found += [n for n in dependency.data.get("libraries", ()) if n not in found]
        return found

    @staticmethod
    def linked_targets(kwargs: dict[str, Any]) -> list[str]:
        """Names of this build's targets that ``link_with``/``link_whole`` name."""
        found = []
        for keyword in ("link_with", "link_whole"):
            for item in _flatten(_as_list(kwargs.get(keyword))):
                item = strip_maybe(item)
                if isinstance(item, Obj) and item.kind == "target" and item.data.get("name"):
                    found.append(str(item.data["name"]))
        return found

    def dependency(self, kwargs: dict[str, Any], frame: dict[str, str]) -> Obj:
        """``declare_dependency``: what a target using it gets — the libraries it links
        (pandas' tokenizer), its sources and include folders."""
        self.include_dirs(
            [v for v in _as_list(kwargs.get("include_directories")) if isinstance(v, str)], frame
        )
        sources = [
            (value, MAYBE if isinstance(item, Maybe) else 1)
            for item in self.files(_as_list(kwargs.get("sources")), frame)
            if isinstance(value := strip_maybe(item), MFile)
        ]
        return Obj(
            "dependency",
            {
                "targets": self.linked_targets(kwargs),
                "sources": sources,
                "libraries": self.dependency_libraries(kwargs),
            },
        )


_GLOBALS: dict[str, Any] = {
    "host_machine": Obj("machine"),
    "build_machine": Obj("machine"),
    "target_machine": Obj("machine"),
    "meson": Obj("meson"),
}


MAX_WRAP_BYTES = 64 * 1024


def _read_wrap(text: str | None) -> tuple[str, dict[str, str]]:
    """A wrap file's subproject folder (``directory``, else the wrap's own name: "") and
    what its ``[provide]`` section offers: dependency name -> variable ("" when the
    subproject overrides the dependency itself)."""
    folder = ""
    provides: dict[str, str] = {}
    section = ""
    for raw in (text or "")[:MAX_WRAP_BYTES].splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
            continue
        key, sep, value = line.partition("=")
        if not sep:
            continue
        key, value = key.strip(), value.strip()
        if section.startswith("wrap-") and key == "directory":
            folder = value
        elif section == "provide" and key == "dependency_names":
            provides.update((n.strip(), "") for n in value.split(",") if n.strip())
        elif section == "provide" and key != "program_names":
            provides[key] = value
    return folder, provides


def _standard_flag(option: str) -> str | None:
    """``c_std=c17`` / ``cpp_std=c++20`` (or meson's MSVC spellings ``vc++20``, and a
    fallback list ``c++20,vc++20``) as the compiler flag; None for none or latest."""
    key, _, value = option.partition("=")
    if key not in ("c_std", "cpp_std"):
        return None
    for choice in value.split(","):
        choice = choice.strip().removeprefix("v")
        if re.fullmatch(r"(?:c|gnu)\d\d" if key == "c_std" else r"(?:c|gnu)\+\+\d\d", choice):
            return f"-std={choice}"
    return None


def _attribute_declaration(name: str) -> str | None:
    """A declaration using the GCC function attribute meson calls ``name`` (the ones
    whose spelling is plain; None for the rest: unknown)."""
    if name.startswith("visibility:") and name.split(":", 1)[1] in (
        "default",
        "hidden",
        "internal",
        "protected",
    ):
        return f'int woaport_probe(void) __attribute__((visibility("{name.split(":", 1)[1]}")));'
    if name in ("dllimport", "dllexport"):
        return f"__declspec({name}) int woaport_probe(void);"
    if name in ("unused", "cold", "hot", "const", "pure", "noinline", "malloc", "warn_unused_result"):
        return f"int *woaport_probe(void) __attribute__(({name}));"
    if name == "noreturn":
        return "void woaport_probe(void) __attribute__((noreturn));"
    return None


def _string_method(text: str, name: str, args: list[Any]) -> Any:
    if name == "startswith" and args and isinstance(args[0], str):
        return text.startswith(args[0])
    if name == "endswith" and args and isinstance(args[0], str):
        return text.endswith(args[0])
    if name == "contains" and args and isinstance(args[0], str):
        return args[0] in text
    if name == "to_lower":
        return text.lower()
    if name == "to_upper":
        return text.upper()
    if name == "strip":
        return text.strip()
    if name == "split" and (not args or isinstance(args[0], str)):
        return text.split(args[0]) if args else text.split()
    if name == "replace" and len(args) == 2 and all(isinstance(a, str) for a in args):
        return text.replace(args[0], args[1])
    if name == "format":
        return _formatted(text, args)
    if name == "join" and args and isinstance(args[0], list) and all(isinstance(a, str) for a in args[0]):
        return text.join(args[0])
    return UNKNOWN


def _formatted(text: str, args: list[Any]) -> Any:
    """meson's ``'@0@ and @1@'.format(a, b)``: strings, numbers and booleans (written
    true/false); unknown when an argument is, or a placeholder has none."""
    words: list[str] = []
    for arg in (strip_maybe(a) for a in args):
        if isinstance(arg, bool):
            words.append("true" if arg else "false")
        elif isinstance(arg, (str, int)):
            words.append(str(arg))
        else:
            return UNKNOWN
    missing = False

    def place(match: re.Match[str]) -> str:
        nonlocal missing
        index = int(match.group(1))
        if index >= len(words):
            missing = True
            return match.group(0)
        return words[index]

    result = re.sub(r"@(\d+)@", place, text)
    return UNKNOWN if missing else result


def _configuration_receivers(node: Any) -> list[Any]:
    """The receivers of the ``set``, ``set10`` and ``set_quoted`` calls in this syntax
    (a skipped block): the configuration_data objects it would change."""
    if isinstance(node, tuple):
        if len(node) == 3 and node[0] == "attr" and node[2] in ("set", "set10", "set_quoted"):
            return [node[1]]
        return [r for part in node for r in _configuration_receivers(part)]
    if isinstance(node, list):
        return [r for part in node for r in _configuration_receivers(part)]
    return []


def _names_sources(node: Any) -> bool:
    """Does this syntax (a skipped block) name a source file or define a target?"""
    if isinstance(node, tuple):
        if node and node[0] == "const" and isinstance(node[1], str):
            return node[1].lower().endswith(NATIVE)
        if node and node[0] == "name" and node[1] in TARGET_FUNCTIONS | {"files"}:
            return True
        if len(node) == 3 and node[0] == "attr" and node[2] in TARGET_FUNCTIONS:
            return True
        return any(_names_sources(part) for part in node)
    if isinstance(node, list):
        return any(_names_sources(part) for part in node)
    return False


def _size(value: Any) -> int:
    return len(value) if isinstance(value, (str, list, dict)) else 1


def _short(text: str) -> str:
    first = text.strip().splitlines()[0] if text.strip() else ""
    return first[:40] + ("..." if len(first) > 40 else "")


def _nonempty(value: Any) -> Value:
    if isinstance(value, list):
        if not value:
            return 0
        return 1 if any(not isinstance(v, Maybe) for v in value) else MAYBE
    return MAYBE if value is UNKNOWN else 1


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _flatten(values: list[Any]) -> list[Any]:
    flat: list[Any] = []
    for value in values:
        inner = strip_maybe(value)
        if isinstance(inner, list):
            nested = _flatten(inner)
            flat.extend(Maybe(strip_maybe(v)) if isinstance(value, Maybe) else v for v in nested)
        else:
            flat.append(value)
    return flat


def _known(value: Any) -> bool:
    if value is UNKNOWN or isinstance(value, Maybe):
        return False
    if isinstance(value, list):
        return all(_known(v) for v in value)
    return isinstance(value, (str, int, bool, MFile))


def truth(value: Any) -> Value:
    if value is UNKNOWN or isinstance(value, Method):
        return MAYBE
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (Obj, MFile, Generated)):
        return 1
    if isinstance(value, list):
        return _nonempty(value)
    return MAYBE  # meson conditions are booleans: anything else is not decided here


def _join(old: Any, new: Any) -> Any:
    return join(old, new, _known)


# What meson-python sets for every wheel build (its documented default options), and what
# buildtype=release implies.
MESON_PYTHON_OPTIONS = {
    "buildtype": "release",
    "b_ndebug": "if-release",
    "b_vscrt": "md",
    "debug": False,
    "optimization": "3",
}
MAX_OPTIONS = 500  # option() declarations read from one options file


def _declared_option(statement: Any) -> tuple[str, str, Any] | None:
    """(name, type, default) of an ``option('name', type: ..., value: ...)`` statement;
    None for anything else, and for a default the model cannot read (a feature, an
    expression)."""
    if not (isinstance(statement, tuple) and statement[0] == "expr"):
        return None
    call = statement[2]
    if not (isinstance(call, tuple) and call[0] == "call" and call[1] == ("name", "option")):
        return None
    args, kwargs = call[2], dict(call[3])
    if not args or args[0][0] != "const" or not isinstance(args[0][1], str):
        return None
    kind_node = kwargs.get("type")
    kind = kind_node[1] if isinstance(kind_node, tuple) and kind_node[0] == "const" else ""
    value_node = kwargs.get("value")
    if kind == "feature" or not isinstance(kind, str):
        return None
    if value_node is None:
        defaults: dict[str, Any] = {"boolean": True, "string": "", "array": [], "integer": None}
        if kind == "combo":
            choices = kwargs.get("choices")
            items = choices[1] if isinstance(choices, tuple) and choices[0] == "list" else []
            first = items[0] if items else None
            return (args[0][1], kind, first[1]) if first and first[0] == "const" else None
        if kind not in defaults or defaults[kind] is None:
            return None
        return args[0][1], kind, defaults[kind]
    if value_node[0] == "const":
        return args[0][1], kind, value_node[1]
    if value_node[0] == "list" and all(item[0] == "const" for item in value_node[1]):
        return args[0][1], kind, [item[1] for item in value_node[1]]
    return None


def _pyproject_setup_options(text: str | None) -> list[tuple[str, str]]:
    """``-Dname=value`` in pyproject.toml's ``[tool.meson-python.args] setup``."""
    data = toml_table(text)
    tool = data.get("tool", {})
    section = tool.get("meson-python", {}) if isinstance(tool, dict) else {}
    args = section.get("args", {}) if isinstance(section, dict) else {}
    setup = args.get("setup", []) if isinstance(args, dict) else []
    found = []
    for item in setup if isinstance(setup, list) else []:
        if isinstance(item, str) and item.startswith("-D") and "=" in item:
            name, _, value = item[2:].partition("=")
            found.append((name, value))
    return found


def _option_value(kind: str, text: str) -> Any:
    if kind == "boolean" or text in ("true", "false"):
        return text == "true" if text in ("true", "false") else UNKNOWN
    if kind == "integer":
        return int(text) if text.lstrip("-").isdigit() else UNKNOWN
    if kind == "array":
        return [part.strip() for part in text.split(",") if part.strip()]
    if kind == "feature":
        return UNKNOWN
    return text


_C_NAME = re.compile(r"[A-Za-z_]\w{0,200}")
_C_TYPE = re.compile(r"[A-Za-z_][\w ]{0,100}\**")


def _probe_args(kwargs: Mapping[str, Any]) -> list[str] | None:
    """A compiler check's ``args:`` (a string or a list); None when one is unknown."""
    items = [strip_maybe(a) for a in _flatten(_as_list(strip_maybe(kwargs.get("args", []))))]
    return [str(a) for a in items] if all(isinstance(a, str) for a in items) else None


def _probe_prefix(kwargs: Mapping[str, Any]) -> str | None:
    """A compiler check's ``prefix:`` (a string or a list of them); None when unknown."""
    prefix = strip_maybe(kwargs.get("prefix", ""))
    if isinstance(prefix, list):
        items = [strip_maybe(p) for p in prefix]
        return "\n".join(items) if all(isinstance(p, str) for p in items) else None
    return prefix if isinstance(prefix, str) else None


_HEADER_OUTPUTS = frozenset({".h", ".hh", ".hpp", ".hxx", ".inc"})
_MESONDEFINE = re.compile(r"^([ \t]*)#([ \t]*)mesondefine[ \t]+([A-Za-z_]\w*)[ \t]*$", re.MULTILINE)
_MESON_AT = re.compile(r"@([A-Za-z_]\w*)@")


def _meson_value(value: Any) -> str:
    return str(int(value)) if isinstance(value, bool) else str(value)


def meson_configured_text(template: str | None, values: Mapping[str, Any]) -> tuple[str, list[str]]:
    """What meson's ``configure_file`` writes from ``values`` (a configuration_data's
    entries, UNKNOWN where the model does not know one): with a template,
    ``#mesondefine X`` becomes ``#define X`` (true), ``#undef X`` (false), ``#define X
    value``, or ``/* #undef X */`` when X is not set, and ``@X@`` the value; without one,
    a ``#define`` (or ``#undef``) per entry. Also the names whose value is unknown."""
    unknown: list[str] = []

    def known(name: str) -> bool:
        if values.get(name) is UNKNOWN:
            unknown.append(name)
            return False
        return True

    def define(match: re.Match[str]) -> str:
        indent, gap, name = match.groups()
        if name not in values:
            return f"{indent}/* #{gap}undef {name} */"
        value = values[name] if known(name) else ""
        if value is True:
            return f"{indent}#{gap}define {name}"
        if value is False:
            return f"{indent}#{gap}undef {name}"
        return f"{indent}#{gap}define {name} {_meson_value(value)}"

    if template is None:
        lines = ["/* Autogenerated by the Meson build system. */", ""]
        for name, value in values.items():
            if not known(name):
                continue
            if value is False:
                lines.append(f"#undef {name}")
            else:
                lines.append(f"#define {name}" + ("" if value is True else f" {_meson_value(value)}"))
        return "\n".join(lines) + "\n", unknown

    def at(match: re.Match[str]) -> str:
        name = match.group(1)
        return _meson_value(values[name]) if name in values and known(name) else ""

    text = _MESON_AT.sub(at, _MESONDEFINE.sub(define, template))
    return text, list(dict.fromkeys(unknown))


def meson_plan(
    tree_files: frozenset[str],
    read_text: Callable[[str], str | None],
    judge: ProbeJudge,
    models: tuple[str, ...],
    root_file: str = "meson.build",
) -> BuildPlan | None:
    """The plan of the meson project whose top ``meson.build`` is ``root_file``."""
    per_source: dict[tuple[str, str, str, int], dict[str, Value]] = {}
    probes: dict[ProbeKey, dict[str, Value]] = {}
    probe_files: set[str] = set()
    events: dict[EventKey, dict[str, Value]] = {}
    complete: list[str] = []
    notes: list[str] = []
    any_target = False
    target_settings: dict[tuple[str, str], dict[str, list[str]]] = {}
    include_dirs: list[str] = []
    public_headers: list[str] = []
    macros: dict[str, dict[str, Value]] = {}
    macro_texts: dict[str, dict[str, str]] = {}
    parsed: dict[str, list[Any] | None] = {}
    generated: GeneratedTexts = {}
    runs = RunRecord()
    for model in models:
        facts = build_env().get(model, {})
        interpreter = Interpreter(facts, tree_files, read_text, judge_for(judge, model), parsed)
        interpreter.run(root_file)
        notes.extend(interpreter.notes)
        if interpreter.stopped is not None:
            file, line, message = interpreter.stopped
            notes.append(f"{file}:{line}: the meson build stops with error() on {model}: {message}")
            note_on(events, ("stops", file, line, f"error({message!r})"), model, 1)
        for target_name, values in interpreter.settings.items():
            target_settings[(target_name, model)] = values
        include_dirs.extend(interpreter.include_paths)
        public_headers.extend(interpreter.public_headers)
        probe_files |= interpreter.probe_files
        for path, template, text, unknown in interpreter.generated:
            generated.setdefault((path, template, False), {})[model] = (text, unknown)
        for macro, defined in interpreter.macros.items():
            macros.setdefault(macro, {})[model] = defined
        for macro, text in interpreter.macro_texts.items():
            macro_texts.setdefault(macro, {})[model] = text
        for file, line, what, verdict, path in interpreter.probes:
            probes.setdefault((file, line, what, path), {})[model] = verdict
        for target in interpreter.targets:
            any_target = True
            for source, certainty in target.sources:
                key = (source.path, target.name, target.file, target.line)
                note_on(per_source, key, model, and3(target.present, certainty))
        if not interpreter.unknown_sources and interpreter.stopped is None:
            complete.append(model)
        runs.add(model, interpreter)
        if interpreter.entered_all and not interpreter.aborted:
            runs.never_entered(model, {f for f in tree_files if f.rsplit("/", 1)[-1] == "meson.build"})
    if not any_target and not events:
        # A project woaport could not read is said, not silently "no build model".
        unread = [n for n in dict.fromkeys(notes) if TOO_DEEP in n or "cannot parse" in n]
        return BuildPlan(systems=("meson",), notes=tuple(unread)) if unread else None
    listed = {path for path, _, _, _ in per_source}

    def reference_stop() -> tuple[str, int, str] | None:
        reference = Interpreter(reference_env(), tree_files, read_text, lambda _: MAYBE, parsed)
        reference.run(root_file)
        return reference.stopped

    events = without_shared_stops(events, reference_stop)
    return BuildPlan(
        systems=("meson",),
        sources=source_uses(per_source, models, complete),
        probes=probe_list(probes, models),
        complete_on=tuple(complete),
        notes=tuple(dict.fromkeys(notes)),
        probe_files=frozenset(p for p in probe_files if p not in listed),
        events=event_list(events, models),
        include_dirs=tuple(dict.fromkeys(include_dirs)),
        settings=settings_list(target_settings),
        macros=macro_list(macros, macro_texts, models),
        public_headers=tuple(dict.fromkeys(public_headers)),
        generated_headers=generated_header_list(generated, models),
        command_lines=runs.command_lines(models),
        dependencies=runs.dependency_lookups(models),
        built_here=tuple(sorted(runs.built_here)),
    )
