"""woaport prove and its SDK (issue 14): export lists from CPython's headers, the PE
check, compiler diagnostics mapped to the tree, the Debian route (signature and hashes
checked, against a local server), header extraction that takes nothing else, and the
orchestration; the slow tests compile and link for real with zig cc."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import lzma
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from analyzer.limits import ChildLimits
from analyzer.model import Confidence
from analyzer.project import plan_of as project_plan
from analyzer.prove import (
    RUST_NOT_PROVEN,
    STOPPED,
    STOPPED_NOTE,
    Module,
    diagnostics,
    failed_modules,
    modules_of,
    prove,
    toolchain_runner,
)
from analyzer.rules import default_rules
from analyzer.sdk.coverage import check_module, sdk_exports
from analyzer.sdk.debian import DebianSources, SourceFetchError, find_tarball, release_hash
from analyzer.sdk.exports import def_file, header_exports, stable_exports
from analyzer.sdk.pe import MACHINE_ARM64, read_pe
from analyzer.sdk.provider import SDK_ENV, Sdk, SdkError, find_sdk, unpack_headers
from tests.clirun import run
from tests.localindex import LocalIndex, Reply
from tests.paths import FIXTURES
from tests.pe_images import minimal_pe

PROVE = FIXTURES / "prove"


def test_exports_from_headers() -> None:
    headers = [
        "PyAPI_FUNC(PyObject *) PyLong_FromLong(long);\n"
        "PyAPI_FUNC(int) PyArg_ParseTuple(PyObject *, const char *, ...);\n"
        "PyAPI_DATA(PyTypeObject) PyLong_Type;\n"
        "PyAPI_FUNC(void) (*PyOS_InputHook)(void);\n",
        "PyAPI_DATA(int) Py_OptimizeFlag;\nPyAPI_FUNC(Py_ssize_t) PyList_Size(PyObject *);\n",
        # An attribute macro between the type and the name (Py_FatalError's, 3.13).
        "PyAPI_FUNC(void) _Py_NO_RETURN _Py_FatalErrorFunc(\n    const char *func, const char *message);\n"
        "PyAPI_FUNC(void) _Py_NO_RETURN Py_Exit(int);\n",
    ]
    functions, data = header_exports(headers)
    assert {
        "PyLong_FromLong",
        "PyArg_ParseTuple",
        "PyList_Size",
        "_Py_FatalErrorFunc",
        "Py_Exit",
    } <= functions
    assert "_Py_NO_RETURN" not in functions
    assert data == {"PyLong_Type", "Py_OptimizeFlag"}
    stable = "EXPORT_FUNC(PyLong_FromLong)\nEXPORT_DATA(PyLong_Type)\n"
    assert stable_exports(stable) == (frozenset({"PyLong_FromLong"}), frozenset({"PyLong_Type"}))
    text = def_file("python313.dll", ["b", "a"], ["PyLong_Type"])
    assert text == "LIBRARY python313.dll\nEXPORTS\na\nb\nPyLong_Type DATA\n"


def test_diagnostics_are_mapped_to_the_including_tree_line(tmp_path: Path) -> None:
    header = "/opt/zig/lib/include/immintrin.h"
    output = (
        f"In file included from {tmp_path}/src/bad.c:2:\n"
        f'{header}:14:2: error: "This header is only meant to be used on x86 and x64 architecture"\n'
        f"In file included from {tmp_path}/src/bad.c:2:\n"
        f"{header}:150:10: error: invalid conversion\n"
        f"{tmp_path}/src/bad.c:5:5: error: unknown type name '__m128'\n"
        "src/other.c:3:1: warning: not an error\n"
    )
    assert diagnostics(output, tmp_path) == [
        ("src/bad.c", 2, 1, 'in immintrin.h (included here): "This header is only meant to be used'
         ' on x86 and x64 architecture"'),
        ("src/bad.c", 5, 5, "unknown type name '__m128'"),
    ]  # fmt: skip


def plan_of(tree: Path):  # type: ignore[no-untyped-def]
    plan = project_plan(tree)
    assert plan is not None
    return plan


def test_modules_come_from_the_build_model() -> None:
    modules = modules_of(plan_of(PROVE / "WOA901" / "bad"))
    assert modules == [Module("pkg.bad", ("src/bad.c",), "setup.py", 3)]


def tarball(members: dict[str, bytes], links: dict[str, str] | None = None) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:xz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            tar.addfile(info)
    return buffer.getvalue()


def test_only_headers_and_the_windows_pyconfig_are_unpacked(tmp_path: Path) -> None:
    archive = tmp_path / "py.tar.xz"
    archive.write_bytes(
        tarball(
            {
                "Python-3.13.5/Include/Python.h": b"/* Python.h */\n",
                "Python-3.13.5/Include/cpython/object.h": b"/* object */\n",
                "Python-3.13.5/Include/internal/pycore_x.h": b"/* private */\n",
                "Python-3.13.5/PC/pyconfig.h.in": b"/* windows */\n",
                "Python-3.13.5/PC/python3dll.c": b"EXPORT_FUNC(Py_Main)\n",
                "Python-3.13.5/Modules/main.c": b"int main;\n",
                "Python-3.13.5/Include/../../../escape.h": b"x",
            },
            links={"Python-3.13.5/Include/link.h": "/etc/passwd"},
        )
    )
    out = tmp_path / "sdk"
    out.mkdir()
    unpack_headers(archive, out)
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert files == [
        "include/Python.h",
        "include/cpython/object.h",
        "include/internal/pycore_x.h",
        "include/pyconfig.h",
        "python3dll.c",
    ]
    assert not (tmp_path / "escape.h").exists()


def test_an_sdk_directory_is_used_and_a_wrong_one_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "sdks" / "cpython-3.13-win-arm64"
    (root / "include").mkdir(parents=True)
    (root / "libs").mkdir()
    for name in ("include/Python.h", "include/pyconfig.h", "libs/python313.lib"):
        (root / name).write_bytes(b"x")
    sdk = find_sdk("3.13", tmp_path / "cache", tmp_path / "sdks")
    assert sdk.root == root and sdk.dll == "python313.dll" and sdk.source.startswith("--python-sdk")
    monkeypatch.setenv(SDK_ENV, str(tmp_path / "sdks"))
    assert find_sdk("3.13", tmp_path / "cache").source.startswith(SDK_ENV)
    with pytest.raises(SdkError, match=r"no CPython 3\.12 SDK there"):
        find_sdk("3.12", tmp_path / "cache")


def test_debian_indexes_are_read() -> None:
    release = "Origin: Debian\nSHA256:\n 0123abc 100 main/binary-amd64/Packages.xz\n" + (
        " 99ff 200 main/source/Sources.xz\nMD5Sum:\n"
    )
    assert release_hash(release, "main/source/Sources.xz") == "99ff"
    with pytest.raises(SourceFetchError):
        release_hash(release, "main/source/Sources.gz")
    sha = "a" * 64
    sources = (
        "Package: python3.12\nVersion: 3.12.1-1\nDirectory: pool/main/p/python3.12\n\n"
        f"Package: python3.13\nVersion: 3.13.5-2\nDirectory: pool/main/p/python3.13\nChecksums-Sha256:\n"
        f" {'b' * 64} 4298 python3.13_3.13.5-2.dsc\n {sha} 22856016 python3.13_3.13.5.orig.tar.xz\n"
    )
    assert find_tarball(sources, "3.13") == (
        "3.13.5-2",
        "pool/main/p/python3.13/python3.13_3.13.5.orig.tar.xz",
        sha,
    )
    assert find_tarball(sources, "3.12") is None and find_tarball(sources, "3.1") is None


@pytest.fixture
def signing_key(tmp_path: Path) -> tuple[Path, Path]:
    """A throw-away GPG key: its home (to sign with) and its public keyring (for gpgv)."""
    if shutil.which("gpg") is None or shutil.which("gpgv") is None:
        if os.environ.get("CI"):
            pytest.fail("CI needs gpg and gpgv (.ci/run installs them)")
        pytest.skip("gpg/gpgv not installed")
    home = tmp_path / "gnupg"
    home.mkdir(mode=0o700)
    env = {**os.environ, "GNUPGHOME": str(home)}
    quiet = {"env": env, "check": True, "capture_output": True}
    subprocess.run(
        [
            "gpg",
            "--batch",
            "--passphrase",
            "",
            "--quick-gen-key",
            "test <t@example.org>",
            "ed25519",
            "sign",
            "never",
        ],
        **quiet,
    )  # type: ignore[call-overload]
    keyring = tmp_path / "keyring.gpg"
    exported = subprocess.run(["gpg", "--export"], env=env, check=True, capture_output=True).stdout
    keyring.write_bytes(exported)
    return home, keyring


def sign(home: Path, text: bytes) -> bytes:
    env = {**os.environ, "GNUPGHOME": str(home)}
    done = subprocess.run(
        ["gpg", "--batch", "--clearsign"], input=text, env=env, check=True, capture_output=True
    )
    return done.stdout


def test_the_debian_route_checks_signature_and_hashes(
    local_index: LocalIndex, signing_key: tuple[Path, Path], tmp_path: Path
) -> None:
    home, keyring = signing_key
    source = tarball({"Python-3.13.5/Include/Python.h": b"/* */\n"})
    sha = hashlib.sha256(source).hexdigest()
    sources = (
        f"Package: python3.13\nVersion: 3.13.5-2\nDirectory: pool/main/p/python3.13\nChecksums-Sha256:\n"
        f" {sha} {len(source)} python3.13_3.13.5.orig.tar.xz\n"
    ).encode()
    packed = lzma.compress(sources)
    entry = f"{hashlib.sha256(packed).hexdigest()} {len(packed)} main/source/Sources.xz"
    release = f"Suite: testing\nSHA256:\n {entry}\n"
    mirror = local_index.url.removesuffix("/simple/") + "/debian"
    local_index.route("/debian/dists/testing/InRelease", Reply(200, sign(home, release.encode())))
    local_index.route("/debian/dists/testing/main/source/Sources.xz", Reply(200, packed))
    local_index.route("/debian/pool/main/p/python3.13/python3.13_3.13.5.orig.tar.xz", Reply(200, source))
    fetcher = DebianSources(mirror, ("testing",), keyring)
    try:
        found = list(fetcher.tarballs("3.13"))
        assert [(t.suite, t.version, t.sha256) for t in found] == [("testing", "3.13.5-2", sha)]
        assert fetcher.download(found[0], tmp_path).read_bytes() == source
        assert list(fetcher.tarballs("3.99")) == []
        # A tarball that is not what the index says; an index the Release does not vouch for;
        # a Release nobody signed.
        local_index.route(
            "/debian/pool/main/p/python3.13/python3.13_3.13.5.orig.tar.xz", Reply(200, source + b"x")
        )
        with pytest.raises(SourceFetchError, match="SHA-256 does not match"):
            fetcher.download(found[0], tmp_path)
        local_index.route(
            "/debian/dists/testing/main/source/Sources.xz", Reply(200, lzma.compress(b"tampered"))
        )
        with pytest.raises(SourceFetchError, match="does not match the signed Release"):
            list(fetcher.tarballs("3.13"))
        local_index.route("/debian/dists/testing/InRelease", Reply(200, release.encode()))
        with pytest.raises(SourceFetchError, match="signature does not verify"):
            list(fetcher.tarballs("3.13"))
    finally:
        fetcher.close()


def test_orchestration_with_a_recorded_toolchain(tmp_path: Path) -> None:
    """Compile, link and PE check, with a stand-in for zig that records each command and
    writes the module a real link would (no toolchain needed)."""
    tree = PROVE / "WOA901" / "good"
    sdk = Sdk("3.13", tmp_path / "sdk", "test")
    calls: list[list[str]] = []

    def fake(command: list[str], cwd: Path) -> tuple[int, str]:
        calls.append(command)
        if "-shared" in command:
            Path(command[command.index("-o") + 1]).write_bytes(minimal_pe(MACHINE_ARM64, ["python313.dll"]))
        return 0, ""

    result = prove(tree, plan_of(tree), [sdk], tmp_path / "out", ["zig"], run=fake, jobs=1)
    (proof,) = result.modules
    assert proof.built and proof.output == "spam.cp313-win_arm64.pyd" and proof.imports == ("python313.dll",)
    compile_, link = calls
    assert compile_[:4] == ["zig", "cc", "-target", "aarch64-windows-gnu"] and "-c" in compile_
    assert f"-I{sdk.include}" in compile_ and link[-2:] == [f"-L{sdk.libs}", "-lpython313"]

    def x64(command: list[str], cwd: Path) -> tuple[int, str]:
        if "-shared" in command:
            Path(command[command.index("-o") + 1]).write_bytes(minimal_pe(0x8664, ["KERNEL32.dll"]))
        return 0, ""

    (wrong,) = prove(tree, plan_of(tree), [sdk], tmp_path / "out2", ["zig"], run=x64).modules
    assert not wrong.built and wrong.errors == (
        "spam.cp313-win_arm64.pyd: machine 0x8664, not ARM64 (0xaa64)",
    )

    def other_python(command: list[str], cwd: Path) -> tuple[int, str]:
        if "-shared" in command:
            Path(command[command.index("-o") + 1]).write_bytes(minimal_pe(MACHINE_ARM64, ["python312.dll"]))
        return 0, ""

    (mixed,) = prove(tree, plan_of(tree), [sdk], tmp_path / "out3", ["zig"], run=other_python).modules
    assert mixed.errors == ("spam.cp313-win_arm64.pyd: imports python312.dll, not python313.dll",)


def real_sdk() -> Path:
    """A real SDK: $WOAPORT_PYTHON_SDK (.ci/run makes one with `woaport sdk`)."""
    given = os.environ.get(SDK_ENV)
    if given and (Path(given) / "cpython-3.13-win-arm64").is_dir():
        return Path(given)
    if os.environ.get("CI"):
        pytest.fail(f"CI must provide {SDK_ENV} (.ci/run runs woaport sdk)")
    pytest.skip(f"no {SDK_ENV} with a CPython 3.13 SDK")


@pytest.fixture(scope="session")
def zig_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One woaport cache for the session (``XDG/woaport``): zig's mingw-w64 runtime in it
    is built once, not per test."""
    cache = tmp_path_factory.mktemp("xdg") / "woaport"
    cache.mkdir()
    return cache


