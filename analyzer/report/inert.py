"""Text from a scanned package made inert for its sink (a terminal, markdown).

A file name, a job id or a matrix value can carry terminal control sequences (ANSI CSI,
OSC 8 links, a bell, a carriage return that rewrites the line before it): in a terminal
report they are shown escaped, never interpreted.
"""

from __future__ import annotations

import html
import re

# C0 controls but tab and newline, DEL, and the C1 controls (U+0080-U+009F: 8-bit CSI/OSC).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def terminal(text: str) -> str:
    """``text`` with every control character written as ``\\xNN``."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def one_line(text: str) -> str:
    """As :func:`terminal`, newlines and tabs included (for table cells)."""
    return terminal(text).replace("\n", "\\n").replace("\t", "\\t")


# What can make emphasis, code, links or images, or break a table row, mid-line; a
# leading "#", "-" or "+" cannot occur (the text never starts a report line), and "<"
# (raw HTML, autolinks) is HTML-escaped.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def markdown_text(text: str) -> str:
    """Package text inside a markdown report: no raw HTML (``<script>``, ``<img>``), no
    link or image syntax (so no ``javascript:`` link can be formed), no emphasis or table
    breaks; control characters escaped, one line."""
    escaped = html.escape(one_line(text), quote=False)
    return _MARKDOWN_SPECIAL.sub(r"\\\1", escaped)


def markdown_code(text: str) -> str:
    """Package text as an inline code span: the fence is longer than any run of
    backticks inside it, so the text cannot close it early."""
    flat = one_line(text)
    longest = max((len(run) for run in re.findall(r"`+", flat)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") else ""
    return f"{fence}{pad}{flat}{pad}{fence}"
