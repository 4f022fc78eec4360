"""Match kinds for build and CI files: setup.py (read with ``ast``), pyproject.toml,
CMake, meson, Cargo, GitHub Actions workflows and Fortran sources. Nothing is executed;
each kind yields :class:`analyzer.buildmodel.parse.Hit` places in one file's view."""

from __future__ import annotations

import ast
import fnmatch
import functools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

from packaging.markers import Marker, default_environment
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from analyzer.buildmodel.parse import BuildFileView, Hit, guarded_lines, job_matrix, toml_key_line
from analyzer.kinds.base import MatchKind, register, spec
from analyzer.model import Language

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
    files named like ``files`` (when given) that match ``requires`` (when given) and never
    match ``counterpart``."""

    name: ClassVar[str] = "text"

    pattern: re.Pattern[str] = spec("text_regex", required=True)
    exclude: re.Pattern[str] | None = spec("text_regex")
    condition: re.Pattern[str] | None = spec("text_regex")
    counterpart: re.Pattern[str] | None = spec("text_regex")
    files: tuple[str, ...] = spec("strings", default=())
    once: bool = spec("bool", default=False)  # only the first hit in a file (a fact about it)
    requires: re.Pattern[str] | None = spec("text_regex")  # the file must match it (e.g. Windows)

    def applies_to(self, rel: str) -> bool:
        name = rel.rsplit("/", 1)[-1]
        return not self.files or any(fnmatch.fnmatchcase(name, p) for p in self.files)

    def hits(self, view: BuildFileView) -> Iterator[Hit]:
        if self.counterpart is not None and (
            self.counterpart.search(view.text) or self.counterpart.search(view.context.setup_text)
        ):
            return
        if self.requires is not None and not self.requires.search(view.text):
            return
        guarded: set[int] = set()
        if self.condition is not None and view.language in (Language.CMAKE, Language.MESON):
            guarded = guarded_lines(view.lines, view.language, self.condition)
        for number, line in enumerate(view.lines, 1):
            if number in guarded or (self.exclude is not None and self.exclude.search(line)):
                continue
            for m in self.pattern.finditer(line):
                yield Hit(number, m.start() + 1, m.end() + 1, m.group())
                if self.once:
                    return


def _guarded_nodes(view: BuildFileView, guard: re.Pattern[str] | None) -> set[int]:
    """ids of nodes in the body of an if / conditional expression whose test matches
    ``guard`` and is not negated (the x86-only side of an architecture test)."""
    guarded: set[int] = set()
    if guard is None:
        return guarded
    for node in ast.walk(view.python):
        if isinstance(node, ast.If | ast.IfExp):
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
        tree = view.python
        guarded = _guarded_nodes(view, self.condition)
        # Strings a comparison tests against ("AMD64" in machine == "AMD64") are not
        # values the build uses.
        for node in ast.walk(tree):
            if isinstance(node, ast.Compare):
                for side in (node.left, *node.comparators):
                    guarded.update(id(n) for n in ast.walk(side))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in guarded:
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
        for node in ast.walk(view.python):
            if not isinstance(node, ast.If | ast.IfExp) or _trivial(node.orelse):
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
class WorkflowJobMatch(BuildKind):
    """A workflow job matching ``pattern`` and ``condition`` (it builds wheels, on
    Windows) whose text, with the workflow's top-level env and the project's cibuildwheel
    configuration, never matches ``counterpart``."""

    name: ClassVar[str] = "workflow_job"
    languages: ClassVar[frozenset[Language]] = frozenset({Language.WORKFLOW})

    pattern: re.Pattern[str] = spec("text_regex", required=True)
    condition: re.Pattern[str] | None = spec("text_regex")
    counterpart: re.Pattern[str] | None = spec("text_regex")

    def hits(self, view: BuildFileView) -> Iterator[Hit]:
        lines = view.lines
        preamble = view.workflow_preamble
        for name, start, body in view.job_texts:
            if not self.pattern.search(body) or (
                self.condition is not None and not self.condition.search(body)
            ):
                continue
            if self.counterpart is not None and any(
                self.counterpart.search(part)
                for part in (windows_view(body), preamble, view.context.cibuildwheel)
            ):
                continue
            column = len(lines[start - 1]) - len(lines[start - 1].lstrip()) + 1
            yield Hit(start, column, column + len(name), name)


_ROW_OS = re.compile(
    r"""(?ix)(?:^|[\s{,-])(?:os|runner|runs-on|platform|image|vm-?image|host)[\w-]*\s*:\s*["']?([^\s,}"'#]+)"""
)
_YAML_COMMENT = re.compile(r"(?:^|\s)#.*$")
_NOT_WINDOWS = re.compile(r"(?i)ubuntu|linux|macos|mac-|darwin|osx|alpine|manylinux|musllinux")


@functools.lru_cache(maxsize=256)  # each workflow rule asks for the same jobs' views
def windows_view(body: str) -> str:
    """A job's text as far as Windows is concerned (pure): matrix rows (the mappings of a
    block list: ``include:``, or a list such as maturin's ``platform:``) whose OS is not
    Windows (``- os: macos-14`` with ``arch: arm64``, ``- runner: ubuntu-latest`` with
    ``target: aarch64``) and every ``exclude:`` row are left out, so what they say about
    ARM64 does not count as a Windows ARM64 build; nor do comments."""
    # Comments are not configuration ("# aarch64 on Linux only" says nothing is built).
    lines = [_YAML_COMMENT.sub("", line) for line in body.split("\n")]
    keep = [True] * len(lines)
    index = 0
    while index < len(lines):
        key = re.match(r"^(\s*)([\w-]+)\s*:\s*(?:#.*)?$", lines[index])
        index += 1
        if key is None:
            continue
        rows, index_after = _block_rows(lines, index, len(key.group(1)))
        for row in rows:
            text = "\n".join(lines[i] for i in row)
            found = _ROW_OS.search(text)
            if key.group(2) == "exclude" or (found is not None and _NOT_WINDOWS.search(found.group(1))):
                for i in row:
                    keep[i] = False
        index = max(index, index_after) if rows else index
    return "\n".join(line for line, kept in zip(lines, keep, strict=True) if kept)


def _block_rows(lines: list[str], start: int, outer: int) -> tuple[list[list[int]], int]:
    """The items of the block list of mappings starting at ``start`` under a key indented
    ``outer`` (each item: the indexes of its lines), and where the list ends. No rows when
    what follows is not such a list (a mapping, a list of plain values)."""
    rows: list[list[int]] = []
    index = start
    while index < len(lines):
        line = lines[index]
        stripped = line.strip()
        depth = len(line) - len(line.lstrip())
        if not stripped or stripped.startswith("#"):
            if rows and stripped:
                rows[-1].append(index)  # a comment in a row goes (and is dropped) with it
            index += 1
            continue
        if stripped.startswith("- "):
            if depth < outer or ":" not in stripped:
                break
            rows.append([index])
        elif depth <= outer or not rows:
            break
        else:
            rows[-1].append(index)
        index += 1
    return rows, index


_PUBLISH = re.compile(
    r"(?i)gh-action-pypi-publish|\btwine\s+upload\b|\bmaturin\s+(?:publish|upload)\b|\buv\s+publish\b"
)
_WINDOWS_ARM = re.compile(
    r"(?i)windows-11-arm|windows-\S*arm64|CIBW_ARCHS(?:_WINDOWS)?[\"']?\s*:[^\n]*\bARM64\b|aarch64-pc-windows-msvc"
)
_CROSS_ARCHS = re.compile(r"(?im)^[^#\n]*CIBW_ARCHS(?:_WINDOWS)?[\"']?\s*:[^\n#]*\bARM64\b")
_TEST_COMMAND = re.compile(r"(?im)^[^#\n]*(?:CIBW_TEST_COMMAND(?:_WINDOWS)?[\"']?\s*:|^\s*test-command\s*=)")
_TEST_SKIPS_ARM = re.compile(r"(?im)^[^#\n]*(?:CIBW_TEST_SKIP[\"']?\s*:|test-skip\s*=)[^\n]*win_arm64")
_ARM_RUNNER = re.compile(r"(?i)\bwindows-11-arm\b")
_OLD_PYTHON = re.compile(r"^\s*[\"']?3\.(\d+)")


def _needs(job: Any) -> list[str]:
    value = job.get("needs") if hasattr(job, "get") else None
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value] if isinstance(value, list) else []


