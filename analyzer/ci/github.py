"""GitHub Actions: the project's workflows read the way GitHub runs them.

Per workflow: YAML with anchors and aliases (GitHub supports them) but no merge keys
(``<<:``, which GitHub rejects: such a workflow never runs, and is reported as such);
per job: ``strategy.matrix`` expanded (:mod:`analyzer.ci.matrix`), ``runs-on`` evaluated
per cell, ``env`` layered workflow → job → step (plus literal ``$GITHUB_ENV`` writes of
earlier steps), setup-python's Pythons and whether the runner has them, the build tool
each step runs and the wheel tags it yields (:mod:`analyzer.ci.tags`), the scripts the
steps call, ``needs`` and publish steps.

Only ``.github/workflows/`` at the project's own root is read: a vendored library's CI
(in a submodule or ``third_party/``) does not build this package's wheels.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from analyzer.ci.expr import as_text, condition, open_context, substitute, substitute_partial, truthy
from analyzer.ci.matrix import expand, flatten, plain
from analyzer.ci.model import Build, Cell, Job, Problem, Runner, Step
from analyzer.ci.runner import runner_for, setup_python_refuses
from analyzer.ci.tags import cibuildwheel_build, maturin_build, plain_build
from analyzer.limits import CI_LIMITS, CiLimits
from analyzer.paths import inside_file
from analyzer.tri import UNKNOWN

WORKFLOWS = ".github/workflows/"
_PUBLISH_RUN = re.compile(
    r"(?i)\btwine\s+upload\b|\bmaturin\s+(?:publish|upload)\b|\b(?:uv|flit|poetry|hatch|pdm)\s+publish\b"
)
_CIBW_RUN = re.compile(
    r"(?i)(?:^|[\s;&|(])(?:(?:pipx|uvx|uv\s+tool)\s+run\s+|python3?\s+-m\s+|py\s+-m\s+)?cibuildwheel(?:==[\w.]+)?(?=\s|$)(?P<args>[^\n;&|]*)"
)
_MATURIN_RUN = re.compile(r"(?i)(?:^|[\s;&|(])maturin\s+(?P<cmd>build|publish)\b(?P<args>[^\n;&|]*)")
_PLAIN_RUN = re.compile(
    r"(?i)\bpython3?(?:\.exe)?\s+-m\s+build\b(?P<build>[^\n;&|]*)|\bpip3?\s+wheel\b|\bpython3?\s+-m\s+pip\s+wheel\b"
    r"|\bsetup\.py\b[^\n]*\bbdist_wheel\b|\buv\s+build\b(?P<uv>[^\n;&|]*)|\b(?:pdm|hatch|poetry)\s+build\b"
)
_GITHUB_ENV = re.compile(
    r"""(?im)^\s*(?:echo\s+|Write-Output\s+|Add-Content\s+[^\n]*-Value\s+)["']?([A-Z_][A-Z0-9_]*)=([^"'\n>]*?)["']?\s*(?:>>|\|)\s*["']?\$(?:env:)?\{?GITHUB_ENV"""
)
_SCRIPT = re.compile(r"""(?i)(?:^|[\s"'(&;])((?:\.{1,2}[\\/])?[\w./\\-]+\.(?:bat|cmd|ps1|sh))\b""")


class WorkflowError(ValueError):
    """The workflow would not load on GitHub, or is past woaport's limits."""

    def __init__(self, message: str, line: int = 0) -> None:
        super().__init__(message)
        self.line = line


def load_workflow(text: str, limits: CiLimits = CI_LIMITS, merge_keys: bool = False) -> Any:
    """The workflow parsed round-trip (lines kept), refused past the limits or, unless
    the service reads them (``merge_keys``: GitLab, CircleCI, Travis... do; GitHub
    Actions does not), when it uses a YAML merge key."""
    if len(text.encode("utf-8", "replace")) > limits.max_file_bytes:
        raise WorkflowError(f"larger than {limits.max_file_bytes} bytes: not read")
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        data = YAML(typ="rt").load(text)
    except RecursionError:
        raise WorkflowError("nested too deeply to read") from None
    except (YAMLError, ValueError) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise WorkflowError(f"cannot parse as YAML ({first})") from None
    _check_shape(data, limits, merge_keys)
    return data


