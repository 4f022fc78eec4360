from __future__ import annotations

import os
from pathlib import Path

import pytest

from analyzer.model import Language
from analyzer.native.sources import SourceReadError, header_language, read_source, walk
from analyzer.scan import ScanOptions, scan


def test_walk_languages_excludes_and_links(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.c").write_text("int a;\n")
    (tmp_path / "src" / "b.hpp").write_text("int b;\n")
    (tmp_path / "src" / "c.rs").write_text("fn c() {}\n")
    (tmp_path / "src" / "notes.txt").write_text("x")
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "gen.c").write_text("int g;\n")
    (tmp_path / "third_party").mkdir()
    (tmp_path / "third_party" / "v.c").write_text("int v;\n")
    (tmp_path / "extern" / "sub").mkdir(parents=True)  # git submodules usually live here
    (tmp_path / "extern" / "sub" / "e.c").write_text("int e;\n")
    (tmp_path / "skipme").mkdir()
    (tmp_path / "skipme" / "s.c").write_text("int s;\n")
    (tmp_path / ".gitignore").write_text("skipme/\n")
    os.symlink(tmp_path, tmp_path / "src" / "loop")
    os.symlink(tmp_path / "src" / "a.c", tmp_path / "src" / "link.c")
    result = walk(tmp_path)
    assert sorted((f.rel, f.language) for f in result.files) == [
        ("src/a.c", Language.C),
        ("src/b.hpp", Language.CPP),
        ("src/c.rs", Language.RUST),
    ]
    assert result.skipped["link"] == 2
    assert result.skipped["vendored directory"] == 2
    assert result.skipped["excluded"] == 1
    with_vendored = walk(tmp_path, include_vendored=True, excludes=["*.rs"])
    assert sorted(f.rel for f in with_vendored.files) == [
        "extern/sub/e.c",
        "src/a.c",
        "src/b.hpp",
        "third_party/v.c",
    ]


def test_binary_oversize_and_vanished_files_are_warnings(tmp_path: Path) -> None:
    (tmp_path / "bin.c").write_bytes(b"\x7fELF\0\0\0")
    (tmp_path / "big.c").write_bytes(b"int x;\n" * 1000)
    (tmp_path / "ok.c").write_text("#include <immintrin.h>\n")
    result = scan(tmp_path, ScanOptions(max_bytes=1024))
    assert [f.rule_id for f in result.findings] == ["WOA101"]
    messages = " ".join(w.message for w in result.warnings)
    assert "binary" in messages and "limit" in messages
    files = walk(tmp_path).files
    (tmp_path / "ok.c").unlink()
    with pytest.raises(SourceReadError):
        read_source(next(f for f in files if f.rel == "ok.c"))


def test_undecodable_bytes_and_unterminated_if(tmp_path: Path) -> None:
    (tmp_path / "latin1.c").write_bytes(b"/* caf\xe9 */\n#ifdef _WIN32\n#include <immintrin.h>\n")
    result = scan(tmp_path)
    assert [(f.rule_id, f.location.line) for f in result.findings] == [
        ("WOA101", 3),
        ("WOA140", 2),
    ] or sorted((f.rule_id, f.location.line) for f in result.findings) == [("WOA101", 3), ("WOA140", 2)]
    messages = " ".join(w.message for w in result.warnings)
    assert "UTF-8" in messages


def test_header_language_by_content() -> None:
    assert header_language(b"namespace x { class Y; }\n", Language.C) is Language.CPP
    assert header_language(b"typedef int x;\n", Language.C) is Language.C


def test_parallel_scan_matches_serial(fixtures: Path) -> None:
    serial = scan(fixtures / "rules", ScanOptions(jobs=1))
    parallel = scan(fixtures / "rules", ScanOptions(jobs=2))
    assert serial.findings == parallel.findings


