"""Build, CI and Fortran files: each read once, every build rule's kind run over one view
of it, findings built by :mod:`analyzer.findings`. Nothing is executed."""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from analyzer.buildmodel.model import project_dirs
from analyzer.buildmodel.parse import BuildFileView, ProjectContext, Unparseable, project_context
from analyzer.buildmodel.plan import CommandLines, DeadBranches, PlanEvent
from analyzer.findings import format_message, make_finding, suppressed
from analyzer.kinds.build import BuildKind
from analyzer.kinds.rule import Rule
from analyzer.model import Finding, Language, Location, ScanWarning, Severity
from analyzer.native.sources import CI_DIRECTORIES, SourceFile, SourceReadError, read_source
from analyzer.wheeltags import WIN_ARM64

if TYPE_CHECKING:
    from analyzer.ci import CiModel

NO_CONTEXT = ProjectContext()  # a build file judged on its own


def applies(rule: Rule, language: Language, rel: str) -> bool:
    return language in rule.languages and rule.match.applies_to(rel)


def analyze_build_file(
    rel: str,
    language: Language,
    text: str,
    rules: tuple[Rule, ...],
    selected: frozenset[str],
    context: ProjectContext = NO_CONTEXT,
) -> tuple[list[Finding], str | None]:
    """Findings for one build file, and a problem to warn about (unparseable file)."""
    view = BuildFileView(rel, language, text, context)
    lines = view.lines

    def line_text(number: int) -> str:
        return lines[number - 1] if 0 < number <= len(lines) else ""

    findings: list[Finding] = []
    problem: str | None = None
    for rule in rules:
        if not applies(rule, language, rel) or not isinstance(rule.match, BuildKind):
            continue
        try:
            hits = list(rule.match.hits(view))
        except Unparseable as error:
            problem = str(error)
            continue
        for hit in hits:
            if suppressed(line_text, hit.line, rule.id, language):
                continue
            finding = make_finding(
                rule,
                Location(rel, hit.line, hit.column, hit.line, hit.end_column),
                dict(hit.models) if hit.models is not None else dict.fromkeys(rule.models, 1),
                selected,
                format_message(rule.message, match=hit.match),
                rule.fallback,
                line_text(hit.line),
            )
            if finding is not None:
                findings.append(finding)
    return sorted(set(findings), key=Finding.sort_key), problem


