"""The setup.py evaluator has no way out: no attribute traversal in format strings, no
real environment, and a work budget that refuses before building a huge value.

Every attack plants a secret in this process's environment and asserts it appears in
nothing the build model or the scan produces."""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer.buildmodel.pyeval import safe_format, safe_percent
from analyzer.buildmodel.setuptools import setuptools_plan
from analyzer.buildmodel.values import UNKNOWN
from tests.buildmodel.test_interpreters import JUDGE, MODELS, tree
from tests.clirun import run

SECRET = "woaport-planted-secret-7f3a"
HEAD = "from setuptools import setup, Extension\next = Extension('m', ['m.c'])\n"
ATTACKS = [
    "v = '{0.__init__.__globals__}'.format(ext)\n",
    "v = '{0.__class__.__init__.__globals__[os].environ[WOAPORT_SECRET]}'.format(ext)\n",
    "v = '{e.__dict__}'.format(e=ext)\n",
    "v = '{0[__class__]}'.format({'__class__': 1}) + '{0.real}'.format(5)\n",
    "import os\nv = os.environ['WOAPORT_SECRET']\n",
    "import os\nv = os.environ.get('WOAPORT_SECRET', 'x')\n",
    "import os\nv = os.getenv('WOAPORT_SECRET')\n",
    "import os\nv = str(dict(os.environ))\n",
    "v = f'{ext.__init__.__globals__}'\n",
    "v = '%(x)s' % ext.__dict__\n",
]


@pytest.fixture(autouse=True)
def planted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WOAPORT_SECRET", SECRET)


@pytest.mark.parametrize("attack", ATTACKS)
def test_no_attack_reaches_the_environment_or_woaports_globals(attack: str, tmp_path: Path) -> None:
    uses = "define_macros=[('V', v)], extra_compile_args=['-D' + v, '-mavx2']"
    body = HEAD + attack + f"setup(ext_modules=[Extension('m', ['m.c'], {uses})])\n"
    (tmp_path / "setup.py").write_text(body)
    (tmp_path / "m.c").write_text("int m;\n")
    names, texts = tree({"setup.py": body})
    plan = setuptools_plan("setup.py", None, names | {"m.c"}, texts.get, JUDGE, MODELS)
    assert SECRET not in repr(plan)
    assert "__globals__" not in repr(plan) and "function" not in repr(plan).lower().replace("functions", "")
    for command in (["scan", str(tmp_path), "--json", "-"], ["build-plan", str(tmp_path)]):
        _, out = run(*command)
        assert SECRET not in out, command


def test_plain_formatting_still_evaluates() -> None:
    assert safe_format("{0}-{1[0]}-{k}", ["a", ["b"]], {"k": 3}) == "a-b-3"
    assert safe_format("{:>5}", ["a"], {}) == "    a"
    assert safe_percent("%s-%02d", ("a", 2)) == "a-02"


@pytest.mark.parametrize(
    ("template", "args"),
    [("{0.__class__}", ["a"]), ("{0.real}", [5]), ("{:>100000000}", ["a"]), ("{0:{1}}", ["a", 5])],
)
def test_format_refuses_attributes_nested_specs_and_huge_widths(template: str, args: list[object]) -> None:
    assert safe_format(template, args, {}) is UNKNOWN


@pytest.mark.parametrize("template", ["%0900000000d", "%*d", "%.900000000f"])
def test_percent_refuses_huge_or_starred_widths(template: str) -> None:
    assert safe_percent(template, (1, 2) if "*" in template else 1) is UNKNOWN


BOMBS = [
    "x = 1 << (10 ** 9)\n",
    "x = (10 ** 256) ** 256\n",
    "x = 'ab' * 1000\nfor i in range(40):\n    x = x + x\n",
    "x = [1] * 1000\nfor i in range(40):\n    x = x + x\n",
    "x = [1]\nfor i in range(40):\n    x.extend(x)\n",
    "x = 'a' * 1000\nx = x * 1000\ny = x.split('a')\n",
    "x = ('a' * 1000) * 1000\nz = x.replace('a', 'bbbbbbbbbb')\n",
    "x = ('%0' + '9' * 8 + 'd') % 1\n",
]


@pytest.mark.parametrize("bomb", BOMBS)
def test_value_bombs_are_refused_before_they_are_built(bomb: str) -> None:
    names, texts = tree({"setup.py": HEAD + bomb + "setup(ext_modules=[ext])\n"})
    plan = setuptools_plan("setup.py", None, names | {"m.c"}, texts.get, JUDGE, MODELS)
    assert plan is not None and [s.path for s in plan.sources] == ["m.c"]


_ATOMS = st.sampled_from(["1", "2", "7", "'ab'", "[1, 2]", "(1,)", "x", "y"])
_OPS = st.sampled_from(["+", "*", "<<", "**", "%"])


@st.composite
def expressions(draw: st.DrawFn, depth: int = 4) -> str:
    if depth == 0 or draw(st.booleans()):
        return draw(_ATOMS)
    return f"({draw(expressions(depth - 1))} {draw(_OPS)} {draw(expressions(depth - 1))})"


@settings(max_examples=60, deadline=None)
@given(st.lists(expressions(), min_size=1, max_size=6))
def test_random_arithmetic_stays_within_the_budget(lines: list[str]) -> None:
    """Any chain of these operations, fed back into itself, ends quickly and small: the
    budget refuses before building past a constant factor of its limits."""
    body = "x = 3\ny = 'abc'\n" + "".join(f"x = {e}\ny = {e}\n" for e in lines)
    names, texts = tree({"setup.py": HEAD + textwrap.dedent(body) + "setup(ext_modules=[ext])\n"})
    plan = setuptools_plan("setup.py", None, names | {"m.c"}, texts.get, JUDGE, MODELS)
    assert plan is not None
    assert len(json.dumps(repr(plan))) < 200_000


def test_secret_is_really_planted() -> None:
    assert os.environ["WOAPORT_SECRET"] == SECRET  # the attacks above would see it if they could
