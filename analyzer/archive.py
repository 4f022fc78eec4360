"""Unpack an sdist (.tar.gz/.tgz/.tar.bz2/.tar.xz/.tar/.zip) for scanning, defensively.

Only regular files and directories are written, each under the destination directory.
Members with absolute paths, drive letters or ``..`` components, links, devices and FIFOs
are skipped with a warning. Caps on member count, per-member and total size, and on the
expansion ratio stop decompression bombs: a scan of a truncated tree would be a wrong
answer, so exceeding a cap is an error, not a warning. Sizes are counted on the bytes
actually decompressed, never trusted from headers.
"""

from __future__ import annotations

import os
import stat
import zlib
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

from analyzer.errors import InputProblem
from analyzer.model import ScanWarning

ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".tar", ".zip")
_CHUNK = 1 << 16
_Members = Generator[tuple[str, str, IO[bytes] | None], None, None]


class ArchiveError(RuntimeError, InputProblem):
    """The archive is unreadable or exceeds a safety cap."""


@dataclass(frozen=True)
class ArchiveLimits:
    max_members: int = 100_000
    max_member_bytes: int = 256 * 1024 * 1024
    max_total_bytes: int = 2 * 1024 * 1024 * 1024
    # Unpacked bytes per archive byte; source trees compress 4-10x, bombs 1000x and more.
    max_ratio: int = 200
    ratio_floor_bytes: int = 64 * 1024 * 1024  # the ratio cap applies above this size


@dataclass(frozen=True)
class Extracted:
    root: Path  # the single top-level directory of an sdist, else the destination
    files: int
    bytes: int
    warnings: tuple[ScanWarning, ...]


def is_archive(path: Path) -> bool:
    return path.is_file() and path.name.lower().endswith(ARCHIVE_SUFFIXES)


def safe_member_path(name: str) -> PurePosixPath | None:
    """The relative path a member may be written to, or None if it must be skipped."""
    normalized = name.replace("\\", "/")
    if normalized.startswith("/") or (len(normalized) > 1 and normalized[1] == ":"):
        return None
    parts = [p for p in normalized.split("/") if p not in ("", ".")]
    if not parts or any(p == ".." for p in parts) or any("\0" in p for p in parts):
        return None
    return PurePosixPath(*parts)


class _Budget:
    def __init__(self, archive_size: int, limits: ArchiveLimits) -> None:
        self.limits = limits
        self.members = 0
        self.total = 0
        self.cap = min(limits.max_total_bytes, max(limits.ratio_floor_bytes, archive_size * limits.max_ratio))

    def member(self) -> None:
        self.members += 1
        if self.members > self.limits.max_members:
            raise ArchiveError(f"more than {self.limits.max_members} members: refusing to unpack")

    def copy(self, source: IO[bytes], target: Path, name: str) -> int:
        written = 0
        # "x": never follow or replace anything already there (a duplicate member).
        with open(target, "xb") as out:
            while chunk := source.read(_CHUNK):
                written += len(chunk)
                self.total += len(chunk)
                if written > self.limits.max_member_bytes:
                    raise ArchiveError(f"{name}: unpacks to more than {self.limits.max_member_bytes} bytes")
                if self.total > self.cap:
                    raise ArchiveError(
                        f"unpacks to more than {self.cap} bytes (expansion ratio or total cap): "
                        "refusing a possible decompression bomb"
                    )
                out.write(chunk)
        return written


def _tar_members(archive: Path) -> _Members:
    """(name, kind, stream) per member, streaming: kind is file, dir or other."""
    import lzma
    import tarfile

    try:
        with tarfile.open(archive, "r:*") as tar:
            while True:
                member = tar.next()
                if member is None:
                    return
                if member.isreg():
                    yield member.name, "file", tar.extractfile(member)
                elif member.isdir():
                    yield member.name, "dir", None
                else:
                    kind = "link" if member.issym() or member.islnk() else "special file"
                    yield member.name, kind, None
    except (tarfile.TarError, EOFError, OSError, ValueError, zlib.error, lzma.LZMAError) as error:
        raise ArchiveError(f"{archive.name}: not a readable tar archive ({error})") from None


