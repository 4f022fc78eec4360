"""The Windows ARM64 CPython SDK for one Python X.Y (I/O): ``include/`` (CPython's public
headers plus ``PC/pyconfig.h`` as the Windows ``pyconfig.h``) and ``libs/`` (ARM64
import libraries for ``pythonXY.dll`` and ``python3.dll``, made with ``zig dlltool``
from the export lists in CPython's sources). Looked for in order: ``--python-sdk DIR`` /
``WOAPORT_PYTHON_SDK``, the cache, the official ARM64 NuGet package when its URL is
configured (``WOAPORT_NUGET_SDK_URL``), then built from Debian's copy of CPython's release
tarball (:mod:`analyzer.sdk.debian`). Nothing downloaded is ever run."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from analyzer.childproc import run_limited
from analyzer.errors import InputProblem
from analyzer.sdk.debian import DebianSources, SourceFetchError, Tarball, apt_mirror, get_capped
from analyzer.sdk.exports import def_file, header_exports, stable_exports

SDK_ENV = "WOAPORT_PYTHON_SDK"
MAX_MEMBER = 8 * 1024 * 1024
LAYOUT = 3  # bump when what a cached SDK holds changes (2: Include/internal/ too; 3: _Py_NO_RETURN exports)


class SdkError(RuntimeError, InputProblem):
    """No SDK for that Python could be found or made (message says why)."""


@dataclass(frozen=True)
class Sdk:
    python: str  # "3.13"
    root: Path
    source: str  # where it came from, for the report

    @property
    def include(self) -> Path:
        return self.root / "include"

    @property
    def libs(self) -> Path:
        return self.root / "libs"

    @property
    def dll(self) -> str:
        return f"python{self.python.replace('.', '')}.dll"


def sdk_name(python: str) -> str:
    return f"cpython-{python}-win-arm64"


def _usable(root: Path, python: str) -> bool:
    lib = f"python{python.replace('.', '')}.lib"
    return (
        (root / "include" / "Python.h").is_file()
        and (root / "include" / "pyconfig.h").is_file()
        and (root / "libs" / lib).is_file()
    )


def archive_damage(data: bytes) -> str:
    """What is wrong with an ``ar`` archive (a COFF import library), "" if nothing: a
    library cut short makes every link fail with errors that look like the package's."""
    if not data.startswith(b"!<arch>\n"):
        return "not an import library (no !<arch> header)"
    at = 8
    while at < len(data):
        header = data[at : at + 60]
        if len(header) < 60 or header[58:60] != b"`\n":
            return f"truncated or damaged at byte {at}"
        try:
            size = int(header[48:58].decode("ascii").strip() or "-1")
        except ValueError:
            return f"damaged member header at byte {at}"
        if size < 0 or at + 60 + size > len(data):
            return f"truncated: a member at byte {at} runs past the end"
        at += 60 + size + (size & 1)
    return ""


def sdk_damage(sdk: Sdk) -> str:
    """What is wrong with ``sdk``'s import libraries, "" if nothing."""
    for lib in sorted(sdk.libs.glob("*.lib")):
        try:
            damage = archive_damage(lib.read_bytes())
        except OSError as error:
            damage = str(error)
        if damage:
            return f"{lib.name}: {damage}"
    return ""


def checked(sdk: Sdk) -> Sdk:
    """``sdk``, when its import libraries are whole; an error naming the damage and the
    command that rebuilds it otherwise (never a link error blamed on the package)."""
    damage = sdk_damage(sdk)
    if damage:
        raise SdkError(
            f"the CPython {sdk.python} SDK at {sdk.root} is damaged ({damage});"
            f" rebuild it: woaport sdk --python {sdk.python} --rebuild"
            " (or fix the directory given with --python-sdk)"
        )
    return sdk


def parse_zig_env(output: str, cwd: Path) -> Path | None:
    """The library directory ``zig env`` names (relative to ``cwd``, where it ran)."""
    for line in output.splitlines():
        key, _, value = line.strip().partition("=")
        if key.strip().lstrip(".").strip('"') == "lib_dir" and value.strip():
            return (cwd / value.strip().rstrip(",").strip('"')).resolve()
    return None


def zig_lib_dir(zig: list[str], timeout: float = 60.0) -> Path:
    """zig's library directory (clang's and mingw-w64's headers): the only toolchain
    files a compile may read besides the tree and the SDK. Checks that zig runs."""
    reinstall = "reinstall it: pip install --force-reinstall ziglang"
    with tempfile.TemporaryDirectory(prefix="woaport-zig-env-") as here:
        done = run_limited([*zig, "env"], Path(here), seconds=timeout)
        if done.stopped:
            raise SdkError(f"zig ({' '.join(zig)}) does not run ({done.stopped}); {reinstall}")
        lib = parse_zig_env(done.output, Path(here)) if done.code == 0 else None
    if lib is None:
        raise SdkError(f"zig ({' '.join(zig)}) does not run: `zig env` failed; {reinstall}")
    if not (lib / "include" / "arm_neon.h").is_file():
        raise SdkError(f"zig's library directory {lib} has no include/arm_neon.h: damaged; {reinstall}")
    return lib


