"""Does an SDK cover what shipped ARM64 extension modules import?

The SDK's import libraries are made from CPython's header declarations (no CPython ARM64
DLL is reachable here), so they could miss an export. A ``win_arm64`` wheel a project
already ships was linked against the real ``pythonXY.dll`` / ``python3.dll``: every
name its modules import from them is a real export, and an SDK that lacks one would make
prove blame a package for woaport's gap. :func:`check_module` compares one module's
imports with the SDK's libraries (pure); the readers around it take modules from
``.pyd`` files and from wheels (zip archives read in memory, capped: inputs come from
the index)."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from analyzer.sdk.pe import MACHINE_ARM64, PEError, PEInfo, archive_exports, read_pe

MAX_MODULE = 64 * 1024 * 1024
MAX_MODULES = 2000  # per wheel
MAX_LIBRARY = 16 * 1024 * 1024
_PYTHON_DLL = re.compile(r"python3(\d*)(t?)\.dll")
_MODULE_SUFFIXES = (".pyd", ".dll")


class CoverageError(ValueError):
    """A path that is neither a wheel nor a module, or a damaged one (message says which)."""


@dataclass(frozen=True)
class ModuleCheck:
    source: str  # the .pyd, or "WHEEL!MEMBER"
    checked: tuple[str, ...]  # the python DLLs compared with an SDK library
    imported: tuple[tuple[str, str], ...]  # (dll, name) imported from them
    missing: tuple[tuple[str, str], ...]  # (dll, name) the SDK's library lacks
    skipped: str = ""  # why (part of) the module was not compared; "" when all of it was

    @property
    def covered(self) -> bool:
        return not self.missing


def sdk_exports(*folders: Path) -> dict[str, frozenset[str]]:
    """The names the import libraries in SDKs' ``libs/`` folders let a module import,
    keyed by the DLL each stands for (``python313.lib`` -> ``python313.dll``; the
    folders' ``python3.lib`` together)."""
    exports: dict[str, frozenset[str]] = {}
    for library in sorted(lib for folder in folders for lib in folder.glob("*.lib")):
        if not _PYTHON_DLL.fullmatch(library.stem.lower() + ".dll"):
            continue
        if library.stat().st_size > MAX_LIBRARY:
            raise CoverageError(f"{library}: larger than {MAX_LIBRARY} bytes")
        dll = library.stem.lower() + ".dll"
        try:
            exports[dll] = exports.get(dll, frozenset()) | archive_exports(library.read_bytes())
        except PEError as error:
            raise CoverageError(f"{library}: {error}") from None
    return exports


def check_module(source: str, info: PEInfo, exports: Mapping[str, frozenset[str]]) -> ModuleCheck:
    """``info``'s imports from CPython's DLLs against ``exports`` (see :func:`sdk_exports`)."""
    if info.machine != MACHINE_ARM64:
        return ModuleCheck(source, (), (), (), f"machine {info.machine:#06x}, not ARM64")
    checked: list[str] = []
    imported: list[tuple[str, str]] = []
    missing: list[tuple[str, str]] = []
    skipped: list[str] = []
    for dll in sorted(info.names):
        match = _PYTHON_DLL.fullmatch(dll)
        if match is None:
            continue
        if match.group(2):
            skipped.append(f"{dll} (free-threaded: no SDK for it)")
        elif dll not in exports:
            skipped.append(f"{dll} (no SDK for that Python chosen)")
        else:
            names = info.names[dll]
            checked.append(dll)
            imported += [(dll, name) for name in sorted(names)]
            missing += [(dll, name) for name in sorted(names - exports[dll])]
    if not checked and not skipped:
        skipped.append("imports nothing from CPython")
    return ModuleCheck(source, tuple(checked), tuple(imported), tuple(missing), "; ".join(skipped))


def _read_module(source: str, data: bytes, exports: Mapping[str, frozenset[str]]) -> ModuleCheck:
    try:
        return check_module(source, read_pe(data), exports)
    except PEError as error:
        raise CoverageError(f"{source}: not a readable module ({error})") from None


def wheel_modules(path: Path) -> Iterator[tuple[str, bytes]]:
    """The extension modules in a wheel, as (member, bytes); capped in size and count."""
    try:
        with zipfile.ZipFile(path) as wheel:
            members = [
                info
                for info in wheel.infolist()
                if not info.is_dir() and info.filename.lower().endswith(_MODULE_SUFFIXES)
            ]
            if len(members) > MAX_MODULES:
                raise CoverageError(f"{path}: more than {MAX_MODULES} modules")
            for info in members:
                if info.file_size > MAX_MODULE:
                    raise CoverageError(f"{path}!{info.filename}: larger than {MAX_MODULE} bytes")
                with wheel.open(info) as stream:
                    data = stream.read(MAX_MODULE + 1)
                if len(data) > MAX_MODULE:  # the size in the directory lied
                    raise CoverageError(f"{path}!{info.filename}: larger than {MAX_MODULE} bytes")
                yield info.filename, data
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError) as error:
        raise CoverageError(f"{path}: not a readable wheel ({error})") from None


def check_paths(paths: Iterable[Path], exports: Mapping[str, frozenset[str]]) -> list[ModuleCheck]:
    """Every module in ``paths`` (wheels, or ``.pyd`` / ``.dll`` files) checked."""
    results: list[ModuleCheck] = []
    for path in paths:
        if path.suffix.lower() == ".whl":
            results += [_read_module(f"{path.name}!{m}", data, exports) for m, data in wheel_modules(path)]
        elif path.suffix.lower() in _MODULE_SUFFIXES:
            if path.stat().st_size > MAX_MODULE:
                raise CoverageError(f"{path}: larger than {MAX_MODULE} bytes")
            results.append(_read_module(str(path), path.read_bytes(), exports))
        else:
            raise CoverageError(f"{path}: neither a wheel (.whl) nor a module (.pyd, .dll)")
    return results
