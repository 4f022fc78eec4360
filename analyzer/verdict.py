"""The verdict on a scan: what really blocks a Windows ARM64 wheel, in one sentence and
per area (code, build, CI, native dependencies). A pure function of the scan result;
every report shows it first.

An area is ``blocked`` by a high-confidence finding of its category that bites on a
native ARM64 model (msvc-arm64, clang-cl-arm64, mingw-arm64) with severity ``error`` or
``warning``; ``unknown`` when the scan cannot tell (only build-dependent findings, no CI
configuration in the tree, libraries linked from outside the tree); ``ok`` otherwise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from analyzer.model import Confidence, Finding, Severity
from analyzer.native.sources import CI_DIRECTORIES, ci_service
from analyzer.projectmeta import repository_url
from analyzer.result import ScanResult

AREAS = ("code", "build", "ci", "dependencies")
NATIVE_MODELS = frozenset({"msvc-arm64", "clang-cl-arm64", "mingw-arm64"})
_BLOCKING = frozenset({Severity.ERROR, Severity.WARNING})
_SHOWN = 3  # places named per reason
_NAMED_DEPENDENCIES = 6  # dependencies named in the reason before "and N more"
_EACH_NEEDS = "each needs an ARM64 Windows build"
_NO_CI = "no CI configuration in the tree (an sdist rarely ships .github/): scan the project's repository"
_JOB = re.compile(r"job '([^']+)'")
_WHEEL_JOB_RULES = frozenset({"WOA601", "WOA603", "WOA605", "WOA607", "WOA610", "WOA620"})


@dataclass(frozen=True)
class AreaVerdict:
    state: str  # "ok" | "blocked" | "unknown"
    reasons: tuple[str, ...] = ()
    findings: tuple[str, ...] = ()  # "WOA601 .github/workflows/wheels.yml:8"


@dataclass(frozen=True)
class Verdict:
    overall: str
    areas: tuple[tuple[str, AreaVerdict], ...]

    def area(self, name: str) -> AreaVerdict:
        return dict(self.areas)[name]

    def to_dict(self) -> dict[str, object]:
        return {
            "overall": self.overall,
            "areas": {
                name: {"state": a.state, "reasons": list(a.reasons), "findings": list(a.findings)}
                for name, a in self.areas
            },
        }


def own_workflow(path: str) -> bool:
    """CI configuration of the scanned project itself: its ``.github/`` workflows, or
    another CI service's configuration at its root (a vendored project's CI does not
    build this package's wheels)."""
    if path.startswith(".github/"):
        return True
    top = path.split("/", 1)[0]
    return ci_service(path) is not None and (top == path or top in CI_DIRECTORIES)


def _own(path: str, prefixes: tuple[str, ...]) -> bool:
    """:func:`own_workflow` for a path that may have been moved under the folder the
    scanned tree sits in (paths are reported from the repository root)."""
    for prefix in prefixes:
        if path.startswith(prefix + "/"):
            return own_workflow(path.removeprefix(prefix + "/"))
    return own_workflow(path)


def _place(finding: Finding) -> str:
    return f"{finding.rule_id} {finding.location.path}:{finding.location.line}"


def _sorted_by_area(result: ScanResult) -> dict[str, tuple[list[Finding], list[Finding]]]:
    """Per area, what blocks (high-confidence errors; for CI, a wheel job without Windows
    ARM64) and what may (warnings, build-dependent errors), among the findings that bite
    on a native ARM64 model. CI counts only the project's own workflows."""
    category = {rule.id: rule.category for rule in result.rules}
    sorted_out: dict[str, tuple[list[Finding], list[Finding]]] = {a: ([], []) for a in AREAS}
    for f in result.findings:
        area = category.get(f.rule_id, "code")
        if area not in sorted_out or not NATIVE_MODELS & set(f.reachable_on) or f.for_consumers:
            continue
        if area == "ci" and not _own(f.location.path, result.path_prefixes):
            continue
        blocks = f.confidence is Confidence.HIGH and (
            f.severity is Severity.ERROR or (area == "ci" and f.rule_id in _WHEEL_JOB_RULES)
        )
        if blocks:
            sorted_out[area][0].append(f)
        elif f.severity in _BLOCKING:
            sorted_out[area][1].append(f)
    return sorted_out