def _check_shape(data: Any, limits: CiLimits, merge_keys: bool = False) -> None:
    """Depth, size (aliases counted each time they are reached) and merge keys."""
    visited = 0
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        node, depth = stack.pop()
        visited += 1
        if visited > limits.max_nodes:
            raise WorkflowError(f"more than {limits.max_nodes} YAML nodes (aliases included): not read")
        if depth > limits.max_depth:
            raise WorkflowError(f"nested deeper than {limits.max_depth} levels: not read")
        if isinstance(node, Mapping):
            merged = getattr(node, "merge", None)
            if merged and not merge_keys:
                line = int(node.lc.line) + 1 if hasattr(node, "lc") else 0
                raise WorkflowError(
                    "uses a YAML merge key (<<): GitHub Actions supports anchors and aliases but not "
                    "merge keys, so this workflow does not run",
                    line,
                )
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)


def _line(node: Any, key: Any = None, default: int = 1) -> int:
    try:
        if key is not None:
            return int(node.lc.key(key)[0]) + 1
        return int(node.lc.line) + 1
    except (AttributeError, KeyError, TypeError):
        return default


def _scalar_env(mapping: Any, context: Mapping[str, Any]) -> dict[str, str | None]:
    """An ``env`` mapping with its expressions evaluated; unknown values are None."""
    out: dict[str, str | None] = {}
    if not isinstance(mapping, Mapping):
        return out
    for key, raw in mapping.items():
        value = substitute(raw, {**context, "env": open_context({**_env_of(context), **out})})
        if value is UNKNOWN:
            out[str(key)] = None
        elif isinstance(value, bool):
            out[str(key)] = "true" if value else "false"
        else:
            out[str(key)] = "" if value is None else str(value)
    return out


def _env_of(context: Mapping[str, Any]) -> dict[str, Any]:
    env = context.get("env")
    return dict(env) if isinstance(env, Mapping) else {}


def _known_text(value: Any) -> str | None:
    """An input's value as text, None when unknown."""
    text = as_text(value)
    return None if text is UNKNOWN else str(text)


def _labels(value: Any) -> list[str] | None:
    """``runs-on`` as labels: a string, a list of labels, or ``{group, labels}``."""
    if value is UNKNOWN:
        return None
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        if any(v is UNKNOWN for v in value):
            return None
        return [str(v) for v in value]
    if isinstance(value, Mapping):
        return _labels(value.get("labels", UNKNOWN))
    return None


def _runner_context(runner: Runner) -> dict[str, Any]:
    os_name = {"windows": "Windows", "linux": "Linux", "macos": "macOS"}.get(runner.os or "", UNKNOWN)
    arch = {"x64": "X64", "arm64": "ARM64", "x86": "X86"}.get(runner.arch or "", UNKNOWN)
    return {"os": os_name, "arch": arch, "temp": UNKNOWN, "tool_cache": UNKNOWN, "name": UNKNOWN}


def read_workflow(
    root: Path, rel: str, text: str, limits: CiLimits = CI_LIMITS
) -> tuple[list[Job], list[Problem]]:
    """The jobs of one workflow file (or the problem that keeps GitHub from running it)."""
    try:
        data = load_workflow(text, limits)
    except WorkflowError as error:
        return [], [Problem(rel, str(error), error.line)]
    if not isinstance(data, Mapping) or not isinstance(data.get("jobs"), Mapping):
        return [], []
    base_context: dict[str, Any] = {
        "github": UNKNOWN,
        "secrets": UNKNOWN,
        "vars": UNKNOWN,
        # A reusable or manually run workflow's inputs: what a caller passes is unknown.
        "inputs": UNKNOWN,
    }
    # Not expression contexts: what the jobs need to know of their workflow.
    base_context["workflow_name"] = str(data.get("name", "")) if isinstance(data.get("name"), str) else ""
    base_context["_defaults"] = data.get("defaults") if isinstance(data.get("defaults"), Mapping) else {}
    workflow_env = _scalar_env(data.get("env"), {**base_context, "env": open_context({})})
    jobs: list[Job] = []
    for job_id, body in data["jobs"].items():
        if not isinstance(body, Mapping):
            continue
        jobs.append(
            _read_job(
                root, rel, str(job_id), body, _line(data["jobs"], job_id), base_context, workflow_env, limits
            )
        )
    return jobs, []


