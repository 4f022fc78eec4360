"""The meson language read into statements and expressions (the syntax only: what a
``meson.build`` does per target model is :mod:`analyzer.buildmodel.meson`)."""

from __future__ import annotations

import re
from typing import Any


class MesonError(Exception):
    pass


# -- tokens and parser ---------------------------------------------------------------
_TOKEN = re.compile(
    r"""
    (?P<ws>[ \t\r\f]+|\\\n)
  | (?P<comment>\#[^\n]*)
  | (?P<nl>\n)
  | (?P<mstr>f?'''(?:.|\n)*?''')
  | (?P<str>f?'(?:\\.|[^'\\\n])*')
  | (?P<num>0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|\d+)
  | (?P<id>[A-Za-z_]\w*)
  | (?P<op>\+=|==|!=|<=|>=|[-+*/%?:,.()\[\]{}<>=])
    """,
    re.VERBOSE,
)


def tokenize(text: str) -> list[tuple[str, str, int]]:
    tokens: list[tuple[str, str, int]] = []
    pos = 0
    line = 1
    depth = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise MesonError(f"line {line}: unexpected {text[pos]!r}")
        kind = match.lastgroup or ""
        value = match.group()
        if kind == "op" and value in "([{":
            depth += 1
        elif kind == "op" and value in ")]}":
            depth = max(0, depth - 1)
        if kind == "nl":
            if depth == 0 and tokens and tokens[-1][0] != "nl":
                tokens.append(("nl", "\n", line))
        elif kind not in ("ws", "comment"):
            tokens.append((kind, value, line))
        line += value.count("\n")
        pos = match.end()
    tokens.append(("nl", "\n", line))
    tokens.append(("eof", "", line))
    return tokens


_STRING_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", "'": "'", "r": "\r"}


def _unquote(token: str) -> tuple[str, bool]:
    formatted = token.startswith("f")
    body = token[1:] if formatted else token
    if body.startswith("'''"):
        return body[3:-3], formatted
    body = body[1:-1]
    return re.sub(r"\\(.)", lambda m: _STRING_ESCAPES.get(m.group(1), m.group(0)), body), formatted


