"""Run precise mode over a scanned tree and merge it with the fast mode's findings.

For each C/C++ translation unit the fast mode looked at, libclang parses it under every
model. Where all models parse, the unit's token and include findings come from the
front end (the precise answer wins); the other rule kinds (arch ladders, guard shapes,
missing NEON paths, asm) stay with the fast mode, which models them directly. A unit
that cannot be parsed keeps its fast-mode findings, and a warning says so.
"""

from __future__ import annotations

import itertools
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from analyzer import __version__
from analyzer.buildmodel.plan import BuildPlan
from analyzer.buildmodel.textual import find_build_files, static_include_dirs
from analyzer.kinds.rule import Rule, load_patterns
from analyzer.model import Confidence, Difference, Finding, Language, ScanWarning
from analyzer.native.sources import SourceFile, read_source
from analyzer.native.views import Context
from analyzer.paths import compiler_overlay, inside
from analyzer.pool import fan_out
from analyzer.precise.cache import ResultCache, file_digest, fingerprint
from analyzer.precise.clang import (
    Toolchain,
    UnitResult,
    analyze_unit,
    model_args,
)
from analyzer.precise.findings import precise_file_findings
from analyzer.precise.sdk import stub_headers
from analyzer.targets import load_targets

MAX_INCLUDE_DIRS = 256
# In C, a call to an undeclared intrinsic stays a (warned) implicit declaration rather
# than an error: clang reports the error only at the first call, and later calls in
# erroneous expressions would vanish from the AST; as a warning, every call stays a call.
_LANGUAGE_ARGS = {
    Language.C: ["-xc", "-std=gnu11", "-Wno-error=implicit-function-declaration"],
    Language.CPP: ["-xc++", "-std=gnu++17"],
}


@dataclass(frozen=True)
class PreciseOutcome:
    findings: tuple[Finding, ...]
    warnings: tuple[ScanWarning, ...]
    differences: tuple[Difference, ...]
    units_parsed: int
    units_fallback: int
    units_cached: int = 0  # of units_parsed, answered from the cache


def include_dirs_for(
    root: Path, files: list[SourceFile], included: set[str], build_files: list[Path] | None = None
) -> list[Path]:
    """-I directories: setup.py's literal include_dirs, the root, then, for every include
    name with a directory part (``tbb/tbb_machine.h``), the tree directory it resolves
    from (by suffix, as the fast mode resolves includes), then every header directory."""
    dirs = [*static_include_dirs(root, build_files), root.resolve()]
    headers = [s for s in files if s.is_header]
    by_suffix: dict[str, list[Path]] = {}
    for source in headers:
        by_suffix.setdefault(source.path.name, []).append(source.path.resolve())
    for name in sorted(included):
        parts = name.replace("\\", "/").split("/")
        if len(parts) < 2 or ".." in parts:
            continue
        for candidate in by_suffix.get(parts[-1], ()):
            if candidate.parts[-len(parts) :] == tuple(parts):
                prefix = candidate.parents[len(parts) - 1]
                if prefix not in dirs and prefix.is_relative_to(root.resolve()):
                    dirs.append(prefix)
    for source in headers:
        parent = source.path.resolve().parent
        if parent not in dirs:
            dirs.append(parent)
    return dirs[:MAX_INCLUDE_DIRS]


_INCLUDE = re.compile(rb'^[ \t]*#[ \t]*include(?:_next)?[ \t]*([<"])([^>"\n]+)[>"]', re.MULTILINE)


@dataclass(frozen=True)
class _UnitShared:
    """What every precise-mode worker needs, shipped to each once."""

    toolchain: Toolchain
    models: dict[str, list[str]]
    include_dirs: list[Path]
    stub_dir: Path
    rules: tuple[Rule, ...]


def _unit_job(shared: _UnitShared, job: tuple[str, str]) -> tuple[str, UnitResult | str]:
    path, language = job
    try:
        result = analyze_unit(
            Path(path),
            _LANGUAGE_ARGS[Language(language)],
            shared.models,
            [Path(path).parent, *shared.include_dirs],
            shared.toolchain,
            shared.stub_dir,
            shared.rules,
        )
    except Exception as error:  # libclang errors surface as exceptions: fall back
        return path, f"{type(error).__name__}: {error}"
    return path, result


def _crashed(job: tuple[str, str]) -> tuple[str, UnitResult | str]:
    """A unit whose parse killed its worker process (libclang crashed on it)."""
    return job[0], "libclang crashed on this unit"


