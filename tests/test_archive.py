"""Hostile archives, generated here: traversal, absolute paths, links, devices,
duplicates, bombs, corrupt data. Nothing may be written outside the destination."""

from __future__ import annotations

import io
import stat
import tarfile
import warnings
import zipfile
from pathlib import Path

import pytest

from analyzer.archive import ArchiveError, ArchiveLimits, extract, safe_member_path


def tar_bytes(members: list[tarfile.TarInfo | tuple[str, bytes]], mode: str = "w:gz") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as tar:  # type: ignore[call-overload]
        for member in members:
            if isinstance(member, tuple):
                info = tarfile.TarInfo(member[0])
                info.size = len(member[1])
                tar.addfile(info, io.BytesIO(member[1]))
            else:
                tar.addfile(member)
    return buffer.getvalue()


def special(name: str, kind: bytes, target: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info


def every_file(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() or p.is_symlink()}


@pytest.fixture
def box(tmp_path: Path) -> tuple[Path, Path]:
    """(archive directory, destination) side by side, to see escapes."""
    (tmp_path / "in").mkdir()
    (tmp_path / "out").mkdir()
    return tmp_path / "in", tmp_path / "out"


def test_traversal_absolute_links_and_devices_are_skipped(box: tuple[Path, Path]) -> None:
    src, dest = box
    archive = src / "evil-1.0.tar.gz"
    archive.write_bytes(
        tar_bytes(
            [
                ("evil-1.0/ok.c", b"int ok;\n"),
                ("evil-1.0/../../escaped.c", b"pwned"),
                ("/etc/absolute.c", b"pwned"),
                ("C:\\windows\\drive.c", b"pwned"),
                ("evil-1.0\\..\\..\\backslash.c", b"pwned"),
                special("evil-1.0/link.c", tarfile.SYMTYPE, "/etc/passwd"),
                special("evil-1.0/hard.c", tarfile.LNKTYPE, "evil-1.0/ok.c"),
                special("evil-1.0/dev", tarfile.CHRTYPE),
                special("evil-1.0/fifo", tarfile.FIFOTYPE),
                special("evil-1.0/dir", tarfile.DIRTYPE),
                ("evil-1.0/dir/inner.c", b"int inner;\n"),
            ]
        )
    )
    result = extract(archive, dest)
    assert every_file(dest) == {"evil-1.0/ok.c", "evil-1.0/dir/inner.c"}
    assert every_file(src.parent) == {"in/evil-1.0.tar.gz", "out/evil-1.0/ok.c", "out/evil-1.0/dir/inner.c"}
    assert result.root == dest / "evil-1.0" and result.files == 2
    reasons = " | ".join(f"{w.path}: {w.message}" for w in result.warnings)
    assert reasons.count("outside the tree") == 4
    assert "link.c: archive member is a link" in reasons and "hard.c: archive member is a link" in reasons
    assert "dev: archive member is a special file" in reasons
    assert "fifo: archive member is a special file" in reasons


def test_a_member_cannot_write_through_a_directory_it_replaced(box: tuple[Path, Path]) -> None:
    src, dest = box
    archive = src / "x.tar"
    archive.write_bytes(
        tar_bytes([("p/a", b"file first"), ("p/a/b.c", b"under a file"), ("p/a", b"again")], mode="w")
    )
    result = extract(archive, dest)
    assert (dest / "p" / "a").read_bytes() == b"again"  # the last copy, as tar and pip keep
    assert (dest / "p" / "a").is_file() and not (dest / "p" / "a" / "b.c").exists()
    messages = [w.message for w in result.warnings]
    assert any("clashes" in m for m in messages) and any("last copy is kept" in m for m in messages)


def test_duplicate_members_keep_the_last_copy_like_tar_and_pip(box: tuple[Path, Path]) -> None:
    # The first copy is harmless, the last (what the build would compile) is x86 code:
    # scanning the first would hide a blocker.
    src, dest = box
    archive = src / "dup-1.0.tar.gz"
    archive.write_bytes(
        tar_bytes([("dup-1.0/k.c", b"int fine;\n"), ("dup-1.0/k.c", b"#include <immintrin.h>\n")])
    )
    extract(archive, dest)
    unpacked = src.parent / "reference"
    unpacked.mkdir()
    with tarfile.open(archive) as reference:
        reference.extractall(unpacked, filter="data")  # what tar itself leaves
    assert (dest / "dup-1.0" / "k.c").read_bytes() == (unpacked / "dup-1.0" / "k.c").read_bytes()
    assert (dest / "dup-1.0" / "k.c").read_bytes() == b"#include <immintrin.h>\n"
    assert [p.name for p in (dest / "dup-1.0").iterdir()] == ["k.c"]  # no spare copy left
    zipped = src / "dup-2.0.zip"
    with zipfile.ZipFile(zipped, "w") as zf, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate name: that is the point
        zf.writestr("dup-2.0/k.c", b"int fine;\n")
        zf.writestr("dup-2.0/k.c", b"#include <immintrin.h>\n")
    extract(zipped, dest)
    assert (dest / "dup-2.0" / "k.c").read_bytes() == b"#include <immintrin.h>\n"


def test_gzip_bomb_is_refused(box: tuple[Path, Path]) -> None:
    src, dest = box
    archive = src / "bomb.tar.gz"
    archive.write_bytes(tar_bytes([("bomb/zeros.c", bytes(8 * 1024 * 1024))]))
    assert archive.stat().st_size < 64 * 1024
    limits = ArchiveLimits(max_ratio=50, ratio_floor_bytes=1024 * 1024)
    with pytest.raises(ArchiveError, match="decompression bomb"):
        extract(archive, dest, limits)
    # The same archive is fine when the caps allow it: the refusal is the cap's doing.
    other = dest.parent / "other"
    other.mkdir()
    assert extract(archive, other).bytes == 8 * 1024 * 1024


def test_member_count_and_member_size_caps(box: tuple[Path, Path]) -> None:
    src, dest = box
    many = src / "many.tar.gz"
    many.write_bytes(tar_bytes([(f"m/{i}.c", b"") for i in range(50)]))
    with pytest.raises(ArchiveError, match="more than 20 members"):
        extract(many, dest, ArchiveLimits(max_members=20))
    big = src / "big.tar.gz"
    big.write_bytes(tar_bytes([("b/big.c", bytes(5000))]))
    with pytest.raises(ArchiveError, match="more than 4096 bytes"):
        extract(big, dest, ArchiveLimits(max_member_bytes=4096))


def test_corrupt_and_truncated_archives_are_errors(box: tuple[Path, Path]) -> None:
    src, dest = box
    good = tar_bytes([("t/a.c", bytes(range(256)) * 400)])
    truncated = src / "t.tar.gz"
    truncated.write_bytes(good[: len(good) // 2])
    with pytest.raises(ArchiveError, match=r"corrupt or unreadable|not a readable tar archive"):
        extract(truncated, dest)
    garbage = src / "g.zip"
    garbage.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(ArchiveError, match="not a readable zip archive"):
        extract(garbage, dest)


def test_zip_links_traversal_and_encryption_flags(box: tuple[Path, Path]) -> None:
    src, dest = box
    archive = src / "z-1.0.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("z-1.0/ok.c", "int ok;\n")
        zf.writestr("../escape.c", "pwned")
        link = zipfile.ZipInfo("z-1.0/link.c")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(link, "/etc/passwd")
        zf.writestr("z-1.0/locked.c", "ciphertext")
    # zipfile cannot write encrypted members: set the "encrypted" flag in the central
    # directory entry (flags at offset 8, name at offset 46), which is what readers trust.
    data = bytearray(archive.read_bytes())
    pos = data.find(b"PK\x01\x02")
    while data[pos + 46 : pos + 46 + 14] != b"z-1.0/locked.c":
        pos = data.find(b"PK\x01\x02", pos + 4)
    data[pos + 8] |= 0x1
    archive.write_bytes(bytes(data))
    result = extract(archive, dest)
    assert every_file(dest) == {"z-1.0/ok.c"}
    assert not (dest.parent / "escape.c").exists()
    messages = {w.path: w.message for w in result.warnings}
    assert "link" in messages["z-1.0/link.c"] and "encrypted" in messages["z-1.0/locked.c"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("pkg/src/a.c", "pkg/src/a.c"),
        ("./pkg//a.c", "pkg/a.c"),
        ("pkg\\win\\a.c", "pkg/win/a.c"),
        ("../a.c", None),
        ("pkg/../../a.c", None),
        ("/abs.c", None),
        ("C:/x.c", None),
        ("", None),
    ],
)
def test_safe_member_path(name: str, expected: str | None) -> None:
    got = safe_member_path(name)
    assert (str(got) if got is not None else None) == expected
