"""The setuptools build model: ``setup.py`` evaluated per model (analyzer/buildmodel/pyeval.py)
and pyproject ``[tool.setuptools] ext-modules``, turned into a :class:`BuildPlan`."""

from __future__ import annotations

import ast
import fnmatch
import posixpath
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from analyzer.buildmodel.cargo import crate_root
from analyzer.buildmodel.plan import (
    MACRO_NAME,
    UNKNOWN_MACRO_TEXT,
    BuildPlan,
    DeadBranches,
    EventKey,
    Fact,
    ProbeJudge,
    ProbeKey,
    SourceKey,
    build_env,
    event_list,
    judge_for,
    macro_list,
    note_on,
    probe_list,
    reference_env,
    settings_list,
    source_uses,
    without_shared_stops,
)
from analyzer.buildmodel.pyeval import CffiBuilder, Ext, Interpreter, Namespace, derives_from_build_ext
from analyzer.buildmodel.runtime import RunRecord
from analyzer.buildmodel.values import UNKNOWN, Maybe, strip_maybe
from analyzer.paths import HEADER_EXTENSIONS
from analyzer.tri import MAYBE, Value, and3

_DEFINE_FLAG = re.compile(r"^[-/]D([A-Za-z_]\w*)")


@dataclass
class _Evaluation:
    """One model's reading of the build: its extensions (Maybe-wrapped when present on
    some paths only), and whether every source of every extension is known."""

    interpreter: Interpreter
    extensions: list[Any]
    known: bool
    setup_line: tuple[str, int] | None


def _evaluate(
    facts: Mapping[str, Fact],
    setup_py: str | None,
    pyproject_exts: list[Any],
    tree_files: frozenset[str],
    read_text: Callable[[str], str | None],
    judge: Callable[[str], Value],
    parsed: dict[str, ast.Module | None],
    extra_argv: tuple[str, ...] = (),
) -> _Evaluation:
    interpreter = Interpreter(facts, tree_files, read_text, judge, parsed, extra_argv)
    extensions: list[Any] = []
    reached = False
    setup_line: tuple[str, int] | None = None
    if setup_py is not None:
        interpreter.run_file(setup_py)
        interpreter.run_command_classes()
        modules = [call.get("ext_modules") for call in interpreter.setup_calls]
        interpreter.run_build_ext([e for value in modules if isinstance(value, (list, tuple)) for e in value])
        with_exts = [call for call in interpreter.setup_calls if "ext_modules" in call]
        reached = bool(with_exts)
        for call in interpreter.setup_calls:
            setup_line = setup_line or (str(call["__file__"]), int(call["__line__"]))
            value = call.get("ext_modules", [])
            if value is None:  # setuptools takes ext_modules=None as "no extension module"
                value = []
            if isinstance(value, (list, tuple)):
                extensions.extend(value)
            else:
                extensions.append(Maybe(UNKNOWN))
            extensions.extend(_clib_libraries(call.get("libraries"), setup_py))
            rust = call.get("rust_extensions", [])
            extensions.extend(_rust_extensions(rust, setup_py, tree_files, read_text))
            extensions.extend(_cffi_extensions(call.get("cffi_modules"), setup_py, interpreter))
        if not reached:
            extensions.extend(Maybe(e) for e in interpreter.extensions)
    extensions.extend(pyproject_exts)
    return _Evaluation(interpreter, extensions, reached or bool(pyproject_exts), setup_line)


