"""``woaport ci``: what each job of the project's CI builds, as text and JSON.

Text: one block per job (workflow, job id, released or not), one line per matrix cell
with its runner and the wheel tags computed for it, then the answer: whether a released
job yields ``win_arm64`` wheels. Everything that came from the package is made inert.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from analyzer.ci import WIN_ARM64, Build, Cell, CiModel, Job
from analyzer.ci.depwheels import DependencyGap
from analyzer.ci.tags import cibuildwheel_version
from analyzer.report.inert import one_line

SCHEMA = "woaport-ci/1"
_SHOWN_TAGS = 6


def _tags(build: Build) -> str:
    if build.fails:
        return f"fails: {build.fails}"
    if build.tags is None:
        return f"unknown: {build.unknown}"
    if not build.tags:
        return "nothing"
    shown = ", ".join(build.tags[:_SHOWN_TAGS])
    more = f", +{len(build.tags) - _SHOWN_TAGS} more" if len(build.tags) > _SHOWN_TAGS else ""
    return shown + more


def _cell_lines(cell: Cell) -> list[str]:
    runner = cell.runner
    head = f"    {one_line(cell.label)}  [{one_line(runner.label)}: {runner.os or '?'}/{runner.arch or '?'}]"
    if cell.fails:
        return [f"{head}  FAILS: {one_line(cell.fails)}"]
    if not cell.builds:
        return [f"{head}  builds no wheels"]
    return [f"{head}  {b.tool}: {one_line(_tags(b))}" for b in cell.builds]


def _job_state(model: CiModel, job: Job) -> str:
    marks = []
    if job.publishes:
        marks.append("publishes")
    if job.key in model.released and not job.publishes:
        marks.append("released")
    if job.unknown_matrix:
        marks.append(f"matrix unknown: {job.unknown_matrix}")
    if job.cancelled:
        marks.append("fail-fast: a failing cell cancels the others")
    return f" ({'; '.join(marks)})" if marks else ""


def gap_lines(gaps: Sequence[DependencyGap]) -> list[str]:
    """The win_arm64 cells whose build requirements pip would compile from source."""
    return [
        f"{one_line(g.job)}  {g.tag}: build requirement {one_line(g.requirement)}: {one_line(g.why)}"
        for g in gaps
    ]


def render_text(model: CiModel, gaps: Sequence[DependencyGap] | None = None) -> str:
    out: list[str] = []
    for job in model.jobs:
        if not job.builds_wheels and not job.publishes and not job.unknown_matrix:
            continue  # tests, docs, lint: not part of what ships
        out.append(
            f"{one_line(job.path)}:{job.line}  job '{one_line(job.id)}'{one_line(_job_state(model, job))}"
        )
        for cell in job.cells:
            out.extend(_cell_lines(cell))
    for problem in model.problems:
        where = f":{problem.line}" if problem.line else ""
        out.append(f"{one_line(problem.path)}{where}: not read: {one_line(problem.message)}")
    out.append(verdict_line(model))
    if gaps is not None:
        out.extend(gap_lines(gaps) or ["build requirements: every one has a wheel for each win_arm64 cell"])
    return "\n".join(out) + "\n"


def verdict_line(model: CiModel) -> str:
    counted = model.counted()
    arm = [j for j in counted if WIN_ARM64 in j.delivered()]
    if arm:
        names = ", ".join(f"'{one_line(j.id)}'" for j in arm[:3])
        return f"win_arm64: yes, built by job {names}"
    failing = [j for j in counted if j.platforms() and not j.delivered()]
    if failing:
        job = failing[0]
        cell = next(c for c in job.cells if c.fails)
        return (
            f"win_arm64: no - job '{one_line(job.id)}' fails in cell {one_line(cell.label)} "
            f"({one_line(cell.fails)}) and fail-fast cancels its other cells"
        )
    if model.ships_windows():
        return "win_arm64: no - the released jobs build Windows wheels, none for ARM64"
    if not counted:
        return "win_arm64: no job builds wheels"
    return "win_arm64: no Windows wheels are built"


def _build(build: Build) -> dict[str, Any]:
    return {
        "tool": build.tool,
        "line": build.line,
        "tags": list(build.tags) if build.tags is not None else None,
        "unknown": build.unknown,
        "fails": build.fails,
        "cross": build.cross,
        "tested": list(build.tested),
        "target": build.target,
    }


def to_dict(model: CiModel, root: str, gaps: Sequence[DependencyGap] | None = None) -> dict[str, Any]:
    checked = {} if gaps is None else {"dependency_gaps": [g.__dict__.copy() for g in gaps]}
    return {
        "schema": SCHEMA,
        "root": root,
        "cibuildwheel": cibuildwheel_version(),
        "ships_win_arm64": model.ships_win_arm64(),
        "ships_windows": model.ships_windows(),
        "jobs": [
            {
                "workflow": job.path,
                "job": job.id,
                "line": job.line,
                "publishes": job.publishes,
                "released": job.key in model.released,
                "needs": list(job.needs),
                "fail_fast": job.fail_fast,
                "unknown_matrix": job.unknown_matrix,
                "delivered": sorted(job.delivered()),
                "cells": [
                    {
                        "values": dict(cell.values),
                        "runner": {
                            "label": cell.runner.label,
                            "os": cell.runner.os,
                            "arch": cell.runner.arch,
                        },
                        "python": list(cell.python_versions),
                        "fails": cell.fails,
                        "scripts": list(cell.scripts),
                        "builds": [_build(b) for b in cell.builds],
                    }
                    for cell in job.cells
                ],
            }
            for job in model.jobs
        ],
        "problems": [{"path": p.path, "line": p.line, "message": p.message} for p in model.problems],
    } | checked


def render_json(model: CiModel, root: str, gaps: Sequence[DependencyGap] | None = None) -> str:
    return json.dumps(to_dict(model, root, gaps), indent=2) + "\n"
