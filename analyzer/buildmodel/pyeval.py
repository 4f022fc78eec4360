"""setuptools build files read statically: a small abstract interpreter over ``ast``.

``setup.py`` (and the tree modules it imports) is evaluated once per target model, with
the platform facts of ``rules/build-env.json`` in place of the real ``sys``,
``platform``, ``sysconfig`` and ``struct``. Nothing is executed: only a whitelist of
pure operations is interpreted, file-system queries (``os.path.exists``, ``glob``,
``os.listdir``) are answered from the walked tree's file list, and everything else is
UNKNOWN. A branch whose condition is UNKNOWN runs with its effects marked "maybe"
(list items are wrapped in :class:`Maybe`); a branch whose condition is known false does
not run. A call of a tree function that compiles a test program with C source text is a
compile probe, judged by the native rules (it fails on a model where that text uses an
x86-only header or intrinsic or reaches ``#error``).
"""

from __future__ import annotations

import ast
import contextlib
import fnmatch
import operator
import posixpath
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from analyzer.buildmodel.deps import tool_lookups
from analyzer.buildmodel.plan import NATIVE_SUFFIXES, Fact
from analyzer.buildmodel.runtime import InterpreterRuntime
from analyzer.buildmodel.values import UNKNOWN, Maybe, join, strip_maybe
from analyzer.limits import BUILD_LIMITS
from analyzer.safeload import MAX_PATTERN
from analyzer.tri import MAYBE, Value

MAX_CALL_DEPTH = 12
MAX_STEPS = 200_000  # statements and expressions per model: a bound on hostile input
MAX_RANGE = BUILD_LIMITS.max_range
MAX_TEXT = BUILD_LIMITS.max_value  # longest string an operation may build


@dataclass(eq=False)
class Ext:
    """A setuptools ``Extension`` (or a ``build_clib`` library) under evaluation."""

    name: Any
    attrs: dict[str, Any]
    file: str
    line: int
    kind: str = "extension"


@dataclass(eq=False)
class Func:
    node: ast.FunctionDef | ast.Lambda
    module: Namespace
    probe: bool  # compiles a test program (a compile probe)


@dataclass(eq=False)
class CffiBuilder:
    """A ``cffi.FFI()`` in a build script setup.py names in ``cffi_modules``: its
    ``set_source(module, c_source, **extension_keywords)`` is the extension it builds
    (C generated from ``c_source``, plus the tree sources the keywords list)."""

    module: Any = None
    keywords: dict[str, Any] = field(default_factory=dict)
    file: str = ""
    line: int = 0


@dataclass(frozen=True, eq=False)
class ExtClass:
    """A project class derived from an Extension class (pyyaml's ``class Extension(_Extension)``
    with extra feature arguments): a call runs its ``__init__``, and the extension is what
    that passes to the base class's ``__init__``."""

    node: ast.ClassDef
    module: Namespace
    base: str  # the Extension class's dotted name


@dataclass(eq=False)
class _ExtSelf:
    """``self`` while an :class:`ExtClass`'s ``__init__`` runs: where the base class's
    ``__init__`` leaves the extension it makes."""

    ext: Any = None


@dataclass(eq=False)
class Namespace:
    path: str  # tree-relative file
    names: dict[str, Any] = field(default_factory=dict)


# The wheel folder pip's build passes after --dist-dir: a temporary directory, named here
# only so that tests of sys.argv have a known answer.
PIP_DIST_DIR = "<pip's temporary wheel folder>"
MAX_SEARCH_DIRS = 16  # sys.path entries a setup.py adds that imports are looked up in


@dataclass(frozen=True)
class Std:
    """A standard-library module or callable, by dotted name."""

    name: str


@dataclass(eq=False)
class Bound:
    obj: Any
    name: str


def derives_from_build_ext(node: ast.ClassDef) -> bool:
    """A command class setuptools runs as ``build_ext`` (``class BuildExt(build_ext)``)."""
    return any("build_ext" in ast.unparse(base) for base in node.bases)


@dataclass(frozen=True)
class TreePath:
    """A ``pathlib.Path`` of a tree file or folder, as a tree-relative POSIX path ("" is
    the tree's root: ``Path(__file__).parent`` of a top-level setup.py)."""

    rel: str

    def __str__(self) -> str:
        return self.rel or "."

    def joined(self, part: str) -> TreePath | None:
        if posixpath.isabs(part):
            return None
        joined = posixpath.normpath(posixpath.join(self.rel, part)) if self.rel else posixpath.normpath(part)
        return None if joined.startswith("..") else TreePath("" if joined == "." else joined)


@dataclass(eq=False)
class MethodOf:
    """A method of a build command class, bound to the command under evaluation."""

    func: Func
    instance: Any


# The Ext attribute holding a command object's methods (name -> Func).
_METHODS = "\x00methods"


class Regex:
    """A compiled ``re`` pattern, applied only to short known strings (the platform
    facts): a hostile pattern cannot backtrack for long over a few characters."""

    MAX_PATTERN = MAX_PATTERN  # as for every pattern from a package (safeload.regex_search)
    MAX_SUBJECT = 16

    def __init__(self, compiled: re.Pattern[str]) -> None:
        self.compiled = compiled

    @classmethod
    def make(cls, pattern: Any, flags: Any = 0) -> Regex | None:
        if isinstance(pattern, Regex):
            return pattern
        if not isinstance(pattern, str) or len(pattern) > cls.MAX_PATTERN or not isinstance(flags, int):
            return None
        try:
            return cls(re.compile(pattern, flags))
        except (re.error, OverflowError, ValueError):
            return None

    def apply(self, method: str, subject: Any) -> Any:
        if method not in ("search", "match", "fullmatch"):
            return UNKNOWN
        if not isinstance(subject, str) or len(subject) > self.MAX_SUBJECT:
            return UNKNOWN
        found = getattr(self.compiled, method)(subject)
        return True if found is not None else None  # only its truth is modelled


class VersionText:
    """``sys.version``: which substrings it has is known, the rest is not."""

    def __init__(self, has: Mapping[str, bool]) -> None:
        self.has = has


class _Return(Exception):
    def __init__(self, value: Any) -> None:
        self.value = value


class _Raise(Exception):
    """The evaluated code raises for certain: ``name`` is the exception class ("" when
    it cannot be told), so a ``try`` whose handler catches it runs that handler."""

    def __init__(self, name: str = "") -> None:
        super().__init__(name)
        self.name = name


# What a handler naming the key catches besides the key itself (the standard hierarchy
# for the exceptions a setup.py catches; any class is caught by Exception).
_CAUGHT_BY = {
    "ModuleNotFoundError": ("ImportError",),
    "FileNotFoundError": ("OSError", "IOError", "EnvironmentError"),
    "PermissionError": ("OSError", "IOError", "EnvironmentError"),
    "KeyError": ("LookupError",),
    "IndexError": ("LookupError",),
    "UnicodeDecodeError": ("UnicodeError", "ValueError"),
}


def _handler_for(handlers: list[ast.ExceptHandler], raised: str) -> ast.ExceptHandler | None:
    """The first handler that catches an exception of class ``raised`` ("" : unknown,
    caught only by a bare ``except`` or ``BaseException``)."""
    for handler in handlers:
        if handler.type is None:
            return handler
        names = [
            node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""
            for node in (handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type])
        ]
        if "BaseException" in names:
            return handler
        if not raised:
            continue
        if raised in names or any(base in names for base in _CAUGHT_BY.get(raised, ())):
            return handler
        if raised not in ("SystemExit", "KeyboardInterrupt", "GeneratorExit") and "Exception" in names:
            return handler
    return None


def _exception_name(node: ast.expr | None) -> str:
    """The class a ``raise`` statement raises (``raise X(...)``, ``raise mod.X``), if plain."""
    target = node.func if isinstance(node, ast.Call) else node
    if isinstance(target, ast.Name):
        return target.id
    if isinstance(target, ast.Attribute):
        return target.attr
    return ""


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


class Budget(Exception):
    pass


EXTENSION_CLASSES = frozenset({"Extension", "Pybind11Extension", "CppExtension", "CUDAExtension", "Library"})
# The packages whose Extension classes those are (Cython.Distutils: sqlalchemy's).
EXTENSION_MODULES = ("setuptools", "distutils", "pybind11", "torch", "Cython.Distutils")


def _is_extension_class(name: str) -> bool:
    short = name.rsplit(".", 1)[-1]
    return short in EXTENSION_CLASSES and (name == short or name.startswith(EXTENSION_MODULES))


PROBE_METHODS = frozenset(
    {"compile", "link_executable", "try_compile", "try_link", "try_run", "has_function", "check_compile"}
)
EXT_LIST_ATTRS = (
    "sources",
    "include_dirs",
    "define_macros",
    "undef_macros",
    "extra_compile_args",
    "extra_link_args",
    "libraries",
    "library_dirs",
    "extra_objects",
)
_PURE_STR_METHODS = frozenset(
    {
        "startswith",
        "endswith",
        "lower",
        "upper",
        "strip",
        "lstrip",
        "rstrip",
        "split",
        "rsplit",
        "replace",
        "join",
        "format",
        "find",
        "count",
        "splitlines",
        "partition",
        "rpartition",
        "casefold",
        "removeprefix",
        "removesuffix",
        "isdigit",
        "title",
    }
)
_BINOPS: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
    ast.LShift: operator.lshift,
    ast.RShift: operator.rshift,
    ast.BitOr: operator.or_,
    ast.BitAnd: operator.and_,
    ast.BitXor: operator.xor,
}
_COMPARES: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
}


def looks_like_c(text: str) -> bool:
    return "#include" in text or ("main" in text and "{" in text) or "#if" in text


