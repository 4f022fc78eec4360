"""``woaport prove``: compile and link a package's extension modules for Windows ARM64
with ``zig cc -target aarch64-windows-gnu`` (clang + mingw-w64, UCRT) against a Windows
CPython SDK (:mod:`analyzer.sdk`), and check each result is an ARM64 PE that imports the
right Python DLL. The modules, sources, include directories and macros come from the
static build model: nothing from the package is run.

What it proves is the mingw/clang model. cl.exe-only problems (``__aarch64__`` where
MSVC defines ``_M_ARM64``, GNU inline assembly under cl.exe) stay the analyzer's job."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from analyzer import cython
from analyzer.buildmodel.deps import is_dependency_file
from analyzer.buildmodel.plan import UNKNOWN_MACRO_TEXT, BuildPlan, mingw_import_libraries, probe_args
from analyzer.buildmodel.textual import dependencies_in
from analyzer.childproc import run_limited
from analyzer.findings import format_message
from analyzer.limits import CHILD_LIMITS, ChildLimits
from analyzer.model import Confidence, Finding, Language, Location
from analyzer.native.probe import ProbeJudge, probe_language
from analyzer.paths import (
    INCLUDED_EXTENSIONS,
    asm_reads_outside,
    compiler_overlay,
    inside,
    inside_file,
    links_outside,
)
from analyzer.rules import Rule, default_rules
from analyzer.sdk.pe import MACHINE_ARM64, PEError, read_pe
from analyzer.sdk.provider import Sdk, SdkError, zig_lib_dir
from analyzer.targets import TargetData
from analyzer.tri import MAYBE, Value

if TYPE_CHECKING:
    from analyzer.sdk.requires import CythonTool, PrebuiltLibrary, RequirementLibrary

MODEL = "mingw-arm64"
TARGET = "aarch64-windows-gnu"
COMPILE_ERROR, LINK_ERROR = "WOA901", "WOA902"
C_SUFFIXES = (".c",)
CXX_SUFFIXES = (".cc", ".cpp", ".cxx", ".c++")
# mingw-w64's headers are lower-case; code written for MSVC on a case-insensitive file
# system includes them capitalised. A shim directory maps the common spellings.
CASE_SHIMS = (
    "Windows.h", "WinSock2.h", "WS2tcpip.h", "Ws2tcpip.h", "WinBase.h", "WinNT.h", "Shlwapi.h",
    "ShlObj.h", "Psapi.h", "TlHelp32.h", "BaseTsd.h", "WinError.h", "Rpc.h", "IPHlpApi.h",
    "Iphlpapi.h", "WinIoCtl.h", "Wincrypt.h", "WinCrypt.h", "DbgHelp.h", "Objbase.h",
)  # fmt: skip
_DIAGNOSTIC = re.compile(
    r"^(?P<path>[^\n:]+):(?P<line>\d+):(?P<col>\d+): (?:fatal )?error: (?P<msg>.+)$", re.M
)
# What cl.exe accepts that clang's C99 mode rejects, and what MSVC's headers declare that
# mingw-w64's leave to <process.h>: code written against MSVC relies on both.
MSVC_LENIENCY = ("-Wno-error=implicit-function-declaration", "-include", "process.h")
_NOT_FOUND = re.compile(r"'([^']+)' file not found")
_NO_LIBRARY = re.compile(r"unable to find (?:dynamic |static )?(?:system )?library [\"']([^\"']+)[\"']")
_UNDEFINED = re.compile(r"(?m)^(?:ld\.lld|lld-link): error: (.+)$")


@dataclass(frozen=True)
class Module:
    """One extension module of the build on the proven model."""

    name: str  # dotted module name
    sources: tuple[str, ...]  # tree-relative
    build_file: str
    line: int
    libraries: tuple[str, ...] = ()
    maybe: bool = False  # some source is compiled only on some paths of the build
    cplus: bool = False  # the build says C++ (Extension(language="c++")): Cython makes C++
    objects: tuple[str, ...] = ()  # prebuilt objects the build links in (tree-relative)
    # Per source, the definitions (-DX) and language standards (-std=c++20) of the target
    # that compiles it (CMake's add_definitions, meson's cpp_std): a linked library's own.
    defines: tuple[tuple[str, tuple[str, ...]], ...] = ()
    made_by: str = ""  # the build function that made it (nanobind_add_module)

    def defines_of(self, source: str) -> tuple[str, ...]:
        return dict(self.defines).get(source, ())


@dataclass(frozen=True)
class ModuleProof:
    module: str
    python: str
    compiled: bool
    linked: bool
    output: str = ""  # the .pyd, relative to the output directory
    machine: str = ""
    imports: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = ()
    not_proven: str = ""  # why it was not tried (e.g. Cython source without C)
    # Why, as a code: rust, external-library, missing-header, generated-header, limit,
    # toolchain, refused (a path or name outside the tree), cython, no-source; and where
    # the build is not known well enough to blame the code: macro-value (a macro's value
    # the model could not compute), maybe-compiled (the build may not compile the module
    # on ARM64), other-target (it links code another target of the build compiles),
    # requirement-library (a build requirement's library compiled in did not compile),
    # build-logic (a build_ext command class changes the extensions as it runs).
    reason: str = ""

    @property
    def built(self) -> bool:
        return self.compiled and self.linked and not self.errors and not self.not_proven


@dataclass(frozen=True)
class ProofResult:
    modules: tuple[ModuleProof, ...]
    sdks: tuple[tuple[str, str], ...] = ()  # (python, where the SDK came from)
    notes: tuple[str, ...] = field(default=())


RUST_NOT_PROVEN = (
    "Rust crate: cargo check would run its build scripts and procedural macros, which are"
    " package code, and woaport never runs package code; the scan's Rust rules judge it"
)


def rust_crates(plan: BuildPlan) -> list[str]:
    """The Rust crates the build compiles (maturin, setuptools-rust): reported, not tried."""
    return sorted({use.target or use.path for use in plan.sources if use.path.endswith(".rs")})


# A language standard the build asks for (meson cpp_std, -std=, MSVC's /std:): a compile
# of that language takes it, the other language's compiles do not.
_STANDARD = re.compile(r"[-/]std[:=](?:c|gnu)(?:\+\+)?\d\w*")


def standard_for(flags: Sequence[str], cplus: bool) -> list[str]:
    """The last language standard in ``flags`` that is for C++ (``cplus``) or for C, as
    clang spells it (``/std:c++20`` is ``-std=c++20``)."""
    chosen = ["-std=" + f[5:] for f in flags if _STANDARD.fullmatch(f) and ("++" in f) == cplus]
    return chosen[-1:]


def modules_of(plan: BuildPlan, model: str = MODEL) -> list[Module]:
    """The extension modules the build compiles on ``model``, with their sources (those
    compiled there for sure, and those compiled on some paths, marked ``maybe``)."""
    by_target: dict[str, list[tuple[str, str, int, object]]] = {}
    for use in plan.sources:
        state = dict(use.compiled).get(model, 0)
        if state == 0 or not use.target or use.path.endswith(".rs"):
            continue  # Rust crates: see rust_crates
        by_target.setdefault(use.target, []).append((use.path, use.build_file, use.line, state))
    libraries = {s.target: s.libraries for s in plan.settings if s.model == model}
    objects = {s.target: s.objects for s in plan.settings if s.model == model}
    cplus = {s.target for s in plan.settings if s.model == model and s.language in ("c++", "cpp")}
    made_by = {s.target: s.made_by for s in plan.settings if s.model == model and s.made_by}
    definitions = {
        s.target: tuple(a for a in s.compile_args if a.startswith("-D") or _STANDARD.fullmatch(a))
        for s in plan.settings
        if s.model == model
    }
    out = []
    for target, uses in sorted(by_target.items()):
        # A library the build makes from the tree (CMake target_link_libraries(ext soxr)
        # with add_library(soxr ...)) is compiled in, not looked for outside the tree.
        linked = libraries.get(target, ())
        own = [lib for lib in linked if lib in by_target and lib != target]
        joined = [*uses, *(use for lib in own for use in by_target[lib])]
        defines: dict[str, tuple[str, ...]] = {}
        for owner in (target, *own):
            for path, *_ in by_target[owner]:
                defines.setdefault(path, definitions.get(owner, ()))
        out.append(
            Module(
                target,
                tuple(dict.fromkeys(path for path, _, _, _ in joined)),
                uses[0][1],
                uses[0][2],
                tuple(lib for lib in linked if lib not in own),
                any(state != 1 for *_, state in joined),
                target in cplus,
                objects.get(target, ()),
                tuple((path, flags) for path, flags in defines.items() if flags),
                made_by.get(target, ""),
            )
        )
    return out


_INCLUDED = re.compile(r"^(?:In file included from|\s+from) (?P<path>[^\n:]+):(?P<line>\d+)[:,]")


def _in_tree(path: str, base: Path) -> str | None:
    candidate = Path(path)
    if not candidate.is_absolute():
        return None if path.startswith("..") else path
    try:
        return candidate.resolve().relative_to(base.resolve()).as_posix()
    except (ValueError, OSError):
        return None


def diagnostics(
    output: str, base: Path, generated: dict[str, str] | None = None
) -> list[tuple[str, int, int, str]]:
    """(tree-relative path, line, column, message) of each compiler error (pure but for
    resolving paths): an error inside a header outside the tree (the SDK, the toolchain's
    ``immintrin.h``) is reported at the tree line that includes it, once per place; one in
    C generated from Cython (``generated``: its path to the ``.pyx``) at the ``.pyx`` line."""
    generated = generated or {}

    def placed(path: str, line: int) -> tuple[str, int] | None:
        rel = _in_tree(path, base)
        if rel is not None:
            return rel, line
        pyx = generated.get(str(Path(path).resolve())) if Path(path).is_absolute() else None
        return cython.pyx_place(Path(path), line, pyx, base) if pyx is not None else None

    found: dict[tuple[str, int], tuple[str, int, int, str]] = {}
    chain: list[tuple[str, int]] = []  # the include stack of the next diagnostic
    for line in output.splitlines():
        included = _INCLUDED.match(line)
        if included is not None:
            chain.append((included.group("path"), int(included.group("line"))))
            continue
        m = _DIAGNOSTIC.match(line)
        if m is None:
            continue
        message = m.group("msg").strip()
        line_number, column = int(m.group("line")), int(m.group("col"))
        where = placed(m.group("path"), line_number)
        if where is None:
            header = Path(m.group("path")).name
            # clang lists the stack from the main file down: the last place in the tree
            # is the line that brings the header in.
            in_tree = [p for p in (placed(path, n) for path, n in chain) if p is not None]
            if not in_tree:
                chain = []
                continue
            where, column = in_tree[-1], 1
            message = f"in {header} (included here): {message}"
        chain = []
        found.setdefault(where, (where[0], where[1], column, message))
    return list(found.values())


def _finding(
    rule_id: str, path: str, line: int, column: int, detail: str, unknown: Sequence[str] = ()
) -> Finding:
    """A proof finding, worded and advised as its rule in ``rules/prove.toml`` says. With
    ``unknown`` (macros the build sets that the model could not decide, so the compile
    may not have seen what the real build sees) it is low confidence, and says so."""
    rule = next(r for r in default_rules() if r.id == rule_id)
    if unknown:
        shown = ", ".join(unknown[:5]) + (" ..." if len(unknown) > 5 else "")
        detail += f" (the build also decides what the model could not: {shown})"
    return Finding(
        rule_id,
        rule.severity,
        Confidence.LOW if unknown else Confidence.HIGH,
        Location(path, line, column),
        format_message(rule.message, match=detail),
        (MODEL,),
        rule.fallback,
    )


def _shims(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name in CASE_SHIMS:
        shim = directory / name
        if not shim.exists():
            shim.write_text(f"/* woaport: mingw-w64 spells it in lower case */\n#include <{name.lower()}>\n")
    return directory


Runner = Callable[[list[str], Path], tuple[int, str]]
STOPPED = 124
# How a runner says the toolchain gave no answer of its own (a limit, a crash).
STOPPED_NOTE = "woaport: not proven:"
ASM_SUFFIXES = (".s", ".S", ".asm")
HEADER_SUFFIXES = tuple(sorted(INCLUDED_EXTENSIONS))


# Templates a build makes headers from: config.h.in, version.h.cmake...
_TEMPLATE_SUFFIXES = (".in", ".cmake", ".cmakein", ".meson", ".tmpl", ".template")


@dataclass(frozen=True)
class _TreeFacts:
    """What prove needs to know of the tree's files, from one walk."""

    # (tree file, directive) for every C-family or assembler file with an
    # ``.incbin``/``.include`` that may read outside the tree (see asm_reads_outside).
    asm_outside: tuple[tuple[str, str], ...] = ()
    # header name -> the tree's template of it (``config.h`` -> ``src/config.h.in``).
    templates: Mapping[str, str] = field(default_factory=dict)
    # Libraries the tree's C/C++ ask the linker for (``#pragma comment(lib, "ws2_32.lib")``):
    # MSVC and clang-cl link them without the build naming them; the mingw link must be told.
    pragma_libraries: tuple[str, ...] = ()
    # Libraries the top-level build files name as text, with the route ("pg_config in
    # setup.py"): what a missing header may belong to where the model saw no lookup.
    named_libraries: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class _Job:
    """What every compile and link of one module against one SDK shares."""

    base: Path
    plan: BuildPlan
    sdk: Sdk
    out_dir: Path
    zig: tuple[str, ...]
    run: Runner
    scratch: Path  # private, removed after the proof: objects, generated C, shims
    overlay: Path  # the compiler sees only the tree, the SDK, zig's headers and scratch
    include_dirs: tuple[str, ...]  # the build's include directories inside the tree
    deadline: float  # time.monotonic() past which nothing more is started
    tree: _TreeFacts  # the tree's assembler reads and header templates, from one walk
    # Include folders of the build requirements' wheels (numpy, pybind11), in the cache.
    requirement_dirs: tuple[Path, ...] = ()
    # The Cython the build requirements ask for (None: the installed one).
    cython_tool: CythonTool | None = None
    # Folders (in scratch) holding the headers the build generates, as the model wrote them.
    generated_dirs: tuple[Path, ...] = ()
    # Libraries build requirements ship as sources (libnanobind), compiled once per SDK.
    requirement_libraries: tuple[RequirementLibrary, ...] = ()
    library_objects: _LibraryObjects = field(default_factory=lambda: _LibraryObjects())
    # Static libraries requirements' wheels ship (numpy's npymath), linked by name.
    prebuilt: tuple[PrebuiltLibrary, ...] = ()