@pytest.mark.slow
@pytest.mark.parametrize(
    "fixture", ["WOA901/good", "WOA901/bad", "WOA902/bad", "WOA901/good_cython", "WOA901/bad_cython"]
)
def test_prove_compiles_and_links_for_real(fixture: str, tmp_path: Path, zig_cache: Path) -> None:
    from tests.kinds.test_fixtures import expected

    sdks = real_sdk()
    tree = PROVE / fixture
    code, output = run(
        "prove",
        str(tree),
        "--python-sdk",
        str(sdks),
        "--out",
        str(tmp_path),
        "--json",
        str(tmp_path / "p.json"),
        "--cache-dir",
        str(zig_cache),
    )
    data = json.loads((tmp_path / "p.json").read_text())
    (module,) = data["modules"]
    wanted = {
        (p.relative_to(tree).as_posix(), line, rule)
        for p in tree.rglob("*")
        if p.is_file()
        for (line, rule, _) in expected(p)
    }
    got = {(f["path"], f["line"], f["rule_id"]) for f in module["findings"]}
    assert got == wanted, output
    assert all(
        f["confidence"] == Confidence.HIGH.value and f["reachable_on"] == ["mingw-arm64"]
        for f in module["findings"]
    )
    if not wanted:
        assert code == 0 and module["built"] and module["machine"] == "0xaa64"
        assert "python313.dll" in module["imports"]
        assert read_pe((tmp_path / module["output"]).read_bytes()).machine == MACHINE_ARM64
    else:
        assert code == 1 and not module["built"]


def test_missing_headers_and_libraries_are_not_proven_rather_than_errors(tmp_path: Path) -> None:
    """A header or library neither the tree nor the SDK has (a build requirement's, an
    external library's) says what is missing; it is not a finding against the code."""
    tree = PROVE / "WOA901" / "good"
    sdk = Sdk("3.13", tmp_path / "sdk", "test")

    def no_header(command: list[str], cwd: Path) -> tuple[int, str]:
        source = command[-1]
        return 1, f"{source}:8:10: fatal error: 'cppy/cppy.h' file not found\n1 error generated.\n"

    (proof,) = prove(tree, plan_of(tree), [sdk], tmp_path / "a", ["zig"], run=no_header).modules
    assert not proof.built and proof.findings == ()
    assert proof.not_proven == "header(s) not found: cppy/cppy.h (from a build requirement or a library?)"

    def no_library(command: list[str], cwd: Path) -> tuple[int, str]:
        if "-shared" in command:
            return 1, "error: unable to find dynamic system library 'ffi' using strategy 'paths_first'.\n"
        return 0, ""

    (linked,) = prove(tree, plan_of(tree), [sdk], tmp_path / "b", ["zig"], run=no_library).modules
    assert linked.compiled and not linked.built and linked.findings == ()
    assert linked.not_proven.startswith("links ffi, which neither the tree nor the SDK provides")


