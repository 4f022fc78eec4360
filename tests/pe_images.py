"""Small PE32+ images and COFF import libraries built by hand, for the readers' tests."""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence

SECTION_RVA = 0x1000
SECTION_RAW = 0x200

Imports = Mapping[str, Sequence[str | int]]  # DLL -> names (str) or ordinals (int)


def _tables(imports: Imports, delayed: Imports) -> tuple[bytes, int, int, int, int]:
    """The section body and the (address, size) of the import and delay-import tables."""
    import_size = 20 * (len(imports) + 1)
    delay_at = import_size
    delay_size = 32 * (len(delayed) + 1) if delayed else 0
    tail = bytearray()

    def place(blob: bytes) -> int:
        while (delay_at + delay_size + len(tail)) % 8:
            tail.append(0)
        at = SECTION_RVA + delay_at + delay_size + len(tail)
        tail.extend(blob)
        return at

    def thunks(entries: Sequence[str | int]) -> int:
        values = [
            (1 << 63) | entry if isinstance(entry, int) else place(b"\0\0" + entry.encode() + b"\0")
            for entry in entries
        ]
        return place(b"".join(struct.pack("<Q", v) for v in [*values, 0]))

    descriptors = b"".join(
        struct.pack("<IIIII", thunks(names), 0, 0, place(dll.encode() + b"\0"), 0)
        for dll, names in imports.items()
    )
    delay = b"".join(
        struct.pack("<8I", 1, place(dll.encode() + b"\0"), 0, 0, thunks(names), 0, 0, 0)
        for dll, names in delayed.items()
    )
    head = descriptors + b"\0" * 20 + (delay + b"\0" * 32 if delayed else b"")
    body = head + bytes(tail)
    return body + b"\0" * (-len(body) % 0x200), SECTION_RVA, len(descriptors), delay_at, delay_size


def pe_image(machine: int, imports: Imports, delayed: Imports | None = None, dll: bool = True) -> bytes:
    """A PE32+ image with one section holding its import (and delay-import) tables."""
    body, import_rva, import_size, delay_at, delay_size = _tables(imports, delayed or {})
    optional = bytearray(240)
    struct.pack_into("<H", optional, 0, 0x20B)
    struct.pack_into("<I", optional, 108, 16)  # NumberOfRvaAndSizes
    struct.pack_into("<II", optional, 112 + 8 * 1, import_rva, import_size)
    if delay_size:
        struct.pack_into("<II", optional, 112 + 8 * 13, SECTION_RVA + delay_at, delay_size)
    coff = struct.pack("<HHIIIHH", machine, 1, 0, 0, 0, len(optional), 0x2022 if dll else 0x22)
    section = (
        b".idata\0\0" + struct.pack("<IIII", len(body), SECTION_RVA, len(body), SECTION_RAW) + b"\0" * 16
    )
    head = bytearray(0x40)
    head[:2] = b"MZ"
    struct.pack_into("<I", head, 0x3C, 0x40)
    data = bytes(head) + b"PE\0\0" + coff + bytes(optional) + section
    return data + b"\0" * (SECTION_RAW - len(data)) + body


def minimal_pe(machine: int, dlls: Sequence[str]) -> bytes:
    """A DLL importing one name from each of ``dlls``."""
    return pe_image(machine, {dll: ["Init"] for dll in dlls})


def import_library(symbols: Sequence[str]) -> bytes:
    """An ``ar`` archive whose first member is a GNU/COFF symbol table of ``symbols``
    (the members themselves are left out: the reader needs only the table)."""
    names = b"".join(s.encode() + b"\0" for s in symbols)
    table = struct.pack(">I", len(symbols)) + struct.pack(f">{len(symbols)}I", *[0] * len(symbols)) + names
    header = b"/".ljust(16) + b"0".ljust(12) + b"0".ljust(6) + b"0".ljust(6) + b"0".ljust(8)
    header += str(len(table)).encode().ljust(10) + b"`\n"
    return b"!<arch>\n" + header + table + b"\0" * (len(table) & 1)