class _LibraryObjects:
    """A requirement library's objects per (library, Python), compiled by the first module
    that needs them while the others wait (modules are proven on threads)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.done: dict[tuple[str, str], tuple[list[str], list[str]]] = {}


def _compile_command(job: _Job, driver: str) -> list[str]:
    """zig compiling one unit for ARM64 Windows, seeing only what the overlay allows."""
    return [
        *job.zig,
        driver,
        "-target",
        TARGET,
        "-c",
        "-O1",
        "-w",
        "-fno-crash-diagnostics",
        "-ivfsoverlay",
        str(job.overlay),
    ]


def _requirement_library(job: _Job, library: RequirementLibrary) -> tuple[list[str], list[str]]:
    """Objects and errors of compiling ``library`` (a build requirement's sources) for the
    job's SDK: the sources are the wheel's, compiled with the arguments the requirement's
    own instructions give."""
    key = (library.name, job.sdk.python)
    with job.library_objects.lock:
        if key in job.library_objects.done:
            return job.library_objects.done[key]
        folder = job.scratch / "requirement-libraries" / job.sdk.python / library.name
        folder.mkdir(parents=True, exist_ok=True)
        objects: list[str] = []
        errors: list[str] = []
        for source in library.sources:
            obj = folder / (source.name + ".o")
            command = [
                *_compile_command(job, "c++" if source.suffix in CXX_SUFFIXES else "cc"),
                *library.arguments,
                *(f"-I{d}" for d in library.include_dirs),
                f"-I{job.sdk.include}",
                "-o",
                str(obj),
                str(source),
            ]
            code, output = job.run(command, job.scratch)
            if code == 0:
                objects.append(str(obj))
            else:
                lines = output.strip().splitlines()
                errors.append(f"{library.name}: {lines[-1] if lines else 'failed'}"[:300])
                break
        job.library_objects.done[key] = (objects, errors)
        return objects, errors


# MSVC-built objects (compiled with /GS, MSVC's default) check their stack cookie through
# the MSVC runtime's __security_check_cookie, which mingw-w64's ARM64 runtime lacks. The
# stand-in does the same check; a proof links the module, it never runs it.
_STACK_COOKIE_C = """#include <stdint.h>
#include <stdlib.h>
uintptr_t __security_cookie = (uintptr_t)0x2B992DDFA232ull;
void __security_check_cookie(uintptr_t cookie) { if (cookie != __security_cookie) abort(); }
"""


def _msvc_runtime(job: _Job) -> tuple[list[str], list[str]]:
    """Link arguments that let an MSVC-built static library link with mingw-w64 (and
    errors): a folder of empty stand-ins for the MSVC runtime libraries its objects name
    by /DEFAULTLIB (the UCRT provides the C functions) and the stack-cookie object. Made
    once per proof."""
    from analyzer.sdk.requires import msvc_runtime_libraries

    key = ("<msvc-runtime>", "")  # kept beside the requirement libraries' objects: one per proof
    with job.library_objects.lock:
        if key in job.library_objects.done:
            return job.library_objects.done[key]
        folder = job.scratch / "msvc-runtime"
        folder.mkdir(parents=True, exist_ok=True)
        for name in msvc_runtime_libraries():
            (folder / f"lib{name}.a").write_bytes(b"!<arch>\n")
        source = folder / "stack_cookie.c"
        source.write_text(_STACK_COOKIE_C, encoding="utf-8")
        obj = folder / "stack_cookie.o"
        code, output = job.run([*_compile_command(job, "cc"), "-o", str(obj), str(source)], job.scratch)
        lines = output.strip().splitlines()
        done = (
            ([f"-L{folder}", str(obj)], [])
            if code == 0
            else ([], [f"MSVC runtime stand-in: {lines[-1] if lines else 'failed'}"[:300]])
        )
        job.library_objects.done[key] = done
        return done


def _prebuilt_arguments(job: _Job, libraries: Sequence[str]) -> tuple[list[str], list[str]]:
    """Link arguments for the requirements' static libraries among ``libraries`` (their
    folders, and the MSVC runtime stand-ins when one was built by MSVC), and errors."""
    by_name = {library.name.lower(): library for library in job.prebuilt}
    used = [by_name[name.lower()] for name in libraries if name.lower() in by_name]
    arguments = list(dict.fromkeys(f"-L{library.path.parent}" for library in used))
    if any(library.msvc for library in used):
        shim, errors = _msvc_runtime(job)
        if errors:
            return [], errors
        arguments += shim
    return arguments, []


# A generated header's text is the package's (its template), written only below scratch.
MAX_GENERATED_HEADER = 1024 * 1024


def write_generated_headers(plan: BuildPlan, destination: Path) -> tuple[tuple[Path, ...], list[str]]:
    """The headers the build writes at configure time (``configure_file``), as the model
    computed them for the proven model, written below ``destination``: the folders to
    include, and a note for each that could not be written (a value the model does not
    know: the header stays missing and the proof says which values)."""
    folders: dict[Path, None] = {}
    notes: list[str] = []
    for header in plan.generated_headers:
        text = header.text_on(MODEL)
        parts = header.path.split("/")
        if header.path.startswith("/") or ".." in parts or not header.path:
            continue
        if text is None:
            notes.append(
                f"{header.path} (from {header.template}) is generated with values the model does not know"
                f" on {MODEL}: {', '.join(header.unknown_for(MODEL)[:8]) or '?'}"
            )
            continue
        target = destination / header.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text[:MAX_GENERATED_HEADER], encoding="utf-8")
        folders.setdefault(destination, None)
        folders.setdefault(target.parent, None)
    return tuple(folders), notes


def _compilable(
    module: Module,
    base: Path,
    scratch: Path,
    requirement_dirs: Sequence[Path] = (),
    cython_tool: CythonTool | None = None,
) -> tuple[list[Path], str]:
    """The C/C++ sources to compile: a Cython source by the C shipped beside it, else by
    C that Cython generates into ``scratch``; or why the module cannot be tried. A source
    named outside the tree (absolute, ``../``, through a link) is refused, never read."""
    sources: list[Path] = []
    for rel in module.sources:
        if inside_file(base, rel) is None:
            return [], f"source {rel[:200]!r} is not a file inside the tree: refused"
        if rel.endswith((".pyx", ".py")):
            stem = rel.rsplit(".", 1)[0]
            suffixes = (".cpp", ".c") if module.cplus else (".c", ".cpp")
            shipped = next(
                (found for s in suffixes if (found := inside_file(base, stem + s)) is not None), None
            )
            if shipped is not None:
                sources.append(shipped)
                continue
            fetched = cython_tool is not None and cython_tool.path is not None
            if not fetched and not cython.available():
                return [], f"{rel}: Cython source without C, and the cython package is not installed"
            made, problems = cython.translate(
                base, [rel], scratch, 1, cplus=module.cplus, include_dirs=requirement_dirs, tool=cython_tool
            )
            if not made:
                return [], problems[0].message if problems else f"{rel}: Cython did not translate it"
            sources.append(made[0].path)
        elif rel.endswith(C_SUFFIXES + CXX_SUFFIXES):
            sources.append(base / rel)
    return sources, "" if sources else "no C or C++ source to compile"


def _tree_rel(path: Path, base: Path, module: Module) -> str:
    """Where a source is in the tree (C generated from Cython: its ``.pyx``)."""
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        stem = path.stem
        return next((s for s in module.sources if s.endswith(".pyx") and Path(s).stem == stem), path.name)


def _compile(job: _Job, module: Module, sources: list[Path]) -> tuple[list[str], list[str], list[Finding]]:
    """Objects, errors and findings of compiling ``sources``."""
    objects_dir = job.scratch / "obj" / job.sdk.python / module.name
    objects_dir.mkdir(parents=True, exist_ok=True)
    shims = _shims(job.scratch / "shims")
    values = job.plan.macro_values()
    texts = {n: t for n, t in job.plan.macro_texts(MODEL).items() if t != UNKNOWN_MACRO_TEXT}
    macros = [
        f"-D{name}={texts[name]}" if name in texts else f"-D{name}"
        for name, per in values.items()
        if per.get(MODEL) == 1
    ]
    unknown = sorted(name for name, per in values.items() if MODEL in per and per[MODEL] is MAYBE)
    if module.maybe:  # the build may leave this module out on ARM64 (a failed probe...)
        unknown = ["whether the build compiles this module on ARM64 at all", *unknown]
    includes = [f"-I{job.base / d}" for d in job.include_dirs] + [f"-I{d}" for d in job.generated_dirs]
    for library in _libraries_of(job, module):
        includes += [f"-I{d}" for d in library.include_dirs]
    includes += [f"-I{d}" for d in job.requirement_dirs]
    includes += [f"-I{job.sdk.include}", f"-I{shims}"]
    objects: list[str] = []
    errors: list[str] = []
    findings: list[Finding] = []
    for source in sources:
        rel = _tree_rel(source, job.base, module)
        driver = "c++" if source.suffix in CXX_SUFFIXES else "cc"
        obj = objects_dir / (rel.replace("/", "__").replace("..", "_") + ".o")
        command = [
            *_compile_command(job, driver),
            *MSVC_LENIENCY,
            f"-I{source.parent}",
        ]
        command += includes
        if time.monotonic() > job.deadline:
            errors.append(f"{STOPPED_NOTE} {DEADLINE_NOTE}")
            break
        flags = module.defines_of(rel)
        own = [f for f in flags if f.startswith("-D")] + standard_for(flags, driver == "c++")
        code, output = job.run([*command, *macros, *own, "-o", str(obj), str(source)], job.base)
        if output.startswith(STOPPED_NOTE):
            errors.append(output)
            break
        if code == 0:
            objects.append(str(obj))
            continue
        last = output.strip().splitlines()[-1] if output.strip() else "failed"
        made = {str(source.resolve()): rel} if rel.endswith(".pyx") else {}
        for path, line, column, message in diagnostics(output, job.base, made) or [(rel, 1, 1, last)]:
            findings.append(_finding(COMPILE_ERROR, path, line, column, message, unknown))
            errors.append(f"{path}:{line}:{column}: {message}")
    return objects, errors, findings


# A library the build links is a plain name the linker looks up in the SDK's folder: a
# name with a path in it ("../../../etc/x", "/abs") would have lld read outside the tree.
_LIBRARY_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+-]{0,100}")


def _mingw_name(library: str) -> str:
    """The library name mingw-w64's linker knows for a Windows SDK import library."""
    name = library.removesuffix(".lib")
    return mingw_import_libraries().get(name.lower(), name)