@pytest.mark.slow
def test_fix_states_the_proof_in_the_pull_request_text(
    tmp_path: Path, zig_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sdks = real_sdk()
    monkeypatch.setenv("XDG_CACHE_HOME", str(zig_cache.parent))  # fix --prove uses the default cache
    tree = tmp_path / "tree"
    shutil.copytree(PROVE / "WOA901" / "good", tree)
    code, text = run("fix", str(tree), "--markdown", "-", "--prove", "3.13")
    assert code == 0, text
    assert "### Built for win_arm64 (woaport prove)" in text
    assert (
        "Compiled and linked for win_arm64 with clang/mingw-w64 (zig cc, CPython 3.13): 1 of 1 module(s)"
        in text
    )
    assert str(sdks)  # the SDK came from WOAPORT_PYTHON_SDK


@pytest.mark.slow
def test_fix_proves_with_the_probes_compiled_as_prove_does(
    tmp_path: Path, zig_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A meson probe the fast mode cannot decide (``has_header('stdint.h')``) is compiled
    for ARM64 by ``fix --prove`` as by ``prove``: the module that needs its macro builds."""
    real_sdk()
    monkeypatch.setenv("XDG_CACHE_HOME", str(zig_cache.parent))
    tree = tmp_path / "tree"
    shutil.copytree(PROVE / "WOA901" / "good", tree)
    (tree / "setup.py").unlink()
    (tree / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["meson-python"]\nbuild-backend = "mesonpy"\n'
        '[project]\nname = "spam"\nversion = "1"\n'
    )
    (tree / "meson.build").write_text(
        "project('spam', 'c')\n"
        "py = import('python').find_installation(pure: false)\n"
        "cc = meson.get_compiler('c')\n"
        "c_args = []\n"
        "if cc.has_header('stdint.h')\n"
        "  c_args += '-DHAVE_STDINT_H'\n"
        "endif\n"
        "py.extension_module('spam', 'src/spam.c', c_args: c_args, install: true)\n"
    )
    spam = tree / "src" / "spam.c"
    spam.write_text("#ifndef HAVE_STDINT_H\n#error the probe was not run\n#endif\n" + spam.read_text())
    code, text = run("fix", str(tree), "--markdown", "-", "--prove", "3.13")
    assert code == 0, text
    assert "(zig cc, CPython 3.13): 1 of 1 module(s)" in text, text


def test_an_error_under_macros_the_model_could_not_decide_is_low_confidence(tmp_path: Path) -> None:
    """The build defines HAVE_STDINT_H from a probe the model left undecided: an error is
    then not certain (the real build may take another branch)."""
    from dataclasses import replace as with_

    from analyzer.buildmodel.plan import MacroUse

    tree = PROVE / "WOA901" / "good"
    plan = plan_of(tree)
    undecided = with_(plan, macros=(*plan.macros, MacroUse("HAVE_STDINT_H", (("mingw-arm64", None),))))
    sdk = Sdk("3.13", tmp_path / "sdk", "test")

    def fails(command: list[str], cwd: Path) -> tuple[int, str]:
        return 1, f"{command[-1]}:5:1: error: typedef redefinition with different types\n"

    (certain,) = prove(tree, plan, [sdk], tmp_path / "a", ["zig"], run=fails).modules
    (doubtful,) = prove(tree, undecided, [sdk], tmp_path / "b", ["zig"], run=fails).modules
    assert [f.confidence for f in certain.findings] == [Confidence.HIGH]
    assert [f.confidence for f in doubtful.findings] == [Confidence.LOW]
    assert doubtful.findings[0].message.endswith(
        "(the build also decides what the model could not: HAVE_STDINT_H)"
    )


def test_rust_crates_are_reported_not_built(tmp_path: Path) -> None:
    tree = FIXTURES / "builds" / "maturin"
    calls: list[list[str]] = []

    def record(command: list[str], cwd: Path) -> tuple[int, str]:
        calls.append(command)
        return 0, ""

    result = prove(
        tree, plan_of(tree), [Sdk("3.13", tmp_path / "sdk", "t")], tmp_path / "o", ["zig"], run=record
    )
    assert result.modules and all(m.not_proven == RUST_NOT_PROVEN and not m.built for m in result.modules)
    assert calls == []  # no toolchain, no cargo: nothing of the crate is run


def test_a_compiler_that_hangs_is_reported_and_the_rest_goes_on(tmp_path: Path) -> None:
    tree = PROVE / "WOA901" / "good"
    timed_out = toolchain_runner(limits=ChildLimits(command_seconds=0.5))
    hang = [sys.executable, "-c", "import time; time.sleep(5)"]
    code, output = timed_out(hang, tmp_path)
    assert code == STOPPED and output.startswith(STOPPED_NOTE) and "within 0 s" in output

    def hangs(command: list[str], cwd: Path) -> tuple[int, str]:
        return timed_out(hang, cwd)

    (proof,) = prove(
        tree, plan_of(tree), [Sdk("3.13", tmp_path / "s", "t")], tmp_path / "o", ["zig"], run=hangs
    ).modules
    assert proof.not_proven.startswith("limit reached: did not finish within") and proof.findings == ()
    assert not (tmp_path / "o" / ".obj").exists()  # nothing but modules in OUT


def test_probes_the_fast_mode_cannot_decide_are_compiled_for_arm64(tmp_path: Path) -> None:
    from analyzer.prove import ToolchainProbeJudge
    from analyzer.targets import load_targets as targets

    compiled: list[str] = []

    def toolchain(command: list[str], cwd: Path) -> tuple[int, str]:
        source = Path(next(c for c in command if c.endswith((".c", ".cpp"))))
        compiled.append(source.read_text())
        return (0 if "stdint" in source.read_text() else 1), ""

    judge = ToolchainProbeJudge(
        default_rules(), targets(), ["zig"], toolchain, tmp_path / "inc", tmp_path / "p"
    )
    stdint = "#include <stdint.h>\nint main(void) { uint32_t u = 0; return (int)u; }\n"
    odd = "#include <sys/mman.h>\nint main(void) { return 0; }\n"
    sse = "#include <emmintrin.h>\nint main(void) { __m128i r = _mm_set1_epi32(0); return 0; }\n"
    assert judge(stdint)["mingw-arm64"] == 1 and judge(odd)["mingw-arm64"] == 0
    assert judge(sse)["mingw-arm64"] == 0  # the fast mode knows: not compiled
    assert len(compiled) == 2 and judge(stdint)["mingw-arm64"] == 1 and len(compiled) == 2  # memoised


def test_a_probes_own_arguments_reach_the_compiler_and_nothing_else(tmp_path: Path) -> None:
    """meson's ``cc.compiles(code, args: ['-Werror'])``: the check's warning flags are
    passed on (and warnings are no longer silenced with -w); paths, linker and
    preprocessor pass-throughs never are."""
    from analyzer.buildmodel.plan import probe_args, probe_with_args
    from analyzer.prove import ToolchainProbeJudge
    from analyzer.targets import load_targets as targets

    commands: list[list[str]] = []

    def toolchain(command: list[str], cwd: Path) -> tuple[int, str]:
        commands.append(command)
        return 0, ""

    judge = ToolchainProbeJudge(
        default_rules(), targets(), ["zig"], toolchain, tmp_path / "inc", tmp_path / "p"
    )
    code = "int f(void *p) { (void *)p; return 0; }\n"
    hostile = ["-Werror", "-Wattributes", "-I/etc", "-Wl,--script=x", "-include", "/etc/passwd", "@args"]
    text = probe_with_args(code, hostile)
    assert probe_args(text) == ("-Werror", "-Wattributes") and text.endswith(code)
    judge(text)
    judge(code)
    with_args, plain = commands
    assert "-Werror" in with_args and "-Wattributes" in with_args and "-w" not in with_args
    assert not any(a in with_args for a in ("-I/etc", "/etc/passwd", "@args", "-Wl,--script=x"))
    assert "-w" in plain and "-Werror" not in plain


@pytest.mark.slow
def test_a_probe_with_werror_fails_where_the_compiler_warns(tmp_path: Path, zig_cache: Path) -> None:
    """numpy's attribute checks (``args: ['-Werror', '-Wattributes']``) as clang for
    aarch64-windows-gnu answers them: an unknown attribute warns, so the check fails."""
    from analyzer.buildmodel.plan import probe_with_args
    from analyzer.prove import ToolchainProbeJudge, toolchain_runner
    from analyzer.prove.session import find_toolchain
    from analyzer.sdk.provider import find_sdk
    from analyzer.targets import load_targets as targets

    sdk = find_sdk("3.13", tmp_path / "none", real_sdk())
    toolchain = find_toolchain()
    judge = ToolchainProbeJudge(
        default_rules(),
        targets(),
        list(toolchain.zig),
        toolchain_runner(zig_cache / "zig"),
        sdk.include,
        tmp_path / "p",
        list(toolchain.dirs),
    )
    strict = ["-Werror", "-Wattributes"]
    unknown = "__attribute__((woaport_no_such_attribute)) int f(void);\n"
    known = "__attribute__((nonnull(1))) int f(void *p);\n"
    assert judge(probe_with_args(unknown, strict))["mingw-arm64"] == 0
    assert judge(unknown)["mingw-arm64"] == 1  # the same text without the check's arguments
    assert judge(probe_with_args(known, strict))["mingw-arm64"] == 1
    # meson's has_function_attribute check: -Werror=attributes alone.
    assert judge(probe_with_args(unknown, ["-Werror=attributes"]))["mingw-arm64"] == 0


def nupkg(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_the_nuget_route_checks_the_package_hash(
    local_index: LocalIndex, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = nupkg(
        {
            "tools/include/Python.h": b"/* Python.h */\n",
            "tools/include/pyconfig.h": b"/* pyconfig */\n",
            "tools/libs/python313.lib": b"!<arch>\n",
            "tools/python.exe": b"MZ never unpacked",
            "tools/../../evil.h": b"x",
        }
    )
    sha512 = base64.b64encode(hashlib.sha512(package).digest())
    base = local_index.url.removesuffix("/simple/")
    local_index.route("/nuget/pythonarm64.3.13.5.nupkg", Reply(200, package))
    local_index.route("/nuget/pythonarm64.3.13.5.nupkg.sha512", Reply(200, sha512))
    monkeypatch.setenv("WOAPORT_NUGET_SDK_URL", base + "/nuget/pythonarm64.{python}.5.nupkg")
    sdk = find_sdk("3.13", tmp_path / "cache")
    assert sdk.source.startswith("NuGet ") and (sdk.libs / "python313.lib").read_bytes() == b"!<arch>\n"
    files = sorted(p.relative_to(sdk.root).as_posix() for p in sdk.root.rglob("*") if p.is_file())
    assert files == ["SOURCE.txt", "include/Python.h", "include/pyconfig.h", "libs/python313.lib"]
    assert find_sdk("3.13", tmp_path / "cache").source.endswith("(cached)")
    # A package that is not what the server's hash says: refused, nothing in the cache.
    local_index.route("/nuget/pythonarm64.3.13.5.nupkg", Reply(200, package + b"tampered"))
    with pytest.raises(SdkError, match="SHA-512 does not match"):
        find_sdk("3.13", tmp_path / "other")
    assert not (tmp_path / "other" / "cpython-3.13-win-arm64").exists()


@pytest.mark.parametrize("name", ["../../escape", "/tmp/abs", ".hidden", "a..b", "pkg/mod", "ok.π-x"])
def test_module_names_that_are_not_identifiers_make_no_path(tmp_path: Path, name: str) -> None:
    """A hostile setup.py names its extension so that dots become path separators out
    of OUT (issue 24): the proof refuses it before any file is made from the name."""
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "m.c").write_text("int m;\n")
    (tree / "setup.py").write_text(
        f"from setuptools import setup, Extension\nsetup(ext_modules=[Extension({name!r}, ['m.c'])])\n"
    )
    calls: list[list[str]] = []

    def fake(command: list[str], cwd: Path) -> tuple[int, str]:
        calls.append(command)
        return 0, ""

    out = tmp_path / "out"
    result = prove(tree, plan_of(tree), [Sdk("3.13", tmp_path / "sdk", "test")], out, ["zig"], run=fake)
    (proof,) = result.modules
    assert "not a dotted Python identifier" in proof.not_proven and calls == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tree"] + (["out"] if out.exists() else [])


def test_prove_fails_only_on_the_packages_own_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Exit 1 means the package's code failed; a pure-Rust package, or a module not
    proven for an honest reason, is not a failure (issue 26). A relative --python-sdk
    folder is made absolute, as the compiler runs elsewhere."""
    from analyzer.prove import ModuleProof, ProofResult, failed_modules
    from analyzer.sdk.provider import find_sdk

    rust = ProofResult((ModuleProof("crate", "3.13", False, False, not_proven=RUST_NOT_PROVEN),), (), ())
    assert failed_modules(rust) == [] and failed_modules(ProofResult((), (), ())) == []
    broken = ModuleProof("m", "3.13", False, False, errors=("m.c:1: error",))
    assert failed_modules(ProofResult((broken,), (), ())) == [broken]
    sdk = tmp_path / "sdks" / "cpython-3.13-win-arm64"
    (sdk / "include").mkdir(parents=True)
    (sdk / "libs").mkdir()
    for name in ("include/Python.h", "include/pyconfig.h", "libs/python313.lib"):
        (sdk / name).write_text("")
    monkeypatch.chdir(tmp_path)
    found = find_sdk("3.13", tmp_path / "cache", Path("sdks"))
    assert found.root.is_absolute() and found.root == sdk.resolve()


def test_not_proven_modules_carry_a_reason_code(tmp_path: Path) -> None:
    """Issue 26 item 4: each honest "not proven" says why as a code (JSON `reason`)."""
    from analyzer.prove.report import render_json

    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "gen.c").write_text('#include "config.h"\nint g;\n')
    (tree / "config.h.in").write_text("#define VERSION @VERSION@\n")
    (tree / "ext.c").write_text("#include <rdkafka.h>\nint e;\n")
    (tree / "lib.c").write_text("int l;\n")
    (tree / "setup.py").write_text(
        "from setuptools import setup, Extension\nsetup(ext_modules=["
        "Extension('gen', ['gen.c']), Extension('ext', ['ext.c']),"
        " Extension('lib', ['lib.c'], libraries=['rdkafka'])])\n"
    )

    def toolchain(command: list[str], cwd: Path) -> tuple[int, str]:
        source = command[-1]
        if source.endswith("gen.c"):
            return 1, f"{source}:1:10: fatal error: 'config.h' file not found\n"
        if source.endswith("ext.c"):
            return 1, f"{source}:1:10: fatal error: 'rdkafka.h' file not found\n"
        if "-shared" in command and any(c == "-lrdkafka" for c in command):
            return 1, "error: unable to find dynamic system library 'rdkafka' using strategy 'paths_first'\n"
        return 0, ""

    result = prove(
        tree, plan_of(tree), [Sdk("3.13", tmp_path / "s", "t")], tmp_path / "o", ["zig"], run=toolchain
    )
    reasons = {m.module: m.reason for m in result.modules}
    assert reasons == {"gen": "generated-header", "ext": "missing-header", "lib": "external-library"}
    assert "config.h (from config.h.in)" in next(m.not_proven for m in result.modules if m.module == "gen")
    data = json.loads(render_json(result, "tree", tmp_path / "o"))
    assert {m["module"]: m["reason"] for m in data["modules"]} == reasons


def test_a_windows_sdk_library_mingw_names_otherwise_is_linked_by_that_name(tmp_path: Path) -> None:
    """numpy's highway links Synchronization.lib (WaitOnAddress): mingw-w64 has its
    exports as api-ms-win-core-synch-l1-2-0, so the proof links that, not "external"
    (asked for by the build or by a ``#pragma comment(lib, ...)`` in the code)."""
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "m.c").write_text("int m;\n")
    (tree / "n.c").write_text('#pragma comment(lib, "synchronization")\nint n;\n')
    (tree / "setup.py").write_text(
        "from setuptools import setup, Extension\n"
        "setup(ext_modules=[Extension('m', ['m.c'], libraries=['Synchronization', 'ws2_32']),"
        " Extension('n', ['n.c'])])\n"
    )
    links: list[list[str]] = []

    def toolchain(command: list[str], cwd: Path) -> tuple[int, str]:
        if "-shared" in command:
            links.append(command)
            if "-lSynchronization" in command:
                return 1, "error: unable to find dynamic system library 'Synchronization'\n"
        return 0, ""

    prove(tree, plan_of(tree), [Sdk("3.13", tmp_path / "s", "t")], tmp_path / "o", ["zig"], run=toolchain)
    assert len(links) == 2 and all("-lapi-ms-win-core-synch-l1-2-0" in link for link in links)
    assert any("-lws2_32" in link for link in links)
    assert not any("ynchronization" in a for link in links for a in link)