def setuptools_plan(
    setup_py: str | None,
    pyproject: Mapping[str, Any] | None,
    tree_files: frozenset[str],
    read_text: Callable[[str], str | None],
    judge: ProbeJudge,
    models: tuple[str, ...],
) -> BuildPlan | None:
    """The plan of a setuptools build (``setup_py`` tree-relative), or None if it has no
    extension modules this model can see."""
    per_source: dict[SourceKey, dict[str, Value]] = {}
    macros: dict[str, dict[str, Value]] = {}
    macro_texts: dict[str, dict[str, str]] = {}
    complete: list[str] = []
    notes: list[str] = []
    probes: dict[ProbeKey, dict[str, Value]] = {}
    events: dict[EventKey, dict[str, Value]] = {}
    runs = RunRecord()  # the libraries the evaluation looked for (pkg-config, pg_config...)
    mentioned: set[str] = set()
    mentioned_in: dict[str, set[str]] = {}
    include_dirs: list[str] = []
    helpers: set[str] = set()
    target_settings: dict[tuple[str, str], dict[str, list[str]]] = {}
    any_extension = False
    dead: dict[tuple[str, int, int], list[str]] = {}  # if-branches never taken, per model
    pyproject_exts = _pyproject_extensions(pyproject) + _pyproject_rust_extensions(
        pyproject, tree_files, read_text
    )
    base = posixpath.dirname(setup_py or "")
    parsed: dict[str, ast.Module | None] = {}  # each file parsed once for every model
    reference = _evaluate(
        reference_env(), setup_py, pyproject_exts, tree_files, read_text, lambda _: MAYBE, parsed
    )
    x64_has_sources = any(_sources_of(item) for item in reference.extensions if not isinstance(item, Maybe))
    for model in models:
        facts = build_env().get(model, {})
        result = _evaluate(
            facts, setup_py, pyproject_exts, tree_files, read_text, judge_for(judge, model), parsed
        )
        interpreter = result.interpreter
        runs.add(model, interpreter)
        for key, taken in interpreter.branches.items():
            if not taken:
                dead.setdefault(key, []).append(model)
        notes.extend(interpreter.notes)
        for directory in interpreter.command_include_dirs:
            if not posixpath.isabs(directory):
                include_dirs.append(_tree_path(base, directory, tree_files))
        for path in interpreter.modules:
            if path not in mentioned_in:  # each module's syntax is read once, not per model
                mentioned_in[path] = _mentioned_macros(parsed.get(path))
            mentioned |= mentioned_in[path]
        helpers |= {path for path in interpreter.modules if path != setup_py}
        for path, line, what, verdict in interpreter.probes:
            probes.setdefault((path, line, what, ""), {})[model] = verdict
        for path, line, text, certain in interpreter.values:
            note_on(events, ("value", path, line, text), model, 1 if certain else MAYBE)
        if interpreter.stopped is not None:
            path, line, text = interpreter.stopped
            note_on(events, ("stops", path, line, text), model, 1)
        known = result.known
        model_macros: list[dict[str, Value]] = []
        model_texts: list[dict[str, str]] = []
        any_here = False
        for item in result.extensions:
            ext = strip_maybe(item)
            if not isinstance(ext, Ext):
                known = False
                continue
            any_extension = True
            present: Value = MAYBE if isinstance(item, Maybe) else 1
            name = ext.name if isinstance(ext.name, str) else ""
            sources = ext.attrs.get("sources", UNKNOWN)
            generated = ext.attrs.get("generated_source") is True
            if not isinstance(sources, list) or not (sources or generated):
                known = False
                continue
            any_here = True
            for source in sources:
                path = strip_maybe(source)
                if not isinstance(path, str):
                    known = False
                    continue
                rel = _tree_path(base, path, tree_files)
                certainty: Value = MAYBE if isinstance(source, Maybe) else 1
                note_on(per_source, (rel, name, ext.file, ext.line), model, and3(present, certainty))
            model_macros.append(_extension_macros(ext, present))
            model_texts.append(_extension_macro_texts(ext))
            for directory in _items(ext.attrs.get("include_dirs")):
                directory = strip_maybe(directory)
                if isinstance(directory, str) and not posixpath.isabs(directory):
                    include_dirs.append(_tree_path(base, directory, tree_files))
            if present != 0:
                per_target = target_settings.setdefault((name, model), {})
                for attr, kind in (
                    ("libraries", "libraries"),
                    ("extra_compile_args", "compile_args"),
                    ("extra_link_args", "link_args"),
                    ("extra_objects", "objects"),
                ):
                    given = [
                        v for v in (strip_maybe(v) for v in _items(ext.attrs.get(attr))) if isinstance(v, str)
                    ]
                    if kind == "objects":  # files: as tree paths, like sources
                        given = [_tree_path(base, v, tree_files) for v in given]
                    per_target.setdefault(kind, []).extend(given)
                language = strip_maybe(ext.attrs.get("language"))
                if isinstance(language, str) and language:
                    per_target["language"] = [language.lower()]
            for attr in (
                "extra_compile_args",
                "extra_link_args",
                "library_dirs",
                "libraries",
                "extra_objects",
            ):
                words = [
                    w for w in (strip_maybe(v) for v in _items(ext.attrs.get(attr))) if isinstance(w, str)
                ]
                if words:
                    note_on(events, ("value", ext.file, ext.line, " ".join(words)), model, present)
        if known:
            complete.append(model)
        if known and not any_here and x64_has_sources and result.setup_line is not None:
            path, line = result.setup_line
            note_on(events, ("no-extension", path, line, "no extension module"), model, 1)
        if any_here and setup_py is not None:
            drops = _plat_name_drops(
                setup_py, facts, pyproject_exts, tree_files, read_text, judge, model, parsed
            )
            if drops is not None:
                note_on(events, ("plat-name-drops", setup_py, drops, PLAT_NAME_ARGV_TEXT), model, 1)
        for name in set().union(*model_macros) if model_macros else set():
            values = [m.get(name, 0) for m in model_macros]
            macros.setdefault(name, {})[model] = (
                1 if all(v == 1 for v in values) else (0 if all(v == 0 for v in values) else MAYBE)
            )
            texts = {
                t[name]
                for t, m in zip(model_texts, model_macros, strict=True)
                if m.get(name, 0) != 0 and name in t
            }
            if len(texts) == 1:  # every extension defining it gives the same value
                macro_texts.setdefault(name, {})[model] = texts.pop()
        for name in mentioned:
            macros.setdefault(name, {}).setdefault(model, 0)
    if not any_extension and not x64_has_sources:
        if setup_py is None or len(complete) != len(models) or not _pure(reference.interpreter.setup_calls):
            return None
        # Every model's setup() was reached and names no extension of any kind
        # (charset-normalizer without its opt-in Cython switch): the default build
        # compiles nothing, which is a build woaport can read, not an unknown one.
        return BuildPlan(systems=("setuptools",), complete_on=tuple(complete))
    entry = setup_py or "pyproject.toml"
    return BuildPlan(
        systems=("setuptools",),
        sources=source_uses(per_source, models, complete),
        probes=probe_list(probes, models),
        macros=macro_list(macros, macro_texts, models),
        complete_on=tuple(complete),
        notes=tuple(dict.fromkeys(f"{entry}: {n}" if not n.startswith(entry) else n for n in notes)),
        events=event_list(without_shared_stops(events, lambda: reference.interpreter.stopped), models),
        include_dirs=tuple(dict.fromkeys(include_dirs)),
        helper_files=tuple(sorted(helpers)),
        settings=settings_list(target_settings),
        public_headers=_installed_headers(reference.interpreter.setup_calls, base, tree_files),
        dead_branches=_dead_branches(dead),
        dependencies=runs.dependency_lookups(models),
        build_time_edits=build_time_edits(reference.interpreter.classes),
    )


