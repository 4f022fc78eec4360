"""``woaport ci``: the table of jobs × cells → wheel tags, JSON, exit codes, inert text."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.clirun import run
from tests.localindex import LocalIndex
from tests.paths import FIXTURES

CI = FIXTURES / "ci"


def test_table_names_each_cell_runner_and_tags() -> None:
    code, out = run("ci", str(CI / "test-only"))
    assert code == 0
    assert "job 'wheels' (released)" in out
    assert "os=windows-11-arm  [windows-11-arm: windows/arm64]  cibuildwheel: cp39-win_arm64" in out
    assert "job 'test'" not in out  # a test-only job is not part of what ships
    assert out.rstrip().endswith("win_arm64: yes, built by job 'wheels'")


def test_exit_1_when_windows_wheels_are_built_but_none_for_arm64() -> None:
    code, out = run("ci", str(CI / "archs-exclude-arm64"))
    assert code == 1 and "none for ARM64" in out
    code, out = run("ci", str(CI / "maturin-old-python"))
    assert code == 1 and "fail-fast cancels" in out


def test_json_has_every_cell(tmp_path: Path) -> None:
    target = tmp_path / "ci.json"
    code, _ = run("ci", str(CI / "exclude-old-python"), "--json", str(target), "-q")
    data = json.loads(target.read_text())
    assert code == 0 and data["schema"] == "woaport-ci/1" and data["ships_win_arm64"] is True
    build = next(j for j in data["jobs"] if j["job"] == "build")
    assert [c["builds"][0]["tags"] for c in build["cells"]] == [
        ["cp39-win_amd64"],
        ["cp312-win_amd64"],
        ["cp312-win_arm64"],
    ]
    assert build["released"] is True and build["delivered"] == ["win_amd64", "win_arm64"]


def test_package_text_is_inert_in_the_terminal(tmp_path: Path) -> None:
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "w.yml").write_text(
        'on: [push]\njobs:\n  "evil\\e]8;;http://x\\aclick\\e[2J":\n    runs-on: windows-latest\n'
        "    steps:\n      - uses: pypa/cibuildwheel@v3\n"
    )
    code, out = run("ci", str(tmp_path))
    assert code == 1
    assert "\x1b" not in out and "\x07" not in out and "\\x1b]8;;" in out


def test_unreadable_input_exits_2(tmp_path: Path) -> None:
    code, _ = run("ci", str(tmp_path / "missing.tar.gz"))
    assert code == 2


def test_scan_reports_are_inert_for_terminals_and_sarif_uris_are_encoded(tmp_path: Path) -> None:
    """A file name and a line carrying ANSI/OSC sequences (issue 24) reach the terminal
    escaped; SARIF names the file with a percent-encoded URI reference."""
    name = "evil\x1b]8;;http:x\x07 #%41?.c"
    (tmp_path / name).write_text("#include <immintrin.h>\n__m128 v; /* \x1b[2J */\n")
    code, out = run("scan", str(tmp_path))
    assert code == 1 and "\x1b" not in out and "\x07" not in out and "\\x1b]8;;" in out
    _, sarif = run("scan", str(tmp_path), "--sarif", "-")
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in json.loads(sarif)["runs"][0]["results"]
    }
    assert uris == {"evil%1B%5D8%3B%3Bhttp%3Ax%07%20%23%2541%3F.c"}


def test_markdown_reports_carry_no_html_or_links_from_the_package(tmp_path: Path) -> None:
    """A file name and a setup.py with HTML and a javascript: link (issue 24): the
    markdown report shows them as text."""
    name = "x<img src=x onerror=alert(1)>](javascript:alert(1)).c"
    (tmp_path / name).write_text("#include <immintrin.h>\n__m128 v;\n")
    _, md = run("scan", str(tmp_path), "--markdown", "-")
    outside_code = re.sub(r"`[^`\n]*`", "", md)  # code spans render literally
    assert "<img" not in outside_code
    assert re.search(r"(?<!\\)\]\(javascript:", outside_code) is None  # "\](" is a literal bracket
    assert "&lt;img" in outside_code


def test_check_deps_names_the_cells_whose_build_requirements_have_no_wheel(
    tmp_path: Path, local_index: LocalIndex
) -> None:
    """Issue 25: cibuildwheel selects cp39..cp314-win_arm64, but numpy>=2 (a build
    requirement) has win_arm64 wheels for 3.11 and later only: 3.9 and 3.10 would build
    numpy from source. setuptools has a pure wheel; a marker for other platforms is not
    asked; an unknown project is named."""
    import shutil

    from tests.localindex import sdist, wheel

    tree = tmp_path / "tree"
    shutil.copytree(CI / "test-only", tree)
    (tree / "pyproject.toml").write_text(
        "[build-system]\n"
        'requires = ["setuptools>=64", "numpy>=2", "oldlib; sys_platform == \'linux\'"]\n'
        'build-backend = "setuptools.build_meta"\n'
        '[project]\nname = "demo"\nversion = "1.0"\nrequires-python = ">=3.9"\n'
    )
    numpy = dict(
        wheel("numpy", "2.3.0", f"cp3{minor}-cp3{minor}-win_arm64") for minor in (11, 12, 13, 14)
    ) | {"numpy-2.3.0.tar.gz": sdist("numpy-2.3.0", {"PKG-INFO": b""})}
    local_index.publish("numpy", numpy)
    local_index.publish("setuptools", dict([wheel("setuptools", "80.0", "py3-none-any")]))
    code, out = run("ci", str(tree), "--check-deps", "--index-url", local_index.url)
    gaps = [line for line in out.splitlines() if "build requirement" in line]
    tags = [g.split()[1].rstrip(":") for g in gaps]
    # In Python order; 3.11-3.14 have wheels (3.14t and pre-release 3.15 do not).
    assert tags[:2] == ["cp39-win_arm64", "cp310-win_arm64"], out
    assert not {"cp311-win_arm64", "cp312-win_arm64", "cp313-win_arm64", "cp314-win_arm64"} & set(tags)
    assert "numpy 2.3.0 has no wheel for CPython 3.10 on win_arm64 (only an sdist" in gaps[1]
    assert local_index.hits("/simple/oldlib/") == 0  # its marker excludes Windows ARM64
    code, out = run("ci", str(tree), "--check-deps", "--index-url", local_index.url, "--json", "-")
    assert code == 0  # a likely failure to check, not a certain one: the exit code is the CI's
    data = json.loads(out)
    assert [g["tag"] for g in data["dependency_gaps"]] == tags
    assert "dependency_gaps" not in json.loads(run("ci", str(tree), "--json", "-")[1])  # not asked
