"""Match kinds for build and CI files: setup.py (read with ``ast``), pyproject.toml,
CMake, meson, Cargo, GitHub Actions workflows and Fortran sources. Nothing is executed;
each kind yields :class:`analyzer.buildmodel.parse.Hit` places in one file's view."""

from __future__ import annotations

import ast
import fnmatch
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from analyzer.buildmodel.parse import (
    BuildFileView,
    Hit,
    Unparseable,
    branch_body,
    toml_key_line,
)
from analyzer.buildmodel.textual import guarded_lines
from analyzer.kinds.base import MatchKind, register, spec
from analyzer.model import Language
from analyzer.targets import load_targets
from analyzer.wheeltags import windows_arm64_markers

if TYPE_CHECKING:
    from packaging.markers import Marker
    from packaging.specifiers import SpecifierSet
    from packaging.version import Version

BUILD_LANGUAGES = frozenset(lang for lang in Language if lang.is_build)


@dataclass(frozen=True)
class BuildKind(MatchKind):
    languages: ClassVar[frozenset[Language]] = BUILD_LANGUAGES

    def hits(self, view: BuildFileView) -> Iterator[Hit]:
        raise NotImplementedError


@register
@dataclass(frozen=True)
class TextMatch(BuildKind):
    """A per-line regex (``pattern``), not on lines matching ``exclude``, not in a
    CMake/meson ``if`` block whose condition matches ``condition`` (an x86 guard), only in
    files named like ``files`` (when given) and not like ``skip_files`` (case-insensitive
    globs), that match ``requires`` (when given) and never match ``counterpart``."""

    name: ClassVar[str] = "text"

    pattern: re.Pattern[str] = spec("text_regex", required=True)
    exclude: re.Pattern[str] | None = spec("text_regex")
    condition: re.Pattern[str] | None = spec("text_regex")
    counterpart: re.Pattern[str] | None = spec("text_regex")
    files: tuple[str, ...] = spec("strings", default=())
    # File names the rule is not about (``*x64*``: the x64 member of a per-architecture set).
    skip_files: tuple[str, ...] = spec("strings", default=())
    once: bool = spec("bool", default=False)  # only the first hit in a file (a fact about it)
    # CMake/meson: only a hit on a line opening a branch whose body matches this (the
    # x86-only branch compiles SIMD sources or flags, not merely picks a library).
    body: re.Pattern[str] | None = spec("text_regex")
    requires: re.Pattern[str] | None = spec("text_regex")  # the file must match it (e.g. Windows)

    def applies_to(self, rel: str) -> bool:
        name = rel.rsplit("/", 1)[-1]
        if any(fnmatch.fnmatchcase(name.lower(), p.lower()) for p in self.skip_files):
            return False
        return not self.files or any(fnmatch.fnmatchcase(name, p) for p in self.files)

    def hits(self, view: BuildFileView) -> Iterator[Hit]:
        if self.counterpart is not None and (
            self.counterpart.search(view.text) or self.counterpart.search(view.context.setup_text)
        ):
            return
        if self.requires is not None and not self.requires.search(view.text):
            return
        # CMake and meson files the build model read: a line runs only on the models its
        # statement ran on.
        blocks = view.language in (Language.CMAKE, Language.MESON)
        commands = view.context.command_lines.get(view.rel) if blocks else None
        # setup.py and its modules: a line in an if-branch the model never takes.
        dead = view.context.dead_branches.get(view.rel) if view.language is Language.SETUP_PY else None
        guarded: set[int] = set()
        # The text's own guess at x86-only blocks, only where the model did not evaluate
        # every block of the file on every model.
        if self.condition is not None and blocks and not (commands is not None and commands.read_in_full):
            guarded = guarded_lines(view.lines, view.language, self.condition)
        for number, line in enumerate(view.lines, 1):
            if number in guarded or (self.exclude is not None and self.exclude.search(line)):
                continue
            matches = list(self.pattern.finditer(line))
            if not matches:  # the cheap test first: the block and run checks cost more
                continue
            if self.body is not None and view.language in (Language.CMAKE, Language.MESON):
                lines = branch_body(view.lines, view.language, number)
                if lines is None or not self.body.search("\n".join(lines)):
                    continue
            ran = commands.ran_on(number) if commands is not None else None
            if dead is not None and (dead_on := dead.dead_on(number)):
                ran = tuple((m, 0 if m in dead_on else 1) for m in load_targets().names)
            if ran is not None and all(value == 0 for _, value in ran):
                continue  # the build model read this file: this line runs on no model
            for m in matches:
                yield Hit(number, m.start() + 1, m.end() + 1, m.group(), ran)
                if self.once:
                    return


