"""Headers precise mode parses against, besides the tree's own and clang's builtin ones.

No Windows SDK, CRT or CPython headers exist on a scanning machine, so every other
``<...>`` header a unit names becomes an empty stand-in: the declarations it would provide
are undeclared, which is harmless because only identifiers that match a rule count. The
x86-only headers the include rules name are stand-ins too, searched before clang's: on an
ARM64 target clang's ``immintrin.h`` only produces thousands of errors. Real headers for
a target Python (a Windows CPython SDK) belong here as they become available.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from analyzer.kinds.rule import Rule
from analyzer.precise.clang import include_rule

_SAFE_HEADER = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.+-]*(?:/[A-Za-z0-9_][A-Za-z0-9_.+-]*)*$")


def stub_headers(names: Iterable[str], stub_dir: Path, rules: Iterable[Rule]) -> None:
    """Empty stand-ins for angled headers. Platform headers go to ``stub_dir/after``,
    searched after clang's own (also those clang ships: its intrin.h #include_next-s the
    platform one). The x86-only headers the include rules name go to ``stub_dir/before``,
    ahead of clang's: on an ARM64 target clang's immintrin.h only produces thousands of
    errors and costs most of the parse, while the facts precise mode needs (the include
    was processed; every intrinsic and vector type used is undeclared) stay the same."""
    rules = tuple(rules)
    for name in names:
        name = name.replace("\\", "/")
        if not _SAFE_HEADER.match(name):
            continue
        where = "before" if include_rule(name, rules) is not None else "after"
        target = stub_dir / where / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.touch(exist_ok=True)
