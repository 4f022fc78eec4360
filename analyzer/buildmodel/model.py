"""Which build system a tree uses, and its :class:`BuildPlan` (nothing is executed).

The backend named in ``pyproject.toml`` decides: ``mesonpy`` reads ``meson.build``,
``scikit_build_core`` reads ``CMakeLists.txt``, setuptools (or no pyproject) reads
``setup.py`` and ``[tool.setuptools] ext-modules``; a setuptools build with no extension
modules of its own that ships a ``CMakeLists.txt`` is read as CMake. Other backends
(maturin: Rust, whose modules ``rustmods`` follows; hatchling, flit...) give no plan.
"""

from __future__ import annotations

import posixpath
import re
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

from analyzer.buildmodel.cargo import crate_root
from analyzer.buildmodel.plan import BuildPlan, ProbeJudge, SourceUse, merge, rebase, system_libraries
from analyzer.buildmodel.public import get_include_headers
from analyzer.safeload import toml_loads

# Python build hooks a backend runs besides setup.py: poetry/pdm's build.py, hatch's.
HOOK_SCRIPTS = ("build.py", "hatch_build.py")
MAX_BUILD_TEXT = 4 * 1024 * 1024  # a build file or imported helper larger than this is not read


def tree_reader(base: Path, max_bytes: int = MAX_BUILD_TEXT) -> Callable[[str], str | None]:
    """Read a tree file by its relative path, refusing links, escapes and huge files."""
    resolved_base = base.resolve()

    def read(rel: str) -> str | None:
        if not rel or posixpath.isabs(rel) or ".." in rel.split("/"):
            return None
        path = base / rel
        try:
            if path.is_symlink() or not path.is_file():
                return None
            if not path.resolve().is_relative_to(resolved_base):
                return None
            if path.stat().st_size > max_bytes:
                return None
            return path.read_bytes().decode("utf-8", "replace").removeprefix("\ufeff")
        except (OSError, ValueError):
            return None

    return read


# Backends the model reads as they are; any other, when it is in the tree and wraps
# setuptools.build_meta, is read as setuptools.
KNOWN_BACKENDS = frozenset(
    {"", "setuptools", "skbuild", "mesonpy", "scikit_build_core", "py_build_cmake", "cmeel", "maturin"}
)
MAX_BACKEND_MODULES = 16  # modules of an in-tree backend's package read to tell what it wraps


def backend_of(pyproject: dict[str, Any] | None) -> str:
    """The build backend's top-level module ('' when pyproject names none)."""
    system = (pyproject or {}).get("build-system", {})
    backend = system.get("build-backend", "") if isinstance(system, dict) else ""
    return backend.split(".")[0].split(":")[0] if isinstance(backend, str) else ""


def in_tree_setuptools_backend(
    pyproject: dict[str, Any] | None, files: frozenset[str], read_text: Callable[[str], str | None]
) -> bool:
    """An in-tree build backend (``backend-path``) that wraps setuptools' own (pillow's
    ``_custom_build/backend.py``, aiohttp-style ``pep517_backend``): the module, or a module
    of its package, imports ``setuptools.build_meta``, so setup.py still builds."""
    system = (pyproject or {}).get("build-system", {})
    if not isinstance(system, dict):
        return False
    paths, backend = system.get("backend-path"), system.get("build-backend")
    if not isinstance(paths, list) or not isinstance(backend, str):
        return False
    module = backend.split(":")[0].replace(".", "/")
    for folder in (p for p in paths if isinstance(p, str)):
        base = posixpath.normpath(posixpath.join(folder, module.split("/")[0]))
        candidates = [
            f for f in sorted(files) if f.endswith(".py") and (f == base + ".py" or f.startswith(base + "/"))
        ]
        for candidate in candidates[:MAX_BACKEND_MODULES]:
            text = read_text(candidate)
            if text is not None and _WRAPS_SETUPTOOLS.search(text):
                return True
    return False


