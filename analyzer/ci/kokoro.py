"""Kokoro (``.kokoro/**/*.cfg``): one job per config, its build file followed."""

from __future__ import annotations

import re
from pathlib import Path

from analyzer.ci.model import Job
from analyzer.ci.scripts import Line, agent_runner, script_job, script_lines
from analyzer.limits import CiLimits
from analyzer.paths import inside_file

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
    runner = agent_runner(
        "windows" if script.endswith((".bat", ".cmd", ".ps1")) or "windows" in hint.lower() else hint
    )
    lines = [Line(rel, line, f"build file {script}")]
    lines += list(script_lines(root, script, limits, set()))
    return script_job(rel, rel.rsplit("/", 1)[-1].removesuffix(".cfg"), line, runner, lines, "kokoro")
