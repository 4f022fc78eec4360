"""Headers of a package's build requirements for prove: read from pyproject.toml, the
wheel chosen on an index at 127.0.0.1, unpacked defensively into the cache (headers
only), include folders found statically; and a real proof that needs them (slow)."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from analyzer.index.simple import DistFile, SimpleIndex
from analyzer.sdk.requires import build_requirements, choose_wheel, include_dirs_of, requirement_headers
from tests.clirun import run
from tests.localindex import LocalIndex

HEADER = b"#define HDRPKG_ANSWER 42\nstatic inline int hdrpkg_answer(void) { return HDRPKG_ANSWER; }\n"


def header_wheel(
    name: str, version: str, tag: str, members: dict[str, bytes] | None = None
) -> tuple[str, bytes]:
    dist = f"{name}-{version}"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for member, data in (members or {f"{name}/include/{name}/{name}.h": HEADER}).items():
            archive.writestr(member, data)
        archive.writestr(f"{name}/_native.pyd", b"MZ binary that is not kept")
        archive.writestr(
            f"{dist}.dist-info/METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
        )
    return f"{dist}-{tag}.whl", buffer.getvalue()


def pyproject(tree: Path, requires: list[str]) -> None:
    tree.mkdir(parents=True, exist_ok=True)
    (tree / "pyproject.toml").write_text(
        f'[build-system]\nrequires = {json.dumps(requires)}\nbuild-backend = "setuptools.build_meta"\n'
    )


def test_build_requirements_skip_tools_and_other_platforms(tmp_path: Path) -> None:
    pyproject(
        tmp_path,
        [
            "setuptools>=77", "wheel", "Cython>=3", "numpy>=2.0; python_version>='3.9'",
            "pybind11[global]>=2.12", "oldlib; sys_platform != 'win32'", "not a requirement !!", "numpy",
        ],
    )  # fmt: skip
    assert [str(r) for r in build_requirements(tmp_path, "3.13")] == [
        'numpy>=2.0; python_version >= "3.9"',
        "pybind11[global]>=2.12",
    ]
    assert build_requirements(tmp_path / "nowhere", "3.13") == ()


def test_setup_requires_of_setup_py_and_setup_cfg_are_build_requirements(tmp_path: Path) -> None:
    """Issue 26, item 3: a setuptools project that names its header-carrying build
    requirements in setup_requires (a literal, or a name bound to one), or in setup.cfg;
    read statically, so code around them never runs."""
    (tmp_path / "setup.py").write_text(
        "import os\nfrom setuptools import setup\n"
        "os.system('echo never run')\n"
        "NEEDS = ['pybind11>=2.10', 'setuptools_scm']\n"
        "setup(name='x', setup_requires=NEEDS)\n"
    )
    (tmp_path / "setup.cfg").write_text("[options]\nsetup_requires =\n    cppy>=1.2\n    wheel\n")
    assert [str(r) for r in build_requirements(tmp_path, "3.13")] == ["pybind11>=2.10", "cppy>=1.2"]
    (tmp_path / "setup.py").write_text("setup(setup_requires=['numpy>=2'],\n")  # does not parse
    (tmp_path / "setup.cfg").write_text("[options\nsetup_requires = nanobind\n")  # nor does this
    assert build_requirements(tmp_path, "3.13") == ()


def test_the_wheel_is_win_arm64_then_win_amd64_then_any_in_the_newest_allowed_release() -> None:
    def files(*names: str) -> list[DistFile]:
        return [DistFile(n, f"http://127.0.0.1/{n}", ()) for n in names]

    numpy = files(
        "numpy-2.1.0-cp313-cp313-win_arm64.whl",
        "numpy-2.1.0-cp313-cp313-win_amd64.whl",
        "numpy-2.2.0-cp313-cp313-win_amd64.whl",
        "numpy-2.2.0-cp313-cp313-manylinux_2_17_aarch64.whl",
        "numpy-3.0.0rc1-cp313-cp313-win_arm64.whl",
    )
    chosen = choose_wheel(numpy, Requirement("numpy>=2"), "3.13")
    assert chosen is not None and chosen.filename == "numpy-2.2.0-cp313-cp313-win_amd64.whl"
    older = choose_wheel(numpy, Requirement("numpy<2.2"), "3.13")
    assert older is not None and older.filename == "numpy-2.1.0-cp313-cp313-win_arm64.whl"
    pure = choose_wheel(files("pybind11-2.13.6-py3-none-any.whl"), Requirement("pybind11"), "3.13")
    assert pure is not None and pure.filename.endswith("py3-none-any.whl")
    assert choose_wheel(numpy, Requirement("numpy>5"), "3.13") is None


def test_include_dirs_are_found_without_importing_anything(tmp_path: Path) -> None:
    (tmp_path / "numpy" / "_core" / "include" / "numpy").mkdir(parents=True)
    (tmp_path / "numpy" / "_core" / "include" / "numpy" / "arrayobject.h").write_text("")
    (tmp_path / "docs" / "include").mkdir(parents=True)  # no header in it: not an include folder
    (tmp_path / "docs" / "include" / "readme.txt").write_text("")
    assert include_dirs_of(tmp_path) == (tmp_path / "numpy" / "_core" / "include", tmp_path)


def test_headers_come_from_the_index_once_and_only_headers_stay(
    local_index: LocalIndex, tmp_path: Path
) -> None:
    local_index.publish("hdrpkg", dict([header_wheel("hdrpkg", "1.0", "py3-none-any")]))
    tree = tmp_path / "tree"
    pyproject(tree, ["setuptools", "hdrpkg>=1"])
    cache = tmp_path / "cache"
    with SimpleIndex(local_index.url, timeout=10) as index:
        found, notes = requirement_headers(tree, index, "3.13", cache)
        assert notes == ()
        (item,) = found
        include = item.include_dirs[0]
        assert (include / "hdrpkg" / "hdrpkg.h").read_bytes() == HEADER
        assert not list(cache.rglob("*.pyd")) and not list(cache.rglob("METADATA"))
        downloads = local_index.hits("/files/hdrpkg-1.0-py3-none-any.whl")
        again, _ = requirement_headers(tree, index, "3.13", cache)
        assert again == found and local_index.hits("/files/hdrpkg-1.0-py3-none-any.whl") == downloads


def test_a_hostile_or_missing_requirement_is_a_note_not_a_failure(
    local_index: LocalIndex, tmp_path: Path
) -> None:
    evil = header_wheel(
        "evilhdr", "1.0", "py3-none-any", {"../../escape.h": b"x", "evilhdr/include/e.h": b"y"}
    )
    local_index.publish("evilhdr", dict([evil]))
    tree = tmp_path / "tree"
    pyproject(tree, ["evilhdr", "nosuchpkg"])
    with SimpleIndex(local_index.url, timeout=10, retries=0) as index:
        found, notes = requirement_headers(tree, index, "3.13", tmp_path / "cache")
    assert not (tmp_path / "escape.h").exists() and not list(tmp_path.rglob("escape.h"))
    assert [item.name for item in found] == ["evilhdr"]  # the member inside the wheel is kept
    assert any("nosuchpkg" in note and "not on the index" in note for note in notes)


@pytest.mark.slow
def test_prove_compiles_a_module_that_includes_a_build_requirements_header(
    local_index: LocalIndex, tmp_path: Path
) -> None:
    from tests.prove.test_prove import real_sdk

    sdks = real_sdk()
    local_index.publish("hdrpkg", dict([header_wheel("hdrpkg", "1.0", "py3-none-any")]))
    tree = tmp_path / "tree"
    pyproject(tree, ["setuptools", "hdrpkg"])
    (tree / "setup.py").write_text(
        "from setuptools import setup, Extension\n"
        'setup(name="uses", ext_modules=[Extension("uses", ["uses.c"])])\n'
    )
    (tree / "uses.c").write_text(
        "#include <Python.h>\n#include <hdrpkg/hdrpkg.h>\n"
        'static struct PyModuleDef m = {PyModuleDef_HEAD_INIT, "uses", NULL, -1, NULL};\n'
        "PyMODINIT_FUNC PyInit_uses(void) { return hdrpkg_answer() ? PyModule_Create(&m) : NULL; }\n"
    )
    args = ["prove", str(tree), "--python-sdk", str(sdks), "--out", str(tmp_path / "out"), "--json"]
    code, output = run(*args, str(tmp_path / "a.json"), "--index-url", local_index.url, "--no-requires")
    (module,) = json.loads((tmp_path / "a.json").read_text())["modules"]
    assert not module["built"] and module["reason"] == "missing-header", output
    code, output = run(*args, str(tmp_path / "b.json"), "--index-url", local_index.url)
    (module,) = json.loads((tmp_path / "b.json").read_text())["modules"]
    assert code == 0 and module["built"], output
    assert "headers of build requirement hdrpkg" in output


def test_cython_cimports_a_build_requirements_pxd_from_its_include_dirs(tmp_path: Path) -> None:
    """statsmodels' ``cimport numpy``: the ``.pxd`` ships in numpy's wheel, not the sdist."""
    from analyzer import cython

    if not cython.available():
        pytest.skip("the cython package is not installed")
    wheel = tmp_path / "wheel"
    (wheel / "hdrpkg").mkdir(parents=True)
    (wheel / "hdrpkg" / "__init__.pxd").write_text(
        'cdef extern from "hdrpkg/hdrpkg.h":\n    int hdrpkg_answer()\n'
    )
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "uses.pyx").write_text("cimport hdrpkg\n\ndef answer():\n    return hdrpkg.hdrpkg_answer()\n")
    made, problems = cython.translate(tree, ["uses.pyx"], tmp_path / "a", 1)
    assert not made and problems
    made, problems = cython.translate(tree, ["uses.pyx"], tmp_path / "b", 1, include_dirs=[wheel])
    assert problems == [] and '#include "hdrpkg/hdrpkg.h"' in made[0].path.read_text()


# A stand-in for an old Cython release: the command line Cython offers (python -m cython
# ... -o OUT SOURCE), writing C that says which Cython made it.
FAKE_CYTHON = b"""\
import sys
out = sys.argv[sys.argv.index("-o") + 1]
with open(out, "w") as handle:
    handle.write("/* Generated by Cython 0.29.99 (the build requirements') */\\nint made_by_old_cython;\\n")