class Parser:
    """meson's grammar into tuples: statements and expressions as small trees."""

    def __init__(self, tokens: list[tuple[str, str, int]]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self, offset: int = 0) -> tuple[str, str, int]:
        return self.tokens[min(self.pos + offset, len(self.tokens) - 1)]

    def take(self) -> tuple[str, str, int]:
        token = self.tokens[self.pos]
        self.pos = min(self.pos + 1, len(self.tokens) - 1)
        return token

    def expect(self, value: str) -> None:
        token = self.take()
        if token[1] != value:
            raise MesonError(f"line {token[2]}: expected {value!r}, found {token[1]!r}")

    def skip_newlines(self) -> None:
        while self.peek()[0] == "nl":
            self.take()

    def block(self, enders: tuple[str, ...]) -> list[Any]:
        statements: list[Any] = []
        while True:
            self.skip_newlines()
            kind, value, _ = self.peek()
            if kind == "eof":
                if enders:
                    raise MesonError(f"missing {enders[0]}")
                return statements
            if kind == "id" and value in enders:
                return statements
            statements.append(self.statement())

    def statement(self) -> Any:
        kind, value, line = self.peek()
        if kind == "id" and value == "if":
            self.take()
            # Each arm keeps its own line: an elif's condition runs only when the arms
            # before it were not taken.
            arms = [(self.expression(), self.block(("elif", "else", "endif")), line)]
            otherwise: list[Any] = []
            while True:
                _, word, word_line = self.take()
                if word == "elif":
                    arms.append((self.expression(), self.block(("elif", "else", "endif")), word_line))
                elif word == "else":
                    otherwise = self.block(("endif",))
                else:
                    break
            return ("if", line, arms, otherwise)
        if kind == "id" and value == "foreach":
            self.take()
            names = [self.take()[1]]
            while self.peek()[1] == ",":
                self.take()
                names.append(self.take()[1])
            self.expect(":")
            iterable = self.expression()
            body = self.block(("endforeach",))
            self.take()
            return ("foreach", line, names, iterable, body)
        if kind == "id" and value in ("break", "continue"):
            self.take()
            return (value, line)
        expr = self.expression()
        if self.peek()[1] in ("=", "+="):
            op = self.take()[1]
            if expr[0] not in ("name",):
                raise MesonError(f"line {line}: cannot assign to this")
            value = self.expression()
            return ("assign", line, expr[1], op, value, self.last_line())
        return ("expr", line, expr, self.last_line())

    def last_line(self) -> int:
        """The line the statement just read ends on (a call's closing parenthesis, the
        end of a multi-line string)."""
        _, value, line = self.tokens[max(0, self.pos - 1)]
        return line + value.count("\n")

    def expression(self) -> Any:
        condition = self.or_expr()
        if self.peek()[1] == "?":
            self.take()
            self.skip_newlines()
            then = self.expression()
            self.skip_newlines()
            self.expect(":")
            self.skip_newlines()
            otherwise = self.expression()
            return ("ternary", condition, then, otherwise)
        return condition

    def or_expr(self) -> Any:
        left = self.and_expr()
        while self.peek()[1] == "or":
            self.take()
            left = ("or", left, self.and_expr())
        return left

    def and_expr(self) -> Any:
        left = self.not_expr()
        while self.peek()[1] == "and":
            self.take()
            left = ("and", left, self.not_expr())
        return left

    def not_expr(self) -> Any:
        if self.peek()[1] == "not":
            self.take()
            return ("not", self.not_expr())
        return self.comparison()

    def comparison(self) -> Any:
        left = self.additive()
        while True:
            value = self.peek()[1]
            if value in ("==", "!=", "<", ">", "<=", ">=", "in"):
                self.take()
                left = ("cmp", value, left, self.additive())
            elif value == "not" and self.peek(1)[1] == "in":
                self.take()
                self.take()
                left = ("cmp", "not in", left, self.additive())
            else:
                return left

    def additive(self) -> Any:
        left = self.multiplicative()
        while self.peek()[1] in ("+", "-"):
            op = self.take()[1]
            left = ("bin", op, left, self.multiplicative())
        return left

    def multiplicative(self) -> Any:
        left = self.unary()
        while self.peek()[1] in ("*", "/", "%"):
            op = self.take()[1]
            left = ("bin", op, left, self.unary())
        return left

    def unary(self) -> Any:
        if self.peek()[1] == "-":
            self.take()
            return ("neg", self.unary())
        return self.postfix(self.primary())

    def postfix(self, node: Any) -> Any:
        while True:
            value = self.peek()[1]
            if value == ".":
                self.take()
                name = self.take()[1]
                node = ("attr", node, name)
            elif value == "(" and node[0] in ("name", "attr"):
                self.take()
                args, kwargs = self.arguments()
                node = ("call", node, args, kwargs, self.peek()[2])
            elif value == "[":
                self.take()
                self.skip_newlines()
                index = self.expression()
                self.skip_newlines()
                self.expect("]")
                node = ("index", node, index)
            else:
                return node

    def arguments(self) -> tuple[list[Any], list[tuple[str, Any]]]:
        args: list[Any] = []
        kwargs: list[tuple[str, Any]] = []
        while True:
            self.skip_newlines()
            if self.peek()[1] == ")":
                self.take()
                return args, kwargs
            if self.peek()[0] == "id" and self.peek(1)[1] == ":":
                name = self.take()[1]
                self.take()
                self.skip_newlines()
                kwargs.append((name, self.expression()))
            else:
                args.append(self.expression())
            self.skip_newlines()
            if self.peek()[1] == ",":
                self.take()
            elif self.peek()[1] != ")":
                raise MesonError(f"line {self.peek()[2]}: expected ',' or ')'")

    def primary(self) -> Any:
        kind, value, line = self.take()
        if kind in ("str", "mstr"):
            text, formatted = _unquote(value)
            return ("fstr", text) if formatted else ("const", text)
        if kind == "num":
            return ("const", int(value, 0))
        if kind == "id":
            if value in ("true", "false"):
                return ("const", value == "true")
            return ("name", value)
        if value == "(":
            self.skip_newlines()
            inner = self.expression()
            self.skip_newlines()
            self.expect(")")
            return inner
        if value == "[":
            items: list[Any] = []
            while True:
                self.skip_newlines()
                if self.peek()[1] == "]":
                    self.take()
                    return ("list", items)
                items.append(self.expression())
                self.skip_newlines()
                if self.peek()[1] == ",":
                    self.take()
        if value == "{":
            pairs: list[tuple[Any, Any]] = []
            while True:
                self.skip_newlines()
                if self.peek()[1] == "}":
                    self.take()
                    return ("dict", pairs)
                key = self.expression()
                self.skip_newlines()
                self.expect(":")
                self.skip_newlines()
                pairs.append((key, self.expression()))
                self.skip_newlines()
                if self.peek()[1] == ",":
                    self.take()
        raise MesonError(f"line {line}: unexpected {value!r}")


def parse(text: str) -> list[Any]:
    return Parser(tokenize(text)).block(())