_DIRECTIVE = re.compile(rb"^[ \t]*#[ \t]*(if|ifdef|ifndef|elif|else|endif|define)\b[ \t]*(.*)$", re.MULTILINE)
_NOT_DEFINED = re.compile(rb"!\s*defined\s*(?:\(\s*Py_LIMITED_API\s*\)|Py_LIMITED_API)")
MAX_LIMITED_API_READ = 256 * 1024  # the macro comes before Python.h is included: near the top


def defines_limited_api(text: bytes) -> bool:
    """Does a source define ``Py_LIMITED_API`` for sure: at the top level, or only under
    its own ``#ifndef Py_LIMITED_API`` guard. A definition under any other condition
    (Cython's C defines it when ``CYTHON_LIMITED_API`` is set) decides nothing."""
    guards: list[bool] = []  # per open #if: is it the "not yet defined" guard?
    for match in _DIRECTIVE.finditer(text):
        kind, rest = match.group(1), match.group(2).strip()
        if kind == b"ifndef":
            guards.append(rest == b"Py_LIMITED_API")
        elif kind == b"if":
            guards.append(_NOT_DEFINED.fullmatch(rest) is not None)
        elif kind == b"ifdef":
            guards.append(False)
        elif kind in (b"elif", b"else") and guards:
            guards[-1] = False
        elif kind == b"endif" and guards:
            guards.pop()
        elif kind == b"define" and re.match(rb"Py_LIMITED_API\b", rest) and all(guards):
            return True
    return False


