"""GitLab CI (``.gitlab-ci.yml``): jobs, a cell per ``parallel: matrix`` leg."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from analyzer.ci.model import Job
from analyzer.ci.scripts import cells_job, command_texts, job_variables, key_line, node_line
from analyzer.limits import CiLimits

_GITLAB_RESERVED = frozenset(
    {"stages", "variables", "image", "include", "default", "workflow", "before_script", "after_script",
     "cache", "services", "pages"}
)  # fmt: skip


def gitlab_jobs(root: Path, rel: str, data: Any, limits: CiLimits) -> list[Job]:
    """GitLab CI: every job (a top-level mapping with a ``script``), its runner ``tags``
    and ``image``, ``parallel: matrix`` legs and variables."""
    if not isinstance(data, Mapping):
        return []
    top_vars = job_variables(data.get("variables"))
    jobs: list[Job] = []
    for name, node in data.items():
        if str(name).startswith(".") or name in _GITLAB_RESERVED or not isinstance(node, Mapping):
            continue
        if "script" not in node:
            continue
        image = node.get("image", data.get("image", ""))
        agent = (
            " ".join(map(str, node.get("tags") or []))
            + " "
            + str(image.get("name") if isinstance(image, Mapping) else image)
        )
        variables = {**top_vars, **job_variables(node.get("variables"))}
        legs: list[dict[str, str]] = []
        parallel = node.get("parallel")
        for entry in (parallel.get("matrix") or []) if isinstance(parallel, Mapping) else []:
            if isinstance(entry, Mapping):
                axes = [
                    [(str(k), str(v)) for v in (vs if isinstance(vs, list) else [vs])]
                    for k, vs in entry.items()
                ]
                legs.extend({**variables, **dict(combo)} for combo in itertools.product(*axes))
        commands = [
            (node_line(node), t)
            for key in ("before_script", "script", "after_script")
            for t in command_texts(node.get(key, data.get(key) if key != "script" else None))
        ]
        jobs.append(
            cells_job(
                root,
                rel,
                str(name),
                key_line(data, name),
                legs or [variables],
                agent,
                commands,
                "gitlab",
                limits,
            )
        )
    return jobs