def test_a_cython_extension_the_build_declares_cplusplus_is_translated_to_cplusplus(tmp_path: Path) -> None:
    """Issue 26 item 2: Extension(language="c++") makes Cython write C++ ("Operation only
    allowed in c++" before), compiled with zig c++."""
    from analyzer import cython as cython_module

    if not cython_module.available():
        pytest.skip("cython not installed")
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "m.pyx").write_text(
        "from libcpp.vector cimport vector\ndef total(int n):\n    cdef vector[int] v\n"
        "    for i in range(n):\n        v.push_back(i)\n    return sum(v)\n"
    )
    (tree / "setup.py").write_text(
        "from setuptools import setup, Extension\n"
        "setup(ext_modules=[Extension('m', ['m.pyx'], language='c++')])\n"
    )
    plan = plan_of(tree)
    assert [m.cplus for m in modules_of(plan)] == [True]
    compiled: list[list[str]] = []

    def record(command: list[str], cwd: Path) -> tuple[int, str]:
        compiled.append(command)
        return 0, ""

    (proof,) = prove(
        tree, plan, [Sdk("3.13", tmp_path / "s", "t")], tmp_path / "o", ["zig"], run=record
    ).modules
    compile_command = next(c for c in compiled if "-c" in c)
    assert compile_command[1] == "c++" and compile_command[-1].endswith("m.cpp"), compile_command
    assert not proof.not_proven


def test_pragma_comment_libraries_are_read_from_the_tree(tmp_path: Path) -> None:
    from analyzer.prove import _tree_facts

    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "endian.h").write_text(
        '#include <winsock2.h>\n#pragma comment(lib, "ws2_32.lib")\n#  pragma comment( lib , "advapi32" )\n'
        '#pragma comment(lib, "python313.lib")\n#pragma comment(lib, "../../etc/x")\n'
    )
    assert _tree_facts(tmp_path).pragma_libraries == ("ws2_32", "advapi32")


@pytest.mark.slow
def test_a_cpp_module_calling_fatal_error_and_winsock_links(tmp_path: Path, zig_cache: Path) -> None:
    """Three links that failed on real projects: C++ needs the C++ runtime (pyclipper),
    Py_FatalError is exported under _Py_NO_RETURN (pyinstrument), and a library named
    only by #pragma comment(lib) is linked as MSVC would (thrift)."""
    sdks = real_sdk()
    tree = tmp_path / "tree"
    (tree / "src").mkdir(parents=True)
    (tree / "setup.py").write_text(
        "from setuptools import setup, Extension\n"
        'setup(name="mixed", ext_modules=[Extension("mixed", ["src/mixed.cpp"])])\n'
    )
    (tree / "src" / "net.h").write_text('#include <winsock2.h>\n#pragma comment(lib, "ws2_32.lib")\n')
    (tree / "src" / "mixed.cpp").write_text(
        '#include <Python.h>\n#include <vector>\n#include "net.h"\n'
        "static PyObject *work(PyObject *, PyObject *) {\n"
        "    std::vector<int> *v = new std::vector<int>(4, (int)ntohs(1));\n"
        '    if (v->empty()) Py_FatalError("empty");\n'
        "    long n = (long)v->size(); delete v; return PyLong_FromLong(n);\n}\n"
        'static PyMethodDef methods[] = {{"work", work, METH_NOARGS, nullptr},\n'
        "    {nullptr, nullptr, 0, nullptr}};\n"
        'static PyModuleDef def = {PyModuleDef_HEAD_INIT, "mixed", nullptr, -1, methods};\n'
        "PyMODINIT_FUNC PyInit_mixed(void) { return PyModule_Create(&def); }\n"
    )
    code, output = run(
        "prove", str(tree), "--python-sdk", str(sdks), "--out", str(tmp_path / "out"),
        "--json", str(tmp_path / "p.json"), "--cache-dir", str(zig_cache),
    )  # fmt: skip
    (module,) = json.loads((tmp_path / "p.json").read_text())["modules"]
    assert code == 0 and module["built"], output
    assert "ws2_32.dll" in [name.lower() for name in module["imports"]]
    # The PE reader on zig's own output: the names come back from the real thunk tables,
    # and the SDK's library has each one.
    info = read_pe((tmp_path / "out" / module["output"]).read_bytes())
    assert {"PyLong_FromLong", "PyModule_Create2"} <= info.imported_from("python313.dll")
    exports = sdk_exports(sdks / "cpython-3.13-win-arm64" / "libs")
    assert check_module(module["output"], info, exports).covered


