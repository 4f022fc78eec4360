"""Cirrus CI (``.cirrus.yml``): one job per task, a cell per ``matrix`` override."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from analyzer.ci.model import Job
from analyzer.ci.scripts import cells_job, command_texts, job_variables, key_line, node_line
from analyzer.limits import CiLimits


def cirrus_jobs(root: Path, rel: str, data: Any, limits: CiLimits) -> list[Job]:
    """Cirrus CI: each ``*_task`` with its instance (``windows_container``,
    ``compute_engine_instance.platform``, ``arm_container``, ``macos_instance``), ``env``,
    ``matrix`` overrides and ``*_script`` commands."""
    if not isinstance(data, Mapping):
        return []
    jobs: list[Job] = []
    for key, node in data.items():
        if not (str(key) == "task" or str(key).endswith("_task")) or not isinstance(node, Mapping):
            continue
        instance = [
            str(k) + " " + str(v) for k, v in node.items() if "container" in str(k) or "instance" in str(k)
        ]
        agent = (
            " ".join(instance).replace("windows_container", "windows").replace("arm_container", "linux arm64")
        )
        variables = job_variables(node.get("env"))
        legs = [
            {**variables, **job_variables(m.get("env"))}
            for m in node.get("matrix") or []
            if isinstance(m, Mapping)
        ]
        commands = [
            (node_line(node), t)
            for k, v in node.items()
            if str(k).endswith("_script")
            for t in command_texts(v)
        ]
        name = str(node.get("name") or key)
        jobs.append(
            cells_job(
                root, rel, name, key_line(data, key), legs or [variables], agent, commands, "cirrus", limits
            )
        )
    return jobs