def _downloads_from(body: Mapping[str, Any]) -> tuple[str, ...]:
    """Other workflows' runs whose artifacts the job downloads: ``actions/download-
    artifact`` with a ``run-id``, ``dawidd6/action-download-artifact`` with its
    ``workflow``, ``gh run download`` ("*": which run is decided when it runs)."""
    found: list[str] = []
    for step in body.get("steps") or []:
        if not isinstance(step, Mapping):
            continue
        uses = str(step.get("uses", "")).lower()
        inputs = step.get("with") if isinstance(step.get("with"), Mapping) else {}
        assert isinstance(inputs, Mapping)
        if "download-artifact" in uses and ("run-id" in inputs or "workflow" in inputs or "run_id" in inputs):
            workflow = inputs.get("workflow")
            found.append(str(workflow) if isinstance(workflow, str) and "${{" not in workflow else "*")
        if re.search(r"\bgh\s+run\s+download\b", str(step.get("run", ""))):
            found.append("*")
    return tuple(dict.fromkeys(found))


def _needs(body: Mapping[str, Any]) -> tuple[str, ...]:
    value = body.get("needs")
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    return ()


def _read_job(
    root: Path,
    rel: str,
    job_id: str,
    body: Mapping[str, Any],
    line: int,
    base: dict[str, Any],
    workflow_env: dict[str, str | None],
    limits: CiLimits,
) -> Job:
    strategy = body.get("strategy") if isinstance(body.get("strategy"), Mapping) else {}
    assert isinstance(strategy, Mapping)
    context = {**base, "env": open_context(workflow_env)}
    expansion = expand(strategy.get("matrix"), context, limits.max_cells)
    fail_fast_value = substitute(strategy.get("fail-fast", True), context)
    fail_fast = fail_fast_value is UNKNOWN or (
        bool(fail_fast_value) and str(fail_fast_value).lower() != "false"
    )
    calls = str(body.get("uses", "")) if isinstance(body.get("uses"), str) else ""
    publishes = False
    downloads = _downloads_from(body)
    cells: list[Cell] = []
    for values in expansion.cells:
        cell, cell_publishes = _read_cell(root, body, values, base, workflow_env, limits)
        cells.append(cell)
        publishes = publishes or cell_publishes
    decided = next((b.decided_at for c in cells for b in c.builds if b.decided_at), "")
    return Job(
        deciding=decided,
        path=rel,
        id=job_id,
        line=line,
        cells=tuple(cells),
        needs=_needs(body),
        publishes=publishes,
        fail_fast=fail_fast,
        unknown_matrix=expansion.unknown,
        calls=calls,
        downloads_from=downloads,
        workflow_name=str(base.get("workflow_name", "")),
    )


