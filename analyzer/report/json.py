"""Versioned JSON output. Bump SCHEMA_VERSION on any incompatible change."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from analyzer import __version__
from analyzer.model import Finding, Location
from analyzer.result import ScanResult
from analyzer.verdict import Verdict, judge

SCHEMA_VERSION = "woaport-findings/1"


def _location(loc: Location) -> dict[str, Any]:
    return {
        "path": loc.path,
        "line": loc.line,
        "column": loc.column,
        "end_line": loc.end_line or loc.line,
        "end_column": loc.end_column or loc.column,
    }


def finding_dict(f: Finding) -> dict[str, Any]:
    out: dict[str, Any] = {
        "rule_id": f.rule_id,
        "severity": f.severity.value,
        "confidence": f.confidence.value,
        **_location(f.location),
        "message": f.message,
        "reachable_on": list(f.reachable_on),
        "fallback": f.fallback,
        "snippet": f.snippet,
        "place": f.place,  # the guarded block or function holding it ("" at file scope)
    }
    if f.generated_from is not None:
        out["generated_from"] = _location(f.generated_from)
    if f.for_consumers:
        out["for_consumers"] = True
    return out


def to_dict(result: ScanResult, verdict: Verdict | None = None) -> dict[str, Any]:
    by_severity = Counter(f.severity.value for f in result.findings)
    return {
        "schema": SCHEMA_VERSION,
        "tool": {"name": "woaport", "version": __version__},
        "root": result.root,
        "targets": list(result.targets),
        "verdict": (verdict or judge(result)).to_dict(),
        "summary": {
            "files_scanned": result.files_scanned,
            "bytes_scanned": result.bytes_scanned,
            "findings": len(result.findings),
            "by_severity": {s: by_severity.get(s, 0) for s in ("error", "warning", "perf", "note")},
            "low_confidence": sum(1 for f in result.findings if f.confidence.value == "low"),
            "skipped": dict(sorted(result.skipped.items())),
        },
        "findings": [finding_dict(f) for f in result.findings],
        # --all-code only: findings in files no unit compiles on a selected model.
        "not_compiled": [finding_dict(f) for f in result.not_compiled],
        "warnings": [{"path": w.path, "message": w.message} for w in result.warnings],
    }


def render(result: ScanResult, verdict: Verdict | None = None) -> str:
    return json.dumps(to_dict(result, verdict), indent=2, ensure_ascii=False) + "\n"