def _listed(findings: list[Finding], what: str, state: str) -> AreaVerdict:
    files = len({f.location.path for f in findings})
    places = ", ".join(_place(f) for f in findings[:_SHOWN])
    more = ", ..." if len(findings) > _SHOWN else ""
    reason = f"{len(findings)} {what} in {files} file(s): {places}{more}"
    return AreaVerdict(state, (reason,), tuple(_place(f) for f in findings[:100]))


def judge(result: ScanResult) -> Verdict:
    areas: dict[str, AreaVerdict] = {}
    checks = (
        ("code", "x86-only construct(s)", "warning(s) or build-dependent finding(s) to check"),
        ("build", "build-logic problem(s)", "build warning(s) to check"),
        ("ci", "wheel job(s) without Windows ARM64", "CI warning(s) to check"),
    )
    by_area = _sorted_by_area(result)
    for area, blocked_what, doubtful_what in checks:
        blockers, doubtful = by_area[area]
        if blockers:
            areas[area] = _listed(blockers, blocked_what, "blocked")
        elif doubtful:
            areas[area] = _listed(doubtful, doubtful_what, "unknown")
    if "code" not in areas:
        areas["code"] = AreaVerdict("ok", ("no x86-only code is compiled for Windows ARM64",))
    consumers = [
        f
        for f in result.findings
        if f.for_consumers
        and f.confidence is Confidence.HIGH
        and f.severity in _BLOCKING
        and NATIVE_MODELS & set(f.reachable_on)
    ]
    if consumers:
        # Not this build's problem, so not its state: said after what decides it.
        said = _listed(consumers, "problem(s) for consumers in installed header(s)", areas["code"].state)
        code = areas["code"]
        areas["code"] = replace(code, reasons=(*code.reasons, said.reasons[0]))
    if "build" not in areas:
        areas["build"] = (
            AreaVerdict("ok", (f"the {' + '.join(result.build_systems)} build handles ARM64",))
            if result.build_systems
            else AreaVerdict("unknown", ("no build this scan can read (setup.py, meson, CMake, maturin)",))
        )
    if "ci" not in areas:
        areas["ci"] = (
            AreaVerdict("ok", (f"{result.ci_files} CI file(s): none misses a Windows ARM64 build",))
            if result.ci_files
            else AreaVerdict("unknown", (_no_ci(result),))
        )
    areas["dependencies"] = _dependencies(result, *by_area["dependencies"])
    ordered = tuple((name, areas[name]) for name in AREAS)
    return Verdict(_overall(areas, by_area["ci"][0], result), ordered)


def _dependencies(result: ScanResult, blockers: list[Finding], doubtful: list[Finding]) -> AreaVerdict:
    """Native dependencies: blocked by a finding (only x64 builds of one in the tree),
    unknown when the build needs libraries from outside the tree (named with the route
    that finds them) or submodules are missing, ok otherwise."""
    reasons: list[str] = []
    needed = [*result.external_libraries]
    needed += [f"{name} ({route}, {where})" for name, route, where in result.dependencies]
    if needed:
        listed = ", ".join(needed[:_NAMED_DEPENDENCIES])
        more = f" and {len(needed) - _NAMED_DEPENDENCIES} more" if len(needed) > _NAMED_DEPENDENCIES else ""
        reasons.append(f"links libraries the tree does not build: {listed}{more}; {_EACH_NEEDS}")
    if result.missing_submodules:
        modules = ", ".join(result.missing_submodules)
        reasons.append(f"git submodule(s) not in the tree, so not scanned: {modules}")
    if blockers:
        found = _listed(blockers, "dependency build(s) for x64 only", "blocked")
        return AreaVerdict("blocked", found.reasons + tuple(reasons), found.findings)
    if reasons or doubtful:
        extra = _listed(doubtful, "dependency warning(s) to check", "unknown") if doubtful else None
        return AreaVerdict(
            "unknown", tuple(reasons) + (extra.reasons if extra else ()), extra.findings if extra else ()
        )
    return AreaVerdict("ok", ("links no library from outside the tree",))