API_MODULE = """#include <Python.h>
static PyObject *check(PyObject *self, PyObject *arg) {
    long n = PyLong_AsLong(arg);
    if (n < 0) Py_FatalError("negative");
    if (n == 0) { PyErr_SetString(PyExc_ValueError, "zero"); return NULL; }
    if (n == 1) { PyErr_SetObject(PyExc_TypeError, arg); return NULL; }
    Py_RETURN_NONE;
}
static PyMethodDef methods[] = {{"check", check, METH_O, NULL}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef def = {PyModuleDef_HEAD_INIT, "api", NULL, -1, methods};
PyMODINIT_FUNC PyInit_api(void) { return PyModule_Create(&def); }
"""


def _sdk_versions() -> list[str]:
    given = os.environ.get(SDK_ENV)
    found = sorted(p.name.split("-")[1] for p in Path(given).glob("cpython-3.*-win-arm64")) if given else []
    return found or ["3.13"]


@pytest.mark.slow
@pytest.mark.parametrize("python", _sdk_versions())
@pytest.mark.parametrize("limited", [False, True], ids=["full-api", "abi3"])
def test_every_sdk_links_fatal_error_errors_and_data_exports(
    python: str, limited: bool, tmp_path: Path, zig_cache: Path
) -> None:
    """The SDK's import libraries against a module that calls Py_FatalError (exported
    under _Py_NO_RETURN), PyErr_* and takes data (PyExc_*, _Py_NoneStruct / Py_None),
    for each SDK at hand, with the full API and abi3 (python3.dll). The names must come
    back from the linked module's import table: a call the compiler dropped proves nothing."""
    sdks = real_sdk()
    version = python.replace(".", "")
    macros = f"[('Py_LIMITED_API', '0x{int(python.split('.')[0]):02X}{int(python.split('.')[1]):02X}0000')]"
    tree = _tree(
        tmp_path,
        f'setup(ext_modules=[Extension("api", ["api.c"], define_macros={macros if limited else "[]"})])\n',
        {"api.c": API_MODULE},
    )
    code, output = run(
        "prove", str(tree), "--python", python, "--python-sdk", str(sdks), "--out", str(tmp_path / "out"),
        "--json", str(tmp_path / "p.json"), "--cache-dir", str(zig_cache), "--no-requires",
    )  # fmt: skip
    (module,) = json.loads((tmp_path / "p.json").read_text())["modules"]
    assert code == 0 and module["built"], output
    info = read_pe((tmp_path / "out" / module["output"]).read_bytes())
    dll = "python3.dll" if limited else f"python{version}.dll"
    names = info.imported_from(dll)
    assert {"PyErr_SetString", "PyErr_SetObject", "PyExc_ValueError", "PyExc_TypeError"} <= names, names
    assert ("Py_FatalError" if limited else "_Py_FatalErrorFunc") in names, names
    assert limited or "_Py_NoneStruct" in names, (
        names
    )  # abi3 3.13 takes Py_None through Py_GetConstantBorrowed


def _tree(tmp_path: Path, setup_body: str, files: dict[str, str]) -> Path:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "setup.py").write_text("from setuptools import setup, Extension\n" + setup_body)
    for rel, text in files.items():
        (tree / rel).parent.mkdir(parents=True, exist_ok=True)
        (tree / rel).write_text(text)
    return tree


NPYMATH_MESON = """project('m', 'c')
py = import('python').find_installation(pure: false)
cc = meson.get_compiler('c')
lib_dir = run_command(py, ['-c', 'import numpy'], check: true).stdout().strip()
npymath = cc.find_library('npymath', dirs: lib_dir)
npyrandom = cc.find_library('npyrandom', dirs: lib_dir)
maybe = cc.find_library('extra', required: false)
random_dep = declare_dependency(dependencies: [npyrandom])
py.extension_module('fast', 'fast.c', dependencies: [npymath, random_dep, maybe])
py.extension_module('plain', 'plain.c')
"""


def test_a_library_the_build_finds_by_name_is_linked_from_the_requirements_wheel(tmp_path: Path) -> None:
    """meson's cc.find_library('npymath') links numpy's static library into the targets
    that depend on it (one with required: false is not promised); prove links it from
    the requirement's wheel, with the MSVC runtime stand-ins an MSVC-built library needs,
    made once however many modules link it."""
    from analyzer.sdk.requires import PrebuiltLibrary

    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "meson.build").write_text(NPYMATH_MESON)
    (tree / "pyproject.toml").write_text('[build-system]\nbuild-backend = "mesonpy"\nrequires = ["numpy"]\n')
    (tree / "fast.c").write_text("double npy_log1p(double);\n")
    (tree / "plain.c").write_text("int plain;\n")
    modules = {m.name: m.libraries for m in modules_of(plan_of(tree))}
    assert modules == {"fast": ("npymath", "npyrandom"), "plain": ()}
    wheel = tmp_path / "numpy-wheel"
    prebuilt = [
        PrebuiltLibrary("npymath", wheel / "numpy/_core/lib/npymath.lib", True),
        PrebuiltLibrary("npyrandom", wheel / "numpy/random/lib/npyrandom.lib", True),
    ]
    commands: list[list[str]] = []

    def record(command: list[str], cwd: Path) -> tuple[int, str]:
        commands.append(command)
        if "-shared" in command:
            stand_ins = next((Path(a[2:]) for a in command if a.endswith("msvc-runtime")), None)
            assert stand_ins is None or (stand_ins / "liboldnames.a").read_bytes() == b"!<arch>\n"
            Path(command[command.index("-o") + 1]).write_bytes(minimal_pe(MACHINE_ARM64, ["python313.dll"]))
        return 0, ""

    sdk = Sdk("3.13", tmp_path / "sdk", "t")
    result = prove(tree, plan_of(tree), [sdk], tmp_path / "o", ["zig"], run=record, prebuilt=prebuilt)
    assert all(m.built for m in result.modules)
    links = {Path(c[c.index("-o") + 1]).name.split(".")[0]: c for c in commands if "-shared" in c}
    fast, plain = links["fast"], links["plain"]
    assert f"-L{wheel / 'numpy/_core/lib'}" in fast and f"-L{wheel / 'numpy/random/lib'}" in fast
    assert "-lnpymath" in fast and "-lnpyrandom" in fast and "-lextra" not in fast
    assert any(a.endswith("stack_cookie.o") for a in fast)
    assert not any("msvc-runtime" in a or "numpy" in a for a in plain)
    assert sum(1 for c in commands if c[-1].endswith("stack_cookie.c")) == 1


@pytest.mark.slow
def test_an_msvc_built_static_library_links_with_the_stand_ins(tmp_path: Path, zig_cache: Path) -> None:
    """A static library built for the MSVC ABI (as numpy's npymath.lib is) names MSVC's
    runtime by /DEFAULTLIB and calls its stack-cookie check: mingw-w64's linker cannot
    link it as it is, and links it with the stand-ins prove adds."""
    import subprocess

    from analyzer.prove import toolchain_runner
    from analyzer.prove.session import find_toolchain
    from analyzer.sdk.requires import PrebuiltLibrary

    sdk = find_sdk("3.13", tmp_path / "none", real_sdk())
    zig = list(find_toolchain().zig)
    env = {**os.environ, "ZIG_GLOBAL_CACHE_DIR": str(zig_cache / "zig")}
    library_dir = tmp_path / "wheel" / "lib"
    library_dir.mkdir(parents=True)
    (library_dir / "fake.c").write_text(
        '#include <stdint.h>\n#pragma comment(lib, "msvcrt")\n#pragma comment(lib, "oldnames")\n'
        "extern uintptr_t __security_cookie;\nvoid __security_check_cookie(uintptr_t);\n"
        "double fake_log1p(double x) { uintptr_t c = __security_cookie; double r = x / 2;\n"
        "    __security_check_cookie(c); return r; }\n"
    )
    for command in (
        [*zig, "cc", "-target", "aarch64-windows-msvc", "-c", "fake.c", "-o", "fake.obj"],
        [*zig, "ar", "rcs", "fakemath.lib", "fake.obj"],
    ):
        subprocess.run(command, cwd=library_dir, env=env, check=True, capture_output=True, timeout=600)
    tree = _tree(
        tmp_path,
        'setup(ext_modules=[Extension("fast", ["fast.c"], libraries=["fakemath"])])\n',
        {"fast.c": '#include <Python.h>\ndouble fake_log1p(double);\n'
                   "PyObject *f(PyObject *s, PyObject *a) { return PyFloat_FromDouble(fake_log1p(2)); }\n"},
    )  # fmt: skip
    runner = toolchain_runner(zig_cache / "zig")
    fakemath = PrebuiltLibrary("fakemath", library_dir / "fakemath.lib", True)
    (module,) = prove(
        tree, plan_of(tree), [sdk], tmp_path / "o", zig, run=runner, prebuilt=[fakemath]
    ).modules
    assert module.built, module.errors
    as_gnu = PrebuiltLibrary("fakemath", library_dir / "fakemath.lib", False)  # no stand-ins
    (bare,) = prove(tree, plan_of(tree), [sdk], tmp_path / "p", zig, run=runner, prebuilt=[as_gnu]).modules
    assert not bare.built and any("libmsvcrt.a" in e for e in bare.errors), bare.errors


