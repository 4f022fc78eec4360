"""The README's commands work as written (issue 27, item 6): every `woaport ...` line
in a fenced shell block parses against the CLI (options, choices, arity); those that need
neither the network nor a placeholder path run from a copy of the fixtures, and those that
need the index run against one on 127.0.0.1 (placeholders stand for fixture copies)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest

from analyzer.cli import main
from tests.localindex import LocalIndex
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


# What a placeholder in a README command stands for here (a copy of the fixtures, an sdist
# on disk); everything else in the command runs as written, the index being a local one.
PLACEHOLDERS = {"path/to/src": "tree", "path/to/project": "tree", "path/to/checkout": "tree"}
# Cannot run here at all: the SDK download (and prove, which needs it). A cluster at a
# private address is kept: with nothing queued no connection is made.
UNREACHABLE = re.compile(r"\bsdk\b|\bprove\b")
# The example repository is a local one with the same tag (the same clone code path).
EXAMPLE_REPOSITORY = "https://github.com/o/r"
# A top list is shortened (1000 index pages are the same code path as 10).
TOP = re.compile(r"--top \d+")


def _index_projects(index: LocalIndex) -> None:
    """The projects the README names, as a package index would hold them: small sdists
    (an SSE2 call each, so a scan has something to say) and, for some, wheels."""
    from tests.localindex import sdist, wheel

    code = b"#include <emmintrin.h>\nint f(void) { __m128i x = _mm_setzero_si128(); return 0; }\n"
    setup = b"from setuptools import Extension, setup\nsetup(ext_modules=[Extension('m', ['m.c'])])\n"
    for name, version in (
        ("pycryptodome", "3.21.0"),
        ("numpy", "2.5.5"),
        ("kiwisolver", "1.4.5"),
        ("pyyaml", "6.0.3"),
        ("setproctitle", "1.3.7"),
    ):
        files = {f"{name}-{version}.tar.gz": sdist(f"{name}-{version}", {"setup.py": setup, "m.c": code})}
        files.update([wheel(name, version, "cp312-cp312-win_amd64")])
        index.publish(name, files)


def test_readme_commands_that_need_the_index_run_against_a_local_one(
    local_index: LocalIndex, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil
    import subprocess

    from click.testing import CliRunner

    _index_projects(local_index)
    work = tmp_path / "work"
    shutil.copytree(FIXTURES / "rules" / "WOA101", work / "tree")
    (work / "dist").mkdir()
    from tests.localindex import sdist

    (work / "dist" / "pkg-1.0.tar.gz").write_bytes(
        sdist("pkg-1.0", {p.name: p.read_bytes() for p in (work / "tree").iterdir() if p.is_file()})
    )
    subprocess.run(["git", "init", "-q", str(work)], check=True)
    repository = tmp_path / "repository"
    shutil.copytree(work / "tree", repository)
    git = ["git", "-C", str(repository), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(["git", "init", "-q", str(repository)], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "tree"], check=True)
    subprocess.run([*git, "tag", "v1.2"], check=True)
    monkeypatch.chdir(work)
    monkeypatch.setenv("PIP_INDEX_URL", local_index.url)
    # The survey proves by default; its SDK's sources come from here, which has none: the
    # survey says so and goes on without proofs (no public archive is asked).
    monkeypatch.setenv("WOAPORT_DEBIAN_MIRROR", local_index.url)
    ran = []
    for command in COMMANDS:
        if not NEEDS_ELSEWHERE.search(command) or UNREACHABLE.search(command):
            continue
        for placeholder, stand_in in PLACEHOLDERS.items():
            command = command.replace(placeholder, stand_in)
        command = TOP.sub("--top 5", command).replace(EXAMPLE_REPOSITORY, repository.as_uri())
        argv = shlex.split(command)[1:]
        result = CliRunner().invoke(main, argv)
        assert result.exception is None or isinstance(result.exception, SystemExit), (command, result.output)
        assert result.exit_code in (0, 1), (command, result.output)
        ran.append(argv[0])
        if argv[0] == "scan":  # every scanned input holds an SSE2 call: found, exit 1
            assert result.exit_code == 1 and "WOA10" in result.output, (command, result.output)
    # Every kind of command the README shows with the index ran, not only parsed.
    assert {"scan", "build-plan", "ci", "fix", "status", "survey", "init"} <= set(ran), ran
    assert (work / "status.json").exists() and (work / "site").is_dir()


def _fenced(language: str) -> list[str]:
    """Every fenced block of ``language`` in the README, in order."""
    return re.findall(rf"^```{language}\n(.*?)^```", README, flags=re.M | re.S)


def test_the_readme_configuration_example_is_valid_configuration(tmp_path: Path) -> None:
    from analyzer.config import find_config, load_config

    (block,) = _fenced("toml")
    (tmp_path / "pyproject.toml").write_text(block)
    found = find_config(tmp_path)
    assert found is not None
    config = load_config(found)  # a key or value the CLI does not take is a ConfigError
    assert config.values["ignore"] == ["WOA160"] and config.values["fail-on"] == "warning"


def test_the_readme_yaml_examples_match_the_hook_the_action_and_init(tmp_path: Path) -> None:
    """The pre-commit entry names the hook .pre-commit-hooks.yaml defines and is what
    `woaport init` writes (but for the commit); the workflow step's inputs are the
    action's."""
    import subprocess

    from click.testing import CliRunner
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe")
    workflow, precommit = _fenced("yaml")
    hooks = yaml.load((REPO / ".pre-commit-hooks.yaml").read_text())
    entry = yaml.load(precommit)["repos"][0]
    assert [h["id"] for h in entry["hooks"]] == [hooks[0]["id"]]
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    assert CliRunner().invoke(main, ["init", str(tmp_path), "--rev", "0" * 40]).exit_code == 0
    written = yaml.load((tmp_path / ".pre-commit-config.yaml").read_text())["repos"][0]
    assert written["repo"] == entry["repo"] and written["hooks"] == entry["hooks"]
    action = yaml.load((REPO / "action.yml").read_text())
    named = re.search(r"# inputs: (.*)", workflow)
    assert named is not None
    assert [n.strip() for n in named.group(1).split(",")] == list(action["inputs"])
    assert "woaport/woaport@<commit>" in workflow and entry["repo"].endswith("/woaport/woaport")