# ``setuptools.build_meta`` named in an import (``from setuptools import build_meta as
# _orig``, charset-normalizer's ``_build_hook/backend.py``, spells it apart).
_WRAPS_SETUPTOOLS = re.compile(r"setuptools\.build_meta|from\s+setuptools\s+import\s+[^\n]*\bbuild_meta\b")


def plan_build(
    tree_files: Iterable[str],
    read_text: Callable[[str], str | None],
    judge: ProbeJudge,
    models: tuple[str, ...],
) -> BuildPlan | None:
    """The plan of the project at the tree's root, or None when no build is modelled."""
    files = frozenset(tree_files)
    pyproject: dict[str, Any] | None = None
    if "pyproject.toml" in files:
        text = read_text("pyproject.toml")
        try:
            pyproject = toml_loads(text) if text is not None else None
        except tomllib.TOMLDecodeError:
            pyproject = None
    backend = backend_of(pyproject)
    if backend not in KNOWN_BACKENDS and in_tree_setuptools_backend(pyproject, files, read_text):
        backend = "setuptools"
    # The interpreters load when a tree has their build file (a pre-commit hook's one-file
    # scan has none: 45 ms of start-up it does not pay).
    from analyzer.buildmodel.setuptools import hook_script_plan

    hooks = [
        plan
        for script in HOOK_SCRIPTS
        if script in files and (plan := hook_script_plan(script, files, read_text, models)) is not None
    ]
    main = _main_plan(files, read_text, judge, models, pyproject, backend)
    if main is None and backend not in KNOWN_BACKENDS:
        main = _hook_run_setup_plan(files, read_text, judge, models)
    if main is None:  # an in-tree backend wrapping setuptools may cythonize on its own
        main = local_cythonize_plan(files, read_text, models, pyproject)
    if not hooks:
        return main
    return merge([main, *hooks]) if main is not None else merge(hooks)


def _main_plan(
    files: frozenset[str],
    read_text: Callable[[str], str | None],
    judge: ProbeJudge,
    models: tuple[str, ...],
    pyproject: dict[str, Any] | None,
    backend: str,
) -> BuildPlan | None:
    from analyzer.buildmodel.cmake import cmake_plan
    from analyzer.buildmodel.meson import meson_plan
    from analyzer.buildmodel.setuptools import setuptools_plan

    if backend == "mesonpy" or (not backend and "meson.build" in files and "setup.py" not in files):
        return meson_plan(files, read_text, judge, models) if "meson.build" in files else None
    if backend in ("scikit_build_core", "py_build_cmake", "cmeel"):
        return cmake_plan(files, read_text, judge, models) if "CMakeLists.txt" in files else None
    if backend == "maturin":
        return cargo_plan(files, read_text, models, pyproject)
    if backend in ("", "setuptools", "skbuild"):
        plan = None
        if "setup.py" in files or pyproject is not None:
            plan = setuptools_plan(
                "setup.py" if "setup.py" in files else None, pyproject, files, read_text, judge, models
            )
        if (plan is None or not plan.sources) and "CMakeLists.txt" in files:
            return cmake_plan(files, read_text, judge, models)
        return plan
    return None


def _hook_run_setup_plan(
    files: frozenset[str], read_text: Callable[[str], str | None], judge: ProbeJudge, models: tuple[str, ...]
) -> BuildPlan | None:
    """A build hook that runs a setuptools script of the tree with the building Python
    (pymongo's ``hatch_build.py``: ``subprocess.run([sys.executable, "_setup.py",
    "build_ext", "-i"])``): that script compiles the extensions, read as a setup.py."""
    from analyzer.buildmodel.setuptools import setuptools_plan

    for hook in HOOK_SCRIPTS:
        text = read_text(hook) if hook in files else None
        for script in scripts_run_with_python(text or ""):
            if script in files:
                return setuptools_plan(script, None, files, read_text, judge, models)
    return None


