"""Semaphore (``.semaphore/*.yml``): one job per job of each block."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from analyzer.ci.model import Job
from analyzer.ci.scripts import Line, agent_runner, commands_lines, script_job
from analyzer.limits import CiLimits


def _env_pairs(value: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in value or []:
        if isinstance(item, Mapping) and isinstance(item.get("name"), str):
            out[item["name"]] = str(item.get("value", ""))
    return out


def _commands(node: Any) -> list[tuple[int, str]]:
    commands = node.get("commands") if isinstance(node, Mapping) else None
    if not isinstance(commands, list):
        return []
    out = []
    for index, command in enumerate(commands):
        try:
            number = int(commands.lc.item(index)[0]) + 1  # type: ignore[attr-defined]
        except (AttributeError, KeyError, TypeError):
            number = 1
        out.append((number, str(command)))
    return out


def semaphore_jobs(root: Path, rel: str, data: Any, limits: CiLimits) -> list[Job]:
    """One job per job of each block: its agent (the block's, else the pipeline's),
    environment and commands (prologue included)."""
    if not isinstance(data, Mapping) or not isinstance(data.get("blocks"), list):
        return []
    default_agent = str(((data.get("agent") or {}).get("machine") or {}).get("type", ""))
    global_env = _env_pairs((data.get("global_job_config") or {}).get("env_vars"))
    jobs: list[Job] = []
    for block in data["blocks"]:
        if not isinstance(block, Mapping) or not isinstance(block.get("task"), Mapping):
            continue
        task = block["task"]
        agent = (task.get("agent") or {}).get("machine") or {}
        machine = str(agent.get("type", "") or default_agent) if isinstance(agent, Mapping) else default_agent
        env = {**global_env, **_env_pairs(task.get("env_vars"))}
        prologue = _commands(task.get("prologue"))
        line = int(block.lc.line) + 1 if hasattr(block, "lc") else 1
        for job in task.get("jobs") or []:
            if not isinstance(job, Mapping):
                continue
            job_env = {**env, **_env_pairs(job.get("env_vars"))}
            runner = agent_runner(machine, job_env.get("ARCH", ""))
            lines = [Line(rel, line, f"ARCH={job_env['ARCH']}")] if "ARCH" in job_env else []
            lines += commands_lines(root, rel, prologue + _commands(job), limits)
            name = f"{block.get('name', '?')} / {job.get('name', '?')}"
            jobs.append(script_job(rel, name, line, runner, lines, "semaphore"))
    return jobs