def run_precise(
    root: Path,
    files: list[SourceFile],
    candidates: set[str],
    fast: list[Finding],
    ctx: Context,
    max_bytes: int,
    workers: int,
    progress: Callable[[str, int, int], None] | None,
    cache: ResultCache | None = None,
    plan: BuildPlan | None = None,
    python_include: Path | None = None,
) -> PreciseOutcome:
    """Merge precise results into ``fast`` for the units in ``candidates`` (rel paths).
    ``python_include``: a Windows CPython SDK's headers (``woaport sdk``), searched after
    the tree's own directories, so that units including ``Python.h`` parse."""
    toolchain = Toolchain.locate()
    targets = {m.name: m for m in ctx.models}
    patterns = load_patterns()
    undefine = re.compile(f"(?:{patterns['arch_macro']})|(?:{patterns['compiler_macro']})")
    known = load_targets().known_macros
    # A model with no clang arguments in targets.json cannot be parsed precisely.
    macros = plan.macro_values() if plan is not None else {}

    def build_defines(model: str) -> list[str]:
        # The build's own -D for every unit on this model (a per-model view, not per target).
        return [f"-D{name}" for name, values in sorted(macros.items()) if values.get(model) == 1]

    models = {
        name: [*model_args(model, known, undefine), *build_defines(name)]
        for name, model in targets.items()
        if model.clang_args and name in ctx.selected
    }
    # A unit the build compiles on no selected model is not parsed: nothing in it is a finding.
    units = [
        s
        for s in files
        if s.rel in candidates
        and not s.is_header
        and s.language in _LANGUAGE_ARGS
        and any(ctx.reach.get(s.rel, {}).get(m, 1) != 0 for m in ctx.selected)
    ]
    by_abs = {str(s.path.resolve()): s for s in units}
    stub_dir = Path(tempfile.mkdtemp(prefix="woaport-stubs-"))
    warnings: list[ScanWarning] = []
    replaced: dict[str, list[Finding]] = {}
    parsed: dict[str, UnitResult] = {}
    try:
        angled: set[str] = set()
        included: set[str] = set()
        for source in files:
            try:
                found = _INCLUDE.findall(read_source(source, max_bytes))
            except Exception:  # unreadable files were reported by the fast pass
                continue
            for bracket, name in found:
                text = name.decode("utf-8", "replace").strip()
                included.add(text)
                if bracket == b"<":
                    angled.add(text)
        planned = [
            in_tree
            for d in (plan.include_dirs if plan is not None else ())
            if (in_tree := inside(root, d, allow_root=True)) is not None and in_tree.is_dir()
        ]
        # The build model's include folders where it read the build; the build files'
        # text only where it did not (no plan).
        text_read = find_build_files(root) if plan is None else []
        found = include_dirs_for(root, files, included, text_read)
        sdk = [python_include] if python_include is not None and python_include.is_dir() else []
        include_dirs = list(dict.fromkeys([*planned, *found, *sdk]))
        # The SDK's headers include Windows CRT and SDK headers (io.h, windows.h) that a
        # Linux machine lacks: stubbed like the tree's own missing system headers.
        for header in sdk[0].glob("*.h") if sdk else ():
            angled.update(
                m[1].decode("utf-8", "replace").strip()
                for m in _INCLUDE.findall(header.read_bytes())
                if m[0] == b"<" and not (sdk[0] / m[1].decode("utf-8", "replace").strip()).exists()
            )
        # Angled names the tree itself provides are found through include_dirs first.
        stub_headers(sorted(angled), stub_dir, ctx.rules)
        settings = fingerprint(
            [
                __version__,
                toolchain.version(),
                models,
                {language.value: args for language, args in _LANGUAGE_ARGS.items()},
                [str(d) for d in include_dirs],
                [(r.id, repr(r.match)) for r in ctx.rules],
            ]
        )
        keys: dict[str, str] = {}
        outcomes: list[tuple[str, UnitResult | str]] = []
        jobs: list[tuple[str, str]] = []
        for path, s in by_abs.items():
            digest = file_digest(Path(path))
            keys[path] = fingerprint([settings, path, digest])
            cached = cache.get(keys[path]) if cache is not None and digest is not None else None
            if cached is not None:
                outcomes.append((path, UnitResult.from_json(cached)))
            else:
                jobs.append((path, s.language.value))
        # libclang sees only the tree, its own headers, the stubs and the SDK: an absolute
        # or ../ include of a file outside the tree is "file not found", never read.
        allowed = [root, toolchain.builtin_headers, stub_dir, *sdk]
        (stub_dir / "overlay.yaml").write_text(compiler_overlay(allowed), encoding="utf-8")
        shared = _UnitShared(toolchain, models, include_dirs, stub_dir, ctx.rules)
        fresh = fan_out(_unit_job, shared, jobs, workers, "precise", progress, on_crash=_crashed)
        from_cache = {path for path, _ in outcomes}
        to_store: list[tuple[str, set[str], dict[str, object]]] = []
        for path, outcome in itertools.chain(outcomes, fresh):
            source = by_abs[path]
            if isinstance(outcome, UnitResult) and not outcome.failures and path not in from_cache:
                to_store.append((keys[path], outcome.depends_on, outcome.to_json()))
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
            parsed[source.rel] = outcome
        if cache is not None and to_store:
            cache.put_many(to_store)
    finally:
        shutil.rmtree(stub_dir, ignore_errors=True)
    precise_rules = frozenset(r.id for r in ctx.rules if r.match.precise)
    merged, differences = merge(fast, replaced, parsed, precise_rules)
    return PreciseOutcome(
        tuple(sorted(merged, key=Finding.sort_key)),
        tuple(warnings),
        tuple(differences),
        units_parsed=len(parsed),
        units_fallback=len(units) - len(replaced),
        units_cached=len(outcomes),
    )