def _guarded_nodes(view: BuildFileView, guard: re.Pattern[str] | None) -> set[int]:
    """ids of nodes in the body of an if / conditional expression whose test matches
    ``guard`` and is not negated (the x86-only side of an architecture test)."""
    guarded: set[int] = set()
    if guard is None:
        return guarded
    for node in view.python_conditionals:
        if not guard.search(view.segment(node.test)):
            continue
        negated = isinstance(node.test, ast.UnaryOp) and isinstance(node.test.op, ast.Not)
        negated |= isinstance(node.test, ast.Compare) and any(
            isinstance(op, ast.NotEq | ast.NotIn) for op in node.test.ops
        )
        body = node.body if isinstance(node, ast.If) else [node.body]
        orelse = node.orelse if isinstance(node, ast.If) else [node.orelse]
        for part in orelse if negated else body:
            guarded.update(id(n) for n in ast.walk(part))
    return guarded


@register
@dataclass(frozen=True)
class PyStringMatch(BuildKind):
    """A string literal in setup.py matching ``pattern`` that is not inside an
    ``if``/conditional expression whose test matches ``condition``, nor a value a
    comparison tests against."""

    name: ClassVar[str] = "py_string"
    languages: ClassVar[frozenset[Language]] = frozenset({Language.SETUP_PY})

    pattern: re.Pattern[str] = spec("text_regex", required=True)
    condition: re.Pattern[str] | None = spec("text_regex")

    def applies_to(self, rel: str) -> bool:
        # setup.py itself: its helper modules (probe functions, build hooks) are judged on
        # the values the build computes (plan_event), not on spellings out of context.
        return rel.rsplit("/", 1)[-1] == "setup.py"

    def hits(self, view: BuildFileView) -> Iterator[Hit]:
        guarded = _guarded_nodes(view, self.condition)
        compared = view.python_compared  # values a test is made against, not build values
        for node in view.python_strings:
            if id(node) not in guarded and id(node) not in compared:
                assert isinstance(node.value, str)
                m = self.pattern.search(node.value)
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


@register
@dataclass(frozen=True)
class PyCompareMatch(BuildKind):
    """A positive test (``==``, ``in``) of an ``if`` or conditional expression that has
    an else branch, one side matching ``subject`` (``platform.machine()``) and every
    string constant matching ``pattern`` (x64 spellings), in a file that never matches
    ``counterpart``: the else branch is where ARM64 lands. A test without else only adds
    x86-specific things on x86, which is right."""

    name: ClassVar[str] = "py_compare"
    languages: ClassVar[frozenset[Language]] = frozenset({Language.SETUP_PY})

    subject: re.Pattern[str] = spec("text_regex", required=True)
    pattern: re.Pattern[str] = spec("text_regex", required=True)
    counterpart: re.Pattern[str] | None = spec("text_regex")

    def applies_to(self, rel: str) -> bool:
        # setup.py itself: its helper modules (probe functions, build hooks) are judged on
        # the values the build computes (plan_event), not on spellings out of context.
        return rel.rsplit("/", 1)[-1] == "setup.py"

    def hits(self, view: BuildFileView) -> Iterator[Hit]:
        if self.counterpart is not None and self.counterpart.search(view.text):
            return
        for node in view.python_conditionals:
            if _trivial(node.orelse):
                continue
            tests = node.test.values if isinstance(node.test, ast.BoolOp) else [node.test]
            for test in tests:
                if not isinstance(test, ast.Compare) or not all(
                    isinstance(op, ast.Eq | ast.In) for op in test.ops
                ):
                    continue
                sides = [test.left, *test.comparators]
                if not any(self.subject.search(view.segment(s)) for s in sides):
                    continue
                values = [v for s in sides for v in _strings(s)]
                if values and all(self.pattern.search(v) for v in values):
                    segment = view.segment(test)
                    end = test.col_offset + len(segment.splitlines()[0]) if segment else test.col_offset
                    yield Hit(test.lineno, test.col_offset + 1, end + 1, ", ".join(values))


