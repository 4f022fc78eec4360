"""Run precise mode over a scanned tree and merge it with the fast mode's findings.

For each C/C++ translation unit the fast mode looked at, libclang parses it under every
model. Where all models parse, the unit's token and include findings come from the
front end (the precise answer wins); the other rule kinds (arch ladders, guard shapes,
missing NEON paths, asm) stay with the fast mode, which models them directly. A unit
that cannot be parsed keeps its fast-mode findings, and a warning says so.
"""

from __future__ import annotations

import ast
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from analyzer.matching import Context, precise_file_findings
from analyzer.model import Finding, Language, ScanWarning
from analyzer.parsers.clang import (
    PRECISE_MODELS,
    Toolchain,
    UnitResult,
    analyze_unit,
    model_args,
    stub_headers,
)
from analyzer.rules import load_patterns
from analyzer.sources import SourceFile, read_source
from analyzer.targets import load_targets

PRECISE_KINDS = frozenset({"token", "include"})
MAX_INCLUDE_DIRS = 256
_LANGUAGE_ARGS = {Language.C: ["-xc", "-std=gnu11"], Language.CPP: ["-xc++", "-std=gnu++17"]}


@dataclass(frozen=True)
class Difference:
    """A finding one mode reports and the other does not (shown with ``--explain``)."""

    path: str
    line: int
    rule_id: str
    only_in: str  # "fast" or "precise"
    detail: str


@dataclass(frozen=True)
class PreciseOutcome:
    findings: tuple[Finding, ...]
    warnings: tuple[ScanWarning, ...]
    differences: tuple[Difference, ...]
    units_parsed: int
    units_fallback: int


def static_include_dirs(root: Path) -> list[Path]:
    """``include_dirs=[...]`` string literals in setup.py (read with ast, never run)."""
    setup = root / "setup.py"
    try:
        tree = ast.parse(setup.read_bytes())
    except (OSError, SyntaxError, ValueError):
        return []
    found: list[Path] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg == "include_dirs" and isinstance(node.value, ast.List):
            for element in node.value.elts:
                if isinstance(element, ast.Constant) and isinstance(element.value, str):
                    candidate = (root / element.value).resolve()
                    if candidate.is_dir() and candidate.is_relative_to(root.resolve()):
                        found.append(candidate)
    return found


def _include_dirs(root: Path, files: list[SourceFile]) -> list[Path]:
    dirs = [*static_include_dirs(root), root.resolve()]
    for source in files:
        if source.is_header:
            parent = source.path.resolve().parent
            if parent not in dirs:
                dirs.append(parent)
        if len(dirs) >= MAX_INCLUDE_DIRS:
            break
    return dirs


_ANGLED = re.compile(rb"^[ \t]*#[ \t]*include(?:_next)?[ \t]*<([^>\n]+)>", re.MULTILINE)

# Worker state (set once per process).
_STATE: dict[str, object] = {}


def _init(
    toolchain: Toolchain,
    models: dict[str, list[str]],
    include_dirs: list[Path],
    stub_dir: Path,
    rules: tuple[object, ...],
) -> None:
    _STATE.update(
        toolchain=toolchain, models=models, include_dirs=include_dirs, stub_dir=stub_dir, rules=rules
    )


def _unit_job(job: tuple[str, str]) -> tuple[str, UnitResult | str]:
    path, language = job
    toolchain = _STATE["toolchain"]
    assert isinstance(toolchain, Toolchain)
    try:
        result = analyze_unit(
            Path(path),
            _LANGUAGE_ARGS[Language(language)],
            _STATE["models"],  # type: ignore[arg-type]
            [Path(path).parent, *_STATE["include_dirs"]],  # type: ignore[misc]
            toolchain,
            _STATE["stub_dir"],  # type: ignore[arg-type]
            _STATE["rules"],  # type: ignore[arg-type]
        )
    except Exception as error:  # libclang crashes surface as exceptions: fall back
        return path, f"{type(error).__name__}: {error}"
    return path, result


