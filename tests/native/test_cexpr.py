from __future__ import annotations

import pytest

from analyzer.native.cexpr import ExpressionError, evaluate, parse
from analyzer.tri import Value


class Fake:
    def __init__(self, defined: dict[str, int], unknown: set[str] = frozenset()) -> None:  # type: ignore[assignment]
        self.macros = defined
        self.unknown = unknown

    def defined(self, name: str) -> Value:
        return None if name in self.unknown else int(name in self.macros)

    def value(self, name: str) -> Value:
        return None if name in self.unknown else self.macros.get(name, 0)


@pytest.mark.parametrize(
    ("text", "result"),
    [
        ("defined(_M_ARM64)", 1),
        ("defined _M_ARM64 && !defined(__aarch64__)", 1),
        ("defined(__x86_64__) || defined(_M_X64)", 0),
        ("_MSC_VER >= 1930", 1),
        ("_MSC_VER < 1900", 0),
        ("UNKNOWN", None),
        ("UNKNOWN && 0", 0),
        ("0 && UNKNOWN", 0),
        ("UNKNOWN || 1", 1),
        ("!UNKNOWN", None),
        ("__has_include(<arm_neon.h>)", None),
        ('__has_include("sse2neon.h") || defined(_M_ARM64)', 1),
        ("(1 + 2) * 3 == 9 && 0x10 == 16 && 010 == 8", 1),
        ("1 ? 2 : UNKNOWN", 2),
        ("UNKNOWN ? 1 : 1", 1),
        ("FOO(1, 2) && 0", 0),
        ("'A' == 65", 1),
        ("1 / 0", None),
        ("-1 < 0 && ~0 == -1", 1),
    ],
)
def test_evaluate(text: str, result: Value) -> None:
    resolver = Fake({"_M_ARM64": 1, "_MSC_VER": 1940}, {"UNKNOWN"})
    assert evaluate(parse(text), resolver) == result


@pytest.mark.parametrize("text", ["", "defined(", "1 +", "(1", "1 2", "@"])
def test_malformed(text: str) -> None:
    with pytest.raises(ExpressionError):
        parse(text)
