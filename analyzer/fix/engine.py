"""Plan fixes for a scan result, render them as a patch, verify and apply them.

Planning is pure (bytes in, bytes out). Writing happens only in :func:`apply_plan`, only
to regular files inside the root reached without links, atomically.
"""

from __future__ import annotations

import difflib
import os
import re
import shutil
import subprocess
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from analyzer.fix.build import fix_cmake, fix_meson, fix_setup_py
from analyzer.fix.ci import (
    WINDOWS_WHEELS_PATH,
    WINDOWS_WHEELS_WORKFLOW,
    fix_arm_runner_python,
    fix_cibuildwheel_job,
    fix_cross_test_skip,
    fix_maturin_job,
    fix_publish_needs,
    fix_pyproject_archs,
)
from analyzer.fix.code import fix_c_line, fix_intrinsics
from analyzer.fix.model import FileEdit, FixPlan, ManualItem, PartialFix, Unfixable
from analyzer.fix.recompute import CiVerification, verify_ci
from analyzer.model import Confidence, Finding
from analyzer.native.sources import UTF8_BOM
from analyzer.project import walk_stage
from analyzer.result import ScanResult
from analyzer.rules import Rule, default_rules
from analyzer.scan import ScanOptions, scan, tree_options

FileFixer = Callable[[str, list[Finding]], str]


def _per_line(text: str, findings: list[Finding]) -> str:
    lines = text.splitlines(keepends=True)
    for line_no in sorted({f.location.line for f in findings}):
        line = lines[line_no - 1]
        body = line.rstrip("\r\n")
        ending = line[len(body) :]
        for finding in (f for f in findings if f.location.line == line_no):
            body = fix_c_line(body, finding)
        lines[line_no - 1] = body + ending
    return "".join(lines)


def _each(fixer: Callable[[str, Finding], str]) -> FileFixer:
    def run(text: str, findings: list[Finding]) -> str:
        for finding in findings:
            text = fixer(text, finding)
        return text

    return run


# Fixer name (a rule's ``autofix`` in rules/*.toml) -> the function that edits one file for
# all of its findings. A rule names its fixer in the data; a rule with none is manual work.
FIXERS: dict[str, FileFixer] = {
    "c-guard": _per_line,
    "intrinsic-replacement": fix_intrinsics,
    "setup-py-flags": fix_setup_py,
    "cmake": fix_cmake,
    "meson": fix_meson,
    "cibuildwheel-job": _each(fix_cibuildwheel_job),
    "maturin-job": _each(fix_maturin_job),
    "cibuildwheel-archs": _each(fix_pyproject_archs),
    "cibuildwheel-test-skip": _each(fix_cross_test_skip),
    "publish-needs": _each(fix_publish_needs),
    "arm-runner-python": _each(fix_arm_runner_python),
}


# Fixer name -> a file to create in the finding's project directory.
NEW_FILES: dict[str, tuple[str, str]] = {
    "new-wheels-workflow": (WINDOWS_WHEELS_PATH, WINDOWS_WHEELS_WORKFLOW)
}
FIXER_NAMES = frozenset(FIXERS) | frozenset(NEW_FILES)


def _safe_target(root: Path, rel: str) -> Path:
    """``root/rel`` if it is a regular file reached without following a link."""
    path = root
    for part in Path(rel).parts:
        if part in ("..", "") or os.path.isabs(part):
            raise Unfixable("path leaves the tree")
        path = path / part
        if path.is_symlink():
            raise Unfixable("the path goes through a symbolic link")
    if not path.is_file():
        raise Unfixable("not a regular file")
    if not path.stat().st_mode & 0o222:
        raise Unfixable("the file is read-only")  # root could replace it: do not
    return path


