"""The prefilter's grouped search must accept exactly what one substring test per literal
accepts: a file it wrongly rejects is never analysed."""

from __future__ import annotations

import random

from analyzer.native.matching import Prefilter, build_prefilter
from analyzer.rules import default_rules


def _naive(prefilter: Prefilter, text: bytes) -> bool:
    return any(x in text for x in prefilter.literals) or any(r.search(text) for r in prefilter.regexes)


def test_grouped_search_agrees_with_one_test_per_literal() -> None:
    prefilter = build_prefilter(default_rules())
    assert len(prefilter.literals) > 10
    rng = random.Random(7)
    alphabet = b"_ab_mM(x) \n"
    checked_positive = 0
    for literal in prefilter.literals:
        for _ in range(5):
            noise = bytes(rng.choice(alphabet) for _ in range(40))
            cut = rng.randrange(len(noise))
            text = noise[:cut] + literal + noise[cut:]
            assert prefilter.wants(text), literal
            checked_positive += 1
            # The literal with its last byte changed is (almost always) not a literal.
            broken = noise[:cut] + literal[:-1] + b"#" + noise[cut:]
            assert prefilter.wants(broken) == _naive(prefilter, broken), broken
    assert checked_positive == 5 * len(prefilter.literals)
    assert not prefilter.wants(b"static int add(int a, int b) { return a + b; }\n")
