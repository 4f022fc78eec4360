"""Build and CI rules: setup.py (read with ``ast``), pyproject.toml, CMake, meson, Cargo,
GitHub Actions workflows and Fortran sources. Nothing is executed; every rule is data in
``rules/`` and one of these match kinds:

``text``          a per-line regex (``pattern``), not on lines matching ``exclude``, not in
                  a CMake/meson ``if`` block whose condition matches ``condition`` (an x86
                  guard), and only in files that do not match ``counterpart`` anywhere.
``py_string``     a string literal in setup.py matching ``pattern`` that is not inside an
                  ``if``/conditional expression whose test matches ``condition``.
``py_compare``    a comparison whose one side matches ``subject`` (``platform.machine()``)
                  and whose string constants all match ``pattern`` (x64 spellings), in a
                  file that never matches ``counterpart`` (an ARM64 spelling).
``workflow_job``  a workflow job matching ``pattern`` and ``condition`` (it builds wheels,
                  on Windows) whose text, with the workflow's top-level env and the
                  project's cibuildwheel configuration, never matches ``counterpart``.
``toml_value``    the value at ``key`` in pyproject.toml, when it does not match
                  ``counterpart``.
``file``          every file of the rule's languages (Fortran sources).
``project``       the project's top-level build file, when it has native sources and no
                  workflow matches ``pattern`` (no wheel-building CI at all).
"""

from __future__ import annotations

import ast
import fnmatch
import json
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from analyzer.model import Confidence, Finding, Language, Location
from analyzer.rules import Rule

_SUPPRESS = re.compile(r"woaport:\s*ignore(?:\[([A-Za-z0-9_, -]+)\])?")
_CMAKE_BLOCK = re.compile(r"^\s*(if|elseif|else|endif)\s*\((.*)$", re.IGNORECASE)
_MESON_BLOCK = re.compile(r"^\s*(if|elif|else|endif)\b(.*)$")


@dataclass(frozen=True)
class ProjectContext:
    """What one build file's rules may need from the rest of the project."""

    cibuildwheel: str = ""  # pyproject's [tool.cibuildwheel] tables, as text
    ci_text: str = ""  # every workflow of the project, concatenated
    native_sources: int = 0  # C/C++/Rust files in the project
    is_project_root: bool = False  # this build file is the project's top-level one


@dataclass(frozen=True)
class Hit:
    line: int
    column: int
    end_column: int
    match: str


@lru_cache(maxsize=512)
def _text_regex(pattern: bytes) -> re.Pattern[str]:
    return re.compile(pattern.decode("utf-8"))


def _regex(pattern: re.Pattern[bytes] | None) -> re.Pattern[str] | None:
    return None if pattern is None else _text_regex(pattern.pattern)


def project_context(pyproject_text: str | None) -> ProjectContext:
    if not pyproject_text:
        return ProjectContext()
    try:
        data = tomllib.loads(pyproject_text)
    except tomllib.TOMLDecodeError:
        return ProjectContext()
    table = data.get("tool", {}).get("cibuildwheel")
    return ProjectContext(json.dumps(table) if table else "")


def applies(rule: Rule, language: Language, rel: str) -> bool:
    if language not in rule.languages:
        return False
    name = rel.rsplit("/", 1)[-1]
    return not rule.match.files or any(fnmatch.fnmatchcase(name, p) for p in rule.match.files)


