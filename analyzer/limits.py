"""Every resource limit woaport puts on what it reads, in one place, as data.

Inputs are hostile: a workflow can be megabytes of YAML, nest a thousand levels deep, or
multiply a matrix into millions of cells through anchors. Each limit here is the size
past which woaport stops reading and says so (a warning naming the limit), never the
size at which it crashes. Tests pass smaller values to exercise the refusals quickly.
"""

from __future__ import annotations

from dataclasses import dataclass


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
    # Scripts a job calls that are followed, and their size.
    max_scripts: int = 20
    max_script_bytes: int = 256 * 1024


CI_LIMITS = CiLimits()
