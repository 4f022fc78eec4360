"""Accuracy against oracles no one here wrote.

    python benchmarks/accuracy.py            # scan every pinned sdist (downloads once, cached)
    python benchmarks/accuracy.py --pin      # development: pin the latest releases anew
    python benchmarks/accuracy.py --only numpy,pillow --files   # which files the errors are in
    python benchmarks/accuracy.py --compare HEAD~1   # REV's harness and analyzer, side by side

The oracle set (``benchmarks/oracle.toml``, section ``builds``): projects with C, C++,
Cython or Rust extensions that publish a ``win_arm64`` wheel for the pinned version, so
their sdist compiles for Windows ARM64 (with MSVC: that is what their wheels are built
with). Every high-confidence ``error`` woaport reports on ``msvc-arm64`` for them is a
false positive or code the build does not compile there. Goal: zero.

The labelled set (section ``blockers``): sdists with known Windows ARM64 blockers, each
pinned with the places (path, rule) a porter had to change; the run reports how many of
them woaport finds (recall).

Sdists are fetched with woaport's own index client from the index pip is configured with
(never ``pip download``, which runs build hooks), checked against the pinned sha256,
unpacked with woaport's defensive extractor, and never built or run.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import tomllib
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analyzer.archive import extract
from analyzer.index.config import default_index_url
from analyzer.index.simple import SimpleIndex, select_sdist
from analyzer.model import Confidence, Severity
from analyzer.paths import default_cache_dir
from analyzer.result import ScanResult
from analyzer.rules import default_rules
from analyzer.scan import ScanOptions, scan
from analyzer.verdict import judge

PINS = Path(__file__).resolve().parent / "oracle.toml"
MODEL = "msvc-arm64"


def fetch_pinned(index: SimpleIndex, name: str, filename: str, sha256: str, cache: Path) -> Path:
    """The pinned sdist, from the cache or the index; its hash checked either way."""
    target = cache / filename
    if not target.exists():
        page = index.project(name)
        found = next((f for f in page.files if f.filename == filename), None)
        if found is None:
            raise SystemExit(f"{name}: {filename} is not on the index")
        cache.mkdir(parents=True, exist_ok=True)
        index.download(found, cache)
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    if digest != sha256:
        target.unlink()
        raise SystemExit(f"{filename}: sha256 {digest} is not the pinned {sha256}")
    return target


def _scan_sdist(archive: Path) -> tuple[ScanResult, float]:
    scratch = Path(tempfile.mkdtemp(prefix="woaport-accuracy-"))
    try:
        unpacked = extract(archive, scratch)
        start = time.process_time()
        result = scan(unpacked.root, ScanOptions(jobs=1))
        return result, time.process_time() - start
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _high_errors(result: ScanResult) -> list[tuple[str, int, str]]:
    return sorted(
        (f.location.path, f.location.line, f.rule_id)
        for f in result.findings
        if f.severity is Severity.ERROR and f.confidence is Confidence.HIGH and MODEL in f.reachable_on
    )


def pin(names: list[str]) -> None:
    """Print TOML pins for the latest sdists of ``names`` (check each has a win_arm64 wheel)."""
    with SimpleIndex(default_index_url()) as index:
        for name in names:
            page = index.project(name)
            sdist = select_sdist(page)
            version = sdist.filename.rsplit("-", 1)[1].removesuffix(".tar.gz").removesuffix(".zip")
            arm = sorted(
                f.filename
                for f in page.files
                if f.filename.endswith("win_arm64.whl") and f"-{version}-" in f.filename
            )
            print(
                f'[[builds]]\nname = "{name}"\nversion = "{version}"\nsdist = "{sdist.filename}"\n'
                f'sha256 = "{sdist.hash("sha256")}"\nwin_arm64_wheel = "{arm[0] if arm else "NONE"}"\n'
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pin", nargs="*", metavar="NAME", help="print pins for these projects and stop")
    parser.add_argument("--only", default="", help="comma-separated project names")
    parser.add_argument("--files", action="store_true", help="list the files holding the errors")
    parser.add_argument(
        "--compare",
        metavar="REV",
        help="also run REV's own harness and analyzer (a git revision, e.g. HEAD~1) on the same pins "
        "and print the figures side by side",
    )
    args = parser.parse_args()
    if args.pin is not None:
        pin(args.pin)
        return
    if args.compare:
        before = figures_at(args.compare, args.only)
        now = run_here(args.only)
        print_side_by_side(args.compare, before, now)
        return
    data = tomllib.loads(PINS.read_text(encoding="utf-8"))
    only = {n.strip() for n in args.only.split(",") if n.strip()}
    cache = default_cache_dir() / "benchmark-sdists"
    total_errors = total_files = 0
    wrong_verdicts: list[str] = []
    unknown: dict[str, list[str]] = {"code": [], "build": []}
    projects = 0
    cpu = 0.0
    print(f"oracle: packages that publish win_arm64 wheels; high-confidence errors on {MODEL} (goal 0)")
    with SimpleIndex(default_index_url()) as index:
        for entry in data.get("builds", []):
            if only and entry["name"] not in only:
                continue
            archive = fetch_pinned(index, entry["name"], entry["sdist"], entry["sha256"], cache)
            result, seconds = _scan_sdist(archive)
            errors = _high_errors(result)
            verdict = judge(result)
            blocked = [a for a in ("code", "build") if verdict.area(a).state == "blocked"]
            if blocked:
                wrong_verdicts.append(f"{entry['name']} ({', '.join(blocked)})")
            projects += 1
            for area, names in unknown.items():
                if verdict.area(area).state == "unknown":
                    names.append(entry["name"])
            files = Counter(path for path, _, _ in errors)
            rules = Counter(rule for _, _, rule in errors)
            total_errors += len(errors)
            total_files += result.files_scanned
            cpu += seconds
            top = ", ".join(f"{r} {n}" for r, n in rules.most_common(4))
            where = f"{len(errors):6} error(s) in {len(files):4} file(s)"
            print(f"  {entry['name']:14} {entry['version']:12} {where} {seconds:6.1f} s  [{top}]")
            if args.files:
                for path, count in files.most_common(12):
                    print(f"      {count:5}  {path}")
        summary = f"{total_errors} high-confidence error(s) on {MODEL}; {total_files} files, {cpu:.1f} s CPU"
        print(f"  total: {summary}")
        shown = ", ".join(wrong_verdicts) or "none"
        print(f"  verdicts blocked by code or build (each wrong here; goal none): {shown}")
        for area, names in unknown.items():
            # Not wrong, but not an answer: the target is build = unknown on at most 3 of 30.
            listed = ", ".join(names) or "none"
            print(f"  {area} = unknown: {len(names)} of {projects} ({listed})")
        blockers = data.get("blockers", [])
        if blockers and not only:
            found = wanted = 0
            by_category: dict[str, list[int]] = {}  # the region a blocker is in: code, build, ci
            print("labelled blockers: recall")
            for entry in blockers:
                archive = fetch_pinned(index, entry["name"], entry["sdist"], entry["sha256"], cache)
                result, _ = _scan_sdist(archive)
                places = {(f.location.path, f.rule_id) for f in result.findings if MODEL in f.reachable_on}
                expected = {(b["path"], b["rule"]) for b in entry["places"]}
                hit = expected & places
                found += len(hit)
                wanted += len(expected)
                for path, rule in expected:
                    counts = by_category.setdefault(CATEGORY_OF.get(rule, "code"), [0, 0])
                    counts[0] += (path, rule) in hit
                    counts[1] += 1
                print(f"  {entry['name']:14} {entry['version']:12} {len(hit)}/{len(expected)}")
            print(f"  recall: {found}/{wanted}")
            for category in sorted(by_category):
                hit_n, want_n = by_category[category]
                print(f"  recall ({category} blockers): {hit_n}/{want_n}")


CATEGORY_OF = {rule.id: rule.category for rule in default_rules()}

# The figures the harness prints, read back from its text (so a revision's own harness,
# from before any machine-readable output, can be compared): name -> pattern.
FIGURES = {
    "high-confidence errors (goal 0)": r"total: (\d+) high-confidence",
    "verdicts blocked (goal none)": r"verdicts blocked by code or build[^:]*: (.*)",
    "code = unknown": r"code = unknown: (\d+ of \d+)",
    "build = unknown": r"build = unknown: (\d+ of \d+)",
    "labelled recall": r"^  recall: (\d+/\d+)",
    "recall, code blockers": r"recall \(code blockers\): (\d+/\d+)",
    "recall, build blockers": r"recall \(build blockers\): (\d+/\d+)",
    "recall, ci blockers": r"recall \(ci blockers\): (\d+/\d+)",
}


def figures_of(output: str) -> dict[str, str]:
    found = {}
    for name, pattern in FIGURES.items():
        match = re.search(pattern, output, re.MULTILINE)
        found[name] = match.group(1).strip() if match else "-"
    return found


def _harness_output(root: Path, only: str) -> str:
    command = [sys.executable, str(root / "benchmarks" / "accuracy.py"), *(["--only", only] if only else [])]
    done = subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"the harness at {root} failed:\n{done.stderr[-2000:]}")
    return done.stdout


def run_here(only: str) -> dict[str, str]:
    return figures_of(_harness_output(Path(__file__).resolve().parent.parent, only))


def figures_at(revision: str, only: str) -> dict[str, str]:
    """The figures of ``revision``'s harness and analyzer: its tree exported with ``git
    archive`` into a temporary folder (the working tree is not touched) and run there."""
    repo = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory(prefix="woaport-accuracy-") as tmp:
        archive = subprocess.run(
            ["git", "-C", str(repo), "archive", "--format=tar", revision], capture_output=True, check=False
        )
        if archive.returncode != 0:
            raise SystemExit(f"git archive {revision}: {archive.stderr.decode(errors='replace').strip()}")
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            tar.extractall(tmp, filter="data")
        return figures_of(_harness_output(Path(tmp), only))


def print_side_by_side(revision: str, before: dict[str, str], now: dict[str, str]) -> None:
    width = max(len(name) for name in FIGURES)
    print(f"{'':{width}}  {revision:>24}  {'this tree':>24}")
    for name in FIGURES:
        print(f"{name:{width}}  {before[name][:24]:>24}  {now[name][:24]:>24}")


if __name__ == "__main__":
    main()
