"""The fast mode over a walked tree: phase 1 reads every C/C++ file cheaply (a prefilter,
then the preprocessor structure of candidates and of the headers whose macros they test);
the guard models are built from those structures; phase 2 runs the rules on each
candidate. Both phases fan out to processes (:mod:`analyzer.pool`)."""

from __future__ import annotations

import functools
import posixpath
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from analyzer.buildmodel.plan import BuildPlan
from analyzer.fallbacks import default_fallbacks
from analyzer.kinds.rule import Rule, x86_only_pattern
from analyzer.model import Finding, Language, ScanWarning
from analyzer.native import units
from analyzer.native.guards import FileStructure, GuardModel, TreeMacros, file_reach
from analyzer.native.kinds import token_names
from analyzer.native.matching import Prefilter, analyze, build_prefilter
from analyzer.native.preproc import mask_comments_and_strings, parse_preprocessor
from analyzer.native.rustmods import rust_reach
from analyzer.native.shims import definitions, provided
from analyzer.native.sources import (
    SourceFile,
    SourceReadError,
    cython_line_map,
    header_language,
    is_cython_generated,
    meson_vendored,
    read_source,
)
from analyzer.native.units import TreeEvents, UnitWalker, WalkTooLong, walk_units
from analyzer.native.views import Context, FileInput
from analyzer.pool import Progress, fan_out
from analyzer.targets import TargetData
from analyzer.tri import MAYBE, Value

KEEP_BYTES_BUDGET = 256 * 1024 * 1024


@dataclass(frozen=True)
class NativeScan:
    """What the fast mode found, and what precise mode needs to refine it."""

    findings: tuple[Finding, ...]
    warnings: tuple[ScanWarning, ...]
    ctx: Context
    candidates: frozenset[str]  # files a rule may match (not Cython-generated): precise units
    files_read: int
    bytes_read: int
    # Files a rule may match that no translation unit compiles on any selected model, and
    # (when asked for) their findings as if they were compiled.
    not_compiled_files: int = 0
    not_compiled: tuple[Finding, ...] = ()


@dataclass(frozen=True)
class _Phase1:
    structure: FileStructure | None
    warning: ScanWarning | None
    cython: list[tuple[int, str, int]]
    size: int
    wanted: bool = True  # may this file produce a finding (phase 2 needed)?
    # Shims: (name, line) of the file's own definitions of names token rules look for.
    defines_tokens: tuple[tuple[str, int], ...] = ()
    # The bytes and their masked form, kept for phase 2 in a single-process scan so the
    # file is neither read nor masked twice (None when not kept).
    data: bytes | None = None
    masked: bytes | None = None


def _structure(
    source: SourceFile, data: bytes, masked: bytes | None = None
) -> tuple[FileStructure, ScanWarning | None, list[tuple[int, str, int]]]:
    language = header_language(data, source.language) if source.is_header else source.language
    structure = parse_preprocessor(data, masked if masked is not None else mask_comments_and_strings(data))
    warning = None
    if structure.problems:
        warning = ScanWarning(source.rel, f"preprocessor: {structure.problems[0]}")
    cython = cython_line_map(data) if is_cython_generated(data) else []
    return FileStructure(source.rel, language, source.is_header, structure), warning, cython


def _phase1(
    source: SourceFile,
    max_bytes: int,
    prefilter: Prefilter,
    keep: bool = False,
    token_names: re.Pattern[bytes] | None = None,
) -> _Phase1:
    try:
        data = read_source(source, max_bytes)
    except SourceReadError as error:
        return _Phase1(None, ScanWarning(source.rel, str(error)), [], 0, wanted=False)
    warning = None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        warning = ScanWarning(source.rel, f"not valid UTF-8 (byte {error.start}); scanned as bytes")
    if source.language is Language.RUST:
        return _Phase1(None, warning, [], len(data))
    # Every file is structured (cheap: a few percent of a scan), for its #defines and
    # its #includes: whether a header is compiled depends on the files including it.
    # Only files the prefilter wants are analysed, and only their problems are said.
    masked = mask_comments_and_strings(data)
    structure, problem, cython = _structure(source, data, masked)
    if not prefilter.wants(data):
        return _Phase1(structure, warning, [], len(data), wanted=False)
    shims = tuple(definitions(masked, token_names, structure.structure)) if token_names is not None else ()
    if not keep:
        return _Phase1(structure, warning or problem, cython, len(data), defines_tokens=shims)
    return _Phase1(
        structure, warning or problem, cython, len(data), data=data, masked=masked, defines_tokens=shims
    )


