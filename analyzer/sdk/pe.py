"""Just enough of the PE/COFF formats (pure, bounded): what a Windows module is and
imports, and what an import library exports.

prove checks each module it links: its machine (0xAA64 is ARM64) and the DLLs it
imports. And the SDK's import libraries are made from CPython's header declarations because no
CPython ARM64 DLL is reachable here. The ARM64 extension modules that projects already
ship are the check no one here wrote: every name a shipped ``.pyd`` imports from
``pythonXY.dll`` or ``python3.dll`` is, by construction, exported by the real DLL, so the
SDK's library for that DLL must have it. This module reads both sides from bytes:

* :func:`read_pe`: a PE32/PE32+ image's machine, whether it is a DLL, and its import and
  delay-import tables (per DLL the names imported, ordinals left out);
* :func:`archive_exports`: a COFF import library's symbol table (the ``__imp_`` names).

Inputs come from wheels on the index, so every read is checked against the data's end,
and tables, names and counts are capped: damaged or hostile bytes give :class:`PEError`,
never an exception from ``struct`` or a long loop."""

from __future__ import annotations

import struct
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

MACHINE_ARM64 = 0xAA64
MACHINE_AMD64 = 0x8664
MACHINE_ARM64EC = 0xA641
MAX_DESCRIPTORS = 4096  # DLLs one module imports from
MAX_THUNKS = 65536  # names imported from one DLL
MAX_NAME = 1024
MAX_SECTIONS = 96  # the PE format's own limit
MAX_SYMBOLS = 1_000_000  # in an import library's symbol table
_IMPORT_DIRECTORY = 1
_DELAY_IMPORT_DIRECTORY = 13


class PEError(ValueError):
    """The bytes are not a readable PE image or import library (message says where)."""


@dataclass(frozen=True)
class PEInfo:
    machine: int
    is_dll: bool
    imports: tuple[str, ...]  # the DLLs imported, as the import table spells them, in its order
    names: Mapping[str, frozenset[str]]  # DLL name, lower case -> the names imported by name

    def imported_from(self, dll: str) -> frozenset[str]:
        return self.names.get(dll.lower(), frozenset())


@dataclass(frozen=True)
class _Section:
    address: int
    virtual_size: int
    raw_offset: int
    raw_size: int


class _Image:
    def __init__(self, data: bytes, sections: tuple[_Section, ...]) -> None:
        self.data = data
        self.sections = sections

    def offset(self, rva: int) -> int:
        for section in self.sections:
            span = max(section.virtual_size, section.raw_size)
            if section.address <= rva < section.address + span:
                at = rva - section.address
                if at >= section.raw_size:
                    break  # in the section's zero-filled tail: nothing on disk
                return section.raw_offset + at
        raise PEError(f"address 0x{rva:x} is in no section's data")

    def unpack(self, fmt: str, offset: int) -> tuple[int, ...]:
        size = struct.calcsize(fmt)
        if offset < 0 or offset + size > len(self.data):
            raise PEError(f"a {size}-byte read at {offset} runs past the end ({len(self.data)} bytes)")
        return struct.unpack_from(fmt, self.data, offset)

    def name(self, rva: int) -> str:
        start = self.offset(rva)
        end = self.data.find(b"\0", start, start + MAX_NAME)
        if end < 0:
            raise PEError(f"a name at 0x{rva:x} is unterminated or longer than {MAX_NAME} bytes")
        return self.data[start:end].decode("ascii", "replace")


def _pair(values: tuple[int, ...]) -> tuple[int, int]:
    return values[0], values[1]


def _section(values: tuple[int, ...]) -> _Section:
    virtual_size, address, raw_size, raw_offset = values
    return _Section(address, virtual_size, raw_offset, raw_size)


@dataclass(frozen=True)
class _Headers:
    image: _Image
    machine: int
    is_dll: bool
    wide: bool  # PE32+: 64-bit thunks
    directories: tuple[tuple[int, int], ...]  # (address, size)