def _needed(jobs: Any, name: str) -> set[str]:
    """Every job ``name`` waits for, directly or through others."""
    seen: set[str] = set()
    stack = _needs(jobs.get(name))
    while stack:
        current = stack.pop()
        if current not in seen:
            seen.add(current)
            stack.extend(_needs(jobs.get(current)) if current in jobs else [])
    return seen


@register
@dataclass(frozen=True)
class ReleasePathMatch(BuildKind):
    """The whole release path of a workflow, one ``check`` per rule:
    ``publish-needs``: a job that publishes to the index (pypi-publish, twine upload...)
    while a job building Windows ARM64 wheels is not among the jobs it waits for, so
    those wheels are never published;
    ``cross-test-skip``: cibuildwheel cross-compiling ARM64 on an x64 Windows runner
    with a test command and no ``*-win_arm64`` in its test skip (the tests cannot run);
    ``arm-runner-python``: setup-python asked for a Python before 3.11 in a job on the
    windows-11-arm runner (there is no ARM64 build of it: the step fails)."""

    name: ClassVar[str] = "release_path"
    languages: ClassVar[frozenset[Language]] = frozenset({Language.WORKFLOW})

    check: str = spec("string", required=True)

    def hits(self, view: BuildFileView) -> Iterator[Hit]:
        spans = view.yaml_jobs
        data: Any = view.yaml
        jobs: Any = data.get("jobs") if hasattr(data, "get") else None
        if not spans or jobs is None:
            return
        lines = view.lines
        bodies = {name: windows_view(text) for name, _, text in view.job_texts}
        where = {name: start for name, start, _ in spans}
        preamble = view.workflow_preamble
        if self.check == "publish-needs":
            yield from self._publish_needs(jobs, bodies, where, lines)
        elif self.check == "cross-test-skip":
            settings = preamble + "\n" + view.context.cibuildwheel
            for name, body in bodies.items():
                if (
                    _CROSS_ARCHS.search(body)
                    and not _ARM_RUNNER.search(body)
                    and (_TEST_COMMAND.search(body) or _TEST_COMMAND.search(settings))
                    and not (_TEST_SKIPS_ARM.search(body) or _TEST_SKIPS_ARM.search(settings))
                ):
                    yield _job_hit(lines, where[name], name)
        elif self.check == "arm-runner-python":
            for name, body in bodies.items():
                if _ARM_RUNNER.search(body):
                    yield from self._old_pythons(jobs.get(name), name, lines, where[name])

    @staticmethod
    def _publish_needs(
        jobs: Any, bodies: dict[str, str], where: dict[str, int], lines: list[str]
    ) -> Iterator[Hit]:
        builders = [
            n for n, body in bodies.items() if _WINDOWS_ARM.search(body) and not _PUBLISH.search(body)
        ]
        for name, body in bodies.items():
            if not _PUBLISH.search(body) or not builders:
                continue
            missing = [b for b in builders if b != name and b not in _needed(jobs, name)]
            if missing:
                yield _job_hit(lines, where[name], f"{name}' does not wait for '{missing[0]}")

    @staticmethod
    def _old_pythons(job: Any, name: str, lines: list[str], start: int) -> Iterator[Hit]:
        matrix = job_matrix(job)
        for step in (job.get("steps") if hasattr(job, "get") else None) or []:
            if not hasattr(step, "get") or "setup-python" not in str(step.get("uses", "")):
                continue
            asked = str((step.get("with") or {}).get("python-version", ""))
            values: list[str] = [asked]
            ref = re.search(r"matrix\.([\w-]+)", asked)
            if ref is not None and matrix is not None:
                listed = matrix.get(ref.group(1))
                values = [str(v) for v in listed] if isinstance(listed, list) else []
            old = [v for v in values if (m := _OLD_PYTHON.match(v)) is not None and int(m.group(1)) < 11]
            if old:
                yield _job_hit(lines, start, f"{name}' asks for Python {old[0]}")
                return