@dataclass(frozen=True)
class VersionInfo:
    """``sys.version_info`` (or a prefix of it) of the Pythons a win_arm64 wheel is built
    for: CPython 3.9 (the first with ARM64 Windows installers cibuildwheel builds for) up
    to any later 3.x. A comparison with a tuple is answered where the whole range agrees
    (``>= (3, 0)``: true; ``< (3, 0)``: false; ``>= (3, 12)``: unknown)."""

    lowest: tuple[int, ...] = (3, 9)
    highest: tuple[int, ...] = (3, 99)

    def compare(self, op: ast.cmpop, other: tuple[Any, ...]) -> Any:
        if not other or not all(isinstance(x, int) for x in other):
            return UNKNOWN
        test = _COMPARES[type(op)]
        low, high = self.lowest[: len(other)], self.highest[: len(other)]
        if len(self.lowest) < len(other):  # (3,) compared with (3, 9): not decided here
            return UNKNOWN
        answers = {test(low, other), test(high, other)}
        if isinstance(op, (ast.Eq, ast.NotEq)) and low != high and low <= other <= high:
            return UNKNOWN  # a version inside the range equals it on one build only
        return answers.pop() if len(answers) == 1 else UNKNOWN


def _known(value: Any) -> bool:
    """True for a fully known plain value (no UNKNOWN or Maybe inside)."""
    if value is UNKNOWN or isinstance(value, (Maybe, VersionText)):
        return False
    if isinstance(value, (list, tuple, set, frozenset)):
        return all(_known(v) for v in value)
    if isinstance(value, dict):
        return all(_known(k) and _known(v) for k, v in value.items())
    return True


def truth(value: Any) -> Value:
    """Three-valued truth of an abstract value."""
    if value is UNKNOWN or isinstance(value, VersionText):
        return MAYBE
    if isinstance(value, (Ext, Func, Namespace, Bound)):
        return 1
    if isinstance(value, Std):
        # A standard-library name the model does not evaluate, or a name imported from a
        # module outside the tree: a module is truthy, but a flag may be False.
        return MAYBE
    if isinstance(value, list):
        if not value:
            return 0
        return 1 if any(not isinstance(v, Maybe) for v in value) else MAYBE
    try:
        return int(bool(value))
    except Exception:
        return MAYBE


