"""Headers a package installs for other packages (issue 25, item 7) are judged as a
consumer's unit including them sees them, whatever the package's own build compiles:
meson install_headers/install_subdir, setup(headers=...), package_data globs and the
folder get_include() returns. Their findings say they are for consumers and do not decide
this build's verdict; guarded code in them, and headers nobody installs, stay quiet."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.buildmodel.model import tree_reader
from analyzer.buildmodel.public import get_include_headers
from analyzer.model import Confidence, Severity
from analyzer.scan import scan
from analyzer.verdict import judge
from tests.clirun import run

UNGUARDED = "#include <immintrin.h>\nstatic inline void spin(void) { _mm_pause(); }\n"
GUARDED = (
    "#if defined(_M_X64) || defined(__x86_64__)\n#include <immintrin.h>\n"
    "static inline void spin(void) { _mm_pause(); }\n#else\nstatic inline void spin(void) {}\n#endif\n"
)
OWN = "int own(void) { return 0; }\n"
MESON = """\
project('p', 'c')
py = import('python').find_installation(pure: false)
py.extension_module('m', 'm.c', install: true)
install_headers('include/pub.h', 'include/safe.h')
install_subdir('include/more', install_dir: 'include')
"""
SETUP = """\
from setuptools import Extension, setup
setup(
    name="p",
    packages=["pkg"],
    headers=["include/pub.h"],
    package_data={"pkg": ["include/*.h"]},
    ext_modules=[Extension("m", ["m.c"])],
)
"""


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def consumer_findings(root: Path) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for f in scan(root).findings:
        if f.for_consumers and f.confidence is Confidence.HIGH and f.severity is not Severity.PERF:
            found.setdefault(f.location.path, set()).add(f.rule_id)
    return found


def test_meson_installed_headers_are_judged_for_consumers(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "pyproject.toml": '[build-system]\nrequires = ["meson-python"]\nbuild-backend = "mesonpy"\n',
            "meson.build": MESON,
            "m.c": OWN,
            "include/pub.h": UNGUARDED,
            "include/safe.h": GUARDED,
            "include/more/sub.h": UNGUARDED,
            "private/unused.h": UNGUARDED,  # not installed, not included: not compiled
        },
    )
    assert consumer_findings(root) == {
        "include/pub.h": {"WOA101", "WOA102"},
        "include/more/sub.h": {"WOA101", "WOA102"},
    }
    result = scan(root)
    assert not any(f.location.path == "private/unused.h" for f in result.findings)
    code = judge(result).area("code")
    assert code.state == "ok"  # the package's own build is clean
    assert "problem(s) for consumers in installed header(s)" in code.reasons[-1]
    _, text = run("scan", str(root), "--no-progress")
    assert "(an installed header: for consumers that include it)" in text


def test_setuptools_headers_and_package_data_are_installed_headers(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "setup.py": SETUP,
            "m.c": OWN,
            "include/pub.h": UNGUARDED,
            "pkg/__init__.py": "",
            "pkg/include/data.h": UNGUARDED,
            "pkg/include/safe.h": GUARDED,
            "pkg/src/private.h": UNGUARDED,  # in the package, but no glob takes it
        },
    )
    assert set(consumer_findings(root)) == {"include/pub.h", "pkg/include/data.h"}


@pytest.mark.parametrize(
    ("module", "body"),
    [
        ("pkg/__init__.py", "return os.path.join(os.path.dirname(__file__), 'include')"),
        ("pkg/lib/utils.py", "return os.path.join(os.path.dirname(pkg.__file__), '_core', 'include')"),
    ],
)
def test_the_folder_get_include_returns_holds_installed_headers(
    tmp_path: Path, module: str, body: str
) -> None:
    folder = "pkg/include" if module == "pkg/__init__.py" else "pkg/_core/include"
    files = {
        module: f"import os\nimport pkg\n\ndef get_include():\n    {body}\n",
        f"{folder}/api.h": UNGUARDED,
        "pkg/src/internal.h": UNGUARDED,
        "include/build_only.h": UNGUARDED,
    }
    write(tmp_path, files)
    assert get_include_headers(files, tree_reader(tmp_path)) == (f"{folder}/api.h",)


def test_cmake_installed_headers_are_judged_for_consumers(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "pyproject.toml": '[build-system]\nrequires = ["scikit-build-core"]\n'
            'build-backend = "scikit_build_core.build"\n',
            "CMakeLists.txt": "project(p C)\npython_add_library(m MODULE m.c)\n"
            "install(FILES include/pub.h include/safe.h DESTINATION include)\n"
            "install(DIRECTORY include/more/ DESTINATION include/more FILES_MATCHING PATTERN *.h)\n",
            "m.c": OWN,
            "include/pub.h": UNGUARDED,
            "include/safe.h": GUARDED,
            "include/more/sub.h": UNGUARDED,
            "private/unused.h": UNGUARDED,
        },
    )
    assert set(consumer_findings(root)) == {"include/pub.h", "include/more/sub.h"}