"""


def cython_wheel(version: str, tag: str = "py2.py3-none-any") -> tuple[str, bytes]:
    return header_wheel(
        "Cython",
        version,
        tag,
        {"cython.py": FAKE_CYTHON, "Cython/__init__.py": f"__version__ = {version!r}\n".encode()},
    )


def test_the_cython_the_build_requirements_ask_for_translates_the_pyx(
    local_index: LocalIndex, tmp_path: Path
) -> None:
    """Issue 26, item 2: ``Cython<3`` in build-system.requires, a Cython 3 installed: the
    newest 0.29 release's wheel is fetched into the cache (never installed) and it is what
    translates; a range the installed Cython meets fetches nothing."""
    from analyzer import cython
    from analyzer.sdk.requires import installed_cython, resolve_cython

    installed = installed_cython()
    if installed is None or not installed.version.startswith("3"):
        pytest.skip("needs an installed Cython 3")
    local_index.publish(
        "cython", dict([cython_wheel("0.29.99"), cython_wheel("0.29.98"), cython_wheel("3.9.0")])
    )
    tree = tmp_path / "tree"
    pyproject(tree, ["setuptools", "Cython<3; python_version >= '3.8'"])
    (tree / "m.pyx").write_text("def f():\n    return 1\n")
    logs: list[str] = []

    def open_index() -> SimpleIndex:
        return SimpleIndex(local_index.url, timeout=10)

    tool = resolve_cython(tree, open_index, "3.13", tmp_path / "cache", logs.append)
    assert tool is not None and tool.version == "0.29.99" and tool.path is not None
    assert tool.origin == "Cython-0.29.99-py2.py3-none-any.whl" and any("Cython<3" in line for line in logs)
    made, problems = cython.translate(tree, ["m.pyx"], tmp_path / "out", 1, tool=tool)
    assert problems == [] and "Cython 0.29.99" in made[0].path.read_text()
    # The installed Cython when the range admits it: nothing fetched.
    pyproject(tree, ["setuptools", "Cython>=3"])
    hits = local_index.hits("/simple/cython/")
    assert resolve_cython(tree, open_index, "3.13", tmp_path / "cache") == installed
    assert local_index.hits("/simple/cython/") == hits
    # No wheel in range on the index: the installed one, and a note says so.
    pyproject(tree, ["Cython<0.20"])
    logs.clear()
    assert resolve_cython(tree, open_index, "3.13", tmp_path / "cache", logs.append) == installed
    assert any("no Cython wheel on the index" in line for line in logs)


def test_a_runnable_wheel_is_one_this_interpreter_can_import() -> None:
    from analyzer.sdk.requires import runnable_wheel

    def files(*names: str) -> list[DistFile]:
        return [DistFile(n, f"http://127.0.0.1/{n}", ()) for n in names]

    choices = files(
        "Cython-0.29.37-cp311-cp311-win_arm64.whl",  # another platform
        "Cython-0.29.37-py2.py3-none-any.whl",
        "Cython-3.0.0-py3-none-any.whl",  # out of range
    )
    chosen = runnable_wheel(choices, Requirement("cython<3"))
    assert chosen is not None and chosen.filename == "Cython-0.29.37-py2.py3-none-any.whl"
    assert runnable_wheel(files("Cython-0.29.37-cp311-cp311-win_arm64.whl"), Requirement("cython<3")) is None


NB_WHEEL = {
    "nanobind/include/nanobind/nanobind.h": b"int nb_answer(void);\n",
    "nanobind/ext/robin_map/include/tsl/robin_map.h": b"/* map */\n",
    "nanobind/src/nb_combined.cpp": (
        b'#include <nanobind/nanobind.h>\nextern "C" int nb_answer(void) { return 42; }\n'
    ),
    "nanobind/src/other.cpp": b"int other;\n",
}


def test_a_requirement_that_ships_a_library_keeps_its_sources(
    local_index: LocalIndex, tmp_path: Path
) -> None:
    """rules/requirement-libraries.json: nanobind's library is compiled from the sources of
    its wheel, so they are kept (other requirements keep headers only)."""
    from analyzer.sdk.requires import library_specs, requirement_tools

    assert "nanobind_add_module" in library_specs()["nanobind"].functions
    local_index.publish("nanobind", dict([header_wheel("nanobind", "2.15.0", "py3-none-any", NB_WHEEL)]))
    local_index.publish("hdrpkg", dict([header_wheel("hdrpkg", "1.0", "py3-none-any")]))
    tree = tmp_path / "tree"
    pyproject(tree, ["scikit-build-core", "nanobind>=2", "hdrpkg"])

    def open_index() -> SimpleIndex:
        return SimpleIndex(local_index.url, timeout=10)

    tools = requirement_tools(tree, open_index, "3.13", tmp_path / "cache")
    (library,) = tools.libraries
    assert library.name == "nanobind" and [p.name for p in library.sources] == ["nb_combined.cpp"]
    assert [p.as_posix().split("/nanobind/", 1)[1] for p in library.include_dirs] == [
        "include",
        "ext/robin_map/include",
    ]
    assert library.arguments == ("-std=c++17", "-fno-strict-aliasing", "-DNDEBUG", "-DNB_COMPACT_ASSERTIONS")
    assert not list((tmp_path / "cache").rglob("hdrpkg*/**/*.cpp"))
    assert list((tmp_path / "cache").rglob("other.cpp"))  # the library's folder keeps sources


def test_a_requirement_that_ships_static_libraries_keeps_them(
    local_index: LocalIndex, tmp_path: Path
) -> None:
    """rules/requirement-libraries.json ``prebuilt``: numpy's win_arm64 wheel ships
    npymath.lib and npyrandom.lib, which modules link by name; they are kept with the
    headers (and only the ones the rules name are offered for linking)."""
    from analyzer.sdk.requires import msvc_runtime_libraries, prebuilt_specs, requirement_tools

    assert prebuilt_specs()["numpy"].files["npymath"] == "numpy/_core/lib/npymath.lib"
    assert "oldnames" in msvc_runtime_libraries()
    members = {
        "numpy/_core/include/numpy/npy_math.h": b"double npy_log1p(double);\n",
        "numpy/_core/lib/npymath.lib": b"!<arch>\n",
        "numpy/random/lib/npyrandom.lib": b"!<arch>\n",
        "numpy/_core/_multiarray_umath.cp313-win_arm64.lib": b"!<arch>\n",  # an import library
    }
    local_index.publish("numpy", dict([header_wheel("numpy", "2.5.5", "cp313-cp313-win_arm64", members)]))
    local_index.publish("hdrpkg", dict([header_wheel("hdrpkg", "1.0", "py3-none-any")]))
    tree = tmp_path / "tree"
    pyproject(tree, ["meson-python", "numpy>=2", "hdrpkg"])

    def open_index() -> SimpleIndex:
        return SimpleIndex(local_index.url, timeout=10)

    tools = requirement_tools(tree, open_index, "3.13", tmp_path / "cache")
    assert [(p.name, p.path.as_posix().split("numpy-2.5.5-cp313-cp313-win_arm64/", 1)[1], p.msvc)
            for p in tools.prebuilt] == [
        ("npymath", "numpy/_core/lib/npymath.lib", True),
        ("npyrandom", "numpy/random/lib/npyrandom.lib", True),
    ]  # fmt: skip
    assert all(p.path.is_file() for p in tools.prebuilt)
    assert not list((tmp_path / "cache").rglob("hdrpkg*/**/*.lib"))


def test_a_wheel_without_the_static_libraries_offers_none(local_index: LocalIndex, tmp_path: Path) -> None:
    """numpy 1.x's layout (or a wheel for another platform): nothing to link, nothing faked."""
    from analyzer.sdk.requires import requirement_tools

    members = {"numpy/core/include/numpy/npy_math.h": b"double npy_log1p(double);\n"}
    local_index.publish("numpy", dict([header_wheel("numpy", "1.26.4", "cp312-cp312-win_amd64", members)]))
    tree = tmp_path / "tree"
    pyproject(tree, ["numpy<2"])
    tools = requirement_tools(tree, lambda: SimpleIndex(local_index.url, timeout=10), "3.12", tmp_path / "c")
    assert tools.prebuilt == () and tools.include_dirs