def _limited_api(job: _Job, module: Module) -> bool:
    """Is ``module`` built for the limited API: ``Py_LIMITED_API`` defined by the build
    (for all units or for one of the module's) or by one of its C sources."""
    if job.plan.macro_values().get("Py_LIMITED_API", {}).get(MODEL) == 1:
        return True
    if any(f.startswith("-DPy_LIMITED_API") for _, flags in module.defines for f in flags):
        return True
    for rel in module.sources:
        path = inside_file(job.base, rel)
        if path is None or not rel.endswith(C_SUFFIXES + CXX_SUFFIXES):
            continue
        try:
            with path.open("rb") as stream:
                if defines_limited_api(stream.read(MAX_LIMITED_API_READ)):
                    return True
        except OSError:
            continue
    return False


def _link(job: _Job, module: Module, objects: list[str], output_rel: str, cplus: bool) -> list[str]:
    """Link errors (none when the module linked). A module with C++ in it is linked by
    the C++ driver, which adds the C++ runtime (``operator new`` and the rest)."""
    target = job.out_dir / output_rel
    target.parent.mkdir(parents=True, exist_ok=True)
    # prove_module refused the module before linking if a name was not plain.
    wanted = [lib for lib in module.libraries if not lib.lower().startswith("python")]
    own = list(dict.fromkeys(f"-l{_mingw_name(lib)}" for lib in [*wanted, *job.tree.pragma_libraries]))
    # A limited-API module links the stable-ABI library, as MSVC's build does (pyconfig.h
    # names python3.lib under Py_LIMITED_API): a non-stable name it uses fails to link.
    python = "-lpython3" if _limited_api(job, module) else f"-l{job.sdk.dll.removesuffix('.dll')}"
    driver = "c++" if cplus else "cc"
    # Prebuilt objects the build links (extra_objects): read by the linker, never run.
    prebuilt = [str(found) for rel in module.objects if (found := inside_file(job.base, rel)) is not None]
    command = [*job.zig, driver, "-target", TARGET, "-shared", "-o", str(target), *objects, *prebuilt]
    if time.monotonic() > job.deadline:
        return [f"{STOPPED_NOTE} {DEADLINE_NOTE}"]
    static, errors = _prebuilt_arguments(job, wanted)
    if errors:
        return errors
    code, output = job.run([*command, *static, f"-L{job.sdk.libs}", python, *own], job.base)
    if code == 0:
        return []
    if output.startswith(STOPPED_NOTE):
        return [output]
    return (
        _UNDEFINED.findall(output)
        or [line.split("error: ", 1)[1] for line in output.splitlines() if "error: " in line]
        or [output.strip().splitlines()[-1] if output.strip() else "link failed"]
    )