# What an Extension (or the build_ext command, for every extension) is compiled and linked
# with: a build command that changes these when it runs changes the build.
_EXTENSION_SETTINGS = frozenset(
    {"libraries", "define_macros", "undef_macros", "sources", "extra_compile_args", "extra_link_args",
     "library_dirs", "extra_objects"}
)  # fmt: skip
_MUTATORS = frozenset({"append", "extend", "insert", "remove", "pop", "clear"})


def build_time_edits(classes: list[tuple[ast.ClassDef, Namespace]]) -> tuple[str, ...]:
    """Where a build_ext command class changes what extensions are compiled or linked
    with when setuptools runs it (``extension.libraries += libs``, ``self.libraries.
    append("ws2_32")``, ``ext.define_macros.append(...)``): "file:line Class.method". The
    model evaluates command methods only for the arguments they pass, so these changes
    are not in the plan (pillow's PILLOW_VERSION, its psapi)."""
    found: list[str] = []
    for node, ns in classes:
        if not derives_from_build_ext(node):
            continue
        for method in node.body:
            if not isinstance(method, ast.FunctionDef):
                continue
            for item in sorted(
                ast.walk(method), key=lambda n: (getattr(n, "lineno", 0), getattr(n, "col_offset", 0))
            ):
                target: ast.expr | None = None
                if isinstance(item, ast.AugAssign | ast.Assign):
                    targets = [item.target] if isinstance(item, ast.AugAssign) else item.targets
                    target = next((t for t in targets if isinstance(t, ast.Attribute)), None)
                elif (
                    isinstance(item, ast.Call)
                    and isinstance(item.func, ast.Attribute)
                    and item.func.attr in _MUTATORS
                ):
                    target = item.func.value
                if isinstance(target, ast.Attribute) and target.attr in _EXTENSION_SETTINGS:
                    where = getattr(item, "lineno", method.lineno)
                    found.append(f"{ns.path}:{where} {node.name}.{method.name} changes {ast.unparse(target)}")
    return tuple(dict.fromkeys(found))