def zig_command() -> list[str]:
    """How to run zig: the ``ziglang`` package's, else one on PATH."""
    try:
        import ziglang  # noqa: F401
    except ImportError:
        found = shutil.which("zig")
        if found is None:
            raise SdkError("zig is not installed (pip install ziglang)") from None
        return [found]
    # -P: compiles run in the package's tree, and "python -m" would otherwise put the
    # working directory first on sys.path, so a ziglang/ folder the sdist ships would run.
    return [sys.executable, "-P", "-m", "ziglang"]


def _wanted(name: str) -> str | None:
    """Where a member of CPython's tarball goes in the SDK, if it is wanted: the headers
    (``internal/`` too: the Windows installer ships them, and Cython's generated C
    includes some), the Windows pyconfig and the stable-ABI export list."""
    parts = name.split("/")
    if len(parts) < 3 or any(p in ("", ".", "..") for p in parts):
        return None
    rest = parts[1:]
    if rest[0] == "Include" and rest[-1].endswith(".h"):
        return "/".join(["include", *rest[1:]])
    if rest == ["PC", "pyconfig.h.in"] or rest == ["PC", "pyconfig.h"]:
        return "include/pyconfig.h"
    if rest == ["PC", "python3dll.c"]:
        return "python3dll.c"
    return None


def unpack_headers(tarball: Path, destination: Path) -> None:
    """The wanted members only, as regular files (no links, no paths out of the tree)."""
    with tarfile.open(tarball, "r:*") as archive:
        for member in archive:
            target = _wanted(member.name)
            if target is None or not member.isreg() or member.size > MAX_MEMBER:
                continue
            stream = archive.extractfile(member)
            if stream is None:
                continue
            path = destination / target
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(stream.read())