_NO_CI_HERE = "no CI configuration in this repository: nothing here builds its wheels"
_NO_CI_IN_FOLDER = (
    "no CI configuration in this folder of a repository: its CI is at the repository's root "
    "(scan the root to judge it)"
)


def _no_ci(result: ScanResult) -> str:
    """No CI in the tree: say where the project's repository is, from its metadata (in
    the repository itself, that it has none)."""
    if result.in_repository:
        return _NO_CI_HERE
    if result.in_repository_folder:
        return _NO_CI_IN_FOLDER
    found = repository_url(result.project_urls)
    if found is None:
        return _NO_CI
    url, cloneable = found
    if not re.match(r"(?i)^https?://(?:www\.)?github\.com/", url) and not cloneable:
        # The wheels come from CI woaport cannot read (another forge, a private build):
        # the port is upstream's, and no GitHub workflow can be offered.
        return (
            f"no CI configuration in the tree, and the repository is not on GitHub ({url}): its wheels "
            "are built where woaport cannot see; ask upstream for a Windows ARM64 wheel build"
        )
    how = f": woaport scan git+{url}" if cloneable else f" (its metadata names {url})"
    return f"{_NO_CI}{how}"


def _overall(areas: dict[str, AreaVerdict], ci_blockers: list[Finding], result: ScanResult) -> str:
    blocked = [name for name, a in areas.items() if a.state == "blocked"]
    clean = [name for name in ("code", "build") if areas[name].state == "ok"]
    steps: list[str] = []
    if "code" in blocked:
        steps.append(f"port the x86-only code ({len(areas['code'].findings)} place(s))")
    if "build" in blocked:
        steps.append(f"fix the build logic ({len(areas['build'].findings)} place(s))")
    if "ci" in blocked:
        steps.append(_ci_step(ci_blockers))
    for name in ("code", "build"):
        if areas[name].state == "unknown" and areas[name].findings:
            steps.append(f"check the {name} {'warnings' if name == 'build' else 'findings'} listed below")
    if result.external_libraries or result.dependencies:
        steps.append("check the external libraries have ARM64 builds")
    if result.missing_submodules:
        steps.append("scan the git submodules too (clone them, then scan the checkout)")
    if not blocked and areas["ci"].state == "unknown" and not areas["ci"].findings:
        steps.append("make sure the project's CI builds win_arm64 wheels")
    lead = _clean(clean) or ("nothing blocks for certain" if not blocked else "")
    said = "; ".join(part for part in (lead, *steps) if part) + "."
    if result.released_win_arm64:
        # What the index already knows comes first: wheels exist, whatever the tree says.
        said = f"this release already ships win_arm64 wheels ({', '.join(result.released_win_arm64)}); {said}"
    return said


def _ci_step(ci_blockers: list[Finding]) -> str:
    first = ci_blockers[0]
    job = _JOB.search(first.message)
    place = f"{first.location.path}:{first.location.line}"
    where = f"job '{job.group(1)}' in {first.location.path}" if job else place
    return f"add a Windows ARM64 wheel build (a windows-11-arm runner, or ARM64 in the archs) to {where}"


def _clean(areas: list[str]) -> str:
    if not areas:
        return ""
    return f"{' and '.join(areas)} {'is' if len(areas) == 1 else 'are'} ARM64-clean"


def fails(result: ScanResult, fail_on: str, fail_on_maybe: bool) -> bool:
    """Whether ``result`` fails a check that fails on findings of severity ``fail_on``
    or worse ("never": none fails), counting build-dependent ("maybe") ones only when
    ``fail_on_maybe``."""
    if fail_on == "never":
        return False
    threshold = Severity.parse(fail_on)
    return any(
        f.severity.rank >= threshold.rank and (fail_on_maybe or f.confidence is Confidence.HIGH)
        for f in result.findings
    )
