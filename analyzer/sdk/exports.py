"""What ``pythonXY.dll`` and ``python3.dll`` export, read from CPython's own sources
(pure). Every function and datum the headers (``internal/`` included) declare with
``PyAPI_FUNC`` / ``PyAPI_DATA`` is exported by the DLL (they expand to ``__declspec(dllexport)`` when
CPython itself is built), and the export names are the same on every Windows
architecture; ``PC/python3dll.c`` lists the stable-ABI DLL's exports."""

from __future__ import annotations

import re
from collections.abc import Iterable

# Attribute macros may stand between the return type and the name:
# ``PyAPI_FUNC(void) _Py_NO_RETURN _Py_FatalErrorFunc(`` exports _Py_FatalErrorFunc.
_FUNC = re.compile(
    r"PyAPI_FUNC\s*\((?:[^()]|\([^()]*\))*\)\s*(?:_?Py_[A-Z][A-Z0-9_]*\b(?:\([^()]*\))?\s*)*"
    r"\(?\s*\*?\s*([A-Za-z_]\w*)\s*\("
)
_DATA = re.compile(r"PyAPI_DATA\s*\((?:[^()]|\([^()]*\))*\)\s*\(?\s*\*?\s*([A-Za-z_]\w*)")
_STABLE = re.compile(r"\bEXPORT_(FUNC|DATA)\s*\(\s*([A-Za-z_]\w*)\s*\)")


def header_exports(headers: Iterable[str]) -> tuple[frozenset[str], frozenset[str]]:
    """(functions, data) declared for export by the public headers' texts."""
    functions: set[str] = set()
    data: set[str] = set()
    for text in headers:
        functions.update(_FUNC.findall(text))
        data.update(_DATA.findall(text))
    return frozenset(functions - data), frozenset(data)


def stable_exports(python3dll_c: str) -> tuple[frozenset[str], frozenset[str]]:
    """(functions, data) that ``python3.dll`` forwards (``PC/python3dll.c``)."""
    functions = {name for kind, name in _STABLE.findall(python3dll_c) if kind == "FUNC"}
    data = {name for kind, name in _STABLE.findall(python3dll_c) if kind == "DATA"}
    return frozenset(functions), frozenset(data)


def def_file(dll: str, functions: Iterable[str], data: Iterable[str]) -> str:
    """A module-definition file for ``dlltool``; data exports are marked DATA (they are
    reached through ``__imp_`` pointers, never called)."""
    lines = [f"LIBRARY {dll}", "EXPORTS"]
    lines += sorted(functions)
    lines += [f"{name} DATA" for name in sorted(data)]
    return "\n".join(lines) + "\n"
