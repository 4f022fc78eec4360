"""Scan a tree: walk it, run the fast mode over its native sources, the build and CI rules
over its build files, optionally precise mode, and gather one :class:`ScanResult`. Only
orchestration lives here; each stage is its own subpackage."""

from __future__ import annotations

import tempfile
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

from analyzer.buildfiles import scan_build_files
from analyzer.buildmodel.deps import (
    NOT_DEPENDENCIES,
    Dependency,
    built_in_tree,
    dependencies,
    in_examples,
    is_built_in_tree,
    is_dependency_file,
    normalized,
)
from analyzer.buildmodel.model import external_libraries, plan_tree
from analyzer.buildmodel.plan import BuildPlan, system_libraries
from analyzer.model import Finding, Language, ScanWarning
from analyzer.native.engine import scan_native
from analyzer.native.probe import ProbeJudge
from analyzer.native.sources import (
    DEFAULT_MAX_BYTES,
    SourceFile,
    WalkResult,
    listed_by_build,
    meson_vendored,
    walk,
)
from analyzer.paths import repository_root
from analyzer.pool import Progress, default_jobs
from analyzer.projectmeta import missing_submodules, read_project_urls
from analyzer.result import ScanResult
from analyzer.rules import Rule, default_rules
from analyzer.targets import TargetData, load_targets
from analyzer.verdict import own_workflow

__all__ = ["Progress", "ScanOptions", "ScanResult", "default_jobs", "scan"]

# The skipped-count key for files with x86 code that no unit compiles on a selected model.
NOT_COMPILED = "not compiled on a selected model (no translation unit reaches it; --all-code lists it)"
# The skipped-count key for compile-probe sources the build model found.
BUILD_PROBE = "build probe source (a test program the build compiles; not package code)"
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


def walk_tree(root: Path, options: ScanOptions) -> WalkResult:
    """The files a scan of ``root`` with ``options`` reads."""
    return walk(
        root, list(options.excludes), options.include_vendored, options.max_bytes, options.include_tests
    )


MAX_DEPENDENCY_FILE = 2 * 1024 * 1024


def read_dependencies(
    base: Path, walked: WalkResult, linked: tuple[str, ...]
) -> tuple[tuple[str, ...], tuple[Dependency, ...]]:
    """The libraries the build model says the build links (``linked``) and the native
    dependencies the tree's build files look for, both without what the build compiles
    from the tree when it is not installed (``add_subdirectory(extern/x)``,
    ``subproject('x')``) and without examples', tests' and docs' build files."""
    wanted = [s.rel for s in walked.build_files if is_dependency_file(s.rel) and not in_examples(s.rel)]
    manifests = ("vcpkg.json", "packages.config")
    wanted += [f for f in walked.all_files if f.count("/") <= 1 and f.rsplit("/", 1)[-1] in manifests]
    texts = []
    for rel in dict.fromkeys(wanted):
        path = base / rel
        try:
            if path.is_symlink() or not path.is_file() or path.stat().st_size > MAX_DEPENDENCY_FILE:
                continue
            texts.append((rel, path.read_text(encoding="utf-8", errors="replace")))
        except OSError:
            continue
    built = built_in_tree(texts)
    system = system_libraries()
    libraries = tuple(
        name
        for name in linked
        if not is_built_in_tree(name, built) and normalized(name) not in system | NOT_DEPENDENCIES
    )
    known = {normalized(name) for name in linked}
    found = tuple(
        d
        for d in dependencies(texts)
        if normalized(d.name) not in known
        and normalized(d.name) not in system
        and not is_built_in_tree(d.name, built)
    )
    return libraries, found


def tree_plan(
    base: Path,
    walked: WalkResult,
    rules: tuple[Rule, ...],
    targets: TargetData,
    judge: ProbeJudge | None = None,
) -> BuildPlan | None:
    """The static build model of the tree at ``base`` (None when no build is modelled).
    ``judge``: how compile probes are decided (default: read by the fast mode)."""
    files = sorted({*walked.all_files, *(s.rel for s in walked.build_files)})
    return plan_tree(base, files, judge or ProbeJudge(rules, targets), targets.names)


def scan(root: Path, options: ScanOptions = ScanOptions(), progress: Progress | None = None) -> ScanResult:
    """Scan ``root`` (a directory or one file). Raises ValueError for unusable options."""
    with tempfile.TemporaryDirectory(prefix="woaport-cython-") as scratch:
        return _scan(root, options, progress, Path(scratch))


CYTHON_RUNTIME = "findings in Cython's runtime support code (C generated here)"