def _pe_problems(path: Path, output_rel: str, dll: str) -> tuple[str, tuple[str, ...], list[str]]:
    """The module's machine, imports and what is wrong with them (ARM64, the Python DLL)."""
    try:
        info = read_pe(path.read_bytes())
    except (OSError, PEError) as error:
        return "", (), [f"{output_rel}: {error}"]
    problems = []
    if info.machine != MACHINE_ARM64:
        problems.append(f"{output_rel}: machine {info.machine:#06x}, not ARM64 (0xaa64)")
    # A module may use no Python API at all (pycryptodome's, loaded with ctypes): then it
    # imports no Python DLL, which is fine. Importing another Python's DLL is not.
    pythons = {n.lower() for n in info.imports if re.fullmatch(r"python\d+\.dll", n.lower())}
    wrong = sorted(pythons - {dll.lower(), "python3.dll"})
    if wrong:
        problems.append(f"{output_rel}: imports {', '.join(wrong)}, not {dll}")
    return f"{info.machine:#06x}", info.imports, problems


# An extension module's name becomes paths (the .pyd, its objects): only a dotted Python
# identifier is allowed, so "../x", "/abs/x" or ".hidden" cannot place files outside OUT.
_MODULE_NAME = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")


def _compile_not_proven(job: _Job, module: Module, errors: Sequence[str]) -> tuple[str, str] | None:
    """(why, reason code) when compile errors say nothing about the package's code: a
    header neither the tree, its requirements, the SDK nor the toolchain has (one the
    build generates, or a library's), or a build the model does not know well enough."""
    missing = sorted({m.group(1) for e in errors if (m := _NOT_FOUND.search(e)) is not None})
    if missing:
        # A header the plan saw the configure step write (whatever its template's name:
        # numpy's npy_cpu_dispatch_config.h from main_config.h.in), or one the tree has a
        # same-named template of.
        planned = {Path(h.path).name: h.template for h in job.plan.generated_headers}
        templates = _header_templates({**job.tree.templates, **planned}, missing)
        if templates:
            names = {Path(m).name for m in missing}
            unknown = [
                name
                for header in job.plan.generated_headers
                if Path(header.path).name in names and header.text_on(MODEL) is None
                for name in header.unknown_for(MODEL)
            ]
            known = (
                f"; values the model does not know: {', '.join(dict.fromkeys(unknown))}" if unknown else ""
            )
            return f"header(s) the build generates: {', '.join(templates)}{known}", "generated-header"
        linked = _libraries_named_by(missing, module.libraries)
        # Or a library the build looks for (psycopg2 asks pg_config for libpq's folders).
        # Where the model saw no lookup, the build files' text names it. A header named
        # after the tool asked (pg_config.h of pg_config) is its library's.
        lookups = [(d.name, d.route) for d in job.plan.dependencies if dict(d.looked_on).get(MODEL, 0) != 0]
        lookups += job.tree.named_libraries
        stems = {Path(m).stem.lower() for m in missing}
        sought = [] if linked else _libraries_named_by(missing, [name for name, _ in lookups])
        sought = sought or [name for name, route in lookups if route.split(" ", 1)[0].lower() in stems]
        sought = list(dict.fromkeys(sought))
        if linked or sought:
            how = "links" if linked else "looks for"
            return (
                f"header(s) not found: {', '.join(missing)}, of {', '.join(linked or sought)}, which the"
                f" build {how} and neither the tree nor the SDK provides: an ARM64 build is needed",
                "external-library",
            )
        return (
            f"header(s) not found: {', '.join(missing)} (from a build requirement or a library?)",
            "missing-header",
        )
    doubt = _build_doubt(job, module, errors)
    if doubt is not None:
        why, code = doubt
        return f"{why}; it did not compile here: {errors[0][:300]}", code
    return None


# Errors that are the code's whatever the build adds: x86 intrinsics and headers.
_X86_ERROR = re.compile(
    r"only meant to be used on x86|__m(?:64|128|256|512)|\b_mm\d*_\w+|__cpuid|x86intrin|immintrin"
)


def _libraries_named_by(headers: Sequence[str], libraries: Sequence[str]) -> list[str]:
    """The libraries the build links whose name a missing header carries (``crc32c/
    crc32c.h`` of ``crc32c``, ``librdkafka/rdkafka.h`` of ``rdkafka``, ``libpq-fe.h`` of
    ``pq``): the header is that library's, not the tree's."""
    words = {word for header in headers for word in re.split(r"[/\\._-]+", header.lower()) if word}
    found = []
    for library in libraries:
        name = library.lower().removeprefix("lib")
        if name and (name in words or f"lib{name}" in words):
            found.append(library)
    return found


