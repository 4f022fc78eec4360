"""Status outputs: a text table and versioned JSON (schema woaport-status/1)."""

from __future__ import annotations

import json

from analyzer.status.classify import Status

SCHEMA = "woaport-status/1"


def _blocked_by(status: Status) -> list[str]:
    if status.klass == "amber":
        return [f"no win_arm64 wheel among {len(status.wheels)} platform wheel(s)"]
    if status.klass == "source-only":
        return ["no wheels; the sdist compiles native code"]
    if status.klass == "partial":
        return [f"no win_arm64 wheel for Python {p}" for p, c in status.pythons.items() if c != "native"]
    if status.klass == "error":
        return [status.note]
    return []


def status_json(results: list[Status], index_url: str, pythons: tuple[str, ...], generated: str) -> str:
    data = {
        "schema": SCHEMA,
        "generated": generated,
        "index": index_url,
        "pythons": list(pythons),
        "packages": [
            {
                "name": s.name,
                "version": s.version,
                "class": s.klass,
                "pythons": s.pythons,
                "wheels": list(s.wheels),
                "blocked_by": _blocked_by(s),
                "rank": rank,
            }
            for rank, s in enumerate(results, 1)
        ],
    }
    return json.dumps(data, indent=2) + "\n"


def status_table(results: list[Status], pythons: tuple[str, ...]) -> str:
    header = ["project", "version", "class", *pythons]
    rows = [[s.name, s.version or "-", s.klass, *(s.pythons.get(p, "-") for p in pythons)] for s in results]
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]
    counts: dict[str, int] = {}
    for s in results:
        counts[s.klass] = counts.get(s.klass, 0) + 1
    summary = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
    return "\n".join([*lines, "", f"{len(results)} project(s): {summary}"]) + "\n"
