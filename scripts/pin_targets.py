"""Regenerate ``rules/targets.json`` from zig's bundled clang (development-time only).

Usage: ``pip install ziglang && python scripts/pin_targets.py``

The clang-based models (clang-cl-arm64, mingw-arm64) are pinned from
``zig cc -target <triple> -dM -E -x c /dev/null``.  cl.exe cannot run here, so the
msvc-arm64 and arm64ec models are written by hand from Microsoft's "Predefined macros"
page (learn.microsoft.com/cpp/preprocessor/predefined-macros); zig has no arm64ec target.
``known_macros`` is the union of what a wide set of other targets predefine: a macro in it
that a model does not define is known to be undefined there (not "maybe").
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ZIG_MODELS = {
    "clang-cl-arm64": "aarch64-windows-msvc",
    "mingw-arm64": "aarch64-windows-gnu",
}
KNOWN_TRIPLES = [
    ("x86_64-windows-msvc", []),
    ("x86-windows-msvc", []),
    ("x86_64-windows-gnu", []),
    (
        "x86_64-linux-gnu",
        [
            "-mavx512f",
            "-mavx512bw",
            "-mavx512vl",
            "-mavx512dq",
            "-mavx2",
            "-mfma",
            "-mbmi",
            "-mbmi2",
            "-mlzcnt",
            "-mpopcnt",
            "-mf16c",
            "-maes",
            "-mpclmul",
            "-msha",
            "-msse4.2",
            "-mssse3",
        ],
    ),
    ("x86-linux-gnu", []),
    ("x86_64-macos", []),
    ("aarch64-linux-gnu", []),
    ("aarch64-macos", []),
    ("arm-linux-gnueabihf", []),
    ("powerpc64le-linux-gnu", []),
    ("riscv64-linux-gnu", []),
    ("s390x-linux-gnu", []),
    ("wasm32-wasi", []),
    ("x86_64-freebsd", []),
]
# Macros cl.exe predefines on some target; never produced by clang dumps above.
MSVC_ONLY_MACROS = [
    "_M_IX86",
    "_M_IX86_FP",
    "_M_X64",
    "_M_AMD64",
    "_M_ARM",
    "_M_ARM64",
    "_M_ARM64EC",
    "_M_ARM_FP",
    "_M_ARM_ARMV7VE",
    "_M_IA64",
    "_MSC_VER",
    "_MSC_FULL_VER",
    "_MSC_BUILD",
    "_MSC_EXTENSIONS",
    "_MSVC_LANG",
    "_WIN32",
    "_WIN64",
    "_M_CEE",
    "_M_HYBRID",
    "_M_HYBRID_X86_ARM64",
    "_KERNEL_MODE",
    "_MANAGED",
    "__AVX__",
    "__AVX2__",
    "__AVX512F__",
    "__AVX512CD__",
    "__AVX512BW__",
    "__AVX512DQ__",
    "__AVX512VL__",
    "__ARM_NEON",
    "__ARM_NEON__",
    "__ARM_ARCH",
    "__aarch64__",
    "__arm64ec__",
    "__arm__",
    "__arm64__",
]

# What cl.exe predefines on every 64-bit target (with /MD, as Python extensions build).
MSVC_COMMON = {
    "_WIN32": "1",
    "_WIN64": "1",
    "_MSC_VER": "1940",
    "_MSC_FULL_VER": "194033811",
    "_MSC_EXTENSIONS": "1",
    "_INTEGRAL_MAX_BITS": "64",
    "_MT": "1",
    "_DLL": "1",
}
# __ARM_ARCH is predefined by cl.exe for ARM64 since VS 2022 17.10.
MSVC_ARM64 = {"_M_ARM64": "1", "__ARM_ARCH": "800", **MSVC_COMMON}
# ARM64EC keeps the x64 macros so that x64 headers compile unchanged.
ARM64EC = {"_M_ARM64EC": "1", "_M_X64": "100", "_M_AMD64": "100", **MSVC_COMMON}


# Clang arguments that make libclang (precise mode) and ``zig cc`` compile for each model.
# cl.exe defines neither __aarch64__ nor __ARM_NEON: precise mode removes the arch macros
# clang-cl would add, by comparing these targets' macros with the pinned sets.
CLANG_ARGS = {
    "msvc-arm64": ["--target=aarch64-pc-windows-msvc", "-fms-compatibility", "-fms-extensions"],
    "clang-cl-arm64": ["--target=aarch64-pc-windows-msvc", "-fms-compatibility", "-fms-extensions"],
    "mingw-arm64": ["--target=aarch64-w64-windows-gnu"],
    "arm64ec": ["--target=arm64ec-pc-windows-msvc", "-fms-compatibility", "-fms-extensions"],
}
# Named sets of models that rule files may list instead of the models themselves.
GROUPS = {
    "arm64-all": ["msvc-arm64", "clang-cl-arm64", "mingw-arm64", "arm64ec"],
    "arm64-native": ["msvc-arm64", "clang-cl-arm64", "mingw-arm64"],
    "msvc-family": ["msvc-arm64", "clang-cl-arm64", "arm64ec"],
    "rust-targets": ["msvc-arm64", "mingw-arm64", "arm64ec"],
}

# Macros shaped like these are compiler or architecture predefines: one no tree file
# defines is undefined on a model whose pinned set lacks it (guards.py, the closed world).
PREDEFINED_SHAPES = {
    "why": (
        "Macros shaped like compiler or architecture predefines that no tree file defines are "
        "undefined on every model (a closed world), not build-dependent: a ladder naming __sparc "
        "or i386 is decided."
    ),
    # GCC/clang/MSVC spellings (a double underscore then anything: reserved to the
    # implementation, as __386 of Sun's compilers), PowerPC's _ARCH_* (GCC, IBM XL),
    # MIPS's _MIPS_* (GCC).
    "patterns": ["__[A-Za-z0-9][A-Za-z0-9_]*", "_M_[A-Z0-9_]+", "_ARCH_[A-Z0-9_]+", "_MIPS_[A-Z0-9_]+"],
    # Legacy predefines without underscores (old Unix compilers), still tested by ladders.
    "names": [
        "i386",
        "i486",
        "i586",
        "i686",
        "sparc",
        "mips",
        "unix",
        "linux",
        "sun",
        "vax",
        "hppa",
        "alpha",
        "m68k",
        "mc68000",
        "ppc",
        "powerpc",
        "ibm",
        "pyr",
        "tahoe",
        "u3b",
        "u3b2",
        "u3b5",
        "u370",
        "ibm032",
        "ibm370",
        "interdata",
        "pdp11",
        "ns32000",
        "sequent",
        "gould",
        "MIPSEB",
        "MIPSEL",
        # IBM XL on POWER; windows.h's _X86_ (set from _M_IX86: never on ARM64 or ARM64EC).
        "_POWER",
        "_X86_",
    ],
}

# Rust cfg values for the Rust target each model corresponds to (rustc --print cfg).
RUST_CFG = {
    "msvc-arm64": "aarch64-pc-windows-msvc",
    "clang-cl-arm64": "aarch64-pc-windows-msvc",
    "mingw-arm64": "aarch64-pc-windows-gnullvm",
    "arm64ec": "arm64ec-pc-windows-msvc",
}
# Every Windows 64-bit Rust target shares these cfg values; arch and env tell them apart.
RUST_WINDOWS_64 = {
    "target_os": ["windows"],
    "target_family": ["windows"],
    "target_vendor": ["pc"],
    "target_pointer_width": ["64"],
    "target_endian": ["little"],
    "target_feature": ["neon", "fp-armv8"],
    "windows": [""],
}
RUST_TARGET_CFG = {
    "aarch64-pc-windows-msvc": {"target_arch": ["aarch64"], "target_env": ["msvc"], **RUST_WINDOWS_64},
    "aarch64-pc-windows-gnullvm": {
        "target_arch": ["aarch64"],
        "target_env": ["gnu"],
        "target_abi": ["llvm"],
        **RUST_WINDOWS_64,
    },
    "arm64ec-pc-windows-msvc": {"target_arch": ["arm64ec"], "target_env": ["msvc"], **RUST_WINDOWS_64},
}


def zig_defines(triple: str, extra: list[str]) -> dict[str, str]:
    cmd = [
        sys.executable,
        "-m",
        "ziglang",
        "cc",
        "-target",
        triple,
        *extra,
        "-dM",
        "-E",
        "-x",
        "c",
        "/dev/null",
    ]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    defines: dict[str, str] = {}
    for line in out.splitlines():
        parts = line.split(None, 2)
        if len(parts) >= 2 and parts[0] == "#define" and "(" not in parts[1]:
            defines[parts[1]] = parts[2] if len(parts) == 3 else ""
    return defines


def zig_version() -> str:
    cmd = [sys.executable, "-m", "ziglang", "version"]
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip()


# Macros a toolchain's own headers define for every translation unit that includes any
# C runtime header (a Python extension always does: Python.h includes stdio.h). mingw-w64's
# _mingw_mac.h, included by _mingw.h and so by every CRT header, defines _M_ARM64 and
# _ARM64_ when __aarch64__ is defined (checked in zig's lib/libc/include/any-windows-any).
HEADER_DEFINES = {
    "mingw-arm64": ({"_M_ARM64": "1", "_ARM64_": "1"}, "mingw-w64 _mingw_mac.h (any CRT header)"),
}


def main() -> None:
    models: dict[str, dict[str, object]] = {
        "msvc-arm64": {
            "description": "cl.exe targeting ARM64",
            "source": "Microsoft C++ docs, Predefined macros (hand-pinned; cl.exe cannot run here)",
            "defines": MSVC_ARM64,
        },
    }
    for name, triple in ZIG_MODELS.items():
        models[name] = {
            "description": {
                "clang-cl-arm64": "clang-cl / clang targeting aarch64-pc-windows-msvc",
                "mingw-arm64": "clang targeting aarch64-w64-mingw32",
            }[name],
            "source": f"zig {zig_version()} cc -target {triple} -dM -E",
            "defines": zig_defines(triple, []),
        }
        if name in HEADER_DEFINES:
            added, where = HEADER_DEFINES[name]
            models[name]["defines"] = {**zig_defines(triple, []), **added}
            models[name]["source"] = f"{models[name]['source']}, plus {sorted(added)} from {where}"
    models["arm64ec"] = {
        "description": "cl.exe targeting ARM64EC (/arm64EC)",
        "source": "Microsoft C++ docs, Predefined macros and ARM64EC ABI notes (hand-pinned)",
        "defines": ARM64EC,
    }
    for name, model in models.items():
        model["rust_target"] = RUST_CFG[name]
        model["rust_cfg"] = RUST_TARGET_CFG[RUST_CFG[name]]
        model["clang_args"] = CLANG_ARGS[name]
    known: set[str] = set(MSVC_ONLY_MACROS)
    for model in models.values():
        known.update(model["defines"])  # type: ignore[arg-type]
    for triple, extra in KNOWN_TRIPLES:
        known.update(zig_defines(triple, extra))
    data = {
        "generated_by": "python scripts/pin_targets.py (see its docstring)",
        "zig": zig_version(),
        "models": models,
        "groups": GROUPS,
        "predefined_shapes": PREDEFINED_SHAPES,
        "known_macros": sorted(known),
    }
    out = Path(__file__).resolve().parent.parent / "rules" / "targets.json"
    out.write_text(json.dumps(data, indent=1, sort_keys=False) + "\n", encoding="utf-8")
    print(f"wrote {out} ({len(known)} known macros)")


if __name__ == "__main__":
    main()