def test_a_limited_api_module_links_the_stable_abi_library(tmp_path: Path) -> None:
    """Py_LIMITED_API from meson's limited_api:, from define_macros or from the source
    itself: the module links python3.lib, as MSVC's build does through pyconfig.h, so a
    non-stable name it uses fails to link here as it would there."""
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "pyproject.toml").write_text('[build-system]\nbuild-backend = "mesonpy"\nrequires = []\n')
    (tree / "meson.build").write_text(
        "project('m', 'c')\npy = import('python').find_installation(pure: false)\n"
        "py.extension_module('by_meson', 'a.c', limited_api: '3.10')\n"
        "py.extension_module('by_source', 'b.c')\npy.extension_module('full', 'c.c')\n"
    )
    (tree / "a.c").write_text("#include <Python.h>\n")
    (tree / "b.c").write_text("/* abi3 */\n#  define Py_LIMITED_API 0x030b0000\n#include <Python.h>\n")
    (tree / "c.c").write_text("#include <Python.h>\n/* Py_LIMITED_API is not defined here */\n")
    links: dict[str, list[str]] = {}

    def record(command: list[str], cwd: Path) -> tuple[int, str]:
        if "-shared" in command:
            output = Path(command[command.index("-o") + 1])
            links[output.name.split(".")[0]] = command
            output.write_bytes(minimal_pe(MACHINE_ARM64, ["python3.dll"]))
        return 0, ""

    plan = plan_of(tree)
    assert {m.name: m.defines for m in modules_of(plan)}["by_meson"] == (
        ("a.c", ("-DPy_LIMITED_API=0x030A0000",)),
    )
    prove(tree, plan, [Sdk("3.13", tmp_path / "sdk", "t")], tmp_path / "o", ["zig"], run=record)
    assert "-lpython3" in links["by_meson"] and "-lpython3" in links["by_source"]
    assert "-lpython313" in links["full"] and "-lpython3" not in links["full"]


def test_only_an_unconditional_or_self_guarded_define_makes_a_source_limited_api() -> None:
    from analyzer.prove import defines_limited_api

    limited = [
        b"#define Py_LIMITED_API 0x03090000\n#include <Python.h>\n",
        b"#ifndef Py_LIMITED_API\n#  define Py_LIMITED_API 0x03090000\n#endif\n",
        b"#if !defined(Py_LIMITED_API)\n#define Py_LIMITED_API 3\n#endif\n",
    ]
    not_limited = [
        # Cython's generated C: only when the build asks for CYTHON_LIMITED_API.
        b"#if CYTHON_LIMITED_API\n#ifndef Py_LIMITED_API\n#define Py_LIMITED_API 3\n#endif\n#endif\n",
        b"#ifdef ABI3\n#define Py_LIMITED_API 3\n#endif\n",
        b"#ifndef Py_LIMITED_API\n#else\n#define Py_LIMITED_API 1\n#endif\n",
        b"/* Py_LIMITED_API */\n#define Py_LIMITED_API_LIKE 1\n",
    ]
    assert [defines_limited_api(t) for t in limited] == [True] * 3
    assert [defines_limited_api(t) for t in not_limited] == [False] * 4


def test_prebuilt_objects_the_build_links_are_linked(tmp_path: Path) -> None:
    """greenlet links a MASM switch it ships prebuilt (extra_objects): without it the link
    misses slp_switch. Objects outside the tree are not linked."""
    tree = _tree(
        tmp_path,
        'setup(ext_modules=[Extension("m", ["m.c"], extra_objects=["platform/sw.obj", "/etc/x.obj"])])\n',
        {"m.c": "int f(void);\n", "platform/sw.obj": "COFF"},
    )
    (module,) = modules_of(plan_of(tree))
    assert module.objects == ("platform/sw.obj", "/etc/x.obj")
    links: list[list[str]] = []

    def record(command: list[str], cwd: Path) -> tuple[int, str]:
        if "-shared" in command:
            links.append(command)
        return 0, ""

    prove(tree, plan_of(tree), [Sdk("3.13", tmp_path / "sdk", "t")], tmp_path / "o", ["zig"], run=record)
    (link,) = links
    assert str((tree / "platform" / "sw.obj").resolve()) in link and "/etc/x.obj" not in link


def test_a_failure_the_model_cannot_blame_on_the_code_is_not_proven(tmp_path: Path) -> None:
    """tree-sitter's version macro comes from a file the model does not read: its value is
    unknown, so a compile error is the model's doubt, not the package's fault."""
    tree = _tree(
        tmp_path,
        'version = open("VERSION").read().strip()\n'
        'setup(ext_modules=[Extension("m", ["m.c"], define_macros=[("PY_VERSION_TEXT", version)])])\n',
        {"m.c": "const char *v = PY_VERSION_TEXT;\n", "VERSION": "1.0\n"},
    )
    sdk = Sdk("3.13", tmp_path / "sdk", "t")

    def fails(command: list[str], cwd: Path) -> tuple[int, str]:
        assert "-DPY_VERSION_TEXT=(a value woaport could not compute)" not in command
        return 1, f"{command[-1]}:1:15: error: incompatible integer to pointer conversion\n"

    (proof,) = prove(tree, plan_of(tree), [sdk], tmp_path / "o", ["zig"], run=fails).modules
    assert proof.reason == "macro-value" and "PY_VERSION_TEXT" in proof.not_proven
    assert failed_modules(prove(tree, plan_of(tree), [sdk], tmp_path / "p", ["zig"], run=fails)) == []


def test_a_link_missing_only_another_targets_code_is_not_proven(tmp_path: Path) -> None:
    """pandas' parser links a static library of its own build (meson link_with): the
    symbols it misses are defined by another target's sources."""
    tree = _tree(
        tmp_path,
        'setup(ext_modules=[Extension("a", ["a.c"]), Extension("b", ["b.c"])])\n',
        {"a.c": "void helper(void);\nvoid use(void) { helper(); }\n", "b.c": "void helper(void) {\n}\n"},
    )
    sdk = Sdk("3.13", tmp_path / "sdk", "t")

    def link_misses(symbol: str) -> Callable[[list[str], Path], tuple[int, str]]:
        def run(command: list[str], cwd: Path) -> tuple[int, str]:
            if "-shared" in command and any(c.endswith("a.c.o") for c in command):
                return 1, f"ld.lld: error: undefined symbol: {symbol}\n>>> referenced by a.c\n"
            return 0, ""

        return run

    proofs = {
        m.module: m
        for m in prove(tree, plan_of(tree), [sdk], tmp_path / "o", ["zig"], run=link_misses("helper")).modules
    }
    assert proofs["a"].reason == "other-target" and "b" in proofs["a"].not_proven
    # A symbol nobody in the tree defines stays the package's link error.
    proofs = {
        m.module: m
        for m in prove(
            tree, plan_of(tree), [sdk], tmp_path / "p", ["zig"], run=link_misses("nowhere")
        ).modules
    }
    assert not proofs["a"].not_proven and proofs["a"].findings


def test_a_module_the_build_may_not_compile_on_arm64_is_not_proven_when_it_fails(tmp_path: Path) -> None:
    """rapidfuzz's x86 feature detector is built only when a CMake probe says x86, which
    the model left open on mingw: its __cpuidex error is not the package's fault."""
    from dataclasses import replace as with_

    tree = PROVE / "WOA901" / "good"
    plan = plan_of(tree)
    maybe = with_(plan, sources=tuple(with_(u, compiled=(("mingw-arm64", None),)) for u in plan.sources))
    sdk = Sdk("3.13", tmp_path / "sdk", "t")

    def fails(command: list[str], cwd: Path) -> tuple[int, str]:
        return 1, f"{command[-1]}:10:5: error: use of undeclared identifier '__cpuidex'\n"

    (certain,) = prove(tree, plan, [sdk], tmp_path / "a", ["zig"], run=fails).modules
    (doubtful,) = prove(tree, maybe, [sdk], tmp_path / "b", ["zig"], run=fails).modules
    assert not certain.not_proven and certain.findings
    assert doubtful.reason == "maybe-compiled" and "__cpuidex" in doubtful.not_proven


CUSTOM_EXTENSION_SETUP = """\
from distutils.core import setup
from buildhelpers import Extension  # not in the tree (the project's CI installs it): not followed

setup(name="spam", ext_modules=[Extension("spam._spam", ["spam/_spam.c"], "x", "y", None)])
"""


def test_a_setup_py_the_model_cannot_read_gets_the_conventional_layout(tmp_path: Path) -> None:
    """Issue 26: instead of exit 2, the modules are guessed (a source defining PyInit_NAME,
    with the plain sources of its folder), each only "maybe"; a failed compile is then not
    proven ("maybe-compiled"), a good one built, and the note says it was guessed."""
    from analyzer.buildmodel.conventional import NOTE
    from analyzer.prove import plan_for_proof

    tree = tmp_path / "tree"
    (tree / "spam").mkdir(parents=True)
    (tree / "setup.py").write_text(CUSTOM_EXTENSION_SETUP)
    (tree / "spam" / "_spam.c").write_text(
        (PROVE / "WOA901" / "good" / "src" / "spam.c").read_text().replace("PyInit_spam", "PyInit__spam")
    )
    (tree / "spam" / "helper.c").write_text("int helper(void) { return 1; }\n")
    (tree / "tests").mkdir()
    (tree / "tests" / "check.c").write_text("PyMODINIT_FUNC PyInit_check(void) { return 0; }\n")
    assert project_plan(tree) is None
    plan = plan_for_proof(tree, ["zig"], lambda c, d: (0, ""), tmp_path / "inc", [])
    assert plan is not None and plan.systems == ("conventional",) and plan.notes == (NOTE,)
    (module,) = modules_of(plan)
    assert module.name == "_spam" and module.maybe
    assert sorted(module.sources) == ["spam/_spam.c", "spam/helper.c"]  # tests/ is not the package's
    assert plan.include_dirs == ("spam",)  # its headers, for C generated elsewhere
    sdk = Sdk("3.13", tmp_path / "sdk", "test")

    def fails(command: list[str], cwd: Path) -> tuple[int, str]:
        return 1, f"{command[-1]}:3:10: error: use of undeclared identifier 'yaml_parser_t'\n"

    (failed,) = prove(tree, plan, [sdk], tmp_path / "a", ["zig"], run=fails).modules
    assert not failed.built and failed.reason == "maybe-compiled"
    assert all(f.confidence is Confidence.LOW for f in failed.findings)  # not the package's fault for sure
    result = prove(tree, plan, [sdk], tmp_path / "b", ["zig"], run=lambda c, d: (0, ""))
    assert NOTE in result.notes
    assert plan_for_proof(tmp_path / "nothing-here", ["zig"], lambda c, d: (0, ""), tmp_path, []) is None


