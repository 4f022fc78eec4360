"""CI services other than GitHub Actions, whose Windows wheels come from scripts:
Semaphore (``.semaphore/*.yml``), Kokoro (``.kokoro/**/*.cfg``), AppVeyor
(``appveyor.yml``), Azure Pipelines (``azure-pipelines*.yml``), GitLab CI
(``.gitlab-ci.yml``), Travis CI (``.travis.yml``), CircleCI (``.circleci/config.yml``)
and Cirrus CI (``.cirrus.yml``). Each job of theirs is read on its own, with the scripts it calls
followed inside the tree, so an ``arm64`` word in one job (a macOS or Linux ARM build)
never speaks for another.

What such a job builds is read from its commands and scripts, not computed by a build
tool's code (there is none to ask): a Windows job that builds wheels yields the
architectures its lines name (``x64``, ``win_amd64``, ``-A Win32``, ``arm64``), or its
agent's own when they name none. The line that decides is kept, so a finding can point
at ``scripts/windows/build.bat:53`` and name the job that runs it.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analyzer.ci.model import WIN32, WIN_AMD64, WIN_ARM64, Build, Cell, Job, Problem, Runner
from analyzer.limits import CI_LIMITS, CiLimits
from analyzer.paths import inside_file

_BUILDS_WHEELS = re.compile(
    r"(?i)bdist_wheel|\bpip3?\s+wheel\b|-m\s*pip\s+wheel\b|-m\s*build\b|cibuildwheel|build[-_]wheels?|"
    r"\bmaturin\s+build\b|\bwheelhouse\b|\bdelvewheel\b"
)
_ARM = re.compile(r"(?i)\barm64\b|\baarch64\b|win_arm64|amd64_arm64|\bARM64\b")
_X64 = re.compile(r"""(?i)\bx64\b|\bamd64\b|win_amd64|-A\s+["']?x64|\bx86_64\b|-\d+(?:\.\d+)?-64\b""")
_X86 = re.compile(r"""(?i)\bwin32\b|-A\s+["']?Win32|\bx86\b(?!_64)|-\d+(?:\.\d+)?-32\b""")
_CALL = re.compile(
    r"""(?i)(?:^|[\s"'(&;|])(?:call\s+|bash\s+(?:-\w+\s+)*|sh\s+|pwsh\s+(?:-\w+\s+)*|powershell\s+(?:-\w+\s+)*|\.[\\/])?"""
    r"""((?:\.{1,2}[\\/])?[\w.\\/-]+\.(?:bat|cmd|ps1|sh))\b"""
)
_COMMENT = re.compile(r"""^\s*(?:@?rem\b|::|#)""", re.I)


@dataclass(frozen=True)
class Line:
    path: str
    number: int
    text: str


def script_lines(root: Path, rel: str, limits: CiLimits, seen: set[str], depth: int = 0) -> Iterator[Line]:
    """The lines of a script in the tree and of the scripts it calls (depth-limited,
    each once, never through a path that leaves the tree)."""
    if depth > 4 or rel in seen or len(seen) >= limits.max_scripts:
        return
    path = inside_file(root, rel)
    if path is None:
        return
    seen.add(rel)
    try:
        if path.stat().st_size > limits.max_script_bytes:
            return
        text = path.read_bytes().decode("utf-8", "replace")
    except OSError:
        return
    for number, line in enumerate(text.splitlines(), 1):
        if _COMMENT.match(line):
            continue
        yield Line(rel, number, line)
        yield from _called(root, line, rel, limits, seen, depth)


def _called(root: Path, line: str, here: str, limits: CiLimits, seen: set[str], depth: int) -> Iterator[Line]:
    for m in _CALL.finditer(line):
        target = m.group(1).replace("\\", "/")
        if "$" in target or "%" in target or target.startswith("/"):
            continue
        candidates = [target.removeprefix("./")]
        folder = here.rpartition("/")[0]
        if folder:
            candidates.append(f"{folder}/{target}")
        for candidate in candidates:
            normal = str(Path(candidate)).replace("\\", "/")
            if inside_file(root, normal) is not None:
                yield from script_lines(root, normal, limits, seen, depth + 1)
                break


def _commands_lines(root: Path, path: str, commands: list[tuple[int, str]], limits: CiLimits) -> list[Line]:
    """A job's own command lines, then what the scripts they call say."""
    seen: set[str] = set()
    out: list[Line] = []
    for number, command in commands:
        out.append(Line(path, number, command))
        out.extend(_called(root, command, "", limits, seen, 0))
    return out