def make_import_libraries(root: Path, python: str, zig: list[str]) -> None:
    """``libs/pythonXY.lib`` and ``libs/python3.lib`` for ARM64 from the export lists."""
    headers = [
        p.read_text(encoding="utf-8", errors="replace") for p in sorted((root / "include").rglob("*.h"))
    ]
    functions, data = header_exports(headers)
    if len(functions) < 200:
        raise SdkError(
            f"CPython {python}'s headers declare only {len(functions)} exports: not a CPython tree"
        )
    libs = root / "libs"
    libs.mkdir(exist_ok=True)
    versioned = f"python{python.replace('.', '')}"
    wanted = [(versioned, functions, data)]
    stable = root / "python3dll.c"
    if stable.is_file():
        wanted.append(("python3", *stable_exports(stable.read_text(encoding="utf-8", errors="replace"))))
    for name, funcs, datas in wanted:
        definition = libs / f"{name}.def"
        definition.write_text(def_file(f"{name}.dll", funcs, datas), encoding="utf-8")
        done = subprocess.run(
            [*zig, "dlltool", "-m", "arm64", "-d", str(definition), "-l", str(libs / f"{name}.lib")],
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
        if done.returncode != 0:
            raise SdkError(f"zig dlltool failed for {name}: {done.stderr.strip()[-500:]}")


def assemble(tarball: Path, python: str, destination: Path, zig: list[str], source: str) -> Sdk:
    """Build the SDK from CPython's release tarball into ``destination`` (atomically: a
    half-made SDK is never left where the cache would find it)."""
    work = Path(tempfile.mkdtemp(prefix=".woaport-sdk-", dir=destination.parent))
    try:
        unpack_headers(tarball, work)
        if not (work / "include" / "Python.h").is_file() or not (work / "include" / "pyconfig.h").is_file():
            raise SdkError(f"{tarball.name}: no Include/Python.h or PC/pyconfig.h in it")
        make_import_libraries(work, python, zig)
        (work / "SOURCE.txt").write_text(f"layout {LAYOUT}\n{source}\n", encoding="utf-8")
        if destination.exists():
            shutil.rmtree(destination)
        os.replace(work, destination)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return Sdk(python, destination, source)


NUGET_ENV = "WOAPORT_NUGET_SDK_URL"  # e.g. .../pythonarm64/{version}/pythonarm64.{version}.nupkg
MAX_NUPKG = 128 * 1024 * 1024


def nuget_url(python: str) -> str | None:
    """The configured NuGet package URL for ``python`` (``{python}`` replaced), if any."""
    template = os.environ.get(NUGET_ENV)
    return template.replace("{python}", python) if template else None


def from_nuget(url: str, python: str, destination: Path, get: Callable[[str, int], bytes]) -> Sdk:
    """The official ARM64 CPython NuGet package (``pythonarm64``): ``tools/include`` and
    ``tools/libs`` as they are. Trust: the package's SHA-512 from the ``.sha512`` file the
    NuGet flat container serves beside it (integrity against the same server; NuGet's
    repository signature is not checked)."""
    package = get(url, MAX_NUPKG)
    expected = get(url + ".sha512", 4096).decode("ascii", "replace").strip()
    actual = base64.b64encode(hashlib.sha512(package).digest()).decode()
    if actual != expected:
        raise SdkError(f"{url}: SHA-512 does not match the .sha512 the server gives")
    work = Path(tempfile.mkdtemp(prefix=".woaport-sdk-", dir=destination.parent))
    try:
        with zipfile.ZipFile(io.BytesIO(package)) as archive:
            for info in archive.infolist():
                parts = info.filename.split("/")
                if (
                    info.is_dir()
                    or len(parts) < 3
                    or parts[0] != "tools"
                    or parts[1] not in ("include", "libs")
                ):
                    continue
                if any(p in ("", ".", "..") for p in parts) or info.file_size > MAX_MEMBER:
                    continue
                target = work.joinpath(*parts[1:])
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(archive.read(info))
        if not _usable(work, python):
            raise SdkError(
                f"{url}: no tools/include/Python.h, pyconfig.h or libs/python{python.replace('.', '')}.lib"
            )
        source = f"NuGet {url} (sha512 checked)"
        (work / "SOURCE.txt").write_text(f"layout {LAYOUT}\n{source}\n", encoding="utf-8")
        if destination.exists():
            shutil.rmtree(destination)
        os.replace(work, destination)
    except zipfile.BadZipFile as error:
        raise SdkError(f"{url}: not a NuGet package ({error})") from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return Sdk(python, destination, source)


def _http_get(url: str, cap: int) -> bytes:
    import httpx

    try:
        with httpx.Client(timeout=60.0, follow_redirects=True) as client:
            return get_capped(client, url, cap)
    except SourceFetchError as error:
        raise SdkError(str(error)) from None


def find_sdk(
    python: str,
    cache: Path,
    explicit: Path | None = None,
    sources: Callable[[], DebianSources] | None = None,
    log: Callable[[str], None] = lambda _: None,
) -> Sdk:
    """The SDK for ``python`` from the first place that has it (see the module's doc).
    Given folders are made absolute: the compiler runs in the tree, not here."""
    for given, what in (
        (explicit.resolve() if explicit is not None else None, "--python-sdk"),
        (Path(os.environ[SDK_ENV]).resolve() if os.environ.get(SDK_ENV) else None, SDK_ENV),
    ):
        if given is None:
            continue
        for root in (given / sdk_name(python), given):
            if _usable(root, python):
                return Sdk(python, root, f"{what} {root}")
        raise SdkError(
            f"{what} {given}: no CPython {python} SDK there"
            f" (include/Python.h, include/pyconfig.h, libs/python{python.replace('.', '')}.lib)"
        )
    cached = cache / sdk_name(python)
    if _usable(cached, python):
        origin = (cached / "SOURCE.txt").read_text(encoding="utf-8", errors="replace").splitlines()
        if origin[:1] == [f"layout {LAYOUT}"]:
            return Sdk(python, cached, " ".join(origin[1:]) + " (cached)")
    package = nuget_url(python)
    if package is not None:
        cache.mkdir(parents=True, exist_ok=True)
        log(f"fetching CPython {python} for ARM64 from NuGet ({package})")
        return from_nuget(package, python, cached, _http_get)
    if sources is None:
        mirror = apt_mirror()
        if mirror is None:
            raise SdkError(
                "no Debian mirror in the apt configuration: set WOAPORT_DEBIAN_MIRROR or --python-sdk"
            )
        sources = lambda: DebianSources(mirror)  # noqa: E731
    zig = zig_command()
    cache.mkdir(parents=True, exist_ok=True)
    fetcher = sources()
    try:
        found: Tarball | None = next(fetcher.tarballs(python), None)
        if found is None:
            raise SdkError(f"no suite of the Debian archive has CPython {python}'s sources")
        log(
            f"fetching CPython {python} sources ({found.url.rsplit('/', 1)[-1]}, Debian {found.suite},"
            " signature and SHA-256 checked)"
        )
        with tempfile.TemporaryDirectory(prefix="woaport-sdk-dl-") as tmp:
            tarball = fetcher.download(found, Path(tmp))
            source = (
                f"Debian {found.suite} python{python} {found.version} ({found.url}, sha256 {found.sha256})"
            )
            return assemble(tarball, python, cached, zig, source)
    except SourceFetchError as error:
        raise SdkError(str(error)) from None
    finally:
        fetcher.close()


def local_sdk(python: str, cache: Path, explicit: Path | None = None) -> Sdk | None:
    """The SDK for ``python`` if one is already at hand (``--python-sdk``, the
    environment, the cache); never fetches (a scan does not download toolchains)."""

    def offline() -> DebianSources:
        raise SdkError("offline")

    try:
        return find_sdk(python, cache, explicit, sources=offline)
    except SdkError:
        return None