def _job_hit(lines: list[str], line: int, match: str) -> Hit:
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    column = len(text) - len(text.lstrip()) + 1
    return Hit(line, column, column + len(text.strip().split(":")[0]), match)


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
            line = view.lines[event.line - 1] if 0 < event.line <= len(view.lines) else ""
            column = len(line) - len(line.lstrip()) + 1
            shown = match.group().strip() if match is not None else event.text
            yield Hit(event.line, column, len(line) + 1, shown, event.models)


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


# CPython on Windows ARM64, for environment markers; the Python versions it is built for.
_WINDOWS_ARM64 = {
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
    "sys_platform": "win32",
    "platform_system": "Windows",
    "os_name": "nt",
    "platform_machine": "ARM64",
}
_PYTHONS = ("3.11", "3.12", "3.13", "3.14")


def _applies_on_windows_arm64(marker: Marker) -> bool:
    for version in _PYTHONS:
        environment: dict[str, str] = {str(k): str(v) for k, v in default_environment().items()}
        environment.update(_WINDOWS_ARM64, python_version=version, python_full_version=f"{version}.0")
        try:
            if marker.evaluate(environment):
                return True
        except Exception:  # an undefined or malformed marker: judge it as applying
            return True
    return False


def _admits_at_least(specifier: SpecifierSet, floor: Version) -> bool:
    """Does the specifier set allow some release at or above ``floor``? Checked on the
    versions it names and just above them (a set admits a version range whose bounds are
    its own versions or none)."""
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
    project has native sources and no workflow matches ``pattern`` (no wheel-building CI
    at all)."""

    name: ClassVar[str] = "project"
    languages: ClassVar[frozenset[Language]] = frozenset({Language.PYPROJECT, Language.SETUP_PY})

    pattern: re.Pattern[str] = spec("text_regex", required=True)

    def hits(self, view: BuildFileView) -> Iterator[Hit]:
        context = view.context
        if context.is_project_root and context.native_sources and not self.pattern.search(context.ci_text):
            yield Hit(1, 1, 1, f"{context.native_sources} native source file(s)")