def script_build(lines: list[Line], runner: Runner, default_line: int) -> tuple[Build | None, Line | None]:
    """What a Windows job's lines build (None: no wheel), and the line that decides."""
    active = [ln for ln in lines if not _COMMENT.match(ln.text)]
    if not runner.is_windows or not any(_BUILDS_WHEELS.search(ln.text) for ln in active):
        return None, None
    arm = [ln for ln in active if _ARM.search(ln.text)]
    x64 = [ln for ln in active if _X64.search(ln.text) and not _ARM.search(ln.text)]
    x86 = [ln for ln in active if _X86.search(ln.text) and not _ARM.search(ln.text)]
    tags: list[str] = []
    if x64:
        tags.append(f"script-{WIN_AMD64}")
    if x86:
        tags.append(f"script-{WIN32}")
    if arm:
        tags.append(f"script-{WIN_ARM64}")
    if not tags:
        native = {"x64": WIN_AMD64, "arm64": WIN_ARM64, "x86": WIN32}.get(runner.arch or "")
        if native is None:
            return Build("script", default_line, None, unknown="the agent's architecture is not known"), None
        tags.append(f"script-{native}")
    deciding = (x64 or x86)[0] if (x64 or x86) else None
    return Build("script", deciding.number if deciding else default_line, tuple(tags)), deciding


def _runner(text: str, arch_hint: str = "") -> Runner:
    lowered = f"{text} {arch_hint}".lower()
    os_name = (
        "windows"
        if re.search(r"windows|\bwin\b|visual studio|vs20\d\d", lowered)
        else "macos"
        if re.search(r"macos|osx|darwin", lowered)
        else "linux"
        if re.search(r"ubuntu|linux|debian", lowered)
        else None
    )
    arch = "arm64" if re.search(r"arm64|aarch64", lowered) else "x64" if os_name else None
    return Runner(text or "?", os_name, arch)


def _job(path: str, job_id: str, line: int, runner: Runner, lines: list[Line], provider: str) -> Job:
    build, deciding = script_build(lines, runner, line)
    scripts = tuple(dict.fromkeys(ln.path for ln in lines if ln.path != path))
    cell = Cell((), runner, (build,) if build is not None else (), scripts=scripts)
    where = f"{deciding.path}:{deciding.number}" if deciding is not None else ""
    return Job(path, job_id, line, (cell,), provider=provider, deciding=where)


# -- Semaphore ----------------------------------------------------------------------------
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
            runner = _runner(machine, job_env.get("ARCH", ""))
            lines = [Line(rel, line, f"ARCH={job_env['ARCH']}")] if "ARCH" in job_env else []
            lines += _commands_lines(root, rel, prologue + _commands(job), limits)
            name = f"{block.get('name', '?')} / {job.get('name', '?')}"
            jobs.append(_job(rel, name, line, runner, lines, "semaphore"))
    return jobs


# -- AppVeyor -----------------------------------------------------------------------------
def appveyor_jobs(root: Path, rel: str, data: Any, limits: CiLimits) -> list[Job]:
    """One job per ``environment.matrix`` entry (or one), on a Windows image unless the
    image says otherwise; its values and the build commands decide the architecture."""
    if not isinstance(data, Mapping):
        return []
    image = str(data.get("image", "Visual Studio"))
    environment = data.get("environment") if isinstance(data.get("environment"), Mapping) else {}
    assert isinstance(environment, Mapping)
    rows = environment.get("matrix") if isinstance(environment.get("matrix"), list) else [{}]
    assert isinstance(rows, list)
    commands: list[tuple[int, str]] = []
    for key in (
        "install",
        "before_build",
        "build_script",
        "after_build",
        "test_script",
        "after_test",
        "on_success",
        "deploy_script",
    ):
        value = data.get(key)
        items = value if isinstance(value, list) else [value] if isinstance(value, str) else []
        for item in items:
            text = item.get("cmd") or item.get("ps") or "" if isinstance(item, Mapping) else item
            commands.append((_line(data, key), str(text)))
    cells: list[Cell] = []
    deciding = ""
    first = 1
    for index, row in enumerate(rows):
        values = {str(k): str(v) for k, v in row.items()} if isinstance(row, Mapping) else {}
        arch_hint = " ".join(values.values())
        runner = _runner(
            image if "ubuntu" in image.lower() or "macos" in image.lower() else f"windows {image}"
        )
        if _ARM.search(arch_hint):
            runner = Runner(runner.label, runner.os, "arm64")
        line = int(rows.lc.item(index)[0]) + 1 if hasattr(rows, "lc") else 1
        first = line if index == 0 else first
        lines = [Line(rel, line, f"{k}={v}") for k, v in values.items()]
        lines += _commands_lines(root, rel, commands, limits)
        build, decides = script_build(lines, runner, line)
        if decides is not None and not deciding:
            deciding = f"{decides.path}:{decides.number}"
        pairs = tuple(values.items())
        cells.append(Cell(pairs, runner, (build,) if build is not None else ()))
    return [Job(rel, "build", first, tuple(cells), provider="appveyor", deciding=deciding)]


