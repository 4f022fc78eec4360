"""Scan a tree: walk it, run the fast mode over its native sources, the build and CI rules
over its build files, optionally precise mode, and gather one :class:`ScanResult`. Only
orchestration lives here; each stage is its own subpackage."""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from analyzer.buildfiles import scan_build_files
from analyzer.buildmodel.deps import (
    NOT_DEPENDENCIES,
    Dependency,
    built_in_tree,
    first_of_each_name,
    in_examples,
    is_built_in_tree,
    is_dependency_file,
    is_dependency_name,
    normalized,
)
from analyzer.buildmodel.plan import BuildPlan, system_libraries
from analyzer.buildmodel.textual import dependencies_in
from analyzer.model import Finding, Language, ScanWarning
from analyzer.native.engine import scan_native
from analyzer.native.sources import DEFAULT_MAX_BYTES, SourceFile, meson_vendored
from analyzer.paths import repository_root
from analyzer.pool import Progress, default_jobs
from analyzer.project import BUILD_PROBE, Project, TreeOptions, open_project
from analyzer.projectmeta import missing_submodules, read_project_urls
from analyzer.result import ScanResult
from analyzer.rules import Rule, default_rules
from analyzer.targets import TargetData, load_targets
from analyzer.verdict import own_workflow

if TYPE_CHECKING:  # the index client loads only for a pypi: input
    from analyzer.index.simple import SimpleIndex

__all__ = [
    "BUILD_PROBE",
    "Progress",
    "ScanOptions",
    "ScanResult",
    "default_jobs",
    "judge_project",
    "scan",
    "tree_options",
]

# The skipped-count key for files with x86 code that no unit compiles on a selected model.
NOT_COMPILED = "not compiled on a selected model (no translation unit reaches it; --all-code lists it)"
# Starting worker processes costs more than a small tree takes to scan in one.
PARALLEL_MIN_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class ScanOptions:
    targets: tuple[str, ...] = ()
    rules: tuple[Rule, ...] | None = None
    excludes: tuple[str, ...] = ()
    include_vendored: bool = False
    include_tests: bool = False  # also scan tests/, docs/, examples/... (not package code)
    max_bytes: int = DEFAULT_MAX_BYTES
    jobs: int = 1
    precise: bool = False  # also parse translation units with libclang (analyzer/precise/)
    python_include: Path | None = None  # precise mode: a Windows CPython SDK's include/
    cython: bool = True  # translate .pyx shipped without C (when the cython package is there)
    cache_dir: Path | None = None  # where precise-mode results are cached (None: no cache)
    all_code: bool = False  # also list findings in files no unit compiles on a selected model
    build_model: bool = True  # read the build files (analyzer/buildmodel/) for units and macros


def _runs_nowhere(plan: BuildPlan | None, where: str) -> bool:
    """The build model read the file of ``where`` ("path:line") and its line runs on no
    model (a find_package in a branch no Windows build takes): not a dependency. Where
    the model did not read the file, the text reader's own guard guess stands."""
    path, _, line = where.rpartition(":")
    return plan is not None and line.isdigit() and plan.runs_nowhere(path, int(line))


def tree_options(options: ScanOptions) -> TreeOptions:
    """The options of the stages before the judging (:mod:`analyzer.project`)."""
    return TreeOptions(
        excludes=options.excludes,
        include_vendored=options.include_vendored,
        include_tests=options.include_tests,
        max_bytes=options.max_bytes,
        cython=options.cython,
        cython_cache=options.cache_dir / "cython" if options.cache_dir is not None else None,
        jobs=max(1, options.jobs),
        build_model=options.build_model,
    )


MAX_DEPENDENCY_FILE = 2 * 1024 * 1024


