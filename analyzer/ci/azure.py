"""Azure Pipelines (``azure-pipelines*.yml``): jobs, a cell per ``strategy.matrix`` leg."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from analyzer.ci.model import Job
from analyzer.ci.scripts import cells_job, job_variables, node_line, step_commands
from analyzer.limits import CiLimits


def azure_jobs(root: Path, rel: str, data: Any, limits: CiLimits) -> list[Job]:
    """Azure Pipelines: jobs (under ``stages`` or not), their pool image and
    ``strategy.matrix`` legs, variables, and script/bash/pwsh/powershell steps."""
    if not isinstance(data, Mapping):
        return []
    nodes: list[Any] = []
    for stage in data.get("stages") or []:
        if isinstance(stage, Mapping):
            nodes.extend(stage.get("jobs") or [])
    nodes.extend(data.get("jobs") or [])
    if not nodes and "steps" in data:
        nodes = [data]
    top_pool = data.get("pool")
    top_vars = job_variables(data.get("variables"))
    jobs: list[Job] = []
    for node in nodes:
        if not isinstance(node, Mapping):
            continue
        pool = node.get("pool", top_pool)
        agent = (
            str(pool.get("vmImage") or pool.get("name") or pool) if isinstance(pool, Mapping) else str(pool)
        )
        strategy = node.get("strategy") if isinstance(node.get("strategy"), Mapping) else {}
        assert isinstance(strategy, Mapping)
        matrix = strategy.get("matrix")
        variables = {**top_vars, **job_variables(node.get("variables"))}
        legs = (
            [{**variables, **job_variables(v)} for v in matrix.values() if isinstance(v, Mapping)]
            if isinstance(matrix, Mapping)
            else [variables]
        )
        commands = step_commands(node.get("steps"), ("script", "bash", "powershell", "pwsh"))
        name = str(node.get("job") or node.get("deployment") or "job")
        jobs.append(cells_job(root, rel, name, node_line(node), legs, agent, commands, "azure", limits))
    return jobs