def _dead_branches(dead: dict[tuple[str, int, int], list[str]]) -> tuple[DeadBranches, ...]:
    by_file: dict[str, list[tuple[int, int, tuple[str, ...]]]] = {}
    for (path, first, last), models in dead.items():
        by_file.setdefault(path, []).append((first, last, tuple(models)))
    return tuple(DeadBranches(path, tuple(sorted(regions))) for path, regions in sorted(by_file.items()))


# setup() arguments that compile something besides ext_modules.
_OTHER_NATIVE_ARGUMENTS = ("cffi_modules", "rust_extensions", "libraries", "distclass")


def _pure(calls: list[dict[str, Any]]) -> bool:
    """setup() was called with an explicit empty ``ext_modules`` and nothing else that
    compiles (cffi modules, Rust extensions, C libraries, a custom distribution class,
    a build_ext command of its own)."""
    if not calls:
        return False
    for call in calls:
        if "ext_modules" not in call or strip_maybe(call["ext_modules"]) not in (None, [], ()):
            return False
        if any(call.get(name) not in (None, [], ()) for name in _OTHER_NATIVE_ARGUMENTS):
            return False
        commands = strip_maybe(call.get("cmdclass"))
        if commands not in (None, {}) and not (isinstance(commands, dict) and "build_ext" not in commands):
            return False
    return True


# How a build that names its platform runs setup.py (``bdist_wheel --plat-name win-arm64``,
# a cross-compile from x64 or a hand-run build), for the --plat-name trap (WOA563).
PLAT_NAME_ARGV = ("--plat-name", "win-arm64")
PLAT_NAME_ARGV_TEXT = " ".join(PLAT_NAME_ARGV)
_PLAT_NAME_MENTION = re.compile(r"plat[-_]name")


