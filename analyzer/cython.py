"""Cython sources an sdist ships without their generated C (I/O): translated to C with
the ``cython`` package into a scratch directory, so that the scan (and ``prove``) see
what the build would compile. Cython is a code generator: it reads the ``.pyx`` and the
``.pxd``/``.pxi`` files it names and writes C; it runs nothing from the package. Each
translation runs in its own process, with a time limit."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import posixpath
import re
import shutil
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from analyzer.childproc import LIMIT_NOTE, run_limited
from analyzer.limits import CHILD_LIMITS, ChildLimits
from analyzer.model import Finding, Language, Location, ScanWarning
from analyzer.native.sources import SourceFile, cython_line_map, cython_source_at
from analyzer.paths import inside_file, may_leave_tree

if TYPE_CHECKING:  # the index client loads only for a proof that fetches a Cython
    from analyzer.sdk.requires import CythonTool

MAX_TRANSLATIONS = 300  # a tree with more .pyx than this is translated in part (said once)
# Cython's ``include "file"``: a name that leaves the tree (absolute, ``..``) is refused.
_INCLUDE_STATEMENT = re.compile(rb"""^[ \t]*include[ \t]+[rRbBuU]?(["'])(.*?)\1""", re.M)
_CPLUSPLUS = b"distutils: language = c++"
# Part of every cached translation's key: bumped when how Cython is run changes what a
# translation (or a refusal) would be. 2: run with -P, so a cython.py in the tree is not
# what runs (a refusal recorded before could be that module's doing).
_TRANSLATION_FORMAT = 2


def available() -> bool:
    return importlib.util.find_spec("Cython") is not None


def untranslated(all_files: list[str]) -> list[str]:
    """The ``.pyx`` files with no ``.c``/``.cpp`` beside them."""
    present = set(all_files)
    return sorted(
        rel
        for rel in all_files
        if rel.endswith(".pyx") and not {posixpath.splitext(rel)[0] + s for s in (".c", ".cpp")} & present
    )


def _includes_outside(base: Path, rels: list[str]) -> list[tuple[str, str]]:
    """(file, name) of each Cython ``include`` in ``rels`` whose name leaves the tree."""
    found = []
    for rel in rels:
        path = inside_file(base, rel)
        try:
            text = path.read_bytes() if path is not None and path.stat().st_size < 16 * 1024 * 1024 else b""
        except OSError:
            continue
        if b"include" not in text:
            continue
        for match in _INCLUDE_STATEMENT.finditer(text):
            name = match.group(2).decode("utf-8", "replace")
            if may_leave_tree(name):
                found.append((rel, name))
    return found


def _tree_key(base: Path, all_files: list[str] | None, version: str) -> str:
    """What every translation in the tree depends on besides its own ``.pyx``: Cython's
    version and the ``.pxd``/``.pxi`` files it may read (their names and contents)."""
    digest = hashlib.sha256(f"{_TRANSLATION_FORMAT}\0{version}".encode())
    for rel in sorted(f for f in (all_files or []) if f.endswith((".pxd", ".pxi"))):
        digest.update(rel.encode())
        try:
            digest.update(hashlib.sha256((base / rel).read_bytes()).digest())
        except OSError:
            digest.update(b"?")
    return digest.hexdigest()


def _cython_version() -> str:
    import importlib.metadata  # only when Cython runs: its import is slow for a small scan

    try:
        return importlib.metadata.version("cython")
    except importlib.metadata.PackageNotFoundError:
        return "?"


def translate(
    base: Path,
    pyx: list[str],
    scratch: Path,
    jobs: int = 2,
    cache: Path | None = None,
    all_files: list[str] | None = None,
    limits: ChildLimits = CHILD_LIMITS,
    cplus: bool = False,
    include_dirs: Sequence[Path] = (),
    tool: CythonTool | None = None,
) -> tuple[list[SourceFile], list[ScanWarning]]:
    """C for each ``.pyx`` in ``scratch`` (same relative paths), as source files whose
    ``rel`` is where the C would sit in the tree; a file Cython rejects is a warning.
    ``cache``: a directory of earlier translations, keyed by the ``.pyx``'s bytes, its
    path, Cython's version and the tree's ``.pxd``/``.pxi`` files (a translation costs
    about half a second of CPU per file: numpy's 22 took 10 s). ``include_dirs``: where
    ``cimport`` also looks (the build requirements' ``.pxd`` files woaport fetched).
    ``tool``: the Cython the package's build requirements ask for (an unpacked wheel put
    first on the tool's PYTHONPATH); default: the installed one."""
    warnings: list[ScanWarning] = []
    version = tool.version if tool is not None else _cython_version()
    tree_key = _tree_key(base, all_files, version) if cache is not None else ""
    env = {**os.environ, "PYTHONPATH": str(tool.path)} if tool is not None and tool.path is not None else None
    if len(pyx) > MAX_TRANSLATIONS:
        warnings.append(
            ScanWarning(
                "", f"{len(pyx)} Cython sources without C: only the first {MAX_TRANSLATIONS} translated"
            )
        )
        pyx = pyx[:MAX_TRANSLATIONS]

    deadline = time.monotonic() + limits.cython_seconds
    outside = _includes_outside(base, [*pyx, *(f for f in all_files or [] if f.endswith((".pxi", ".pxd")))])

    def one(rel: str) -> SourceFile | ScanWarning:
        source = inside_file(base, rel)
        if source is None:
            return ScanWarning(rel, "Cython source outside the tree: refused")
        if outside:
            where, name = outside[0]
            return ScanWarning(rel, f"{where}: include {name[:200]!r} leaves the tree: not translated")
        try:
            text = source.read_bytes()
        except OSError as error:
            return ScanWarning(rel, f"Cython source unreadable: {error}")
        # C++ when the build says so (Extension(language="c++")) or the file does.
        as_cplus = cplus or _CPLUSPLUS in text[:4096]
        out_rel = posixpath.splitext(rel)[0] + (".cpp" if as_cplus else ".c")
        target = scratch / out_rel
        target.parent.mkdir(parents=True, exist_ok=True)
        language = Language.CPP if as_cplus else Language.C
        key = hashlib.sha256(f"{tree_key}\0{rel}\0{as_cplus}\0".encode() + text).hexdigest()
        cached = cache / f"{key}.c" if cache is not None else None
        if cached is not None and cached.is_file():
            shutil.copyfile(cached, target)
            return SourceFile(target, out_rel, language, False, target.stat().st_size)
        refused = cached.with_suffix(".refused") if cached is not None else None
        if refused is not None and refused.is_file():  # Cython refused these bytes before
            return ScanWarning(rel, refused.read_text(encoding="utf-8", errors="replace"))
        command = [
            sys.executable,
            # -P: the tree is the working directory, and "python -m" would otherwise put
            # it first on sys.path, so a cython.py the sdist ships would run instead.
            "-P",
            "-m",
            "cython",
            "-3",
            "-I",
            str(base),
            "-I",
            str(source.parent),
            *(arg for directory in include_dirs for arg in ("-I", str(directory))),
            "-o",
            str(target),
        ]
        if as_cplus:
            command.append("--cplus")
        left = deadline - time.monotonic()
        if left <= 0:
            return ScanWarning(
                rel, f"{LIMIT_NOTE}: Cython's {limits.cython_seconds:.0f} s for the tree used up"
            )
        done = run_limited([*command, rel], base, limits, env=env, seconds=left)
        if done.stopped:
            return ScanWarning(rel, f"Cython did not translate it ({done.stopped}): not scanned")
        if done.code != 0 or not target.is_file():
            lines = [line.strip() for line in done.output.splitlines() if line.strip()]
            # Cython ends with "file.pyx:line:col: what": the useful part.
            reason = next(
                (line for line in reversed(lines) if ".pyx:" in line), lines[-1] if lines else "failed"
            )
            message = f"Cython could not translate it ({reason[:200]}): not scanned"
            if refused is not None:
                refused.parent.mkdir(parents=True, exist_ok=True)
                refused.write_text(message, encoding="utf-8")
            return ScanWarning(rel, message)
        if cached is not None:
            cached.parent.mkdir(parents=True, exist_ok=True)
            partial = cached.with_suffix(f".{os.getpid()}.tmp")
            shutil.copyfile(target, partial)
            os.replace(partial, cached)  # a reader never sees half a file
        return SourceFile(target, out_rel, language, False, target.stat().st_size)

    from concurrent.futures import ThreadPoolExecutor  # only when there is Cython to translate

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        results = list(pool.map(one, pyx))
    files = [r for r in results if isinstance(r, SourceFile)]
    warnings += [r for r in results if isinstance(r, ScanWarning)]
    return files, warnings


_INCLUDE = re.compile(r'#\s*include\s*[<"]([^>"]+)[>"]')


def _extern_line(pyx: Path, header: str) -> int | None:
    """The line of the ``cdef extern from`` naming ``header`` in ``pyx`` (Cython writes
    its ``#include`` in the C's preamble, where no marker maps it back)."""
    try:
        lines = pyx.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    return next((n for n, text in enumerate(lines, 1) if "extern from" in text and header in text), None)


def generated_findings(
    findings: list[Finding], generated: dict[str, str], base: Path
) -> tuple[list[Finding], int]:
    """Findings in C this scan generated from Cython, as the user should see them: those
    mapped to a ``.pyx`` line are kept; an ``#include`` Cython wrote for a ``cdef extern
    from "x.h"`` moves to that line of the ``.pyx``; the rest is Cython's own runtime
    support code (it supports ARM64): dropped, and counted."""
    out: list[Finding] = []
    dropped = 0
    for finding in findings:
        pyx = generated.get(finding.location.path)
        if pyx is None or finding.generated_from is not None:
            out.append(finding)
            continue
        header = _INCLUDE.search(finding.snippet)
        line = _extern_line(base / pyx, header.group(1)) if header is not None else None
        if line is not None:
            where = Location(pyx, line)
            out.append(replace(finding, location=where, generated_from=finding.location, place=""))
            continue
        dropped += 1
    return out, dropped


def pyx_place(generated: Path, line: int, pyx_rel: str, base: Path) -> tuple[str, int]:
    """Where a line of generated C comes from in its ``.pyx``: the Cython marker before
    it, or for an ``#include`` Cython wrote, the ``cdef extern from`` naming the header;
    else the ``.pyx``'s first line."""
    try:
        data = generated.read_bytes()
    except OSError:
        return pyx_rel, 1
    source = cython_source_at(cython_line_map(data), line)
    if source is not None:
        return pyx_rel, source[1]
    lines = data.decode("utf-8", "replace").splitlines()
    header = _INCLUDE.search(lines[line - 1] if 0 < line <= len(lines) else "")
    extern = _extern_line(base / pyx_rel, header.group(1)) if header is not None else None
    return pyx_rel, extern or 1