@dataclass(frozen=True)
class _Phase1Shared:
    max_bytes: int
    prefilter: Prefilter
    keep: bool
    token_names: re.Pattern[bytes] | None


def _phase1_job(shared: _Phase1Shared, source: SourceFile) -> _Phase1:
    return _phase1(source, shared.max_bytes, shared.prefilter, shared.keep, shared.token_names)


@dataclass(frozen=True)
class _Phase2Shared:
    ctx: Context
    max_bytes: int
    cython_paths: dict[str, str]


# A phase-2 job names its file; the structure comes from the guard models' tree index,
# which every worker already holds, so it is not shipped to a process a second time.
_Phase2Job = tuple[SourceFile, list[tuple[int, str, int]], bytes | None, bytes | None]


def _phase2(shared: _Phase2Shared, job: _Phase2Job) -> tuple[list[Finding], ScanWarning | None]:
    source, cython, kept_data, kept_masked = job
    ctx, max_bytes, cython_paths = shared.ctx, shared.max_bytes, shared.cython_paths
    structure = ctx.structure_of(source.rel)
    if kept_data is not None:
        data = kept_data
    else:
        try:
            data = read_source(source, max_bytes)
        except SourceReadError as error:
            return [], ScanWarning(source.rel, str(error))
    language = structure.language if structure is not None else source.language
    item = FileInput(
        source.rel, data, language, structure.structure if structure else None, cython, masked=kept_masked
    )
    try:
        return analyze(item, ctx, cython_paths), None
    except RecursionError:
        return [], ScanWarning(source.rel, "skipped: nesting too deep to analyse")


def _cython_paths(root: Path, structures: Iterable[tuple[str, list[tuple[int, str, int]]]]) -> dict[str, str]:
    """Resolve each .pyx path named by Cython markers to a path in the tree."""
    resolved: dict[str, str] = {}
    for rel, markers in structures:
        for _, pyx, _ in markers:
            if not pyx or pyx in resolved:
                continue
            beside = posixpath.join(posixpath.dirname(rel), posixpath.basename(pyx))
            if (root / pyx).is_file():
                resolved[pyx] = pyx
            elif (root / beside).is_file():
                resolved[pyx] = beside
    return resolved


def _rust_reach(files: list[SourceFile], targets: TargetData, max_bytes: int) -> dict[str, dict[str, Value]]:
    """Which Rust files each model compiles (``#[cfg] mod x;``), from the crate roots."""
    sources: dict[str, bytes] = {}
    for source in files:
        if source.language is Language.RUST:
            try:
                sources[source.rel] = read_source(source, max_bytes)
            except SourceReadError:
                continue  # phase 1 already warned
    if not sources:
        return {}
    return rust_reach(sources, {m.name: m.rust_cfg for m in targets.models})