def test_a_library_target_of_the_tree_is_compiled_into_the_module_that_links_it() -> None:
    from analyzer.buildmodel.plan import BuildPlan, SourceUse, TargetSettings

    everywhere = (("mingw-arm64", 1),)
    plan = BuildPlan(
        systems=("cmake",),
        sources=(
            SourceUse("ext.cpp", "ext", "CMakeLists.txt", 3, everywhere),
            SourceUse("lib/soxr.c", "soxr", "lib/CMakeLists.txt", 3, everywhere),
        ),
        settings=(TargetSettings("ext", "mingw-arm64", libraries=("soxr", "m")),),
    )
    ext = next(m for m in modules_of(plan) if m.name == "ext")
    assert ext.sources == ("ext.cpp", "lib/soxr.c") and ext.libraries == ("m",)


def test_a_header_the_configure_step_writes_is_written_and_definitions_follow_their_target(
    tmp_path: Path,
) -> None:
    """Issue 26 item 4: a configure_file header the model computes is written for the
    compile (soxr's soxr-config.h), and add_definitions reaches only the sources of the
    targets of its directory (soxr's -DSOXR_LIB)."""
    from dataclasses import replace

    from analyzer.buildmodel.plan import GeneratedHeader

    tree = tmp_path / "tree"
    files = {
        "pyproject.toml": (
            '[build-system]\nrequires = ["scikit-build-core"]\nbuild-backend = "scikit_build_core.build"\n'
        ),
        "CMakeLists.txt": (
            "project(p C)\nfind_package(Python COMPONENTS Development.Module)\n"
            "configure_file(${PROJECT_SOURCE_DIR}/lib/config.h.in ${PROJECT_BINARY_DIR}/config.h)\n"
            "include_directories(${PROJECT_BINARY_DIR})\nadd_subdirectory(lib)\n"
            "Python_add_library(_ext MODULE ext.c WITH_SOABI)\ntarget_link_libraries(_ext PRIVATE core)\n"
        ),
        "lib/CMakeLists.txt": "add_definitions(-DCORE_LIB)\nadd_library(core STATIC core.c)\n",
        "lib/config.h.in": '#cmakedefine01 WIN32\n#define NAME "@PROJECT_NAME@"\n',
        "lib/core.c": '#include "config.h"\nint core;\n',
        "ext.c": '#include "config.h"\nint ext;\n',
    }
    for rel, text in files.items():
        (tree / rel).parent.mkdir(parents=True, exist_ok=True)
        (tree / rel).write_text(text)
    plan = plan_of(tree)
    assert [h.path for h in plan.generated_headers] == ["config.h"]
    seen: dict[str, tuple[list[str], str]] = {}

    def toolchain(command: list[str], cwd: Path) -> tuple[int, str]:
        if "-c" in command:
            folders = [c[2:] for c in command if c.startswith("-I")]
            header = next((Path(f) / "config.h" for f in folders if (Path(f) / "config.h").is_file()), None)
            text = header.read_text() if header is not None else ""
            seen[Path(command[-1]).name] = ([c for c in command if c.startswith("-D")], text)
        if "-shared" in command:
            Path(command[command.index("-o") + 1]).write_bytes(minimal_pe(MACHINE_ARM64, ["python313.dll"]))
        return 0, ""

    result = prove(tree, plan, [Sdk("3.13", tmp_path / "s", "t")], tmp_path / "o", ["zig"], run=toolchain)
    assert {m.module for m in result.modules if m.built} >= {"_ext"}
    assert seen["ext.c"][1] == '#define WIN32 1\n#define NAME "p"\n'
    assert "-DCORE_LIB" in seen["core.c"][0] and "-DCORE_LIB" not in seen["ext.c"][0]
    # A header whose values the model does not know is not written: the proof says which.
    unknown = replace(
        plan,
        generated_headers=(
            GeneratedHeader(
                "config.h",
                "lib/config.h.in",
                (("mingw-arm64", None), ("msvc-arm64", None)),
                ("X", "Y"),
                unknown_on=(("mingw-arm64", ("X",)), ("msvc-arm64", ("X", "Y"))),
            ),
        ),
    )
    result = prove(tree, unknown, [Sdk("3.13", tmp_path / "s", "t")], tmp_path / "o2", ["zig"], run=toolchain)
    # Only what the proven model lacks (Y is unknown on msvc-arm64 alone).
    assert any(n.endswith("values the model does not know on mingw-arm64: X") for n in result.notes)


def test_each_compile_takes_the_language_standard_the_build_asks_for(tmp_path: Path) -> None:
    """pandas' meson project says ``cpp_std=c++20`` (its NEON module uses std::span): the
    C++ units compile with it, the C units with ``c_std``, a target's override_options
    win; CMake's CMAKE_CXX_STANDARD and target_compile_features (a minimum) likewise."""
    from analyzer.prove import standard_for

    assert standard_for(["/std:c++20", "-std=c11"], cplus=True) == ["-std=c++20"]
    assert standard_for(["/std:c++20", "-std=c11"], cplus=False) == ["-std=c11"]
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["meson-python"]\nbuild-backend = "mesonpy"\n'
    )
    (tree / "meson.build").write_text(
        "project('p', 'c', 'cpp', default_options: ['c_std=c17', 'cpp_std=c++20,vc++20'])\n"
        "py = import('python').find_installation()\n"
        "py.extension_module('m', 'm.c', 'span.cpp')\n"
        "py.extension_module('old', 'old.cpp', override_options: ['cpp_std=c++14'])\n"
    )
    for name in ("m.c", "span.cpp", "old.cpp"):
        (tree / name).write_text("int x;\n")
    flags: dict[str, list[str]] = {}

    def toolchain(command: list[str], cwd: Path) -> tuple[int, str]:
        if "-c" in command:
            flags[Path(command[-1]).name] = [c for c in command if c.startswith("-std")]
        return 0, ""

    prove(tree, plan_of(tree), [Sdk("3.13", tmp_path / "s", "t")], tmp_path / "o", ["zig"], run=toolchain)
    assert flags == {"m.c": ["-std=c17"], "span.cpp": ["-std=c++20"], "old.cpp": ["-std=c++14"]}
    (tree / "meson.build").unlink()
    (tree / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["scikit-build-core"]\nbuild-backend = "scikit_build_core.build"\n'
    )
    (tree / "CMakeLists.txt").write_text(
        "project(p C CXX)\nset(CMAKE_CXX_STANDARD 20)\nadd_library(m MODULE m.c span.cpp)\n"
        "add_library(old MODULE old.cpp)\ntarget_compile_features(old PRIVATE cxx_std_17)\n"
        "set(CMAKE_CXX_STANDARD 11)\nadd_library(new MODULE new.cpp)\n"
        "target_compile_features(new PRIVATE cxx_std_17)\n"
    )
    (tree / "new.cpp").write_text("int y;\n")
    flags.clear()
    prove(tree, plan_of(tree), [Sdk("3.13", tmp_path / "s", "t")], tmp_path / "o2", ["zig"], run=toolchain)
    # A compile feature is a minimum: CMAKE_CXX_STANDARD 20 stays, 11 is raised to 17.
    assert flags == {
        "m.c": [],
        "span.cpp": ["-std=c++20"],
        "old.cpp": ["-std=c++20"],
        "new.cpp": ["-std=c++17"],
    }


