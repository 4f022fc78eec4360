"""What a meson configure step computes that a proof needs (issue 26: generated headers):
the project's options as a wheel build sets them, the compiler checks as compile probes
(``sizeof``, ``has_function``, ``has_type``, ``has_header_symbol``), and ``configure_file``
headers with ``#mesondefine``."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Mapping

from analyzer.buildmodel.meson import meson_configured_text, meson_plan
from analyzer.buildmodel.plan import BuildPlan
from analyzer.native.probe import ProbeJudge
from analyzer.rules import default_rules
from analyzer.targets import load_targets
from analyzer.tri import UNKNOWN, Value

MODELS = load_targets().names
FAST = ProbeJudge(default_rules(), load_targets())


LLP64 = {"short": 2, "int": 4, "long": 4, "long long": 8, "void *": 8, "double": 8}


class Compiler:
    """Answers probes as a toolchain for a 64-bit Windows target would: LLP64 sizes, no
    ``sys/mman.h``, everything else compiles."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def __call__(self, text: str) -> Mapping[str, Value]:
        self.asked.append(text)
        verdict: Value = 1
        size = re.search(r"sizeof\((.+?)\) == (\d+)", text)
        if size is not None:
            verdict = 1 if LLP64.get(size.group(1)) == int(size.group(2)) else 0
        elif "sys/mman.h" in text:
            verdict = 0
        return dict.fromkeys(MODELS, verdict)


def plan_of(files: Mapping[str, str], judge: object = FAST) -> BuildPlan:
    texts = {path: textwrap.dedent(text) for path, text in files.items()}
    plan = meson_plan(frozenset(texts), texts.get, judge, MODELS)  # type: ignore[arg-type]
    assert plan is not None
    return plan


def test_mesondefine_follows_mesons_rules() -> None:
    template = "#mesondefine A\n#mesondefine B\n#mesondefine C\n#mesondefine MISSING\n#define V @V@\n"
    text, unknown = meson_configured_text(template, {"A": True, "B": False, "C": 8, "V": "1.0"})
    assert text == "#define A\n#undef B\n#define C 8\n/* #undef MISSING */\n#define V 1.0\n"
    assert unknown == []
    text, unknown = meson_configured_text(None, {"HAVE_X": "1", "OFF": False, "U": UNKNOWN})
    assert "#define HAVE_X 1\n#undef OFF\n" in text and unknown == ["U"]


MESON = {
    "pyproject.toml": """
        [build-system]
        build-backend = "mesonpy"
        requires = ["meson-python"]
        [tool.meson-python.args]
        setup = ["-Dfast=true"]
    """,
    "meson.options": """
        option('threads', type: 'boolean', value: false, description: 'x')
        option('fast', type: 'boolean', value: false)
        option('flavour', type: 'combo', choices: ['plain', 'spicy'])
        option('blas', type: 'feature', value: 'auto')
    """,
    "meson.build": """
        project('p', 'c')
        cc = meson.get_compiler('c')
        cdata = configuration_data()
        cdata.set10('NO_THREADS', get_option('threads'))
        cdata.set10('FAST', get_option('fast'))
        cdata.set_quoted('FLAVOUR', get_option('flavour'))
        cdata.set('BUILDTYPE', get_option('buildtype'))
        cdata.set('SIZEOF_LONG', cc.sizeof('long'))
        cdata.set('SIZEOF_PTR', cc.sizeof('void *', prefix: '#include <stddef.h>'))
        cdata.set10('HAVE_STRTOLD_L', cc.has_function('strtold_l', prefix: '#include <stdlib.h>'))
        cdata.set10('HAVE_BSWAP', cc.has_function('__builtin_bswap32'))
        cdata.set10('HAVE_MMAN', cc.has_header('sys/mman.h'))
        cdata.set10('HAVE_SSIZE_T', cc.has_type('ssize_t', prefix: '#include <sys/types.h>'))
        cdata.set10('HAVE_DECL_ISNAN', cc.has_header_symbol('math.h', 'isnan'))
        configure_file(input: 'config.h.in', output: 'config.h', configuration: cdata)
        py = import('python').find_installation()
        py.extension_module('m', 'm.c')
    """,
    "config.h.in": """
        #mesondefine NO_THREADS
        #mesondefine FAST
        #mesondefine FLAVOUR
        #mesondefine BUILDTYPE
        #mesondefine SIZEOF_LONG
        #mesondefine SIZEOF_PTR
        #mesondefine HAVE_STRTOLD_L
        #mesondefine HAVE_BSWAP
        #mesondefine HAVE_MMAN
        #mesondefine HAVE_SSIZE_T
        #mesondefine HAVE_DECL_ISNAN
    """,
    "m.c": "int m;\n",
}


