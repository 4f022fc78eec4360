"""CI reading against oracles no one here wrote.

    python benchmarks/ci_bench.py                 # every pinned set (sdists downloaded once, cached)
    python benchmarks/ci_bench.py --pin ships NAME...       # development: print pins
    python benchmarks/ci_bench.py --pin transitions NAME...
    python benchmarks/ci_bench.py --pin amber NAME...

Three sets, pinned by sha256 in ``benchmarks/ci_oracle.toml``:

(a) ``ships``: sdists of projects that publish ``win_arm64`` wheels and ship their
    ``.github/workflows`` in the sdist. The wheels exist, so the CI that made them
    builds ARM64: the computed tags of the released jobs must include ``win_arm64``.
(b) ``transitions``: the last release before each of those projects' first
    ``win_arm64`` wheel (found from the index's file lists). Its CI did not build
    ARM64: woaport must name the job (a WOA6xx finding on a job of the release
    workflow), and ``fix``'s patch, recomputed, must yield ``win_arm64`` (verified).
(c) ``amber``: projects that still ship no ``win_arm64`` wheel. Their latest sdist; where
    the sdist ships no CI, a fixture CI written fresh here in the structure of the
    project's real one (``benchmarks/ci_fixtures/NAME/``) is laid over it. The verdict
    must name the true blocker, and a blocker in a GitHub Actions job must get a
    verified patch.

Sdists are fetched with woaport's own index client (never ``pip download``), checked
against the pin, unpacked with the defensive extractor, and never built or run.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
import time
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analyzer.archive import extract
from analyzer.ci import read_ci
from analyzer.fix.engine import plan_fixes, verify_ci_plan
from analyzer.index.config import default_index_url
from analyzer.index.simple import DistFile, SimpleIndex
from analyzer.paths import default_cache_dir
from analyzer.scan import ScanOptions, scan
from analyzer.verdict import judge
from benchmarks.accuracy import fetch_pinned

HERE = Path(__file__).resolve().parent
PINS = HERE / "ci_oracle.toml"
FIXTURES = HERE / "ci_fixtures"
JOB_RULES = frozenset({"WOA601", "WOA603", "WOA605", "WOA607", "WOA620"})


def _unpacked(archive: Path, scratch: Path, fixture: str = "") -> Path:
    root = extract(archive, scratch).root
    if fixture:
        shutil.copytree(FIXTURES / fixture, root, dirs_exist_ok=True)
    return root


def _ships(root: Path) -> tuple[bool, str]:
    model = read_ci(root)
    arm = sorted({j.id for j in model.counted() if "win_arm64" in j.delivered()})
    return bool(arm), ", ".join(arm) or "none"


def _job_findings(root: Path) -> tuple[list[str], Any]:
    result = scan(root, ScanOptions(jobs=1))
    named = [
        f"{f.rule_id} {f.location.path}:{f.location.line} '{f.message.split(chr(39))[1]}'"
        for f in result.findings
        if f.rule_id in JOB_RULES and "'" in f.message
    ]
    return named, result


def _verified(root: Path, result: Any) -> tuple[bool, str]:
    plan = plan_fixes(root, result, frozenset({"ci"}))
    if not plan.edits:
        reasons = {m.reason for m in plan.manual}
        return False, "no patch: " + ("; ".join(sorted(reasons))[:160] or "nothing to fix")
    check = verify_ci_plan(root, plan, ScanOptions(jobs=1))
    if check is None:
        return False, "the patch changes no CI"
    return check.verified, check.reason[:160]


def run(only: set[str]) -> None:
    data = tomllib.loads(PINS.read_text(encoding="utf-8"))
    cache = default_cache_dir() / "benchmark-sdists"
    started = time.process_time()
    with SimpleIndex(default_index_url()) as index:
        ships = [e for e in data.get("ships", []) if not only or e["name"] in only]
        good = false_alarms = 0
        print("(a) ships win_arm64 wheels: released jobs' computed tags include win_arm64; no CI finding")
        for entry in ships:
            archive = fetch_pinned(index, entry["name"], entry["sdist"], entry["sha256"], cache)
            with tempfile.TemporaryDirectory(prefix="woaport-ci-bench-") as scratch:
                root = _unpacked(archive, Path(scratch))
                ok, jobs = _ships(root)
                against, _ = _job_findings(root)
            good += ok
            false_alarms += len(against)
            mark = "ok " if ok and not against else "NO "
            print(f"  {mark} {entry['name']:14} {entry['version']:10} win_arm64 from: {jobs}")
            for finding in against:
                print(f"      false alarm: {finding}")
        print(f"  shipping projects whose computed tags include win_arm64: {good}/{len(ships)}")
        print(f"  CI findings against them (each a woaport bug; goal 0): {false_alarms}")

        transitions = [e for e in data.get("transitions", []) if not only or e["name"] in only]
        named = verified = 0
        print("(b) the release before the first win_arm64 wheel: job named, fix verified")
        for entry in transitions:
            archive = fetch_pinned(index, entry["name"], entry["sdist"], entry["sha256"], cache)
            with tempfile.TemporaryDirectory(prefix="woaport-ci-bench-") as scratch:
                root = _unpacked(archive, Path(scratch))
                findings, result = _job_findings(root)
                ok, why = _verified(root, result)
            named += bool(findings)
            verified += ok
            shown = findings[0] if findings else "no job named"
            print(f"  {entry['name']:14} {entry['version']:10} {shown}")
            print(f"  {'':14} {'':10} fix: {'verified' if ok else 'NOT verified'}: {why}")
        total = len(transitions)
        print(f"  transition recall (job named): {named}/{total}; verified patches: {verified}/{total}")

        amber = [e for e in data.get("amber", []) if not only or e["name"] in only]
        named = verified = github = 0
        print("(c) amber projects: verdict names the blocker; GitHub Actions blockers get a verified patch")
        for entry in amber:
            archive = fetch_pinned(index, entry["name"], entry["sdist"], entry["sha256"], cache)
            with tempfile.TemporaryDirectory(prefix="woaport-ci-bench-") as scratch:
                root = _unpacked(archive, Path(scratch), entry.get("fixture", ""))
                findings, result = _job_findings(root)
                verdict = judge(result)
                ci = verdict.area("ci")
                expected = entry["blocker"]
                hit = any(expected in f for f in findings) or any(expected in r for r in ci.reasons)
                named += hit
                line = f"  {'ok ' if hit else 'NO '} {entry['name']:18} ci={ci.state:8} "
                line += (findings[0] if findings else (ci.reasons[0] if ci.reasons else ""))[:110]
                print(line)
                if entry.get("github", False):
                    github += 1
                    ok, why = _verified(root, result)
                    verified += ok
                    print(f"      fix: {'verified' if ok else 'NOT verified'}: {why}")
        print(f"  amber verdicts naming the true blocker: {named}/{len(amber)}")
        print(f"  verified patches for GitHub Actions blockers: {verified}/{github}")
    print(f"CPU: {time.process_time() - started:.1f} s")


# -- pinning (development) -----------------------------------------------------------------
_VERSION = re.compile(r"^(?P<name>.+?)-(?P<version>\d[^-]*?)(?:\.tar\.gz|\.zip|-[^-]+-[^-]+-[^-]+\.whl)$")


def _versions(files: Iterable[DistFile]) -> dict[str, list[DistFile]]:
    from packaging.version import InvalidVersion, Version

    grouped: dict[str, list[DistFile]] = {}
    for f in files:
        m = _VERSION.match(f.filename)
        if m is None:
            continue
        try:
            if Version(m.group("version")).is_prerelease:
                continue
        except InvalidVersion:
            continue
        grouped.setdefault(m.group("version"), []).append(f)
    return dict(sorted(grouped.items(), key=lambda kv: Version(kv[0])))


def pin(kind: str, names: list[str]) -> None:
    with SimpleIndex(default_index_url()) as index:
        for name in names:
            versions = _versions(index.project(name).files)
            order = list(versions)
            arm = [v for v in order if any(f.filename.endswith("win_arm64.whl") for f in versions[v])]
            if kind == "transitions":
                if not arm or order.index(arm[0]) == 0:
                    print(f"# {name}: no release before a win_arm64 wheel")
                    continue
                version = order[order.index(arm[0]) - 1]
            else:
                version = order[-1]
            sdist = next((f for f in versions[version] if f.filename.endswith((".tar.gz", ".zip"))), None)
            if sdist is None:
                print(f"# {name} {version}: no sdist")
                continue
            extra = f'first_win_arm64 = "{arm[0]}"\n' if kind == "transitions" else ""
            print(
                f'[[{kind}]]\nname = "{name}"\nversion = "{version}"\nsdist = "{sdist.filename}"\n'
                f'sha256 = "{sdist.hash("sha256")}"\n{extra}'
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--pin", nargs="+", metavar="KIND NAME", help="print pins (ships|transitions|amber) and stop"
    )
    parser.add_argument("--only", default="", help="comma-separated project names")
    args = parser.parse_args()
    if args.pin:
        pin(args.pin[0], args.pin[1:])
        return
    run({n.strip() for n in args.only.split(",") if n.strip()})


if __name__ == "__main__":
    main()