def test_a_missing_header_of_a_library_the_build_looks_for_is_external(tmp_path: Path) -> None:
    """psycopg2 asks pg_config where libpq is (its libraries come from the tool's answer,
    so no Extension names pq): libpq-fe.h is libpq's header, not the tree's."""
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "m.c").write_text("#include <libpq-fe.h>\nint m;\n")
    (tree / "setup.py").write_text(
        "import subprocess\nfrom setuptools import setup, Extension\n"
        "includes = subprocess.check_output(['pg_config', '--includedir'])\n"
        "setup(ext_modules=[Extension('m', ['m.c'])])\n"
    )

    def toolchain(command: list[str], cwd: Path) -> tuple[int, str]:
        if "-c" in command:
            return 1, f"{command[-1]}:1:10: fatal error: 'libpq-fe.h' file not found\n"
        return 0, ""

    plan = plan_of(tree)
    (proof,) = prove(
        tree, plan, [Sdk("3.13", tmp_path / "s", "t")], tmp_path / "o", ["zig"], run=toolchain
    ).modules
    assert proof.reason == "external-library"
    assert "of libpq, which the build looks for" in proof.not_proven
    # psycopg2 includes pg_config.h first: named after the tool, it is the tool's library's.
    (tree / "m.c").write_text("#include <pg_config.h>\nint m;\n")

    def no_pg_config(command: list[str], cwd: Path) -> tuple[int, str]:
        if "-c" in command:
            return 1, f"{command[-1]}:1:10: fatal error: 'pg_config.h' file not found\n"
        return 0, ""

    sdks = [Sdk("3.13", tmp_path / "s", "t")]
    (proof,) = prove(tree, plan, sdks, tmp_path / "o2", ["zig"], run=no_pg_config).modules
    assert proof.reason == "external-library" and "pg_config.h, of libpq" in proof.not_proven
    # A tool the model cannot name (from the environment): the build file's text names it.
    (tree / "setup.py").write_text(
        "import os, subprocess\nfrom setuptools import setup, Extension\n"
        "tool = os.environ.get('PG_CONFIG', 'pg_config')\n"
        "includes = subprocess.check_output([tool, '--includedir'])\n"
        "setup(ext_modules=[Extension('m', ['m.c'])])\n"
    )
    plan = plan_of(tree)
    (proof,) = prove(tree, plan, sdks, tmp_path / "o3", ["zig"], run=no_pg_config).modules
    assert proof.reason == "external-library" and "pg_config.h, of libpq" in proof.not_proven


def test_a_header_the_plan_saw_generated_under_another_name_is_a_generated_header(tmp_path: Path) -> None:
    """numpy's npy_cpu_dispatch_config.h is written from main_config.h.in: its template
    has another name, but the plan saw the configure step write it."""
    from dataclasses import replace

    from analyzer.buildmodel.plan import GeneratedHeader

    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "m.c").write_text('#include "dispatch_config.h"\nint m;\n')
    (tree / "main_config.h.in").write_text("#mesondefine BASELINE\n")
    (tree / "setup.py").write_text(
        "from setuptools import setup, Extension\nsetup(ext_modules=[Extension('m', ['m.c'])])\n"
    )
    header = GeneratedHeader(
        "cpu/dispatch_config.h",
        "main_config.h.in",
        (("mingw-arm64", None),),
        ("BASELINE",),
        unknown_on=(("mingw-arm64", ("BASELINE",)),),
    )
    plan = replace(plan_of(tree), generated_headers=(header,))

    def toolchain(command: list[str], cwd: Path) -> tuple[int, str]:
        if "-c" in command:
            return 1, f"{command[-1]}:1:10: fatal error: 'dispatch_config.h' file not found\n"
        return 0, ""

    (proof,) = prove(
        tree, plan, [Sdk("3.13", tmp_path / "s", "t")], tmp_path / "o", ["zig"], run=toolchain
    ).modules
    assert proof.reason == "generated-header"
    assert "dispatch_config.h (from main_config.h.in); values the model does not know: BASELINE" in (
        proof.not_proven
    )


def test_a_requirement_library_is_compiled_once_and_linked_into_the_modules_it_makes(tmp_path: Path) -> None:
    """soxr_ext is a nanobind_add_module: the build compiles libnanobind from the nanobind
    wheel into it. Without it the link misses nanobind's symbols (a "failure" that was
    woaport's); a library that does not compile is not proven, not the package's fault."""
    from analyzer.buildmodel.plan import BuildPlan, SourceUse, TargetSettings
    from analyzer.sdk.requires import RequirementLibrary

    everywhere = (("mingw-arm64", 1),)
    tree = tmp_path / "tree"
    tree.mkdir()
    for name in ("a.cpp", "b.cpp", "plain.c"):
        (tree / name).write_text("int x;\n")
    wheel = tmp_path / "wheel"
    (wheel / "nanobind" / "src").mkdir(parents=True)
    (wheel / "nanobind" / "include").mkdir()
    (wheel / "nanobind" / "src" / "nb_combined.cpp").write_text("int nb;\n")
    library = RequirementLibrary(
        "nanobind",
        ("nanobind_add_module",),
        (wheel / "nanobind" / "src" / "nb_combined.cpp",),
        (wheel / "nanobind" / "include",),
        ("-std=c++17", "-DNDEBUG"),
    )
    plan = BuildPlan(
        systems=("cmake",),
        sources=tuple(
            SourceUse(path, target, "CMakeLists.txt", 1, everywhere)
            for path, target in (("a.cpp", "a"), ("b.cpp", "b"), ("plain.c", "plain"))
        ),
        settings=tuple(
            TargetSettings(target, "mingw-arm64", made_by="nanobind_add_module") for target in ("a", "b")
        ),
    )
    calls: list[list[str]] = []

    def toolchain(command: list[str], cwd: Path) -> tuple[int, str]:
        calls.append(command)
        if "-shared" in command:
            Path(command[command.index("-o") + 1]).write_bytes(minimal_pe(MACHINE_ARM64, ["python313.dll"]))
        return 0, ""

    sdk = Sdk("3.13", tmp_path / "s", "t")
    result = prove(
        tree, plan, [sdk], tmp_path / "o", ["zig"], run=toolchain, requirement_libraries=[library], jobs=2
    )
    assert all(m.built for m in result.modules)
    library_compiles = [c for c in calls if c[-1].endswith("nb_combined.cpp")]
    assert len(library_compiles) == 1 and "-DNDEBUG" in library_compiles[0]
    links = {Path(c[c.index("-o") + 1]).name.split(".")[0]: c for c in calls if "-shared" in c}
    assert any(arg.endswith("nb_combined.cpp.o") for arg in links["a"])
    assert any(arg.endswith("nb_combined.cpp.o") for arg in links["b"])
    assert not any(arg.endswith("nb_combined.cpp.o") for arg in links["plain"])
    a_compile = next(c for c in calls if c[-1].endswith("a.cpp"))
    assert f"-I{wheel / 'nanobind' / 'include'}" in a_compile

    def broken(command: list[str], cwd: Path) -> tuple[int, str]:
        if command[-1].endswith("nb_combined.cpp"):
            return 1, "nb_combined.cpp:1:1: error: no\n"
        return toolchain(command, cwd)

    result = prove(tree, plan, [sdk], tmp_path / "o2", ["zig"], run=broken, requirement_libraries=[library])
    reasons = {m.module: m.reason for m in result.modules}
    assert reasons == {"a": "requirement-library", "b": "requirement-library", "plain": ""}
    assert not failed_modules(result)


def test_a_failure_where_build_ext_changes_the_extensions_is_build_logic_not_the_code(tmp_path: Path) -> None:
    """pillow adds PILLOW_VERSION and psapi in its build_ext subclass, which the model does
    not apply: the compile and link failures that follow are the model's (build-logic),
    unless the error is x86 code, which no build setting makes compile."""
    body = (
        "from setuptools.command.build_ext import build_ext\n"
        "class BuildExt(build_ext):\n"
        "    def build_extensions(self):\n"
        "        for ext in self.extensions:\n"
        "            ext.define_macros.append(('VERSION', '\"1\"'))\n"
        "        self.libraries.append('psapi')\n"
        "        super().build_extensions()\n"
        "setup(cmdclass={'build_ext': BuildExt},\n"
        "      ext_modules=[Extension('m', ['m.c']), Extension('x', ['x.c'])])\n"
    )
    tree = _tree(tmp_path, body, {"m.c": "const char *v = VERSION;\n", "x.c": "#include <immintrin.h>\n"})
    plan = plan_of(tree)
    assert plan.build_time_edits == (
        "setup.py:6 BuildExt.build_extensions changes ext.define_macros",
        "setup.py:7 BuildExt.build_extensions changes self.libraries",
    )

    def toolchain(command: list[str], cwd: Path) -> tuple[int, str]:
        if command[-1].endswith("m.c"):
            return 1, f"{command[-1]}:1:18: error: use of undeclared identifier 'VERSION'\n"
        if command[-1].endswith("x.c"):
            return 1, f'{command[-1]}:1:10: error: "This header is only meant to be used on x86 and x64"\n'
        return 0, ""

    result = prove(tree, plan, [Sdk("3.13", tmp_path / "s", "t")], tmp_path / "o", ["zig"], run=toolchain)
    by_name = {m.module: m for m in result.modules}
    assert by_name["m"].reason == "build-logic" and "setup.py:6 BuildExt" in by_name["m"].not_proven
    assert by_name["x"].reason == "" and not by_name["x"].built  # the package's own x86 code
    assert [m.module for m in failed_modules(result)] == ["x"]


def test_a_missing_header_of_a_library_the_build_links_is_an_external_library(tmp_path: Path) -> None:
    """google-crc32c's module includes crc32c/crc32c.h and links crc32c: the library's
    header, not the tree's, so an ARM64 build of the library is what is missing."""
    body = "setup(ext_modules=[Extension('c', ['c.c'], libraries=['crc32c']), Extension('d', ['d.c'])])\n"
    tree = _tree(tmp_path, body, {"c.c": "#include <crc32c/crc32c.h>\n", "d.c": '#include "gone.h"\n'})

    def toolchain(command: list[str], cwd: Path) -> tuple[int, str]:
        header = "crc32c/crc32c.h" if command[-1].endswith("c.c") else "gone.h"
        return 1, f"{command[-1]}:1:10: fatal error: '{header}' file not found\n"

    result = prove(
        tree, plan_of(tree), [Sdk("3.13", tmp_path / "s", "t")], tmp_path / "o", ["zig"], run=toolchain
    )
    by_name = {m.module: m for m in result.modules}
    assert (
        by_name["c"].reason == "external-library"
        and "of crc32c, which the build links" in by_name["c"].not_proven
    )
    assert by_name["d"].reason == "missing-header"