def _build_doubt(job: _Job, module: Module, errors: Sequence[str] = ()) -> tuple[str, str] | None:
    """Why a failure of ``module`` may be the model's rather than the package's: the build
    defines a macro with a value the model could not compute (tree-sitter's version
    string), or compiles the module on ARM64 only on some paths (a CMake probe the model
    could not settle). (why, reason code), or None when the build is known."""
    values = job.plan.macro_values()
    unknown = sorted(
        name
        for name, text in job.plan.macro_texts(MODEL).items()
        if text == UNKNOWN_MACRO_TEXT and values.get(name, {}).get(MODEL) == 1
    )
    if unknown:
        return f"the build gives {', '.join(unknown[:3])} a value woaport could not compute", "macro-value"
    if module.maybe:
        return "the build may not compile this module on ARM64 at all", "maybe-compiled"
    if job.plan.build_time_edits and not any(_X86_ERROR.search(e) for e in errors):
        where = job.plan.build_time_edits[0]
        return f"the build changes its extensions' settings when it runs ({where})", "build-logic"
    return None


def prove_module(module: Module, job: _Job) -> ModuleProof:
    """Compile each source, link the module, check the PE."""
    python = job.sdk.python
    if _MODULE_NAME.fullmatch(module.name) is None or len(module.name) > 200:
        why = f"the module name {module.name[:80]!r} is not a dotted Python identifier: refused"
        return ModuleProof(module.name, python, False, False, not_proven=why, reason="refused")
    sources, why_not = _compilable(
        module, job.base, job.scratch / "cython" / python / module.name, job.requirement_dirs, job.cython_tool
    )
    if why_not:
        code = "refused" if "refused" in why_not else "cython" if "Cython" in why_not else "no-source"
        return ModuleProof(module.name, python, False, False, not_proven=why_not, reason=code)
    reads = [
        f"{rel}: {what}"
        for rel, what in job.tree.asm_outside
        if rel in module.sources or not rel.endswith(C_SUFFIXES + CXX_SUFFIXES)
    ]
    if reads:
        why = f"an assembler directive may read a file outside the tree ({reads[0]}): refused"
        return ModuleProof(module.name, python, False, False, not_proven=why, reason="refused")
    objects, errors, findings = _compile(job, module, sources)
    stopped = _stopped(errors)
    if stopped:
        code = _stop_reason(stopped)
        return ModuleProof(
            module.name, python, False, False, errors=tuple(errors), not_proven=stopped, reason=code
        )
    if errors:
        excuse = _compile_not_proven(job, module, errors)
        if excuse is not None:
            why, code = excuse
            kept = () if code in ("generated-header", "missing-header") else tuple(findings)
            return ModuleProof(
                module.name,
                python,
                False,
                False,
                errors=tuple(errors),
                findings=kept,
                not_proven=why,
                reason=code,
            )
        return ModuleProof(module.name, python, False, False, errors=tuple(errors), findings=tuple(findings))
    for library in _libraries_of(job, module):
        built, failed_library = _requirement_library(job, library)
        if failed_library:
            why = f"the build compiles {library.name}'s library into it, which did not compile here"
            return ModuleProof(
                module.name,
                python,
                True,
                False,
                errors=tuple(failed_library),
                not_proven=f"{why}: {failed_library[0]}",
                reason="requirement-library",
            )
        objects = [*objects, *built]
    output_rel = f"{module.name.replace('.', '/')}.cp{python.replace('.', '')}-win_arm64.pyd"
    odd = [lib for lib in module.libraries if _LIBRARY_NAME.fullmatch(lib) is None]
    if odd:
        why = f"the build links {odd[0][:200]!r}, which is not a plain library name: refused"
        return ModuleProof(module.name, python, True, False, not_proven=why, reason="refused")
    cplus = module.cplus or any(source.suffix in CXX_SUFFIXES for source in sources)
    failed = _link(job, module, objects, output_rel, cplus)
    stopped = _stopped(failed)
    if stopped:
        code = _stop_reason(stopped)
        return ModuleProof(
            module.name, python, True, False, errors=tuple(failed), not_proven=stopped, reason=code
        )
    libraries = sorted({m.group(1) for e in failed if (m := _NO_LIBRARY.search(e)) is not None})
    if libraries:
        named = ", ".join(libraries)
        why = f"links {named}, which neither the tree nor the SDK provides: an ARM64 build is needed"
        return ModuleProof(
            module.name, python, True, False, errors=tuple(failed), not_proven=why, reason="external-library"
        )
    if failed:
        owners = _defined_by_other_targets(job, module, failed)
        doubt = _build_doubt(job, module, failed) if not owners else None
        if doubt is not None:  # what the link missed may be what the build adds when it runs
            why, code = doubt
            return ModuleProof(
                module.name,
                python,
                True,
                False,
                errors=tuple(failed),
                not_proven=f"{why}; it did not link here: {failed[0][:300]}",
                reason=code,
            )
        if owners:  # the build links another target of its own in (meson link_with)
            why = (
                f"links code the build compiles for {', '.join(owners[:3])}, which the model does not"
                " join in yet"
            )
            return ModuleProof(
                module.name, python, True, False, errors=tuple(failed), not_proven=why, reason="other-target"
            )
        found = tuple(_finding(LINK_ERROR, module.build_file, module.line, 1, message) for message in failed)
        return ModuleProof(module.name, python, True, False, errors=tuple(failed), findings=found)
    machine, imports, problems = _pe_problems(job.out_dir / output_rel, output_rel, job.sdk.dll)
    return ModuleProof(module.name, python, True, not problems, output_rel, machine, imports, tuple(problems))


_UNDEFINED_SYMBOL = re.compile(r"undefined symbol: (?:__declspec\(dllimport\) )?([A-Za-z_]\w*)$")
_MAX_OWNER_BYTES = 2 * 1024 * 1024


def _libraries_of(job: _Job, module: Module) -> list[RequirementLibrary]:
    """The requirement libraries the build function that made ``module`` compiles in."""
    return [lib for lib in job.requirement_libraries if module.made_by and module.made_by in lib.functions]


def _defined_by_other_targets(job: _Job, module: Module, errors: Sequence[str]) -> list[str]:
    """The other build targets whose sources define every symbol the link of ``module``
    missed (pandas' ``pandas_parser`` links ``tokenizer_lib`` through a meson
    dependency): then the failure is the model's, not the package's. [] otherwise."""
    names = {m.group(1) for e in errors if (m := _UNDEFINED_SYMBOL.search(e.strip())) is not None}
    if not names or len(names) != len(errors):
        return []
    owners: dict[str, set[str]] = {}
    for use in job.plan.sources:
        if use.target == module.name or use.path in module.sources or dict(use.compiled).get(MODEL, 0) == 0:
            continue
        path = inside_file(job.base, use.path)
        if path is None or not use.path.endswith(C_SUFFIXES + CXX_SUFFIXES):
            continue
        try:
            if path.stat().st_size > _MAX_OWNER_BYTES:
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for name in names:
            # A definition: the name, its parameters, then a body (not a declaration's ";").
            if re.search(rf"\b{re.escape(name)}\s*\([^;{{}}]*\)\s*\{{", text):
                owners.setdefault(name, set()).add(use.target or use.path)
    if set(owners) != names:
        return []
    return sorted({owner for found in owners.values() for owner in found})


