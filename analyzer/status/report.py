"""Status outputs: a text table and versioned JSON (schema woaport-status/2)."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from packaging.version import Version

from analyzer.status.classify import BLOCKED, ScanSummary, Status, StatusClass
from analyzer.status.queue import QueueEntry

SCHEMA = "woaport-status/2"
CLASSES = tuple(StatusClass)
QUEUE_IN_TABLE = 10


@dataclass(frozen=True)
class StatusReport:
    generated: str
    index: str
    pythons: tuple[str, ...]
    results: tuple[Status, ...]
    queue: Mapping[str, QueueEntry]
    source: str = ""  # where the package list came from (--top, --top-file, arguments)
    downloads: Mapping[str, int] | None = None
    since: Mapping[str, str] | None = None  # from the history: when each got its class


def blocked_by(status: Status) -> list[str]:
    reasons: list[str] = []
    if status.klass is StatusClass.AMBER:
        reasons.append(f"no win_arm64 wheel among {len(status.wheels)} platform wheel(s)")
    elif status.klass is StatusClass.NO_WINDOWS:
        reasons.append(f"no Windows wheel at all among {len(status.wheels)} platform wheel(s)")
    elif status.klass is StatusClass.SOURCE_ONLY:
        reasons.append("no wheels; the sdist compiles native code")
    elif status.klass is StatusClass.REGRESSED:
        reasons += regression_reasons(status)
    elif status.klass is StatusClass.PARTIAL:
        reasons += [f"no win_arm64 wheel for Python {p}" for p, c in status.pythons.items() if c in BLOCKED]
    elif status.klass is StatusClass.ERROR:
        reasons.append(status.note)
    if status.did_you_mean:
        reasons.append(f"not on the index; did you mean {' or '.join(status.did_you_mean)}?")
    if status.scan is not None:
        reasons += scan_reasons(status.scan)
    return reasons


def regression_reasons(status: Status) -> list[str]:
    """Per older version that still installs natively: which Pythons it serves."""
    by_version: dict[str, list[str]] = {}
    for python, version in status.last_native.items():
        by_version.setdefault(version, []).append(python)
    return [
        f"regressed: {status.version} has no win_arm64 wheel for Python {', '.join(pythons)};"
        f" {version} had one (pip install {status.name}=={version} installs natively)"
        for version, pythons in by_version.items()
    ]


def scan_reasons(summary: ScanSummary) -> list[str]:
    """What the analyzer's verdict on the sdist says blocks it: the overall sentence, then
    each area that is not ok with its own reasons (the finding counts stay in JSON)."""
    if summary.error:
        return [f"scan of {summary.sdist} failed: {summary.error}"]
    if not summary.verdict:  # a summary made without a verdict: the top rules by count
        return [f"{rule} x{count} (first at {where})" for rule, count, where in summary.top_blockers]
    reasons = [f"verdict on {summary.sdist}: {summary.verdict}"]
    for area, state, why in summary.areas:
        if state != "ok":
            reasons += [f"{area} {state}: {reason}" for reason in why]
    return reasons


def _scan_json(summary: ScanSummary) -> dict[str, Any]:
    return {
        "sdist": summary.sdist,
        "files_scanned": summary.files_scanned,
        "findings": summary.findings,
        "by_rule": summary.by_rule,
        "top_blockers": [{"rule": r, "count": c, "first": w} for r, c, w in summary.top_blockers],
        "error": summary.error or None,
        "verdict": summary.verdict or None,
        "areas": {area: {"state": state, "reasons": list(why)} for area, state, why in summary.areas},
        "warnings": list(summary.warnings),
    }


def package_json(report: StatusReport, position: int, status: Status) -> dict[str, Any]:
    entry = report.queue.get(status.name)
    downloads = (report.downloads or {}).get(status.name)
    return {
        "name": status.name,
        "version": status.version,
        "class": status.klass,
        "since": (report.since or {}).get(status.name),
        "pythons": status.pythons,
        "versions": status.versions,
        "wheels": list(status.wheels),
        "blocked_by": blocked_by(status),
        "rank": entry.rank if entry is not None else None,
        "list_position": position,
        "downloads": downloads,
        "requires": list(status.requires) if status.requires_known else None,
        "dependents": list(entry.dependents) if entry is not None else [],
        "scan": _scan_json(status.scan) if status.scan is not None else None,
        "did_you_mean": list(status.did_you_mean),
        "last_native": max(status.last_native.values(), key=Version) if status.last_native else None,
        "last_native_by_python": status.last_native,
        "error": (
            {"cause": error_cause(status.note), "detail": status.note}
            if status.klass is StatusClass.ERROR
            else None
        ),
    }


def status_data(report: StatusReport) -> dict[str, Any]:
    counts = Counter(s.klass for s in report.results)
    return {
        "schema": SCHEMA,
        "generated": report.generated,
        "index": report.index,
        "source": report.source,
        "pythons": list(report.pythons),
        "summary": {k: counts.get(k, 0) for k in CLASSES},
        "coverage": coverage(report.results, report.pythons),
        "packages": [package_json(report, i, s) for i, s in enumerate(report.results, 1)],
    }


def status_json(report: StatusReport) -> str:
    return json.dumps(status_data(report), indent=2) + "\n"


def coverage(results: Sequence[Status], pythons: Sequence[str]) -> dict[str, dict[str, int]]:
    """Per target Python: how many listed projects install natively, pure, or not at all."""
    out: dict[str, dict[str, int]] = {}
    for python in pythons:
        counts = Counter(s.pythons.get(python, "missing") for s in results)
        out[python] = {k: counts.get(k, 0) for k in CLASSES if k is not StatusClass.PARTIAL}
    return out


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    return [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in [header, *rows]
    ]


def status_table(report: StatusReport) -> str:
    pythons = report.pythons
    rows = [
        [s.name, s.version or "-", s.klass, *(s.pythons.get(p, "-") for p in pythons)] for s in report.results
    ]
    lines = _table(["project", "version", "class", *pythons], rows)
    counts = Counter(s.klass for s in report.results)
    summary = ", ".join(f"{counts[k]} {k}" for k in CLASSES if counts.get(k))
    lines += ["", f"{len(report.results)} project(s): {summary}"]
    queue = sorted(report.queue.values(), key=lambda e: e.rank)[:QUEUE_IN_TABLE]
    if queue:
        by_name = {s.name: s for s in report.results}
        lines += ["", f"Port first (top {len(queue)} of {len(report.queue)}):"]
        for entry in queue:
            users = f", needed by {len(entry.dependents)} listed" if entry.dependents else ""
            status = by_name[entry.name]
            reasons = blocked_by(status)
            lines.append(f"  {entry.rank:>3}. {entry.name} ({status.klass}{users})")
            # The class says "amber" or "source-only" already; a regression's first reason
            # names the version that still installs, which the class does not.
            shown = reasons if status.klass is StatusClass.REGRESSED else reasons[1:] if status.scan else []
            lines += [f"       {reason}" for reason in shown]
    return "\n".join(lines) + "\n"


_CAUSES = (
    (re.compile(r"Connection refused|ConnectError: \[Errno 111\]", re.I), "connection refused"),
    (
        re.compile(r"Name or service not known|nodename nor servname|getaddrinfo|name resolution", re.I),
        "DNS lookup failed",
    ),
    (re.compile(r"SSL|TLS|CERTIFICATE", re.I), "TLS error"),
    (re.compile(r"timed? ?out|Timeout", re.I), "timeout"),
    (re.compile(r"malformed|not a PEP 691|cut short|truncat|gzip|decod", re.I), "malformed answer"),
)
_HTTP = re.compile(r"HTTP (\d{3})|\((\d{3})\b")


def error_cause(note: str) -> str:
    """The cause of a failed lookup in a few words: connection refused, DNS lookup
    failed, TLS error, timeout, HTTP <status>, malformed answer, or index error."""
    http = _HTTP.search(note)
    if http is not None:
        return f"HTTP {http.group(1) or http.group(2)}"
    for pattern, cause in _CAUSES:
        if pattern.search(note):
            return cause
    return "index error"


def error_lines(report: StatusReport) -> list[str]:
    """Each cause once, with the projects it hit (for standard error)."""
    by_cause: dict[str, list[str]] = {}
    for status in report.results:
        if status.klass is StatusClass.ERROR:
            by_cause.setdefault(error_cause(status.note), []).append(status.name)
    lines = []
    for cause, names in sorted(by_cause.items()):
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        lines.append(f"{report.index}: {cause} ({len(names)} project(s): {shown})")
    return lines