class Interpreter(InterpreterRuntime[ast.Module]):
    """One evaluation of a setuptools build under one model's facts."""

    max_steps = MAX_STEPS
    stop_error = Budget
    file_kind = "Python"

    def __init__(
        self,
        facts: Mapping[str, Fact],
        tree_files: frozenset[str],
        read_python: Callable[[str], str | None],
        judge_probe: Callable[[str], Value],
        parsed: dict[str, ast.Module | None] | None = None,
        extra_argv: tuple[str, ...] = (),
    ) -> None:
        super().__init__(facts, tree_files, read_python, judge_probe, parsed)
        # Options after pip's (``--plat-name win-arm64``: a build that names its platform).
        self.extra_argv = extra_argv
        self.syntax_errors: set[str] = set()
        self.tree_dirs = frozenset(d for f in tree_files for d in _parents(f))
        # An unpacked sdist (PKG-INFO at its root) is the whole tree: a file missing from a
        # directory the walk listed is absent, not merely skipped.
        self.whole_tree = "PKG-INFO" in tree_files
        self.depth = 0
        self.modules: dict[str, Namespace] = {}
        # Tree folders setup.py puts on sys.path (psutil: sys.path.insert(0, "psutil") to
        # import _common): searched for imports after the importing file's own folder.
        self.search_dirs: list[str] = []
        self.extensions: list[Ext] = []
        self.setup_calls: list[dict[str, Any]] = []
        self.probes: list[tuple[str, int, str, Value]] = []
        self.current_file = ""
        self.current_line = 0
        self.import_depth = 0
        self.entry = ""  # the setup.py being evaluated: paths are relative to its directory
        # Argument values as this model computes them: (file, line, text, certain) for
        # each call with known string arguments, and each extension's flags and paths.
        self.values: list[tuple[str, int, str, bool]] = []
        self.classes: list[tuple[ast.ClassDef, Namespace]] = []
        self.argv: list[Any] | None = None  # sys.argv, made when first read
        # (file, first line, last line) of each if-branch evaluated: taken on some visit?
        self.branches: dict[tuple[str, int, int], bool] = {}
        # Include folders a build_ext override adds (``self.include_dirs.append(".")`` in
        # finalize_options): setuptools passes them to every extension's compile.
        self.command_include_dirs: list[str] = []
        # Where the build stops for certain on this model (raise, sys.exit), if it does.
        self.stopped: tuple[str, int, str] | None = None

    # -- entry -------------------------------------------------------------------
    def parse(self, path: str) -> ast.Module | None:
        """The file's syntax tree, parsed once for every model (``parsed`` is shared)."""
        if path not in self.parsed:
            source = self.read_text(path)
            try:
                self.parsed[path] = ast.parse(source, filename=path) if source is not None else None
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                self.parsed[path] = None
                self.syntax_errors.add(path)
        if path in self.syntax_errors:
            self.note(f"{path}: not valid Python; not evaluated")
        return self.parsed[path]

    def run_file(self, path: str, module_name: str = "__main__") -> Namespace:
        if module_name == "__main__":
            self.entry = path
        namespace = Namespace(path, {"__name__": module_name, "__file__": path})
        self.modules[path] = namespace
        module = self.parse(path)
        if module is None:
            return namespace
        try:
            self.exec_block(module.body, namespace)
        except (_Return, _Break, _Continue):
            pass
        except _Raise:
            if not self.uncertain:
                self.notes.append(f"{path}: raises on this model before the build is set up")
        except Budget:
            self.notes.append(f"{path}: evaluation budget exhausted")
        except RecursionError:
            self.notes.append(f"{path}: nesting too deep to evaluate")
        return namespace

    def record_arguments(self, path: str, line: int, values: list[Any]) -> None:
        """Known string arguments of a call, joined as a command line would be."""
        words = [w for value in values for w in _words(value)]
        if words:
            self.values.append((path, line, " ".join(words), not self.uncertain))
        for library, tool in tool_lookups(words):
            self.looked_for(library, f"{tool} in {posixpath.basename(path)}", path, line)

    def run_command_classes(self) -> None:
        """The methods of build command classes (``class BuildExt(build_ext)``) run when
        setuptools calls them, with arguments known only then: each is evaluated once,
        speculatively, for the arguments it passes (``cmake -A x64``); its other effects
        on the build model are discarded."""
        for node, ns in self.classes:
            bases = " ".join(ast.unparse(b) for b in node.bases)
            if not any(word in bases for word in ("build_ext", "build_clib", "Command", "build_py", "build")):
                continue
            for item in node.body:
                if not isinstance(item, ast.FunctionDef):
                    continue
                positional = [*item.args.posonlyargs, *item.args.args]
                saved_extensions = list(self.extensions)
                saved_setup = list(self.setup_calls)
                saved_probes = list(self.probes)
                saved_stop = self.stopped
                # ``self``: the command, whose include_dirs setuptools gives every compile.
                command = Ext(UNKNOWN, {"include_dirs": []}, ns.path, item.lineno, "command")
                arguments = [command, *[UNKNOWN] * (len(positional) - 1)] if positional else []
                try:
                    self.call_function(Func(item, ns, False), arguments, {}, ns.path, item.lineno)
                except (_Return, _Raise, _Break, _Continue, Budget, RecursionError):
                    pass
                finally:
                    if "build_ext" in bases:
                        added = command.attrs.get("include_dirs")
                        for directory in added if isinstance(added, list) else []:
                            value = strip_maybe(directory)
                            if isinstance(value, str):
                                self.command_include_dirs.append(value)
                    self.stopped = saved_stop
                    self.extensions[:] = saved_extensions
                    self.setup_calls[:] = saved_setup
                    self.probes[:] = saved_probes

    def run_build_ext(self, extensions: list[Any]) -> None:
        """The build_ext command classes as setuptools runs them on ``extensions`` (the
        Extension objects setup() was given): ``initialize_options``, ``finalize_options``, then
        ``build_extensions`` (or ``build_extension(ext)`` per extension), with ``self``
        holding the extensions, the model's compiler type and the command's own include
        folders, libraries and macros, which setuptools gives every extension. What these
        methods change on the extensions (pillow's define_macros, httptools' vendored
        sources and include folders) is the build's, so it is kept."""
        objects = [e for e in (strip_maybe(x) for x in extensions) if isinstance(e, Ext)]
        if not objects:
            return
        for node, ns in self.classes:
            if not derives_from_build_ext(node):
                continue
            methods = {
                item.name: Func(item, ns, False) for item in node.body if isinstance(item, ast.FunctionDef)
            }
            compiler = Ext(
                UNKNOWN, {"compiler_type": self.facts.get("compiler_type") or UNKNOWN}, ns.path, 0, "compiler"
            )
            command = Ext(
                UNKNOWN,
                {
                    "include_dirs": [],
                    "libraries": [],
                    "define_macros": [],
                    "library_dirs": [],
                    "extensions": list(extensions),
                    "distribution": Ext(
                        UNKNOWN, {"ext_modules": list(extensions)}, ns.path, 0, "distribution"
                    ),
                    "compiler": compiler,
                    _METHODS: methods,
                },
                ns.path,
                node.lineno,
                "command",
            )
            calls: list[tuple[str, list[Any]]] = [("initialize_options", []), ("finalize_options", [])]
            if "build_extensions" in methods:
                calls.append(("build_extensions", []))
            elif "build_extension" in methods:
                calls.extend(("build_extension", [ext]) for ext in objects)
            saved_setup, saved_probes, saved_stop = list(self.setup_calls), list(self.probes), self.stopped
            for name, arguments in calls:
                if name not in methods:
                    continue
                method = methods[name]
                with contextlib.suppress(_Return, _Raise, _Break, _Continue, Budget, RecursionError):
                    self.call_function(method, [command, *arguments], {}, ns.path, method.node.lineno)
            self.stopped = saved_stop
            self.setup_calls[:] = saved_setup
            self.probes[:] = saved_probes
            added_dirs = command.attrs.get("include_dirs")
            for directory in added_dirs if isinstance(added_dirs, list) else []:
                value = strip_maybe(directory)
                if isinstance(value, str) and value not in self.command_include_dirs:
                    self.command_include_dirs.append(value)
            for attr in ("libraries", "define_macros"):
                added = command.attrs.get(attr)
                if isinstance(added, list) and added:
                    for ext in objects:
                        own = ext.attrs.get(attr)
                        ext.attrs[attr] = [*own, *added] if isinstance(own, list) else UNKNOWN

    def run_functions(self, namespace: Namespace) -> None:
        """A build hook module (poetry's build.py, hatch_build.py): its functions run
        when the backend calls them; each is evaluated once, speculatively, for the
        argument values it passes to tools."""
        for value in list(namespace.names.values()):
            if (
                isinstance(value, Func)
                and value.module is namespace
                and isinstance(value.node, ast.FunctionDef)
            ):
                positional = [*value.node.args.posonlyargs, *value.node.args.args]
                saved_stop = self.stopped
                try:
                    self.call_function(
                        value, [UNKNOWN] * len(positional), {}, namespace.path, value.node.lineno
                    )
                except (_Return, _Raise, _Break, _Continue, Budget, RecursionError):
                    pass
                finally:
                    self.stopped = saved_stop

    def sdist_version(self) -> Any:
        """setuptools-scm's version in an unpacked sdist: with no git or hg metadata it
        falls back to PKG-INFO's ``Version`` (its ``parse_pkginfo``). Elsewhere (a
        checkout: the version comes from the repository) unknown."""
        if not self.whole_tree or any(
            f.startswith((".git/", ".hg/")) or f == ".git" for f in self.tree_files
        ):
            return UNKNOWN
        text = self.read_text("PKG-INFO")
        if text is None:
            return UNKNOWN
        for line in text.splitlines()[:50]:
            if line.startswith("Version:"):
                version = line.partition(":")[2].strip()
                return version if version and version != "UNKNOWN" and len(version) < 100 else UNKNOWN
            if not line.strip():
                break  # the headers end at the first empty line
        return UNKNOWN

    # -- statements --------------------------------------------------------------
    def exec_block(self, body: list[ast.stmt], ns: Namespace) -> None:
        for stmt in body:
            self.exec_stmt(stmt, ns)

    def exec_stmt(self, stmt: ast.stmt, ns: Namespace) -> None:
        self.tick()
        self.current_file, self.current_line = ns.path, getattr(stmt, "lineno", 0)
        if isinstance(stmt, ast.Expr):
            self.eval(stmt.value, ns)
        elif isinstance(stmt, ast.Assign):
            value = self.eval(stmt.value, ns)
            for target in stmt.targets:
                self.assign(target, value, ns)
        elif isinstance(stmt, ast.AnnAssign):
            if stmt.value is not None:
                self.assign(stmt.target, self.eval(stmt.value, ns), ns)
        elif isinstance(stmt, ast.AugAssign):
            self.aug_assign(stmt, ns)
        elif isinstance(stmt, ast.If):
            self.branch(self.eval(stmt.test, ns), stmt.body, stmt.orelse, ns)
        elif isinstance(stmt, ast.For):
            self.for_loop(stmt, ns)
        elif isinstance(stmt, ast.While):
            self.note(f"{ns.path}:{stmt.lineno}: while loop not evaluated")
            self.forget_assigned(stmt, ns)
            self.may_have_returned(stmt)
        elif isinstance(stmt, ast.FunctionDef):
            self.bind(stmt.name, Func(stmt, ns, _compiles_a_probe(stmt)), ns)
        elif isinstance(stmt, ast.ClassDef):
            base = self.extension_base(stmt, ns)
            self.bind(stmt.name, ExtClass(stmt, ns, base) if base is not None else UNKNOWN, ns)
            self.classes.append((stmt, ns))
        elif isinstance(stmt, ast.AsyncFunctionDef):
            self.bind(stmt.name, UNKNOWN, ns)
        elif isinstance(stmt, ast.Import):
            for alias in stmt.names:
                self.import_module(alias.name, alias.asname, ns)
        elif isinstance(stmt, ast.ImportFrom):
            self.import_from(stmt, ns)
        elif isinstance(stmt, ast.Try):
            self.try_statement(stmt, ns)
        elif isinstance(stmt, ast.With):
            for item in stmt.items:
                value = self.eval(item.context_expr, ns)
                if item.optional_vars is not None:
                    self.assign(item.optional_vars, UNKNOWN if value is not None else value, ns)
            self.exec_block(stmt.body, ns)
        elif isinstance(stmt, ast.Return):
            raise _Return(self.eval(stmt.value, ns) if stmt.value is not None else None)
        elif isinstance(stmt, ast.Raise):
            if not self.uncertain and self.stopped is None:
                self.stopped = (ns.path, stmt.lineno, ast.unparse(stmt.exc)[:200] if stmt.exc else "raise")
            raise _Raise(_exception_name(stmt.exc))
        elif isinstance(stmt, ast.Delete):
            for target in stmt.targets:
                self.delete(target, ns)
        elif isinstance(stmt, ast.Break):
            raise _Break()
        elif isinstance(stmt, ast.Continue):
            raise _Continue()
        # pass, global, nonlocal, assert, match...: no effect on the build model

    def forget_assigned(self, stmt: ast.stmt, ns: Namespace) -> None:
        """A loop that is not evaluated may have rebound any name it assigns: unknown."""
        for node in ast.walk(stmt):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) and node.id in ns.names:
                ns.names[node.id] = UNKNOWN

    def try_statement(self, stmt: ast.Try, ns: Namespace) -> None:
        """The body; where it raises for certain and a handler catches that class, the
        handler instead of the rest (``sys.argv.remove(x)`` raising ValueError in
        lxml's has_option()); then the ``else`` (when nothing was raised) and ``finally``."""
        stopped = self.stopped
        try:
            self.exec_block(stmt.body, ns)
        except _Raise as raised:
            handler = _handler_for(stmt.handlers, raised.name)
            if handler is None:
                self.exec_block(stmt.finalbody, ns)
                raise
            self.stopped = stopped  # caught: the build does not stop there
            if handler.name:
                self.bind(handler.name, UNKNOWN, ns)
            self.exec_block(handler.body, ns)
        else:
            self.exec_block(stmt.orelse, ns)
        self.exec_block(stmt.finalbody, ns)

    def branch(self, condition: Any, body: list[ast.stmt], orelse: list[ast.stmt], ns: Namespace) -> None:
        state = truth(condition)
        self.took(body, ns, state != 0)
        self.took(orelse, ns, state != 1)
        if state == 1:
            self.exec_block(body, ns)
        elif state == 0:
            self.exec_block(orelse, ns)
        else:
            self.uncertain += 1
            try:
                for block in (body, orelse):
                    with contextlib.suppress(_Raise):  # that path stops; the other may not
                        self.exec_block(block, ns)
            finally:
                self.uncertain -= 1

    def took(self, block: list[ast.stmt], ns: Namespace, taken: bool) -> None:
        """Note whether an ``if`` branch (its lines) was taken, or may have been, on some
        visit: one never taken is dead code on this model (a distutils import in the
        ``else`` of a Python-version test)."""
        if block:
            key = (ns.path, block[0].lineno, block[-1].end_lineno or block[-1].lineno)
            self.branches[key] = self.branches.get(key, False) or taken

    def for_loop(self, stmt: ast.For, ns: Namespace) -> None:
        iterable = self.eval(stmt.iter, ns)
        items = self.iterate(iterable)
        if items is None:
            self.note(f"{ns.path}:{stmt.lineno}: loop over an unknown value not evaluated")
            self.forget_assigned(stmt, ns)
            self.may_have_returned(stmt)
            return
        for item in items:
            maybe = isinstance(item, Maybe)
            self.uncertain += maybe
            try:
                self.assign(stmt.target, strip_maybe(item), ns)
                self.exec_block(stmt.body, ns)
            except _Break:
                break
            except _Continue:
                continue
            finally:
                self.uncertain -= maybe
        else:
            self.exec_block(stmt.orelse, ns)

    def may_have_returned(self, loop: ast.For | ast.While) -> None:
        """A loop that was not evaluated may have returned from its function: what follows
        it there is reached only maybe (psutil's get_version() returns inside a loop over
        a file's lines, then raises "couldn't find version string"). The function's call
        restores the certainty it was called with."""
        if any(isinstance(node, ast.Return) for node in _walk_own(loop)):
            self.uncertain += 1

    def iterate(self, value: Any) -> list[Any] | None:
        if isinstance(value, (list, tuple, set, frozenset)):
            return list(value)
        if isinstance(value, dict):
            return list(value)
        if isinstance(value, str):
            return list(value)
        return None

    def bind(self, name: str, value: Any, ns: Namespace) -> None:
        if self.uncertain and name in ns.names:
            ns.names[name] = _join(ns.names[name], value)
        else:
            ns.names[name] = value

    def assign(self, target: ast.expr, value: Any, ns: Namespace) -> None:
        if isinstance(target, ast.Name):
            self.bind(target.id, value, ns)
        elif isinstance(target, (ast.Tuple, ast.List)):
            items = self.iterate(value)
            if items is None or len(items) != len(target.elts):
                items = [UNKNOWN] * len(target.elts)
            for sub, item in zip(target.elts, items, strict=True):
                self.assign(sub, strip_maybe(item), ns)
        elif isinstance(target, ast.Attribute):
            obj = self.eval(target.value, ns)
            if isinstance(obj, Ext):
                obj.attrs[target.attr] = (
                    value if not self.uncertain else _join(obj.attrs.get(target.attr), value)
                )
        elif isinstance(target, ast.Subscript):
            obj = self.eval(target.value, ns)
            key = self.eval(target.slice, ns)
            if isinstance(obj, dict) and _known(key):
                obj[key] = value if not self.uncertain else _join(obj.get(key), value)
            elif isinstance(obj, list) and isinstance(key, int) and -len(obj) <= key < len(obj):
                obj[key] = value if not self.uncertain else Maybe(value)

    def aug_assign(self, stmt: ast.AugAssign, ns: Namespace) -> None:
        target = stmt.target
        current = self.eval(target, ns)
        value = self.eval(stmt.value, ns)
        if isinstance(stmt.op, ast.Add) and isinstance(current, list) and isinstance(value, (list, tuple)):
            self.extend(current, value)  # += on a list mutates it in place
            return
        self.assign(target, self.binop(stmt.op, current, value), ns)

    def delete(self, target: ast.expr, ns: Namespace) -> None:
        if isinstance(target, ast.Subscript):
            obj = self.eval(target.value, ns)
            key = self.eval(target.slice, ns)
            if isinstance(obj, list) and isinstance(key, int) and -len(obj) <= key < len(obj):
                if self.uncertain:
                    obj[key] = Maybe(strip_maybe(obj[key]))
                else:
                    del obj[key]
            elif isinstance(obj, dict) and _known(key) and key in obj and not self.uncertain:
                del obj[key]
        elif isinstance(target, ast.Name) and not self.uncertain:
            ns.names.pop(target.id, None)

    def extend(self, target: list[Any], items: Any) -> None:
        values = self.iterate(items)
        if values is None or len(target) + len(values) > MAX_BUILT:
            target.append(Maybe(UNKNOWN))
            return
        target.extend(Maybe(strip_maybe(v)) if self.uncertain else v for v in values)

    # -- imports -----------------------------------------------------------------
    def _tree_module(self, dotted: str, ns: Namespace) -> str | None:
        rel = dotted.replace(".", "/")
        for base in (posixpath.dirname(ns.path), *self.search_dirs):
            for candidate in (f"{rel}.py", f"{rel}/__init__.py"):
                path = posixpath.normpath(posixpath.join(base, candidate))
                if path in self.tree_files:
                    return path
        return None

    def load_module(self, path: str) -> Namespace:
        loaded = self.modules.get(path)
        if loaded is not None:
            return loaded
        namespace = Namespace(
            path, {"__name__": posixpath.splitext(posixpath.basename(path))[0], "__file__": path}
        )
        self.modules[path] = namespace
        if self.import_depth >= BUILD_LIMITS.max_import_depth:
            # Its names stay unknown; the importing file and setup() are still evaluated.
            self.note(f"{path}: imports nested deeper than {BUILD_LIMITS.max_import_depth}: not evaluated")
            return namespace
        module = self.parse(path)
        if module is None:
            return namespace
        saved = self.uncertain
        self.uncertain = 0  # a module body runs once, whatever path imported it
        self.import_depth += 1
        try:
            self.exec_block(module.body, namespace)
        except (_Return, _Raise, _Break, _Continue):
            pass
        finally:
            self.uncertain = saved
            self.import_depth -= 1
        return namespace

    def import_module(self, name: str, asname: str | None, ns: Namespace) -> None:
        path = self._tree_module(name, ns)
        if path is not None:
            value: Any = self.load_module(path)
        else:
            value = Std(name if asname else name.split(".")[0])
        self.bind(asname or name.split(".")[0], value, ns)

    def import_from(self, stmt: ast.ImportFrom, ns: Namespace) -> None:
        module = stmt.module or ""
        path = self._tree_module(module, ns) if stmt.level == 0 and module else None
        source = self.load_module(path) if path is not None else None
        for alias in stmt.names:
            if alias.name == "*":
                if source is not None:
                    for key, value in source.names.items():
                        if not key.startswith("_"):
                            self.bind(key, value, ns)
                continue
            if source is not None:
                value = source.names.get(alias.name, UNKNOWN)
            elif module:
                # ``from os import pathsep``, ``from sys import platform``: the value the
                # model knows for that attribute (else the standard-library name itself).
                value = self.std_attribute(module, alias.name)
            else:
                value = Std(alias.name)
            self.bind(alias.asname or alias.name, value, ns)

    # -- expressions -------------------------------------------------------------
    def eval(self, node: ast.expr | None, ns: Namespace) -> Any:
        if node is None:
            return None
        self.tick()
        try:
            return self._eval(node, ns)
        except (_Return, _Raise, _Break, _Continue, Budget, RecursionError):
            raise
        except Exception:
            return UNKNOWN  # an operation this model cannot decide (types, overflow...)

    def _eval(self, node: ast.expr, ns: Namespace) -> Any:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            return self.lookup(node.id, ns)
        if isinstance(node, ast.Attribute):
            return self.attribute(self.eval(node.value, ns), node.attr)
        if isinstance(node, ast.Call):
            return self.call(node, ns)
        if isinstance(node, ast.BinOp):
            return self.binop(node.op, self.eval(node.left, ns), self.eval(node.right, ns))
        if isinstance(node, ast.UnaryOp):
            operand = self.eval(node.operand, ns)
            if isinstance(node.op, ast.Not):
                state = truth(operand)
                return UNKNOWN if state is None else not state
            if not _known(operand):
                return UNKNOWN
            if isinstance(node.op, ast.USub):
                return -operand
            if isinstance(node.op, ast.UAdd):
                return +operand
            return ~operand
        if isinstance(node, ast.BoolOp):
            return self.boolop(node, ns)
        if isinstance(node, ast.Compare):
            return self.compare(node, ns)
        if isinstance(node, ast.IfExp):
            state = truth(self.eval(node.test, ns))
            if state == 1:
                return self.eval(node.body, ns)
            if state == 0:
                return self.eval(node.orelse, ns)
            return _join(self.eval(node.body, ns), self.eval(node.orelse, ns))
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            items: list[Any] = []
            for elt in node.elts:
                if isinstance(elt, ast.Starred):
                    expanded = self.iterate(self.eval(elt.value, ns))
                    items.extend(expanded if expanded is not None else [Maybe(UNKNOWN)])
                else:
                    items.append(self.eval(elt, ns))
            if isinstance(node, ast.Tuple):
                return tuple(items)
            return items  # sets are kept as lists: order does not matter here
        if isinstance(node, ast.Dict):
            result: dict[Any, Any] = {}
            for key, value in zip(node.keys, node.values, strict=True):
                if key is None:
                    merged = self.eval(value, ns)
                    if isinstance(merged, dict):
                        result.update(merged)
                    continue
                k = self.eval(key, ns)
                if not _known(k):
                    return UNKNOWN
                result[k] = self.eval(value, ns)
            return result
        if isinstance(node, ast.Subscript):
            return self.subscript(self.eval(node.value, ns), node.slice, ns)
        if isinstance(node, (ast.ListComp, ast.GeneratorExp, ast.SetComp)):
            return self.comprehension(node.generators, node.elt, ns)
        if isinstance(node, ast.JoinedStr):
            parts = []
            for value in node.values:
                part = self.eval(value, ns)
                if not isinstance(part, str):
                    return UNKNOWN
                parts.append(part)
            return "".join(parts)
        if isinstance(node, ast.FormattedValue):
            inner = self.eval(node.value, ns)
            return str(inner) if isinstance(inner, (str, int)) and node.format_spec is None else UNKNOWN
        if isinstance(node, ast.Lambda):
            return Func(node, ns, False)
        return UNKNOWN

    def lookup(self, name: str, ns: Namespace) -> Any:
        if name in ns.names:
            return ns.names[name]
        if name in _BUILTINS:
            return Std(f"builtins.{name}")
        return UNKNOWN

    def boolop(self, node: ast.BoolOp, ns: Namespace) -> Any:
        # Python's and/or return an operand; with UNKNOWN operands only the truth is kept.
        result: Any = None
        undecided = False
        for index, value_node in enumerate(node.values):
            value = self.eval(value_node, ns)
            state = truth(value)
            last = index == len(node.values) - 1
            if isinstance(node.op, ast.And):
                if state == 0:
                    return value if not undecided else False
                if state is None:
                    undecided = True
            else:
                if state == 1:
                    return value if not undecided else True
                if state is None:
                    undecided = True
            result = value
            if last:
                return UNKNOWN if undecided else result
        return result

    def compare(self, node: ast.Compare, ns: Namespace) -> Any:
        left = self.eval(node.left, ns)
        result: Any = True
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            right = self.eval(right_node, ns)
            outcome = self.compare_one(op, left, right)
            state = truth(outcome)
            if state == 0:
                return False
            if state is None:
                result = UNKNOWN
            left = right
        return result

    def compare_one(self, op: ast.cmpop, left: Any, right: Any) -> Any:
        if isinstance(op, (ast.In, ast.NotIn)):
            found = self.contains(right, left)
            if found is None:
                return UNKNOWN
            return found if isinstance(op, ast.In) else not found
        if isinstance(left, VersionInfo) and isinstance(right, tuple):
            return left.compare(op, right)
        if isinstance(right, VersionInfo) and isinstance(left, tuple):
            flipped = {ast.Lt: ast.Gt(), ast.LtE: ast.GtE(), ast.Gt: ast.Lt(), ast.GtE: ast.LtE()}
            return right.compare(flipped.get(type(op), op), left)
        if not (_known(left) and _known(right)):
            return UNKNOWN
        if isinstance(left, Std) or isinstance(right, Std):
            # A standard-library value the model does not know (sys.flags.optimize): no
            # answer, not "unequal".
            return UNKNOWN
        return _COMPARES[type(op)](left, right)

    def contains(self, container: Any, item: Any) -> bool | None:
        if isinstance(container, VersionText) and isinstance(item, str):
            return container.has.get(item)
        if not _known(item):
            return None
        if isinstance(container, str):
            return item in container if isinstance(item, str) else None
        if isinstance(container, (list, tuple, set, frozenset)):
            plain = [v for v in container if not isinstance(v, Maybe)]
            if item in plain:
                return True
            if any(isinstance(v, Maybe) or v is UNKNOWN for v in container):
                return None
            return False
        if isinstance(container, dict):
            return item in container
        return None

    def binop(self, op: ast.operator, left: Any, right: Any) -> Any:
        if isinstance(op, ast.Div) and isinstance(left, TreePath):
            part = str(right) if isinstance(right, TreePath) else right
            return (left.joined(part) or UNKNOWN) if isinstance(part, str) else UNKNOWN
        if isinstance(op, ast.Add) and isinstance(left, list) and isinstance(right, list):
            if len(left) + len(right) > MAX_BUILT:
                return UNKNOWN
            return left + right  # items keep their Maybe marks
        if isinstance(op, ast.Mod) and isinstance(left, str) and _known(right):
            return safe_percent(left, right)
        if not (_known(left) and _known(right)):
            return UNKNOWN
        if not _binop_within_budget(op, left, right):
            return UNKNOWN
        return _bounded(_BINOPS[type(op)](left, right))

    def subscript(self, value: Any, index_node: ast.expr, ns: Namespace) -> Any:
        if isinstance(value, VersionInfo):
            return self.version_part(value, index_node, ns)
        if isinstance(index_node, ast.Slice):
            lower = self.eval(index_node.lower, ns)
            upper = self.eval(index_node.upper, ns)
            step = self.eval(index_node.step, ns)
            if isinstance(value, (str, list, tuple)) and all(
                v is None or isinstance(v, int) for v in (lower, upper, step)
            ):
                return value[lower:upper:step]
            return UNKNOWN
        key = self.eval(index_node, ns)
        if isinstance(value, dict):
            return value.get(key, UNKNOWN) if _known(key) else UNKNOWN
        if isinstance(value, (str, list, tuple)) and isinstance(key, int):
            if isinstance(value, list) and any(isinstance(v, Maybe) for v in value):
                return UNKNOWN  # which item sits at an index depends on the path
            return strip_maybe(value[key]) if -len(value) <= key < len(value) else UNKNOWN
        return UNKNOWN

    def version_part(self, value: VersionInfo, index_node: ast.expr, ns: Namespace) -> Any:
        """``sys.version_info[0]`` is 3; ``[:2]`` a prefix; other parts are unknown."""
        if isinstance(index_node, ast.Slice):
            upper = self.eval(index_node.upper, ns)
            if index_node.lower is None and index_node.step is None and isinstance(upper, int) and upper > 0:
                return VersionInfo(value.lowest[:upper], value.highest[:upper])
            return UNKNOWN
        key = self.eval(index_node, ns)
        if isinstance(key, int) and key < len(value.lowest) and value.lowest[key] == value.highest[key]:
            return value.lowest[key]
        return UNKNOWN

    def comprehension(self, generators: list[ast.comprehension], element: ast.expr, ns: Namespace) -> Any:
        # Comprehension variables are bound in a scratch namespace over the enclosing one.
        scope = Namespace(ns.path, dict(ns.names))
        results: list[Any] = []
        if not self._comprehend(generators, 0, element, scope, results, False):
            return UNKNOWN
        return results

    def _comprehend(
        self,
        generators: list[ast.comprehension],
        index: int,
        element: ast.expr,
        scope: Namespace,
        out: list[Any],
        maybe: bool,
    ) -> bool:
        if index == len(generators):
            value = self.eval(element, scope)
            out.append(Maybe(value) if maybe else value)
            return True
        generator = generators[index]
        items = self.iterate(self.eval(generator.iter, scope))
        if items is None:
            return False
        for item in items:
            item_maybe = maybe or isinstance(item, Maybe)
            self.assign_plain(generator.target, strip_maybe(item), scope)
            keep = True
            for condition in generator.ifs:
                state = truth(self.eval(condition, scope))
                if state == 0:
                    keep = False
                    break
                if state is None:
                    item_maybe = True
            if keep and not self._comprehend(generators, index + 1, element, scope, out, item_maybe):
                return False
        return True

    def assign_plain(self, target: ast.expr, value: Any, ns: Namespace) -> None:
        saved = self.uncertain
        self.uncertain = 0
        try:
            self.assign(target, value, ns)
        finally:
            self.uncertain = saved

    # -- attributes and calls ----------------------------------------------------
    def attribute(self, obj: Any, name: str) -> Any:
        if isinstance(obj, Namespace):
            return obj.names.get(name, UNKNOWN)
        if isinstance(obj, TreePath):
            if name == "parent":
                return TreePath(posixpath.dirname(obj.rel))
            if name == "name":
                return posixpath.basename(obj.rel)
            if name in ("suffix", "stem"):
                stem, suffix = posixpath.splitext(posixpath.basename(obj.rel))
                return suffix if name == "suffix" else stem
            if name in ("resolve", "absolute"):
                return Bound(obj, name)
            return UNKNOWN
        if isinstance(obj, VersionInfo):
            return obj.lowest[0] if name == "major" and obj.lowest[:1] == obj.highest[:1] else UNKNOWN
        if isinstance(obj, Ext):
            if name == "name":
                return obj.name
            if name in obj.attrs:
                return obj.attrs[name]
            methods = obj.attrs.get(_METHODS)
            if isinstance(methods, dict) and name in methods:
                return MethodOf(methods[name], obj)
            if name in EXT_LIST_ATTRS:
                obj.attrs[name] = []
                return obj.attrs[name]
            return UNKNOWN
        if isinstance(obj, Std):
            return self.std_attribute(obj.name, name)
        if isinstance(obj, (str, list, dict, Regex, CffiBuilder)):
            return Bound(obj, name)
        if name in PROBE_METHODS:
            return Std(f"probe.{name}")  # config.try_compile(...), compiler.has_function(...)
        return UNKNOWN

    def std_has(self, module: str, name: Any) -> bool | None:
        """Whether the standard module has ``name`` on this model (``hasattr(os, "uname")``
        is False on Windows), None when the model does not say."""
        if not isinstance(name, str):
            return None
        windows = self.facts.get("os.name")
        if windows not in ("nt", "posix"):
            return None
        if f"{module}.{name}" in _POSIX_ONLY:
            return windows == "posix"
        if f"{module}.{name}" in _WINDOWS_ONLY:
            return windows == "nt"
        return None

    def std_attribute(self, module: str, name: str) -> Any:
        dotted = f"{module}.{name}"
        facts = self.facts
        if dotted == "sys.platform":
            return facts.get("sys.platform") or UNKNOWN
        if dotted == "os.name":
            return facts.get("os.name") or UNKNOWN
        if dotted == "sys.implementation.name":
            implementation = facts.get("python_implementation")
            return implementation.lower() if isinstance(implementation, str) else UNKNOWN
        if dotted == "sys.version_info":
            return VersionInfo()
        if dotted == "sys.argv":
            # What setuptools' PEP 517 backend sets when pip builds the wheel from the
            # sdist: no project-specific option is on the command line. One list per
            # evaluation, so a setup.py's sys.argv.remove() is seen by later reads.
            if self.argv is None:
                self.argv = ["setup.py", "bdist_wheel", "--dist-dir", PIP_DIST_DIR, *self.extra_argv]
            return self.argv
        if dotted == "os.sep":
            return "/"  # paths are kept tree-relative with forward slashes
        if dotted == "os.pathsep":
            # The separator of path lists (ujson's UJSON_BUILD_DC_INCLUDES default, split
            # on it): ";" on Windows, ":" elsewhere.
            windows = facts.get("os.name")
            return ";" if windows == "nt" else ":" if windows == "posix" else UNKNOWN
        if dotted == "sys.maxsize":
            bits = facts.get("pointer_bytes")
            return (1 << (8 * bits - 1)) - 1 if isinstance(bits, int) else UNKNOWN
        if dotted == "sys.byteorder":
            return facts.get("byteorder") or UNKNOWN
        if dotted == "sys.version":
            machine = facts.get("platform.machine")
            bits = facts.get("pointer_bytes")
            has: dict[str, bool] = {}
            if isinstance(bits, int):
                has.update({"64 bit": bits == 8, "32 bit": bits == 4})
            if isinstance(machine, str):
                has.update({"AMD64": machine == "AMD64", "ARM64": machine == "ARM64"})
            return VersionText(has)
        if dotted == "os.environ":
            return Std("os.environ")
        return Std(dotted)

    def call(self, node: ast.Call, ns: Namespace) -> Any:
        function = self.eval(node.func, ns)
        args: list[Any] = []
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                expanded = self.iterate(self.eval(arg.value, ns))
                if expanded is None:
                    return UNKNOWN
                args.extend(strip_maybe(v) for v in expanded)
            else:
                args.append(self.eval(arg, ns))
        kwargs: dict[str, Any] = {}
        for keyword in node.keywords:
            value = self.eval(keyword.value, ns)
            if keyword.arg is None:
                if isinstance(value, dict):
                    kwargs.update({str(k): v for k, v in value.items()})
                continue
            kwargs[keyword.arg] = value
        line = getattr(node, "lineno", 0)
        if _runs_something(function):
            self.record_arguments(ns.path, line, [*args, *kwargs.values()])
        if isinstance(function, Func):
            return self.call_function(function, args, kwargs, ns.path, line)
        if isinstance(function, Std):
            return self.call_std(function.name, args, kwargs, ns, line)
        if isinstance(function, Bound):
            return self.call_method(function.obj, function.name, args, kwargs, ns, line)
        if isinstance(function, MethodOf):
            return self.call_function(function.func, [function.instance, *args], kwargs, ns.path, line)
        if isinstance(function, ExtClass):
            return self.construct_subclass(function, args, kwargs, ns, line)
        if isinstance(function, Namespace):
            return UNKNOWN
        return UNKNOWN

    def extension_base(self, node: ast.ClassDef, ns: Namespace) -> str | None:
        """The Extension class ``node`` derives from directly (its dotted name), if any."""
        for base_node in node.bases:
            base = self.eval(base_node, ns)
            if isinstance(base, Std) and _is_extension_class(base.name):
                return base.name
            if isinstance(base, ExtClass):
                return base.base
        return None

    def construct_subclass(
        self, cls: ExtClass, args: list[Any], kwargs: dict[str, Any], ns: Namespace, line: int
    ) -> Any:
        init = next(
            (s for s in cls.node.body if isinstance(s, ast.FunctionDef) and s.name == "__init__"), None
        )
        if init is None:
            return self.call_std(cls.base, args, kwargs, ns, line)
        holder = _ExtSelf()
        self.call_function(Func(init, cls.module, False), [holder, *args], kwargs, ns.path, line)
        return holder.ext if isinstance(holder.ext, Ext) else UNKNOWN

    def call_function(
        self, function: Func, args: list[Any], kwargs: dict[str, Any], path: str, line: int
    ) -> Any:
        if function.probe:
            texts = [a for a in [*args, *kwargs.values()] if isinstance(a, str) and looks_like_c(a)]
            if texts:
                verdict = self.judge(texts[0])
                name = function.node.name if isinstance(function.node, ast.FunctionDef) else "probe"
                self.probes.append((path, line, f"{name}() test program", verdict))
                return _probe_result(verdict)
            return UNKNOWN
        if self.depth >= MAX_CALL_DEPTH:
            return UNKNOWN
        node = function.node
        scope = Namespace(function.module.path, dict(function.module.names))
        params = node.args
        positional = [*params.posonlyargs, *params.args]
        defaults = list(params.defaults)
        first_default = len(positional) - len(defaults)
        for index, param in enumerate(positional):
            if index < len(args):
                value = args[index]
            elif param.arg in kwargs:
                value = kwargs[param.arg]
            elif index >= first_default:
                value = self.eval(defaults[index - first_default], function.module)
            else:
                value = UNKNOWN
            scope.names[param.arg] = value
        for param, default in zip(params.kwonlyargs, params.kw_defaults, strict=True):
            scope.names[param.arg] = kwargs.get(
                param.arg, self.eval(default, function.module) if default is not None else UNKNOWN
            )
        if params.vararg is not None:
            scope.names[params.vararg.arg] = tuple(args[len(positional) :])
        if params.kwarg is not None:
            scope.names[params.kwarg.arg] = {k: v for k, v in kwargs.items() if k not in scope.names}
        self.depth += 1
        saved = self.uncertain
        try:
            if isinstance(node, ast.Lambda):
                return self.eval(node.body, scope)
            try:
                self.exec_block(node.body, scope)
            except _Return as returned:
                return returned.value
            return None
        except _Raise:
            if self.uncertain > saved:
                return UNKNOWN
            raise
        finally:
            self.depth -= 1
            self.uncertain = saved
            # Module-level names the function rebinds with ``global`` are not tracked.
            self.current_file = path

    def call_method(
        self, obj: Any, name: str, args: list[Any], kwargs: dict[str, Any], ns: Namespace, line: int
    ) -> Any:
        if isinstance(obj, Regex):
            return obj.apply(name, args[0] if args else None)
        if isinstance(obj, TreePath):
            return obj if name in ("resolve", "absolute") and not args else UNKNOWN
        if isinstance(obj, CffiBuilder):
            if name == "set_source" and args:
                obj.module, obj.keywords, obj.file, obj.line = args[0], dict(kwargs), ns.path, line
            return None  # cdef(), include(), embedding_api(): nothing the build model needs
        if isinstance(obj, list):
            return self.list_method(obj, name, args)
        if isinstance(obj, dict):
            if name == "get" and args and _known(args[0]):
                return obj.get(args[0], args[1] if len(args) > 1 else None)
            if name in ("items", "keys", "values"):
                return [tuple(i) if isinstance(i, tuple) else i for i in getattr(obj, name)()]
            if name == "update" and args and isinstance(args[0], dict):
                obj.update(args[0])
                return None
            if name == "setdefault" and args and _known(args[0]):
                return obj.setdefault(args[0], args[1] if len(args) > 1 else None)
            if name == "copy":
                return dict(obj)
            return UNKNOWN
        if isinstance(obj, str) and name in _PURE_STR_METHODS:
            if all(_known(a) for a in args) and all(_known(v) for v in kwargs.values()):
                if name == "format":
                    return safe_format(obj, args, kwargs)
                if not _within_work(obj, name, args):
                    return UNKNOWN
                return _bounded(getattr(obj, name)(*args, **kwargs))
            if name == "join":
                return UNKNOWN
        return UNKNOWN

    def list_method(self, obj: list[Any], name: str, args: list[Any]) -> Any:
        if name == "append" and len(args) == 1:
            obj.append(Maybe(args[0]) if self.uncertain else args[0])
            return None
        if name == "extend" and len(args) == 1:
            self.extend(obj, args[0])
            return None
        if name == "insert" and len(args) == 2 and isinstance(args[0], int):
            obj.insert(args[0], Maybe(args[1]) if self.uncertain else args[1])
            return None
        if name == "remove" and len(args) == 1:
            for index, item in enumerate(obj):
                if strip_maybe(item) == args[0] or strip_maybe(item) is args[0]:
                    if self.uncertain:
                        obj[index] = Maybe(strip_maybe(item))
                    else:
                        del obj[index]
                    break
            else:
                # Certainly absent (every item known): list.remove raises ValueError.
                if (
                    not self.uncertain
                    and _known(args[0])
                    and all(_known(v) and not isinstance(v, Maybe) for v in obj)
                ):
                    raise _Raise("ValueError")
            return None
        if name == "pop":
            return UNKNOWN
        if name == "copy":
            return list(obj)
        if name == "index" and len(args) == 1 and _known(args[0]):
            plain = [strip_maybe(v) for v in obj]
            return plain.index(args[0]) if args[0] in plain else UNKNOWN
        return UNKNOWN

    def call_std(self, name: str, args: list[Any], kwargs: dict[str, Any], ns: Namespace, line: int) -> Any:
        short = name.rsplit(".", 1)[-1]
        facts = self.facts
        if short == "RustExtension" and name.startswith(("setuptools_rust", "RustExtension")):
            # setuptools-rust: the crate whose manifest is ``path`` (default Cargo.toml).
            manifest = args[1] if len(args) > 1 else kwargs.get("path", "Cargo.toml")
            target = args[0] if args else kwargs.get("target", UNKNOWN)
            rust = Ext(target, {"manifest": manifest}, ns.path, line, "rust")
            self.extensions.append(rust)
            return rust
        if _is_extension_class(name):
            return self.new_extension(args, kwargs, ns.path, line, short)
        if name in ("cffi.FFI", "cffi.api.FFI"):
            return CffiBuilder()
        if name.startswith("pkgconfig.") and short in ("parse", "cflags", "libs", "exists", "modversion"):
            # The pkgconfig package: pkgconfig.parse("libxml-2.0 libxslt").
            package = strip_maybe(args[0]) if args else None
            for library in package.split() if isinstance(package, str) else ["$unknown"]:
                self.looked_for(library, f"pkg-config in {posixpath.basename(ns.path)}", ns.path, line)
            return UNKNOWN
        if name in ("pathlib.Path", "pathlib.PurePath", "pathlib.PurePosixPath") and not kwargs:
            # A path of the tree (``Path(__file__).parent``): relative, as the model's paths are.
            if len(args) == 1 and isinstance(args[0], TreePath):
                return args[0]
            if len(args) == 1 and isinstance(args[0], str):
                return TreePath("").joined(args[0]) or UNKNOWN
            return UNKNOWN
        if short == "__init__" and args and isinstance(args[0], _ExtSelf) and _is_extension_class(name[:-9]):
            # Base.__init__(self, name, sources, **kwds) inside an Extension subclass.
            args[0].ext = self.new_extension(args[1:], kwargs, ns.path, line, name[:-9].rsplit(".", 1)[-1])
            return None
        if short == "setup" and name in (
            "setup",
            "setuptools.setup",
            "distutils.core.setup",
            "skbuild.setup",
        ):
            self.setup_calls.append({**kwargs, "__line__": line, "__file__": ns.path})
            return None
        if name in ("sys.path.insert", "sys.path.append") and args:
            folder = args[-1]
            if isinstance(folder, str) and not posixpath.isabs(folder) and ".." not in folder.split("/"):
                folder = posixpath.normpath(folder)
                if folder not in self.search_dirs and len(self.search_dirs) < MAX_SEARCH_DIRS:
                    self.search_dirs.append("" if folder == "." else folder)
            return None
        if name == "sys.exit":
            if not self.uncertain and self.stopped is None:
                self.stopped = (
                    ns.path,
                    line,
                    "sys.exit(" + ", ".join(str(a) for a in args if _known(a)) + ")",
                )
            raise _Raise("SystemExit")
        if short == "cythonize":
            return self.cythonize(args, ns)
        if name in ("typing.cast", "cast") and len(args) == 2:
            return args[1]  # typing.cast(type, value) is the value
        if name in ("platform.machine", "platform.processor"):
            return facts.get("platform.machine") or UNKNOWN
        if name == "setuptools_scm.get_version":
            return self.sdist_version()
        if name == "shlex.split" and len(args) == 1 and isinstance(args[0], str) and not kwargs:
            # A pure function of a known string (an empty default of an environment switch).
            import shlex

            try:
                return shlex.split(args[0]) if len(args[0]) <= 4096 else UNKNOWN
            except ValueError:
                return UNKNOWN
        if name == "platform.system":
            return facts.get("platform.system") or UNKNOWN
        if name == "sysconfig.get_config_var" and args == ["Py_GIL_DISABLED"]:
            # The wheels judged are the default CPython builds (cp3XY, not the
            # free-threaded cp3XYt): 0 there from 3.13, None before; falsy either way.
            return 0
        if name == "platform.python_implementation":
            return facts.get("python_implementation") or UNKNOWN
        if name == "platform.architecture":
            bits = facts.get("pointer_bytes")
            return (f"{8 * bits}bit", "WindowsPE") if isinstance(bits, int) else UNKNOWN
        if short == "get_platform" and name.split(".")[0] in (
            "sysconfig",
            "distutils",
            "get_platform",
            "setuptools",
        ):
            return facts.get("platform") or UNKNOWN
        if name == "struct.calcsize" and args == ["P"]:
            return facts.get("pointer_bytes") or UNKNOWN
        if name in ("os.environ.get", "os.getenv") and args and isinstance(args[0], str):
            key = f"env.{args[0]}"
            if key in facts:
                known = facts[key]
                return known if isinstance(known, str) else UNKNOWN
            # The build as pip runs it from the sdist: the project's own switches unset.
            return args[1] if len(args) > 1 else kwargs.get("default")
        if name.startswith("os.path.") or name in (
            "os.listdir",
            "os.getcwd",
            "glob.glob",
            "glob.iglob",
            "os.path",
        ):
            return self.path_call(name, args, ns)
        if name in ("re.compile", "re.search", "re.match", "re.fullmatch") and args:
            pattern = Regex.make(args[0], args[1] if name == "re.compile" and len(args) > 1 else 0)
            if pattern is None:
                return UNKNOWN
            return (
                pattern
                if name == "re.compile"
                else pattern.apply(name[3:], args[1] if len(args) > 1 else None)
            )
        if name.startswith("probe."):
            return self.direct_probe(short, args, ns.path, line)
        if name.startswith("builtins."):
            return self.builtin(short, args, kwargs)
        if name == "print":
            return None
        return UNKNOWN

    def direct_probe(self, method: str, args: list[Any], path: str, line: int) -> Any:
        """``config.try_compile(text)``: judged like a probe function's test program."""
        texts = [a for a in args if isinstance(a, str) and looks_like_c(a)]
        if not texts:
            return UNKNOWN
        verdict = self.judge(texts[0])
        self.probes.append((path, line, f"{method}() test program", verdict))
        return _probe_result(verdict)

    def builtin(self, name: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        if name == "print":
            return None
        if (
            name in ("hasattr", "getattr")
            and len(args) >= 2
            and isinstance(args[0], Ext)
            and args[0].kind == "command"
            and isinstance(args[1], str)
        ):
            # A build command's own private attribute (``_initialized``) exists once its
            # class set it; setuptools' public ones are not modelled.
            if args[1] in args[0].attrs:
                return True if name == "hasattr" else args[0].attrs[args[1]]
            if args[1].startswith("_"):
                return False if name == "hasattr" else (args[2] if len(args) > 2 else UNKNOWN)
            return UNKNOWN
        if name in ("hasattr", "getattr") and len(args) >= 2 and isinstance(args[0], Std):
            present = self.std_has(args[0].name, args[1])
            if name == "hasattr" or present is None:
                return UNKNOWN if present is None else present
            return (
                self.std_attribute(args[0].name, args[1])
                if present
                else (args[2] if len(args) > 2 else UNKNOWN)
            )
        if name == "len" and len(args) == 1:
            value = args[0]
            if isinstance(value, (list, tuple, dict, str)):
                if isinstance(value, list) and any(isinstance(v, Maybe) for v in value):
                    return UNKNOWN
                return len(value)
            return UNKNOWN
        if name in ("list", "tuple", "sorted", "set", "frozenset") and len(args) <= 1:
            if not args:
                return [] if name != "tuple" else ()
            items = self.iterate(args[0])
            if items is None:
                return UNKNOWN
            if name == "sorted":
                plain = [strip_maybe(v) for v in items]
                return sorted(plain) if _known(plain) and len(plain) == len(items) else list(items)
            return tuple(items) if name == "tuple" else list(items)
        if name == "enumerate" and args:
            items = self.iterate(args[0])
            if items is None:
                return UNKNOWN
            return [
                Maybe((i, strip_maybe(v))) if isinstance(v, Maybe) else (i, v) for i, v in enumerate(items)
            ]
        if name == "zip":
            lists = [self.iterate(a) for a in args]
            if any(x is None for x in lists):
                return UNKNOWN
            return [tuple(group) for group in zip(*[x for x in lists if x is not None], strict=False)]
        if name == "range" and all(isinstance(a, int) for a in args) and args:
            span = range(*args)
            return list(span) if len(span) <= MAX_RANGE else UNKNOWN
        if name in ("str", "os.fspath") and len(args) == 1 and isinstance(args[0], TreePath):
            return str(args[0])
        if name in ("str", "int", "bool", "float") and len(args) == 1 and _known(args[0]):
            return {"str": str, "int": int, "bool": bool, "float": float}[name](args[0])
        if name == "dict":
            if not args:
                return dict(kwargs)
            return UNKNOWN
        if name in ("any", "all") and len(args) == 1:
            items = self.iterate(args[0])
            if items is None:
                return UNKNOWN
            states = [truth(strip_maybe(v)) for v in items]
            if name == "any":
                return True if 1 in states else (UNKNOWN if None in states else False)
            return False if 0 in states else (UNKNOWN if None in states else True)
        return UNKNOWN

    # -- the file system, answered from the tree --------------------------------
    def resolve(self, path: str, ns: Namespace) -> str:
        """A path as the build means it, relative to the tree root."""
        cleaned = path.replace("\\", "/")
        if posixpath.isabs(cleaned):
            return cleaned  # outside the tree
        base = posixpath.dirname(self.setup_dir_of(ns))
        joined = posixpath.normpath(posixpath.join(base, cleaned)) if base else posixpath.normpath(cleaned)
        return "" if joined == "." else joined

    def normcase(self, text: str, ns: Namespace) -> Any:
        """``os.path.normcase``: unchanged on POSIX; on Windows lower case (and ``\\``,
        which the model writes ``/``). Windows finds files whatever their case, so a
        tree file spelled otherwise keeps the tree's spelling (google-crc32c's
        ``normcase("src/google_crc32c/_crc32c.c")`` is that file)."""
        system = self.facts.get("os.name")
        if system == "posix":
            return text
        if system != "nt":
            return UNKNOWN
        lowered = text.lower()
        rel = self.resolve(lowered, ns)
        if rel in self.tree_files:
            return lowered
        spelled = next((f for f in self.tree_files if f.lower() == rel), None)
        if spelled is None:
            return lowered
        # The argument as given, re-spelled like the tree (relative parts kept).
        return text if self.resolve(text, ns) == spelled else lowered

    def setup_dir_of(self, ns: Namespace) -> str:
        # setuptools runs with the setup.py directory as the working directory.
        return self.entry or ns.path

    def path_call(self, name: str, args: list[Any], ns: Namespace) -> Any:
        if name == "os.path.join":
            if args and all(isinstance(a, str) for a in args):
                return posixpath.join(*[a.replace("\\", "/") for a in args])
            return UNKNOWN
        if name == "os.getcwd":
            return "."
        if not args or not isinstance(args[0], str):
            return UNKNOWN
        text = args[0].replace("\\", "/")
        if name in ("os.path.dirname",):
            return posixpath.dirname(text)
        if name == "os.path.basename":
            return posixpath.basename(text)
        if name in ("os.path.abspath", "os.path.realpath", "os.path.normpath"):
            return posixpath.normpath(text)
        if name == "os.path.normcase":
            return self.normcase(text, ns)
        if name == "os.path.splitext":
            return posixpath.splitext(text)
        rel = self.resolve(text, ns)
        if name in ("os.path.exists", "os.path.isfile", "os.path.isdir"):
            is_file = rel in self.tree_files
            is_dir = rel in self.tree_dirs or rel == ""
            listed = posixpath.dirname(rel) in self.tree_dirs or posixpath.dirname(rel) == ""
            if self.whole_tree and listed and not is_file and not is_dir:
                return False
            if name == "os.path.isfile":
                return is_file or UNKNOWN if not is_file and not is_dir else is_file
            if name == "os.path.isdir":
                return is_dir or (UNKNOWN if not is_file else False)
            return True if is_file or is_dir else UNKNOWN  # a file the walk skipped may exist
        if name == "os.listdir":
            prefix = "" if rel == "" else rel + "/"
            names = sorted(
                {f[len(prefix) :].split("/", 1)[0] for f in self.tree_files if f.startswith(prefix)}
            )
            return names if names else UNKNOWN
        if name in ("glob.glob", "glob.iglob"):
            base = posixpath.dirname(self.setup_dir_of(ns))
            pattern = rel
            matches = sorted(f for f in self.tree_files if fnmatch.fnmatchcase(f, pattern))
            if base:
                matches = [posixpath.relpath(m, base) for m in matches]
            return matches
        return UNKNOWN

    # -- setuptools objects ------------------------------------------------------
    def new_extension(self, args: list[Any], kwargs: dict[str, Any], path: str, line: int, kind: str) -> Ext:
        name = args[0] if args else kwargs.get("name", UNKNOWN)
        attrs: dict[str, Any] = {}
        sources = (
            args[1] if len(args) > 1 else kwargs.get("sources", UNKNOWN if "sources" not in kwargs else [])
        )
        attrs["sources"] = list(sources) if isinstance(sources, (list, tuple)) else sources
        for attr in EXT_LIST_ATTRS[1:]:
            value = kwargs.get(attr, [])
            attrs[attr] = list(value) if isinstance(value, (list, tuple)) else value
        if isinstance(kwargs.get("language"), str):
            attrs["language"] = kwargs["language"]  # "c++": Cython translates to C++
        ext = Ext(name, attrs, path, line, "extension")
        self.extensions.append(ext)
        return ext

    def cythonize(self, args: list[Any], ns: Namespace) -> Any:
        if not args:
            return UNKNOWN
        items = self.iterate(args[0]) if not isinstance(args[0], (str, Ext)) else [args[0]]
        if items is None:
            return UNKNOWN
        result: list[Any] = []
        for item in items:
            value = strip_maybe(item)
            if isinstance(value, Ext):
                result.append(item)
            elif isinstance(value, str):
                for match in self.path_call("glob.glob", [value], ns) or []:
                    if isinstance(match, str) and match.endswith((".pyx", ".py")):
                        module = posixpath.splitext(match)[0].replace("/", ".")
                        ext = Ext(module, {"sources": [match]}, ns.path, self.current_line)
                        self.extensions.append(ext)
                        result.append(Maybe(ext) if isinstance(item, Maybe) else ext)
            else:
                return UNKNOWN
        return result


# Standard-library names that exist on one family of systems only (Python's docs:
# "Availability: Unix" / "Availability: Windows"): what hasattr()/getattr() tests in setup.py.
_POSIX_ONLY = frozenset(
    {
        "os.uname",
        "os.getuid",
        "os.geteuid",
        "os.getgid",
        "os.getegid",
        "os.fork",
        "os.setsid",
        "os.sysconf",
        "os.getloadavg",
        "os.killpg",
        "sys.getdlopenflags",
        "sys.setdlopenflags",
        "signal.SIGKILL",
        "signal.SIGALRM",
    }
)
_WINDOWS_ONLY = frozenset({"sys.getwindowsversion", "os.startfile", "sys.winver", "sys.dllhandle"})

_BUILTINS = frozenset(
    {
        "hasattr",
        "getattr",
        "len",
        "list",
        "tuple",
        "sorted",
        "set",
        "frozenset",
        "enumerate",
        "zip",
        "range",
        "str",
        "int",
        "bool",
        "float",
        "dict",
        "any",
        "all",
        "print",
    }
)


def _runs_something(function: Any) -> bool:
    """Is this a call whose arguments reach a tool (subprocess, spawn, a helper), rather
    than a call that builds a value (list.append, os.path.join, str.format, Extension,
    whose flags are judged on the extension itself)?"""
    if isinstance(function, Bound):
        return False
    if isinstance(function, Std):
        name = function.name
        short = name.rsplit(".", 1)[-1]
        return not (
            name.startswith(("os.path", "builtins.", "glob.", "platform.", "sysconfig.", "struct."))
            or short in EXTENSION_CLASSES
            or short in ("setup", "print", "cythonize", "get")
        )
    return True


def _words(value: Any) -> list[str]:
    """The strings of an argument: a string, or a list/tuple's strings (an item this
    model cannot compute stays a placeholder, so neighbours stay neighbours)."""
    if isinstance(value, str):
        return [value] if len(value) <= 4096 else []
    if isinstance(value, (list, tuple)):
        items = [strip_maybe(v) for v in value]
        words = [v if isinstance(v, str) and len(v) <= 4096 else "<?>" for v in items]
        if sum(1 for w in words if w != "<?>") >= 2:
            return words
    return []


def _parents(path: str) -> Iterator[str]:
    parent = posixpath.dirname(path)
    while parent:
        yield parent
        parent = posixpath.dirname(parent)


# The work budget counts the size of what would be built, before it is built: an int by
# its bits, a string or a list by its length. Past these the value is UNKNOWN, which is
# what a static reading of a value that large would be worth anyway.
MAX_INT_BITS = 4096
MAX_BUILT = BUILD_LIMITS.max_value  # characters or items one operation may produce
_PLAIN = (str, int, float, bool, type(None))
# A replacement field's name: an argument (position or keyword) then indexes; no ".attr"
# (attribute traversal reaches woaport's own objects, their globals and os.environ).
_FIELD_NAME = re.compile(r"^(?:\d+|[A-Za-z_]\w*)?(?:\[[\w-]+\])*$")
_WIDTH = re.compile(r"\d+")
_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d*)(?:\.(\*|\d*))?[hlL]?[diouxXeEfFgGcrsa%]")


