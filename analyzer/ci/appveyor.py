"""AppVeyor (``appveyor.yml``): one job, a cell per ``environment.matrix`` entry."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from analyzer.ci.model import Cell, Job, Runner
from analyzer.ci.scripts import ARM_WORD, Line, agent_runner, commands_lines, key_line, script_build
from analyzer.limits import CiLimits


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
            commands.append((key_line(data, key), str(text)))
    cells: list[Cell] = []
    deciding = ""
    first = 1
    for index, row in enumerate(rows):
        values = {str(k): str(v) for k, v in row.items()} if isinstance(row, Mapping) else {}
        arch_hint = " ".join(values.values())
        runner = agent_runner(
            image if "ubuntu" in image.lower() or "macos" in image.lower() else f"windows {image}"
        )
        if ARM_WORD.search(arch_hint):
            runner = Runner(runner.label, runner.os, "arm64")
        line = int(rows.lc.item(index)[0]) + 1 if hasattr(rows, "lc") else 1
        first = line if index == 0 else first
        lines = [Line(rel, line, f"{k}={v}") for k, v in values.items()]
        lines += commands_lines(root, rel, commands, limits)
        build, decides = script_build(lines, runner, line)
        if decides is not None and not deciding:
            deciding = f"{decides.path}:{decides.number}"
        pairs = tuple(values.items())
        cells.append(Cell(pairs, runner, (build,) if build is not None else ()))
    return [Job(rel, "build", first, tuple(cells), provider="appveyor", deciding=deciding)]