def read_dependencies(
    base: Path,
    build_files: tuple[SourceFile, ...],
    all_files: tuple[str, ...],
    linked: tuple[str, ...],
    plan: BuildPlan | None = None,
) -> tuple[tuple[str, ...], tuple[Dependency, ...]]:
    """The libraries the build model says the build links (``linked``) and the native
    dependencies the tree's build files look for, both without what the build compiles
    from the tree when it is not installed (``add_subdirectory(extern/x)``,
    ``subproject('x')``) and without examples', tests' and docs' build files."""
    wanted = [s.rel for s in build_files if is_dependency_file(s.rel) and not in_examples(s.rel)]
    manifests = ("vcpkg.json", "packages.config")
    wanted += [f for f in all_files if f.count("/") <= 1 and f.rsplit("/", 1)[-1] in manifests]
    texts = []
    for rel in dict.fromkeys(wanted):
        path = base / rel
        try:
            if path.is_symlink() or not path.is_file() or path.stat().st_size > MAX_DEPENDENCY_FILE:
                continue
            texts.append((rel, path.read_text(encoding="utf-8", errors="replace")))
        except OSError:
            continue
    # What the build compiles from source: as the model ran it, and the text's guess for
    # the files the model did not read in full.
    in_full = {rel for rel, _ in texts if plan is not None and plan.read_in_full(rel)}
    unread = [(rel, text) for rel, text in texts if rel not in in_full]
    built = built_in_tree(unread) | {normalized(n) for n in (plan.built_here if plan is not None else ())}
    system = system_libraries()
    # A linked library the model also saw looked for (meson's cc.find_library) is told as
    # that lookup, with its line, not as a bare name.
    lookups = [
        d
        for d in (plan.dependencies if plan is not None else ())
        if not d.runs_nowhere() and is_dependency_name(d.name) and not in_examples(d.build_file)
    ]
    looked_up = {normalized(d.name) for d in lookups}
    libraries = tuple(
        name
        for name in linked
        if not is_built_in_tree(name, built)
        and normalized(name) not in system | NOT_DEPENDENCIES
        and normalized(name) not in looked_up
    )
    known = {normalized(name) for name in linked} - looked_up
    # A build file the model evaluated in full (CMake, meson): the lookups as the model ran
    # them (names with their variables expanded, only where a model runs them). Any other
    # file: the text reader's names, and the model's where it computed more (setup.py's
    # pkg-config and pg_config calls with names from variables).
    by_file: dict[str, list[Dependency]] = {}
    for lookup in sorted(lookups, key=lambda d: d.line):
        where = f"{lookup.build_file}:{lookup.line}"
        by_file.setdefault(lookup.build_file, []).append(Dependency(lookup.name, lookup.route, where))
    named: list[Dependency] = []
    for rel, text in texts:
        if rel not in in_full:
            named.extend(dependencies_in(rel, text))
        named.extend(by_file.pop(rel, ()))
    # Modules setup.py imports (setupinfo.py): only the model reads their calls.
    named.extend(d for found in by_file.values() for d in found)
    found = tuple(
        d
        for d in first_of_each_name(named)
        if not _runs_nowhere(plan, d.where)
        if normalized(d.name) not in known
        and normalized(d.name) not in system
        and not is_built_in_tree(d.name, built)
    )
    return libraries, found


def scan_inputs(
    inputs: Sequence[str],
    options: ScanOptions,
    index_url: str | None,
    log: Callable[[str], None],
    make_index: Callable[[str], SimpleIndex] | None = None,
    progress: Progress | None = None,
    only_files: set[str] | None = None,
) -> list[ScanResult]:
    """Each input (a path, an sdist, ``pypi:NAME``) opened and scanned, labelled as given,
    local paths reported relative to their repository (or the current folder), and with
    ``only_files`` (repository-relative) only their findings. Raises InputProblem."""
    from analyzer.inputs import open_input, prefix_for, rebase

    results: list[ScanResult] = []
    with ExitStack() as stack:
        for target in inputs:
            opened = stack.enter_context(
                open_input(target, index_url=index_url, log=log, make_index=make_index)
            )
            result = scan(opened.root, options, progress)
            result = replace(
                result,
                root=opened.label,
                warnings=opened.warnings + result.warnings,
                released_win_arm64=opened.released_win_arm64,
            )
            if opened.local:
                result = rebase(result, prefix_for(opened.root, Path.cwd()))
            if only_files is not None:
                result = result.restricted_to(only_files)
            results.append(result)
    return results


def scan(root: Path, options: ScanOptions = ScanOptions(), progress: Progress | None = None) -> ScanResult:
    """Scan ``root`` (a directory or one file). Raises ValueError for unusable options."""
    with tempfile.TemporaryDirectory(prefix="woaport-cython-") as scratch:
        return _scan(root, options, progress, Path(scratch))


CYTHON_RUNTIME = "findings in Cython's runtime support code (C generated here)"


def _scan(root: Path, options: ScanOptions, progress: Progress | None, scratch: Path) -> ScanResult:
    targets = load_targets()
    chosen = options.targets or targets.names
    for name in chosen:
        targets.by_name(name)  # raises KeyError for unknown names
    rules = options.rules if options.rules is not None else default_rules()
    project = open_project(root, tree_options(options), rules, targets, scratch)
    return judge_project(project, options, rules, targets, tuple(chosen), progress)