@register
@dataclass(frozen=True)
class TomlValueMatch(BuildKind):
    """The value at ``key`` (dotted) in pyproject.toml, when it does not match
    ``counterpart``."""

    name: ClassVar[str] = "toml_value"
    languages: ClassVar[frozenset[Language]] = frozenset({Language.PYPROJECT})

    key: str = spec("string", required=True)
    counterpart: re.Pattern[str] | None = spec("text_regex")

    def hits(self, view: BuildFileView) -> Iterator[Hit]:
        parts = self.key.split(".")
        value: object = view.toml
        for part in parts:
            if not isinstance(value, dict) or part not in value:
                return
            value = value[part]
        shown = json.dumps(value)
        if self.counterpart is not None and self.counterpart.search(shown):
            return
        line = toml_key_line(view.lines, parts)
        yield Hit(line, 1, len(view.lines[line - 1]) + 1 if 0 < line <= len(view.lines) else 1, shown)


def _deciding_line(view: BuildFileView, shown: str) -> int | None:
    """Where a computed value was decided: the line of the one string literal of this
    setup.py that is the value's last word (``"x64"`` in ``arch = "x64" if sys.maxsize >
    2**32 else "Win32"`` for ``-A x64``), not the call that used it. None when the word is
    written nowhere or in several places (the event's own line is then said)."""
    if view.language is not Language.SETUP_PY:
        return None
    try:
        strings = view.python_strings
    except Unparseable:
        return None
    for word in reversed(shown.split()):
        lines = {node.lineno for node in strings if node.value == word}
        if len(lines) == 1:
            return lines.pop()
        if lines:
            return None
    return None


@register
@dataclass(frozen=True)
class PlanEventMatch(BuildKind):
    """What the static build model saw the build do in this file, on the models where it
    does it: an ``event`` (``value``: a command line or an extension's flags as each
    model computes them; ``stops``; ``no-extension``) whose text matches ``pattern``.
    Judged on values, not spellings: ``["-A", arch]`` where ``arch`` is ``"x64"`` on
    ARM64 matches, and a ladder that picks ``ARM64`` there does not."""

    name: ClassVar[str] = "plan_event"
    languages: ClassVar[frozenset[Language]] = frozenset(
        {Language.SETUP_PY, Language.CMAKE, Language.MESON, Language.PYPROJECT}
    )

    event: str = spec("string", required=True)
    pattern: re.Pattern[str] | None = spec("text_regex")
    # A spelling rule's pattern: a value that is also spelled out in the file is that
    # rule's finding, not this one's (no two findings for one problem).
    literal: re.Pattern[str] | None = spec("text_regex")

    def hits(self, view: BuildFileView) -> Iterator[Hit]:
        for event in view.context.plan_events:
            if event.kind != self.event or event.build_file != view.rel:
                continue
            match = self.pattern.search(event.text) if self.pattern is not None else None
            if self.pattern is not None and match is None:
                continue
            if (
                self.literal is not None
                and self.literal.search(event.text)
                and self.literal.search(view.text)
            ):
                continue
            shown = match.group().strip() if match is not None else event.text
            at = _deciding_line(view, shown) or event.line
            line = view.lines[at - 1] if 0 < at <= len(view.lines) else ""
            column = len(line) - len(line.lstrip()) + 1
            yield Hit(at, column, len(line) + 1, shown, event.models)


