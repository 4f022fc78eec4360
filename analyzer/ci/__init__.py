"""CI configuration read as the build tools read it: which jobs build which wheels.

``read_ci(root)`` is the one entry point: every provider's jobs (GitHub Actions today,
see :mod:`analyzer.ci.github`), each job's matrix cells with the runner, the build tool
and the wheel tags computed by that tool's own rules (:mod:`analyzer.ci.tags`), and the
jobs a publish step waits for. Rules, the verdict and ``fix``'s verification all ask
this model; none of them reads CI text on its own.

The package imports only the ground floor (``analyzer.limits``) and the build tools'
libraries, so every stage may use it without joining an import cycle. The readers (and
the YAML library under them) load when CI is read, so that importing the model's names is
cheap for a scan that has no CI.
"""

from __future__ import annotations

from pathlib import Path

from analyzer.ci.model import WIN32, WIN_AMD64, WIN_ARM64, Build, Cell, CiModel, Job, Problem, Runner, Step
from analyzer.limits import CI_LIMITS, CiLimits

__all__ = [
    "WIN32",
    "WIN_AMD64",
    "WIN_ARM64",
    "Build",
    "Cell",
    "CiModel",
    "Job",
    "Problem",
    "Runner",
    "Step",
    "model_from_texts",
    "read_ci",
]


def read_ci(root: Path, limits: CiLimits = CI_LIMITS) -> CiModel:
    """The CI model of the project at ``root`` (its own ``.github/workflows``)."""
    from analyzer.ci.github import workflow_files
    from analyzer.ci.other import other_jobs

    texts: dict[str, str] = {}
    problems: list[Problem] = []
    for rel in workflow_files(root, limits):
        path = root / rel
        try:
            if path.stat().st_size > limits.max_file_bytes:
                problems.append(Problem(rel, f"larger than {limits.max_file_bytes} bytes: not read"))
                continue
            texts[rel] = path.read_bytes().decode("utf-8", "replace")
        except OSError as error:
            problems.append(Problem(rel, f"cannot be read ({error.strerror or error})"))
    model = model_from_texts(root, texts, limits)
    others, trouble = other_jobs(root, limits)
    jobs = (*model.jobs, *others)
    return CiModel(jobs, (*problems, *model.problems, *trouble), released(list(jobs)))


def model_from_texts(root: Path, texts: dict[str, str], limits: CiLimits = CI_LIMITS) -> CiModel:
    """The CI model of workflow texts (path -> text); ``root`` is where the files they
    name (pyproject.toml, scripts) are looked up."""
    from analyzer.ci.github import read_workflow

    jobs: list[Job] = []
    problems: list[Problem] = []
    for rel, text in sorted(texts.items()):
        found, trouble = read_workflow(root, rel, text, limits)
        jobs.extend(found)
        problems.extend(trouble)
    return CiModel(tuple(jobs), tuple(problems), released(jobs))


def released(jobs: list[Job]) -> frozenset[str]:
    """Keys of the jobs whose output a publish step uploads: the publishing jobs, every
    job they wait for (``needs``, transitively) and the jobs of the reusable workflows
    those call (``uses: ./.github/workflows/x.yml``)."""
    by_key = {j.key: j for j in jobs}
    by_file: dict[str, list[Job]] = {}
    for job in jobs:
        by_file.setdefault(job.path, []).append(job)
    seen: set[str] = set()
    stack = [j.key for j in jobs if j.publishes]
    while stack:
        key = stack.pop()
        if key in seen or key not in by_key:
            continue
        seen.add(key)
        job = by_key[key]
        stack.extend(f"{job.path}#{need}" for need in job.needs)
        if job.calls.startswith("./"):
            called = job.calls.removeprefix("./").split("@", 1)[0]
            stack.extend(j.key for j in by_file.get(called, []))
        for source in job.downloads_from:
            # Artifacts of another workflow's run: that workflow's jobs are released
            # (every wheel job of the project when the run is chosen at run time).
            stack.extend(
                j.key
                for j in jobs
                if j.builds_wheels
                and (source == "*" or j.path.endswith("/" + source) or j.workflow_name == source)
            )
    return frozenset(seen)