def run_precise(
    root: Path,
    files: list[SourceFile],
    candidates: set[str],
    fast: list[Finding],
    ctx: Context,
    max_bytes: int,
    fan_out: Callable[..., Iterator[tuple[str, UnitResult | str]]],
    workers: int,
    progress: Callable[[str, int, int], None] | None,
) -> PreciseOutcome:
    """Merge precise results into ``fast`` for the units in ``candidates`` (rel paths)."""
    toolchain = Toolchain.locate()
    targets = {m.name: m for m in ctx.models}
    arch_macro = re.compile(load_patterns()["arch_macro"])
    known = load_targets().known_macros
    models = {
        name: model_args(targets[name], known, arch_macro)
        for name in PRECISE_MODELS
        if name in targets and name in ctx.selected
    }
    units = [s for s in files if s.rel in candidates and not s.is_header and s.language in _LANGUAGE_ARGS]
    by_abs = {str(s.path.resolve()): s for s in units}
    stub_dir = Path(tempfile.mkdtemp(prefix="woaport-stubs-"))
    warnings: list[ScanWarning] = []
    replaced: dict[str, list[Finding]] = {}
    try:
        names: set[str] = set()
        for source in files:
            try:
                names.update(
                    m.decode("utf-8", "replace").strip()
                    for m in _ANGLED.findall(read_source(source, max_bytes))
                )
            except Exception:  # unreadable files were reported by the fast pass
                continue
        stub_headers(sorted(names), toolchain.builtin_headers, stub_dir)
        jobs = [(path, s.language.value) for path, s in by_abs.items()]
        init_args = (toolchain, models, _include_dirs(root, files), stub_dir, ctx.rules)
        for path, outcome in fan_out(_unit_job, jobs, workers, "precise", progress, _init, init_args):
            source = by_abs[path]
            if isinstance(outcome, str):
                warnings.append(
                    ScanWarning(source.rel, f"precise mode failed ({outcome}); fast-mode results kept")
                )
                continue
            if outcome.failures:
                model, why = next(iter(outcome.failures.items()))
                warnings.append(
                    ScanWarning(
                        source.rel, f"precise mode: cannot parse for {model}: {why}; fast-mode results kept"
                    )
                )
                continue
            data = read_source(source, max_bytes)
            replaced[source.rel] = precise_file_findings(source.rel, data, source.language, outcome.hits, ctx)
    finally:
        shutil.rmtree(stub_dir, ignore_errors=True)
    kinds = {r.id: r.match.kind for r in ctx.rules}
    merged: list[Finding] = []
    differences: list[Difference] = []
    for finding in fast:
        path = finding.location.path
        if path in replaced and kinds.get(finding.rule_id) in PRECISE_KINDS:
            continue
        merged.append(finding)
    for path, found in replaced.items():
        merged.extend(found)
        fast_keys = {
            (f.rule_id, f.location.line)
            for f in fast
            if f.location.path == path and kinds.get(f.rule_id) in PRECISE_KINDS
        }
        precise_keys = {(f.rule_id, f.location.line): f for f in found}
        for rule_id, line in sorted(fast_keys - set(precise_keys)):
            differences.append(
                Difference(
                    path,
                    line,
                    rule_id,
                    "fast",
                    "not compiled as written here on any model (a macro body, reported where "
                    "it is expanded; a guarded branch; or an include resolved differently)",
                )
            )
        for (rule_id, line), f in sorted(precise_keys.items()):
            if (rule_id, line) not in fast_keys:
                differences.append(Difference(path, line, rule_id, "precise", f.message))
    return PreciseOutcome(
        tuple(sorted(merged, key=Finding.sort_key)),
        tuple(warnings),
        tuple(differences),
        units_parsed=len(replaced),
        units_fallback=len(units) - len(replaced),
    )