def test_the_configure_step_as_a_wheel_build_runs_it() -> None:
    compiler = Compiler()
    (header,) = plan_of(MESON, compiler).generated_headers
    assert (header.path, header.template, header.unknown) == ("config.h", "config.h.in", ())
    text = header.text_on("mingw-arm64")
    assert text is not None
    assert [line.strip() for line in text.splitlines() if line.strip()] == [
        "#define NO_THREADS 0",  # the option's declared default
        "#define FAST 1",  # pyproject.toml's -Dfast=true
        '#define FLAVOUR "plain"',  # a combo's first choice
        "#define BUILDTYPE release",  # what meson-python sets
        "#define SIZEOF_LONG 4",  # compile checks, no program run
        "#define SIZEOF_PTR 8",
        "#define HAVE_STRTOLD_L 1",
        "#define HAVE_BSWAP 1",
        "#define HAVE_MMAN 0",
        "#define HAVE_SSIZE_T 1",
        "#define HAVE_DECL_ISNAN 1",
    ]
    # has_function with a prefix takes the declared function's address; a builtin is
    # asked of the compiler; has_header_symbol accepts a macro.
    assert any("#include <stdlib.h>" in t and "&strtold_l" in t for t in compiler.asked)
    assert any("__has_builtin(__builtin_bswap32)" in t for t in compiler.asked)
    assert any("#include <math.h>" in t and "#ifndef isnan" in t for t in compiler.asked)


def test_what_the_fast_mode_cannot_settle_leaves_the_header_unknown() -> None:
    (header,) = plan_of(MESON).generated_headers
    assert header.text_on("msvc-arm64") is None
    assert {"SIZEOF_LONG", "HAVE_STRTOLD_L"} <= set(header.unknown)
    assert "NO_THREADS" not in header.unknown and "BUILDTYPE" not in header.unknown
    # Per model, as a proof for one model needs it said: SIZEOF_PTR is known on mingw.
    assert "SIZEOF_LONG" in header.unknown_for("msvc-arm64")
    assert header.unknown_for("nonexistent") == ()


def test_the_names_unknown_on_one_model_are_told_apart() -> None:
    """The proof names what its model lacks, not what any model lacks."""
    files = dict(MESON)
    files["config.h.in"] = "#mesondefine CC\n#mesondefine OPT\n"
    files["meson.build"] = (
        "project('p', 'c')\ncdata = configuration_data()\n"
        "cdata.set('OPT', get_option('blas'))\n"
        "if meson.get_compiler('c').get_id() == 'msvc'\n  cdata.set('CC', get_option('cc_name'))\n"
        "else\n  cdata.set('CC', 'gcc-like')\nendif\n"
        "configure_file(input: 'config.h.in', output: 'config.h', configuration: cdata)\n"
        "py = import('python').find_installation()\npy.extension_module('m', 'm.c')\n"
    )
    (header,) = plan_of(files, Compiler()).generated_headers
    assert header.unknown_for("msvc-arm64") == ("CC", "OPT")
    assert header.unknown_for("mingw-arm64") == ("OPT",)


def test_a_feature_option_and_a_missing_option_stay_unknown() -> None:
    files = dict(MESON)
    files["config.h.in"] = "#mesondefine BLAS\n#mesondefine NOPE\n"
    files["meson.build"] = (
        "project('p', 'c')\ncdata = configuration_data()\n"
        "cdata.set('BLAS', get_option('blas'))\ncdata.set('NOPE', get_option('nope'))\n"
        "configure_file(input: 'config.h.in', output: 'config.h', configuration: cdata)\n"
        "py = import('python').find_installation()\npy.extension_module('m', 'm.c')\n"
    )
    (header,) = plan_of(files, Compiler()).generated_headers
    assert header.unknown == ("BLAS", "NOPE")