DEADLINE_NOTE = "limit reached: prove's overall time limit"


@lru_cache(maxsize=8)
def default_toolchain_dirs(zig: tuple[str, ...]) -> tuple[Path, ...]:
    """zig's library directory, the toolchain part of what a compile may read; none when
    ``zig`` does not run (a stand-in in tests: nothing to confine then)."""
    try:
        return (zig_lib_dir(list(zig)),)
    except SdkError:
        return ()


def _stop_reason(stopped: str) -> str:
    return "toolchain" if "crashed" in stopped or "could not start" in stopped else "limit"


def _header_templates(templates: Mapping[str, str], missing: Sequence[str]) -> list[str]:
    """For each missing header the tree has a template of (``config.h.in``,
    ``version.h.cmake``): "header (from template)". The build generates these."""
    return [
        f"{header} (from {templates[Path(header).name]})"
        for header in missing
        if Path(header).name in templates
    ]


def _stopped(errors: Sequence[str]) -> str:
    """Why the toolchain gave no answer of its own ("" if it did)."""
    return next((e.removeprefix(STOPPED_NOTE).strip() for e in errors if e.startswith(STOPPED_NOTE)), "")


def toolchain_runner(
    zig_cache: Path | None = None, limits: ChildLimits = CHILD_LIMITS, deadline: float | None = None
) -> Runner:
    """Run a toolchain command (zig, never package code): its exit code and output, in
    a private temporary directory, within ``limits`` and before ``deadline``
    (``time.monotonic()``). A limit or a crash is told as ``STOPPED_NOTE`` + why.
    ``zig_cache``: zig's global cache (its compiled mingw-w64 runtime: minutes to build
    the first time), kept with woaport's cache rather than wherever zig would put it."""
    env = {**os.environ, "ZIG_GLOBAL_CACHE_DIR": str(zig_cache)} if zig_cache is not None else None

    def run(command: list[str], cwd: Path) -> tuple[int, str]:
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left <= 0:
            return STOPPED, f"{STOPPED_NOTE} {DEADLINE_NOTE}"
        outcome = run_limited(command, cwd, limits, env, seconds=left)
        if outcome.stopped:
            return STOPPED, f"{STOPPED_NOTE} {outcome.stopped}"
        return outcome.code, outcome.output

    return run


_PRAGMA_LIB = re.compile(rb'#\s*pragma\s+comment\s*\(\s*lib\s*,\s*"([^"\n]{1,100})"\s*\)')


def _tree_facts(base: Path, max_bytes: int = 4 * 1024 * 1024) -> _TreeFacts:
    asm: list[tuple[str, str]] = []
    templates: dict[str, str] = {}
    pragma_libraries: dict[str, None] = {}
    suffixes = (*C_SUFFIXES, *CXX_SUFFIXES, *ASM_SUFFIXES, *HEADER_SUFFIXES)
    for path in sorted(base.rglob("*")):
        if path.suffix not in suffixes + _TEMPLATE_SUFFIXES or path.is_symlink() or not path.is_file():
            continue
        rel = path.relative_to(base).as_posix()
        if path.suffix in _TEMPLATE_SUFFIXES:
            templates.setdefault(path.name.removesuffix(path.suffix), rel)
            continue
        try:
            if path.stat().st_size > max_bytes:
                continue
            text = path.read_bytes()
        except OSError:
            continue
        if b".inc" in text:
            asm.extend((rel, what) for what in asm_reads_outside(text))
        if b"comment" in text:
            for found in _PRAGMA_LIB.findall(text):
                name = found.decode("ascii", "replace").removesuffix(".lib").removesuffix(".LIB")
                if _LIBRARY_NAME.fullmatch(name) and not name.lower().startswith("python"):
                    pragma_libraries[name] = None
    named: list[tuple[str, str]] = []
    for path in sorted(base.iterdir()) if base.is_dir() else ():
        if is_dependency_file(path.name) and path.is_file() and not path.is_symlink():
            try:
                if path.stat().st_size <= max_bytes:
                    build_text = path.read_text(encoding="utf-8", errors="replace")
                    named += [(d.name, d.route) for d in dependencies_in(path.name, build_text)]
            except OSError:
                continue
    return _TreeFacts(tuple(asm), templates, tuple(pragma_libraries), tuple(dict.fromkeys(named)))