def _plat_name_drops(
    setup_py: str,
    facts: Mapping[str, Fact],
    pyproject_exts: list[Any],
    tree_files: frozenset[str],
    read_text: Callable[[str], str | None],
    judge: ProbeJudge,
    model: str,
    parsed: dict[str, ast.Module | None],
) -> int | None:
    """The line of setup.py's ``--plat-name`` test when the build, run with
    ``--plat-name win-arm64``, has no extension module left (it had some without):
    setup.py reads the platform name and drops the native code for Windows. None
    otherwise; setup.py is evaluated a second time only when it mentions plat-name."""
    text = read_text(setup_py) or ""
    if not _PLAT_NAME_MENTION.search(text):
        return None
    named = _evaluate(
        facts,
        setup_py,
        pyproject_exts,
        tree_files,
        read_text,
        judge_for(judge, model),
        parsed,
        PLAT_NAME_ARGV,
    )
    if not named.known or any(_sources_of(item) for item in named.extensions):
        return None
    return next(n for n, line in enumerate(text.splitlines(), 1) if _PLAT_NAME_MENTION.search(line))


def _sources_of(item: Any) -> bool:
    ext = strip_maybe(item)
    return isinstance(ext, Ext) and isinstance(ext.attrs.get("sources"), list) and bool(ext.attrs["sources"])


def _tree_path(base: str, path: str, tree_files: frozenset[str]) -> str:
    rel = posixpath.normpath(posixpath.join(base, path.replace("\\", "/")))
    if rel.endswith((".pyx", ".py")):
        # Cython: the sdist ships (or the build generates) the C or C++ beside it.
        stem = posixpath.splitext(rel)[0]
        for suffix in (".c", ".cpp"):
            if stem + suffix in tree_files:
                return stem + suffix
    return rel


def _texts_of(macro_texts: dict[str, dict[str, str]], name: str) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(macro_texts.get(name, {}).items()))


def _extension_macro_texts(ext: Ext) -> dict[str, str]:
    """The values an extension gives its macros, where it gives a known one:
    ``define_macros=[("SYS_BITS", "64")]``, ``extra_compile_args=["-DX=2"]``."""
    found: dict[str, str] = {}
    for item in _items(ext.attrs.get("define_macros")):
        value = strip_maybe(item)
        pair = isinstance(value, tuple) and len(value) == 2
        if pair and isinstance(value[0], str) and MACRO_NAME.match(value[0]):
            if isinstance(value[1], str):
                found[value[0]] = value[1]
            elif value[1] is not None:  # a value, but not one the model computed
                found[value[0]] = UNKNOWN_MACRO_TEXT
    for item in _items(ext.attrs.get("extra_compile_args")):
        flag = strip_maybe(item)
        if isinstance(flag, str) and flag.startswith(("-D", "/D")) and "=" in flag:
            name, _, text = flag[2:].partition("=")
            if MACRO_NAME.match(name):
                found[name] = text
    return found


def _extension_macros(ext: Ext, present: Value) -> dict[str, Value]:
    found: dict[str, Value] = {}
    for item in _items(ext.attrs.get("define_macros")):
        value = strip_maybe(item)
        name = value[0] if isinstance(value, tuple) and value else value
        if isinstance(name, str) and MACRO_NAME.match(name):
            found[name] = and3(present, MAYBE if isinstance(item, Maybe) else 1)
    for item in _items(ext.attrs.get("extra_compile_args")):
        flag = strip_maybe(item)
        match = _DEFINE_FLAG.match(flag) if isinstance(flag, str) else None
        if match:
            found[match.group(1)] = and3(present, MAYBE if isinstance(item, Maybe) else 1)
    return found


