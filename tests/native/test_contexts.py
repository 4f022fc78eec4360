"""Per-translation-unit macro state (issue 13), on fixture trees: each tree's JSON
findings, with the models they are reachable on, equal a golden file
(``WOAPORT_UPDATE_GOLDEN=1`` rewrites them after a deliberate change)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from analyzer.report.json import to_dict
from analyzer.scan import scan
from tests.paths import FIXTURES

CONTEXTS = FIXTURES / "contexts"
GOLDEN = Path(__file__).parent / "contexts_golden"
# The other issue-13 fixtures (annotated in place), under golden names of their own.
ELSEWHERE = {
    "units-ladder-probe-orphans-rust": FIXTURES / "units",
    "ladder-across-files": FIXTURES / "rules" / "WOA130" / "bad_cross_file",
    "foreign-arch-ladder": FIXTURES / "rules" / "WOA130" / "bad_foreign_arch.c",
    "intrinsic-as-macro-argument": FIXTURES / "guards" / "macro_arg_used.c",
    "x86-only-source": FIXTURES / "rules" / "WOA170" / "bad.c",
}
ROOTS = {**{p.name: p for p in CONTEXTS.iterdir() if p.is_dir()}, **ELSEWHERE}
TREES = sorted(ROOTS)


def _findings(tree: str) -> list[dict[str, object]]:
    document = to_dict(scan(ROOTS[tree]))
    keep = ("path", "line", "rule_id", "severity", "confidence", "reachable_on")
    return [{key: f[key] for key in keep} for f in document["findings"]]


@pytest.mark.parametrize("tree", TREES)
def test_tree_findings_equal_the_golden_json(tree: str) -> None:
    produced = _findings(tree)
    golden = GOLDEN / f"{tree}.json"
    if os.environ.get("WOAPORT_UPDATE_GOLDEN"):
        golden.write_text(json.dumps(produced, indent=2) + "\n")
    assert produced == json.loads(golden.read_text())


def test_every_tree_has_a_golden_file() -> None:
    assert sorted(p.stem for p in GOLDEN.glob("*.json")) == TREES
