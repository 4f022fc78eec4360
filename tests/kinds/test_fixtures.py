"""Every fixture file's findings equal its inline ``expect:`` annotations."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from analyzer.model import Confidence
from analyzer.native.sources import build_language
from analyzer.rules import Rule, default_rules
from analyzer.scan import scan
from tests.paths import FIXTURES

_EXPECT = re.compile(r"expect(-maybe)?:\s*(WOA\d{3}(?:\s*,\s*WOA\d{3})*)")


def _annotatable(path: Path) -> bool:
    """Sources, and the build/CI files the build rules read (setup.py, workflows...)."""
    if path.suffix in (".c", ".h", ".cpp", ".rs"):
        return True
    return path.is_file() and build_language(path.relative_to(FIXTURES).as_posix()) is not None


ANNOTATED = sorted(
    p
    for sub in ("rules", "guards", "cython", "units", "contexts")
    for p in (FIXTURES / sub).rglob("*")
    if _annotatable(p)
)
SCAN_ROOTS = sorted({p.parent for p in ANNOTATED if "rules" not in p.parts} | {FIXTURES / "rules"})


def expected(path: Path) -> Counter[tuple[int, str, str]]:
    found: Counter[tuple[int, str, str]] = Counter()
    for number, line in enumerate(path.read_text().splitlines(), 1):
        for m in _EXPECT.finditer(line):
            confidence = "low" if m.group(1) else "high"
            for rule_id in m.group(2).split(","):
                found[(number, rule_id.strip(), confidence)] += 1
    return found


@pytest.fixture(scope="module")
def actual_by_file() -> dict[str, Counter[tuple[int, str, str]]]:
    by_file: dict[str, Counter[tuple[int, str, str]]] = {}
    roots = [FIXTURES / sub for sub in ("rules", "guards", "cython", "units", "contexts")]
    for root in roots:
        for f in scan(root).findings:
            where = f.generated_from or f.location
            key = str((root / where.path).resolve())
            by_file.setdefault(key, Counter())[(where.line, f.rule_id, f.confidence.value)] += 1
    return by_file


@pytest.mark.parametrize("path", ANNOTATED, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_fixture_findings_match_annotations(
    path: Path, actual_by_file: dict[str, Counter[tuple[int, str, str]]]
) -> None:
    assert actual_by_file.get(str(path.resolve()), Counter()) == expected(path)


@pytest.mark.parametrize("rule", default_rules(), ids=lambda r: r.id)
def test_every_rule_has_positive_and_negative_fixture(rule: Rule) -> None:
    rule_id = rule.id
    # A proof rule's fixtures are trees woaport prove builds (tests/test_prove.py).
    directory = FIXTURES / ("prove" if rule.match.name == "proof" else "rules") / rule_id

    # bad.c / good.c, or bad/ and good*/ trees (build and CI files keep their names).
    def files(prefix: str) -> list[Path]:
        found = []
        for entry in directory.glob(prefix + "*"):
            found += [p for p in entry.rglob("*") if _annotatable(p)] if entry.is_dir() else [entry]
        return found

    bad, good = files("bad"), files("good")
    assert bad and good, f"{rule_id} needs fixtures/rules/{rule_id}/bad.* and good.*"
    assert any(any(k[1] == rule_id for k in expected(p)) for p in bad), "bad fixture must expect the rule"
    assert all(not any(k[1] == rule_id for k in expected(p)) for p in good)


def test_cython_findings_point_at_the_pyx_line() -> None:
    result = scan(FIXTURES / "cython")
    by_rule = {f.rule_id: f for f in result.findings}
    assert by_rule["WOA102"].location.path == "pkg/fast.pyx"
    assert by_rule["WOA102"].location.line == 6
    assert by_rule["WOA102"].generated_from is not None
    assert by_rule["WOA102"].generated_from.path == "pkg/fast.c"
    assert by_rule["WOA104"].location.line == 5
    # Before the first Cython marker a finding stays on the generated file.
    assert by_rule["WOA101"].location.path == "pkg/fast.c"


def test_guarded_styles_are_clean_on_msvc_arm64() -> None:
    result = scan(FIXTURES / "guards" / "styles.c")
    assert result.findings == ()


def test_build_flag_guard_is_low_confidence() -> None:
    result = scan(FIXTURES / "guards" / "project_macro")
    assert result.findings
    assert all(f.confidence is Confidence.LOW for f in result.findings)


def test_wrong_branch_outcome_sets_severity() -> None:
    result = scan(FIXTURES / "rules" / "WOA130")
    severities = {f.location.path: f.severity.value for f in result.findings if f.rule_id == "WOA130"}
    assert severities == {
        "bad.c": "error",
        "bad_generic.c": "perf",
        "bad_foreign_arch.c": "error",
        "bad_two_ladders.c": "error",
        "bad_cross_file/arch.h": "error",  # the #error is in check.c
    }
