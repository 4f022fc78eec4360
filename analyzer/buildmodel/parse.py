"""Reading build files without running them: one view per file (text, lines, the Python
syntax tree, the YAML jobs), CMake/meson ``if`` blocks, TOML key lines."""

from __future__ import annotations

import ast
import json
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from analyzer.buildmodel.plan import CommandLines, DeadBranches, PlanEvent
from analyzer.filekinds import FILE_KIND
from analyzer.model import Language
from analyzer.safeload import toml_loads
from analyzer.tri import Value

if TYPE_CHECKING:  # the CI readers load only when CI is judged
    from analyzer.ci import CiModel


def _block_syntax(language: Language) -> re.Pattern[str]:
    block = FILE_KIND[language].block
    assert block is not None, language  # the file-kind table gives CMake and meson theirs
    return block


_CMAKE_BLOCK = _block_syntax(Language.CMAKE)
_MESON_BLOCK = _block_syntax(Language.MESON)


def block_syntax(language: Language) -> re.Pattern[str]:
    """The pattern of a CMake or meson block line (if/elseif/else/endif...)."""
    return _CMAKE_BLOCK if language is Language.CMAKE else _MESON_BLOCK


class Unparseable(Exception):
    """The file cannot be parsed as its format; the message says so for the user."""


@dataclass(frozen=True)
class ProjectContext:
    """What one build file's rules may need from the rest of the project."""

    cibuildwheel: str = ""  # pyproject's [tool.cibuildwheel] tables, as text
    ci_text: str = ""  # every workflow of the project, concatenated
    native_sources: int = 0  # C/C++/Rust files in the project
    is_project_root: bool = False  # this build file is the project's top-level one
    # What the static build model saw the build do, per model (analyzer/buildmodel/plan.py).
    plan_events: tuple[PlanEvent, ...] = ()
    # CMake files the build model read: which of their commands ran on which models.
    command_lines: Mapping[str, CommandLines] = field(default_factory=dict)
    # Python build files the build model evaluated: their if-branches never taken.
    dead_branches: Mapping[str, DeadBranches] = field(default_factory=dict)
    # setup.py and the modules it imports in the same directory, as one text: a
    # counterpart in any of them (SETUPTOOLS_EXT_SUFFIX handled in setup.py) counts.
    setup_text: str = ""
    # The project's CI as computed (analyzer/ci/), and the project's directory prefix in
    # the scanned tree (the model's paths are relative to the project).
    ci: CiModel | None = None
    ci_prefix: str = ""


def project_context(pyproject_text: str | None) -> ProjectContext:
    if not pyproject_text:
        return ProjectContext()
    try:
        data = toml_loads(pyproject_text)
    except tomllib.TOMLDecodeError:
        return ProjectContext()
    table = data.get("tool", {}).get("cibuildwheel")
    if not isinstance(table, dict):
        return ProjectContext()
    # What applies on Windows: the top level and [tool.cibuildwheel.windows], not the
    # macOS or Linux tables (their arm64 is not Windows on Arm).
    windows = {k: v for k, v in table.items() if k not in ("macos", "linux", "ios", "pyodide")}
    return ProjectContext(json.dumps(windows) if windows else "")


@dataclass(frozen=True)
class Hit:
    """A place a build kind matched: 1-based line, 1-based columns, the matched text."""

    line: int
    column: int
    end_column: int
    match: str
    # Per model, where the build does this (build-model events); None: the rule's models.
    models: tuple[tuple[str, Value], ...] | None = None