def _zip_members(archive: Path) -> _Members:
    import zipfile

    try:
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                mode = info.external_attr >> 16
                if info.is_dir():
                    yield info.filename, "dir", None
                elif stat.S_ISLNK(mode):
                    yield info.filename, "link", None
                elif stat.S_IFMT(mode) and not stat.S_ISREG(mode):  # no type bits: a plain file
                    yield info.filename, "special file", None
                elif info.flag_bits & 0x1:
                    yield info.filename, "encrypted file", None
                else:
                    with zf.open(info) as stream:
                        yield info.filename, "file", stream
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError, zlib.error) as e:
        raise ArchiveError(f"{archive.name}: not a readable zip archive ({e})") from None


def extract(archive: Path, dest: Path, limits: ArchiveLimits = ArchiveLimits()) -> Extracted:
    """Unpack ``archive`` into the existing, empty directory ``dest``."""
    # The archive modules only when there is an archive (a tree scan starts faster).
    import lzma
    import tarfile
    import zipfile

    budget = _Budget(archive.stat().st_size, limits)
    warnings: list[ScanWarning] = []
    files = 0
    written: set[tuple[str, ...]] = set()  # regular files this extraction created
    members = _zip_members(archive) if archive.name.lower().endswith(".zip") else _tar_members(archive)
    try:
        for name, kind, stream in members:
            budget.member()
            rel = safe_member_path(name)
            if rel is None:
                warnings.append(ScanWarning(name, "member outside the tree (absolute or '..'): skipped"))
                continue
            if kind not in ("file", "dir"):
                warnings.append(ScanWarning(str(rel), f"archive member is a {kind}: skipped"))
                continue
            try:
                if kind == "dir":
                    _make_dirs(dest, rel.parts)
                    continue
                _make_dirs(dest, rel.parts[:-1])
                assert stream is not None
                target = dest.joinpath(*rel.parts)
                if rel.parts in written:
                    # tar and pip keep the last copy of a duplicate member: scan what the
                    # build would see. The new copy replaces the regular file made above.
                    spare = target.with_name(f".woaport-duplicate-{files}")
                    budget.copy(stream, spare, str(rel))
                    os.replace(spare, target)
                    warnings.append(
                        ScanWarning(
                            str(rel), "duplicate archive member: the last copy is kept, as tar and pip do"
                        )
                    )
                    continue
                budget.copy(stream, target, str(rel))
                written.add(rel.parts)
            except FileExistsError:
                warnings.append(ScanWarning(str(rel), "member clashes with a file or directory: skipped"))
                continue
            except (IsADirectoryError, NotADirectoryError):
                warnings.append(ScanWarning(str(rel), "member clashes with a file or directory: skipped"))
                continue
            except (OSError, EOFError, zlib.error, lzma.LZMAError, tarfile.TarError, zipfile.BadZipFile) as e:
                raise ArchiveError(f"{archive.name}: {rel}: corrupt or unreadable ({e})") from None
            files += 1
    finally:
        members.close()
    return Extracted(_sdist_root(dest), files, budget.total, tuple(warnings))


def _make_dirs(dest: Path, parts: tuple[str, ...]) -> None:
    """mkdir -p below ``dest`` that refuses to pass through anything but a real directory."""
    current = dest
    for part in parts:
        current = current / part
        try:
            current.mkdir()
        except FileExistsError:
            if current.is_symlink() or not current.is_dir():
                raise NotADirectoryError(str(current)) from None


def _sdist_root(dest: Path) -> Path:
    entries = [e for e in dest.iterdir() if not e.name.startswith(".")]
    if len(entries) == 1 and entries[0].is_dir() and not entries[0].is_symlink():
        return entries[0]
    return dest
