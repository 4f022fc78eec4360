"""SARIF 2.1.0 built with sarif-om, for GitHub code scanning."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any
from urllib.parse import quote

import attr
import sarif_om as om

from analyzer import __version__
from analyzer.docs import fence_language
from analyzer.findings import finding_keys
from analyzer.model import Confidence, Finding, Severity
from analyzer.result import ScanResult
from analyzer.rules import Rule, rule_doc_path
from analyzer.verdict import Verdict, judge

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/woaport/woaport"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.PERF: "note", Severity.NOTE: "note"}
# Code scanning rejects a run with more results than this (and displays the top 5,000).
MAX_RESULTS = 25_000
FINGERPRINT_KEY = "woaportFingerprint/v1"


def rule_url(rule_id: str) -> str:
    """A rule's documentation by absolute URL (SARIF help, markdown reports)."""
    return f"{INFORMATION_URI}/blob/main/{rule_doc_path(rule_id)}"


def _help_markdown(rule: Rule) -> str:
    refs = "\n".join(f"- {r}" for r in rule.doc.references)
    fence = fence_language(rule)  # yaml for workflows, toml for pyproject, python for setup.py...
    return (
        f"{rule.doc.why}\n\n**Bad**\n```{fence}\n{rule.doc.bad}\n```\n\n"
        f"**Good**\n```{fence}\n{rule.doc.good}\n```\n\n"
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
        help_uri=rule_url(rule.id),
        default_configuration=om.ReportingConfiguration(level=_LEVEL[rule.severity]),
        properties={
            "tags": ["windows-on-arm", "portability", rule.family],
            "woaport-severity": rule.severity.value,
        },
    )


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
    if f.for_consumers:
        properties["forConsumers"] = True  # an installed header: it stops other packages' builds
    return om.Result(
        rule_id=f.rule_id,
        rule_index=index,
        level=level_of(f),
        message=om.Message(text=message),
        locations=[
            om.Location(
                physical_location=om.PhysicalLocation(
                    artifact_location=om.ArtifactLocation(
                        uri=artifact_uri(loc.path), uri_base_id="%SRCROOT%"
                    ),
                    region=region,
                )
            )
        ],
        partial_fingerprints={FINGERPRINT_KEY: fingerprint},
        properties=properties,
    )


def artifact_uri(path: str) -> str:
    """A relative path as a URI reference (RFC 3986): each segment percent-encoded, so a
    file named ``a b#c?.c`` or ``%41.c`` is the file it names, not a fragment or query.
    Path separators stay: the reference is relative to ``%SRCROOT%``."""
    return "/".join(quote(segment, safe="") for segment in path.split("/"))


def level_of(f: Finding) -> str:
    # A low-confidence finding (it depends on how the package is configured), listed only
    # with --sarif-all, is a note: an alert that may not apply must not weigh like one that does.
    return "note" if f.confidence is Confidence.LOW else _LEVEL[f.severity]


_RANK = {"error": 0, "warning": 1, "note": 2}


def kept_results(findings: tuple[Finding, ...], limit: int = MAX_RESULTS) -> list[int]:
    """Indexes of the findings a run keeps: all of them within ``limit``, else the most
    severe first (errors, then warnings, then notes; in file order within a level)."""
    if len(findings) <= limit:
        return list(range(len(findings)))
    order = sorted(range(len(findings)), key=lambda i: _RANK[level_of(findings[i])])
    return sorted(order[:limit])


def build(
    result: ScanResult, limit: int = MAX_RESULTS, include_low: bool = False, verdict: Verdict | None = None
) -> om.SarifLog:
    """The run; build-dependent (low-confidence) findings only with ``include_low``, and
    then at note level: code scanning would open an alert for each (7,568 on numpy)."""
    judged = (verdict or judge(result)).to_dict()  # judged on every finding, whatever is listed
    doubtful = sum(1 for f in result.findings if f.confidence is Confidence.LOW)
    if not include_low and doubtful:
        result = replace(
            result, findings=tuple(f for f in result.findings if f.confidence is Confidence.HIGH)
        )
    rules = list(result.rules)
    index = {r.id: i for i, r in enumerate(rules)}
    prints = finding_keys(result.findings)  # stable across edits that move code
    kept = kept_results(result.findings, limit)
    notices = [
        om.Notification(message=om.Message(text=f"{w.path}: {w.message}"), level="warning")
        for w in result.warnings
    ]
    if not include_low and doubtful:
        text = f"{doubtful} build-dependent finding(s) not listed (--sarif-all lists them at note level)"
        notices.insert(0, om.Notification(message=om.Message(text=text), level="note"))
    properties: dict[str, Any] = {"verdict": judged}
    if len(kept) < len(result.findings):
        dropped = len(result.findings) - len(kept)
        text = (
            f"truncated: {len(kept)} of {len(result.findings)} results kept, the most severe first"
            f" ({dropped} left out); code scanning rejects a run with more than {limit:,} results."
            " The JSON report (--json) lists every finding."
        )
        notices.insert(0, om.Notification(message=om.Message(text=text), level="warning"))
        properties["truncated"] = {"kept": len(kept), "total": len(result.findings)}
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
        results=[_result(result.findings[i], index[result.findings[i].rule_id], prints[i]) for i in kept],
        column_kind="unicodeCodePoints",
        # The verdict (what blocks a win_arm64 wheel), for readers of the whole run.
        properties=properties,
        invocations=[om.Invocation(execution_successful=True, tool_execution_notifications=notices or None)],
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


def to_dict(
    result: ScanResult, limit: int = MAX_RESULTS, include_low: bool = False, verdict: Verdict | None = None
) -> dict[str, Any]:
    data = _plain(build(result, limit, include_low, verdict))
    assert isinstance(data, dict)
    # sarif-om leaves out a value equal to its default, and "warning" is the default
    # level: said explicitly, so every rule's default configuration names its level.
    by_id = {r.id: r for r in result.rules}
    for descriptor in data["runs"][0]["tool"]["driver"].get("rules", []):
        rule = by_id.get(descriptor["id"])
        if rule is not None:
            descriptor["defaultConfiguration"] = {"level": _LEVEL[rule.severity]}
    return data


def render(result: ScanResult, verdict: Verdict | None = None) -> str:
    return json.dumps(to_dict(result, verdict=verdict), indent=2, ensure_ascii=False) + "\n"


def render_all(result: ScanResult, verdict: Verdict | None = None) -> str:
    """As :func:`render`, with the build-dependent findings listed at note level."""
    return json.dumps(to_dict(result, include_low=True, verdict=verdict), indent=2, ensure_ascii=False) + "\n"
