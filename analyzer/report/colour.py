"""Colour for every command's text output, added at the edge by rich.

Renderers return plain text (what a pipe, a log or a test sees); :func:`paint` colours
that text for a terminal with one highlighter: severities, rule IDs, verdict and proof
states, fix advice, snippets and diff lines. The text is never read as rich markup, so a
file name like ``[red]x[/red]`` from a package prints as it is. rich is imported only when
colour is on: a hook's or a CI job's run never pays for it.
"""

from __future__ import annotations

import io
import os
from typing import IO, ClassVar

CHOICES = ("auto", "always", "never")

# Pattern names are rich styles in the theme below (``woaport.<name>``). Each regex is
# anchored to where the word is a state, not prose: "error" after a finding's line:col,
# "ok" in a verdict area's column, "+"/"-" at the start of a diff line.
_HIGHLIGHTS = (
    r"^(?:\s+\d+:\d+|WOA\d{3}) +(?P<error>error)\b",
    r"^(?:\s+\d+:\d+|WOA\d{3}) +(?P<warning>warning)\b",
    r"^(?:\s+\d+:\d+|WOA\d{3}) +(?P<perf>perf)\b",
    r"^(?:\s+\d+:\d+|WOA\d{3}) +(?P<note>note)\b",
    r"(?P<rule>\bWOA\d{3}\b)",
    r"^(?P<title>Verdict:|Proof for |woaport survey:|worklist)",
    r"^  \S[\w-]{0,11} +(?P<ok>ok)\b",
    r"^  \S[\w-]{0,11} +(?P<blocked>blocked)\b",
    r"^  \S[\w-]{0,11} +(?P<unknown>unknown)\b",
    r"^\s+(?P<ok>ok|built)\s",
    r"^\s+(?P<blocked>FAILED|failed)\s",
    r"^\s+(?P<unknown>not proven)\b",
    r"^\s+(?P<snippet>\| .*)$",
    r"^\s+(?P<fix>fix:) ",
    r"^(?P<added>\+(?!\+\+ ).*)$",
    r"^(?P<removed>-(?!-- ).*)$",
    r"^(?P<hunk>@@ .* @@)",
    r"^win_arm64: (?P<blocked>no)\b",
    r"^win_arm64: (?P<ok>yes)\b",
    r"(?P<arm64>\b[\w.-]+-win_arm64\b)",
    r"^  (?P<ok>compiled)\s",
    r"^  (?P<snippet>not compiled)\s",
    r"^  (?P<unknown>maybe compiled|probe unknown)\b",
    r"^  (?P<blocked>probe fails)\s",
    # status classes, as table cells (whitespace on both sides)
    r"(?<!\S)(?P<ok>native|pure|pure-sdist)(?!\S)",
    r"(?<!\S)(?P<unknown>amber|partial|regressed)(?!\S)",
    r"(?<!\S)(?P<removed>source-only|missing)(?!\S)",
)

_STYLES = {
    "error": "bold red",
    "warning": "bold yellow",
    "perf": "bold magenta",
    "note": "bold cyan",
    "rule": "bold",
    "title": "bold",
    "ok": "green",
    "blocked": "bold red",
    "unknown": "yellow",
    "snippet": "dim",
    "fix": "green",
    "added": "green",
    "removed": "red",
    "hunk": "cyan",
    "arm64": "bold green",
}


def wants_colour(choice: str, stream: IO[str] | None = None) -> bool:
    """``--color``: always, never, or (auto) when the stream is a terminal and NO_COLOR is
    not set (any value, as no-color.org says)."""
    if choice != "auto":
        return choice == "always"
    if "NO_COLOR" in os.environ:
        return False
    try:
        return bool(stream is not None and stream.isatty())
    except (AttributeError, ValueError):  # a closed or replaced stream
        return False


def paint(text: str) -> str:
    """``text`` with ANSI colour, line by line, its characters unchanged."""
    from rich.console import Console
    from rich.highlighter import RegexHighlighter
    from rich.text import Text
    from rich.theme import Theme

    class Woaport(RegexHighlighter):
        base_style = "woaport."
        highlights: ClassVar[list[str]] = list(_HIGHLIGHTS)

    out = io.StringIO()
    console = Console(
        file=out,
        force_terminal=True,
        color_system="standard",
        theme=Theme({f"woaport.{name}": style for name, style in _STYLES.items()}),
        width=1 << 20,  # never wrap: the text's own lines are the lines
        soft_wrap=True,
        highlight=False,
        emoji=False,
        markup=False,
    )
    highlighter = Woaport()
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\n")
        if body:
            painted = Text(body)
            highlighter.highlight(painted)
            console.print(painted, end="")
        out.write(line[len(body) :])
    return out.getvalue()
