"""[tool.woaport] / woaport.toml (issue 27, item 5): found from the scanned directory
upward, validated with clear errors, overridden by the command line, and never taken
from somebody else's sdist."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest

from analyzer.config import Config, ConfigError, ScanSettings, config_table, find_config, load_config
from tests.clirun import run

X86 = "#include <immintrin.h>\n__m128 v;\n"


def rules_reported(*args: str) -> tuple[int, set[str]]:
    code, out = run("scan", *args, "--no-progress", "--json", "-")
    return code, {f["rule_id"] for f in json.loads(out)["findings"]}


def test_settings_are_found_upward_and_the_command_line_wins(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n[tool.woaport]\nignore = ["WOA101"]\n')
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.c").write_text(X86)
    assert find_config(tmp_path / "src") == tmp_path / "pyproject.toml"
    assert rules_reported(str(tmp_path / "src")) == (1, {"WOA104"})
    assert rules_reported(str(tmp_path / "src"), "--ignore", "WOA104") == (1, {"WOA101"})
    assert rules_reported(str(tmp_path / "src"), "--isolated") == (1, {"WOA101", "WOA104"})
    # A woaport.toml nearer the scanned folder is found first; fail-on from it applies.
    (tmp_path / "src" / "woaport.toml").write_text('fail-on = "never"\nselect = ["WOA104"]\n')
    assert rules_reported(str(tmp_path / "src")) == (0, {"WOA104"})
    assert rules_reported(str(tmp_path / "src"), "--fail-on", "error") == (1, {"WOA104"})


def test_the_search_stops_at_the_repository_root(tmp_path: Path) -> None:
    (tmp_path / "woaport.toml").write_text('ignore = ["WOA101"]\n')
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    (tmp_path / "repo" / "a.c").write_text(X86)
    assert find_config(tmp_path / "repo") is None
    assert rules_reported(str(tmp_path / "repo"))[1] == {"WOA101", "WOA104"}


def test_an_sdists_own_settings_are_not_the_users(tmp_path: Path) -> None:
    """An sdist that ignores its own blockers in [tool.woaport] still shows them."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, text in {
            "pkg-1.0/pyproject.toml": '[tool.woaport]\nignore = ["WOA1"]\nfail-on = "never"\n',
            "pkg-1.0/a.c": X86,
        }.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    sdist = tmp_path / "pkg-1.0.tar.gz"
    sdist.write_bytes(buffer.getvalue())
    assert rules_reported(str(sdist)) == (1, {"WOA101", "WOA104"})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('selct = ["WOA1"]\n', "unknown key 'selct'"),
        ('fail-on = "sometimes"\n', "fail-on must be one of note, perf, warning, error, never"),
        ("ignore = 3\n", "ignore must be a list of strings"),
        ('include-tests = "yes"\n', "include-tests must be true or false"),
        ("select = [\n", "not valid TOML"),
    ],
)
def test_bad_settings_are_usage_errors_naming_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "woaport.toml").write_text(text)
    (tmp_path / "a.c").write_text(X86)
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        load_config(tmp_path / "woaport.toml")
    code, out = run("scan", str(tmp_path), "--no-progress")
    assert code == 2 and message in out and "woaport.toml" in out


def test_an_explicit_config_file_and_the_documented_table(tmp_path: Path) -> None:
    (tmp_path / "a.c").write_text(X86)
    settings = tmp_path / "elsewhere.toml"
    settings.write_text('[tool.woaport]\nselect = ["WOA104"]\n')
    settings = settings.rename(tmp_path / "pyproject.toml")
    assert rules_reported(str(tmp_path), "--config", str(settings))[1] == {"WOA104"}
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert config_table() in readme, "run: python scripts/gen_docs.py"


def test_a_pyproject_that_does_not_parse_is_no_configuration(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.woaport\nignore = [\n")
    (tmp_path / "a.c").write_text(X86)
    assert find_config(tmp_path) is None
    assert rules_reported(str(tmp_path)) == (1, {"WOA101", "WOA104"})


def test_scan_settings_take_the_file_where_the_command_line_is_silent() -> None:
    config = Config(
        Path("woaport.toml"),
        {"ignore": ["WOA101"], "target": ["msvc-arm64"], "fail-on": "error", "include-tests": True},
    )
    cli = ScanSettings(ignore=("WOA102",), fail_on="warning")
    assert cli.with_config(config, frozenset()) == ScanSettings(
        ignore=("WOA101",), target=("msvc-arm64",), fail_on="error", include_tests=True
    )
    given = cli.with_config(config, frozenset({"ignore", "fail_on", "targets"}))
    assert (given.ignore, given.fail_on, given.target, given.include_tests) == (
        ("WOA102",),
        "warning",
        (),
        True,
    )
