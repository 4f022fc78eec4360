"""Parse and evaluate ``#if`` expressions with three-valued logic.

A value is an ``int`` or ``None`` ("maybe": it depends on something the analyzer cannot
know, such as a -D flag from the build). ``&&`` and ``||`` short-circuit the way the
preprocessor does, so ``0 && UNKNOWN`` is 0 and ``1 || UNKNOWN`` is 1.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Protocol, cast

from analyzer.tri import MAYBE, Value

_TOKEN_RE = re.compile(
    r"\s*(?:"
    r"(?P<num>0[xX][0-9A-Fa-f]+|0[bB][01]+|\d+)(?:[uUlL]*)"
    r"|(?P<char>'(?:\\.|[^'\\])+')"
    r"|(?P<id>[A-Za-z_]\w*)"
    r"|(?P<header><[\w+-]*[./][\w./+-]*>)"
    r"|(?P<op>\|\||&&|==|!=|<=|>=|<<|>>|[-+*/%<>!~&|^?:(),])"
    r"|(?P<string>\"(?:\\.|[^\"\\])*\")"
    r")"
)

# Node shapes (tuples keep the parse cheap and hashable):
#   ("num", int) ("id", name) ("defined", name) ("maybe",) ("call", name)
#   ("un", op, x) ("bin", op, a, b) ("cond", c, a, b)
Node = tuple[object, ...]

_BINARY_PRECEDENCE = {
    "||": 1,
    "&&": 2,
    "|": 3,
    "^": 4,
    "&": 5,
    "==": 6,
    "!=": 6,
    "<": 7,
    ">": 7,
    "<=": 7,
    ">=": 7,
    "<<": 8,
    ">>": 8,
    "+": 9,
    "-": 9,
    "*": 10,
    "/": 10,
    "%": 10,
}
# Builtin feature tests whose answer depends on the compiler's headers or version.
_MAYBE_FUNCTIONS = frozenset(
    {
        "__has_include",
        "__has_include_next",
        "__has_builtin",
        "__has_feature",
        "__has_extension",
        "__has_attribute",
        "__has_cpp_attribute",
        "__has_c_attribute",
        "__has_declspec_attribute",
        "__is_identifier",
        "__has_warning",
    }
)


class ExpressionError(ValueError):
    """The text is not a well-formed ``#if`` expression."""


def tokenize(text: str) -> list[tuple[str, str]]:
    tokens = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN_RE.match(text, pos)
        if match is None or match.end() == pos:
            raise ExpressionError(f"unexpected character {text[pos]!r} in {text!r}")
        kind = match.lastgroup
        assert kind is not None
        tokens.append((kind, match.group(kind)))
        pos = match.end()
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise ExpressionError("unexpected end of expression")
        self.pos += 1
        return token

    def expect(self, value: str) -> None:
        token = self.take()
        if token[1] != value:
            raise ExpressionError(f"expected {value!r}, got {token[1]!r}")

    def expression(self, min_precedence: int = 0) -> Node:
        left = self.unary()
        while True:
            token = self.peek()
            if token is None or token[0] != "op":
                return left
            op = token[1]
            if op == "?" and min_precedence == 0:
                self.take()
                then = self.expression(0)
                self.expect(":")
                other = self.expression(0)
                left = ("cond", left, then, other)
                continue
            precedence = _BINARY_PRECEDENCE.get(op)
            if precedence is None or precedence <= min_precedence:
                return left
            self.take()
            right = self.expression(precedence)
            left = ("bin", op, left, right)

    def unary(self) -> Node:
        kind, text = self.take()
        if kind == "op" and text in ("!", "~", "-", "+"):
            return ("un", text, self.unary())
        if kind == "op" and text == "(":
            inner = self.expression(0)
            self.expect(")")
            return inner
        if kind == "num":
            return ("num", _parse_int(text))
        if kind == "char":
            return ("num", _char_value(text))
        if kind == "id":
            return self.identifier(text)
        raise ExpressionError(f"unexpected {text!r}")

    def identifier(self, name: str) -> Node:
        if name == "defined":
            token = self.take()
            if token[1] == "(":
                name_token = self.take()
                self.expect(")")
            else:
                name_token = token
            if name_token[0] != "id":
                raise ExpressionError("defined needs a macro name")
            return ("defined", name_token[1])
        if name in ("true", "false"):
            return ("num", 1 if name == "true" else 0)
        nxt = self.peek()
        if nxt is not None and nxt[1] == "(":
            self.skip_arguments()
            return ("maybe",) if name in _MAYBE_FUNCTIONS else ("call", name)
        return ("id", name)

    def skip_arguments(self) -> None:
        depth = 0
        while True:
            _, text = self.take()
            if text == "(":
                depth += 1
            elif text == ")":
                depth -= 1
                if depth == 0:
                    return