def _read_cell(
    root: Path,
    body: Mapping[str, Any],
    values: dict[str, Any],
    base: dict[str, Any],
    workflow_env: dict[str, str | None],
    limits: CiLimits,
) -> tuple[Cell, bool]:
    matrix_context = {**base, "matrix": values, "strategy": UNKNOWN, "env": open_context(workflow_env)}
    runner = runner_for(_labels(substitute(plain(body.get("runs-on", UNKNOWN)), matrix_context)))
    context = {**matrix_context, "runner": _runner_context(runner)}
    job_env = {**workflow_env, **_scalar_env(body.get("env"), context)}
    steps = body.get("steps") if isinstance(body.get("steps"), list) else []
    assert isinstance(steps, list)
    env = dict(job_env)
    pythons: list[str] = []
    python_arch: str | None = None
    fails = ""
    builds: list[Build] = []
    scripts: list[str] = []
    publishes = False
    for raw in steps:
        if not isinstance(raw, Mapping):
            continue
        step_context = {**context, "env": open_context(env)}
        runs = condition(raw.get("if"), step_context)
        if runs is False:
            continue  # e.g. "if: runner.os == 'macOS'" in a Windows cell
        step_env = {**env, **_scalar_env(raw.get("env"), step_context)}
        step_context["env"] = open_context(step_env)
        inputs = raw.get("with") if isinstance(raw.get("with"), Mapping) else {}
        assert isinstance(inputs, Mapping)
        maturin_args = raw.get("with", {}).get("args") if isinstance(raw.get("with"), Mapping) else None
        step = Step(
            line=_line(raw),
            name=str(raw.get("name", "")),
            uses=str(raw.get("uses", "")),
            run=str(raw.get("run", "")) if raw.get("run") is not None else "",
            with_=tuple((str(k), _known_text(substitute(plain(v), step_context))) for k, v in inputs.items()),
            env=tuple(step_env.items()),
        )
        uses = step.uses.lower()
        if "actions/setup-python" in uses:
            asked = step.input("python-version")
            arch = step.input("architecture")
            python_arch = arch.lower() if arch else python_arch
            versions = [v.strip() for v in (asked or "").replace(",", "\n").splitlines() if v.strip()]
            pythons.extend(versions)
            tolerated = truthy(substitute(raw.get("continue-on-error", False), step_context)) is True
            for version in versions:
                refused = setup_python_refuses(version, python_arch, runner)
                if refused and not fails and not tolerated:
                    fails = refused
        if isinstance(maturin_args, str) and step.input("args") is None:
            # Interpreters from step outputs: the target still decides the platform.
            partial = substitute_partial(maturin_args, step_context, "?")
            step = Step(step.line, step.name, step.uses, step.run, (*step.with_, ("args", partial)), step.env)
        workdir = _working_directory(raw, body, base.get("_defaults"), step_context)
        builds.extend(_builds_of(root, step, runner, tuple(pythons), python_arch, workdir))
        if _publishes(step):
            publishes = True
        if step.run:
            called = list(_scripts_called(root, step.run, limits, workdir))
            scripts.extend(called)
            if runner.is_windows and called and not any(b.line == step.line for b in builds):
                # A Windows step that runs a tree script which builds the wheels itself
                # (cmake -A x64, py -3.12-64 -m pip wheel): read it, the line that decides kept.
                builds.extend(_script_builds(root, called, runner, step.line, limits))
            for key, value in _GITHUB_ENV.findall(step.run):
                literal = "${{" not in value and "$" not in value and runs is True
                env[key] = value.strip() if literal else None
    cell = Cell(
        values=flatten(values),
        runner=runner,
        builds=tuple(builds),
        python_versions=tuple(dict.fromkeys(pythons)),
        fails=fails,
        scripts=tuple(dict.fromkeys(scripts))[: limits.max_scripts],
    )
    return cell, publishes


def _script_builds(root: Path, called: list[str], runner: Runner, line: int, limits: CiLimits) -> list[Build]:
    from analyzer.ci.scripts import script_build, script_lines

    seen: set[str] = set()
    lines = [ln for rel in called for ln in script_lines(root, rel, limits, seen)]
    build, deciding = script_build(lines, runner, line)
    if build is None:
        return []
    where = f"{deciding.path}:{deciding.number}" if deciding is not None else ""
    return [Build(build.tool, line, build.tags, build.unknown, decided_at=where)]


def _publishes(step: Step) -> bool:
    uses = step.uses.lower()
    if "gh-action-pypi-publish" in uses:
        return True
    if "maturin-action" in uses and (step.input("command") or "").lower() in ("publish", "upload"):
        return True
    return bool(step.run and _PUBLISH_RUN.search(step.run))


def _working_directory(
    step: Mapping[str, Any], job: Mapping[str, Any], workflow: Any, context: Any
) -> str | None:
    """Where a ``run:`` step runs, relative to the checkout: the step's
    ``working-directory``, else the job's or the workflow's ``defaults.run`` one ("" for
    the root; None when an expression decides it)."""
    for node in (step, (job.get("defaults") or {}).get("run") or {}, (workflow or {}).get("run") or {}):
        if isinstance(node, Mapping) and "working-directory" in node:
            value = substitute(node["working-directory"], context)
            return None if value is UNKNOWN else str(value).strip().removeprefix("./").rstrip("/")
    return ""