def _line(node: Any, key: str) -> int:
    try:
        return int(node.lc.key(key)[0]) + 1
    except (AttributeError, KeyError, TypeError):
        return 1


# -- Kokoro -------------------------------------------------------------------------------
_KOKORO_FILE = re.compile(r"""(?:build_file|value)\s*:\s*"([^"]+\.(?:sh|bat|cmd|ps1))\"""")


def kokoro_job(root: Path, rel: str, text: str, limits: CiLimits) -> Job | None:
    """A Kokoro job (one ``.cfg``): the build file it names (``build_file``, or the
    ``TRAMPOLINE_BUILD_FILE`` value), relative to the repository checkout, followed."""
    m = _KOKORO_FILE.search(text)
    if m is None:
        return None
    named = m.group(1)
    parts = named.split("/")
    # "github/<repo>/.kokoro/x.sh" or "<repo>/.kokoro/x.sh": the path inside the tree.
    script = next(
        ("/".join(parts[i:]) for i in range(len(parts)) if inside_file(root, "/".join(parts[i:]))), ""
    )
    if not script:
        return None
    line = text[: m.start()].count("\n") + 1
    hint = f"{rel} {script}"
    runner = _runner(
        "windows" if script.endswith((".bat", ".cmd", ".ps1")) or "windows" in hint.lower() else hint
    )
    lines = [Line(rel, line, f"build file {script}")]
    lines += list(script_lines(root, script, limits, set()))
    return _job(rel, rel.rsplit("/", 1)[-1].removesuffix(".cfg"), line, runner, lines, "kokoro")


# -- Azure Pipelines, GitLab CI, Travis CI, CircleCI, Cirrus CI ----------------------------
def _node_line(node: Any, default: int = 1) -> int:
    try:
        return int(node.lc.line) + 1
    except (AttributeError, TypeError):
        return default


def _variables(value: Any) -> dict[str, str]:
    """``variables``/``env`` as a mapping, a list of ``{name, value}``, a list of
    ``A=1`` strings or one ``A=1 B=2`` string."""
    out: dict[str, str] = {}
    if isinstance(value, Mapping):
        for k, v in value.items():
            if not isinstance(v, Mapping):
                out[str(k)] = str(v)
            elif "value" in v:
                out[str(k)] = str(v["value"])
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, Mapping) and "name" in item:
                out[str(item["name"])] = str(item.get("value", ""))
            elif isinstance(item, str):
                out.update(_variables(item))
    elif isinstance(value, str):
        for word in value.split():
            key, sep, val = word.partition("=")
            if sep:
                out[key] = val.strip("\"'")
    return out


def _texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [t for item in value for t in _texts(item)]
    if isinstance(value, Mapping):
        return [t for k in ("command", "script", "run") if k in value for t in _texts(value[k])]
    return []


_VAR = re.compile(r"\$\(([\w.]+)\)|\$\{?([A-Za-z_]\w*)\}?|%([A-Za-z_]\w*)%")