def plan_fixes(root: Path, result: ScanResult, categories: frozenset[str]) -> FixPlan:
    rules = {r.id: r for r in (result.rules or default_rules())}
    fixer_of = {rid: r.autofix for rid, r in rules.items() if r.autofix}
    by_file: dict[str, list[Finding]] = {}
    manual: list[ManualItem] = []
    unreadable = {w.path: w.message for w in result.warnings if w.kind == "unparseable"}
    for finding in result.findings:
        rule = rules.get(finding.rule_id)
        if rule is None or rule.category not in categories:
            continue
        fixer_name = fixer_of.get(finding.rule_id)
        if fixer_name in NEW_FILES:
            by_file.setdefault(finding.location.path, []).append(finding)
        elif fixer_name not in FIXERS:
            # The exact step to take by hand: the rule's fallback (for a CI job on another
            # service, the finding already names the job and the script line).
            step = f": {finding.fallback}" if finding.fallback else ""
            decided = re.search(r"decided at (\S+?:\d+)", finding.message)
            where = f" (change {decided.group(1)})" if decided else ""
            manual.append(ManualItem(finding, f"no safe automatic fix{where}{step}"))
        elif finding.confidence is not Confidence.HIGH:
            manual.append(ManualItem(finding, "depends on macros the build defines: check by hand"))
        elif finding.generated_from is not None:
            manual.append(ManualItem(finding, "Cython-generated C: change the .pyx source"))
        else:
            by_file.setdefault(finding.location.path, []).append(finding)
    edits: list[FileEdit] = []
    problems: list[tuple[str, str]] = []
    base = root if root.is_dir() else root.parent
    for rel, findings in sorted(by_file.items()):
        for finding in [f for f in findings if fixer_of.get(f.rule_id) in NEW_FILES]:
            findings.remove(finding)
            broken = _unreadable_workflows(finding, unreadable)
            if broken:
                manual.append(
                    ManualItem(finding, f"{broken[0]} cannot be parsed: repair it first, then re-run")
                )
                continue
            elsewhere = ci_elsewhere(base, result)
            if elsewhere:
                manual.append(ManualItem(finding, elsewhere))
                continue
            first = needs_first(base, result)
            if first:
                manual.append(ManualItem(finding, f"a generated wheel workflow would not build yet: {first}"))
                continue
            edit = _new_file(base, finding, NEW_FILES[fixer_of[finding.rule_id]])
            if isinstance(edit, FileEdit):
                edits.append(edit)
            else:
                manual.append(ManualItem(finding, edit))
        if not findings:
            continue
        try:
            path = _safe_target(base, rel)
            before = path.read_bytes()
            # Fixers see the text without a byte order mark; the edit keeps it.
            bom = UTF8_BOM if before.startswith(UTF8_BOM) else b""
            text = before.removeprefix(bom).decode("utf-8")
        except (Unfixable, OSError, UnicodeDecodeError) as error:
            problems.append((rel, f"left alone: {error}"))
            manual.extend(ManualItem(f, "the file could not be edited safely") for f in findings)
            continue
        resolved: list[Finding] = []
        # One call per fixer with all of its findings: a fixer that shifts lines (a guard
        # added at the top of setup.py, an if() wrapped around a CMake line) must see
        # every location it is meant to edit in the text they refer to.
        fixers: list[FileFixer] = []
        for f in findings:
            if FIXERS[fixer_of[f.rule_id]] not in fixers:
                fixers.append(FIXERS[fixer_of[f.rule_id]])
        for fixer in fixers:
            group = [f for f in findings if FIXERS[fixer_of[f.rule_id]] is fixer]
            try:
                text = fixer(text, group)
                resolved += group
            except PartialFix as partial:
                text = partial.text
                left = {id(f) for f, _ in partial.unfixed}
                resolved += [f for f in group if id(f) not in left]
                manual.extend(ManualItem(f, why) for f, why in partial.unfixed)
            except Unfixable as error:
                manual.extend(ManualItem(f, str(error)) for f in group)
        after = bom + text.encode("utf-8")
        if after != before:
            edits.append(FileEdit(rel, before, after, tuple(resolved)))
    # Files whose own rules could not run: said once each, never edited.
    problems.extend((rel, f"left alone: {why}") for rel, why in sorted(unreadable.items()))
    return FixPlan(tuple(edits), tuple(manual), tuple(problems))


def _unreadable_workflows(finding: Finding, unreadable: dict[str, str]) -> list[str]:
    """Workflows of the finding's project that could not be parsed: a new workflow beside
    a broken one is not a fix."""
    project = finding.location.path.rpartition("/")[0]
    workflows = f"{project}/.github/workflows/" if project else ".github/workflows/"
    return sorted(rel for rel in unreadable if rel.startswith(workflows))


def ci_elsewhere(base: Path, result: ScanResult) -> str:
    """Why a GitHub Actions workflow must not be offered ("" when it may): the tree has
    no ``.github/`` and none of the project's URLs is a GitHub repository (its sources
    live on another forge, whose CI a workflow file would never run on)."""
    if (base / ".github").is_dir():
        return ""
    urls = [url for _, url in result.project_urls]
    config = base / ".git" / "config"
    try:
        if config.is_file() and not config.is_symlink() and config.stat().st_size < 1024 * 1024:
            remotes = re.findall(
                r"(?m)^\s*url\s*=\s*(\S+)", config.read_text(encoding="utf-8", errors="replace")
            )
            urls += [re.sub(r"^git@github\.com:", "https://github.com/", u) for u in remotes]
    except OSError:
        pass
    if any(re.match(r"(?i)^https?://(?:www\.)?github\.com/[^/]+/[^/]+", url) for url in urls):
        return ""
    where = f" (its URLs: {', '.join(urls[:3])})" if urls else ""
    return (
        "the project's repository is not on GitHub"
        f"{where}: a GitHub Actions workflow would never run there; add an ARM64 Windows build to "
        "the CI that builds its wheels"
    )