def scan_native(
    base: Path,
    files: list[SourceFile],
    rules: tuple[Rule, ...],
    targets: TargetData,
    selected: frozenset[str],
    max_bytes: int,
    workers: int,
    progress: Progress | None = None,
    all_code: bool = False,
    plan: BuildPlan | None = None,
) -> NativeScan:
    """Run the fast mode over the walked C/C++/Rust ``files`` of the tree at ``base``;
    ``plan`` (the static build model) says which sources each model compiles and which
    macros the build defines."""
    prefilter = build_prefilter(rules)
    # A single process keeps each candidate file's bytes (and masked copy) from phase 1
    # for phase 2, within a memory budget; worker processes re-read instead, since
    # shipping bytes between processes costs more than reading them.
    keep = workers <= 1 and sum(s.size for s in files) <= KEEP_BYTES_BUDGET
    phase1 = list(
        fan_out(
            _phase1_job,
            _Phase1Shared(max_bytes, prefilter, keep, token_names(rules)),
            files,
            workers,
            "reading",
            progress,
        )
    )
    structures = [p.structure for p in phase1 if p.structure is not None]
    warnings = [p.warning for p in phase1 if p.warning is not None]
    tree = TreeMacros(structures)
    build_macros = _build_macros(plan, targets)
    guards = {
        m.name: GuardModel(tree, m, targets.known_macros, targets.predefined_shape, build_macros.get(m.name))
        for m in targets.models
    }
    roots, unreached_value = translation_units(files, tree, plan, targets.names)
    reach = _reach_by_units(tree, guards, roots, unreached_value, targets, build_macros)
    if reach is None:
        warnings.append(
            ScanWarning(
                ".",
                "the per-unit walk needed more than its work budget; headers are judged one"
                " file at a time (with every includer's macros)",
            )
        )
        reach = _reach_with_compiled_definitions(tree, guards, roots, unreached_value)
    reach.update(_rust_reach(files, targets, max_bytes))
    defined: dict[str, list[tuple[str, int]]] = {}
    for p in phase1:
        if p.structure is not None:
            for name, line in p.defines_tokens:
                defined.setdefault(name, []).append((p.structure.path, line))
    ctx = Context(
        rules=rules,
        models=targets.models,
        selected=selected,
        guards=guards,
        fallbacks=default_fallbacks(),
        x86_marker=x86_only_pattern(),
        reach=reach,
        provided=provided(defined, guards, reach),
    )
    cython_paths = _cython_paths(
        base, ((p.structure.path, p.cython) for p in phase1 if p.structure is not None and p.cython)
    )
    jobs: list[_Phase2Job] = [
        (s, p.cython, p.data, p.masked) for s, p in zip(files, phase1, strict=True) if p.wanted
    ]
    findings: list[Finding] = []
    shared = _Phase2Shared(ctx, max_bytes, cython_paths)
    for found, warning in fan_out(_phase2, shared, jobs, workers, "analysing", progress):
        findings.extend(found)
        if warning is not None:
            warnings.append(warning)
    unreached = {path for path, by_model in ctx.reach.items() if all(by_model.get(m) == 0 for m in selected)}
    unreached_jobs = [job for job in jobs if job[0].rel in unreached]
    not_compiled: list[Finding] = []

    # Each file judged alone, with only the compiler's macros (no unit's): what --all-code
    # lists for files no unit reaches, and how a consumer's unit sees an installed header.
    @functools.cache
    def alone() -> _Phase2Shared:
        per_file = {name: guard.per_file() for name, guard in guards.items()}
        return _Phase2Shared(replace(ctx, reach={}, guards=per_file), max_bytes, cython_paths)

    if all_code and unreached_jobs:
        for found, _ in fan_out(_phase2, alone(), unreached_jobs, workers, "all code", progress):
            not_compiled.extend(found)
    # Installed headers: what they would stop in other packages' builds.
    public = set(plan.public_headers) if plan is not None else set()
    consumer_jobs = [job for job in jobs if job[0].rel in public]
    if consumer_jobs:
        own = {(f.rule_id, f.location) for f in findings}
        for found, _ in fan_out(_phase2, alone(), consumer_jobs, workers, "installed headers", progress):
            new = [f for f in found if (f.rule_id, f.location) not in own]
            findings.extend(replace(f, for_consumers=True) for f in new)
    for (path, line), message in sorted(_bad_expressions(guards).items()):
        warnings.append(
            ScanWarning(path, f"line {line}: cannot evaluate #if expression ({message}); treated as 'maybe'")
        )
    return NativeScan(
        findings=tuple(findings),
        warnings=tuple(warnings),
        ctx=ctx,
        candidates=frozenset(s.rel for s, p in zip(files, phase1, strict=True) if p.wanted and not p.cython),
        files_read=sum(1 for p in phase1 if p.size > 0),
        bytes_read=sum(p.size for p in phase1),
        not_compiled_files=len(unreached_jobs),
        not_compiled=tuple(sorted(not_compiled, key=Finding.sort_key)),
    )


def _reach_by_units(
    tree: TreeMacros,
    guards: Mapping[str, GuardModel],
    roots: Mapping[str, Mapping[str, Value]],
    unreached_value: Callable[[str, str], Value],
    targets: TargetData,
    build_macros: Mapping[str, Mapping[str, Value]],
    budget: int | None = None,
) -> dict[str, dict[str, Value]] | None:
    """File reach per model from walking each translation unit in order
    (:mod:`analyzer.native.units`); each guard model is told what the walk found. A file
    the walk never entered is not compiled on that model if some unit could include it
    (ignoring conditions), and ``unreached_value`` if none could (nothing known compiles
    it). None when a walk exceeds its budget."""
    events = TreeEvents(tree)
    work = budget if budget is not None else units.DEFAULT_BUDGET  # read now: tests lower it
    # A unit that includes no tree file changes nothing in any other file: it is walked
    # only if a rule asks about its lines, and not at all when it defines no macro a
    # condition reads (its table stays empty, so the per-file judgement, told the file is
    # alone, gives the same answers).
    lone = {unit for unit in roots if unit in tree.files and not tree.includes.get(unit)}
    alone = frozenset(
        unit
        for unit in lone
        if not any(d.name in events.relevant for d in tree.files[unit].structure.defines)
    )
    walkers: dict[str, UnitWalker] = {}
    lazy: dict[str, dict[str, Value]] = {}
    for name, guard in guards.items():
        model_roots = {path: by_model.get(name, 1) for path, by_model in roots.items()}
        try:
            walkers[name] = walk_units(
                tree,
                guard.model,
                model_roots,
                targets.known_macros,
                targets.predefined_shape,
                build_macros.get(name, {}),
                work,
                events,
                defer=lone,
            )
        except WalkTooLong:
            return None
        lazy[name] = {unit: model_roots[unit] for unit in lone if model_roots[unit] != 0}
    includable = tree.reachable_from(roots)
    reach: dict[str, dict[str, Value]] = {}
    for path in tree.files:
        by_model: dict[str, Value] = {}
        for name, walker in walkers.items():
            if path in walker.result.files:
                by_model[name] = walker.result.files[path]
            elif path in lazy[name]:
                by_model[name] = lazy[name][path]
            elif path in includable:
                by_model[name] = 0
            else:
                by_model[name] = unreached_value(path, name)
        reach[path] = by_model
    lone_events = TreeEvents(tree, events.relevant)
    for name, guard in guards.items():
        walker = walkers[name]
        judged: dict[str, Mapping[int, Value]] = {path: {} for path in includable if path not in lazy[name]}
        judged.update(walker.result.cover)
        walker.release(lone_events)
        walked_lazily = {path: level for path, level in lazy[name].items() if path not in alone}
        guard.set_units(judged, dict(walker.result.local), walked_lazily, walker, alone)
        guard.set_compiled({path: by_model[name] for path, by_model in reach.items()})
    return reach