def _items(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else []


def _rust_extensions(
    value: Any, setup_py: str, tree_files: frozenset[str], read_text: Callable[[str], str | None]
) -> list[Any]:
    """setuptools-rust ``RustExtension``s: each compiles its crate, from the library root."""
    found: list[Any] = []
    base = posixpath.dirname(setup_py)
    for item in _items(value):
        ext = strip_maybe(item)
        if not isinstance(ext, Ext) or ext.kind != "rust" or not isinstance(ext.attrs.get("manifest"), str):
            continue
        manifest = posixpath.normpath(posixpath.join(base, ext.attrs["manifest"]))
        root, _ = crate_root(tree_files, read_text, manifest)
        crate = Ext(ext.name, {"sources": [root]}, ext.file, ext.line, "rust")
        found.append(Maybe(crate) if isinstance(item, Maybe) else crate)
    return found


def _cffi_extensions(value: Any, setup_py: str, interpreter: Interpreter) -> list[Any]:
    """``setup(cffi_modules=["path/build.py:ffi"])``: cffi runs each build script and
    builds the extension its FFI object's ``set_source()`` describes (C it generates, so
    the extension lists only the tree sources the keywords name). Unreadable: unknown."""
    found: list[Any] = []
    base = posixpath.dirname(setup_py)
    for item in _items(value):
        spec = strip_maybe(item)
        if not isinstance(spec, str) or ":" not in spec:
            found.append(Maybe(UNKNOWN))
            continue
        script, variable = spec.rsplit(":", 1)
        path = posixpath.normpath(posixpath.join(base, script))
        if path not in interpreter.tree_files or path.startswith(".."):
            found.append(Maybe(UNKNOWN))
            continue
        builder = interpreter.run_file(path, "__cffi__").names.get(variable)
        if not isinstance(builder, CffiBuilder) or not isinstance(builder.module, str):
            found.append(Maybe(UNKNOWN))
            continue
        attrs = {k: list(v) if isinstance(v, tuple) else v for k, v in builder.keywords.items()}
        attrs["sources"] = list(attrs.get("sources") or [])
        attrs["generated_source"] = True  # cffi writes the module's C itself
        ext = Ext(builder.module, attrs, builder.file or path, builder.line)
        found.append(Maybe(ext) if isinstance(item, Maybe) else ext)
    return found


def _installed_headers(calls: list[dict[str, Any]], base: str, tree_files: frozenset[str]) -> tuple[str, ...]:
    """Headers the package installs for others to compile against: ``setup(headers=[...])``
    and the header files ``package_data`` globs take into a package (as the x64 build
    computes them: which headers ship does not depend on the architecture here)."""
    found: list[str] = []
    for call in calls:
        for item in _items(call.get("headers")):
            path = strip_maybe(item)
            if isinstance(path, str) and not posixpath.isabs(path):
                found.append(_tree_path(base, path, tree_files))
        package_dir = strip_maybe(call.get("package_dir"))
        root = strip_maybe(package_dir.get("")) if isinstance(package_dir, dict) else None
        data = strip_maybe(call.get("package_data"))
        if not isinstance(data, dict):
            continue
        for package, patterns in data.items():
            if not isinstance(package, str):
                continue
            folder = posixpath.normpath(
                posixpath.join(base, root if isinstance(root, str) else "", package.replace(".", "/"))
            )
            prefix = "" if folder == "." else folder + "/"
            wanted = [p for p in (strip_maybe(x) for x in _items(patterns)) if isinstance(p, str)]
            for rel in sorted(tree_files):
                if not rel.startswith(prefix) or posixpath.splitext(rel)[1] not in HEADER_EXTENSIONS:
                    continue
                inside = rel[len(prefix) :]
                if any(fnmatch.fnmatch(inside, pattern) for pattern in wanted):
                    found.append(rel)
    return tuple(dict.fromkeys(f for f in found if f in tree_files))


def _clib_libraries(value: Any, setup_py: str) -> list[Any]:
    """``setup(libraries=[(name, {"sources": [...]})])``: build_clib compiles these too."""
    found: list[Any] = []
    for item in _items(value):
        entry = strip_maybe(item)
        if isinstance(entry, tuple) and len(entry) == 2 and isinstance(entry[1], dict):
            ext = Ext(entry[0], dict(entry[1]), setup_py, 0, "library")
            found.append(Maybe(ext) if isinstance(item, Maybe) else ext)
    return found


def _pyproject_extensions(pyproject: Mapping[str, Any] | None) -> list[Any]:
    tables = ((pyproject or {}).get("tool", {}).get("setuptools", {}) or {}).get("ext-modules", [])
    found: list[Any] = []
    if isinstance(tables, list):
        for table in tables:
            if isinstance(table, dict) and isinstance(table.get("name"), str):
                attrs = {
                    key.replace("-", "_"): list(value) if isinstance(value, list) else value
                    for key, value in table.items()
                    if key != "name"
                }
                attrs["define_macros"] = [
                    tuple(m) if isinstance(m, list) else m for m in attrs.get("define_macros", [])
                ]
                found.append(Ext(table["name"], attrs, "pyproject.toml", 0))
    return found


def _pyproject_rust_extensions(
    pyproject: Mapping[str, Any] | None, tree_files: frozenset[str], read_text: Callable[[str], str | None]
) -> list[Any]:
    """setuptools-rust's declarative form (1.7 and later): ``[[tool.setuptools-rust.ext-modules]]``
    tables, each the module ``target`` built from the crate whose manifest is ``path``
    (default ``Cargo.toml``), relative to pyproject.toml."""
    settings = ((pyproject or {}).get("tool", {}) or {}).get("setuptools-rust", {})
    tables = settings.get("ext-modules", []) if isinstance(settings, dict) else []
    declared = [
        Ext(table["target"], {"manifest": table.get("path", "Cargo.toml")}, "pyproject.toml", 0, "rust")
        for table in (tables if isinstance(tables, list) else [])
        if isinstance(table, dict)
        and isinstance(table.get("target"), str)
        and isinstance(table.get("path", "Cargo.toml"), str)
    ]
    return _rust_extensions(declared, "pyproject.toml", tree_files, read_text)


def _mentioned_macros(module: ast.Module | None) -> set[str]:
    """Macro names a build module could define on some path: a name no path defines on a
    model is undefined there (unless the tree defines it). Read from the syntax: string
    constants in values whose key or receiver names a macro list."""
    names: set[str] = set()
    if module is not None:
        for node in ast.walk(module):
            if isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    if isinstance(key, ast.Constant) and isinstance(key.value, str) and "macro" in key.value:
                        names |= _macro_constants(value)
            elif isinstance(node, ast.keyword) and node.arg == "define_macros":
                names |= _macro_constants(node.value)
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("append", "extend", "insert")
                and "macro" in ast.unparse(node.func.value).lower()
            ):
                for arg in node.args:
                    names |= _macro_constants(arg)
    return names


