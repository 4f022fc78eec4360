"""Text from a scanned package made inert for its sink.

A file name, a job id or a matrix value can carry terminal control sequences (ANSI CSI,
OSC 8 links, a bell, a carriage return that rewrites the line before it): in a terminal
report they are shown escaped, never interpreted.
"""

from __future__ import annotations

import re

# C0 controls but tab and newline, DEL, and the C1 controls (U+0080-U+009F: 8-bit CSI/OSC).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def terminal(text: str) -> str:
    """``text`` with every control character written as ``\\xNN``."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def one_line(text: str) -> str:
    """As :func:`terminal`, newlines and tabs included (for table cells)."""
    return terminal(text).replace("\n", "\\n").replace("\t", "\\t")
