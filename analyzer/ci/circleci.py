"""CircleCI (``.circleci/config.yml``): one job per job, with its executor."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from analyzer.ci.model import Job
from analyzer.ci.scripts import cells_job, job_variables, key_line, step_commands
from analyzer.limits import CiLimits


def circleci_jobs(root: Path, rel: str, data: Any, limits: CiLimits) -> list[Job]:
    """CircleCI: each job's executor (an orb's ``win/default``, a ``machine`` image, a
    ``macos`` or ``docker`` one, its ``resource_class``) and ``run`` steps."""
    if not isinstance(data, Mapping) or not isinstance(data.get("jobs"), Mapping):
        return []
    jobs: list[Job] = []
    for name, node in data["jobs"].items():
        if not isinstance(node, Mapping):
            continue
        agent = " ".join(
            str(node.get(k, "")) for k in ("executor", "machine", "macos", "docker", "resource_class")
        )
        commands = step_commands(node.get("steps"), ("run",))
        variables = job_variables(node.get("environment"))
        jobs.append(
            cells_job(
                root,
                rel,
                str(name),
                key_line(data["jobs"], name),
                [variables],
                agent,
                commands,
                "circleci",
                limits,
            )
        )
    return jobs
