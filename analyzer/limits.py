"""Every resource limit woaport puts on what it reads, in one place, as data.

Inputs are hostile: a workflow can be megabytes of YAML, nest a thousand levels deep, or
multiply a matrix into millions of cells through anchors. Each limit here is the size
past which woaport stops reading and says so (a warning naming the limit), never the
size at which it crashes. Tests pass smaller values to exercise the refusals quickly.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from typing import TypeVar


@dataclass(frozen=True)
class CiLimits:
    """Reading CI configuration (analyzer/ci/)."""

    # Larger workflow files are not read (real ones are a few kB; 8 MB took minutes).
    max_file_bytes: int = 1024 * 1024
    # Workflow files read per project.
    max_files: int = 200
    # Nesting of mappings and lists in one workflow (real ones are under 12 deep).
    max_depth: int = 64
    # Nodes visited while walking one workflow: aliases can make a small file huge.
    max_nodes: int = 200_000
    # Matrix cells per job: GitHub itself refuses more than 256 per workflow run.
    max_cells: int = 256
    # Characters an expression may have (``${{ ... }}``) before it is left unknown.
    max_expression: int = 2_000
    # Scripts a job calls that are followed.
    max_scripts: int = 20
    # Bytes of one followed script; a larger one is not read.
    max_script_bytes: int = 256 * 1024


@dataclass(frozen=True)
class BuildLimits:
    """Interpreting build files (analyzer/buildmodel/): the setup.py evaluator, CMake and
    meson. Each bound is checked before a value is built, never after."""

    # Characters of one string or items of one list an operation may produce.
    max_value: int = 1_000_000
    # Characters one interpreter may build in all (CMake expansion, meson concatenation).
    max_work: int = 64_000_000
    # Iterations a CMake ``foreach(RANGE)`` or meson ``range()`` may make.
    max_range: int = 10_000
    # Nested local imports a setup.py may chain (setup.py -> a -> b -> ...).
    max_import_depth: int = 64


@dataclass(frozen=True)
class ChildLimits:
    """Child processes woaport starts on package input (zig cc, cython): they get their
    own time and address-space limits, so a preprocessor bomb ends as "limit reached"."""

    # Seconds for one compile, link or translation.
    command_seconds: float = 300.0
    # Address space of one child, in bytes (clang on real code stays under 1.5 GB).
    memory_bytes: int = 4 * 1024**3
    # Seconds for a whole ``prove`` run (every module and Python version).
    prove_seconds: float = 3600.0
    # Seconds for translating all of a tree's Cython sources (a DEF bomb per file adds up).
    cython_seconds: float = 900.0


@dataclass(frozen=True)
class SurveyLimits:
    """One project of ``woaport survey`` (download, scan, fix, prove) runs in a child
    process of its own with these limits: a bomb or a hang ends that project as
    "failed", never the survey."""

    # Seconds for one project, all stages together.
    project_seconds: float = 1800.0
    # Seconds of those for its proof: modules left are "not proven: limit reached", and the
    # project keeps its verdict and patch (a protobuf-sized tree takes longer, one core each).
    prove_seconds: float = 600.0
    # Address space of the project's process, in bytes (its compiler children get the
    # child limit on top of their own: this one is per process, not a sum).
    memory_bytes: int = 6 * 1024**3


_Limits = TypeVar("_Limits", CiLimits, BuildLimits, ChildLimits, SurveyLimits)
# The environment variable prefix of each group: WOAPORT_LIMIT_CHILD_MEMORY_BYTES=...
GROUPS: dict[str, type[CiLimits | BuildLimits | ChildLimits | SurveyLimits]] = {
    "CI": CiLimits,
    "BUILD": BuildLimits,
    "CHILD": ChildLimits,
    "SURVEY": SurveyLimits,
}


class LimitError(ValueError):
    """An override that is not a positive number."""


def overridden(defaults: _Limits, group: str, environ: dict[str, str] | None = None) -> _Limits:
    """``defaults`` with each ``WOAPORT_LIMIT_<GROUP>_<FIELD>`` the environment sets (a
    positive number) in place of the default: how a user raises a limit for one odd tree
    or a test lowers one to exercise the refusal."""
    environ = dict(os.environ) if environ is None else environ
    changes: dict[str, int | float] = {}
    for item in fields(defaults):
        name = f"WOAPORT_LIMIT_{group}_{item.name.upper()}"
        if name not in environ:
            continue
        kind = type(getattr(defaults, item.name))
        try:
            value = kind(float(environ[name])) if kind is int else float(environ[name])
        except ValueError:
            raise LimitError(f"{name}={environ[name]!r}: not a number") from None
        if value <= 0:
            raise LimitError(f"{name}={environ[name]!r}: must be positive")
        changes[item.name] = value
    return replace(defaults, **changes)  # type: ignore[arg-type]


def check_environment(environ: dict[str, str] | None = None) -> None:
    """Raise :class:`LimitError` for the first bad override (the CLI's usage error)."""
    overridden(CiLimits(), "CI", environ)
    overridden(BuildLimits(), "BUILD", environ)
    overridden(ChildLimits(), "CHILD", environ)
    overridden(SurveyLimits(), "SURVEY", environ)


def _from_environment(defaults: _Limits, group: str) -> _Limits:
    try:
        return overridden(defaults, group)
    except LimitError:  # the CLI reports it (check_environment); a library keeps defaults
        return defaults


CI_LIMITS = _from_environment(CiLimits(), "CI")
BUILD_LIMITS = _from_environment(BuildLimits(), "BUILD")
CHILD_LIMITS = _from_environment(ChildLimits(), "CHILD")
SURVEY_LIMITS = _from_environment(SurveyLimits(), "SURVEY")