def _parse_int(text: str) -> int:
    if text[:2] in ("0x", "0X"):
        return int(text, 16)
    if text[:2] in ("0b", "0B"):
        return int(text[2:], 2)
    if len(text) > 1 and text.startswith("0"):
        return int(text, 8)
    return int(text)


def _char_value(text: str) -> int:
    body = text[1:-1]
    if body.startswith("\\"):
        escapes = {"n": 10, "t": 9, "r": 13, "0": 0, "\\": 92, "'": 39, '"': 34}
        return escapes.get(body[1:2], ord(body[1:2] or "\0"))
    return ord(body[0])


@lru_cache(maxsize=65536)
def parse(text: str) -> Node:
    """Parse a ``#if`` expression; raises :class:`ExpressionError` on malformed input."""
    tokens = tokenize(text)
    if not tokens:
        raise ExpressionError("empty expression")
    parser = _Parser(tokens)
    node = parser.expression(0)
    rest = parser.peek()
    if rest is not None:
        raise ExpressionError(f"unexpected {rest[1]!r} after expression")
    return node


@lru_cache(maxsize=65536)  # the same conditions recur across a tree's files
def mentioned_identifiers(text: str) -> frozenset[str]:
    try:
        return frozenset(value for kind, value in tokenize(text) if kind == "id")
    except ExpressionError:
        return frozenset(re.findall(r"[A-Za-z_]\w*", text))


class Resolver(Protocol):
    def defined(self, name: str) -> Value:
        """1 if defined, 0 if not, None if it depends on the build."""

    def value(self, name: str) -> Value:
        """The integer value of an object-like macro in ``#if`` (0 when undefined)."""


# Macro values are evaluated recursively; a self-referencing chain stops here.
MAX_DEPTH = 64


def _child(node: Node, index: int) -> Node:
    return cast(Node, node[index])


def evaluate(node: Node, resolver: Resolver, depth: int = 0) -> Value:
    if depth > MAX_DEPTH:
        return MAYBE
    tag = node[0]
    if tag == "num":
        return cast(int, node[1])
    if tag == "defined":
        return resolver.defined(str(node[1]))
    if tag == "id":
        return resolver.value(str(node[1]))
    if tag in ("maybe", "call"):
        return MAYBE
    if tag == "un":
        inner = evaluate(_child(node, 2), resolver, depth + 1)
        if inner is None:
            return MAYBE
        return {"!": int(not inner), "~": ~inner, "-": -inner, "+": inner}[str(node[1])]
    if tag == "cond":
        test = evaluate(_child(node, 1), resolver, depth + 1)
        if test is None:
            a = evaluate(_child(node, 2), resolver, depth + 1)
            b = evaluate(_child(node, 3), resolver, depth + 1)
            return a if a is not None and a == b else MAYBE
        return evaluate(_child(node, 2 if test else 3), resolver, depth + 1)
    op = str(node[1])
    left = evaluate(_child(node, 2), resolver, depth + 1)
    if op == "&&":
        if left == 0:
            return 0
        right = evaluate(_child(node, 3), resolver, depth + 1)
        if right == 0:
            return 0
        return 1 if left is not None and right is not None else MAYBE
    if op == "||":
        if left is not None and left != 0:
            return 1
        right = evaluate(_child(node, 3), resolver, depth + 1)
        if right is not None and right != 0:
            return 1
        return 0 if left is not None and right is not None else MAYBE
    right = evaluate(_child(node, 3), resolver, depth + 1)
    if left is None or right is None:
        return MAYBE
    return _arithmetic(op, left, right)


def _arithmetic(op: str, a: int, b: int) -> Value:
    if op in ("/", "%") and b == 0:
        return MAYBE  # the compiler rejects it; do not guess
    if op in ("<<", ">>") and not 0 <= b < 64:
        return MAYBE
    results = {
        "|": lambda: a | b,
        "^": lambda: a ^ b,
        "&": lambda: a & b,
        "==": lambda: int(a == b),
        "!=": lambda: int(a != b),
        "<": lambda: int(a < b),
        ">": lambda: int(a > b),
        "<=": lambda: int(a <= b),
        ">=": lambda: int(a >= b),
        "<<": lambda: a << b,
        ">>": lambda: a >> b,
        "+": lambda: a + b,
        "-": lambda: a - b,
        "*": lambda: a * b,
        "/": lambda: int(a / b),
        "%": lambda: a - b * int(a / b),
    }
    return results[op]()