def judge_project(
    project: Project,
    options: ScanOptions,
    rules: tuple[Rule, ...],
    targets: TargetData,
    chosen: tuple[str, ...],
    progress: Progress | None = None,
) -> ScanResult:
    """The scan's result for an opened ``project`` on the ``chosen`` target models: the
    fast mode over its units, the build and CI rules over its build files, precise mode
    when asked."""
    selected = frozenset(chosen)
    base, plan, tree = project.base, project.plan, project.tree
    small = sum(s.size for s in project.files) < PARALLEL_MIN_BYTES
    workers = 1 if small else max(1, options.jobs)
    native = scan_native(
        base,
        list(project.sources),
        rules,
        targets,
        selected,
        options.max_bytes,
        workers,
        progress,
        options.all_code,
        plan,
    )
    findings: list[Finding] = list(native.findings)
    cython_runtime = 0
    if tree.generated:
        from analyzer import cython

        findings, cython_runtime = cython.generated_findings(findings, dict(tree.generated), base)
    warnings = [*tree.warnings, *project.warnings, *native.warnings]
    build_findings, build_file_warnings, build_read = scan_build_files(
        _used_build_files(project.build_files, plan),
        rules,
        selected,
        options.max_bytes,
        tuple(s.rel for s in project.files),
        base,
        plan.events if plan is not None else (),
        plan.command_lines if plan is not None else (),
        plan.dead_branches if plan is not None else (),
    )
    findings.extend(build_findings)
    warnings.extend(build_file_warnings)
    skipped = Counter(project.skipped)
    if native.not_compiled_files:
        skipped[NOT_COMPILED] = native.not_compiled_files
    if cython_runtime:
        skipped[CYTHON_RUNTIME] = cython_runtime
    linked_by_plan: tuple[str, ...] = ()
    if plan is not None:
        from analyzer.buildmodel.model import external_libraries  # not for one file

        linked_by_plan = external_libraries(plan, list(project.all_files))
    linked, needed = read_dependencies(base, project.build_files, project.all_files, linked_by_plan, plan)
    # The git work tree holding the scanned folder (found on disk; no git runs).
    repository = repository_root(base) if base.is_dir() else None
    result = ScanResult(
        root=str(tree.root),
        findings=(),
        warnings=(),
        files_scanned=native.files_read + build_read,
        bytes_scanned=native.bytes_read,
        skipped=dict(skipped),
        targets=tuple(chosen),
        rules=rules,
        not_compiled=native.not_compiled,
        build_systems=plan.systems if plan is not None else (),
        # The tree's own CI files (not a vendored project's .github/).
        ci_files=sum(
            1
            for s in project.build_files
            if s.language in (Language.WORKFLOW, Language.CI_CONFIG) and own_workflow(s.rel)
        ),
        external_libraries=linked,
        project_urls=read_project_urls(base),
        missing_submodules=missing_submodules(base),
        dependencies=tuple((d.name, d.route, d.where) for d in needed),
        # The repository's own root (its CI lives here), or a folder inside one.
        in_repository=repository == base.resolve(),
        in_repository_folder=repository is not None and repository != base.resolve(),
    )
    if options.precise:
        from analyzer.precise.cache import ResultCache
        from analyzer.precise.run import run_precise

        cache = ResultCache(options.cache_dir) if options.cache_dir is not None else None
        if cache is not None and cache.notice:
            warnings.append(ScanWarning("", f"precise mode: {cache.notice}"))
        try:
            outcome = run_precise(
                base,
                list(project.files),
                set(native.candidates),
                findings,
                native.ctx,
                options.max_bytes,
                max(1, options.jobs),  # a parse is slow enough to be worth a process
                progress,
                cache,
                plan,
                options.python_include,
            )
        finally:
            if cache is not None:
                cache.close()
        findings = list(outcome.findings)
        warnings.extend(outcome.warnings)
        result = replace(
            result,
            differences=outcome.differences,
            precise_units=outcome.units_parsed,
            precise_fallbacks=outcome.units_fallback,
            precise_cached=outcome.units_cached,
        )
    return replace(result, findings=tuple(sorted(findings, key=Finding.sort_key)), warnings=tuple(warnings))


def _used_build_files(files: tuple[SourceFile, ...], plan: BuildPlan | None) -> list[SourceFile]:
    """The build and CI files to judge: in a meson build, a subproject's other build
    systems (its CMakeLists.txt, setup.py, CI) are not what builds it, so they are left
    out; its meson files are read (and judged) where the project uses them."""
    return [s for s in files if s.language is Language.MESON or not meson_vendored(plan, s.rel)]
