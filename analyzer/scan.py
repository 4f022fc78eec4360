"""Scan a tree: walk -> preprocessor structure of every C/C++ file -> guard models ->
rules per file -> findings. Phase 1 is cheap (regexes); phase 2 parses with tree-sitter
only files that have candidates. Both phases fan out to processes with ``jobs > 1``.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

from analyzer.build.files import analyze_build_file, applies, project_context
from analyzer.fallbacks import default_fallbacks
from analyzer.model import Finding, Language, ScanWarning
from analyzer.native.cexpr import mentioned_identifiers
from analyzer.native.guards import FileStructure, GuardModel, TreeMacros
from analyzer.native.matching import Context, FileInput, Prefilter, analyze, build_prefilter
from analyzer.native.preproc import mask_comments_and_strings, parse_preprocessor
from analyzer.native.sources import (
    DEFAULT_MAX_BYTES,
    SourceFile,
    SourceReadError,
    cython_line_map,
    header_language,
    is_cython_generated,
    read_source,
    walk,
)
from analyzer.precise.cache import ResultCache
from analyzer.precise.run import Difference, run_precise
from analyzer.rules import Rule, default_rules, x86_only_pattern
from analyzer.targets import load_targets

Progress = Callable[[str, int, int], None]
KEEP_BYTES_BUDGET = 256 * 1024 * 1024
PARALLEL_MIN_BYTES = 4 * 1024 * 1024
T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class ScanOptions:
    targets: tuple[str, ...] = ()
    rules: tuple[Rule, ...] | None = None
    excludes: tuple[str, ...] = ()
    include_vendored: bool = False
    max_bytes: int = DEFAULT_MAX_BYTES
    jobs: int = 1
    precise: bool = False  # also parse translation units with libclang (analyzer/precise.py)
    cache_dir: Path | None = None  # where precise-mode results are cached (None: no cache)


@dataclass(frozen=True)
class ScanResult:
    root: str
    findings: tuple[Finding, ...]
    warnings: tuple[ScanWarning, ...]
    files_scanned: int
    bytes_scanned: int
    skipped: dict[str, int] = field(default_factory=dict)
    targets: tuple[str, ...] = ()
    rules: tuple[Rule, ...] = ()
    # Precise mode only: where fast and precise mode disagree, and how many units each
    # answered for.
    differences: tuple[Difference, ...] = ()
    precise_units: int = 0
    precise_fallbacks: int = 0
    precise_cached: int = 0


@dataclass(frozen=True)
class _Phase1:
    structure: FileStructure | None
    warning: ScanWarning | None
    cython: list[tuple[int, str, int]]
    size: int
    wanted: bool = True  # may this file produce a finding (phase 2 needed)?
    defines: frozenset[str] = frozenset()  # macro names, for files not structured yet
    # The bytes and their masked form, kept for phase 2 in a single-process scan so the
    # file is neither read nor masked twice (None when not kept).
    data: bytes | None = None
    masked: bytes | None = None


# Starts with a literal "#" so re can skip ahead fast; a "#define" that is not at the
# start of a line (in a comment, say) only makes a file a candidate definer: harmless.
_DEFINE_NAME = re.compile(rb"#[ \t]*define[ \t]+([A-Za-z_]\w*)")


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


def _phase1(source: SourceFile, max_bytes: int, prefilter: Prefilter, keep: bool = False) -> _Phase1:
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
    if not prefilter.wants(data):
        # Nothing here can match a rule; only its #defines may matter to other files.
        names = frozenset(n.decode("ascii") for n in _DEFINE_NAME.findall(data))
        return _Phase1(None, warning, [], len(data), wanted=False, defines=names)
    masked = mask_comments_and_strings(data)
    structure, problem, cython = _structure(source, data, masked)
    if not keep:
        return _Phase1(structure, warning or problem, cython, len(data))
    return _Phase1(structure, warning or problem, cython, len(data), data=data, masked=masked)


def _referenced_macros(structure: FileStructure) -> set[str]:
    names: set[str] = set()
    for branch in structure.structure.branches:
        if branch.condition:
            names |= mentioned_identifiers(branch.condition)
    for macro in structure.structure.defines:
        if macro.value:
            names |= mentioned_identifiers(macro.value)
    return names


def _structure_needed_headers(
    files: list[SourceFile], phase1: list[_Phase1], max_bytes: int
) -> list[_Phase1]:
    """Structure the unanalysed files that define macros the analysed files test,
    transitively, so that the guard model sees every definition that matters."""
    phase1 = list(phase1)
    definers: dict[str, list[int]] = {}
    for index, result in enumerate(phase1):
        for name in result.defines:
            definers.setdefault(name, []).append(index)
    seen: set[str] = set()
    for result in phase1:
        if result.structure is not None:
            seen |= _referenced_macros(result.structure)
    todo = list(seen)
    while todo:
        name = todo.pop()
        for index in definers.get(name, ()):
            if phase1[index].structure is not None:
                continue
            try:
                data = read_source(files[index], max_bytes)
            except SourceReadError:
                continue
            structure, problem, _ = _structure(files[index], data)
            old = phase1[index]
            phase1[index] = _Phase1(structure, old.warning or problem, [], old.size, wanted=False)
            new = _referenced_macros(structure) - seen
            seen |= new
            todo.extend(new)
    return phase1


# Worker-process state for phase 2 (set once per process by the pool initializer).
_WORKER: dict[str, object] = {}


def _init_worker(ctx: Context, max_bytes: int, cython_paths: dict[str, str]) -> None:
    _WORKER["ctx"] = ctx
    _WORKER["max_bytes"] = max_bytes
    _WORKER["cython_paths"] = cython_paths


# A phase-2 job names its file; the structure comes from the guard models' tree index,
# which every worker already holds, so it is not shipped to a process a second time.
_Phase2Job = tuple[SourceFile, list[tuple[int, str, int]], bytes | None, bytes | None]


def _phase2(job: _Phase2Job) -> tuple[list[Finding], ScanWarning | None]:
    source, cython, kept_data, kept_masked = job
    ctx = _WORKER["ctx"]
    assert isinstance(ctx, Context)
    structure = ctx.structure_of(source.rel)
    max_bytes = _WORKER["max_bytes"]
    assert isinstance(max_bytes, int)
    cython_paths = _WORKER["cython_paths"]
    assert isinstance(cython_paths, dict)
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


def _fan_out(
    func: Callable[[T], R],
    jobs: list[T],
    workers: int,
    stage: str,
    progress: Progress | None,
    initializer: Callable[..., None] | None = None,
    initargs: tuple[Any, ...] = (),
) -> Iterator[R]:
    total = len(jobs)
    if workers <= 1 or total < 2:
        if initializer is not None:
            initializer(*initargs)
        for done, job in enumerate(jobs, 1):
            yield func(job)
            if progress:
                progress(stage, done, total)
        return
    chunk = max(1, min(64, total // (workers * 8) or 1))
    with ProcessPoolExecutor(max_workers=workers, initializer=initializer, initargs=initargs) as pool:
        for done, result in enumerate(pool.map(func, jobs, chunksize=chunk), 1):
            yield result
            if progress:
                progress(stage, done, total)


def _phase1_job(args: tuple[SourceFile, int, Prefilter, bool]) -> _Phase1:
    return _phase1(*args)


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


def scan(root: Path, options: ScanOptions = ScanOptions(), progress: Progress | None = None) -> ScanResult:
    """Scan ``root`` (a directory or one file). Raises ValueError for unusable options."""
    targets = load_targets()
    chosen = options.targets or targets.names
    for name in chosen:
        targets.by_name(name)  # raises KeyError for unknown names
    rules = options.rules if options.rules is not None else default_rules()
    walked = walk(root, list(options.excludes), options.include_vendored, options.max_bytes)
    warnings = list(walked.warnings)
    base = root if root.is_dir() else root.parent
    # Starting worker processes costs more than a small tree takes to scan in one.
    small = sum(s.size for s in walked.files) < PARALLEL_MIN_BYTES
    workers = 1 if small else max(1, options.jobs)

    prefilter = build_prefilter(rules)
    # A single process keeps each candidate file's bytes (and masked copy) from phase 1
    # for phase 2, within a memory budget; worker processes re-read instead, since
    # shipping bytes between processes costs more than reading them.
    keep = workers <= 1 and sum(s.size for s in walked.files) <= KEEP_BYTES_BUDGET
    phase1 = list(
        _fan_out(
            _phase1_job,
            [(s, options.max_bytes, prefilter, keep) for s in walked.files],
            workers,
            "reading",
            progress,
        )
    )
    phase1 = _structure_needed_headers(walked.files, phase1, options.max_bytes)
    structures = [p.structure for p in phase1 if p.structure is not None]
    warnings.extend(p.warning for p in phase1 if p.warning is not None)
    tree = TreeMacros(structures)
    guards = {m.name: GuardModel(tree, m, targets.known_macros) for m in targets.models}
    ctx = Context(
        rules=rules,
        models=targets.models,
        selected=frozenset(chosen),
        guards=guards,
        fallbacks=default_fallbacks(),
        x86_marker=x86_only_pattern(),
    )
    cython_paths = _cython_paths(
        base, ((p.structure.path, p.cython) for p in phase1 if p.structure is not None and p.cython)
    )
    jobs: list[_Phase2Job] = [
        (s, p.cython, p.data, p.masked) for s, p in zip(walked.files, phase1, strict=True) if p.wanted
    ]
    findings: list[Finding] = []
    for found, warning in _fan_out(
        _phase2, jobs, workers, "analysing", progress, _init_worker, (ctx, options.max_bytes, cython_paths)
    ):
        findings.extend(found)
        if warning is not None:
            warnings.append(warning)
    build_findings, build_warnings, build_read = _scan_build_files(
        walked.build_files,
        rules,
        frozenset(chosen),
        options.max_bytes,
        tuple(s.rel for s in walked.files),
        base,
    )
    findings.extend(build_findings)
    warnings.extend(build_warnings)
    differences: tuple[Difference, ...] = ()
    precise_units = precise_fallbacks = precise_cached = 0
    if options.precise:
        candidates = {s.rel for s, p in zip(walked.files, phase1, strict=True) if p.wanted and not p.cython}
        cache = ResultCache(options.cache_dir) if options.cache_dir is not None else None
        try:
            outcome = run_precise(
                base,
                walked.files,
                candidates,
                findings,
                ctx,
                options.max_bytes,
                _fan_out,
                max(1, options.jobs),  # a parse is slow enough to be worth a process
                progress,
                cache,
            )
        finally:
            if cache is not None:
                cache.close()
        findings = list(outcome.findings)
        warnings.extend(outcome.warnings)
        differences = outcome.differences
        precise_units, precise_fallbacks = outcome.units_parsed, outcome.units_fallback
        precise_cached = outcome.units_cached
    for (path, line), message in sorted(_bad_expressions(guards).items()):
        warnings.append(
            ScanWarning(path, f"line {line}: cannot evaluate #if expression ({message}); treated as 'maybe'")
        )
    return ScanResult(
        root=str(root),
        findings=tuple(sorted(findings, key=Finding.sort_key)),
        warnings=tuple(warnings),
        files_scanned=sum(1 for p in phase1 if p.size > 0) + build_read,
        bytes_scanned=sum(p.size for p in phase1),
        skipped=dict(Counter(walked.skipped)),
        targets=tuple(chosen),
        rules=rules,
        differences=differences,
        precise_units=precise_units,
        precise_fallbacks=precise_fallbacks,
        precise_cached=precise_cached,
    )


def _scan_build_files(
    files: list[SourceFile],
    rules: tuple[Rule, ...],
    selected: frozenset[str],
    max_bytes: int,
    native_rels: tuple[str, ...] = (),
    root: Path = Path("."),
) -> tuple[list[Finding], list[ScanWarning], int]:
    """Build, CI and Fortran files: cheap, so read in this process. Also returns how many
    files were read that the C/Rust passes did not count (build.rs is counted there)."""
    build_rules = tuple(r for r in rules if any(lang.is_build for lang in r.languages))
    if not build_rules or not files:
        return [], [], 0
    texts: dict[str, str] = {}
    warnings: list[ScanWarning] = []
    for source in files:
        if not any(applies(r, source.language, source.rel) for r in build_rules):
            continue
        try:
            texts[source.rel] = read_source(source, max_bytes).decode("utf-8", "replace")
        except SourceReadError as error:
            warnings.append(ScanWarning(source.rel, str(error)))
    # A workflow's project is the directory holding its .github (the root, or a member
    # of a monorepo): its pyproject.toml may say which archs cibuildwheel builds.
    pyprojects = {
        s.rel.removesuffix("pyproject.toml"): s for s in files if s.rel.rsplit("/", 1)[-1] == "pyproject.toml"
    }
    projects = _top_level_projects(texts)
    findings: list[Finding] = []
    for source in files:
        if source.rel not in texts:
            continue
        project_dir = (
            source.rel.split(".github/workflows/", 1)[0] if source.language is Language.WORKFLOW else ""
        )
        pyproject = pyprojects.get(project_dir)
        pyproject_text = texts.get(pyproject.rel) if pyproject is not None else None
        if pyproject is not None and pyproject_text is None:
            try:
                pyproject_text = read_source(pyproject, max_bytes).decode("utf-8", "replace")
            except SourceReadError:
                pyproject_text = None
        context = project_context(pyproject_text)
        if source.rel in projects:
            prefix = projects[source.rel]
            workflows = prefix + ".github/workflows/"
            context = replace(
                context,
                ci_text="\n".join(t for rel, t in texts.items() if rel.startswith(workflows)),
                native_sources=sum(1 for rel in native_rels if rel.startswith(prefix)),
                # Only a checkout can tell "no wheel CI": an sdist rarely ships .github/.
                is_project_root=any(rel.startswith(workflows) for rel in texts)
                or (root / prefix / ".git").exists(),
            )
        found, problem = analyze_build_file(
            source.rel, source.language, texts[source.rel], build_rules, selected, context
        )
        findings.extend(found)
        if problem is not None:
            warnings.append(ScanWarning(source.rel, problem))
    counted = sum(1 for rel in texts if not rel.endswith(".rs"))
    return _one_per_tree(findings, build_rules), warnings, counted


def _top_level_projects(texts: dict[str, str]) -> dict[str, str]:
    """The top-level build file of each project (pyproject.toml, else setup.py, in a
    directory no ancestor of which has one) -> that project's directory prefix."""
    dirs = {
        rel.rsplit("/", 1)[0] + "/" if "/" in rel else ""
        for rel in texts
        if rel.rsplit("/", 1)[-1] in ("pyproject.toml", "setup.py")
    }
    tops = {d for d in dirs if not any(o != d and d.startswith(o) for o in dirs)}
    chosen: dict[str, str] = {}
    for prefix in tops:
        anchor = prefix + ("pyproject.toml" if prefix + "pyproject.toml" in texts else "setup.py")
        chosen[anchor] = prefix
    return chosen


def _one_per_tree(findings: list[Finding], rules: tuple[Rule, ...]) -> list[Finding]:
    """A ``file`` rule (Fortran sources) is a fact about the project, not each file: keep
    the first finding, saying how many files there are."""
    per_file = {r.id: r for r in rules if r.match.kind == "file"}
    grouped: dict[str, list[Finding]] = {}
    kept: list[Finding] = []
    for finding in findings:
        if finding.rule_id in per_file:
            grouped.setdefault(finding.rule_id, []).append(finding)
        else:
            kept.append(finding)
    for rule_id, group in grouped.items():
        group.sort(key=Finding.sort_key)
        first = group[0]
        what = f"{len(group)} file(s), e.g. {first.location.path}" if len(group) > 1 else first.location.path
        message = per_file[rule_id].message.replace("{match}", what)
        kept.append(replace(first, message=message))
    return kept


def _bad_expressions(guards: dict[str, GuardModel]) -> dict[tuple[str, int], str]:
    merged: dict[tuple[str, int], str] = {}
    for guard in guards.values():
        merged.update(guard.bad_expressions)
    return merged


def default_jobs() -> int:
    return max(1, min(8, os.cpu_count() or 1))
