"""meson subprojects are vendored (issue 25, item 5): judged only where the project's
build uses them — the sources their meson.build compiles for the project and the headers
a unit includes — never standalone, and their other build systems are not judged."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.scan import scan
from analyzer.verdict import judge

MESON = """\
project('p', 'c')
py = import('python').find_installation(pure: false)
lib = subproject('lib')
py.extension_module('m', 'm.c', dependencies: lib.get_variable('lib_dep'), install: true)
"""
PYPROJECT = '[build-system]\nrequires = ["meson-python"]\nbuild-backend = "mesonpy"\n'
SUBPROJECT = """\
project('lib', 'c')
lib_dep = declare_dependency(sources: files('used.c'), include_directories: include_directories('.'))
"""


# A target whose sources the model cannot know: the plan is incomplete, so a source no
# one lists or includes would otherwise be taken for a unit of its own.
UNREADABLE = "py.extension_module('n', get_option('extra'), install: true)\n"


def _tree(root: Path, used: str, meson: str = MESON) -> Path:
    files = {
        "pyproject.toml": PYPROJECT,
        "meson.build": meson,
        "m.c": '#include "used.h"\nint m(void) { return used(); }\n',
        "subprojects/lib/meson.build": SUBPROJECT,
        "subprojects/lib/used.h": "int used(void);\n",
        "subprojects/lib/used.c": used,
        # Neither compiled by the build nor included by a unit: vendored, not judged.
        "subprojects/lib/bench/avx_bench.c": "#include <immintrin.h>\nvoid b(void) { _mm_pause(); }\n",
        "subprojects/lib/simd/sse_only.h": "#include <emmintrin.h>\n",
        # Another build system of the subproject: not what builds it here.
        "subprojects/lib/CMakeLists.txt": "project(l C)\nadd_compile_options(-mavx2)\nadd_library(l a.c)\n",
    }
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


@pytest.mark.parametrize("meson", [MESON, MESON + UNREADABLE], ids=["complete", "incomplete"])
def test_what_the_build_does_not_use_in_a_subproject_is_not_judged(tmp_path: Path, meson: str) -> None:
    result = scan(_tree(tmp_path, '#include "used.h"\nint used(void) { return 1; }\n', meson))
    paths = {f.location.path for f in result.findings} | {f.location.path for f in result.not_compiled}
    assert not any(p.startswith("subprojects/") for p in paths), paths
    assert judge(result).area("code").state == "ok"


def test_a_subproject_source_the_build_compiles_is_judged(tmp_path: Path) -> None:
    used = '#include <immintrin.h>\n#include "used.h"\nint used(void) { _mm_pause(); return 1; }\n'
    result = scan(_tree(tmp_path, used))
    found = {
        (f.rule_id, f.location.path) for f in result.findings if f.location.path.startswith("subprojects/")
    }
    assert ("WOA101", "subprojects/lib/used.c") in found
    assert {p for _, p in found} == {"subprojects/lib/used.c"}  # nothing else of the subproject
    assert judge(result).area("code").state == "blocked"
