"""Matrix expansion exactly as GitHub documents it, and the expressions that pick runners."""

from __future__ import annotations

from typing import Any

from analyzer.ci.expr import evaluate, open_context, substitute
from analyzer.ci.matrix import expand, flatten
from analyzer.ci.runner import runner_for, setup_python_refuses
from analyzer.tri import UNKNOWN

NO_CONTEXT: dict[str, Any] = {}


def cells(matrix: Any) -> list[dict[str, Any]]:
    expansion = expand(matrix, NO_CONTEXT)
    assert not expansion.unknown, expansion.unknown
    return [dict(c) for c in expansion.cells]


def test_githubs_own_include_example() -> None:
    """The example of GitHub's "Expanding or adding matrix configurations": original
    values are never overwritten, added ones may be, and an entry that fits no original
    combination becomes its own (even when an added one would fit)."""
    matrix = {
        "fruit": ["apple", "pear"],
        "animal": ["cat", "dog"],
        "include": [
            {"color": "green"},
            {"color": "pink", "animal": "cat"},
            {"fruit": "apple", "shape": "circle"},
            {"fruit": "banana"},
            {"fruit": "banana", "animal": "cat"},
        ],
    }
    assert cells(matrix) == [
        {"fruit": "apple", "animal": "cat", "color": "pink", "shape": "circle"},
        {"fruit": "apple", "animal": "dog", "color": "green", "shape": "circle"},
        {"fruit": "pear", "animal": "cat", "color": "pink"},
        {"fruit": "pear", "animal": "dog", "color": "green"},
        {"fruit": "banana"},
        {"fruit": "banana", "animal": "cat"},
    ]


def test_exclude_runs_before_include_and_matches_partial_entries() -> None:
    matrix = {
        "os": ["windows-latest", "windows-11-arm"],
        "python": ["3.9", "3.12"],
        "exclude": [{"os": "windows-11-arm", "python": "3.9"}],
        "include": [{"os": "windows-11-arm", "python": "3.9", "note": "re-added"}],
    }
    assert cells(matrix) == [
        {"os": "windows-latest", "python": "3.9"},
        {"os": "windows-latest", "python": "3.12"},
        {"os": "windows-11-arm", "python": "3.12"},
        {"os": "windows-11-arm", "python": "3.9", "note": "re-added"},
    ]
    only_os = {"os": ["a", "b"], "python": ["1", "2"], "exclude": [{"os": "b"}]}
    assert [c["os"] for c in cells(only_os)] == ["a", "a"]


def test_object_rows_and_numbers_compare_as_github_does() -> None:
    matrix = {
        "platform": [
            {"runner": "windows-latest", "target": "x64"},
            {"runner": "ubuntu-latest", "target": "x86_64"},
        ],
        "python": [3.10, "3.12"],
        "exclude": [{"platform": {"runner": "ubuntu-latest"}}],
    }
    found = cells(matrix)
    assert len(found) == 2 and all(c["platform"]["runner"] == "windows-latest" for c in found)
    assert flatten(found[0])[:2] == (("platform.runner", "windows-latest"), ("platform.target", "x64"))


def test_only_include_and_empty_axes() -> None:
    assert cells({"include": [{"os": "a"}, {"os": "b"}]}) == [{"os": "a"}, {"os": "b"}]
    assert cells({"os": [], "include": [{"os": "c"}]}) == [{"os": "c"}]


def test_unknown_and_oversized_matrices_are_unknown_never_guessed() -> None:
    assert expand("${{ fromJSON(needs.setup.outputs.matrix) }}", NO_CONTEXT).unknown
    assert expand({"os": "${{ fromJSON(needs.a.outputs.os) }}"}, NO_CONTEXT).unknown
    literal = expand({"os": '${{ fromJSON(\'["windows-latest", "windows-11-arm"]\') }}'}, NO_CONTEXT)
    assert [c["os"] for c in literal.cells] == ["windows-latest", "windows-11-arm"]
    big = {f"k{i}": list(range(4)) for i in range(6)}  # 4096 combinations
    assert "more than 256" in expand(big, NO_CONTEXT).unknown


def test_expressions() -> None:
    context = {
        "matrix": {"os": "windows-11-arm", "py": 3.12},
        "runner": {"arch": "ARM64"},
        "env": open_context({}),
    }
    assert substitute("${{ matrix.os }}", context) == "windows-11-arm"
    assert substitute("wheels-${{ matrix.os }}-${{ matrix.py }}", context) == "wheels-windows-11-arm-3.12"
    assert evaluate("runner.arch == 'arm64' && 'arm64' || 'x64'", context) == "arm64"
    assert evaluate("startsWith(matrix.os, 'windows') && !contains(matrix.os, 'arm')", context) is False
    assert evaluate("format('{0}-{1}', matrix.os, 'x')", context) == "windows-11-arm-x"
    assert evaluate("secrets.TOKEN", {**context, "secrets": UNKNOWN}) is UNKNOWN
    assert evaluate("env.NOT_SET_HERE", context) is UNKNOWN  # may come from $GITHUB_ENV
    assert evaluate("matrix.missing", context) is None
    assert evaluate("'unterminated", context) is UNKNOWN
    assert evaluate("(" * 3000, context) is UNKNOWN  # past the length limit


def test_runner_labels() -> None:
    assert (runner_for(["windows-11-arm"]).os, runner_for(["windows-11-arm"]).arch) == ("windows", "arm64")
    assert runner_for(["windows-2022"]).arch == "x64"
    assert runner_for(["ubuntu-24.04-arm"]).arch == "arm64"
    assert runner_for(["macos-13"]).arch == "x64" and runner_for(["macos-14"]).arch == "arm64"
    assert runner_for(["self-hosted", "Windows", "ARM64"]).arch == "arm64"
    assert runner_for(["self-hosted", "windows"]).arch is None  # a self-hosted machine does not say
    assert runner_for(None).os is None


def test_setup_python_on_arm64() -> None:
    arm, x64 = runner_for(["windows-11-arm"]), runner_for(["windows-latest"])
    assert "3.11" in setup_python_refuses("3.10", None, arm)
    assert setup_python_refuses("3.11", None, arm) == ""
    assert "PyPy" in setup_python_refuses("pypy3.10", None, arm)
    assert setup_python_refuses("3.8", None, x64) == ""
    assert setup_python_refuses("3.9", "x64", arm) == ""  # x64 Python under emulation on ARM64