@register
@dataclass(frozen=True)
class BuildRequirementMatch(BuildKind):
    """A ``[build-system] requires`` entry for ``package`` whose version specifiers admit
    no release at or above ``minimum`` (the first that can build for Windows ARM64): a
    pin such as ``setuptools<74`` or ``setuptools==69.5.1``."""

    name: ClassVar[str] = "build_requirement"
    languages: ClassVar[frozenset[Language]] = frozenset({Language.PYPROJECT})

    package: str = spec("string", required=True)
    minimum: str = spec("string", required=True)

    def hits(self, view: BuildFileView) -> Iterator[Hit]:
        system = view.toml.get("build-system")
        requires = system.get("requires") if isinstance(system, dict) else None
        if not isinstance(requires, list):
            return
        # packaging only here: most scans read no build requirements (start-up time).
        from packaging.requirements import InvalidRequirement, Requirement
        from packaging.utils import canonicalize_name
        from packaging.version import Version

        wanted = canonicalize_name(self.package)
        floor = Version(self.minimum)
        line = toml_key_line(view.lines, ["build-system", "requires"])
        for entry in requires:
            if not isinstance(entry, str):
                continue
            try:
                requirement = Requirement(entry)
            except InvalidRequirement:
                continue
            if canonicalize_name(requirement.name) != wanted or not requirement.specifier:
                continue
            if requirement.marker is not None and not _applies_on_windows_arm64(requirement.marker):
                continue  # e.g. a cap for PyPy only
            if _admits_at_least(requirement.specifier, floor):
                continue
            for number, text in enumerate(view.lines, 1):
                if entry in text:
                    line = number
                    break
            column = view.lines[line - 1].find(entry) + 1 if 0 < line <= len(view.lines) else 1
            yield Hit(line, max(column, 1), max(column, 1) + len(entry), entry)


# The Python versions CPython on Windows ARM64 is built for, for environment markers.
_PYTHONS = ("3.11", "3.12", "3.13", "3.14")


def _applies_on_windows_arm64(marker: Marker) -> bool:
    for version in _PYTHONS:
        try:
            if marker.evaluate(windows_arm64_markers(version)):
                return True
        except Exception:  # an undefined or malformed marker: judge it as applying
            return True
    return False


def _admits_at_least(specifier: SpecifierSet, floor: Version) -> bool:
    """Does the specifier set allow some release at or above ``floor``? Checked on the
    versions it names and just above them (a set admits a version range whose bounds are
    its own versions or none)."""
    from packaging.version import InvalidVersion, Version

    candidates = {floor, Version(f"{floor.major + 1000}")}
    for spec_item in specifier:
        try:
            named = Version(spec_item.version.replace("*", "0"))
        except InvalidVersion:
            continue
        candidates |= {
            named,
            Version(f"{named.major}.{named.minor}.{named.micro + 1}"),
            Version(f"{named.major + 1}"),
        }
    return any(v >= floor and specifier.contains(v, prereleases=True) for v in candidates)


@register
@dataclass(frozen=True)
class FileMatch(BuildKind):
    """Every file of the rule's languages; a fact about the project, reported once with
    the number of files (Fortran sources)."""

    name: ClassVar[str] = "file"
    one_per_tree: ClassVar[bool] = True

    def hits(self, view: BuildFileView) -> Iterator[Hit]:
        yield Hit(1, 1, 1, "")


@register
@dataclass(frozen=True)
class ProjectMatch(BuildKind):
    """The project's top-level build file (pyproject.toml, else setup.py), when the
    project has native sources and no CI job builds wheels (the computed CI model; the
    workflows' text against ``pattern`` when the file is judged on its own)."""

    name: ClassVar[str] = "project"
    languages: ClassVar[frozenset[Language]] = frozenset({Language.PYPROJECT, Language.SETUP_PY})

    pattern: re.Pattern[str] = spec("text_regex", required=True)

    def hits(self, view: BuildFileView) -> Iterator[Hit]:
        context = view.context
        if not (context.is_project_root and context.native_sources):
            return
        if context.ci is not None:
            # The computed CI: no job of any service builds wheels (a job whose matrix is
            # computed at run time might: not said).
            if any(j.builds_wheels or j.unknown_matrix for j in context.ci.jobs):
                return
        elif self.pattern.search(context.ci_text):
            return
        yield Hit(1, 1, 1, f"{context.native_sources} native source file(s)")