def _reach_with_compiled_definitions(
    tree: TreeMacros,
    guards: Mapping[str, GuardModel],
    roots: Mapping[str, Mapping[str, Value]],
    unreached_value: Callable[[str, str], Value],
) -> dict[str, dict[str, Value]]:
    """File reach per model, with each guard model told which files it compiles. A file
    the first pass finds not compiled on a model (a wrapper the build leaves out) no
    longer defines macros there, which can change what is included: then reach is
    computed once more. When no file that defines a macro is left out, the second pass
    would give the same answer (only left-out definitions are dropped), so it is skipped."""
    defining = {path for found in tree.definitions.values() for path, _ in found}
    for attempt in range(2):
        reach = file_reach(tree, guards, roots, unreached_value)
        for name, guard in guards.items():
            guard.set_compiled({path: by_model.get(name, 1) for path, by_model in reach.items()})
        if attempt == 0 and not any(0 in reach.get(path, {}).values() for path in defining):
            break
    return reach


def translation_units(
    files: list[SourceFile], tree: TreeMacros, plan: BuildPlan | None, models: tuple[str, ...]
) -> tuple[dict[str, dict[str, Value]], Callable[[str, str], Value]]:
    """Per translation unit and model: does the build compile it? And per model, the
    value of a file no unit reaches.

    A source the build model lists is compiled where the build says. On a model where
    the build model lists every compiled source, any other source is not a unit (it is
    compiled only if a unit includes it), and a file no unit reaches is not compiled.
    Otherwise (no build model, or one that could not be read fully) a source no tree
    file includes is taken to be a unit, and an unreached file is unknown."""
    compiled = plan.compiled() if plan is not None else {}

    def complete(path: str) -> frozenset[str]:
        return plan.complete_models(path) if plan is not None else frozenset()

    included = {target for targets_of in tree.includes.values() for target in targets_of}
    roots: dict[str, dict[str, Value]] = {}
    for source in files:
        if source.is_header or source.rel not in tree.files:
            continue
        listed = compiled.get(source.rel)
        if listed is not None:
            roots[source.rel] = {m: listed.get(m, 0) for m in models}
        elif source.rel not in included and not meson_vendored(plan, source.rel):
            done = complete(source.rel)
            roots[source.rel] = {m: 0 if m in done else 1 for m in models}

    def unreached(path: str, model: str) -> Value:
        # A meson subproject's file no unit reaches is not compiled (its meson.build, run
        # where subproject() is called, lists the sources the project asks of it).
        return 0 if model in complete(path) or meson_vendored(plan, path) else MAYBE

    return roots, unreached


def _build_macros(plan: BuildPlan | None, targets: TargetData) -> dict[str, dict[str, Value]]:
    """Per model: macro -> defined by the build (1), by no unit (0), or unknown."""
    per_model: dict[str, dict[str, Value]] = {m: {} for m in targets.names}
    if plan is None:
        return per_model
    for name, values in plan.macro_values().items():
        for model, value in values.items():
            if model in per_model:
                per_model[model][name] = value
    return per_model


def _bad_expressions(guards: dict[str, GuardModel]) -> dict[tuple[str, int], str]:
    merged: dict[tuple[str, int], str] = {}
    for guard in guards.values():
        merged.update(guard.bad_expressions)
    return merged
