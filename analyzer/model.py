"""The result types every stage shares: frozen, comparable, serialisable."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

# The areas a verdict is given for, in the order a report lists them.
CATEGORIES = ("code", "build", "ci", "dependencies")


class Severity(enum.Enum):
    """How badly a finding bites on Windows on Arm (ordered: ``note`` < ``error``)."""

    NOTE = "note"
    PERF = "perf"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return _SEVERITY_ORDER.index(self)

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls(text.strip().lower())
        except ValueError:
            choices = ", ".join(s.value for s in cls)
            raise ValueError(f"unknown severity {text!r} (choose from {choices})") from None


_SEVERITY_ORDER = [Severity.NOTE, Severity.PERF, Severity.WARNING, Severity.ERROR]


class Confidence(enum.Enum):
    """``high``: the guard model proved the code is compiled on a target model.
    ``low``: reachability depends on macros the tree does not define (build flags)."""

    HIGH = "high"
    LOW = "low"


class Language(enum.Enum):
    C = "c"
    CPP = "cpp"
    RUST = "rust"
    # Build and CI files, read as text or parsed without running anything.
    SETUP_PY = "setup-py"
    PYPROJECT = "pyproject"
    CMAKE = "cmake"
    MESON = "meson"
    CARGO = "cargo"  # Cargo.toml and build.rs
    WORKFLOW = "workflow"  # GitHub Actions workflows
    CI_CONFIG = "ci-config"  # other CI services: Azure Pipelines, AppVeyor, GitLab, ...
    FORTRAN = "fortran"
    SCRIPT = "script"  # build scripts: .bat, .cmd, .ps1, .sh
    MSBUILD = "msbuild"  # Visual Studio projects and solutions: .vcxproj, .sln, .props

    @property
    def is_build(self) -> bool:
        return self not in (Language.C, Language.CPP, Language.RUST)


class RuleFacts(Protocol):
    """What a finding takes from the rule that raised it. The full rule (with its match
    kind) is :class:`analyzer.kinds.rule.Rule`; building a finding needs only these, so
    :mod:`analyzer.findings` stays on the ground floor, below the kinds that call it."""

    @property
    def id(self) -> str: ...

    @property
    def severity(self) -> Severity: ...

    @property
    def models(self) -> tuple[str, ...]: ...

    @property
    def fallback(self) -> str | None: ...


@dataclass(frozen=True, order=True)
class Location:
    """A 1-based line/column span in a file, path relative to the scan root (POSIX)."""

    path: str
    line: int
    column: int = 1
    end_line: int = 0
    end_column: int = 0


@dataclass(frozen=True)
class Finding:
    rule_id: str
    severity: Severity
    confidence: Confidence
    location: Location
    message: str
    reachable_on: tuple[str, ...]
    fallback: str | None = None
    snippet: str = ""
    # Cython-generated C: where the generated line came from in the .pyx source.
    generated_from: Location | None = None
    # Where it sits, for grouping reports: the innermost guarded block ("#if defined(X)
    # (line 12)") or function ("function f") holding it; "" at file scope.
    place: str = ""
    # In a header the package installs for others to compile against, judged as a
    # consumer including it would see it: it stops them, not this package's own build.
    for_consumers: bool = False

    def sort_key(self) -> tuple[str, int, int, str]:
        loc = self.location
        return (loc.path, loc.line, loc.column, self.rule_id)


@dataclass(frozen=True)
class TargetModel:
    """One compiler configuration that builds for Windows on Arm."""

    name: str
    description: str
    defines: Mapping[str, str] = field(default_factory=dict)
    rust_cfg: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # How clang (libclang in precise mode, zig cc) is told to compile for this model.
    clang_args: tuple[str, ...] = ()


@dataclass(frozen=True)
class ScanWarning:
    """Something the scan skipped or could not read; the scan goes on."""

    path: str
    message: str
    # "unparseable": a build or CI file that could not be parsed, so its rules did not run
    # (``fix`` leaves it alone and says so); "" for everything else.
    kind: str = ""


@dataclass(frozen=True)
class Difference:
    """A finding one mode reports and the other does not (shown with ``--explain``)."""

    path: str
    line: int
    rule_id: str
    only_in: str  # "fast" or "precise"
    detail: str