def _expand(text: str, values: Mapping[str, str]) -> str:
    """``$(VAR)`` (Azure), ``$VAR``/``${VAR}`` and ``%VAR%`` replaced where the job's own
    variables say; others stay as written."""

    def one(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(2) or m.group(3)
        return values.get(name, m.group(0))

    return _VAR.sub(one, text)


def _cells_job(
    root: Path,
    rel: str,
    job_id: str,
    line: int,
    legs: list[dict[str, str]],
    agent: str,
    commands: list[tuple[int, str]],
    provider: str,
    limits: CiLimits,
) -> Job:
    """A job with one cell per matrix leg: the agent and commands with the leg's
    variables expanded, the scripts they call followed."""
    cells: list[Cell] = []
    deciding = ""
    for leg in legs or [{}]:
        runner = _runner(_expand(agent, leg), " ".join(leg.values()))
        lines = [Line(rel, line, f"{k}={v}") for k, v in leg.items()]
        lines += _commands_lines(root, rel, [(n, _expand(c, leg)) for n, c in commands], limits)
        build, decides = script_build(lines, runner, line)
        if decides is not None and not deciding:
            deciding = f"{decides.path}:{decides.number}"
        cells.append(Cell(tuple(leg.items()), runner, (build,) if build is not None else ()))
    return Job(rel, job_id, line, tuple(cells), provider=provider, deciding=deciding)


def _step_commands(steps: Any, keys: tuple[str, ...]) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    for step in steps if isinstance(steps, list) else []:
        if isinstance(step, str):
            out.append((1, step))
            continue
        if not isinstance(step, Mapping):
            continue
        line = _node_line(step)
        for key in keys:
            out.extend((line, t) for t in _texts(step.get(key)))
        inputs = step.get("inputs")
        if isinstance(inputs, Mapping):  # Azure tasks: UsePythonVersion architecture, ...
            out.extend((line, f"{k}: {v}") for k, v in inputs.items() if isinstance(v, (str, int)))
    return out


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
    top_vars = _variables(data.get("variables"))
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
        variables = {**top_vars, **_variables(node.get("variables"))}
        legs = (
            [{**variables, **_variables(v)} for v in matrix.values() if isinstance(v, Mapping)]
            if isinstance(matrix, Mapping)
            else [variables]
        )
        commands = _step_commands(node.get("steps"), ("script", "bash", "powershell", "pwsh"))
        name = str(node.get("job") or node.get("deployment") or "job")
        jobs.append(_cells_job(root, rel, name, _node_line(node), legs, agent, commands, "azure", limits))
    return jobs


_GITLAB_RESERVED = frozenset(
    {"stages", "variables", "image", "include", "default", "workflow", "before_script", "after_script",
     "cache", "services", "pages"}
)  # fmt: skip


def gitlab_jobs(root: Path, rel: str, data: Any, limits: CiLimits) -> list[Job]:
    """GitLab CI: every job (a top-level mapping with a ``script``), its runner ``tags``
    and ``image``, ``parallel: matrix`` legs and variables."""
    if not isinstance(data, Mapping):
        return []
    top_vars = _variables(data.get("variables"))
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
        variables = {**top_vars, **_variables(node.get("variables"))}
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
            (_node_line(node), t)
            for key in ("before_script", "script", "after_script")
            for t in _texts(node.get(key, data.get(key) if key != "script" else None))
        ]
        jobs.append(
            _cells_job(
                root,
                rel,
                str(name),
                _line(data, name),
                legs or [variables],
                agent,
                commands,
                "gitlab",
                limits,
            )
        )
    return jobs


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
        variables = _variables(merged.get("env"))
        commands = [
            (_node_line(entry), t)
            for key in (
                "before_install",
                "install",
                "before_script",
                "script",
                "after_success",
                "before_deploy",
            )
            for t in _texts(merged.get(key))
        ]
        name = str(entry.get("name") or f"job {index + 1}")
        jobs.append(
            _cells_job(root, rel, name, _node_line(entry), [variables], agent, commands, "travis", limits)
        )
    return jobs


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
        commands = _step_commands(node.get("steps"), ("run",))
        variables = _variables(node.get("environment"))
        jobs.append(
            _cells_job(
                root,
                rel,
                str(name),
                _line(data["jobs"], name),
                [variables],
                agent,
                commands,
                "circleci",
                limits,
            )
        )
    return jobs


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
        variables = _variables(node.get("env"))
        legs = [
            {**variables, **_variables(m.get("env"))}
            for m in node.get("matrix") or []
            if isinstance(m, Mapping)
        ]
        commands = [
            (_node_line(node), t) for k, v in node.items() if str(k).endswith("_script") for t in _texts(v)
        ]
        name = str(node.get("name") or key)
        jobs.append(
            _cells_job(
                root, rel, name, _line(data, key), legs or [variables], agent, commands, "cirrus", limits
            )
        )
    return jobs


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
            data = load_workflow(text, limits)
        except WorkflowError as error:
            problems.append(Problem(rel, str(error), error.line))
            continue
        readers = {
            "semaphore": semaphore_jobs,
            "appveyor": appveyor_jobs,
            "azure": azure_jobs,
            "gitlab": gitlab_jobs,
            "travis": travis_jobs,
            "circleci": circleci_jobs,
            "cirrus": cirrus_jobs,
        }
        jobs.extend(readers[kind](root, rel, data, limits))
    return jobs, problems
