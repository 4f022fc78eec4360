"""Parsers for text that came from a package or an index, with nesting bounded.

``tomllib`` and ``json`` recurse once per nesting level: ``[[[[...]]]]`` a few thousand
deep ends in RecursionError, which no caller expects from a parser. Here it is the
parser's own error type (a ValueError), so every caller's "this file does not parse"
path handles it, and the rest of the scan goes on.
"""

from __future__ import annotations

import json
import tomllib
from typing import Any

TOO_DEEP = "nested too deeply to read"


def toml_loads(text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except RecursionError:
        raise tomllib.TOMLDecodeError(TOO_DEEP) from None


def json_loads(text: str | bytes) -> Any:
    try:
        return json.loads(text)
    except RecursionError:
        raise json.JSONDecodeError(TOO_DEEP, "", 0) from None
