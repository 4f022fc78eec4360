"""The survey as text (the first screen: counts per blocker class and the top of the
worklist), as JSON (schema woaport-survey/1) and as data for the HTML worklist."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from analyzer.survey.model import BLOCKER_CLASSES, DONE
from analyzer.survey.run import SurveyReport

SCHEMA = "woaport-survey/1"
SHOWN = 20  # worklist rows on the first screen


def class_counts(report: SurveyReport) -> dict[str, int]:
    counts = Counter(s.blocker for s in report.surveys if s.outcome == DONE)
    return {klass: counts.get(klass, 0) for klass in BLOCKER_CLASSES}


def survey_data(report: SurveyReport, patches: dict[str, str] | None = None) -> dict[str, Any]:
    patches = patches or {}
    outcomes = Counter(s.outcome for s in report.surveys)
    return {
        "schema": SCHEMA,
        "generated": report.started,
        "index": report.index_url,
        "set": report.label,
        "surveyed": len(report.surveys),
        "reused": report.reused,
        "outcomes": dict(sorted(outcomes.items())),
        "classes": class_counts(report),
        "since": report.since or None,
        "changes": [{"name": c.name, "what": c.what, "detail": c.detail} for c in report.changes],
        "worklist": [
            {
                "rank": item.rank,
                "effort": item.effort,
                "reach": item.reach,
                "downloads": report.downloads.get(item.survey.name),
                "dependents": list(item.dependents),
                "patch_file": patches.get(item.survey.name),
                **item.survey.to_dict(),
            }
            for item in report.work
        ],
        "not_surveyed": [
            {"name": n.name, "status": n.status, "reason": n.reason} for n in report.not_surveyed
        ],
    }


def survey_json(report: SurveyReport, patches: dict[str, str] | None = None) -> str:
    return json.dumps(survey_data(report, patches), indent=2) + "\n"


def survey_text(report: SurveyReport, patches: dict[str, str] | None = None) -> str:
    patches = patches or {}
    done = [s for s in report.surveys if s.outcome == DONE]
    lines = [
        f"woaport survey: {len(report.surveys)} project(s) that need a port"
        f" ({report.reused} kept from earlier runs), {len(report.not_surveyed)} not surveyed",
    ]
    counts = class_counts(report)
    if done:
        lines.append("blockers: " + ", ".join(f"{k} {n}" for k, n in counts.items() if n))
    verified = sum(1 for s in done if s.patch.state == "verified")
    built = sum(1 for s in done if s.proof.state == "built")
    lines.append(f"patches verified: {verified} of {len(done)}; proofs built: {built} of {len(done)}")
    if report.work:
        lines += ["", "worklist (least work first, then reach):"]
        width = max(len(i.survey.name) for i in report.work[:SHOWN])
        for item in report.work[:SHOWN]:
            survey = item.survey
            patch = f"  -> {patches[survey.name]}" if survey.name in patches else ""
            what = survey.blocker if survey.outcome == DONE else survey.outcome
            lines.append(
                f"{item.rank:>4}. {survey.name:<{width}} {survey.version:<12} {what:<16} {item.effort}{patch}"
            )
        if len(report.work) > SHOWN:
            lines.append(f"      ... {len(report.work) - SHOWN} more (--json, --html)")
    if report.changes:
        lines += ["", f"since the previous run ({report.since[:16].replace('T', ' ')}):"]
        lines += [f"  {c.name}: {c.what} ({c.detail})" for c in report.changes]
    return "\n".join(lines) + "\n"
