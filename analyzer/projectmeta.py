"""Where a project lives, from the metadata its tree ships (pure, plus one reader): the
``Project-URL`` and ``Home-page`` fields of an sdist's ``PKG-INFO`` and the
``[project.urls]`` table of ``pyproject.toml``. An sdist rarely ships its CI
configuration; these URLs say which repository to scan for it."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from urllib.parse import urlparse

from analyzer.safeload import toml_loads

MAX_METADATA_BYTES = 1024 * 1024
# Labels that name the code's repository, best first (compared lower-case, alphanumerics only).
_REPOSITORY_LABELS = ("source", "sourcecode", "repository", "code", "github", "gitlab", "homepage", "home")
_FORGES = ("github.com", "gitlab.com", "codeberg.org", "bitbucket.org", "git.sr.ht", "gitee.com")


def project_urls(pkg_info: bytes | None, pyproject: bytes | None) -> tuple[tuple[str, str], ...]:
    """(label, URL) pairs, http(s) only, first occurrence of each URL kept."""
    found: list[tuple[str, str]] = []
    if pkg_info is not None:
        import email.parser  # only for an sdist's PKG-INFO: the email package is slow to import

        message = email.parser.BytesHeaderParser().parsebytes(pkg_info)
        for value in message.get_all("Project-URL") or []:
            label, _, url = str(value).partition(",")
            found.append((label.strip(), url.strip()))
        home = message.get("Home-page")
        if home:
            found.append(("Homepage", str(home).strip()))
    if pyproject is not None:
        try:
            data = toml_loads(pyproject.decode("utf-8"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError):
            data = {}
        project = data.get("project")
        urls = project.get("urls") if isinstance(project, dict) else None
        if isinstance(urls, dict):
            found += [(str(k), v.strip()) for k, v in urls.items() if isinstance(v, str)]
    out: dict[str, str] = {}
    for label, url in found:
        if urlparse(url).scheme in ("http", "https") and url not in out:
            out[url] = label
    return tuple((label, url) for url, label in out.items())


def repository_url(urls: tuple[tuple[str, str], ...]) -> tuple[str, bool] | None:
    """The URL most likely to be the code's repository, and whether it is on a known code
    forge (then ``git+URL`` can clone it)."""

    def label_of(item: tuple[str, str]) -> str:
        return re.sub(r"[^a-z0-9]", "", item[0].lower())

    def rank(item: tuple[str, str]) -> tuple[int, int]:
        label = label_of(item)
        place = _REPOSITORY_LABELS.index(label) if label in _REPOSITORY_LABELS else len(_REPOSITORY_LABELS)
        return (0 if _on_forge(item[1]) else 1, place)

    candidates = [u for u in urls if _on_forge(u[1]) or label_of(u) in _REPOSITORY_LABELS]
    if not candidates:
        return None
    best = min(candidates, key=rank)
    return best[1], _on_forge(best[1])


def _on_forge(url: str) -> bool:
    host = (urlparse(url).hostname or "").lower()
    path = [p for p in urlparse(url).path.split("/") if p]
    return any(host == f or host.endswith("." + f) for f in _FORGES) and len(path) >= 2


def read_project_urls(base: Path) -> tuple[tuple[str, str], ...]:
    """The URLs in ``base``'s PKG-INFO and pyproject.toml (regular files, size-capped)."""

    def read(name: str) -> bytes | None:
        path = base / name
        try:
            if path.is_symlink() or not path.is_file() or path.stat().st_size > MAX_METADATA_BYTES:
                return None
            return path.read_bytes()
        except OSError:
            return None

    return project_urls(read("PKG-INFO"), read("pyproject.toml"))


_SUBMODULE_PATH = re.compile(r"(?m)^\s*path\s*=\s*(.+?)\s*$")


def missing_submodules(base: Path) -> tuple[str, ...]:
    """The git submodules ``.gitmodules`` names whose directory is missing or empty in
    ``base`` (a repository cloned without them): their code was not scanned."""
    modules = base / ".gitmodules"
    try:
        if modules.is_symlink() or not modules.is_file() or modules.stat().st_size > MAX_METADATA_BYTES:
            return ()
        text = modules.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ()
    missing = []
    for rel in _SUBMODULE_PATH.findall(text):
        if rel.startswith(("/", "..")) or "/../" in rel:
            continue
        where = base / rel
        try:
            empty = where.is_symlink() or not where.is_dir() or not any(where.iterdir())
        except OSError:
            empty = True
        if empty:
            missing.append(rel)
    return tuple(missing)