def _macro_constants(node: ast.AST) -> set[str]:
    found: set[str] = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Tuple) and sub.elts:
            first = sub.elts[0]
            if (
                isinstance(first, ast.Constant)
                and isinstance(first.value, str)
                and MACRO_NAME.match(first.value)
            ):
                found.add(first.value)
        elif isinstance(sub, (ast.List, ast.Tuple)):
            for elt in sub.elts:
                if (
                    isinstance(elt, ast.Constant)
                    and isinstance(elt.value, str)
                    and MACRO_NAME.match(elt.value)
                ):
                    found.add(elt.value)
    return found


def hook_script_plan(
    script: str,
    tree_files: frozenset[str],
    read_text: Callable[[str], str | None],
    models: tuple[str, ...],
) -> BuildPlan | None:
    """A Python build hook the backend runs (``build.py``, ``hatch_build.py``): no
    extension list to read, but the argument values it passes to tools per model (for
    WOA505/WOA506)."""
    events: dict[EventKey, dict[str, Value]] = {}
    parsed: dict[str, ast.Module | None] = {}
    for model in models:
        interpreter = Interpreter(build_env().get(model, {}), tree_files, read_text, lambda _: MAYBE, parsed)
        namespace = interpreter.run_file(script)
        interpreter.run_functions(namespace)
        interpreter.run_command_classes()
        for path, line, text, certain in interpreter.values:
            note_on(events, ("value", path, line, text), model, 1 if certain else MAYBE)
    if not events:
        return None
    return BuildPlan(systems=("build hook",), events=event_list(events, models))
