"""An sdist rarely ships its CI: what builds the wheels lives in the repository. Where the
unpacked sdist has no CI configuration, the survey lays the CI of the release over it
from a folder the user gives (``--ci-from DIR``: ``DIR/NAME/``, a checkout or just its
CI files) or from the repository its metadata names, cloned shallowly at the release's
tag (``vX.Y`` or ``X.Y``; else the default branch, and it says so).

Only CI configuration and the scripts a job may call are taken from a clone (YAML, TOML,
shell, batch and PowerShell files the sdist lacks): the code the verdict judges stays the
sdist's. Nothing is overwritten, nothing from the repository runs, links are not followed
and the copy is bounded in files and bytes."""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path

from analyzer.gitclone import CloneError, GitRequest, clone
from analyzer.native.sources import CI_DIRECTORIES, CI_FILES
from analyzer.projectmeta import read_project_urls, repository_url

MAX_FILES = 2_000
MAX_FILE_BYTES = 1024 * 1024
CLONE_SECONDS = 180.0
# What a clone lends: CI configuration and the scripts its jobs call.
_LENT_SUFFIXES = (".yml", ".yaml", ".toml", ".cfg", ".sh", ".bash", ".bat", ".cmd", ".ps1")


def has_ci(root: Path) -> bool:
    """Whether the tree has CI configuration of its own (at its root, as a project has)."""
    if (root / ".github" / "workflows").is_dir():
        return True
    if any((root / name).is_dir() for name in CI_DIRECTORIES):
        return True
    return any((root / name).is_file() for name in CI_FILES)


def _files(source: Path) -> Iterable[tuple[str, Path]]:
    for path in sorted(source.rglob("*")):
        rel = path.relative_to(source).as_posix()
        if rel == ".git" or rel.startswith(".git/"):
            continue
        if path.is_symlink() or not path.is_file():
            continue
        yield rel, path


def overlay(source: Path, root: Path, only_ci: bool) -> int:
    """Copy ``source``'s files that ``root`` lacks into it (with ``only_ci``: CI files and
    scripts only); the number copied."""
    copied = 0
    base = root.resolve()
    for rel, path in _files(source):
        if copied >= MAX_FILES:
            break
        if only_ci and not rel.endswith(_LENT_SUFFIXES):
            continue
        target = (base / rel).resolve()
        if base not in target.parents or target.exists():
            continue  # outside the tree, or the sdist has its own: the sdist's wins
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target, follow_symlinks=False)
        except OSError:
            continue
        copied += 1
    return copied


def repository_ci(url: str, version: str, root: Path, scratch: Path) -> str:
    """Clone ``url`` at the release's tag (or the default branch) and lend its CI to
    ``root``: where it came from, or why it could not be had (raises nothing)."""
    why = ""
    for attempt, ref in enumerate((f"v{version}", version, None)):
        checkout = scratch / f"repository-{attempt}"
        try:
            commit = clone(GitRequest(url, ref), checkout, timeout=CLONE_SECONDS, answer_within=30.0)
        except CloneError as error:
            why = str(error)
            if "did not answer" in why or "not installed" in why or "Could not resolve" in why:
                break  # the server, not the ref: no point in asking again
            continue
        copied = overlay(checkout, root, only_ci=True)
        where = f"tag {ref}" if ref else "the default branch (no tag for this version)"
        return f"repository {url} at {where} ({commit[:12]}): {copied} CI file(s)"
    return f"no CI: the sdist ships none and {url} could not be cloned ({why[:200]})"


def borrow_ci(root: Path, name: str, version: str, ci_from: str, from_repository: bool, scratch: Path) -> str:
    """Lay the project's CI over an sdist that ships none; where it came from ("sdist"
    when the tree has its own, "" when none was found)."""
    if has_ci(root):
        return "sdist"
    if ci_from:
        given = Path(ci_from) / name
        if given.is_dir() and not given.is_symlink():
            copied = overlay(given, root, only_ci=False)
            return f"{given}: {copied} file(s)"
    if from_repository:
        found = repository_url(read_project_urls(root))
        if found is not None and found[1]:
            return repository_ci(found[0], version, root, scratch)
    return ""