def analyze_build_file(
    rel: str,
    language: Language,
    text: str,
    rules: tuple[Rule, ...],
    selected: frozenset[str],
    context: ProjectContext = ProjectContext(),
) -> tuple[list[Finding], str | None]:
    """Findings for one build file, and a problem to warn about (unparseable file)."""
    lines = text.splitlines()
    findings: list[Finding] = []
    problem: str | None = None
    for rule in rules:
        if not applies(rule, language, rel):
            continue
        models = tuple(m for m in rule.models if m in selected)
        if not models:
            continue
        try:
            hits = list(_hits(rule, language, text, lines, context))
        except _Unparseable as error:
            problem = str(error)
            continue
        for hit in hits:
            if _suppressed(lines, hit.line, rule.id):
                continue
            snippet = lines[hit.line - 1].strip() if 0 < hit.line <= len(lines) else ""
            findings.append(
                Finding(
                    rule_id=rule.id,
                    severity=rule.severity,
                    confidence=Confidence.HIGH,
                    location=Location(rel, hit.line, hit.column, hit.line, hit.end_column),
                    message=_format(rule.message, hit.match),
                    reachable_on=models,
                    fallback=rule.fallback,
                    snippet=snippet[:200],
                )
            )
    return sorted(set(findings), key=Finding.sort_key), problem


class _Unparseable(Exception):
    pass


def _format(template: str, match: str) -> str:
    try:
        return template.format(match=match)
    except (KeyError, IndexError, ValueError):
        return template


def _suppressed(lines: list[str], line: int, rule_id: str) -> bool:
    candidates = [lines[line - 1]] if 0 < line <= len(lines) else []
    if line > 1:
        candidates.append(lines[line - 2])
    for text in candidates:
        for m in _SUPPRESS.finditer(text):
            if m.group(1) is None or rule_id in {x.strip().upper() for x in m.group(1).split(",")}:
                return True
    return False


def _hits(
    rule: Rule, language: Language, text: str, lines: list[str], context: ProjectContext
) -> Iterator[Hit]:
    kind = rule.match.kind
    if kind == "text":
        yield from _text_hits(rule, language, text, lines)
    elif kind == "py_string":
        yield from _py_string_hits(rule, text)
    elif kind == "py_compare":
        yield from _py_compare_hits(rule, text)
    elif kind == "workflow_job":
        yield from _workflow_hits(rule, text, lines, context)
    elif kind == "toml_value":
        yield from _toml_hits(rule, text, lines)
    elif kind == "file":
        yield Hit(1, 1, 1, "")
    elif kind == "project":
        # A project with native code whose CI (if any) never builds wheels: reported once,
        # on the top-level pyproject.toml or setup.py.
        pattern = _regex(rule.match.pattern)
        assert pattern is not None
        if context.is_project_root and context.native_sources and not pattern.search(context.ci_text):
            yield Hit(1, 1, 1, f"{context.native_sources} native source file(s)")


# -- text -------------------------------------------------------------------------------
def guarded_lines(lines: list[str], language: Language, guard: re.Pattern[str]) -> set[int]:
    """1-based lines inside a CMake/meson if/elseif branch whose condition matches
    ``guard`` (an ``else`` branch is the opposite of its conditions: never guarded)."""
    block = _CMAKE_BLOCK if language is Language.CMAKE else _MESON_BLOCK
    stack: list[bool] = []  # per open if: is the current branch guarded?
    guarded: set[int] = set()
    for number, line in enumerate(lines, 1):
        m = block.match(line)
        if m is not None:
            keyword = m.group(1).lower()
            if keyword == "if":
                stack.append(bool(guard.search(m.group(2))))
            elif keyword in ("elseif", "elif") and stack:
                stack[-1] = bool(guard.search(m.group(2)))
            elif keyword == "else" and stack:
                stack[-1] = False
            elif keyword == "endif" and stack:
                stack.pop()
            continue
        if any(stack):
            guarded.add(number)
    return guarded


def _text_hits(rule: Rule, language: Language, text: str, lines: list[str]) -> Iterator[Hit]:
    pattern, exclude = _regex(rule.match.pattern), _regex(rule.match.exclude)
    counterpart = _regex(rule.match.counterpart)
    assert pattern is not None
    if counterpart is not None and counterpart.search(text):
        return
    guarded: set[int] = set()
    if rule.match.condition is not None and language in (Language.CMAKE, Language.MESON):
        guarded = guarded_lines(lines, language, rule.match.condition)
    for number, line in enumerate(lines, 1):
        if number in guarded or (exclude is not None and exclude.search(line)):
            continue
        for m in pattern.finditer(line):
            yield Hit(number, m.start() + 1, m.end() + 1, m.group())