def _builds_of(
    root: Path,
    step: Step,
    runner: Runner,
    pythons: tuple[str, ...],
    python_arch: str | None,
    workdir: str | None = "",
) -> Iterator[Build]:
    env = dict(step.env)
    uses = step.uses.lower()
    if re.search(r"(?:^|/)cibuildwheel@", uses):
        pinned = re.search(r"@v?(\d+(?:\.\d+)*)", uses)
        yield cibuildwheel_build(
            root,
            runner,
            env,
            step.line,
            package_dir=step.input("package-dir") if "package-dir" in dict(step.with_) else ".",
            config_file=step.input("config-file") if "config-file" in dict(step.with_) else "",
            only=step.input("only") if "only" in dict(step.with_) else "",
            pinned=pinned.group(1) if pinned else "?",
        )
        return
    if "maturin-action" in uses:
        command = (step.input("command") or "build").lower()
        if command in ("build", "publish", "release"):
            target = step.input("target") if "target" in dict(step.with_) else ""
            args = step.input("args") if "args" in dict(step.with_) else ""
            yield maturin_build(runner, target, args, pythons, step.line)
        return
    if not step.run:
        return
    for m in _CIBW_RUN.finditer(step.run):
        words = _words(m.group("args"))
        folder = None if workdir is None else posixpath.join(workdir or ".", _positional(words) or ".")
        pinned = re.search(r"cibuildwheel==(\d[\w.]*)", m.group(0))
        yield cibuildwheel_build(
            root,
            runner,
            env,
            step.line,
            package_dir=folder,
            config_file=_option(words, "--config-file") or "",
            only=_option(words, "--only") or "",
            archs=_option(words, "--archs"),
            platform=_option(words, "--platform"),
            pinned=pinned.group(1) if pinned else "",
        )
    for m in _MATURIN_RUN.finditer(step.run):
        yield maturin_build(runner, "", m.group("args"), pythons, step.line)
    for m in _PLAIN_RUN.finditer(step.run):
        flags = (m.group("build") or m.group("uv") or "").split()
        if ("--sdist" in flags or "-s" in flags) and "--wheel" not in flags and "-w" not in flags:
            continue
        yield plain_build(runner, python_arch, pythons, step.line, "build")


def _words(text: str) -> list[str]:
    try:
        return shlex.split(text, posix=True)
    except ValueError:
        return text.split()


def _option(words: list[str], name: str) -> str | None:
    for index, word in enumerate(words):
        if word == name and index + 1 < len(words):
            return words[index + 1]
        if word.startswith(name + "="):
            return word.split("=", 1)[1]
    return None


def _positional(words: list[str]) -> str | None:
    skip = False
    for word in words:
        if skip:
            skip = False
            continue
        if word.startswith("-"):
            skip = "=" not in word and word not in (
                "--print-build-identifiers",
                "--allow-empty",
                "--debug-traceback",
            )
            continue
        return word
    return None


def _scripts_called(root: Path, run: str, limits: CiLimits, workdir: str | None = "") -> Iterator[str]:
    """Scripts in the tree that a ``run:`` calls (``call build.bat``, ``./ci/build.sh``,
    ``pwsh ci\\wheels.ps1``): relative paths inside the tree, never followed out of it."""
    for m in _SCRIPT.finditer(run):
        rel = m.group(1).replace("\\", "/").removeprefix("./")
        if workdir is None:
            continue  # run from a folder decided when the workflow runs
        rel = posixpath.normpath(posixpath.join(workdir, rel)) if workdir else rel
        if rel.startswith("/") or "${" in rel or "$" in rel:
            continue
        path = inside_file(root, rel)
        try:
            if path is None or path.stat().st_size > limits.max_script_bytes:
                continue
        except OSError:
            continue
        yield path.relative_to(root.resolve()).as_posix()


def workflow_files(root: Path, limits: CiLimits = CI_LIMITS) -> list[str]:
    """The project's own workflow files (relative paths), in name order."""
    folder = root / WORKFLOWS
    if not folder.is_dir() or folder.is_symlink() or (root / ".github").is_symlink():
        return []
    found = []
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() in (".yml", ".yaml") and path.is_file() and not path.is_symlink():
            found.append(f"{WORKFLOWS}{path.name}")
    return found[: limits.max_files]
