"""Judge a build's compile probe: does its test program compile on each target model?

The probe text is read like a one-file tree by the fast mode. It fails on a model where
an ``#error`` is reached, or where an error-severity rule (an x86-only header, intrinsic,
vector type or inline assembly) fires there. Otherwise whether it compiles is unknown:
woaport does not know every header a toolchain ships.
"""

from __future__ import annotations

from collections.abc import Mapping

from analyzer.fallbacks import default_fallbacks
from analyzer.kinds.rule import Rule, x86_only_pattern
from analyzer.model import Language, Severity
from analyzer.native.guards import FileStructure, GuardModel, TreeMacros
from analyzer.native.matching import analyze
from analyzer.native.preproc import PreprocStructure, mask_comments_and_strings, parse_preprocessor
from analyzer.native.treesitter import parse as parse_syntax
from analyzer.native.views import Context, FileInput
from analyzer.targets import TargetData
from analyzer.tri import MAYBE, Value

PROBE_PATH = "<build probe>.c"
MAX_PROBE_BYTES = 256 * 1024


def probe_language(text: str) -> Language:
    """Whether a probe program is C++ (the build compiles it with the C++ compiler)."""
    return Language.CPP if "#include <iostream>" in text or "namespace" in text else Language.C


class ProbeJudge:
    """Callable judge of probe texts, memoised by text (setup.py runs once per model)."""

    def __init__(self, rules: tuple[Rule, ...], targets: TargetData) -> None:
        self.rules = tuple(r for r in rules if r.category == "code")
        self.targets = targets
        self._memo: dict[str, Mapping[str, Value]] = {}

    def __call__(self, text: str) -> Mapping[str, Value]:
        known = self._memo.get(text)
        if known is None:
            known = self._judge(text)
            self._memo[text] = known
        return known

    def _judge(self, text: str) -> Mapping[str, Value]:
        data = text.encode("utf-8", "replace")[:MAX_PROBE_BYTES]
        masked = mask_comments_and_strings(data)
        structure = parse_preprocessor(data, masked)
        language = probe_language(text)
        tree = TreeMacros([FileStructure(PROBE_PATH, language, False, structure)])
        targets = self.targets
        guards = {
            m.name: GuardModel(tree, m, targets.known_macros, targets.predefined_shape)
            for m in targets.models
        }
        verdict: dict[str, Value] = {m.name: MAYBE for m in targets.models}
        for model, guard in guards.items():
            refused = any(guard.line_state(PROBE_PATH, error.line) == 1 for error in structure.errors)
            if refused or _syntax_error_in_taken_branch(data, structure, guard, language):
                verdict[model] = 0
        ctx = Context(
            rules=self.rules,
            models=targets.models,
            selected=frozenset(verdict),
            guards=guards,
            fallbacks=default_fallbacks(),
            x86_marker=x86_only_pattern(),
        )
        try:
            findings = analyze(FileInput(PROBE_PATH, data, language, structure, masked=masked), ctx)
        except RecursionError:
            return verdict
        for finding in findings:
            if finding.severity is Severity.ERROR:
                for model in finding.reachable_on:
                    if model in verdict and guards[model].line_state(PROBE_PATH, finding.location.line) == 1:
                        verdict[model] = 0
        return verdict


def _syntax_error_in_taken_branch(
    data: bytes, structure: PreprocStructure, guard: GuardModel, language: Language
) -> bool:
    """The architecture-probe idiom: ``#if <x86 macros> / return 0; / #else / fail``.
    The text this model compiles (lines in untaken branches blanked) has a syntax error
    on a line inside a taken conditional branch. Errors outside conditionals are not
    counted: a macro tree-sitter cannot expand is not a compile failure."""
    lines = data.split(b"\n")
    kept = [
        line if not line.lstrip().startswith(b"#") and guard.line_state(PROBE_PATH, number) == 1 else b""
        for number, line in enumerate(lines, 1)
    ]
    tree = parse_syntax(b"\n".join(kept), language)
    if not tree.root_node.has_error:
        return False
    todo = [tree.root_node]
    while todo:
        node = todo.pop()
        if node.is_error or node.is_missing:
            line = node.start_point[0] + 1
            if structure.owner(line) >= 0:
                return True
        if node.has_error:
            todo.extend(node.children)
    return False