def scan_build_files(
    files: list[SourceFile],
    rules: tuple[Rule, ...],
    selected: frozenset[str],
    max_bytes: int,
    native_rels: tuple[str, ...] = (),
    root: Path = Path("."),
    plan_events: tuple[PlanEvent, ...] = (),
    command_lines: tuple[CommandLines, ...] = (),
    dead_branches: tuple[DeadBranches, ...] = (),
) -> tuple[list[Finding], list[ScanWarning], int]:
    """Build, CI and Fortran files: cheap, so read in this process. Also returns how many
    files were read that the C/Rust passes did not count (build.rs is counted there)."""
    build_rules = tuple(r for r in rules if isinstance(r.match, BuildKind))
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
    setup_texts: dict[str, str] = {}
    for source in files:
        if source.language is Language.SETUP_PY and source.rel in texts:
            folder = posixpath.dirname(source.rel)
            setup_texts[folder] = setup_texts.get(folder, "") + "\n" + texts[source.rel]
    from analyzer.ci import CiModel, read_ci  # the CI model loads when there is a CI file

    findings: list[Finding] = []
    ci_models: dict[str, CiModel] = {}
    for source in files:
        if source.rel not in texts:
            continue
        project_dir = ci_project_dir(source.rel, source.language)
        pyproject = pyprojects.get(project_dir)
        pyproject_text = texts.get(pyproject.rel) if pyproject is not None else None
        if pyproject is not None and pyproject_text is None:
            try:
                pyproject_text = read_source(pyproject, max_bytes).decode("utf-8", "replace")
            except SourceReadError:
                pyproject_text = None
        context = replace(
            project_context(pyproject_text),
            plan_events=plan_events,
            command_lines={c.path: c for c in command_lines},
            dead_branches={d.path: d for d in dead_branches},
            setup_text=setup_texts.get(posixpath.dirname(source.rel), "")
            if source.language is Language.SETUP_PY
            else "",
        )
        if source.language in (Language.WORKFLOW, Language.CI_CONFIG):
            if project_dir not in ci_models:
                # A vendored library's CI does not build this package: an empty model.
                own = own_ci_dir(root, project_dir)
                ci_models[project_dir] = read_ci(root / project_dir) if own else CiModel()
            context = replace(context, ci=ci_models[project_dir], ci_prefix=project_dir)
        if source.rel in projects:
            prefix = projects[source.rel]
            workflows = prefix + ".github/workflows/"
            if prefix not in ci_models:
                ci_models[prefix] = read_ci(root / prefix)
            context = replace(
                context,
                ci=ci_models[prefix],
                ci_prefix=prefix,
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
            warnings.append(ScanWarning(source.rel, problem, kind="unparseable"))
    counted = sum(1 for rel in texts if not rel.endswith(".rs"))
    findings = attributed_to_jobs(findings, ci_models)
    findings = judged_by_cross_compiling_jobs(findings, ci_models, build_rules)
    return _one_per_tree(findings, build_rules), warnings, counted


def judged_by_cross_compiling_jobs(
    findings: list[Finding], models: dict[str, CiModel], rules: Sequence[Rule]
) -> list[Finding]:
    """A finding of a rule that bites only when the win_arm64 wheel is cross-compiled from
    x64 belongs to the CI jobs that do so: named there, at the rule's severity; where no
    job of the tree cross-compiles (an sdist ships no CI, or every win_arm64 build runs
    on an ARM64 runner) it is a note that says when it would bite."""
    conditional = {r.id for r in rules if r.cross_compile_only}
    if not any(f.rule_id in conditional for f in findings):
        return findings
    crossing: list[str] = []
    native = False
    for prefix, model in models.items():
        for job in model.jobs:
            for cell in job.cells:
                for build in cell.builds:
                    if WIN_ARM64 not in build.platforms():
                        continue
                    if build.cross:
                        crossing.append(f"{prefix}{job.path}:{job.line} job '{job.id}'")
                    else:
                        native = True
    out: list[Finding] = []
    for finding in findings:
        if finding.rule_id not in conditional:
            out.append(finding)
        elif crossing:
            out.append(replace(finding, message=f"{finding.message} (cross-compiled by CI: {crossing[0]})"))
        else:
            where = (
                "every win_arm64 build in the CI runs on an ARM64 runner"
                if native
                else ("no CI job in the tree cross-compiles it")
            )
            note = f" (only when the win_arm64 wheel is cross-compiled from x64; {where})"
            out.append(replace(finding, severity=Severity.NOTE, message=finding.message + note))
    return out


def attributed_to_jobs(findings: list[Finding], models: dict[str, CiModel]) -> list[Finding]:
    """A finding in a script that a CI job runs (``call build.bat`` in a workflow step,
    a Kokoro build file) names the job: it is reported on the script's line, and the
    job is what runs it."""
    runners: dict[str, str] = {}
    for prefix, model in models.items():
        for job in model.jobs:
            for cell in job.cells:
                for script in cell.scripts:
                    runners.setdefault(prefix + script, f"{job.path}:{job.line} job '{job.id}'")
    if not runners:
        return findings
    return [
        replace(f, message=f"{f.message} (run by CI: {runners[f.location.path]})")
        if f.location.path in runners and f.location.path.endswith((".bat", ".cmd", ".ps1", ".sh"))
        else f
        for f in findings
    ]


PYTHON_BUILD_FILES = ("pyproject.toml", "setup.py", "setup.cfg")


def ci_project_dir(rel: str, language: Language) -> str:
    """The directory prefix of the project a CI file belongs to ("" at the root):
    the folder holding its ``.github/`` or CI folder (``.semaphore/``, ``.kokoro/``), or
    the one holding a root-level file such as ``appveyor.yml``."""
    if language is Language.WORKFLOW:
        return rel.split(".github/workflows/", 1)[0]
    if language is not Language.CI_CONFIG:
        return ""
    parts = rel.split("/")
    for index, part in enumerate(parts[:-1]):
        if part in CI_DIRECTORIES:
            return "/".join(parts[:index]) + ("/" if index else "")
    return rel.rpartition("/")[0] + "/" if "/" in rel else ""


def own_ci_dir(root: Path, project_dir: str) -> bool:
    """Whether the ``.github/`` in ``project_dir`` builds this tree's wheels: the scanned
    root's does; a nested one does unless it belongs to a vendored library (a git
    submodule, or a folder with no Python build file of its own inside a tree that has
    one, such as a bundled C library's CI)."""
    if not project_dir:
        return True
    folder = project_dir.rstrip("/")
    modules = root / ".gitmodules"
    try:
        if modules.is_file() and not modules.is_symlink() and modules.stat().st_size < 1024 * 1024:
            listed = modules.read_text(encoding="utf-8", errors="replace")
            if any(
                line.split("=", 1)[1].strip() == folder
                for line in listed.splitlines()
                if line.strip().startswith("path") and "=" in line
            ):
                return False
    except OSError:
        return False
    if any((root / folder / name).is_file() for name in PYTHON_BUILD_FILES):
        return True
    parts = folder.split("/")
    ancestors = ["/".join(parts[:i]) for i in range(len(parts))]
    return not any((root / a / name).is_file() for a in ancestors for name in PYTHON_BUILD_FILES)


def _top_level_projects(texts: dict[str, str]) -> dict[str, str]:
    """The top-level build file of each project (pyproject.toml, else setup.py, in a
    directory no ancestor of which has one) -> that project's directory prefix."""
    chosen: dict[str, str] = {}
    for prefix in project_dirs(texts):
        anchor = prefix + ("pyproject.toml" if prefix + "pyproject.toml" in texts else "setup.py")
        chosen[anchor] = prefix
    return chosen


def _one_per_tree(findings: list[Finding], rules: tuple[Rule, ...]) -> list[Finding]:
    """A ``file`` rule (Fortran sources) is a fact about the project, not each file: keep
    the first finding, saying how many files there are."""
    per_file = {r.id: r for r in rules if r.match.one_per_tree}
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