def test_hostile_tree_finishes_with_warnings(tmp_path: Path) -> None:
    """Deep nesting, a 1M-character line, a link loop and garbage bytes: scan continues."""
    deep = 3000
    nested = "#if defined(_WIN64)\n" * deep + "int x = __rdtsc();\n" + "#endif\n" * deep
    (tmp_path / "deep.c").write_text(nested)
    (tmp_path / "long.c").write_text("int y = " + "1+" * 500_000 + "1;\n#include <immintrin.h>\n")
    (tmp_path / "garbage.c").write_bytes(bytes(range(1, 256)) * 100)
    (tmp_path / "unterminated.c").write_text("#ifdef _WIN64\n#include <immintrin.h>\n")
    os.symlink(tmp_path, tmp_path / "loop")
    result = scan(tmp_path)
    assert ("deep.c", deep + 1) in [(f.location.path, f.location.line) for f in result.findings]
    assert ("long.c", 2) in [(f.location.path, f.location.line) for f in result.findings]
    assert ("unterminated.c", 2) in [(f.location.path, f.location.line) for f in result.findings]
    messages = " ".join(f"{w.path}: {w.message}" for w in result.warnings)
    assert "unterminated.c" in messages and "never closed" in messages
    assert result.files_scanned == 4


def test_scan_writes_nothing_into_the_tree(tmp_path: Path, fixtures: Path) -> None:
    import shutil

    tree = tmp_path / "tree"
    shutil.copytree(fixtures / "rules", tree)
    before = sorted(p.relative_to(tree) for p in tree.rglob("*"))
    scan(tree, ScanOptions(jobs=2))
    assert sorted(p.relative_to(tree) for p in tree.rglob("*")) == before


def test_cython_line_map_numbers_markers_like_counting_from_the_start() -> None:
    import random

    from analyzer.native.sources import cython_line_map

    rng = random.Random(3)
    parts = [b"/* Generated by Cython 3.1 */\n"]
    expected = []
    line = 2
    for n in range(300):
        filler = b"x = 1;\n" * rng.randint(0, 5)
        parts.append(filler)
        line += filler.count(b"\n")
        parts.append(b'  /* "pkg/mod.pyx":%d\n' % (n + 1))
        expected.append((line, "pkg/mod.pyx", n + 1))
        line += 1
    parts.append(b"y;\n/* --- Runtime support code --- */\nz;\n")
    expected.append((line + 1, "", 0))
    assert cython_line_map(b"".join(parts)) == expected


def test_tests_docs_examples_and_build_tools_are_not_package_code(tmp_path: Path) -> None:
    from analyzer.native.sources import NOT_PACKAGE

    x86 = "#include <immintrin.h>\n"
    for rel in (
        "src/module.c",
        "tests/test_simd.c",
        "src/test/test_aesni.c",
        "docs/example.c",
        "examples/demo.c",
        "benchmarks/bench.c",
        "vendored-meson/meson/test cases/common/147 simd/simd_sse2.c",
        "subprojects/lib/test cases/x.c",
    ):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(x86)
    result = scan(tmp_path, ScanOptions())
    assert {f.location.path for f in result.findings} == {"src/module.c"}
    assert result.skipped[NOT_PACKAGE] == 6 and result.skipped["vendored directory"] == 1
    everything = scan(tmp_path, ScanOptions(include_tests=True, include_vendored=True))
    assert len({f.location.path for f in everything.findings}) == 8


def test_a_crate_cargo_vendored_anywhere_is_a_vendored_directory(tmp_path: Path) -> None:
    """orjson ships its dependencies under include/cargo/<crate>/, each with the
    .cargo-checksum.json cargo vendor writes: skipped as vendor/ is (unless asked)."""
    crate = tmp_path / "include" / "cargo" / "libc-0.2.190"
    (crate / "src").mkdir(parents=True)
    (crate / ".cargo-checksum.json").write_text('{"files": {}}')
    (crate / "build.rs").write_text("fn main() {}\n")
    (crate / "src" / "lib.rs").write_text("pub fn f() {}\n")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "lib.rs").write_text("pub fn g() {}\n")
    kept = walk(tmp_path)
    assert [s.rel for s in kept.files] == ["src/lib.rs"] and kept.skipped["vendored directory"] == 1
    everything = walk(tmp_path, include_vendored=True)
    assert "include/cargo/libc-0.2.190/src/lib.rs" in [s.rel for s in everything.files]
