"""The result types every stage shares: frozen, comparable, serialisable."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from analyzer.rules import Rule


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


@dataclass(frozen=True)
class ScanResult:
    """Everything a scan found: what every report, ``fix`` and ``status`` read."""

    root: str
    findings: tuple[Finding, ...]
    warnings: tuple[ScanWarning, ...]
    files_scanned: int
    bytes_scanned: int
    skipped: dict[str, int] = field(default_factory=dict)
    targets: tuple[str, ...] = ()
    rules: tuple[Rule, ...] = ()
    # Precise mode only: where fast and precise mode disagree, and how many units each
    # answered for.
    differences: tuple[Difference, ...] = ()
    precise_units: int = 0
    precise_fallbacks: int = 0
    precise_cached: int = 0
    # With --all-code: findings in files that no translation unit compiles on any selected
    # model (not ARM64 findings; listed apart). Without it, only counted in ``skipped``.
    not_compiled: tuple[Finding, ...] = ()
    # For the verdict: the build systems the build model read, how many CI files were
    # scanned, and the libraries linked on Windows ARM64 that the tree does not build.
    build_systems: tuple[str, ...] = ()
    ci_files: int = 0
    external_libraries: tuple[str, ...] = ()
    # The project's URLs from its PKG-INFO / pyproject.toml (label, URL): where its
    # repository, and so its CI configuration, can be found.
    project_urls: tuple[tuple[str, str], ...] = ()
    # Git submodules named in .gitmodules whose directory is missing or empty: not scanned.
    missing_submodules: tuple[str, ...] = ()
    # Native dependencies the build looks for outside the tree: (name, route, "path:line").
    dependencies: tuple[tuple[str, str, str], ...] = ()
    # The folders (from the report base) the scanned trees' paths were moved under, so
    # that "the tree's own .github/" can still be told after the move.
    path_prefixes: tuple[str, ...] = ()
    # The scanned tree is a git work tree's root: its CI is the repository's, not an sdist's.
    in_repository: bool = False
    # The scanned tree is a folder inside a git work tree, not its root: its CI is at the
    # repository's root, not missing from an sdist.
    in_repository_folder: bool = False
    # A release from the index: the Pythons its win_arm64 wheels already cover ("cp312").
    released_win_arm64: tuple[str, ...] = ()


# How ScanResult.merge combines a field of several scans; every other field is handled
# by its type (ints add, dicts of counts add, tuples concatenate keeping order).
_MERGE_FIRST = frozenset({"targets", "rules"})  # the same options for every input
_MERGE_UNIQUE = frozenset(
    {"build_systems", "external_libraries", "project_urls", "missing_submodules", "dependencies"}
)


def merge_results(results: list[ScanResult]) -> ScanResult:
    """Several scans judged together (``woaport scan A B``): written over the dataclass
    fields, so a field added to :class:`ScanResult` is merged too (a test checks that
    each survives)."""
    values: dict[str, object] = {}
    for f in fields(ScanResult):
        parts = [getattr(r, f.name) for r in results]
        if f.name in _MERGE_FIRST:
            values[f.name] = parts[0]
        elif isinstance(parts[0], str):
            values[f.name] = ",".join(parts)
        elif isinstance(parts[0], bool):
            values[f.name] = any(parts)
        elif isinstance(parts[0], int):
            values[f.name] = sum(parts)
        elif isinstance(parts[0], dict):
            counts: dict[str, int] = {}
            for part in parts:
                for key, n in part.items():
                    counts[key] = counts.get(key, 0) + n
            values[f.name] = counts
        elif isinstance(parts[0], tuple):
            joined = tuple(item for part in parts for item in part)
            values[f.name] = tuple(dict.fromkeys(joined)) if f.name in _MERGE_UNIQUE else joined
        else:  # pragma: no cover - a new kind of field must say how it merges
            raise TypeError(f"ScanResult.{f.name}: no merge rule for {type(parts[0]).__name__}")
    return ScanResult(**values)  # type: ignore[arg-type]