def plain_data(value: Any, depth: int = 0) -> bool:
    """Strings, numbers and containers of them: the only values formatting may see."""
    if isinstance(value, _PLAIN):
        return True
    if depth > 8:
        return False
    if isinstance(value, (list, tuple)):
        return all(plain_data(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, _PLAIN) and plain_data(v, depth + 1) for k, v in value.items())
    return False


def _widths_ok(spec: str) -> bool:
    return all(int(w) <= 1000 for w in _WIDTH.findall(spec))


def safe_format(template: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
    """``template.format(...)`` when every field is a plain name or index of plain data
    with a modest width; UNKNOWN otherwise (never an attribute lookup)."""
    import string

    if not (plain_data(args) and plain_data(kwargs)):
        return UNKNOWN
    try:
        fields = list(string.Formatter().parse(template))
    except ValueError:
        return UNKNOWN
    for _, name, spec, _ in fields:
        if name is None:
            continue
        if not _FIELD_NAME.match(name) or (spec and ("{" in spec or not _widths_ok(spec))):
            return UNKNOWN
    try:
        return _bounded(template.format(*args, **kwargs))
    except (IndexError, KeyError, ValueError, TypeError, AttributeError):
        return UNKNOWN


def safe_percent(template: str, right: Any) -> Any:
    """``template % right`` for plain data and widths up to 1000 (``%0900000000d`` would
    build a gigabyte); UNKNOWN otherwise."""
    if not plain_data(right):
        return UNKNOWN
    for m in _PERCENT_SPEC.finditer(template):
        for part in (m.group(1), m.group(2)):
            if part == "*" or (part and int(part) > 1000):
                return UNKNOWN
    try:
        return _bounded(template % right)
    except (TypeError, ValueError, KeyError, OverflowError):
        return UNKNOWN


def _size(value: Any) -> int:
    return len(value) if isinstance(value, (str, list, tuple)) else 1


def _binop_within_budget(op: ast.operator, left: Any, right: Any) -> bool:
    """Whether an operation's result stays within the work budget, decided from its
    operands' sizes before it is computed."""
    if isinstance(left, bool) or isinstance(right, bool):
        return True
    if isinstance(left, int) and isinstance(right, int):
        if isinstance(op, ast.LShift):
            return 0 <= right <= MAX_INT_BITS and left.bit_length() + right <= MAX_INT_BITS
        if isinstance(op, ast.Pow):
            return right <= 256 and left.bit_length() * max(right, 0) <= MAX_INT_BITS
        if isinstance(op, ast.Mult):
            return left.bit_length() + right.bit_length() <= MAX_INT_BITS
        return True
    if isinstance(op, ast.Mult):
        count = right if isinstance(right, int) else left
        sized = left if isinstance(right, int) else right
        return isinstance(count, int) and count <= 1000 and _size(sized) * max(count, 0) <= MAX_BUILT
    if isinstance(op, ast.Add) and isinstance(left, (str, list, tuple)):
        return _size(left) + _size(right) <= MAX_BUILT
    return True


def _within_work(text: str, method: str, args: list[Any]) -> bool:
    """String methods whose output can dwarf their input: ``split`` on a megabyte
    (a million items), ``replace`` that multiplies, ``join`` of a huge list."""
    if method in ("split", "rsplit", "splitlines"):
        return len(text) <= MAX_BUILT // 4
    if method == "replace" and len(args) >= 2 and isinstance(args[1], str):
        return len(text) * max(1, len(args[1])) <= MAX_BUILT
    if method == "join" and args and isinstance(args[0], (list, tuple)):
        return len(args[0]) * (len(text) + 1) <= MAX_BUILT
    return True


def _bounded(value: Any) -> Any:
    if isinstance(value, (str, bytes)) and len(value) > MAX_TEXT:
        return UNKNOWN
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 4096:
        return UNKNOWN
    return value


def _join(old: Any, new: Any) -> Any:
    return join(old, new, _known)


def _probe_result(verdict: Value) -> Any:
    """What a probe call returns to setup.py: False when the judge knows it fails, True
    when it knows it compiles (``woaport prove`` compiles probes for real), else unknown."""
    return False if verdict == 0 else True if verdict == 1 else UNKNOWN


def _compiles_a_probe(function: ast.FunctionDef) -> bool:
    """Does this function compile a test program (``compiler.compile``, ``try_compile``...)?"""
    for node in ast.walk(function):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in PROBE_METHODS
        ):
            return True
    return False


def is_native_source(path: str) -> bool:
    return path.lower().endswith(NATIVE_SUFFIXES)


def _walk_own(node: ast.AST) -> list[ast.AST]:
    """``node`` and its descendants, not entering nested functions, lambdas or classes (a
    ``return`` there is theirs)."""
    found: list[ast.AST] = []
    stack = [node]
    while stack:
        current = stack.pop()
        found.append(current)
        for child in ast.iter_child_nodes(current):
            if not isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
                stack.append(child)
    return found
