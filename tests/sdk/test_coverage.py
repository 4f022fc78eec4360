"""The SDK coverage check: shipped ARM64 modules' CPython imports against the SDK's
import libraries (hand-built images and libraries; tests/pe_images.py)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from analyzer.sdk.coverage import CoverageError, check_module, check_paths, sdk_exports, wheel_modules
from analyzer.sdk.pe import MACHINE_AMD64, MACHINE_ARM64, archive_exports, read_pe
from tests.clirun import run
from tests.pe_images import import_library, pe_image

EXPORTS = {
    "python313.dll": frozenset({"PyErr_SetString", "_Py_NoneStruct", "_Py_FatalErrorFunc"}),
    "python3.dll": frozenset({"PyLong_FromLong"}),
}


def module(imports: dict[str, list[str | int]]) -> bytes:
    return pe_image(MACHINE_ARM64, imports)


def test_a_name_the_sdk_lacks_is_reported_with_its_dll() -> None:
    info = read_pe(
        module(
            {
                "python313.dll": ["PyErr_SetString", "_Py_NoneStruct", "PyUnstable_Missing", 12],
                "python3.dll": ["PyLong_FromLong"],
                "KERNEL32.dll": ["GetLastError"],
            }
        )
    )
    result = check_module("m.pyd", info, EXPORTS)
    assert result.checked == ("python3.dll", "python313.dll") and not result.covered
    assert result.missing == (("python313.dll", "PyUnstable_Missing"),)
    assert len(result.imported) == 4 and result.skipped == ""
    covered = check_module("ok.pyd", read_pe(module({"python313.dll": ["_Py_FatalErrorFunc"]})), EXPORTS)
    assert covered.covered and covered.imported == (("python313.dll", "_Py_FatalErrorFunc"),)


def test_modules_it_cannot_judge_say_why_and_are_not_counted_as_covered() -> None:
    x64 = check_module("x.pyd", read_pe(pe_image(MACHINE_AMD64, {"python313.dll": ["A"]})), EXPORTS)
    assert x64.checked == () and x64.skipped == "machine 0x8664, not ARM64"
    other = check_module("o.pyd", read_pe(module({"python312.dll": ["A"], "python313t.dll": ["B"]})), EXPORTS)
    assert other.checked == () and other.missing == ()
    assert other.skipped == (
        "python312.dll (no SDK for that Python chosen); python313t.dll (free-threaded: no SDK for it)"
    )
    plain = check_module("libfoo.dll", read_pe(module({"KERNEL32.dll": ["GetLastError"]})), EXPORTS)
    assert plain.skipped == "imports nothing from CPython"


def _sdk(root: Path, names: list[str]) -> Path:
    (root / "include").mkdir(parents=True)
    (root / "include" / "Python.h").write_text("")
    (root / "include" / "pyconfig.h").write_text("")
    (root / "libs").mkdir()
    (root / "libs" / "python313.lib").write_bytes(import_library([f"__imp_{n}" for n in names]))
    (root / "libs" / "python3.lib").write_bytes(import_library(["__imp_PyLong_FromLong"]))
    (root / "libs" / "ffi.lib").write_bytes(import_library(["__imp_ffi_call"]))  # not CPython's
    return root


def test_sdk_exports_reads_the_python_libraries_only(tmp_path: Path) -> None:
    libs = _sdk(tmp_path / "sdk", ["PyErr_SetString", "_Py_NoneStruct"]) / "libs"
    assert sdk_exports(libs) == {
        "python313.dll": {"PyErr_SetString", "_Py_NoneStruct"},
        "python3.dll": {"PyLong_FromLong"},
    }
    (libs / "python3.lib").write_bytes(b"!<arch>\ncut")
    with pytest.raises(CoverageError, match=r"python3\.lib"):
        sdk_exports(libs)


def _wheel(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as wheel:
        for name, data in members.items():
            wheel.writestr(name, data)
    return path


def test_wheels_and_pyd_files_are_read_and_bad_ones_are_errors(tmp_path: Path) -> None:
    good = module({"python313.dll": ["PyErr_SetString"]})
    wheel = _wheel(
        tmp_path / "p-1-cp313-cp313-win_arm64.whl",
        {"p/_a.cp313-win_arm64.pyd": good, "p/__init__.py": b"", "p.libs/dep.dll": module({})},
    )
    assert [m for m, _ in wheel_modules(wheel)] == ["p/_a.cp313-win_arm64.pyd", "p.libs/dep.dll"]
    (tmp_path / "b.pyd").write_bytes(good)
    results = check_paths([wheel, tmp_path / "b.pyd"], EXPORTS)
    assert [r.source for r in results] == [
        "p-1-cp313-cp313-win_arm64.whl!p/_a.cp313-win_arm64.pyd",
        "p-1-cp313-cp313-win_arm64.whl!p.libs/dep.dll",
        str(tmp_path / "b.pyd"),
    ]
    assert [r.covered for r in results] == [True, True, True]
    (tmp_path / "bad.whl").write_bytes(b"PK\x03\x04 not a zip")
    (tmp_path / "text.pyd").write_bytes(b"MZ nonsense")
    (tmp_path / "x.txt").write_text("")
    for path, message in (("bad.whl", "not a readable wheel"), ("text.pyd", "not a readable module"),
                          ("x.txt", "neither a wheel")):  # fmt: skip
        with pytest.raises(CoverageError, match=message):
            check_paths([tmp_path / path], EXPORTS)


def test_a_wheel_member_larger_than_the_cap_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import analyzer.sdk.coverage as coverage

    monkeypatch.setattr(coverage, "MAX_MODULE", 64)
    wheel = _wheel(tmp_path / "w.whl", {"big.pyd": b"MZ" + b"\0" * 200})
    with pytest.raises(CoverageError, match="larger than 64 bytes"):
        list(wheel_modules(wheel))


def test_the_sdk_command_lists_what_the_sdk_lacks_and_exits_1(tmp_path: Path) -> None:
    sdk = _sdk(tmp_path / "sdks" / "cpython-3.13-win-arm64", ["PyErr_SetString"])
    wheel = _wheel(
        tmp_path / "w-1-cp313-cp313-win_arm64.whl",
        {"w/_m.pyd": module({"python313.dll": ["PyErr_SetString", "PyUnstable_New"], "python3.dll": []})},
    )
    code, output = run("sdk", "--python-sdk", str(sdk.parent), str(wheel))
    assert code == 1, output
    source = "w-1-cp313-cp313-win_arm64.whl!w/_m.pyd"
    assert f"lacks     {source}  (2 name(s) from python3.dll, python313.dll)" in output
    assert "python313.dll: PyUnstable_New" in output
    assert "the SDK lacks 1 name(s) they import" in output
    (tmp_path / "ok.pyd").write_bytes(module({"python313.dll": ["PyErr_SetString"]}))
    code, output = run("sdk", "--python-sdk", str(sdk.parent), str(tmp_path / "ok.pyd"))
    assert code == 0 and "the SDK has every name they import" in output, output


@pytest.mark.slow
def test_the_real_sdk_library_is_read_with_data_and_no_return_exports() -> None:
    """zig dlltool's libraries as they are (the fast tests use hand-built ones)."""
    from tests.prove.test_prove import real_sdk

    root = real_sdk() / "cpython-3.13-win-arm64"
    names = archive_exports((root / "libs" / "python313.lib").read_bytes())
    assert {"_Py_FatalErrorFunc", "Py_FatalError", "_Py_NoneStruct", "PyExc_TypeError"} <= names
    assert "PyLong_FromLong" in archive_exports((root / "libs" / "python3.lib").read_bytes())
