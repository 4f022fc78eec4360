"""What a CI configuration builds, as computed (not grepped): jobs, their matrix cells,
the runner each cell runs on, the build tool it runs and the wheel tags it yields.

Every value is frozen. ``None`` means "cannot be known statically" (an expression that
reads a secret, another job's output, a value from outside the tree): it is never
guessed, and rules treat it as unknown rather than as absent.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# A wheel's platform tags this model distinguishes (named on the ground floor).
from analyzer.wheeltags import WIN32 as WIN32
from analyzer.wheeltags import WIN_AMD64 as WIN_AMD64
from analyzer.wheeltags import WIN_ARM64 as WIN_ARM64


@dataclass(frozen=True)
class Runner:
    """Where a cell runs: the label as written and what it means."""

    label: str  # "windows-11-arm", "ubuntu-latest", "self-hosted,windows,ARM64", "?"
    os: str | None  # "windows" | "linux" | "macos" | None (unknown)
    arch: str | None  # "x64" | "arm64" | "x86" | None

    @property
    def is_windows(self) -> bool:
        return self.os == "windows"


@dataclass(frozen=True)
class Step:
    """One step of a job, with the environment it sees (workflow, job and step ``env``,
    and what earlier steps wrote to ``$GITHUB_ENV``), expressions evaluated for its cell."""

    line: int  # 1-based line of the step in the workflow
    name: str
    uses: str = ""
    run: str = ""
    with_: tuple[tuple[str, str | None], ...] = ()
    env: tuple[tuple[str, str | None], ...] = ()

    def input(self, key: str) -> str | None:
        return dict(self.with_).get(key)


@dataclass(frozen=True)
class Build:
    """One wheel build a cell runs: the tool, the step, and the wheel tags it yields.

    ``tags``: identifiers such as ``cp312-win_arm64``; ``None`` when they cannot be
    computed (``unknown`` says why). ``fails``: the build (or a step before it) cannot
    succeed on this runner, with the reason (setup-python has no such Python for ARM64,
    cibuildwheel refuses the options)."""

    tool: str  # "cibuildwheel" | "maturin" | "build" (python -m build, pip wheel, ...)
    line: int
    tags: tuple[str, ...] | None
    unknown: str = ""
    fails: str = ""
    # cibuildwheel: the identifiers whose tests run (not skipped by test-skip) when a
    # test command is set; maturin: the target triple.
    tested: tuple[str, ...] = ()
    target: str = ""
    cross: bool = False  # built for an architecture other than the runner's
    decided_at: str = ""  # a script build: "path:line" of the line naming the architecture

    def platforms(self) -> frozenset[str]:
        """The wheel platform tags (``win_arm64``...) of the wheels it yields."""
        return frozenset(t.rsplit("-", 1)[-1] for t in self.tags or ())


@dataclass(frozen=True)
class Cell:
    """One matrix combination of a job (the only cell of a job without a matrix)."""

    values: tuple[tuple[str, str], ...]  # the matrix values, flattened ("os", "windows-latest")
    runner: Runner
    builds: tuple[Build, ...] = ()
    python_versions: tuple[str, ...] = ()  # what setup-python installs in this cell
    fails: str = ""  # the cell cannot get to its build step (and why)
    scripts: tuple[str, ...] = ()  # tree scripts its steps call (.bat, .ps1, .sh, .cmd)

    @property
    def label(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.values) or "(no matrix)"

    def platforms(self) -> frozenset[str]:
        if self.fails:
            return frozenset()
        return frozenset().union(*(b.platforms() for b in self.builds if not b.fails))


@dataclass(frozen=True)
class Job:
    """One job of one workflow (or pipeline), with all of its cells."""

    path: str  # the workflow file, relative to the tree root
    id: str
    line: int
    cells: tuple[Cell, ...]
    needs: tuple[str, ...] = ()
    publishes: bool = False  # a step uploads to a package index
    fail_fast: bool = True
    # The matrix could not be expanded (an expression reading another job's output):
    # the cells are unknown.
    unknown_matrix: str = ""
    calls: str = ""  # a reusable workflow this job runs (``uses:`` at job level)
    # Artifacts it downloads from another workflow's run: "*" (a run id known only when
    # it runs), or the workflow files or names it names.
    downloads_from: tuple[str, ...] = ()
    workflow_name: str = ""  # the workflow's ``name:``
    provider: str = "github"  # "github" | "semaphore" | "appveyor" | "kokoro"
    deciding: str = ""  # "path:line" of the script line that decides what it builds

    @property
    def key(self) -> str:
        return f"{self.path}#{self.id}"

    def builds(self) -> tuple[Build, ...]:
        return tuple(b for c in self.cells for b in c.builds)

    def platforms(self) -> frozenset[str]:
        """Wheel platforms the job yields when every cell runs (fail-fast aside)."""
        return frozenset().union(*(c.platforms() for c in self.cells))

    @property
    def cancelled(self) -> bool:
        """With ``fail-fast`` (GitHub's default), one cell that cannot succeed cancels
        the others."""
        return self.fail_fast and len(self.cells) > 1 and any(c.fails for c in self.cells)

    def delivered(self) -> frozenset[str]:
        """What the job really delivers: nothing when fail-fast cancels it."""
        return frozenset() if self.cancelled else self.platforms()

    def delivered_tags(self) -> frozenset[str]:
        if not self.delivered():
            return frozenset()
        return frozenset(
            t for c in self.cells if not c.fails for b in c.builds if not b.fails for t in b.tags or ()
        )

    @property
    def builds_wheels(self) -> bool:
        return any(c.builds for c in self.cells)


@dataclass(frozen=True)
class Problem:
    """A CI file woaport could not read as the service would (and why): its jobs are not
    in the model, and a fix leaves it alone."""

    path: str
    message: str
    line: int = 0


@dataclass(frozen=True)
class CiModel:
    """Every job of the project's own CI, and which of them are released."""

    jobs: tuple[Job, ...] = ()
    problems: tuple[Problem, ...] = ()
    released: frozenset[str] = field(default_factory=frozenset)  # keys of jobs a publish step waits for

    def job(self, path: str, job_id: str) -> Job | None:
        return next((j for j in self.jobs if j.path == path and j.id == job_id), None)

    def counted(self) -> tuple[Job, ...]:
        """The wheel jobs whose wheels reach users: per CI service, the released ones when
        that service publishes, else every job that builds wheels (uploaded by hand or
        by a promotion woaport does not see)."""
        wheel_jobs = [j for j in self.jobs if j.builds_wheels]
        publishing = {j.provider for j in self.jobs if j.publishes}
        return tuple(j for j in wheel_jobs if j.provider not in publishing or j.key in self.released)

    def ships_win_arm64(self) -> bool:
        return any(WIN_ARM64 in j.delivered() for j in self.counted())

    def ships_windows(self) -> bool:
        return any(j.delivered() & {WIN_AMD64, WIN32} for j in self.counted())

    def targets_windows(self) -> bool:
        """Some released job is meant to build Windows wheels (whether or not every cell
        of it can succeed)."""
        return any(j.platforms() & {WIN_AMD64, WIN32, WIN_ARM64} for j in self.counted())
