"""Every CI service other than GitHub Actions, behind one call: the jobs of each at the
project's root, read by that service's module."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from analyzer.ci.appveyor import appveyor_jobs
from analyzer.ci.azure import azure_jobs
from analyzer.ci.circleci import circleci_jobs
from analyzer.ci.cirrus import cirrus_jobs
from analyzer.ci.gitlab import gitlab_jobs
from analyzer.ci.kokoro import kokoro_job
from analyzer.ci.model import Job, Problem
from analyzer.ci.semaphore import semaphore_jobs
from analyzer.ci.travis import travis_jobs
from analyzer.limits import CI_LIMITS, CiLimits

READERS: dict[str, Callable[[Path, str, Any, CiLimits], list[Job]]] = {
    "semaphore": semaphore_jobs,
    "appveyor": appveyor_jobs,
    "azure": azure_jobs,
    "gitlab": gitlab_jobs,
    "travis": travis_jobs,
    "circleci": circleci_jobs,
    "cirrus": cirrus_jobs,
}


def other_jobs(root: Path, limits: CiLimits = CI_LIMITS) -> tuple[list[Job], list[Problem]]:
    """Every Semaphore, AppVeyor and Kokoro job at the project's root."""
    from analyzer.ci.github import WorkflowError, load_workflow

    jobs: list[Job] = []
    problems: list[Problem] = []
    candidates: list[tuple[str, str]] = []
    semaphore = root / ".semaphore"
    if semaphore.is_dir() and not semaphore.is_symlink():
        candidates += [(f".semaphore/{p.name}", "semaphore") for p in sorted(semaphore.glob("*.y*ml"))]
    for name, kind in (
        ("appveyor.yml", "appveyor"),
        (".appveyor.yml", "appveyor"),
        (".gitlab-ci.yml", "gitlab"),
        (".travis.yml", "travis"),
        (".circleci/config.yml", "circleci"),
        (".cirrus.yml", "cirrus"),
    ):
        if (root / name).is_file():
            candidates.append((name, kind))
    candidates += [(p.name, "azure") for p in sorted(root.glob("azure-pipelines*.y*ml"))]
    for folder in (".azure-pipelines", "azure-pipelines"):
        if (root / folder).is_dir() and not (root / folder).is_symlink():
            candidates += [(f"{folder}/{p.name}", "azure") for p in sorted((root / folder).glob("*.y*ml"))]
    kokoro = root / ".kokoro"
    if kokoro.is_dir() and not kokoro.is_symlink():
        candidates += [(p.relative_to(root).as_posix(), "kokoro") for p in sorted(kokoro.rglob("*.cfg"))]
    for rel, kind in candidates[: limits.max_files]:
        path = root / rel
        try:
            if path.is_symlink() or path.stat().st_size > limits.max_file_bytes:
                continue
            text = path.read_bytes().decode("utf-8", "replace")
        except OSError:
            continue
        if kind == "kokoro":
            job = kokoro_job(root, rel, text, limits)
            jobs.extend([job] if job is not None else [])
            continue
        try:
            data = load_workflow(text, limits, merge_keys=True)  # their YAML readers merge
        except WorkflowError as error:
            problems.append(Problem(rel, str(error), error.line))
            continue
        jobs.extend(READERS[kind](root, rel, data, limits))
    return jobs, problems
