"""What a scan reports when it is asked about part of a repository: ``--changed`` (only
what is new since a git revision, as SARIF fingerprints match findings) and ``--in-repo``
(the repository around some files is scanned, so guards and macros defined elsewhere are
followed, and only those files are reported). Pure but for the revision's export."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from analyzer.archive import ArchiveError, extract
from analyzer.findings import finding_keys
from analyzer.gitclone import CloneError, export_revision
from analyzer.inputs import prefix_for, rebase
from analyzer.result import ScanResult
from analyzer.scan import ScanOptions, scan


class OutsideRepository(ValueError):
    """A file given to ``--in-repo`` that is not in the repository (a usage error)."""


@dataclass(frozen=True)
class Comparison:
    """``result`` with what ``ref`` already had taken out, and the sentence that says so
    (or why nothing could be compared)."""

    result: ScanResult
    note: str


def only_new(after: ScanResult, before: ScanResult, ref: str) -> Comparison:
    """``after`` with only the findings and warnings ``before`` did not have. A
    build-dependent finding the change makes certain is new too: confidence counts."""
    known = set(zip(finding_keys(before.findings), (f.confidence for f in before.findings), strict=True))
    keys = finding_keys(after.findings)
    new = tuple(f for f, key in zip(after.findings, keys, strict=True) if (key, f.confidence) not in known)
    old_warnings = {(w.path, w.message) for w in before.warnings}
    result = replace(
        after,
        findings=new,
        warnings=tuple(w for w in after.warnings if (w.path, w.message) not in old_warnings),
    )
    return Comparison(
        result, f"{len(new)} finding(s) new since {ref} ({len(after.findings) - len(new)} there before)"
    )


def new_since(
    after: ScanResult,
    repository: Path,
    ref: str,
    options: ScanOptions,
    cwd: Path,
    scan_tree: Callable[[Path, ScanOptions], ScanResult] = scan,
) -> Comparison:
    """``after`` (a scan of ``repository``'s work tree, paths relative to ``cwd``) with
    only what a scan of revision ``ref`` did not have. No such revision: every finding
    is new, and the note says why."""
    with tempfile.TemporaryDirectory(prefix="woaport-base-") as scratch:
        try:
            archive = export_revision(repository, ref, Path(scratch) / "base.tar")
            unpack_to = Path(scratch) / "unpacked"
            unpack_to.mkdir()
            unpacked = extract(archive, unpack_to)
        except (CloneError, ArchiveError) as error:
            return Comparison(after, f"no {ref} to compare with ({error}): every finding is new")
        before = rebase(scan_tree(unpacked.root, options), prefix_for(repository, cwd))
    return only_new(after, before, ref)


def repository_files(repository: Path, names: tuple[str, ...]) -> set[str]:
    """``names`` as paths relative to ``repository``. Raises :class:`OutsideRepository`."""
    files: set[str] = set()
    for name in names:
        path = Path(name).resolve()
        if not path.is_relative_to(repository):
            raise OutsideRepository(f"--in-repo: {name} is outside the repository {repository}")
        files.add(path.relative_to(repository).as_posix())
    return files