_SETUP_COMMANDS = frozenset({"build_ext", "build", "bdist_wheel", "install", "develop"})


def scripts_run_with_python(text: str) -> list[str]:
    """Tree scripts a hook runs as ``[sys.executable, "x.py", <setup command>, ...]`` (a
    list literal, read from the syntax: nothing runs)."""
    import ast

    try:
        module = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError):
        return []
    found: list[str] = []
    for node in ast.walk(module):
        if not isinstance(node, ast.List) or len(node.elts) < 3:
            continue
        first, script, command = node.elts[:3]
        runs_python = isinstance(first, ast.Attribute) and first.attr == "executable"
        if (
            runs_python
            and isinstance(script, ast.Constant)
            and isinstance(script.value, str)
            and script.value.endswith(".py")
            and isinstance(command, ast.Constant)
            and command.value in _SETUP_COMMANDS
        ):
            path = posixpath.normpath(script.value)
            if not posixpath.isabs(path) and not path.startswith(".."):
                found.append(path)
    return found


def local_cythonize_plan(
    files: frozenset[str],
    read_text: Callable[[str], str | None],
    models: tuple[str, ...],
    pyproject: dict[str, Any] | None,
) -> BuildPlan | None:
    """aio-libs' in-tree backend (yarl, propcache, frozenlist: ``packaging/pep517_backend``)
    runs Cython's ``cythonize`` command line on ``[tool.local.cython] src`` globs with
    ``inplace`` (or ``build``) on: each matching ``.pyx`` is one extension module, named
    after its path, on every model. Read only when the backend's package calls
    ``cythonize`` (its text names Cython's Cythonize module)."""
    import fnmatch

    local = ((pyproject or {}).get("tool", {}) or {}).get("local", {})
    # [tool.local.cythonize] in newer copies of the backend, [tool.local.cython] before.
    sections = [local.get(k) for k in ("cythonize", "cython")] if isinstance(local, dict) else []
    cython = next((t for t in sections if isinstance(t, dict) and "src" in t), {})
    globs = cython.get("src")
    flags = cython.get("flags", {})
    if not isinstance(globs, list) or not isinstance(flags, dict):
        return None
    if not (flags.get("inplace") is True or flags.get("build") is True):
        return None  # C generated, nothing compiled by this step
    folders = _backend_folders(pyproject)
    modules = [f for f in sorted(files) if f.endswith(".py") and f.split("/")[0] in folders]
    backend_texts = [read_text(f) or "" for f in modules[:MAX_BACKEND_MODULES]]
    if not any("Cython.Build.Cythonize" in text for text in backend_texts):
        return None
    pyx = sorted(
        f
        for f in files
        if f.endswith(".pyx") and any(isinstance(g, str) and fnmatch.fnmatch(f, g) for g in globs)
    )
    if not pyx:
        return None
    text = read_text("pyproject.toml") or ""
    line = next((n for n, t in enumerate(text.splitlines(), 1) if t.strip().startswith("src")), 1)
    uses = []
    for source in pyx:
        stem = source[: -len(".pyx")]
        shipped = next((stem + s for s in (".c", ".cpp") if stem + s in files), source)
        uses.append(
            SourceUse(
                shipped, _package_module(stem, files), "pyproject.toml", line, tuple((m, 1) for m in models)
            )
        )
    return BuildPlan(systems=("cythonize",), sources=tuple(uses), complete_on=models)


def _package_module(stem: str, files: frozenset[str]) -> str:
    """The dotted module name of ``stem`` (a path without suffix): its folders upward while
    each is a package (``src/propcache/_helpers_c`` is ``propcache._helpers_c``)."""
    parts = stem.split("/")
    first = len(parts) - 1  # the module's own name
    while first > 0:
        folder = "/".join(parts[:first])
        if not any(f"{folder}/__init__{suffix}" in files for suffix in (".py", ".pxd")):
            break
        first -= 1
    return ".".join(parts[first:])


