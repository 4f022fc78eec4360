"""GitHub Actions expressions (``${{ ... }}``), evaluated the way the runner does for the
contexts woaport can know statically: ``matrix``, ``env``, ``runner``, literals, the
operators and the functions used to pick runners and targets (``fromJSON``, ``format``,
``contains``, ``startsWith``, ``endsWith``, ``join``).

Anything else (``secrets``, ``needs``, ``steps``, ``github``, ``inputs`` without a
default, ``vars``) is :data:`UNKNOWN`, and so is any expression that uses it. Values are
never guessed; an expression too long or malformed is unknown too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from analyzer.limits import CI_LIMITS
from analyzer.safeload import json_loads
from analyzer.tri import UNKNOWN

# One ``${{ ... }}``: its body never contains ``}}`` (so that a whole-string match is one
# expression, not the text from the first ``${{`` to the last ``}}``).
_EMBEDDED = re.compile(r"\$\{\{((?:(?!\}\}).)*)\}\}", re.S)
_TOKEN = re.compile(
    r"""\s*(?:(?P<num>-?\d+(?:\.\d+)?)|'(?P<str>(?:[^']|'')*)'|(?P<op>==|!=|<=|>=|&&|\|\||[!<>()\[\],.*])"""
    r"""|(?P<id>[A-Za-z_][\w-]*))"""
)


class _Malformed(ValueError):
    pass


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise _Malformed(text[pos : pos + 20])
        pos = m.end()
        kind = m.lastgroup or ""
        value = m.group(kind)
        out.append((kind, value.replace("''", "'") if kind == "str" else value))
    return out


def truthy(value: Any) -> Any:
    if value is UNKNOWN:
        return UNKNOWN
    return bool(value) and value != 0 and value != ""


def as_text(value: Any) -> Any:
    """A value as GitHub writes it into a string (UNKNOWN stays UNKNOWN)."""
    if value is UNKNOWN:
        return UNKNOWN
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def _equal(a: Any, b: Any) -> Any:
    if a is UNKNOWN or b is UNKNOWN:
        return UNKNOWN
    if isinstance(a, str) and isinstance(b, str):
        return a.lower() == b.lower()  # GitHub compares strings ignoring case
    return a == b