# -- setup.py ---------------------------------------------------------------------------
def _parse_python(text: str) -> ast.Module:
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError) as error:
        raise _Unparseable(f"cannot parse as Python ({error}); its build rules were skipped") from None


def _guarded_nodes(tree: ast.Module, text: str, guard: re.Pattern[str] | None) -> set[int]:
    """ids of nodes in the body of an if / conditional expression whose test matches
    ``guard`` and is not negated (the x86-only side of an architecture test)."""
    guarded: set[int] = set()
    if guard is None:
        return guarded
    for node in ast.walk(tree):
        if isinstance(node, ast.If | ast.IfExp):
            test = ast.get_source_segment(text, node.test) or ""
            negated = isinstance(node.test, ast.UnaryOp) and isinstance(node.test.op, ast.Not)
            negated |= isinstance(node.test, ast.Compare) and any(
                isinstance(op, ast.NotEq | ast.NotIn) for op in node.test.ops
            )
            if not guard.search(test):
                continue
            body = node.body if isinstance(node, ast.If) else [node.body]
            orelse = node.orelse if isinstance(node, ast.If) else [node.orelse]
            for part in orelse if negated else body:
                guarded.update(id(n) for n in ast.walk(part))
    return guarded


def _py_string_hits(rule: Rule, text: str) -> Iterator[Hit]:
    pattern = _regex(rule.match.pattern)
    assert pattern is not None
    tree = _parse_python(text)
    guarded = _guarded_nodes(tree, text, rule.match.condition)
    # Strings a comparison tests against ("AMD64" in machine == "AMD64") are not values
    # the build uses.
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            for side in (node.left, *node.comparators):
                guarded.update(id(n) for n in ast.walk(side))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in guarded:
            m = pattern.search(node.value)
            if m is not None:
                end = node.end_col_offset if node.end_lineno == node.lineno and node.end_col_offset else 0
                yield Hit(node.lineno, node.col_offset + 1, (end or node.col_offset) + 1, m.group())


def _trivial(orelse: ast.AST | list[ast.stmt]) -> bool:
    """No else branch, or one that does nothing ([] / None / "" / pass): nothing for
    ARM64 to fall into."""
    if isinstance(orelse, list):
        return all(isinstance(s, ast.Pass) for s in orelse)
    if isinstance(orelse, ast.List | ast.Tuple | ast.Set | ast.Dict):
        return not (orelse.keys if isinstance(orelse, ast.Dict) else orelse.elts)
    return isinstance(orelse, ast.Constant) and not orelse.value