def merge(
    fast: list[Finding],
    precise: dict[str, list[Finding]],
    parsed: dict[str, UnitResult],
    precise_rules: frozenset[str],
) -> tuple[list[Finding], list[Difference]]:
    """The precise answer wins where it has evidence, and only there:

    * a fast token/include/asm finding whose line the preprocessor skipped for a model, or
      whose name resolves there to the package's own declaration (a vendored sse2neon.h),
      loses that model; with no model left it is dropped. A finding that depends on
      macros the build defines (low confidence) is kept when the front end does not see
      it either: without the build's -D flags it cannot decide it.
    * where the front end does compile a place the fast mode could only call "maybe"
      (a ``__has_include``, a macro from a header it could not follow), the decided,
      high-confidence precise finding replaces the fast one.
    * a precise finding the fast mode does not have at the same place (a use through a
      macro or typedef) is added.
    * otherwise the fast finding stands: clang's error recovery after undeclared x86
      types can drop later statements, so "not seen by the front end" is not evidence.
    """
    merged: list[Finding] = []
    differences: list[Difference] = []
    precise_places = {
        (path, f.rule_id, f.location.line, f.location.column): f
        for path, found in precise.items()
        for f in found
    }
    settled: set[tuple[str, str, int, int]] = set()
    for finding in fast:
        loc = finding.location
        place = (loc.path, finding.rule_id, loc.line, loc.column)
        unit = parsed.get(loc.path)
        if unit is None or finding.rule_id not in precise_rules:
            merged.append(finding)
            continue
        if finding.confidence is not Confidence.HIGH:
            if place in precise_places:
                merged.append(precise_places[place])
                settled.add(place)
                differences.append(
                    Difference(
                        loc.path,
                        loc.line,
                        finding.rule_id,
                        "precise",
                        f"decided: compiled on {', '.join(precise_places[place].reachable_on)} "
                        "(the fast mode could only say 'maybe')",
                    )
                )
            else:
                merged.append(finding)
            continue
        kept = tuple(
            m
            for m in finding.reachable_on
            if m not in unit.skipped
            or not (unit.is_skipped(m, loc.line) or unit.provided_at(m, loc.line, loc.column))
        )
        if not kept:
            provided = any(unit.provided_at(m, loc.line, loc.column) for m in finding.reachable_on)
            why = (
                "the package declares this name itself (a shim such as sse2neon.h)"
                if provided
                else "the line is in a preprocessor branch that every model skips"
            )
            differences.append(Difference(loc.path, loc.line, finding.rule_id, "fast", why))
            continue
        merged.append(finding if kept == finding.reachable_on else replace(finding, reachable_on=kept))
        settled.add(place)
    for place, finding in precise_places.items():
        if place in settled:
            continue
        merged.append(finding)
        differences.append(Difference(place[0], place[2], finding.rule_id, "precise", finding.message))
    return merged, differences
