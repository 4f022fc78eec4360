"""What a scan hands on: :class:`ScanResult`, read by every report, ``fix``, ``status``
and the survey, and :func:`merge_results` for several inputs judged together.

It sits above the rules (a result carries the rules it was judged with, for SARIF's
descriptors and the verdict's categories), so the ground-floor vocabulary in
:mod:`analyzer.model` (findings, locations, severities) imports nothing of woaport's.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import TYPE_CHECKING

from analyzer.model import Difference, Finding, ScanWarning

if TYPE_CHECKING:  # the rules load lazily: ``woaport --version`` does not pay for them
    from analyzer.kinds.rule import Rule


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

    def restricted_to(self, files: set[str]) -> ScanResult:
        """This result about ``files`` alone (a finding in C generated from one of them
        counts)."""

        def wanted(f: Finding) -> bool:
            origin = f.generated_from.path if f.generated_from is not None else None
            return f.location.path in files or origin in files

        return replace(
            self,
            findings=tuple(f for f in self.findings if wanted(f)),
            not_compiled=tuple(f for f in self.not_compiled if wanted(f)),
            warnings=tuple(w for w in self.warnings if w.path in files),
        )


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