def _strings(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return [s for e in node.elts for s in _strings(e)]
    return []


def _py_compare_hits(rule: Rule, text: str) -> Iterator[Hit]:
    """Positive tests (``==``, ``in``) of an ``if`` or conditional expression that has an
    else branch: that branch is where ARM64 lands. A test without else only adds
    x86-specific things on x86, which is right."""
    pattern, counterpart = _regex(rule.match.pattern), _regex(rule.match.counterpart)
    subject = rule.match.subject
    assert pattern is not None and subject is not None
    if counterpart is not None and counterpart.search(text):
        return
    tree = _parse_python(text)
    for node in ast.walk(tree):
        if not isinstance(node, ast.If | ast.IfExp) or _trivial(node.orelse):
            continue
        tests = node.test.values if isinstance(node.test, ast.BoolOp) else [node.test]
        for test in tests:
            if not isinstance(test, ast.Compare) or not all(
                isinstance(op, ast.Eq | ast.In) for op in test.ops
            ):
                continue
            sides = [test.left, *test.comparators]
            if not any(subject.search(ast.get_source_segment(text, s) or "") for s in sides):
                continue
            values = [v for s in sides for v in _strings(s)]
            if values and all(pattern.search(v) for v in values):
                segment = ast.get_source_segment(text, test) or ""
                end = test.col_offset + len(segment.splitlines()[0]) if segment else test.col_offset
                yield Hit(test.lineno, test.col_offset + 1, end + 1, ", ".join(values))


# -- workflows --------------------------------------------------------------------------
def _yaml_jobs(text: str) -> list[tuple[str, int, int]]:
    """(job id, first line, last line) per job, 1-based, from a round-trip YAML parse."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        data: Any = YAML(typ="rt").load(text)
    except (YAMLError, ValueError) as error:
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise _Unparseable(f"cannot parse as YAML ({first}); its CI rules were skipped") from None
    jobs: Any = data.get("jobs") if hasattr(data, "get") else None
    if jobs is None or not hasattr(jobs, "lc") or not hasattr(jobs, "items"):
        return []
    starts = sorted((jobs.lc.key(name)[0] + 1, str(name)) for name in jobs)
    total = text.count("\n") + 1
    return [
        (name, line, (starts[i + 1][0] - 1) if i + 1 < len(starts) else total)
        for i, (line, name) in enumerate(starts)
    ]


def _workflow_hits(rule: Rule, text: str, lines: list[str], context: ProjectContext) -> Iterator[Hit]:
    pattern, counterpart = _regex(rule.match.pattern), _regex(rule.match.counterpart)
    condition = rule.match.condition
    assert pattern is not None
    jobs = _yaml_jobs(text)
    first_job = min((start for _, start, _ in jobs), default=len(lines) + 1)
    preamble = "\n".join(lines[: first_job - 1])  # top-level env, on:, ...
    for name, start, end in jobs:
        body = "\n".join(lines[start - 1 : end])
        if not pattern.search(body) or (condition is not None and not condition.search(body)):
            continue
        if counterpart is not None and any(
            counterpart.search(part) for part in (body, preamble, context.cibuildwheel)
        ):
            continue
        column = len(lines[start - 1]) - len(lines[start - 1].lstrip()) + 1
        yield Hit(start, column, column + len(name), name)


# -- pyproject --------------------------------------------------------------------------
def _toml_hits(rule: Rule, text: str, lines: list[str]) -> Iterator[Hit]:
    try:
        data: Any = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise _Unparseable(f"cannot parse as TOML ({error}); its build rules were skipped") from None
    parts = rule.match.key.split(".")
    value = data
    for part in parts:
        if not isinstance(value, dict) or part not in value:
            return
        value = value[part]
    counterpart = _regex(rule.match.counterpart)
    shown = json.dumps(value)
    if counterpart is not None and counterpart.search(shown):
        return
    line = _toml_key_line(lines, parts)
    yield Hit(line, 1, len(lines[line - 1]) + 1 if 0 < line <= len(lines) else 1, shown)


def _toml_key_line(lines: list[str], parts: list[str]) -> int:
    """The line that sets ``parts`` (a.b.c): ``c = `` under ``[a.b]``, or a dotted key
    under a parent table; the table header, or line 1, when it cannot tell."""
    for split in range(len(parts) - 1, -1, -1):
        table, key = parts[:split], ".".join(parts[split:])
        header = (
            re.compile(r"^\s*\[\s*" + r"\s*\.\s*".join(map(re.escape, table)) + r"\s*\]\s*$")
            if table
            else None
        )
        inside = header is None
        for number, line in enumerate(lines, 1):
            if header is not None and header.match(line):
                inside = True
                continue
            if inside and re.match(r"^\s*\[", line):
                if header is None:
                    break
                inside = False
                continue
            if inside and re.match(r"^\s*" + re.escape(key).replace(r"\.", r"\s*\.\s*") + r"\s*=", line):
                return number
    return 1
