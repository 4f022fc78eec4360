"""Per-rule snapshots: what the reports say about each rule's fixtures.

The fixture catalogue (``fixtures/rules``) is scanned once, as a repository of its own,
into JSON and SARIF. Each rule folder ``fixtures/rules/WOAnnn/`` keeps ``snapshot.json``
beside its fixtures: the JSON findings located in that folder, the SARIF results for
them and the SARIF descriptor of rule WOAnnn. A rule change therefore rewrites its own
snapshot, not a catalogue-wide file; the shape of the whole reports (summary, verdict,
run properties) is pinned once on a small input in ``tests/report_golden/shape.*``.

``WOAPORT_UPDATE_GOLDEN=1`` rewrites the snapshots after a deliberate change; review the
diff like code.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.clirun import run
from tests.paths import FIXTURES, REPO

SNAPSHOT = "snapshot.json"
RULE_FOLDERS = sorted(p.name for p in (FIXTURES / "rules").iterdir() if p.is_dir())
SHAPE = REPO / "tests" / "report_golden"
UPDATE = bool(os.environ.get("WOAPORT_UPDATE_GOLDEN"))
Catalogue = tuple[dict[str, Any], dict[str, Any]]  # (JSON report, SARIF log)


def _scan_as_repository(tmp: Path, source: Path, name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(JSON report, SARIF log) of ``source`` copied into a repository of its own, so the
    paths (relative to the repository root) do not depend on where the checkout lives."""
    repo = tmp / "repo"
    shutil.copytree(source, repo / name, ignore=shutil.ignore_patterns(SNAPSHOT))
    (repo / ".git").mkdir()
    here = Path.cwd()
    os.chdir(repo / name)
    try:
        run(
            "scan",
            ".",
            "--json",
            str(tmp / "out.json"),
            "--sarif",
            str(tmp / "out.sarif"),
            "-q",
            "--fail-on",
            "never",
        )
    finally:
        os.chdir(here)
    return json.loads((tmp / "out.json").read_text()), json.loads((tmp / "out.sarif").read_text())


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory: pytest.TempPathFactory) -> Catalogue:
    return _scan_as_repository(tmp_path_factory.mktemp("catalogue"), FIXTURES / "rules", "rules")


def _folder_of(path: str) -> str:
    parts = path.split("/")
    assert parts[0] == "rules" and len(parts) > 2, path
    return parts[1]


def _snapshot(folder: str, report: dict[str, Any], sarif: dict[str, Any]) -> dict[str, Any]:
    prefix = f"rules/{folder}/"
    findings = [
        {**f, "path": f["path"].removeprefix(prefix)}
        for f in report["findings"]
        if f["path"].startswith(prefix)
    ]
    run_ = sarif["runs"][0]
    results = []
    for result in run_["results"]:
        location = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        if location.startswith(prefix):
            # The rule's index depends on which other rules fired in the whole run.
            results.append({k: v for k, v in result.items() if k != "ruleIndex"})
    descriptor = next((r for r in run_["tool"]["driver"].get("rules", []) if r["id"] == folder), None)
    return {"findings": findings, "sarif_results": results, "sarif_rule": descriptor}


@pytest.mark.parametrize("folder", RULE_FOLDERS)
def test_rule_snapshot(folder: str, catalogue: Catalogue) -> None:
    produced = _snapshot(folder, *catalogue)
    path = FIXTURES / "rules" / folder / SNAPSHOT
    if UPDATE:
        path.write_text(json.dumps(produced, indent=2, sort_keys=True) + "\n")
    assert path.is_file(), f"{folder} has no {SNAPSHOT}: run with WOAPORT_UPDATE_GOLDEN=1"
    assert produced == json.loads(path.read_text())


def test_every_finding_is_in_some_snapshot(catalogue: Catalogue) -> None:
    report, sarif = catalogue
    assert report["findings"], "the catalogue scan found nothing: the snapshots would prove nothing"
    assert {_folder_of(f["path"]) for f in report["findings"]} <= set(RULE_FOLDERS)
    fired = {r["ruleId"] for r in sarif["runs"][0]["results"]}
    assert fired <= set(RULE_FOLDERS), f"rules fired with no fixture folder: {fired - set(RULE_FOLDERS)}"
    assert len(sarif["runs"][0]["results"]) == len(report["findings"])


def test_rules_without_a_source_fixture_folder_have_their_descriptor_snapshot(catalogue: Catalogue) -> None:
    """The prove rules (WOA9xx) fire in ``woaport prove``, not in a scan: their SARIF
    descriptors are pinned beside their prove fixtures."""
    descriptors = catalogue[1]["runs"][0]["tool"]["driver"]["rules"]
    others = [d for d in descriptors if d["id"] not in RULE_FOLDERS]
    assert others, "every rule has a scan fixture folder: drop this test"
    for descriptor in others:
        path = FIXTURES / "prove" / descriptor["id"] / SNAPSHOT
        if UPDATE:
            path.write_text(json.dumps({"sarif_rule": descriptor}, indent=2, sort_keys=True) + "\n")
        assert json.loads(path.read_text()) == {"sarif_rule": descriptor}


def test_no_stale_snapshot() -> None:
    homes = (FIXTURES / "rules", FIXTURES / "prove")
    stale = [p for home in homes for p in home.rglob(SNAPSHOT) if p.parent.parent != home]
    assert not stale


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_report_shape(fmt: str, tmp_path: Path) -> None:
    """The whole report on a small input (one source rule, one build rule): summary,
    verdict, targets, tool and the SARIF run's properties and notifications."""
    source = tmp_path / "input"
    for folder in ("WOA101", "WOA501"):
        shutil.copytree(FIXTURES / "rules" / folder, source / folder, ignore=shutil.ignore_patterns(SNAPSHOT))
    report, sarif = _scan_as_repository(tmp_path, source, "input")
    if fmt == "sarif":
        # The descriptors of the rules this input fires in full; the others by id only
        # (each is pinned in its own rule's snapshot).
        driver = sarif["runs"][0]["tool"]["driver"]
        fired = {r["ruleId"] for r in sarif["runs"][0]["results"]}
        driver["rules"] = [r if r["id"] in fired else r["id"] for r in driver["rules"]]
    produced = report if fmt == "json" else sarif
    golden = SHAPE / f"shape.{fmt}"
    if UPDATE:
        golden.write_text(json.dumps(produced, indent=2, sort_keys=True) + "\n")
    assert produced == json.loads(golden.read_text())
