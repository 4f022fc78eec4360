"""CMake's language read into commands and blocks (``if``/``foreach``/``while``/
``function``/``macro``/``block`` with their arms): the syntax only. What the commands do
per target model is :mod:`analyzer.buildmodel.cmake`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any


class CMakeError(Exception):
    pass


# -- parsing -------------------------------------------------------------------------
_COMMAND = re.compile(r"([A-Za-z_]\w*)[ \t]*\(")


@dataclass(frozen=True)
class Arg:
    text: str
    quoted: bool


@dataclass(frozen=True)
class Command:
    name: str  # lower-cased
    args: tuple[Arg, ...]
    line: int
    end_line: int = 0  # the line of its closing parenthesis (0: the same line)


def parse(text: str) -> list[Command]:
    commands: list[Command] = []
    pos = 0
    line = 1
    length = len(text)
    while pos < length:
        char = text[pos]
        if char == "\n":
            line += 1
            pos += 1
        elif char in " \t\r":
            pos += 1
        elif char == "#":
            bracket = re.match(r"#\[(=*)\[", text[pos:])
            if bracket:
                end = text.find("]" + bracket.group(1) + "]", pos)
                end = length if end < 0 else end + len(bracket.group(1)) + 2
            else:
                end = text.find("\n", pos)
                end = length if end < 0 else end
            line += text.count("\n", pos, end)
            pos = end
        else:
            match = _COMMAND.match(text, pos)
            if match is None:
                raise CMakeError(f"line {line}: expected a command")
            start_line = line
            pos = match.end()
            args: list[Arg] = []
            depth = 0
            while True:
                if pos >= length:
                    raise CMakeError(f"line {start_line}: unterminated command")
                char = text[pos]
                if char == "\n":
                    line += 1
                    pos += 1
                elif char in " \t\r":
                    pos += 1
                elif char == "#":
                    end = text.find("\n", pos)
                    pos = length if end < 0 else end
                elif char == "(":
                    depth += 1
                    args.append(Arg("(", False))
                    pos += 1
                elif char == ")":
                    if depth == 0:
                        pos += 1
                        break
                    depth -= 1
                    args.append(Arg(")", False))
                    pos += 1
                elif char == '"':
                    end = pos + 1
                    while end < length and text[end] != '"':
                        end += 2 if text[end] == "\\" else 1
                    body = text[pos + 1 : end]
                    line += body.count("\n")
                    args.append(Arg(re.sub(r"\\\n", "", body), True))
                    pos = end + 1
                elif char == "[" and re.match(r"\[=*\[", text[pos:]):
                    opening = re.match(r"\[(=*)\[", text[pos:])
                    assert opening is not None
                    close = "]" + opening.group(1) + "]"
                    end = text.find(close, pos)
                    end = length if end < 0 else end
                    body = text[pos + len(opening.group()) : end]
                    line += body.count("\n")
                    args.append(Arg(body.removeprefix("\n"), True))
                    pos = end + len(close)
                else:
                    match_arg = re.compile(r'(?:[^\s()"#\\]|\\.|"[^"]*")+').match(text, pos)
                    if match_arg is None:
                        raise CMakeError(f"line {line}: unexpected {char!r}")
                    args.append(Arg(match_arg.group(), False))
                    pos = match_arg.end()
            commands.append(Command(match.group(1).lower(), tuple(args), start_line, line))
    return commands


# -- blocks --------------------------------------------------------------------------
@dataclass(frozen=True)
class Block:
    """if / foreach / while / function / macro, with the commands inside."""

    kind: str
    head: Command
    arms: tuple[tuple[Command, tuple[Any, ...]], ...]  # (if/elseif/else command, body)


_OPENERS = {
    "if": "endif",
    "foreach": "endforeach",
    "while": "endwhile",
    "function": "endfunction",
    "macro": "endmacro",
    "block": "endblock",
}


def nest(commands: list[Command]) -> list[Any]:
    stack: list[tuple[str, Command, list[tuple[Command, list[Any]]]]] = []
    top: list[Any] = []
    for command in commands:
        current = stack[-1][2][-1][1] if stack else top
        if command.name in _OPENERS:
            stack.append((command.name, command, [(command, [])]))
        elif command.name in ("elseif", "else") and stack and stack[-1][0] == "if":
            stack[-1][2].append((command, []))
        elif stack and command.name == _OPENERS[stack[-1][0]]:
            kind, head, arms = stack.pop()
            block = Block(kind, head, tuple((c, tuple(body)) for c, body in arms))
            (stack[-1][2][-1][1] if stack else top).append(block)
        else:
            current.append(command)
    if stack:
        raise CMakeError(f"line {stack[-1][1].line}: {stack[-1][0]}() is never closed")
    return top