def _headers(data: bytes) -> _Headers:
    if data[:2] != b"MZ" or len(data) < 0x40:
        raise PEError("not a PE image (no MZ header)")
    probe = _Image(data, ())
    (pe_at,) = probe.unpack("<I", 0x3C)
    if data[pe_at : pe_at + 4] != b"PE\0\0":
        raise PEError("not a PE image (no PE signature)")
    machine, section_count, _, _, _, optional_size, characteristics = probe.unpack("<HHIIIHH", pe_at + 4)
    if section_count > MAX_SECTIONS:
        raise PEError(f"{section_count} sections (the format allows {MAX_SECTIONS})")
    optional_at = pe_at + 24
    (magic,) = probe.unpack("<H", optional_at)
    if magic == 0x20B:
        count_at, directories_at = optional_at + 108, optional_at + 112
    elif magic == 0x10B:
        count_at, directories_at = optional_at + 92, optional_at + 96
    else:
        raise PEError(f"unknown optional-header magic 0x{magic:x}")
    (count,) = probe.unpack("<I", count_at)
    count = min(count, 16, max(0, (optional_at + optional_size - directories_at) // 8))
    directories = tuple(_pair(probe.unpack("<II", directories_at + 8 * i)) for i in range(count))
    sections_at = optional_at + optional_size
    sections = tuple(_section(probe.unpack("<IIII", sections_at + 40 * i + 8)) for i in range(section_count))
    is_dll = bool(characteristics & 0x2000)
    return _Headers(_Image(data, sections), machine, is_dll, magic == 0x20B, directories)


def _thunk_names(image: _Image, rva: int, wide: bool) -> Iterator[str]:
    size, by_ordinal = (8, 1 << 63) if wide else (4, 1 << 31)
    at = image.offset(rva)
    for index in range(MAX_THUNKS + 1):
        if index == MAX_THUNKS:
            raise PEError(f"more than {MAX_THUNKS} imports from one DLL")
        (entry,) = image.unpack("<Q" if wide else "<I", at + index * size)
        if entry == 0:
            return
        if entry & by_ordinal:
            continue  # by ordinal: no name to check
        yield image.name((entry & 0x7FFFFFFF) + 2)  # past the two-byte hint


def read_pe(data: bytes) -> PEInfo:
    """What the PE image ``data`` is and imports (see the module's doc)."""
    headers = _headers(data)
    image, directories = headers.image, headers.directories
    order: list[str] = []
    found: dict[str, set[str]] = {}

    def add(dll: str, lookup: int) -> None:
        order.append(dll)
        names = found.setdefault(dll.lower(), set())
        if lookup:  # a table with no thunks imports nothing by name
            names.update(_thunk_names(image, lookup, headers.wide))

    def tables(index: int, entry: str, size: int) -> Iterator[tuple[int, ...]]:
        if index >= len(directories) or directories[index][0] == 0:
            return
        at = image.offset(directories[index][0])
        for n in range(MAX_DESCRIPTORS + 1):
            if n == MAX_DESCRIPTORS:
                raise PEError(f"more than {MAX_DESCRIPTORS} import descriptors")
            fields = image.unpack(entry, at + n * size)
            if not any(fields):
                return
            yield fields

    for lookup, _, _, name, address in tables(_IMPORT_DIRECTORY, "<IIIII", 20):
        add(image.name(name), lookup or address)
    for attributes, name, _, address, lookup, *_ in tables(_DELAY_IMPORT_DIRECTORY, "<8I", 32):
        if not attributes & 1:
            raise PEError("a delay-import table in the old address-based form")
        add(image.name(name), lookup or address)
    return PEInfo(
        headers.machine,
        headers.is_dll,
        tuple(order),
        {dll: frozenset(names) for dll, names in found.items()},
    )


def archive_exports(data: bytes) -> frozenset[str]:
    """The names a COFF import library lets a module import: its symbol table's
    ``__imp_NAME`` entries, as ``NAME`` (functions and data alike)."""
    if not data.startswith(b"!<arch>\n") or len(data) < 68:
        raise PEError("not an import library (no !<arch> header)")
    header = data[8:68]
    if header[:16].rstrip() != b"/" or header[58:60] != b"`\n":
        raise PEError("the import library has no symbol table first")
    try:
        size = int(header[48:58].decode("ascii").strip())
    except ValueError:
        raise PEError("the symbol table's size is damaged") from None
    table = data[68 : 68 + size]
    if size < 4 or len(table) < size:
        raise PEError("the symbol table runs past the end")
    (count,) = struct.unpack_from(">I", table, 0)
    if count > MAX_SYMBOLS or 4 + 4 * count > size:
        raise PEError(f"the symbol table claims {count} symbols in {size} bytes")
    names = table[4 + 4 * count :].split(b"\0")[:count]
    return frozenset(
        name[len(b"__imp_") :].decode("ascii", "replace") for name in names if name.startswith(b"__imp_")
    )