CUSTOM_BUILD_RULES = frozenset({"WOA550"})  # build scripts the wheels come from


def needs_first(base: Path, result: ScanResult) -> str:
    """What must be solved before a generated cibuildwheel workflow can build the wheel
    ("" when the build is self-contained): libraries linked from outside the tree, git
    submodules (the workflow would check out an empty directory), wheels made by a
    custom build script."""
    needs = []
    if result.external_libraries:
        needs.append(
            f"ARM64 Windows builds of {', '.join(result.external_libraries)} (linked, not in the tree)"
        )
    modules = base / ".gitmodules"
    if modules.is_file() and not modules.is_symlink():
        needs.append("the git submodules (.gitmodules) checked out and built for ARM64")
    scripts = sorted({f.location.path for f in result.findings if f.rule_id in CUSTOM_BUILD_RULES})
    if scripts:
        needs.append(f"the build script(s) {', '.join(scripts)} ported to ARM64")
    return "; ".join(needs)


def _new_file(base: Path, finding: Finding, new: tuple[str, str]) -> FileEdit | str:
    name, content = new
    project = finding.location.path.rpartition("/")[0]
    rel = f"{project}/{name}" if project else name
    path = base
    for part in Path(rel).parts:
        path = path / part
        if path.is_symlink():
            return f"{rel}: the path goes through a symbolic link"
    if path.exists():
        return f"{rel} already exists"
    from analyzer.init import default_branch

    # Pushes to the repository's default branch as its checkout says it; when nothing
    # says it (an sdist), pushes to any branch.
    branch = default_branch(base)
    content = content.replace(
        "  push:\n    branches: [main]\n", f"  push:\n    branches: [{branch}]\n" if branch else "  push:\n"
    )
    return FileEdit(rel, b"", content.encode("utf-8"), (finding,))


# -- patch --------------------------------------------------------------------------------
def _lines(data: bytes) -> list[str]:
    return data.decode("utf-8").splitlines(keepends=True)


def render_diff(plan: FixPlan) -> str:
    """A unified diff ``git apply`` accepts (a/ b/ prefixes, no-newline markers)."""
    out: list[str] = []
    for edit in plan.edits:
        out.append(f"diff --git a/{edit.rel} b/{edit.rel}\n")
        source = f"a/{edit.rel}"
        if not edit.before:
            out.append("new file mode 100644\n")
            source = "/dev/null"
        for line in difflib.unified_diff(
            _lines(edit.before), _lines(edit.after), source, f"b/{edit.rel}", n=3
        ):
            out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


# -- verify -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Verification:
    before: Counter[tuple[str, str]]  # (path, rule) -> findings
    after: Counter[tuple[str, str]]

    @property
    def introduced(self) -> list[tuple[str, str]]:
        return sorted(k for k in self.after if self.after[k] > self.before.get(k, 0))

    def remaining(self, rule_id: str, path: str) -> int:
        return self.after.get((path, rule_id), 0)


def verify(root: Path, plan: FixPlan, result: ScanResult, options: ScanOptions) -> Verification:
    """Re-scan a scratch copy of the files the scan reads, with the edits applied."""
    with tempfile.TemporaryDirectory(prefix="woaport-verify-") as scratch:
        again = scan(patched_copy(root, plan, options, Path(scratch)), options)
    count = Counter((f.location.path, f.rule_id) for f in result.findings)
    return Verification(count, Counter((f.location.path, f.rule_id) for f in again.findings))


def verify_ci_plan(root: Path, plan: FixPlan, options: ScanOptions) -> CiVerification | None:
    """Recompute the CI of a scratch copy with the plan's edits (None: the plan changes
    no CI or cibuildwheel configuration)."""
    rules = {r.id: r for r in (options.rules or default_rules())}
    if not any(
        rules[f.rule_id].category == "ci" for e in plan.edits for f in e.resolved if f.rule_id in rules
    ):
        return None
    base = root if root.is_dir() else root.parent
    with tempfile.TemporaryDirectory(prefix="woaport-ci-verify-") as scratch:
        return verify_ci(base, patched_copy(root, plan, options, Path(scratch)))


