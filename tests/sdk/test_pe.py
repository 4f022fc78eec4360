"""The PE and import-library readers, on images built by hand (tests/pe_images.py)."""

from __future__ import annotations

import struct

import pytest

from analyzer.sdk.pe import MACHINE_ARM64, PEError, archive_exports, read_pe
from tests.pe_images import SECTION_RAW, import_library, minimal_pe, pe_image


def test_machine_dll_flag_and_imported_dlls_in_table_order() -> None:
    info = read_pe(minimal_pe(MACHINE_ARM64, ["python313.dll", "KERNEL32.dll"]))
    assert info.machine == 0xAA64 and info.is_dll and info.imports == ("python313.dll", "KERNEL32.dll")
    assert read_pe(minimal_pe(0x8664, [])).machine == 0x8664
    assert not read_pe(pe_image(MACHINE_ARM64, {}, dll=False)).is_dll


def test_names_are_read_per_dll_and_ordinals_are_left_out() -> None:
    image = pe_image(
        MACHINE_ARM64,
        {"python313.dll": ["PyErr_SetString", "_Py_NoneStruct", 7], "KERNEL32.dll": ["GetLastError"]},
        delayed={"python3.dll": ["PyLong_FromLong"]},
    )
    info = read_pe(image)
    assert info.imported_from("PYTHON313.DLL") == {"PyErr_SetString", "_Py_NoneStruct"}
    assert info.imported_from("kernel32.dll") == {"GetLastError"}
    assert info.imported_from("python3.dll") == {"PyLong_FromLong"}  # delay-loaded
    assert info.imports == ("python313.dll", "KERNEL32.dll", "python3.dll")
    assert info.imported_from("absent.dll") == frozenset()


def test_damaged_and_hostile_images_are_errors_not_crashes() -> None:
    good = pe_image(MACHINE_ARM64, {"python313.dll": ["PyErr_SetString"]})
    # A thunk pointing past the section's data, and a name with no terminator.
    thunk_at = bytearray(good)
    (lookup,) = struct.unpack_from("<I", good, SECTION_RAW)
    struct.pack_into("<Q", thunk_at, SECTION_RAW + lookup - 0x1000, 0x7FFF0000)
    unterminated = bytearray(good)
    end = len(unterminated.rstrip(b"\0"))
    unterminated[end:] = b"A" * (len(unterminated) - end)
    name_at = good.index(b"python313.dll")
    unterminated[name_at : name_at + 14] = b"B" * 14
    unterminated += b"C" * 2048
    many_sections = bytearray(good)
    struct.pack_into("<H", many_sections, 0x40 + 6, 1000)
    for broken in (
        b"",
        b"MZ",
        good[:0x50],
        b"MZ" + b"\xff" * 0x40,
        good[:0x210],
        bytes(thunk_at),
        bytes(unterminated),
        bytes(many_sections),
    ):
        with pytest.raises(PEError):
            read_pe(broken)


def test_a_thunk_table_that_never_ends_is_capped() -> None:
    image = bytearray(pe_image(MACHINE_ARM64, {"python313.dll": ["A"]}))
    (lookup,) = struct.unpack_from("<I", image, SECTION_RAW)
    # Turn the table into ordinals that run to the end of a large zero-free section.
    start = SECTION_RAW + lookup - 0x1000
    image[start:] = b"\x01\x00\x00\x00\x00\x00\x00\x80" * 70000
    struct.pack_into("<I", image, 0x40 + 24 + 240 + 8, len(image))  # VirtualSize
    struct.pack_into("<I", image, 0x40 + 24 + 240 + 16, len(image))  # SizeOfRawData
    with pytest.raises(PEError, match="more than"):
        read_pe(bytes(image))


def test_import_library_symbol_table() -> None:
    library = import_library(
        ["__IMPORT_DESCRIPTOR_python313", "__imp_PyErr_SetString", "PyErr_SetString", "__imp__Py_NoneStruct"]
    )
    assert archive_exports(library) == {"PyErr_SetString", "_Py_NoneStruct"}
    for broken in (b"", b"!<arch>\n", library[:70], library.replace(b"/   ", b"x   ", 1)):
        with pytest.raises(PEError):
            archive_exports(broken)
    claims_too_many = bytearray(library)
    struct.pack_into(">I", claims_too_many, 68, 10**7)
    with pytest.raises(PEError, match="claims"):
        archive_exports(bytes(claims_too_many))
