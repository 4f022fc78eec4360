"""Package lists for ``woaport status --top N`` (built in) and ``--top-file FILE``.

Accepted files: the built-in text format (``# key: value`` header lines, then one project
a line, optionally followed by whitespace and a download count); plain text with one name
a line; JSON as a list of names, ``{"projects": [...]}`` or ``{"rows": [{"project",
"download_count"}]}``. Order is download order, most downloaded first.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path

from analyzer.index.simple import normalize
from analyzer.safeload import json_loads
from analyzer.status.classify import Status, StatusClass

BUILTIN = "top-pypi.txt"
MAX_LIST_BYTES = 64 * 1024 * 1024


class TopListError(ValueError):
    pass


@dataclass(frozen=True)
class TopList:
    source: str
    date: str
    names: tuple[str, ...]
    downloads: dict[str, int]  # only for lists that give counts


def parse_text(text: str, origin: str) -> TopList:
    meta: dict[str, str] = {}
    names: list[str] = []
    downloads: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            key, sep, value = line[1:].partition(":")
            if sep:
                meta.setdefault(key.strip().lower(), value.strip())
            continue
        fields = line.replace(",", " ").split()
        name = fields[0]
        if not _plausible(name):
            raise TopListError(f"{origin}:{number}: {name!r} is not a project name")
        names.append(normalize(name))
        if len(fields) > 1 and fields[1].isdigit():
            downloads[normalize(name)] = int(fields[1])
    return TopList(meta.get("source", origin), meta.get("date", ""), tuple(dict.fromkeys(names)), downloads)


def parse_json(text: str, origin: str) -> TopList:
    try:
        data = json_loads(text)
    except json.JSONDecodeError as error:
        raise TopListError(f"{origin}: not JSON ({error})") from None
    rows = data.get("rows", data.get("projects")) if isinstance(data, dict) else data
    if not isinstance(rows, list):
        raise TopListError(f"{origin}: expected a list of projects, or an object with 'rows' or 'projects'")
    names: list[str] = []
    downloads: dict[str, int] = {}
    for row in rows:
        name = row.get("project", row.get("name")) if isinstance(row, dict) else row
        if not isinstance(name, str) or not _plausible(name):
            raise TopListError(f"{origin}: {name!r} is not a project name")
        names.append(normalize(name))
        count = row.get("download_count", row.get("downloads")) if isinstance(row, dict) else None
        if isinstance(count, int) and not isinstance(count, bool):
            downloads[normalize(name)] = count
    source = str(data.get("source", origin)) if isinstance(data, dict) else origin
    date = str(data.get("last_update", data.get("date", ""))) if isinstance(data, dict) else ""
    return TopList(source, date, tuple(dict.fromkeys(names)), downloads)


def _plausible(name: str) -> bool:
    return bool(name) and len(name) <= 200 and all(c.isalnum() or c in "._-" for c in name)


def load_top_file(path: Path) -> TopList:
    try:
        if path.stat().st_size > MAX_LIST_BYTES:
            raise TopListError(f"{path}: larger than {MAX_LIST_BYTES // 2**20} MiB")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise TopListError(f"{path}: {error}") from None
    if path.suffix.lower() == ".json" or text.lstrip().startswith(("{", "[")):
        return parse_json(text, str(path))
    return parse_text(text, str(path))


def builtin_top() -> TopList:
    text = resources.files("analyzer.data").joinpath(BUILTIN).read_text(encoding="utf-8")
    return parse_text(text, f"built-in {BUILTIN}")


def closest_names(name: str, known: Iterable[str], limit: int = 3) -> tuple[str, ...]:
    """Known project names close to ``name`` (a typo: ``nmupy`` -> ``numpy``), compared
    after PEP 503 normalisation, best first."""
    wanted = normalize(name)
    by_normal: dict[str, str] = {}
    for candidate in known:
        by_normal.setdefault(normalize(candidate), candidate)
    by_normal.pop(wanted, None)
    close = difflib.get_close_matches(wanted, list(by_normal), n=limit, cutoff=0.75)
    return tuple(by_normal[c] for c in close)


INDEX_SUGGESTIONS = 20  # missing names compared with the index's whole list (about 1 s each)


def with_suggestions(
    results: Sequence[Status],
    known: Iterable[str],
    index_names: Callable[[], Sequence[str]] | None = None,
) -> list[Status]:
    """Missing projects get the closest known names: from the built-in list and this run's
    names first (popular projects are the likely meaning of a typo), else from every name
    the index lists (``index_names``, asked at most once and only when needed)."""
    names = [*known, *(r.name for r in results if r.klass != StatusClass.MISSING)]
    listed: list[Sequence[str]] = []

    def everything() -> Sequence[str]:
        if not listed and index_names is not None:
            listed.append(index_names())
        return listed[0] if listed else ()

    out = []
    asked = 0
    for r in results:
        if r.klass != StatusClass.MISSING:
            out.append(r)
            continue
        close = closest_names(r.name, names)
        if not close and index_names is not None and asked < INDEX_SUGGESTIONS:
            asked += 1
            close = closest_names(r.name, everything())
        out.append(replace(r, did_you_mean=close))
    return out
