"""Randomly mutated fixture files (bytes flipped, lines duplicated or dropped, directives
cut short, NULs, BOMs, CRLF, unbalanced #if): for a bounded, seeded set of cases, a full
scan with every report and a fix plan ends without a traceback or a hang, and writes
nothing but the reports it was asked for."""

from __future__ import annotations

import random
import signal
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from analyzer.fix.engine import plan_fixes
from analyzer.rules import CATEGORIES
from analyzer.scan import ScanOptions, scan
from tests.clirun import run
from tests.paths import FIXTURES

CASES = 100
SECONDS_PER_CASE = 20  # a hang, not a slow machine: a case takes well under a second
SOURCES = sorted(
    p
    for p in FIXTURES.rglob("*")
    if p.is_file()
    and (p.suffix in (".c", ".h", ".cpp", ".rs", ".toml", ".yml", ".txt") or p.name == "setup.py")
)


def _flip(data: bytes, rng: random.Random) -> bytes:
    if not data:
        return data
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        out[rng.randrange(len(out))] = rng.randrange(256)
    return bytes(out)


def _duplicate_lines(data: bytes, rng: random.Random) -> bytes:
    lines = data.splitlines(keepends=True)
    if not lines:
        return data
    i = rng.randrange(len(lines))
    return b"".join(lines[:i] + [lines[i]] * rng.randint(2, 200) + lines[i:])


def _drop_lines(data: bytes, rng: random.Random) -> bytes:
    lines = data.splitlines(keepends=True)
    return b"".join(line for line in lines if rng.random() > 0.2)


def _truncate_directive(data: bytes, rng: random.Random) -> bytes:
    lines = data.splitlines(keepends=True)
    marked = [i for i, line in enumerate(lines) if line.lstrip().startswith(b"#")]
    if not marked:
        return data[: rng.randrange(len(data) + 1)]
    i = rng.choice(marked)
    lines[i] = lines[i][: rng.randrange(1, max(2, len(lines[i])))]
    return b"".join(lines)


def _odd_bytes(data: bytes, rng: random.Random) -> bytes:
    return rng.choice(
        [
            b"\xef\xbb\xbf" + data,
            data.replace(b"\n", b"\r\n"),
            data.replace(b"\n", b"\r"),
            data + b"\x00\x00",
            b"#if defined(__aarch64__)\n" * rng.randint(1, 50) + data,
            data + b"\n#endif\n" * rng.randint(1, 5),
            data + b"\\\n" * 3,
            data + b"/* unterminated",
            b"\xff\xfe" + data,
        ]
    )


MUTATIONS: list[Callable[[bytes, random.Random], bytes]] = [
    _flip,
    _duplicate_lines,
    _drop_lines,
    _truncate_directive,
    _odd_bytes,
]


@contextmanager
def _deadline(seconds: int) -> Iterator[None]:
    def expired(signum: int, frame: object) -> None:
        raise TimeoutError(f"a case ran over {seconds} s: a hang")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("case", range(CASES))
def test_mutated_inputs_never_crash_hang_or_write_outside_the_outputs(
    case: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(1000 + case)
    tree = tmp_path / "tree"
    out = tmp_path / "out"
    scratch = tmp_path / "scratch"
    for directory in (tree, out, scratch):
        directory.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    for n, source in enumerate(rng.sample(SOURCES, k=min(len(SOURCES), rng.randint(1, 4)))):
        data = source.read_bytes()
        for mutate in rng.sample(MUTATIONS, k=rng.randint(1, 3)):
            data = mutate(data, rng)
        target = tree / f"m{n}" / source.name
        target.parent.mkdir()
        target.write_bytes(data)
    before = _snapshot(tree)
    with _deadline(SECONDS_PER_CASE):
        result = scan(tree, ScanOptions())
        plan_fixes(tree, result, frozenset(CATEGORIES))  # planning writes nothing
        code, _ = run(
            "scan",
            str(tree),
            "-q",
            "--json",
            str(out / "r.json"),
            "--sarif",
            str(out / "r.sarif"),
            "--markdown",
            str(out / "r.md"),
        )
    assert code in (0, 1)
    assert _snapshot(tree) == before  # the input is never touched
    assert sorted(p.name for p in out.iterdir()) == ["r.json", "r.md", "r.sarif"]
    assert list(scratch.iterdir()) == []
