"""Look up many projects on an index, concurrently, and classify each (I/O at the edge)."""

from __future__ import annotations

import tarfile
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from analyzer.index.simple import IndexFetchError, ProjectNotFound, SimpleIndex, normalize
from analyzer.status.classify import (
    DEFAULT_PYTHONS,
    Release,
    Status,
    _tags,
    classify,
    latest_release,
    sdist_has_compiled_code,
)

MAX_SDIST_MEMBERS = 100_000
MAX_SETUP_PY = 1024 * 1024


def _sdist_compiled(index: SimpleIndex, release: Release) -> bool | None:
    """Whether the release's sdist holds compiled code, from its member list (and the
    text of its top-level setup.py): never extracted to disk, never run."""
    assert release.sdist is not None
    with tempfile.TemporaryDirectory(prefix="woaport-status-") as tmp:
        archive = index.download(release.sdist, Path(tmp))
        members: list[str] = []
        setup_py: bytes | None = None
        try:
            if archive.name.endswith(".zip"):
                with zipfile.ZipFile(archive) as zf:
                    members = zf.namelist()[:MAX_SDIST_MEMBERS]
                    setup = next((m for m in members if m.count("/") == 1 and m.endswith("/setup.py")), None)
                    if setup is not None:
                        with zf.open(setup) as handle:
                            setup_py = handle.read(MAX_SETUP_PY)
            else:
                with tarfile.open(archive, "r:*") as tar:
                    while len(members) < MAX_SDIST_MEMBERS and (member := tar.next()) is not None:
                        members.append(member.name)
                        if (
                            member.isreg()
                            and member.name.count("/") == 1
                            and member.name.endswith("/setup.py")
                        ):
                            stream = tar.extractfile(member)
                            setup_py = stream.read(MAX_SETUP_PY) if stream is not None else None
        except (tarfile.TarError, zipfile.BadZipFile, OSError, EOFError):
            return None
    return sdist_has_compiled_code(members, setup_py)


def check_project(
    index: SimpleIndex, name: str, pythons: tuple[str, ...], look_into_sdists: bool = True
) -> Status:
    try:
        page = index.project(name)
    except ProjectNotFound:
        return classify(name, None, pythons)
    except IndexFetchError as error:
        return Status(name, None, "error", {p: "error" for p in pythons}, (), note=str(error))
    release = latest_release(page.files, name)
    compiled: bool | None = None
    if release is not None and release.sdist is not None and look_into_sdists and not _tags(release.wheels):
        try:
            compiled = _sdist_compiled(index, release)
        except IndexFetchError as error:
            return Status(name, release.version, "error", {p: "error" for p in pythons}, (), note=str(error))
    return classify(name, release, pythons, compiled)


def check_projects(
    index: SimpleIndex,
    names: Iterable[str],
    pythons: tuple[str, ...] = DEFAULT_PYTHONS,
    workers: int = 16,
    look_into_sdists: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> list[Status]:
    """Every project once (names normalised, order kept), looked up ``workers`` at a time."""
    unique = list(dict.fromkeys(normalize(n) for n in names))
    results: list[Status] = []
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for done, status in enumerate(
            pool.map(lambda n: check_project(index, n, pythons, look_into_sdists), unique), 1
        ):
            results.append(status)
            if progress is not None:
                progress(done, len(unique))
    return results