def prove(
    base: Path,
    plan: BuildPlan,
    sdks: Sequence[Sdk],
    out_dir: Path,
    zig: Sequence[str],
    run: Runner | None = None,
    jobs: int = 2,
    limits: ChildLimits = CHILD_LIMITS,
    toolchain_dirs: Sequence[Path] | None = None,
    progress: Callable[[ModuleProof, float], None] | None = None,
    requirement_dirs: Sequence[Path] = (),
    cython_tool: CythonTool | None = None,
    requirement_libraries: Sequence[RequirementLibrary] = (),
    prebuilt: Sequence[PrebuiltLibrary] = (),
) -> ProofResult:
    """Prove each module of ``plan`` for each SDK. The compiler sees only the tree, the
    SDKs, zig's own headers and a private scratch directory (a file system overlay);
    sources and include directories outside the tree are refused, and the whole run
    ends by ``limits.prove_seconds`` (what is left is "not proven: limit reached").
    ``toolchain_dirs``: what the compiler may read of the toolchain (default: zig's
    library directory, asked of zig; none when ``zig`` does not run). ``requirement_dirs``:
    include folders of the build requirements' wheels (:mod:`analyzer.sdk.requires`);
    ``cython_tool``: the Cython they ask for (:func:`analyzer.sdk.requires.resolve_cython`);
    ``prebuilt``: static libraries their wheels ship, linked where a module names them."""
    base, out_dir = base.resolve(), out_dir.resolve()  # commands run in the tree: absolute paths
    deadline = time.monotonic() + limits.prove_seconds
    modules = modules_of(plan)
    runner = run or toolchain_runner(limits=limits, deadline=deadline)
    if toolchain_dirs is None:
        toolchain_dirs = default_toolchain_dirs(tuple(zig)) if modules else ()
    notes = []
    include_dirs = []
    for directory in plan.include_dirs:
        if inside(base, directory, allow_root=True) is None:
            notes.append(f"include directory {directory[:200]!r} is outside the tree: not used")
        else:
            include_dirs.append(directory)
    escaping = links_outside(base)
    scratch = Path(tempfile.mkdtemp(prefix="woaport-prove-"))
    try:
        if not modules or not sdks:
            proofs = []
        elif escaping:
            why = f"the tree has links that lead outside it ({', '.join(escaping[:3])}): refused"
            proofs = [
                ModuleProof(m.name, s.python, False, False, not_proven=why, reason="refused")
                for s in sdks
                for m in modules
            ]
        else:
            requirement_dirs = tuple(d.resolve() for d in requirement_dirs)
            generated_dirs, unwritten = write_generated_headers(plan, scratch / "generated")
            notes.extend(unwritten)
            allowed = (base, scratch, *(s.include for s in sdks), *toolchain_dirs, *requirement_dirs)
            job = _Job(
                base,
                plan,
                sdks[0],
                out_dir,
                tuple(zig),
                runner,
                scratch,
                scratch / "overlay.yaml",
                tuple(include_dirs),
                deadline,
                _tree_facts(base),
                requirement_dirs,
                cython_tool,
                generated_dirs,
                tuple(requirement_libraries),
                prebuilt=tuple(prebuilt),
            )
            job.overlay.write_text(compiler_overlay(list(allowed)), encoding="utf-8")
            proofs = _prove_all(modules, sdks, job, jobs, progress)
    finally:  # objects and generated C are scratch, also on Ctrl-C
        shutil.rmtree(scratch, ignore_errors=True)
    proofs += [
        ModuleProof(crate, sdk.python, False, False, not_proven=RUST_NOT_PROVEN, reason="rust")
        for crate in rust_crates(plan)
        for sdk in sdks
    ]
    if not modules:
        notes.append("the build model found no extension module compiled on mingw-arm64")
    if "conventional" in plan.systems:
        notes.extend(plan.notes)  # how sure the modules are: guessed, each only "maybe"
    notes.append(
        "proven: the clang/mingw-w64 model (mingw-arm64). cl.exe-only problems (__aarch64__ vs _M_ARM64,"
        " GNU asm under cl.exe) are the analyzer's findings, not proven here."
    )
    return ProofResult(tuple(proofs), tuple((s.python, s.source) for s in sdks), tuple(notes))


def _prove_all(
    modules: list[Module],
    sdks: Sequence[Sdk],
    job: _Job,
    jobs: int,
    progress: Callable[[ModuleProof, float], None] | None = None,
) -> list[ModuleProof]:
    by_sdk = {sdk.python: replace(job, sdk=sdk) for sdk in sdks}
    work = [(module, sdk) for sdk in sdks for module in modules]

    def one(item: tuple[Module, Sdk]) -> ModuleProof:
        started = time.monotonic()
        proof = prove_module(item[0], by_sdk[item[1].python])
        if progress is not None:
            progress(proof, time.monotonic() - started)
        return proof

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(one, work))


def failed_modules(result: ProofResult) -> list[ModuleProof]:
    """The modules whose own code or build failed to compile or link: what makes ``prove``
    exit 1. A module honestly not proven (Rust, an external library, a header from a build
    requirement, a limit) is not one, nor is a package with no compiled module."""
    return [m for m in result.modules if not m.built and not m.not_proven]


class ToolchainProbeJudge(ProbeJudge):
    """Compile probes decided by compiling them: what the fast mode cannot tell for the
    proven model (``HAVE_STDINT_H`` from a test program, ``-mavx2`` accepted or not) is
    settled by zig cc for aarch64-windows-gnu, compiled and linked, never run."""

    def __init__(
        self,
        rules: tuple[Rule, ...],
        targets: TargetData,
        zig: Sequence[str],
        run: Runner,
        include: Path,
        scratch: Path,
        toolchain_dirs: Sequence[Path] | None = None,
    ) -> None:
        super().__init__(rules, targets)
        self.zig, self.run, self.include, self.scratch = tuple(zig), run, include, scratch
        # A probe's text comes from the package: it sees only the SDK, zig and scratch.
        toolchain = default_toolchain_dirs(self.zig) if toolchain_dirs is None else tuple(toolchain_dirs)
        self.allowed = (include, scratch, *toolchain)

    def _judge(self, text: str) -> Mapping[str, Value]:
        verdict = dict(super()._judge(text))
        if verdict.get(MODEL) == MAYBE:
            verdict[MODEL] = self._compiles(text)
        return verdict

    def _compiles(self, text: str) -> Value:
        self.scratch.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:16]
        cplus = probe_language(text) is Language.CPP
        source = self.scratch / f"probe_{digest}.{'cpp' if cplus else 'c'}"
        source.write_text(text, encoding="utf-8", errors="replace")
        linked = "main" in text
        output = self.scratch / f"probe_{digest}.{'exe' if linked else 'o'}"
        driver = "c++" if cplus else "cc"
        overlay = self.scratch / "overlay.yaml"
        if not overlay.is_file():
            overlay.write_text(compiler_overlay(list(self.allowed)), encoding="utf-8")
        # The check's own arguments (-Werror...); without them warnings are silenced.
        args = probe_args(text)
        quiet = [] if any(a.startswith("-Werror") for a in args) else ["-w"]
        command = [
            *self.zig,
            driver,
            "-target",
            TARGET,
            *quiet,
            *args,
            "-ivfsoverlay",
            str(overlay),
            f"-I{self.include}",
            str(source),
            "-o",
            str(output),
        ]
        code, _ = self.run(command if linked else [*command, "-c"], self.scratch)
        return 1 if code == 0 else 0


def plan_for_proof(
    root: Path, zig: Sequence[str], run: Runner, include: Path, toolchain_dirs: Sequence[Path]
) -> BuildPlan | None:
    """The build model of ``root`` as a proof needs it: probes the fast mode cannot
    decide are compiled (never run) for ARM64 against the SDK's headers ``include``. A
    setup.py it cannot read gets the conventional layout's guess (every module "maybe");
    None when there is no build to read or guess."""
    from analyzer.project import TreeOptions, open_project
    from analyzer.targets import load_targets

    targets = load_targets()
    with tempfile.TemporaryDirectory(prefix="woaport-probes-") as probes:
        judge = ToolchainProbeJudge(default_rules(), targets, zig, run, include, Path(probes), toolchain_dirs)
        project = open_project(root, TreeOptions(), default_rules(), targets, judge=judge)
    if project.plan is not None:
        return project.plan
    # A setup.py the model cannot read: the conventional layout, every module "maybe".
    from analyzer.buildmodel.conventional import MAX_SOURCE_BYTES, conventional_plan, uses_extensions
    from analyzer.buildmodel.model import tree_reader

    read = tree_reader(root, MAX_SOURCE_BYTES)
    if not uses_extensions(read):
        return None
    cython = [f for f in project.all_files if f.endswith(".pyx")]
    sources = [s.rel for s in project.files if not s.is_header] + cython
    return conventional_plan(sorted(set(sources)), read, targets.names)