def _backend_folders(pyproject: dict[str, Any] | None) -> set[str]:
    system = (pyproject or {}).get("build-system", {})
    paths = system.get("backend-path", []) if isinstance(system, dict) else []
    return (
        {posixpath.normpath(p).split("/")[0] for p in paths if isinstance(p, str)}
        if isinstance(paths, list)
        else set()
    )


def cargo_plan(
    files: frozenset[str],
    read_text: Callable[[str], str | None],
    models: tuple[str, ...],
    pyproject: dict[str, Any] | None,
) -> BuildPlan | None:
    """maturin: one extension module, the crate's library. Which Rust files it compiles
    per model follows the crate's ``mod`` tree (``native/rustmods``); the plan names the
    crate root and never claims to list every C source (a build.rs may compile some)."""
    settings = ((pyproject or {}).get("tool", {}) or {}).get("maturin", {}) or {}
    manifest = settings.get("manifest-path", "Cargo.toml") if isinstance(settings, dict) else "Cargo.toml"
    manifest = posixpath.normpath(str(manifest))
    if manifest not in files:
        return None
    root, crate = crate_root(files, read_text, manifest)
    module = settings.get("module-name", crate) if isinstance(settings, dict) else crate
    return BuildPlan(
        systems=("maturin",),
        sources=(SourceUse(root, str(module), manifest, 1, tuple((m, 1) for m in models)),),
    )


PROJECT_FILES = frozenset({"pyproject.toml", "setup.py"})


def project_dirs(files: Iterable[str]) -> list[str]:
    """The directories ("" or "a/b/") holding a Python project (pyproject.toml or
    setup.py) below no other: the tree's root project, or the members of a monorepo."""
    anchors = [f for f in files if f.rsplit("/", 1)[-1] in PROJECT_FILES]
    dirs = {f.rsplit("/", 1)[0] + "/" if "/" in f else "" for f in anchors}
    return sorted(d for d in dirs if not any(o != d and d.startswith(o) for o in dirs))


def plan_tree(base: Path, files: list[str], judge: ProbeJudge, models: tuple[str, ...]) -> BuildPlan | None:
    """One plan per top-level project of the tree at ``base``, merged, with tree paths."""
    plans = []
    for prefix in project_dirs(files):
        inside = [f[len(prefix) :] for f in files if f.startswith(prefix)]
        plan = plan_build(inside, tree_reader(base / prefix if prefix else base), judge, models)
        if plan is not None:
            plans.append(rebase(plan, prefix))
    if not plans:
        return None
    plan = plans[0] if len(plans) == 1 else merge(plans)
    conventional = get_include_headers(files, tree_reader(base))
    if conventional:
        plan = replace(plan, public_headers=tuple(dict.fromkeys((*plan.public_headers, *conventional))))
    return plan


def external_libraries(
    plan: BuildPlan | None, tree_files: list[str], model: str = "msvc-arm64"
) -> tuple[str, ...]:
    """Libraries the build links on ``model`` that neither the tree builds (its own
    targets) or ships (a prebuilt ``ffi.lib``) nor every Windows SDK provides: native
    dependencies to port."""
    if plan is None:
        return ()
    own = {use.target for use in plan.sources}
    shipped = {
        f.rsplit("/", 1)[-1].lower().removeprefix("lib").rsplit(".", 1)[0]
        for f in tree_files
        if f.lower().endswith((".lib", ".a"))
    }
    system = system_libraries()
    found: list[str] = []
    for settings in plan.settings:
        if settings.model != model:
            continue
        for library in settings.libraries:
            name = library.rsplit("/", 1)[-1].removesuffix(".lib").lower()
            known = name in system or name in shipped or name.removeprefix("lib") in shipped
            if name and not known and not name.startswith("python") and library not in own:
                found.append(library)
    return tuple(dict.fromkeys(found))