class _Parser:
    """Precedence climbing over ``||`` < ``&&`` < ``== !=`` < ``< <= > >=`` < ``!``."""

    def __init__(self, tokens: list[tuple[str, str]], context: Mapping[str, Any]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.context = context

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, op: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (op is not None and token[1] != op):
            raise _Malformed(f"expected {op}")
        self.pos += 1
        return token

    def parse(self) -> Any:
        value = self.or_()
        if self.peek() is not None:
            raise _Malformed("trailing tokens")
        return value

    def or_(self) -> Any:
        value = self.and_()
        while (t := self.peek()) is not None and t[1] == "||":
            self.take()
            right = self.and_()
            test = truthy(value)
            value = UNKNOWN if test is UNKNOWN else (value if test else right)
        return value

    def and_(self) -> Any:
        value = self.compare()
        while (t := self.peek()) is not None and t[1] == "&&":
            self.take()
            right = self.compare()
            test = truthy(value)
            value = UNKNOWN if test is UNKNOWN else (right if test else value)
        return value

    def compare(self) -> Any:
        value = self.unary()
        while (t := self.peek()) is not None and t[1] in ("==", "!=", "<", "<=", ">", ">="):
            op = self.take()[1]
            right = self.unary()
            if op == "==":
                value = _equal(value, right)
            elif op == "!=":
                same = _equal(value, right)
                value = UNKNOWN if same is UNKNOWN else not same
            elif value is UNKNOWN or right is UNKNOWN:
                value = UNKNOWN
            else:
                try:
                    a, b = float(value), float(right)
                except (TypeError, ValueError):
                    value = False
                    continue
                value = {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]
        return value

    def unary(self) -> Any:
        if (t := self.peek()) is not None and t[1] == "!":
            self.take()
            inner = truthy(self.unary())
            return UNKNOWN if inner is UNKNOWN else not inner
        return self.postfix(self.primary())

    def primary(self) -> Any:
        kind, value = self.take()
        if kind == "num":
            return float(value) if "." in value else int(value)
        if kind == "str":
            return value
        if kind == "op" and value == "(":
            inner = self.or_()
            self.take(")")
            return inner
        if kind != "id":
            raise _Malformed(value)
        if value in ("true", "false"):
            return value == "true"
        if value == "null":
            return None
        if (t := self.peek()) is not None and t[1] == "(":
            self.take()
            args: list[Any] = []
            while (t := self.peek()) is not None and t[1] != ")":
                args.append(self.or_())
                if (t := self.peek()) is not None and t[1] == ",":
                    self.take()
            self.take(")")
            return _call(value, args)
        return self.context.get(value, UNKNOWN)

    def postfix(self, value: Any) -> Any:
        while (t := self.peek()) is not None and t[1] in (".", "["):
            if self.take()[1] == ".":
                kind, name = self.take()
                if kind != "id" and name != "*":
                    raise _Malformed(name)
                value = _member(value, name)
            else:
                key = self.or_()
                self.take("]")
                value = UNKNOWN if key is UNKNOWN else _member(value, key)
        return value


def _member(value: Any, key: Any) -> Any:
    if value is UNKNOWN:
        return UNKNOWN
    if isinstance(value, Mapping):
        if isinstance(key, str):
            for k, v in value.items():
                if str(k).lower() == key.lower():
                    return v
        return None if not isinstance(value, _Open) else UNKNOWN
    if isinstance(value, list) and isinstance(key, (int, float)) and 0 <= int(key) < len(value):
        return value[int(key)]
    return None


class _Open(dict[str, Any]):
    """A context whose keys are only partly known (``env``: a name not set here may be
    set by the runner or an earlier step's ``$GITHUB_ENV``): missing keys are unknown."""


def open_context(values: Mapping[str, Any]) -> dict[str, Any]:
    return _Open(values)


def _call(name: str, args: list[Any]) -> Any:
    lowered = name.lower()
    # Status checks, as a step sees them when the steps before it succeeded.
    if lowered in ("success", "always") and not args:
        return True
    if lowered in ("failure", "cancelled") and not args:
        return False
    if any(a is UNKNOWN for a in args):
        return UNKNOWN
    if lowered == "fromjson" and len(args) == 1 and isinstance(args[0], str):
        try:
            return json_loads(args[0])  # nesting bounded: a ValueError when too deep
        except ValueError:
            return UNKNOWN
    if lowered == "tojson" and len(args) == 1:
        return json.dumps(args[0])
    if lowered == "format" and args and isinstance(args[0], str):
        texts = [as_text(a) for a in args[1:]]
        return re.sub(
            r"\{(\d+)\}",
            lambda m: str(texts[int(m.group(1))]) if int(m.group(1)) < len(texts) else "",
            args[0],
        )
    if lowered in ("startswith", "endswith", "contains") and len(args) == 2:
        haystack, needle = args
        if lowered == "contains" and isinstance(haystack, list):
            return any(_equal(item, needle) is True for item in haystack)
        h, n = str(as_text(haystack)).lower(), str(as_text(needle)).lower()
        return (
            h.startswith(n) if lowered == "startswith" else h.endswith(n) if lowered == "endswith" else n in h
        )
    if lowered == "join" and args:
        sep = as_text(args[1]) if len(args) > 1 else ","
        items = args[0] if isinstance(args[0], list) else [args[0]]
        return str(sep).join(str(as_text(i)) for i in items)
    return UNKNOWN  # hashFiles, success(), always() ... depend on the run


def evaluate(expression: str, context: Mapping[str, Any]) -> Any:
    """The value of one expression (the text between ``${{`` and ``}}``)."""
    if len(expression) > CI_LIMITS.max_expression:
        return UNKNOWN
    try:
        return _Parser(_tokens(expression), context).parse()
    except (_Malformed, RecursionError, IndexError):
        return UNKNOWN


def condition(text: Any, context: Mapping[str, Any]) -> Any:
    """An ``if:`` (with or without ``${{ }}``): True, False or UNKNOWN."""
    if text is None:
        return True
    if isinstance(text, bool):
        return text
    body = str(text).strip()
    whole = _EMBEDDED.fullmatch(body)
    value = evaluate(whole.group(1) if whole else body, context)
    return truthy(value)


def substitute_partial(value: str, context: Mapping[str, Any], placeholder: str) -> str:
    """``value`` with each expression replaced by its text, or by ``placeholder`` where it
    cannot be known (a step output, a secret): the known words of a command line stay
    readable (``--release --target aarch64-pc-windows-msvc -i ?``)."""

    def one(m: re.Match[str]) -> str:
        result = as_text(evaluate(m.group(1), context))
        return placeholder if result is UNKNOWN else str(result)

    return _EMBEDDED.sub(one, value)


def substitute(value: Any, context: Mapping[str, Any]) -> Any:
    """A YAML scalar with its expressions evaluated: a string that is one whole
    expression takes the expression's value (a list from ``fromJSON``, a number);
    expressions inside a longer string are replaced by their text. UNKNOWN if any part
    is unknown."""
    if not isinstance(value, str) or "${{" not in value:
        return value
    whole = _EMBEDDED.fullmatch(value.strip())
    if whole is not None:
        return evaluate(whole.group(1), context)
    parts: list[str] = []
    last = 0
    for m in _EMBEDDED.finditer(value):
        result = as_text(evaluate(m.group(1), context))
        if result is UNKNOWN:
            return UNKNOWN
        parts.append(value[last : m.start()])
        parts.append(result)
        last = m.end()
    parts.append(value[last:])
    return "".join(parts)