def _translated_cython(
    base: Path, walked: WalkResult, options: ScanOptions, scratch: Path
) -> tuple[dict[str, str], list[ScanWarning]]:
    """C for the tree's Cython sources that ship without it, added to the walk as if it
    sat beside them (the build model then finds it as it finds shipped C): the generated
    C's paths (to their .pyx) and what could not be translated."""
    from analyzer import cython  # loaded when a tree is walked for .pyx (not for one file)

    if not options.cython or not cython.available():
        return {}, []
    pending = [
        rel for rel in cython.untranslated(walked.all_files) if options.include_tests or not in_examples(rel)
    ]
    if not pending:
        return {}, []
    cache = options.cache_dir / "cython" if options.cache_dir is not None else None
    files, warnings = cython.translate(base, pending, scratch, max(1, options.jobs), cache, walked.all_files)
    walked.files.extend(files)
    walked.all_files.extend(f.rel for f in files)
    return {f.rel: f.rel.rsplit(".", 1)[0] + ".pyx" for f in files}, warnings


def _scan(root: Path, options: ScanOptions, progress: Progress | None, scratch: Path) -> ScanResult:
    targets = load_targets()
    chosen = options.targets or targets.names
    for name in chosen:
        targets.by_name(name)  # raises KeyError for unknown names
    selected = frozenset(chosen)
    rules = options.rules if options.rules is not None else default_rules()
    walked = walk(
        root, list(options.excludes), options.include_vendored, options.max_bytes, options.include_tests
    )
    base = root if root.is_dir() else root.parent
    generated, cython_warnings = (
        _translated_cython(base, walked, options, scratch) if root.is_dir() else ({}, [])
    )
    small = sum(s.size for s in walked.files) < PARALLEL_MIN_BYTES
    workers = 1 if small else max(1, options.jobs)

    plan = None
    build_warnings: list[ScanWarning] = []
    if options.build_model and root.is_dir():
        try:
            plan = tree_plan(base, walked, rules, targets)
        except Exception as error:  # a defect in the build model must not lose the scan
            build_warnings.append(
                ScanWarning(
                    "", f"build model failed ({type(error).__name__}: {error}); each file judged alone"
                )
            )
    sources = walked.files
    if plan is not None and not options.include_tests:
        known = {s.rel for s in walked.files}
        compiled = [
            rel for rel, by_model in plan.compiled().items() if rel not in known and 1 in by_model.values()
        ]
        walked.files.extend(listed_by_build(base, compiled, walked, options.max_bytes))
    if plan is not None and plan.helper_files:
        # Modules setup.py imports hold build logic too: the setup.py rules read them.
        listed = {s.rel for s in walked.build_files}
        for rel in plan.helper_files:
            path = base / rel
            if rel not in listed and path.is_file() and not path.is_symlink():
                walked.build_files.append(
                    SourceFile(path, rel, Language.SETUP_PY, False, path.stat().st_size)
                )
    if plan is not None and plan.probe_files:
        sources = [s for s in walked.files if s.rel not in plan.probe_files]
        walked.skipped[BUILD_PROBE] += len(walked.files) - len(sources)
    native = scan_native(
        base, sources, rules, targets, selected, options.max_bytes, workers, progress, options.all_code, plan
    )
    findings: list[Finding] = list(native.findings)
    cython_runtime = 0
    if generated:
        from analyzer import cython

        findings, cython_runtime = cython.generated_findings(findings, generated, base)
    warnings = [*walked.warnings, *cython_warnings, *build_warnings, *native.warnings]
    build_findings, build_file_warnings, build_read = scan_build_files(
        _used_build_files(walked.build_files, plan),
        rules,
        selected,
        options.max_bytes,
        tuple(s.rel for s in walked.files),
        base,
        plan.events if plan is not None else (),
        plan.command_lines if plan is not None else (),
        plan.dead_branches if plan is not None else (),
    )
    findings.extend(build_findings)
    warnings.extend(build_file_warnings)
    skipped = Counter(walked.skipped)
    if native.not_compiled_files:
        skipped[NOT_COMPILED] = native.not_compiled_files
    if cython_runtime:
        skipped[CYTHON_RUNTIME] = cython_runtime
    linked, needed = read_dependencies(base, walked, external_libraries(plan, walked.all_files))
    # The git work tree holding the scanned folder (found on disk; no git runs).
    repository = repository_root(base) if base.is_dir() else None
    result = ScanResult(
        root=str(root),
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
            for s in walked.build_files
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
                walked.files,
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


def _used_build_files(files: list[SourceFile], plan: BuildPlan | None) -> list[SourceFile]:
    """The build and CI files to judge: in a meson build, a subproject's other build
    systems (its CMakeLists.txt, setup.py, CI) are not what builds it, so they are left
    out; its meson files are read (and judged) where the project uses them."""
    return [s for s in files if s.language is Language.MESON or not meson_vendored(plan, s.rel)]
