"""Cython sources shipped without their C (issue 14 item 5): translated with the cython
package, scanned, and the findings put on the .pyx lines; Cython's own runtime code is
not reported, only counted."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

from analyzer.cython import untranslated
from analyzer.scan import CYTHON_RUNTIME, ScanOptions, scan
from tests.paths import FIXTURES
from tests.test_fixtures import expected

TREE = FIXTURES / "cython_source"


def test_pyx_without_c_is_translated_and_reported_on_its_lines() -> None:
    result = scan(TREE, ScanOptions(jobs=1))
    found = Counter((f.location.line, f.rule_id, f.confidence.value) for f in result.findings)
    assert found == expected(TREE / "pkg" / "fast.pyx")
    assert {f.location.path for f in result.findings} == {"pkg/fast.pyx"}
    assert all(
        f.generated_from is not None and f.generated_from.path == "pkg/fast.c" for f in result.findings
    )
    assert result.skipped[CYTHON_RUNTIME] >= 1
    # Off, the .pyx is not scanned at all (the state before this change).
    assert scan(TREE, ScanOptions(jobs=1, cython=False)).findings == ()


def test_only_pyx_without_generated_c_are_translated() -> None:
    files = ["a/x.pyx", "a/x.c", "b/y.pyx", "b/y.cpp", "c/z.pyx", "c/z.pxd", "d/w.py"]
    assert untranslated(files) == ["c/z.pyx"]


def test_translations_are_cached_and_refusals_too(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(TREE, tree)
    (tree / "pkg" / "broken.pyx").write_text("def f(:\n    pass\n")
    cache = tmp_path / "cache"
    first = scan(tree, ScanOptions(jobs=1, cache_dir=cache))
    stored = sorted(p.suffix for p in (cache / "cython").iterdir())
    assert stored == [".c", ".refused"]
    refusal = [w for w in first.warnings if w.path == "pkg/broken.pyx"]
    assert len(refusal) == 1 and "broken.pyx:1" in refusal[0].message
    # The second scan reads the cache: the same answer, the same two entries.
    second = scan(tree, ScanOptions(jobs=1, cache_dir=cache))
    assert sorted(p.suffix for p in (cache / "cython").iterdir()) == stored
    assert second.findings == first.findings and [w.message for w in second.warnings] == [
        w.message for w in first.warnings
    ]
    # A changed .pyx is translated again.
    (tree / "pkg" / "fast.pyx").write_text(
        (tree / "pkg" / "fast.pyx").read_text() + "\n\ndef more():\n    return 1\n"
    )
    scan(tree, ScanOptions(jobs=1, cache_dir=cache))
    assert len([p for p in (cache / "cython").iterdir() if p.suffix == ".c"]) == 2
