"""Just enough of the PE/COFF format to check a built extension module (pure): its
machine (0xAA64 is ARM64), and the DLLs it imports. Bounds-checked: a truncated or
hostile file gives :class:`PEError`, never an exception from deep inside."""

from __future__ import annotations

import struct
from dataclasses import dataclass

MACHINE_ARM64 = 0xAA64
MACHINE_AMD64 = 0x8664
MACHINE_ARM64EC = 0xA641
_IMPORT_DIRECTORY = 1


class PEError(ValueError):
    """Not a PE file, or one that does not hold together."""


@dataclass(frozen=True)
class PEInfo:
    machine: int
    is_dll: bool
    imports: tuple[str, ...]


def _unpack(fmt: str, data: bytes, offset: int) -> tuple[int, ...]:
    size = struct.calcsize(fmt)
    if offset < 0 or offset + size > len(data):
        raise PEError("truncated")
    return struct.unpack_from(fmt, data, offset)


def read_pe(data: bytes) -> PEInfo:
    if data[:2] != b"MZ":
        raise PEError("no MZ header")
    (pe_offset,) = _unpack("<I", data, 0x3C)
    if data[pe_offset : pe_offset + 4] != b"PE\0\0":
        raise PEError("no PE signature")
    coff = pe_offset + 4
    machine, sections, _, _, _, optional_size, characteristics = _unpack("<HHIIIHH", data, coff)
    optional = coff + 20
    (magic,) = _unpack("<H", data, optional)
    if magic not in (0x10B, 0x20B):
        raise PEError("unknown optional header")
    directories = optional + (96 if magic == 0x10B else 112)
    (count,) = _unpack("<I", data, directories - 4)
    section_table = optional + optional_size
    spans = [_unpack("<IIII", data, section_table + 40 * i + 8) for i in range(min(sections, 96))]

    def file_offset(rva: int) -> int:
        for virtual_size, address, raw_size, raw_pointer in spans:
            if address <= rva < address + max(virtual_size, raw_size):
                return raw_pointer + (rva - address)
        raise PEError(f"RVA {rva:#x} is in no section")

    imports: list[str] = []
    if count > _IMPORT_DIRECTORY:
        rva, _ = _unpack("<II", data, directories + 8 * _IMPORT_DIRECTORY)
        if rva:
            entry = file_offset(rva)
            for _ in range(4096):
                fields = _unpack("<IIIII", data, entry)
                if not any(fields):
                    break
                name_at = file_offset(fields[3])
                end = data.find(b"\0", name_at, name_at + 260)
                if end == -1:
                    raise PEError("unterminated import name")
                imports.append(data[name_at:end].decode("ascii", "replace"))
                entry += 20
    return PEInfo(machine, bool(characteristics & 0x2000), tuple(imports))
