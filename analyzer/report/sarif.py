"""SARIF 2.1.0 built with sarif-om, for GitHub code scanning."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from typing import Any

import attr
import sarif_om as om

from analyzer import __version__
from analyzer.model import Finding, ScanResult, Severity
from analyzer.rules import Rule
from analyzer.verdict import judge

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/woaport/woaport"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.PERF: "note", Severity.NOTE: "note"}
FINGERPRINT_KEY = "woaportFingerprint/v1"


def _help_markdown(rule: Rule) -> str:
    refs = "\n".join(f"- {r}" for r in rule.doc.references)
    return (
        f"{rule.doc.why}\n\n**Bad**\n```c\n{rule.doc.bad}\n```\n\n**Good**\n```c\n{rule.doc.good}\n```\n\n"
        f"**Fix**: {rule.doc.fix}\n\n**References**\n{refs}\n"
    )


def _descriptor(rule: Rule) -> om.ReportingDescriptor:
    return om.ReportingDescriptor(
        id=rule.id,
        name=rule.name,
        short_description=om.MultiformatMessageString(text=rule.summary),
        full_description=om.MultiformatMessageString(text=rule.doc.why),
        help=om.MultiformatMessageString(
            text=f"{rule.doc.why} Fix: {rule.doc.fix}", markdown=_help_markdown(rule)
        ),
        help_uri=f"{INFORMATION_URI}/blob/main/{rule.help_uri}",
        default_configuration=om.ReportingConfiguration(level=_LEVEL[rule.severity]),
        properties={
            "tags": ["windows-on-arm", "portability", rule.family],
            "woaport-severity": rule.severity.value,
        },
    )


def _fingerprints(findings: tuple[Finding, ...]) -> list[str]:
    """Stable across edits that move code: rule, file, normalized line text, occurrence."""
    seen: Counter[tuple[str, str, str]] = Counter()
    prints = []
    for f in findings:
        key = (f.rule_id, f.location.path, " ".join(f.snippet.split()))
        seen[key] += 1
        digest = hashlib.sha256("\0".join([*key, str(seen[key])]).encode()).hexdigest()
        prints.append(digest[:32])
    return prints


def _result(f: Finding, index: int, fingerprint: str) -> om.Result:
    loc = f.location
    region = om.Region(
        start_line=loc.line,
        start_column=loc.column,
        end_line=loc.end_line or loc.line,
        end_column=max(loc.end_column, loc.column + 1) if loc.end_column else None,
    )
    message = f.message + (f" Suggested fallback: {f.fallback}" if f.fallback else "")
    properties: dict[str, Any] = {
        "severity": f.severity.value,
        "confidence": f.confidence.value,
        "reachableOn": list(f.reachable_on),
    }
    if f.generated_from is not None:
        properties["generatedFrom"] = f"{f.generated_from.path}:{f.generated_from.line}"
    return om.Result(
        rule_id=f.rule_id,
        rule_index=index,
        level=_LEVEL[f.severity],
        message=om.Message(text=message),
        locations=[
            om.Location(
                physical_location=om.PhysicalLocation(
                    artifact_location=om.ArtifactLocation(uri=loc.path, uri_base_id="%SRCROOT%"),
                    region=region,
                )
            )
        ],
        partial_fingerprints={FINGERPRINT_KEY: fingerprint},
        properties=properties,
    )


def build(result: ScanResult) -> om.SarifLog:
    rules = list(result.rules)
    index = {r.id: i for i, r in enumerate(rules)}
    prints = _fingerprints(result.findings)
    run = om.Run(
        tool=om.Tool(
            driver=om.ToolComponent(
                name="woaport",
                version=__version__,
                semantic_version=__version__,
                information_uri=INFORMATION_URI,
                rules=[_descriptor(r) for r in rules],
            )
        ),
        results=[_result(f, index[f.rule_id], p) for f, p in zip(result.findings, prints, strict=True)],
        column_kind="unicodeCodePoints",
        # The verdict (what blocks a win_arm64 wheel), for readers of the whole run.
        properties={"verdict": judge(result).to_dict()},
        invocations=[
            om.Invocation(
                execution_successful=True,
                tool_execution_notifications=[
                    om.Notification(message=om.Message(text=f"{w.path}: {w.message}"), level="warning")
                    for w in result.warnings
                ]
                or None,
            )
        ],
    )
    return om.SarifLog(version="2.1.0", schema_uri=SARIF_SCHEMA, runs=[run])


def _plain(value: Any) -> Any:
    """sarif-om objects -> JSON-ready data using the schema's property names."""
    if attr.has(type(value)):
        out = {}
        for field in attr.fields(type(value)):
            item = getattr(value, field.name)
            if item is None or (
                field.default is not attr.NOTHING and item == field.default and field.name not in ("version",)
            ):
                continue
            out[field.metadata.get("schema_property_name", field.name)] = _plain(item)
        return out
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def to_dict(result: ScanResult) -> dict[str, Any]:
    data = _plain(build(result))
    assert isinstance(data, dict)
    return data


def render(result: ScanResult) -> str:
    return json.dumps(to_dict(result), indent=2, ensure_ascii=False) + "\n"
