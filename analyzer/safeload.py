"""Parsers for text that came from a package or an index, with nesting bounded.

``tomllib`` and ``json`` recurse once per nesting level: ``[[[[...]]]]`` a few thousand
deep ends in RecursionError, which no caller expects from a parser. Here it is the
parser's own error type (a ValueError), so every caller's "this file does not parse"
path handles it, and the rest of the scan goes on.
"""

from __future__ import annotations

import json
import re
import tomllib
from typing import Any

TOO_DEEP = "nested too deeply to read"


def toml_loads(text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except RecursionError:
        raise tomllib.TOMLDecodeError(TOO_DEEP) from None


def toml_table(text: str | None) -> dict[str, Any]:
    """``text`` read as TOML, or an empty table when there is none or it does not parse
    (a build file woaport reads is not validated: what cannot be read says nothing)."""
    if text is None:
        return {}
    try:
        return toml_loads(text)
    except ValueError:
        return {}


def json_loads(text: str | bytes) -> Any:
    try:
        return json.loads(text)
    except RecursionError:
        raise json.JSONDecodeError(TOO_DEEP, "", 0) from None


# A group that repeats something that itself repeats, or a back-reference: the shapes
# with which a regular expression backtracks exponentially ("(a+)+$", "(a|aa)*b").
_NESTED_REPEAT = re.compile(r"\((?:[^()\\]|\\.)*(?:[*+]|\{\d*,\d*\}|\|)(?:[^()\\]|\\.)*\)(?:[*+?]|\{\d*,)")
_BACKREFERENCE = re.compile(r"\\[1-9]|\(\?P=")
MAX_PATTERN = 500
MAX_SUBJECT = 4096


def regex_search(pattern: str, subject: str) -> bool | None:
    """Whether ``pattern`` (from a package) matches somewhere in ``subject``; None when
    it is not evaluated: invalid, long, or of a shape that can backtrack for minutes
    (nested repetition, back-references) over a subject longer than a few characters."""
    if len(pattern) > MAX_PATTERN or len(subject) > MAX_SUBJECT:
        return None
    risky = _NESTED_REPEAT.search(pattern) is not None or _BACKREFERENCE.search(pattern) is not None
    if risky and len(subject) > 16:
        return None
    try:
        return re.search(pattern, subject) is not None
    except (re.error, RecursionError, OverflowError):
        return None
