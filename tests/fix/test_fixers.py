"""Every fixer has a before/after fixture pair (fixtures/fixes/<fixer>/): applying woaport's
fixes to ``before`` gives ``after`` byte for byte, and ``after`` is a fixed point of every
fixer (a second run plans nothing)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from analyzer.fix.engine import FIXER_NAMES, apply_plan, plan_fixes
from analyzer.rules import CATEGORIES, default_rules
from analyzer.scan import ScanOptions, scan
from tests.paths import FIXTURES

FIXES = FIXTURES / "fixes"
EVERYTHING = frozenset(CATEGORIES)


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_every_fixer_has_a_fixture_pair_and_every_pair_a_fixer() -> None:
    pairs = {p.name for p in FIXES.iterdir() if p.is_dir()}
    assert pairs == set(FIXER_NAMES)
    for name in pairs:
        assert (FIXES / name / "before").is_dir() and (FIXES / name / "after").is_dir(), name


def test_every_autofix_in_the_rule_data_names_a_fixer() -> None:
    named = {r.autofix for r in default_rules() if r.autofix}
    assert named <= FIXER_NAMES, named - FIXER_NAMES
    assert named == FIXER_NAMES  # and no fixer is unreachable from the data


@pytest.mark.parametrize("fixer", sorted(FIXER_NAMES))
def test_fixer_turns_before_into_after_and_after_is_a_fixed_point(fixer: str, tmp_path: Path) -> None:
    work = tmp_path / "tree"
    shutil.copytree(FIXES / fixer / "before", work)
    result = scan(work, ScanOptions())
    rules = {r.id: r for r in default_rules()}
    assert any(rules[f.rule_id].autofix == fixer for f in result.findings), "the fixture does not exercise it"
    plan = plan_fixes(work, result, EVERYTHING)
    resolved = {rules[f.rule_id].autofix for edit in plan.edits for f in edit.resolved}
    assert fixer in resolved
    apply_plan(work, plan, force=True)
    assert _files(work) == _files(FIXES / fixer / "after")
    again = plan_fixes(work, scan(work, ScanOptions()), EVERYTHING)
    assert again.edits == (), [e.rel for e in again.edits]


def test_a_generated_wheel_workflow_runs_on_the_repositorys_default_branch(tmp_path: Path) -> None:
    """Issue 27: a generated workflow pushed to `main` in a `master` repository never ran."""
    import shutil

    from analyzer.fix.engine import plan_fixes
    from analyzer.scan import ScanOptions, scan

    tree = tmp_path / "repo"
    shutil.copytree(FIXES / "new-wheels-workflow" / "before", tree)
    (tree / ".git").mkdir()
    (tree / ".git" / "HEAD").write_text("ref: refs/heads/master\n")
    plan = plan_fixes(tree, scan(tree, ScanOptions()), frozenset(CATEGORIES))
    (edit,) = [e for e in plan.edits if e.rel.endswith("wheels-windows.yml")]
    assert b"  push:\n    branches: [master]\n" in edit.after