def with_verified_ci(
    root: Path, plan: FixPlan, options: ScanOptions, rules: dict[str, Rule]
) -> tuple[FixPlan, CiVerification | None]:
    """The plan as it may be offered, and the recomputation of its CI (None: it changes
    no CI): CI edits whose patched copy does not build win_arm64 are withheld."""
    check = verify_ci_plan(root, plan, options)
    if check is not None and not check.verified:
        plan = withhold_ci(plan, check, rules)
    return plan, check


def withhold_ci(plan: FixPlan, check: CiVerification, rules: dict[str, Rule]) -> FixPlan:
    """The plan without its CI edits, which become manual items naming the failed check:
    a patch that does not recompute to win_arm64 is not offered as ready."""
    kept: list[FileEdit] = []
    manual = list(plan.manual)
    for edit in plan.edits:
        if any(rules[f.rule_id].category == "ci" for f in edit.resolved if f.rule_id in rules):
            manual.extend(ManualItem(f, f"patch not verified: {check.reason}") for f in edit.resolved)
        else:
            kept.append(edit)
    return FixPlan(tuple(kept), tuple(manual), plan.problems)


@dataclass(frozen=True)
class FixRun:
    """A fix of one tree as ``woaport fix`` offers it: the scan it starts from, the plan
    with unverified CI edits withheld, and the CI recomputation (None: no CI edit)."""

    result: ScanResult
    plan: FixPlan
    ci_check: CiVerification | None
    options: ScanOptions


def fix_tree(root: Path, categories: frozenset[str], options: ScanOptions) -> FixRun:
    """Scan ``root``, plan the fixes in ``categories``, and keep a CI patch only when the
    patched copy, recomputed, builds win_arm64."""
    result = scan(root, options)
    plan = plan_fixes(root, result, categories)
    plan, check = with_verified_ci(root, plan, options, {r.id: r for r in result.rules})
    return FixRun(result, plan, check, options)


def patched_copy(
    root: Path, plan: FixPlan, options: ScanOptions, destination: Path, everything: bool = False
) -> Path:
    """A scratch copy of the files the scan reads (``everything``: every file the walk
    saw, as a build needs its headers and data), with the plan's edits applied."""
    base = root if root.is_dir() else root.parent
    walked = walk_stage(base, tree_options(options))
    copy = destination / "tree"
    wanted = [s.rel for s in (*walked.files, *walked.build_files)]
    if everything:
        wanted += walked.all_files
    for rel in dict.fromkeys(wanted):
        original, target = base / rel, copy / rel
        if original.is_file() and not original.is_symlink():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(original, target, follow_symlinks=False)
    for edit in plan.edits:
        (copy / edit.rel).parent.mkdir(parents=True, exist_ok=True)
        (copy / edit.rel).write_bytes(edit.after)
    return copy


# -- apply --------------------------------------------------------------------------------
class ApplyRefused(RuntimeError):
    pass


def dirty_git_tree(root: Path) -> bool | None:
    """True/False for a git work tree with/without uncommitted changes; None if not git."""

    def git(*args: str, check: bool) -> subprocess.CompletedProcess[str]:
        command = ["git", "-C", str(root), *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=60, check=check)

    try:
        inside = git("rev-parse", "--is-inside-work-tree", check=False)
        if inside.returncode != 0 or inside.stdout.strip() != "true":
            return None
        status = git("status", "--porcelain", check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return bool(status.stdout.strip())


def apply_plan(root: Path, plan: FixPlan, force: bool = False) -> list[str]:
    """Write the edits; refuses a dirty git tree unless ``force``. Returns written paths."""
    base = root if root.is_dir() else root.parent
    if not force and dirty_git_tree(base):
        raise ApplyRefused("the git work tree has uncommitted changes: commit or stash them, or pass --force")
    written = []
    for edit in plan.edits:
        if not edit.before:
            written.append(_create(base, edit))
            continue
        path = _safe_target(base, edit.rel)
        if path.read_bytes() != edit.before:
            raise ApplyRefused(f"{edit.rel} changed since it was scanned")
        mode = path.stat().st_mode
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.woaport-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(edit.after)
            os.chmod(tmp, mode & 0o7777)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        written.append(edit.rel)
    return written


def _create(base: Path, edit: FileEdit) -> str:
    """A new file: directories made one by one inside ``base``, never through a link, and
    the file itself only if nothing is there yet."""
    path = base
    parts = Path(edit.rel).parts
    for part in parts[:-1]:
        path = path / part
        if path.is_symlink():
            raise ApplyRefused(f"{edit.rel}: the path goes through a symbolic link")
        path.mkdir(exist_ok=True)
    target = path / parts[-1]
    try:
        with open(target, "xb") as handle:
            handle.write(edit.after)
    except FileExistsError:
        raise ApplyRefused(f"{edit.rel} appeared since it was scanned") from None
    return edit.rel
