"""The README's commands work as written (issue 27, item 6): every `woaport ...` line
in a fenced shell block parses against the CLI (options, choices, arity), and those that
need neither the network nor a placeholder path run, from a copy of the fixtures."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest

from analyzer.cli import main
from tests.paths import FIXTURES, REPO

README = (REPO / "README.md").read_text(encoding="utf-8")
# Inputs a command cannot have here: the index, a remote repository, a placeholder path.
NEEDS_ELSEWHERE = re.compile(
    r"pypi:|==|git\+|path/to/|dist/|--top\b|\bstatus\b|\bsurvey\b|\bsdk\b|\bprove\b|\binit\b"
)


def readme_commands() -> list[str]:
    commands = []
    in_shell = False
    for line in README.splitlines():
        fence = re.match(r"^```(\w*)", line)
        if fence:
            in_shell = not in_shell and fence.group(1) in ("bash", "sh", "console")
            continue
        if in_shell:
            # The first lines chain setup with `&&`: their woaport part counts as well.
            for part in line.split("&&"):
                command = part.split("  #")[0].split(" # ")[0].strip()
                if command.startswith("woaport"):
                    commands.append(command)
    return commands


COMMANDS = readme_commands()


def test_the_readme_has_commands() -> None:
    assert len(COMMANDS) >= 15 and "woaport scan" in COMMANDS


@pytest.mark.parametrize("command", COMMANDS)
def test_every_readme_command_parses(command: str) -> None:
    argv = shlex.split(command)[1:]
    if not argv or argv[0].startswith("-"):
        main.make_context("woaport", list(argv)).close()
        return
    sub = main.commands.get(argv[0])
    assert sub is not None, command
    try:
        sub.make_context(argv[0], argv[1:]).close()
    except click.BadParameter as error:
        # A path that exists only where the reader runs it (--python-sdk DIR...).
        assert "does not exist" in str(error), (command, error)


@pytest.mark.parametrize("command", [c for c in COMMANDS if not NEEDS_ELSEWHERE.search(c)])
def test_readme_commands_that_need_nothing_else_run(
    command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    from click.testing import CliRunner

    work = tmp_path / "work"
    shutil.copytree(FIXTURES / "rules" / "WOA101", work)
    monkeypatch.chdir(work)
    result = CliRunner().invoke(main, shlex.split(command)[1:])
    assert result.exception is None or isinstance(result.exception, SystemExit), (command, result.output)
    assert result.exit_code in (0, 1), (command, result.output)
