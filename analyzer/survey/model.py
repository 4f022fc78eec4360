"""What a survey records per project (frozen, JSON both ways: the results cross process
boundaries, Dask workers and the history database as plain dicts)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

# Blocker classes, easiest work first (the worklist's order within one reach).
CI_ONLY = "ci-only"  # code and build port cleanly; a CI job in the tree does not build ARM64
CI_ELSEWHERE = "ci-elsewhere"  # code and build port cleanly; the CI that builds wheels is not in the sdist
EXTERNAL_LIBRARY = "external-library"  # links libraries the sdist does not build
BUILD = "build"  # the build logic chooses x64 for ARM64
CODE = "code"  # x86-only code is compiled for ARM64 (or the proof failed to compile it)
UNKNOWN = "unknown"  # the scan cannot tell what blocks
BLOCKER_CLASSES = (CI_ONLY, CI_ELSEWHERE, EXTERNAL_LIBRARY, BUILD, CODE, UNKNOWN)

# What became of a project's task.
DONE = "done"
FAILED = "failed"  # a limit, a crash or an unreadable sdist: recorded, the survey goes on
ERROR = "error"  # the index could not be read (network): retried by the next run
SKIPPED = "skipped"  # not a port (native, pure, no sdist...): nothing to survey

PATCH_STATES = ("verified", "unverified", "withheld", "none")
PROOF_STATES = ("built", "failed", "not proven", "skipped")


@dataclass(frozen=True)
class Patch:
    state: str  # verified | unverified | withheld | none
    reason: str = ""  # what the recomputation said, or why there is no patch
    files: tuple[str, ...] = ()
    added: int = 0  # diff lines
    removed: int = 0
    text: str = ""  # the unified diff (``git apply`` in the project's checkout)

    @property
    def changed(self) -> int:
        return max(self.added, self.removed)


@dataclass(frozen=True)
class Proof:
    state: str  # built | failed | not proven | skipped
    reason: str = ""
    modules: int = 0
    built: int = 0
    python: str = ""


@dataclass(frozen=True)
class ProjectSurvey:
    name: str
    version: str
    outcome: str  # done | failed | error | skipped
    status: str = ""  # the status class (amber, regressed, source-only...)
    sdist: str = ""
    error: str = ""
    verdict: str = ""
    areas: tuple[tuple[str, str, tuple[str, ...]], ...] = ()  # (area, state, reasons)
    ci_files: int = 0
    # Where the CI read came from: "sdist", the repository (URL, tag, commit), a --ci-from
    # folder, "no CI: ..." (why none could be had) or "" (none looked for).
    ci_source: str = ""
    blocker: str = UNKNOWN
    blocker_reason: str = ""
    patch: Patch = field(default_factory=lambda: Patch("none"))
    proof: Proof = field(default_factory=lambda: Proof("skipped"))
    timings: tuple[tuple[str, float], ...] = ()  # (stage, seconds)
    peak_memory_mb: float = 0.0  # the task's process and its children, at their peak
    woaport: str = ""  # the woaport version that made it (a newer one surveys again)

    def area(self, name: str) -> str:
        return next((state for area, state, _ in self.areas if area == name), "unknown")

    def seconds(self) -> float:
        return round(sum(s for _, s in self.timings), 2)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["areas"] = [
            {"area": area, "state": state, "reasons": list(reasons)} for area, state, reasons in self.areas
        ]
        data["timings"] = dict(self.timings)
        data["patch"]["files"] = list(self.patch.files)
        return data

    @staticmethod
    def from_dict(data: dict[str, Any]) -> ProjectSurvey:
        patch = dict(data.get("patch") or {"state": "none"})
        patch["files"] = tuple(patch.get("files", ()))
        return ProjectSurvey(
            name=str(data["name"]),
            version=str(data.get("version") or ""),
            outcome=str(data["outcome"]),
            status=str(data.get("status", "")),
            sdist=str(data.get("sdist", "")),
            error=str(data.get("error", "")),
            verdict=str(data.get("verdict", "")),
            areas=tuple(
                (str(a["area"]), str(a["state"]), tuple(str(r) for r in a.get("reasons", ())))
                for a in data.get("areas", ())
            ),
            ci_files=int(data.get("ci_files", 0)),
            ci_source=str(data.get("ci_source", "")),
            blocker=str(data.get("blocker", UNKNOWN)),
            blocker_reason=str(data.get("blocker_reason", "")),
            patch=Patch(**patch),
            proof=Proof(**dict(data.get("proof") or {"state": "skipped"})),
            timings=tuple((str(k), float(v)) for k, v in dict(data.get("timings", {})).items()),
            peak_memory_mb=float(data.get("peak_memory_mb", 0.0)),
            woaport=str(data.get("woaport", "")),
        )
