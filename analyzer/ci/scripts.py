"""Jobs whose wheels come from commands and scripts rather than a build tool woaport can
ask: a job's lines (its commands, and the scripts they call inside the tree, each once,
at most 4 deep) and what they build.

A Windows job that builds wheels yields the architectures its lines name (``x64``,
``win_amd64``, ``-A Win32``, ``arm64``), or its agent's own when they name none; the line
that decides is kept, so a finding can point at ``scripts/windows/build.bat:53`` and name
the job that runs it. The CI services other than GitHub Actions (one module each in
``analyzer/ci/``) and GitHub steps that run tree scripts read their jobs with it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analyzer.ci.model import WIN32, WIN_AMD64, WIN_ARM64, Build, Cell, Job, Runner
from analyzer.limits import CiLimits
from analyzer.paths import inside_file

BUILDS_WHEELS = re.compile(
    r"(?i)bdist_wheel|\bpip3?\s+wheel\b|-m\s*pip\s+wheel\b|-m\s*build\b|cibuildwheel|build[-_]wheels?|"
    r"\bmaturin\s+build\b|\bwheelhouse\b|\bdelvewheel\b"
)
ARM_WORD = re.compile(r"(?i)\barm64\b|\baarch64\b|win_arm64|amd64_arm64|\bARM64\b")
X64_WORD = re.compile(r"""(?i)\bx64\b|\bamd64\b|win_amd64|-A\s+["']?x64|\bx86_64\b|-\d+(?:\.\d+)?-64\b""")
X86_WORD = re.compile(r"""(?i)\bwin32\b|-A\s+["']?Win32|\bx86\b(?!_64)|-\d+(?:\.\d+)?-32\b""")
CALL = re.compile(
    r"""(?i)(?:^|[\s"'(&;|])(?:call\s+|bash\s+(?:-\w+\s+)*|sh\s+|pwsh\s+(?:-\w+\s+)*|powershell\s+(?:-\w+\s+)*|\.[\\/])?"""
    r"""((?:\.{1,2}[\\/])?[\w.\\/-]+\.(?:bat|cmd|ps1|sh))\b"""
)
COMMENT = re.compile(r"""^\s*(?:@?rem\b|::|#)""", re.I)


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
        if COMMENT.match(line):
            continue
        yield Line(rel, number, line)
        yield from called_scripts(root, line, rel, limits, seen, depth)


def called_scripts(
    root: Path, line: str, here: str, limits: CiLimits, seen: set[str], depth: int
) -> Iterator[Line]:
    for m in CALL.finditer(line):
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


def commands_lines(root: Path, path: str, commands: list[tuple[int, str]], limits: CiLimits) -> list[Line]:
    """A job's own command lines, then what the scripts they call say."""
    seen: set[str] = set()
    out: list[Line] = []
    for number, command in commands:
        out.append(Line(path, number, command))
        out.extend(called_scripts(root, command, "", limits, seen, 0))
    return out


def script_build(lines: list[Line], runner: Runner, default_line: int) -> tuple[Build | None, Line | None]:
    """What a Windows job's lines build (None: no wheel), and the line that decides."""
    active = [ln for ln in lines if not COMMENT.match(ln.text)]
    if not runner.is_windows or not any(BUILDS_WHEELS.search(ln.text) for ln in active):
        return None, None
    arm = [ln for ln in active if ARM_WORD.search(ln.text)]
    x64 = [ln for ln in active if X64_WORD.search(ln.text) and not ARM_WORD.search(ln.text)]
    x86 = [ln for ln in active if X86_WORD.search(ln.text) and not ARM_WORD.search(ln.text)]
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


def agent_runner(text: str, arch_hint: str = "") -> Runner:
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


def script_job(path: str, job_id: str, line: int, runner: Runner, lines: list[Line], provider: str) -> Job:
    build, deciding = script_build(lines, runner, line)
    scripts = tuple(dict.fromkeys(ln.path for ln in lines if ln.path != path))
    cell = Cell((), runner, (build,) if build is not None else (), scripts=scripts)
    where = f"{deciding.path}:{deciding.number}" if deciding is not None else ""
    return Job(path, job_id, line, (cell,), provider=provider, deciding=where)


def key_line(node: Any, key: str) -> int:
    try:
        return int(node.lc.key(key)[0]) + 1
    except (AttributeError, KeyError, TypeError):
        return 1


def node_line(node: Any, default: int = 1) -> int:
    try:
        return int(node.lc.line) + 1
    except (AttributeError, TypeError):
        return default


def job_variables(value: Any) -> dict[str, str]:
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
                out.update(job_variables(item))
    elif isinstance(value, str):
        for word in value.split():
            key, sep, val = word.partition("=")
            if sep:
                out[key] = val.strip("\"'")
    return out


def command_texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [t for item in value for t in command_texts(item)]
    if isinstance(value, Mapping):
        return [t for k in ("command", "script", "run") if k in value for t in command_texts(value[k])]
    return []


VARIABLE = re.compile(r"\$\(([\w.]+)\)|\$\{?([A-Za-z_]\w*)\}?|%([A-Za-z_]\w*)%")


def expand_variables(text: str, values: Mapping[str, str]) -> str:
    """``$(VAR)`` (Azure), ``$VAR``/``${VAR}`` and ``%VAR%`` replaced where the job's own
    variables say; others stay as written."""

    def one(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(2) or m.group(3)
        return values.get(name, m.group(0))

    return VARIABLE.sub(one, text)


def cells_job(
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
        runner = agent_runner(expand_variables(agent, leg), " ".join(leg.values()))
        lines = [Line(rel, line, f"{k}={v}") for k, v in leg.items()]
        lines += commands_lines(root, rel, [(n, expand_variables(c, leg)) for n, c in commands], limits)
        build, decides = script_build(lines, runner, line)
        if decides is not None and not deciding:
            deciding = f"{decides.path}:{decides.number}"
        cells.append(Cell(tuple(leg.items()), runner, (build,) if build is not None else ()))
    return Job(rel, job_id, line, tuple(cells), provider=provider, deciding=deciding)


def step_commands(steps: Any, keys: tuple[str, ...]) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    for step in steps if isinstance(steps, list) else []:
        if isinstance(step, str):
            out.append((1, step))
            continue
        if not isinstance(step, Mapping):
            continue
        line = node_line(step)
        for key in keys:
            out.extend((line, t) for t in command_texts(step.get(key)))
        inputs = step.get("inputs")
        if isinstance(inputs, Mapping):  # Azure tasks: UsePythonVersion architecture, ...
            out.extend((line, f"{k}: {v}") for k, v in inputs.items() if isinstance(v, (str, int)))
    return out
