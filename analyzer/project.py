"""The first stages of every command as frozen values: a tree is walked (:class:`Tree`),
its Cython sources without C are translated (a new :class:`Tree`), and its build is read
(:class:`Project`). Each stage returns a new value and changes none it was given, so
scan, build-plan, prove, fix and fix's verification all start from the same
:func:`open_project` and agree on what the tree holds and what its build compiles.

What comes after (the fast mode over the units, the build and CI rules, precise mode,
the verdict) is :mod:`analyzer.scan`'s, over a :class:`Project`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType

from analyzer.buildmodel.deps import in_examples
from analyzer.buildmodel.plan import BuildPlan, ProbeJudge
from analyzer.model import Language, ScanWarning
from analyzer.native.probe import ProbeJudge as FastProbeJudge
from analyzer.native.sources import DEFAULT_MAX_BYTES, SourceFile, WalkResult, listed_by_build, walk
from analyzer.rules import Rule
from analyzer.targets import TargetData

__all__ = [
    "BUILD_PROBE",
    "Project",
    "Tree",
    "TreeOptions",
    "open_project",
    "plan_stage",
    "translate_stage",
    "walk_stage",
]

# The skipped-count key for compile-probe sources the build model found.
BUILD_PROBE = "build probe source (a test program the build compiles; not package code)"


def _frozen_counts(counts: Mapping[str, int]) -> Mapping[str, int]:
    return MappingProxyType({key: value for key, value in counts.items() if value})


@dataclass(frozen=True)
class TreeOptions:
    """What decides which files a walk keeps and which stages run."""

    excludes: tuple[str, ...] = ()
    include_vendored: bool = False
    include_tests: bool = False  # also tests/, docs/, examples/... (not package code)
    max_bytes: int = DEFAULT_MAX_BYTES
    cython: bool = True  # translate .pyx shipped without C (when the cython package is there)
    cython_cache: Path | None = None  # where translations are kept between runs
    jobs: int = 1
    build_model: bool = True  # read the build files (analyzer/buildmodel/)


@dataclass(frozen=True)
class Tree:
    """The files of one input: ``root`` as given (a folder or one file), ``base`` the
    folder the relative paths start from."""

    root: Path
    base: Path
    files: tuple[SourceFile, ...]  # C, C++, Rust (and Cython-generated C) sources
    build_files: tuple[SourceFile, ...]  # build, CI and Fortran files
    all_files: tuple[str, ...]  # every file name kept, any type (the build model's file system)
    skipped: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    warnings: tuple[ScanWarning, ...] = ()
    # C this run generated from Cython: its path -> the .pyx it came from.
    generated: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def is_dir(self) -> bool:
        return self.base == self.root  # a folder is its own base; one file has its parent


@dataclass(frozen=True)
class Project:
    """A tree with its build read: ``plan`` is None when no build is modelled (or the
    model failed, said in ``warnings``). ``files`` adds what the build compiles from
    folders the walk leaves out; ``sources`` is ``files`` without the build's compile
    probes (what the fast mode judges); ``build_files`` adds the modules setup.py
    imports."""

    tree: Tree
    plan: BuildPlan | None
    files: tuple[SourceFile, ...]
    sources: tuple[SourceFile, ...]
    build_files: tuple[SourceFile, ...]
    skipped: Mapping[str, int]
    warnings: tuple[ScanWarning, ...]

    @property
    def base(self) -> Path:
        return self.tree.base

    @property
    def all_files(self) -> tuple[str, ...]:
        return self.tree.all_files


def _freeze(root: Path, walked: WalkResult) -> Tree:
    return Tree(
        root=root,
        base=root if root.is_dir() else root.parent,
        files=tuple(walked.files),
        build_files=tuple(walked.build_files),
        all_files=tuple(walked.all_files),
        skipped=_frozen_counts(walked.skipped),
        warnings=tuple(walked.warnings),
    )


def walk_stage(root: Path, options: TreeOptions) -> Tree:
    """The files a run over ``root`` with ``options`` reads."""
    walked = walk(
        root, list(options.excludes), options.include_vendored, options.max_bytes, options.include_tests
    )
    return _freeze(root, walked)


def translate_stage(tree: Tree, options: TreeOptions, scratch: Path) -> Tree:
    """``tree`` with C for its Cython sources that ship without it, as if the C sat beside
    them (the build model then finds it as it finds shipped C), written below
    ``scratch``; what could not be translated is a warning."""
    from analyzer import cython  # loaded when a tree is walked for .pyx (not for one file)

    if not tree.is_dir or not options.cython or not cython.available():
        return tree
    pending = [
        rel
        for rel in cython.untranslated(list(tree.all_files))
        if options.include_tests or not in_examples(rel)
    ]
    if not pending:
        return tree
    files, warnings = cython.translate(
        tree.base, pending, scratch, max(1, options.jobs), options.cython_cache, list(tree.all_files)
    )
    return replace(
        tree,
        files=(*tree.files, *files),
        all_files=(*tree.all_files, *(f.rel for f in files)),
        warnings=(*tree.warnings, *warnings),
        generated=MappingProxyType({f.rel: f.rel.rsplit(".", 1)[0] + ".pyx" for f in files}),
    )


def read_plan(tree: Tree, judge: ProbeJudge, models: tuple[str, ...]) -> BuildPlan | None:
    """The static build model of ``tree`` (None when no build is modelled). Raises what
    the model raises."""
    from analyzer.buildmodel.model import plan_tree  # only a tree has a build to read

    files = sorted({*tree.all_files, *(s.rel for s in tree.build_files)})
    return plan_tree(tree.base, files, judge, models)


def plan_stage(
    tree: Tree,
    options: TreeOptions,
    rules: tuple[Rule, ...],
    targets: TargetData,
    judge: ProbeJudge | None = None,
) -> Project:
    """``tree`` with its build read. ``judge`` decides compile probes (default: the fast
    mode reads them). A defect in the build model does not lose the run: the plan is
    None and a warning says why, so each file is judged alone."""
    plan = None
    warnings: list[ScanWarning] = []
    if options.build_model and tree.is_dir:
        try:
            plan = read_plan(tree, judge or FastProbeJudge(rules, targets), targets.names)
        except Exception as error:  # a defect in the build model must not lose the scan
            message = f"build model failed ({type(error).__name__}: {error}); each file judged alone"
            warnings.append(ScanWarning("", message))
    files = tree.files
    build_files = tree.build_files
    skipped = Counter(tree.skipped)
    if plan is not None and not options.include_tests:
        known = {s.rel for s in tree.files}
        compiled = [
            rel for rel, by_model in plan.compiled().items() if rel not in known and 1 in by_model.values()
        ]
        listing = WalkResult()
        files = (*files, *listed_by_build(tree.base, compiled, listing, options.max_bytes))
        skipped.update(listing.skipped)
        warnings.extend(listing.warnings)
    if plan is not None and plan.helper_files:
        # Modules setup.py imports hold build logic too: the setup.py rules read them.
        listed = {s.rel for s in build_files}
        helpers = []
        for rel in plan.helper_files:
            path = tree.base / rel
            if rel not in listed and path.is_file() and not path.is_symlink():
                helpers.append(SourceFile(path, rel, Language.SETUP_PY, False, path.stat().st_size))
        build_files = (*build_files, *helpers)
    sources = files
    if plan is not None and plan.probe_files:
        sources = tuple(s for s in files if s.rel not in plan.probe_files)
        skipped[BUILD_PROBE] += len(files) - len(sources)
    return Project(
        tree=tree,
        plan=plan,
        files=files,
        sources=sources,
        build_files=build_files,
        skipped=_frozen_counts(skipped),
        warnings=tuple(warnings),
    )


def open_project(
    root: Path,
    options: TreeOptions,
    rules: tuple[Rule, ...],
    targets: TargetData,
    scratch: Path | None = None,
    judge: ProbeJudge | None = None,
) -> Project:
    """Walk ``root``, translate its Cython (when ``scratch`` is given: the C is written
    there, so it lives as long as the caller keeps ``scratch``) and read its build."""
    tree = walk_stage(root, options)
    if scratch is not None:
        tree = translate_stage(tree, options, scratch)
    return plan_stage(tree, options, rules, targets, judge)


def plan_of(
    root: Path, options: TreeOptions = TreeOptions(), judge: ProbeJudge | None = None
) -> BuildPlan | None:
    """The build model of the tree at ``root`` with the default rules and target models,
    for callers that want the plan alone (no Cython translation; a defect in the model
    raises here rather than becoming a warning)."""
    from analyzer.rules import default_rules
    from analyzer.targets import load_targets

    targets = load_targets()
    tree = walk_stage(root, options)
    return read_plan(tree, judge or FastProbeJudge(default_rules(), targets), targets.names)