@dataclass
class BuildFileView:
    """One build or CI file as every rule sees it; each parse is done once, on demand."""

    rel: str
    language: Language
    text: str
    context: ProjectContext = field(default_factory=ProjectContext)

    @cached_property
    def lines(self) -> list[str]:
        return self.text.splitlines()

    @cached_property
    def python(self) -> ast.Module:
        try:
            return ast.parse(self.text)
        except (SyntaxError, ValueError) as error:
            raise Unparseable(f"cannot parse as Python ({error}); its build rules were skipped") from None

    # One walk of the tree serves every setup.py rule (each walked it again, up to three
    # times): the nodes in walk order, and the views rules ask of them.
    @cached_property
    def python_nodes(self) -> tuple[ast.AST, ...]:
        return tuple(ast.walk(self.python))

    @cached_property
    def python_conditionals(self) -> tuple[ast.If | ast.IfExp, ...]:
        return tuple(n for n in self.python_nodes if isinstance(n, ast.If | ast.IfExp))

    @cached_property
    def python_strings(self) -> tuple[ast.Constant, ...]:
        return tuple(n for n in self.python_nodes if isinstance(n, ast.Constant) and isinstance(n.value, str))

    @cached_property
    def python_compared(self) -> frozenset[int]:
        """ids of the nodes on either side of a comparison (``"AMD64"`` in ``machine ==
        "AMD64"``): values a test is made against, not values the build uses."""
        found: set[int] = set()
        for node in self.python_nodes:
            if isinstance(node, ast.Compare):
                for side in (node.left, *node.comparators):
                    found.update(id(n) for n in ast.walk(side))
        return frozenset(found)

    @cached_property
    def _utf8_lines(self) -> list[bytes]:
        return [line.encode("utf-8") for line in self.text.splitlines(keepends=True)]

    def segment(self, node: ast.AST) -> str:
        """The source text of ``node`` (what ``ast.get_source_segment`` returns, without
        re-splitting the file on every call: that cost most of a large tree's scan)."""
        start, end = getattr(node, "lineno", None), getattr(node, "end_lineno", None)
        first, last = getattr(node, "col_offset", None), getattr(node, "end_col_offset", None)
        if start is None or end is None or first is None or last is None:
            return ""
        lines = self._utf8_lines[start - 1 : end]
        if not lines:
            return ""
        if len(lines) == 1:
            return lines[0][first:last].decode("utf-8", "replace")
        parts = [lines[0][first:], *lines[1:-1], lines[-1][:last]]
        return b"".join(parts).decode("utf-8", "replace")

    @cached_property
    def toml(self) -> dict[str, Any]:
        try:
            return toml_loads(self.text)
        except tomllib.TOMLDecodeError as error:
            raise Unparseable(f"cannot parse as TOML ({error}); its build rules were skipped") from None

    @cached_property
    def yaml(self) -> Any:
        """The file parsed round-trip (ruamel.yaml keeps each node's line)."""
        from ruamel.yaml import YAML
        from ruamel.yaml.error import YAMLError

        try:
            return YAML(typ="rt").load(self.text)
        except (YAMLError, ValueError) as error:
            first = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise Unparseable(f"cannot parse as YAML ({first}); its CI rules were skipped") from None

    @cached_property
    def ci_model(self) -> tuple[CiModel, str]:
        """The project's computed CI model and the project's prefix in the tree; for a
        workflow judged on its own, the model of this one file, with only the
        cibuildwheel settings the context carries as its project's configuration."""
        if self.context.ci is not None:
            return self.context.ci, self.context.ci_prefix
        # The CI readers load when CI is judged, not for every scan (start-up).
        from analyzer.ci import CiModel

        if self.language is not Language.WORKFLOW:
            # Other services' jobs run scripts from the tree: judged with the tree only.
            return CiModel(), ""
        import tempfile

        import tomlkit

        from analyzer.ci import model_from_texts

        with tempfile.TemporaryDirectory(prefix="woaport-ci-") as scratch:
            if self.context.cibuildwheel:
                table = {"tool": {"cibuildwheel": json.loads(self.context.cibuildwheel)}}
                (Path(scratch) / "pyproject.toml").write_text(tomlkit.dumps(table), encoding="utf-8")
            prefix = self.rel.split(".github/workflows/", 1)[0] if ".github/workflows/" in self.rel else ""
            texts = {self.rel.removeprefix(prefix): self.text}
            return model_from_texts(Path(scratch), texts), prefix


def job_matrix(job: Any) -> Any:
    """A parsed workflow job's ``strategy.matrix`` mapping, or None."""
    strategy: Any = job.get("strategy") if hasattr(job, "get") else None
    matrix: Any = strategy.get("matrix") if hasattr(strategy, "get") else None
    return matrix if hasattr(matrix, "get") else None


def branch_body(lines: list[str], language: Language, number: int) -> list[str] | None:
    """The lines of the CMake/meson branch opened on 1-based line ``number`` (an ``if`` or
    ``elseif``/``elif``), up to its next ``elseif``/``else``/``endif`` at the same depth,
    nested blocks included; None when that line opens no branch."""
    block = _CMAKE_BLOCK if language is Language.CMAKE else _MESON_BLOCK
    opened = block.match(lines[number - 1]) if 0 < number <= len(lines) else None
    if opened is None or opened.group(1).lower() not in ("if", "elseif", "elif"):
        return None
    body: list[str] = []
    depth = 0
    for line in lines[number:]:
        m = block.match(line)
        keyword = m.group(1).lower() if m is not None else ""
        if keyword == "if":
            depth += 1
        elif keyword == "endif":
            if depth == 0:
                break
            depth -= 1
        elif keyword in ("elseif", "elif", "else") and depth == 0:
            break
        body.append(line)
    return body


def toml_key_line(lines: list[str], parts: list[str]) -> int:
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
