"""Cython sources shipped without their C (issue 14 item 5): translated with the cython
package, scanned, and the findings put on the .pyx lines; Cython's own runtime code is
not reported, only counted."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest

from analyzer.cython import untranslated
from analyzer.scan import CYTHON_RUNTIME, ScanOptions, scan
from tests.kinds.test_fixtures import expected
from tests.paths import FIXTURES

TREE = FIXTURES / "cython_source"


def test_pyx_without_c_is_translated_and_reported_on_its_lines() -> None:
    result = scan(TREE, ScanOptions(jobs=1))
    found = Counter((f.location.line, f.rule_id, f.confidence.value) for f in result.findings)
    assert found == expected(TREE / "pkg" / "fast.pyx")
    assert {f.location.path for f in result.findings} == {"pkg/fast.pyx"}
    assert all(
        f.generated_from is not None and f.generated_from.path == "pkg/fast.c" for f in result.findings
    )
    # Cython's runtime support code has nothing x86-only any more (its build-dependent
    # #error checks are no WOA170 since issue 25): nothing of it is reported or counted.
    assert CYTHON_RUNTIME not in result.skipped
    # Off, the .pyx is not scanned at all (the state before this change).
    assert scan(TREE, ScanOptions(jobs=1, cython=False)).findings == ()


def test_only_pyx_without_generated_c_are_translated() -> None:
    files = ["a/x.pyx", "a/x.c", "b/y.pyx", "b/y.cpp", "c/z.pyx", "c/z.pxd", "d/w.py"]
    assert untranslated(files) == ["c/z.pyx"]


@pytest.mark.slow  # Cython runs several times
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


def test_findings_in_cythons_runtime_code_are_dropped_and_counted(tmp_path: Path) -> None:
    from analyzer.cython import generated_findings
    from analyzer.model import Confidence, Finding, Location, Severity

    (tmp_path / "m.pyx").write_text('cdef extern from "immintrin.h":\n    pass\n')

    def at(line: int, snippet: str) -> Finding:
        return Finding(
            "WOA101", Severity.ERROR, Confidence.HIGH, Location("m.c", line), "m", ("msvc-arm64",),
            snippet=snippet,
        )  # fmt: skip

    kept, dropped = generated_findings(
        [at(3, "#include <immintrin.h>"), at(900, "__rdtsc();")], {"m.c": "m.pyx"}, tmp_path
    )
    assert dropped == 1 and [(f.location.path, f.location.line) for f in kept] == [("m.pyx", 1)]


def test_a_cython_module_the_tree_ships_is_never_what_runs(tmp_path: Path) -> None:
    """Cython runs with the tree as its working directory; ``python -m cython`` would
    put that directory first on sys.path, so an sdist's own ``cython.py`` (or ``Cython/``)
    would run instead of the tool. It must not: the translation is the real Cython's."""
    tree = tmp_path / "tree"
    shutil.copytree(TREE, tree)
    marker = tmp_path / "ran"
    (tree / "cython.py").write_text(f"open({str(marker)!r}, 'w').write('ran')\n")
    result = scan(tree, ScanOptions(jobs=1))
    assert not marker.exists()
    found = Counter((f.location.line, f.rule_id, f.confidence.value) for f in result.findings)
    assert found == expected(TREE / "pkg" / "fast.pyx")  # translated by the real Cython


def test_zig_from_the_tree_is_never_what_runs(tmp_path: Path) -> None:
    """prove compiles with the tree as the working directory: a ``ziglang/`` package the
    sdist ships must not be what ``python -m ziglang`` runs."""
    from analyzer.childproc import run_limited
    from analyzer.sdk.provider import SdkError, zig_command

    marker = tmp_path / "ran"
    (tmp_path / "ziglang").mkdir()
    (tmp_path / "ziglang" / "__init__.py").write_text("")
    (tmp_path / "ziglang" / "__main__.py").write_text(f"open({str(marker)!r}, 'w').write('ran')\n")
    try:
        command = zig_command()
    except SdkError:
        pytest.skip("zig is not installed")
    run_limited([*command, "version"], tmp_path, seconds=60)
    assert not marker.exists()
