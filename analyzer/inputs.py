"""What ``woaport scan`` was pointed at: a directory or file, an sdist archive, a project
to fetch from the package index, written ``NAME==VERSION`` or ``pypi:NAME[==VERSION]``, or
a repository to clone, written ``git+URL[@REF]``.
A bare word that is not a path is refused rather than fetched: ``woaport scan src`` in
the wrong directory must fail, not scan whatever project is called ``src``. Archives and
downloads live in a temporary directory that is removed when the scan is over, whatever
happens."""

from __future__ import annotations

import hashlib
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from analyzer.archive import ArchiveLimits, extract, is_archive
from analyzer.errors import InputProblem
from analyzer.gitclone import CloneError, clone, git_request
from analyzer.index.config import default_index_url
from analyzer.model import Finding, Location, ScanWarning
from analyzer.paths import repository_root as repository_root
from analyzer.result import ScanResult

if TYPE_CHECKING:
    from analyzer.index.simple import SimpleIndex

# A project name (PEP 508 spelling) with an optional exact pin.
_REQUIREMENT = re.compile(r"^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)(?:\s*==\s*([A-Za-z0-9.!+_-]+))?$")


DEFAULT_LIMITS = ArchiveLimits()


class InputError(RuntimeError, InputProblem):
    """The scan target cannot be used (message says why)."""


@dataclass(frozen=True)
class ScanInput:
    root: Path  # what to scan
    label: str  # what to call it in reports (never a temporary path)
    warnings: tuple[ScanWarning, ...] = ()
    local: bool = False  # a path on disk (not an archive or a download): report repo-relative
    # From the index: the win_arm64 wheels this release already has, as "cp312", "abi3"...
    released_win_arm64: tuple[str, ...] = ()


def win_arm64_tags(filenames: list[str], version: str) -> tuple[str, ...]:
    """The Python tags of ``version``'s win_arm64 wheels among ``filenames`` (pure)."""
    from analyzer.index.wheels import wheel_parts

    found: set[str] = set()
    for filename in filenames:
        parts = wheel_parts(filename) if filename.endswith(".whl") else None
        if parts is None or str(parts[0]) != version:
            continue
        found |= {t.interpreter if t.abi != "abi3" else "abi3" for t in parts[1] if t.platform == "win_arm64"}
    return tuple(sorted(found))


INDEX_PREFIX = "pypi:"


def parse_requirement(text: str) -> tuple[str, str | None] | None:
    match = _REQUIREMENT.match(text.strip())
    return (match.group(1), match.group(2)) if match else None


def index_request(target: str) -> tuple[str, str | None] | None:
    """``(name, version)`` when ``target`` explicitly asks for a project from the index:
    ``pypi:NAME``, ``pypi:NAME==VERSION`` or ``NAME==VERSION``; None otherwise."""
    explicit = target.startswith(INDEX_PREFIX)
    text = target[len(INDEX_PREFIX) :] if explicit else target
    if "/" in text or "\\" in text:
        return None
    requirement = parse_requirement(text)
    if requirement is None or (not explicit and requirement[1] is None):
        return None
    return requirement


@contextmanager
def _scratch() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="woaport-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@contextmanager
def open_input(
    target: str,
    *,
    index_url: str | None = None,
    limits: ArchiveLimits = DEFAULT_LIMITS,
    make_index: Callable[[str], SimpleIndex] | None = None,
    log: Callable[[str], None] = lambda _: None,
) -> Iterator[ScanInput]:
    """Resolve ``target``; a path that exists wins over a project of the same name.
    ``make_index``: the index client for a URL (default: :class:`SimpleIndex`)."""
    repository = git_request(target)
    if repository is not None:
        with _scratch() as scratch:
            try:
                commit = clone(repository, scratch / "checkout")
            except CloneError as error:
                raise InputError(str(error)) from None
            log(f"cloned {repository.url} at {repository.ref or 'its default branch'} ({commit[:12]})")
            yield ScanInput(scratch / "checkout", f"{repository.url}@{commit[:12]}")
        return
    path = Path(target)
    if path.exists():
        if not is_archive(path):
            yield ScanInput(path, target, local=True)
            return
        with _scratch() as scratch:
            unpacked = extract(path, scratch, limits)
            yield ScanInput(unpacked.root, path.name, unpacked.warnings)
        return
    requirement = index_request(target)
    if requirement is None:
        hint = ""
        if parse_requirement(target) is not None and "/" not in target and "\\" not in target:
            hint = (
                f"; to scan the project {target!r} from the package index, write "
                f"{INDEX_PREFIX}{target} or {target}==VERSION"
            )
        raise InputError(f"no such file or directory: {target}{hint}")
    name, version = requirement
    url = default_index_url(index_url)
    from packaging.utils import parse_sdist_filename

    from analyzer.index.simple import SimpleIndex, select_sdist  # only an index needs httpx

    with (make_index or SimpleIndex)(url) as index, _scratch() as scratch:
        page = index.project(name)
        sdist = select_sdist(page, version)
        archive = index.download(sdist, scratch)
        found = parse_sdist_filename(sdist.filename)[1]
        checked = next((a for a, _ in sdist.hashes if a in hashlib.algorithms_guaranteed), None)
        proof = f"{checked} checked" if checked else "the index gave no hash"
        log(f"fetched {name} {found} ({sdist.filename}, {proof}) from {url}")
        unpack_dir = scratch / "src"
        unpack_dir.mkdir()
        unpacked = extract(archive, unpack_dir, limits)
        label = f"{name}=={found} ({sdist.filename})"
        shipped = win_arm64_tags([f.filename for f in page.files if f.yanked is None], str(found))
        yield ScanInput(unpacked.root, label, unpacked.warnings, released_win_arm64=shipped)


def report_base(path: Path, cwd: Path) -> Path:
    """Where reported paths start for a local scan of ``path``: the repository root (what
    GitHub code scanning resolves SARIF URIs against), else the current directory when
    ``path`` is inside it, else the scanned directory itself."""
    scanned = path.resolve() if path.is_dir() else path.resolve().parent
    root = repository_root(scanned)
    if root is not None:
        return root
    return cwd.resolve() if scanned.is_relative_to(cwd.resolve()) else scanned


def rebase(result: ScanResult, prefix: str) -> ScanResult:
    """``result`` with every path (findings, their Cython origins, warnings) under
    ``prefix`` (a POSIX path relative to the report base; "" changes nothing)."""
    if not prefix:
        return result

    def moved(location: Location) -> Location:
        return replace(location, path=f"{prefix}/{location.path}")

    def finding(f: Finding) -> Finding:
        origin = moved(f.generated_from) if f.generated_from is not None else None
        return replace(f, location=moved(f.location), generated_from=origin)

    return replace(
        result,
        findings=tuple(finding(f) for f in result.findings),
        not_compiled=tuple(finding(f) for f in result.not_compiled),
        warnings=tuple(replace(w, path=f"{prefix}/{w.path}" if w.path else prefix) for w in result.warnings),
        path_prefixes=(*result.path_prefixes, prefix),
    )


def prefix_for(path: Path, cwd: Path) -> str:
    """The POSIX prefix that makes paths relative to ``path`` relative to its report base."""
    scanned = path.resolve() if path.is_dir() else path.resolve().parent
    relative = scanned.relative_to(report_base(path, cwd))
    return "" if relative == Path(".") else relative.as_posix()
