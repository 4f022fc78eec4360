"""Travis CI (``.travis.yml``): the ``jobs.include`` entries, else the file as one job."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from analyzer.ci.model import Job
from analyzer.ci.scripts import cells_job, command_texts, job_variables, node_line
from analyzer.limits import CiLimits


def travis_jobs(root: Path, rel: str, data: Any, limits: CiLimits) -> list[Job]:
    """Travis CI: the jobs of ``jobs.include`` (or ``matrix.include``), else the file
    as one job; each with its ``os``, ``arch``, ``env`` and script phases."""
    if not isinstance(data, Mapping):
        return []
    listed = data.get("jobs") or data.get("matrix") or {}
    include = listed.get("include") if isinstance(listed, Mapping) else None
    entries = [e for e in include if isinstance(e, Mapping)] if isinstance(include, list) else [data]
    jobs: list[Job] = []
    for index, entry in enumerate(entries):
        merged = {**data, **entry}
        agent = f"{merged.get('os', 'linux')} {merged.get('arch', '')}"
        variables = job_variables(merged.get("env"))
        commands = [
            (node_line(entry), t)
            for key in (
                "before_install",
                "install",
                "before_script",
                "script",
                "after_success",
                "before_deploy",
            )
            for t in command_texts(merged.get(key))
        ]
        name = str(entry.get("name") or f"job {index + 1}")
        jobs.append(
            cells_job(root, rel, name, node_line(entry), [variables], agent, commands, "travis", limits)
        )
    return jobs
