"""The ``woaport`` command line: parse options, run one stage, pick a formatter."""

from __future__ import annotations

import os
import re
import signal
import sys
import threading
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from analyzer import __version__
from analyzer.archive import ARCHIVE_SUFFIXES
from analyzer.config import Config, ConfigError, ScanSettings, find_config, load_config
from analyzer.errors import InputProblem
from analyzer.limits import LimitError, check_environment
from analyzer.model import CATEGORIES, Severity
from analyzer.report import FORMATS
from analyzer.result import ScanResult, merge_results
from analyzer.status.defaults import DEFAULT_PYTHONS

if TYPE_CHECKING:  # annotations only: the modules load when a command needs them
    from analyzer.index.simple import SimpleIndex
    from analyzer.scan import ScanOptions
    from analyzer.status.command import ProjectList

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
# What `woaport scan` with no argument scans: a small demo tree shipped as package data.
DEMO_TREE = Path(__file__).resolve().parent / "data" / "demo"


class OperationalError(click.ClickException):
    """The input could not be read or fetched: exit 2, like a usage error, so that CI
    tells "could not scan" from "found problems"."""

    exit_code = 2


def _given(ctx: click.Context) -> set[str]:
    """The parameters the command line (or its environment) set, not their defaults."""
    from click.core import ParameterSource

    return {
        name
        for name in ctx.params
        if ctx.get_parameter_source(name) not in (ParameterSource.DEFAULT, ParameterSource.DEFAULT_MAP, None)
    }


def _project_config(inputs: list[str], explicit: Path | None, isolated: bool) -> Config:
    """The settings for this run: ``--config FILE``, else the file found from the first
    local directory (or source file) scanned, upward; never one inside an sdist, a
    ``pypi:`` project or a ``git+`` clone (their authors' settings are not the user's)."""
    try:
        if isolated:
            return Config()
        if explicit is not None:
            return load_config(explicit)
        first = Path(inputs[0]) if inputs else None
        if first is not None and (
            first.is_dir() or (first.is_file() and not first.name.endswith(ARCHIVE_SUFFIXES))
        ):
            found = find_config(first)
            return load_config(found) if found is not None else Config()
    except ConfigError as error:
        raise click.UsageError(str(error)) from None
    return Config()


def _colour_option(func: Callable[..., None]) -> Callable[..., None]:
    """``--color auto|always|never``: the same option on every command with text output."""
    return click.option(
        "--color",
        "color",
        type=click.Choice(["auto", "always", "never"]),
        default="auto",
        show_default=True,
        help="Colour the text output (auto: on a terminal, unless NO_COLOR is set).",
    )(func)


def _echo_text(text: str, color: str) -> None:
    """A command's text output on standard output, coloured as ``--color`` says (rich,
    loaded only when colour is on)."""
    from analyzer.report.colour import paint, wants_colour

    if wants_colour(color, sys.stdout):
        click.echo(paint(text), nl=False, color=True)
    else:
        click.echo(text, nl=False, color=False)


def _split(values: tuple[str, ...]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _report_options(func: Callable[..., None]) -> Callable[..., None]:
    """``--json``, ``--sarif``, ... : one ``--<name> FILE|-`` per registered format."""
    for fmt in reversed(FORMATS.values()):
        func = click.option(f"--{fmt.name}", f"report_{fmt.name}", metavar="FILE|-", help=fmt.help)(func)
    return func


def _write(destination: str, content: str) -> None:
    """Write a report: a regular file atomically (never half a report), anything else
    (``/dev/null``, a FIFO, a link) in place, since renaming over it would replace the
    device or the link itself. Text that cannot be UTF-8 (a file name that is not, kept
    by Python as surrogate escapes) is written as ``\\udcXX``."""
    data = content.encode("utf-8", "backslashreplace")
    if destination == "-":
        click.echo(data, nl=False)
        return
    path = Path(destination)
    try:
        if path.is_symlink() or (path.exists() and not path.is_file()):
            with open(path, "wb") as handle:
                handle.write(data)
            return
    except OSError as error:
        raise OperationalError(f"cannot write {destination}: {error.strerror or error}") from None
    tmp = path.with_name(path.name + ".woaport-tmp")
    try:
        tmp.write_bytes(data)
        tmp.replace(path)
    except OSError as error:
        raise OperationalError(f"cannot write {destination}: {error.strerror or error}") from None
    finally:
        tmp.unlink(missing_ok=True)


class _Bar:
    """A progress bar on stderr for long scans (only on a terminal)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.stage = ""
        # click's ProgressBar class is private; it is only entered, updated and exited.
        self.bar: Any = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        if stage != self.stage:
            self.close()
            self.stage = stage
            self.bar = click.progressbar(length=total, label=f"{stage:10}", file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="woaport")
def main() -> None:
    """Find what breaks or slows down when a Python package's native code is built for
    Windows on Arm (ARM64), and say what to write instead."""
    _exit_cleanly_on_sigterm()
    try:
        check_environment()
    except LimitError as error:
        raise click.UsageError(str(error)) from None


def _exit_cleanly_on_sigterm() -> None:
    """SIGTERM (a CI job cancelled, a container stopped) unwinds like Ctrl-C does, so the
    temporary directories of unpacked sdists are removed; exit status 143 (128 + 15)."""
    if threading.current_thread() is not threading.main_thread():
        return  # only the main thread may set signal handlers

    def terminate(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, terminate)


@main.command("scan")
@click.argument("inputs", nargs=-1, metavar="[PATH|SDIST|NAME[==VERSION]]...")
@click.option(
    "--target",
    "targets",
    multiple=True,
    metavar="MODEL,...",
    help="Compiler models to check (default: all). See 'woaport targets'.",
)
@click.option("--select", multiple=True, metavar="RULE,...", help="Only these rules (ID, ID prefix or name).")
@click.option("--ignore", multiple=True, metavar="RULE,...", help="Skip these rules.")
@click.option(
    "--fail-on",
    default="error",
    show_default=True,
    type=click.Choice([s.value for s in Severity] + ["never"]),
    help="Exit 1 when a finding at or above this severity is found.",
)
@click.option(
    "--fail-on-maybe", is_flag=True, help="Count build-dependent (low-confidence) findings for --fail-on."
)
@_report_options
@click.option(
    "--exclude", multiple=True, metavar="GLOB", help="gitignore-style pattern to skip (repeatable)."
)
@click.option(
    "--include-vendored", is_flag=True, help="Also scan vendor/, third_party/, vendored-*/ and similar."
)
@click.option(
    "--include-tests",
    is_flag=True,
    help="Also scan tests/, docs/, examples/, benchmarks/, tools/ (not package code by default).",
)
@click.option(
    "--max-file-size",
    default=20,
    show_default=True,
    type=click.IntRange(1, 1024),
    metavar="MiB",
    help="Skip files larger than this.",
)
@click.option(
    "-j", "--jobs", default=0, type=click.IntRange(0, 64), help="Worker processes (0: one per core)."
)
@click.option(
    "--index-url",
    metavar="URL",
    help="Package index for NAME[==VERSION] (default: PIP_INDEX_URL, pip's or uv's configuration).",
)
@click.option(
    "--precise",
    is_flag=True,
    help="Also parse each translation unit with libclang per model (needs woaport[precise]).",
)
@click.option("--explain", is_flag=True, help="With --precise: list where fast and precise mode disagree.")
@click.option(
    "--python-sdk",
    "sdk_dir",
    metavar="DIR",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    help="With --precise: a directory of Windows CPython SDKs (woaport sdk makes one; default: the cache).",
)
@click.option(
    "--cache-dir",
    metavar="DIR",
    type=click.Path(path_type=Path, file_okay=False),
    help="Cache of precise-mode results and index answers (default: the user cache directory).",
)
@click.option("--no-cache", is_flag=True, help="Neither read nor write the cache.")
@click.option("-q", "--quiet", is_flag=True, help="No text report and no progress bar.")
@click.option(
    "-v",
    "--verbose",
    is_flag=True,
    help="Text report: every finding on its own lines, build-dependent ones too (default: the "
    "findings that decide the verdict grouped by place, the build-dependent ones a line per rule).",
)
@_colour_option
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "github"]),
    default="text",
    show_default=True,
    help="What goes to standard output: the text report, or GitHub Actions annotations "
    "(the same as --github -).",
)
@click.option(
    "--sarif-all",
    is_flag=True,
    help="SARIF: also list build-dependent findings, at note level (default: left out, counted).",
)
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@click.option(
    "--no-build-model",
    is_flag=True,
    help="Do not read the build files for which sources each model compiles: judge every file alone.",
)
@click.option(
    "--all-code",
    is_flag=True,
    help="Also list findings in files no translation unit compiles on a selected model (own section).",
)
@click.option(
    "--config",
    "config_file",
    metavar="FILE",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="Settings from this woaport.toml or pyproject.toml ([tool.woaport]) instead of the one found "
    "from the scanned directory upward.",
)
@click.option("--isolated", is_flag=True, help="Ignore every configuration file.")
@click.option(
    "--changed",
    is_flag=True,
    help="Report what the working tree adds over --base: the repository is scanned as it is and "
    "as --base has it, and only findings new anywhere are reported (a header a change makes "
    "reachable, a flag added), not only those in changed files. File arguments are ignored.",
)
@click.option(
    "--base",
    "base_ref",
    default="HEAD",
    show_default=True,
    metavar="REF",
    help="With --changed: the revision to compare with.",
)
@click.option(
    "--in-repo",
    is_flag=True,
    help="The inputs are files of the repository around the current directory: scan the whole "
    "repository (so macros defined elsewhere are followed) and report findings in these files "
    "only (the pre-commit hook).",
)
def scan_command(
    inputs: tuple[str, ...],
    targets: tuple[str, ...],
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    fail_on: str,
    fail_on_maybe: bool,
    exclude: tuple[str, ...],
    include_vendored: bool,
    include_tests: bool,
    max_file_size: int,
    jobs: int,
    index_url: str | None,
    precise: bool,
    explain: bool,
    sdk_dir: Path | None,
    cache_dir: Path | None,
    no_cache: bool,
    quiet: bool,
    verbose: bool,
    color: str,
    output_format: str,
    sarif_all: bool,
    no_progress: bool,
    config_file: Path | None,
    isolated: bool,
    changed: bool,
    base_ref: str,
    in_repo: bool,
    all_code: bool,
    no_build_model: bool,
    **outputs: str | None,
) -> None:
    """Scan source trees, files, sdists (.tar.gz, .zip) or a project from the package
    index (pypi:NAME, NAME==VERSION; its sdist is downloaded, never built or run).
    Default: a small bundled demo tree. Paths are reported relative to the repository
    root (else the current directory)."""
    from analyzer.native.sources import check_excludes
    from analyzer.paths import default_cache_dir
    from analyzer.rules import RuleError, default_rules, select_rules
    from analyzer.scan import ScanOptions, scan_inputs
    from analyzer.targets import select_targets

    wanted = list(inputs) or [str(DEMO_TREE)]
    only_files: set[str] | None = None
    repository: Path | None = None
    if changed:
        from analyzer.paths import repository_root

        repository = repository_root(Path(inputs[0]) if inputs else Path.cwd())
        if repository is None:
            raise click.UsageError("--changed compares git revisions: run it inside a git repository")
        wanted = [str(repository)]
    elif in_repo:
        wanted, only_files = _repository_scan(inputs)
    reports = {name: dest for name in FORMATS if (dest := outputs.get(f"report_{name}"))}
    if output_format == "github":
        if reports.get("github", "-") != "-":
            raise click.UsageError(
                "--format github writes to standard output: drop --github FILE or the --format"
            )
        reports["github"] = "-"
    to_stdout = [f"--{name} -" for name, dest in reports.items() if dest == "-"]
    if len(to_stdout) > 1:
        raise click.UsageError(f"only one report can go to standard output ({' and '.join(to_stdout)})")
    config = _project_config(wanted if inputs else [], config_file, isolated)
    if config.path is not None and not quiet and not to_stdout:
        click.echo(f"woaport: settings from {config.path}", err=True)
    settings = ScanSettings(
        select, ignore, exclude, targets, fail_on, fail_on_maybe, include_vendored, include_tests
    ).with_config(config, frozenset(_given(click.get_current_context())))
    select, ignore, exclude, targets = settings.select, settings.ignore, settings.exclude, settings.target
    fail_on, fail_on_maybe = settings.fail_on, settings.fail_on_maybe
    include_vendored, include_tests = settings.include_vendored, settings.include_tests
    try:
        rules = select_rules(default_rules(), _split(select), _split(ignore))
        target_names = tuple(_split(targets))
        select_targets(list(target_names))  # raises ValueError naming the valid models
        check_excludes(list(exclude))  # an invalid pattern is a usage error, not a crash
    except (ValueError, RuleError) as error:
        raise click.UsageError(str(error)) from None
    options = ScanOptions(
        targets=target_names,
        rules=rules,
        excludes=tuple(exclude),
        include_vendored=include_vendored,
        include_tests=include_tests,
        max_bytes=max_file_size * 1024 * 1024,
        jobs=_workers(jobs),
        precise=precise,
        python_include=_precise_sdk(precise, sdk_dir, cache_dir),
        cache_dir=None if no_cache else (cache_dir or default_cache_dir()),
        all_code=all_code,
        build_model=not no_build_model,
    )
    if explain and not precise:
        raise click.UsageError("--explain compares fast and precise mode: add --precise")
    bar = _Bar(enabled=not quiet and not no_progress and sys.stderr.isatty())

    # What was fetched from an index is always said (also with -q): a scan of the wrong
    # project must never pass unnoticed.
    def log(message: str) -> None:
        click.echo(message, err=True)

    def make_index(url: str) -> SimpleIndex:
        # Only a pypi: input needs the client and its cache (their imports cost a small scan).
        from analyzer.index.httpcache import HttpCache
        from analyzer.index.simple import SimpleIndex

        index_cache = None if no_cache else HttpCache((cache_dir or default_cache_dir()) / "index")
        return SimpleIndex(url, cache=index_cache)

    try:
        results = scan_inputs(wanted, options, index_url, log, make_index, bar, only_files)
    except InputProblem as error:
        raise OperationalError(str(error)) from None
    finally:
        bar.close()
    from analyzer.report import text as text_report
    from analyzer.verdict import judge

    judged = {}  # each result judged once, whichever reports show it (keyed by identity)
    for result in results:
        if not quiet and not to_stdout:
            judged[id(result)] = judge(result)
            _echo_text(text_report.render(result, verbose=verbose, verdict=judged[id(result)]), color)
        if explain:
            click.echo(text_report.explain(result), nl=False, err=bool(to_stdout))
    if repository is not None:
        from analyzer.changed import new_since

        comparison = new_since(results[0], repository, base_ref, options, Path.cwd())
        if not quiet:
            click.echo(f"woaport: {comparison.note}", err=True)
        results = [comparison.result]
    merged = results[0] if len(results) == 1 else merge_results(results)
    verdict = (judged.get(id(merged)) or judge(merged)) if reports else None  # once, for every format
    for name, destination in reports.items():
        render = FORMATS[name].render
        if name == "sarif" and sarif_all:
            from analyzer.report.sarif import render_all as render
        _write(destination, render(merged, verdict))
    sys.exit(exit_code(merged, fail_on, fail_on_maybe))


@main.command("ci")
@click.argument("source", default=".", metavar="[PATH|SDIST|pypi:NAME[==VERSION]|git+URL[@REF]]")
@click.option("--json", "json_out", metavar="FILE|-", help="Write the model as JSON (schema woaport-ci/1).")
@click.option("--index-url", metavar="URL", help="Package index (default: as pip/uv are configured).")
@click.option("-q", "--quiet", is_flag=True, help="No text report.")
@click.option(
    "--check-deps",
    is_flag=True,
    help="Ask the index whether every build requirement has a wheel for each win_arm64 cell.",
)
@_colour_option
def ci_command(
    source: str, json_out: str | None, index_url: str | None, quiet: bool, check_deps: bool, color: str
) -> None:
    """What each CI job builds: every matrix cell's runner and the wheel tags computed
    with cibuildwheel's own option reader (maturin's targets, the runner's arch for
    python -m build). Exit 0 when a released job builds win_arm64 wheels (or no Windows
    wheels are built), 1 when Windows wheels are built but none for ARM64, 2 when the
    input cannot be read."""
    from analyzer.ci import read_ci
    from analyzer.inputs import open_input
    from analyzer.report import ci as ci_report

    gaps = None
    try:
        with open_input(source, index_url=index_url, log=lambda m: click.echo(m, err=True)) as opened:
            model = read_ci(opened.root)
            if check_deps:
                gaps = _dependency_gaps(model, opened.root, index_url)
    except InputProblem as error:
        raise OperationalError(str(error)) from None
    if not quiet and json_out != "-":
        _echo_text(ci_report.render_text(model, gaps), color)
    if json_out:
        _write(json_out, ci_report.render_json(model, opened.label, gaps))
    missing = model.targets_windows() and not model.ships_win_arm64()
    sys.exit(EXIT_FINDINGS if missing else EXIT_CLEAN)


PRECISE_PYTHON = "3.13"  # the Python whose headers precise mode parses units with


def _dependency_gaps(model: Any, root: Path, index_url: str | None) -> Any:
    """The win_arm64 cells whose build requirements have no wheel on the index."""
    from analyzer.ci.depwheels import tree_dependency_gaps
    from analyzer.paths import default_cache_dir

    return tree_dependency_gaps(model, root, lambda: _open_index(index_url, default_cache_dir()))


def _precise_sdk(precise: bool, sdk_dir: Path | None, cache_dir: Path | None) -> Path | None:
    """The include directory of a Windows CPython SDK already at hand, for precise mode
    (so that units including Python.h parse); None, with a hint, when there is none."""
    from analyzer.paths import default_cache_dir

    if not precise:
        return None
    from analyzer.sdk.provider import local_sdk

    sdk = local_sdk(PRECISE_PYTHON, (cache_dir or default_cache_dir()) / "sdk", sdk_dir)
    if sdk is None:
        click.echo(
            "note: no Windows CPython SDK at hand: units that include Python.h fall back to the fast mode"
            f" (woaport sdk --python {PRECISE_PYTHON} makes one)",
            err=True,
        )
        return None
    return sdk.include


def _workers(requested: int) -> int:
    """``-j``: 0 means one per core; more than the cores or the memory hold is capped, and
    the user is told."""
    from analyzer.pool import available_memory, capped_jobs
    from analyzer.scan import default_jobs

    if not requested:
        return default_jobs()
    jobs, why = capped_jobs(requested, os.cpu_count() or 1, available_memory())
    if why:
        click.echo(f"note: {why}", err=True)
    return jobs


def _repository_scan(inputs: tuple[str, ...]) -> tuple[list[str], set[str]]:
    """``--in-repo``: scan the repository around the current directory (so guards and
    macros defined in other files are followed) and report the given files only."""
    from analyzer.changed import OutsideRepository, repository_files
    from analyzer.inputs import repository_root

    base = repository_root(Path.cwd()) or Path.cwd().resolve()
    try:
        return [str(base)], repository_files(base, inputs)
    except OutsideRepository as error:
        raise click.UsageError(str(error)) from None


def exit_code(result: ScanResult, fail_on: str, fail_on_maybe: bool) -> int:
    from analyzer.verdict import fails

    return EXIT_FINDINGS if fails(result, fail_on, fail_on_maybe) else EXIT_CLEAN


@main.command("fix")
@click.argument("source", default=".", metavar="[PATH|SDIST|pypi:NAME[==VERSION]|git+URL[@REF]]")
@click.option("--diff", "mode", flag_value="diff", default=True, help="Print the patch (default).")
@click.option("--apply", "mode", flag_value="apply", help="Write the changes into PATH.")
@click.option(
    "--only",
    multiple=True,
    metavar="ci,build,code",
    help="Kinds of fixes to make (default: all): ci (workflows, cibuildwheel), build (setup.py, CMake), "
    "code (C/C++ conditions).",
)
@click.option("--markdown", "markdown_out", metavar="FILE|-", help="Write pull-request text.")
@click.option(
    "--force", is_flag=True, help="With --apply: write even if the git tree has uncommitted changes."
)
@click.option(
    "--target", "targets", multiple=True, metavar="MODEL,...", help="Compiler models (default: all)."
)
@click.option(
    "--python",
    "--prove",
    "prove_python",
    metavar="X.Y",
    help="With --markdown: compile and link the patched tree for win_arm64 with this Python "
    "(as woaport prove --python) and say so.",
)
@click.option("--index-url", metavar="URL", help="Package index (default: as pip/uv are configured).")
@click.option("-q", "--quiet", is_flag=True, help="No notes or summary on standard error.")
@_colour_option
def fix_command(
    source: str,
    mode: str,
    only: tuple[str, ...],
    markdown_out: str | None,
    force: bool,
    targets: tuple[str, ...],
    prove_python: str | None,
    index_url: str | None,
    quiet: bool,
    color: str,
) -> None:
    """Write the patch that resolves the findings woaport can fix safely, and list the
    rest as manual work. Nothing from PATH is run; --apply writes only inside PATH. A
    repository (git+URL[@REF]), an sdist or a project on the index (pypi:NAME) is
    unpacked into a temporary directory: the patch is printed relative to its root (git
    apply it in your own checkout)."""
    from analyzer.archive import is_archive
    from analyzer.inputs import open_input

    with ExitStack() as stack:
        local = Path(source)
        if local.exists() and not is_archive(local):
            path = local
        else:
            if mode == "apply":
                raise click.UsageError(
                    "--apply writes into a local tree: get the project's sources, then fix them there"
                )
            try:
                opened = stack.enter_context(
                    open_input(source, index_url=index_url, log=lambda m: click.echo(m, err=True))
                )
            except InputProblem as error:
                raise OperationalError(str(error)) from None
            path = opened.root
            # Said even with -q: a patch applied at the wrong root must not pass unnoticed.
            click.echo(f"woaport: the patch is relative to the root of {opened.label}", err=True)
        _fix(path, mode, only, markdown_out, force, targets, prove_python, index_url, quiet, color)


def _fix(
    path: Path,
    mode: str,
    only: tuple[str, ...],
    markdown_out: str | None,
    force: bool,
    targets: tuple[str, ...],
    prove_python: str | None = None,
    index_url: str | None = None,
    quiet: bool = False,
    color: str = "auto",
) -> None:
    from analyzer.fix import pr as pr_text
    from analyzer.fix.engine import ApplyRefused, apply_plan, fix_tree, render_diff, verify
    from analyzer.fix.model import Unfixable
    from analyzer.scan import ScanOptions, default_jobs
    from analyzer.targets import select_targets

    categories = frozenset(_split(only)) or frozenset(CATEGORIES)
    unknown = categories - set(CATEGORIES)
    if unknown:
        raise click.UsageError(f"--only takes {', '.join(CATEGORIES)}; not {', '.join(sorted(unknown))}")
    try:
        target_names = tuple(_split(targets))
        select_targets(list(target_names))
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    options = ScanOptions(targets=target_names, jobs=default_jobs())
    run = fix_tree(path, categories, options)
    result, plan, check = run.result, run.plan, run.ci_check

    def note(message: str) -> None:
        if not quiet:
            click.echo(message, err=True)

    if check is not None:
        state = "verified" if check.verified else "NOT verified, withheld"
        note(f"ci patch: {state}: {check.reason}")
    for rel, why in plan.problems:
        note(f"warning: {rel}: {why}")
    for item in sorted(plan.manual, key=lambda m: m.finding.sort_key()):
        loc = item.finding.location
        note(f"manual: {loc.path}:{loc.line} {item.finding.rule_id}: {item.reason}")
    fixed = sum(len(e.resolved) for e in plan.edits)
    manual = {(m.finding.location.path, m.finding.location.line, m.finding.rule_id) for m in plan.manual}
    summary = (
        f"{len(plan.edits)} file(s) changed, {fixed} finding(s) fixed, {len(manual)} left for manual work"
    )
    if markdown_out:
        verification = verify(path, plan, result, options) if plan.edits else None
        proof = _prove_patched(path, plan, options, prove_python, index_url) if prove_python else None
        _write(markdown_out, pr_text.render(plan, result.rules, verification, proof))
    if mode == "apply":
        try:
            written = apply_plan(path, plan, force=force)
        except (ApplyRefused, Unfixable) as error:
            raise OperationalError(str(error)) from None
        for rel in written:
            note(f"fixed {rel}")
    elif markdown_out != "-":
        _echo_text(render_diff(plan), color)
    note(summary)


def _project_list_options(func: Callable[..., None]) -> Callable[..., None]:
    """NAMES, --top N and --top-file FILE: the projects a status or survey run covers."""
    func = click.option(
        "--top-file",
        type=click.Path(path_type=Path, dir_okay=False, exists=True),
        help="Another download-ordered list (text: a name a line; or JSON). Default: the built-in one.",
    )(func)
    func = click.option(
        "--top", "top", type=click.IntRange(1), metavar="N", help="The N most-downloaded projects."
    )(func)
    return click.argument("names", nargs=-1)(func)


@main.command("status")
@_project_list_options
@click.option(
    "--python",
    "pythons",
    multiple=True,
    metavar="X.Y[t],...",
    help=f"Target Pythons (default: {','.join(DEFAULT_PYTHONS)}; 't' = free-threaded).",
)
@click.option(
    "--json", "json_out", metavar="FILE|-", help="Write the results as JSON (schema woaport-status/2)."
)
@click.option(
    "--html",
    "html_dir",
    metavar="DIR",
    type=click.Path(path_type=Path, file_okay=False),
    help="Write a static dashboard to DIR/index.html.",
)
@click.option("--scan", "scan_blocked", is_flag=True, help="Scan the sdists of amber/source-only projects.")
@click.option("--no-deps", is_flag=True, help="Skip core metadata (no dependents in the port queue).")
@click.option("--index-url", metavar="URL", help="Package index (default: as pip/uv are configured).")
@click.option(
    "--db",
    "db_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="History database (default: status.sqlite in the user cache directory).",
)
@click.option("--no-db", is_flag=True, help="Do not record this run in the history database.")
@click.option("--strict", is_flag=True, help="Exit 2 when a named project is not on the index (a typo).")
@click.option(
    "--cache-dir",
    metavar="DIR",
    type=click.Path(path_type=Path, file_okay=False),
    help="Where index answers are cached (default: the user cache directory).",
)
@click.option("--no-cache", is_flag=True, help="Neither read nor write the index cache.")
@click.option(
    "--max-age",
    type=click.FloatRange(0),
    metavar="SECONDS",
    help="Use cached index pages this young without asking (default: as the index says).",
)
@click.option(
    "-j", "--jobs", default=32, show_default=True, type=click.IntRange(1, 128), help="Parallel lookups."
)
@click.option(
    "--retries",
    default=3,
    show_default=True,
    type=click.IntRange(0, 10),
    help="Retries per request (timeouts, 429, 5xx, malformed answers).",
)
@click.option("--timeout", default=30.0, show_default=True, type=click.FloatRange(0.1), help="Seconds.")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@click.option("-q", "--quiet", is_flag=True, help="No table and no progress bar.")
@_colour_option
def status_command(
    names: tuple[str, ...],
    top: int | None,
    top_file: Path | None,
    pythons: tuple[str, ...],
    json_out: str | None,
    html_dir: Path | None,
    scan_blocked: bool,
    no_deps: bool,
    index_url: str | None,
    db_path: Path | None,
    no_db: bool,
    strict: bool,
    cache_dir: Path | None,
    no_cache: bool,
    max_age: float | None,
    jobs: int,
    retries: int,
    timeout: float,
    no_progress: bool,
    quiet: bool,
    color: str,
) -> None:
    """Which projects publish wheels for Windows on Arm, per target Python: native,
    partial, pure, pure-sdist, amber, source-only or missing; and which to port first.

    Give project NAMES, or --top N for the most-downloaded ones. Exit 0 when every
    project was looked up, 2 when any could not be (it is reported as "error")."""
    from analyzer.index.config import IndexConfigError
    from analyzer.index.errors import IndexFetchError
    from analyzer.paths import default_cache_dir
    from analyzer.status.command import (
        StatusRequest,
        run_status,
        status_exit_failed,
        unique_count,
    )
    from analyzer.status.history import default_db_path as default_status_db
    from analyzer.status.html import render_dashboard, write_dashboard
    from analyzer.status.report import error_lines, status_json, status_table
    from analyzer.status.run import CheckOptions

    chosen = tuple(dict.fromkeys(_split(pythons))) or DEFAULT_PYTHONS
    for python in chosen:
        if not re.fullmatch(r"3\.\d{1,2}t?", python):
            raise click.UsageError(f"--python takes versions like 3.12 or 3.13t, not {python!r}")
    projects = _project_list(names, top, top_file)
    request = StatusRequest(
        projects=projects,
        label=projects.label(names, top),
        pythons=chosen,
        check=CheckOptions(pythons=chosen, dependencies=not no_deps, scan_blocked=scan_blocked),
        index_url=index_url,
        cache_dir=None if no_cache else (cache_dir or default_cache_dir()) / "index",
        max_age=max_age,
        jobs=jobs,
        retries=retries,
        timeout=timeout,
        history_db=None if no_db else db_path or default_status_db(),
    )
    try:
        with ExitStack() as stack:
            tick = None
            if not (no_progress or quiet) and sys.stderr.isatty():
                bar = stack.enter_context(
                    click.progressbar(length=unique_count(projects.names), label="checking", file=sys.stderr)
                )
                tick = lambda done, all_: bar.update(1)  # noqa: E731
            outcome = run_status(request, tick)
    except (IndexConfigError, IndexFetchError) as error:
        raise OperationalError(str(error)) from None
    except KeyboardInterrupt:
        click.echo("interrupted: nothing recorded", err=True)
        sys.exit(130)
    report = outcome.report
    for missing in (r for r in report.results if r.klass == "missing"):
        guess = f"; did you mean {' or '.join(missing.did_you_mean)}?" if missing.did_you_mean else ""
        click.echo(f"{missing.name}: not on the index{guess}", err=True)
    for warning in outcome.warnings:
        click.echo(f"warning: {warning}", err=True)
    if json_out:
        _write(json_out, status_json(report))
    if html_dir is not None:
        page = render_dashboard(report, outcome.trend)
        try:
            written = write_dashboard(html_dir, page)
        except OSError as error:
            raise OperationalError(f"cannot write the dashboard: {error}") from None
        click.echo(f"dashboard: {written}", err=True)
    for line in error_lines(report):
        click.echo(f"error: {line}", err=True)
    if json_out != "-" and not quiet:
        _echo_text(status_table(report), color)
    sys.exit(EXIT_USAGE if status_exit_failed(outcome, strict) else EXIT_CLEAN)


def _project_list(names: tuple[str, ...], top: int | None, top_file: Path | None) -> ProjectList:
    """The projects a status or survey run covers (NAMES, --top, --top-file)."""
    from analyzer.status.command import project_list
    from analyzer.status.toplist import TopListError

    try:
        return project_list(names, top, top_file)
    except TopListError as error:
        raise OperationalError(str(error)) from None
    except ValueError as error:
        raise click.UsageError(str(error)) from None


def _prove_patched(path: Path, plan: Any, options: ScanOptions, python: str, index_url: str | None) -> str:
    """woaport prove on a scratch copy of the tree with the fix applied: one sentence."""
    from analyzer.fix.prove import prove_patched
    from analyzer.paths import default_cache_dir
    from analyzer.sdk.provider import SdkError

    cache = default_cache_dir()
    try:
        return prove_patched(
            path,
            plan,
            options,
            python,
            cache,
            lambda: _open_index(index_url, cache),
            lambda message: click.echo(message, err=True),
        )
    except SdkError as error:
        raise OperationalError(f"--prove: {error}") from None


@main.command("survey")
@_project_list_options
@click.option(
    "--out",
    "out_dir",
    metavar="DIR",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("woaport-survey"),
    show_default=True,
    help="Where DIR/worklist.html and DIR/patches/ go (beside a status dashboard written there).",
)
@click.option(
    "--json", "json_out", metavar="FILE|-", help="Write the survey as JSON (schema woaport-survey/1)."
)
@click.option(
    "-j",
    "--jobs",
    default=0,
    metavar="N",
    type=click.IntRange(0, 256),
    help="Local Dask worker processes, one project each (default: one per core; 1: no cluster).",
)
@click.option("--scheduler", metavar="tcp://HOST:PORT", help="Run the tasks on this Dask cluster instead.")
@click.option(
    "--python",
    "--prove-python",
    "prove_python",
    default="3.13",
    show_default=True,
    metavar="X.Y",
    help="The CPython the proof compiles and links against.",
)
@click.option("--no-prove", is_flag=True, help="Scan and fix only: no compile-and-link proof.")
@click.option(
    "--also",
    multiple=True,
    metavar="CLASS,...",
    help="Survey these status classes too (no-windows: projects with no Windows wheel at all).",
)
@click.option(
    "--ci-from",
    metavar="DIR",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    help="Where an sdist ships no CI: lay DIR/NAME/ over it (a checkout, or just its CI files).",
)
@click.option(
    "--no-repo-ci",
    is_flag=True,
    help="Where an sdist ships no CI, do not clone the repository its metadata names to read its CI.",
)
@click.option(
    "--refresh", is_flag=True, help="Survey again what was already surveyed for the current version."
)
@click.option("--index-url", metavar="URL", help="Package index (default: as pip/uv are configured).")
@click.option(
    "--db",
    "db_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="History database (default: status.sqlite in the user cache directory).",
)
@click.option("--no-db", is_flag=True, help="Neither reuse nor record results (no resume).")
@click.option("--cache-dir", metavar="DIR", type=click.Path(path_type=Path, file_okay=False), help="Cache.")
@click.option("--timeout", default=30.0, show_default=True, type=click.FloatRange(0.1), help="Seconds.")
@click.option("-q", "--quiet", is_flag=True, help="No worklist on the terminal and no progress lines.")
@click.option("--no-progress", is_flag=True, help="No line per finished project.")
@_colour_option
def survey_command(
    names: tuple[str, ...],
    top: int | None,
    top_file: Path | None,
    out_dir: Path,
    json_out: str | None,
    jobs: int,
    scheduler: str | None,
    prove_python: str,
    no_prove: bool,
    also: tuple[str, ...],
    ci_from: Path | None,
    no_repo_ci: bool,
    refresh: bool,
    index_url: str | None,
    db_path: Path | None,
    no_db: bool,
    cache_dir: Path | None,
    timeout: float,
    quiet: bool,
    no_progress: bool,
    color: str,
) -> None:
    """For every project that needs a Windows-on-Arm port (amber, regressed or
    source-only): fetch its latest sdist (with its repository's CI when the sdist ships
    none: --ci-from, or a shallow clone), scan it, make and verify the fix, prove it
    compiles and links for win_arm64, and class what blocks it. Writes the ranked
    worklist (DIR/worklist.html), one patch file per project (DIR/patches/) and, with
    --json, the results. Each project runs as a task on Dask with the survey limits;
    results are kept in the history database, so a re-run goes on where it stopped.
    Exit 0 when every project was surveyed, 1 when one failed, 2 on usage or index errors."""
    from analyzer.paths import default_cache_dir
    from analyzer.status.classify import StatusClass
    from analyzer.status.history import default_db_path as default_status_db
    from analyzer.survey.command import SurveyRequest, SurveyRunError, survey_projects
    from analyzer.survey.report import survey_json, survey_text
    from analyzer.survey.run import SurveyOptions

    if not re.fullmatch(r"3\.\d{1,2}", prove_python):
        raise click.UsageError(f"--python takes a version like 3.13, not {prove_python!r}")
    extra = frozenset(_split(also))
    known = {str(k) for k in StatusClass}
    if extra - known:
        raise click.UsageError(f"--also takes status classes ({', '.join(sorted(known))})")
    if scheduler and not re.match(r"^(tcp|tls|inproc|ucx)://", scheduler):
        raise click.UsageError(f"--scheduler takes a Dask address like tcp://HOST:8786, not {scheduler!r}")
    projects = _project_list(names, top, top_file)

    def log(message: str) -> None:
        if not quiet:
            click.echo(message, err=True)

    request = SurveyRequest(
        projects=projects,
        label=projects.label(names, top) or " ".join(sorted(names)),
        options=SurveyOptions(
            timeout=timeout,
            jobs=jobs or max(1, os.cpu_count() or 1),
            scheduler=scheduler or "",
            refresh=refresh,
            also=extra,
            ci_from=str(ci_from.resolve()) if ci_from else "",
            repo_ci=not no_repo_ci,
        ),
        prove_python="" if no_prove else prove_python,
        cache_root=cache_dir or default_cache_dir(),
        out_dir=out_dir,
        index_url=index_url,
        history_db=None if no_db else db_path or default_status_db(),
    )
    try:
        outcome = survey_projects(
            request,
            log,
            warn=lambda message: click.echo(f"note: {message}", err=True),
            progress=(lambda _: None) if no_progress else log,
        )
    except SurveyRunError as error:
        raise OperationalError(str(error)) from None
    except KeyboardInterrupt:
        click.echo("interrupted: the projects finished so far are kept; run again to go on", err=True)
        sys.exit(130)
    log(f"worklist: {outcome.worklist}")
    if json_out:
        _write(json_out, survey_json(outcome.report, outcome.patches))
    if json_out != "-" and not quiet:
        _echo_text(survey_text(outcome.report, outcome.patches), color)
    sys.exit(EXIT_USAGE if outcome.lookup_failed() else EXIT_FINDINGS if outcome.failed() else EXIT_CLEAN)


@main.command("rules")
@click.argument("rule_id", required=False)
@click.option(
    "--json",
    "json_out",
    metavar="FILE|-",
    is_flag=False,
    flag_value="-",
    help="Write the list as JSON (alone: to standard output).",
)
@click.option("--markdown", "as_markdown", is_flag=True, help="As the markdown table in the README.")
@_colour_option
def rules_command(rule_id: str | None, json_out: str | None, as_markdown: bool, color: str) -> None:
    """List the rules, or explain one (woaport rules WOA130)."""
    import json

    from analyzer.rules import default_rules, retired_rules

    rules = default_rules()
    if rule_id:
        matching = [r for r in rules if r.id == rule_id.upper() or r.name == rule_id]
        retired = retired_rules().get(rule_id.upper()) or retired_rules().get(rule_id)
        if not matching and retired is not None:
            click.echo(retired.explain())
            return
        if not matching:
            raise click.UsageError(f"no rule {rule_id!r} (see 'woaport rules')")
        from analyzer.docs import rule_markdown

        click.echo(rule_markdown(matching[0]))
        return
    if as_markdown:
        from analyzer.docs import rules_table

        click.echo(rules_table(rules), nl=False)
        return
    if json_out:
        _write(
            json_out,
            json.dumps(
                [
                    {
                        "id": r.id,
                        "name": r.name,
                        "severity": r.severity.value,
                        "languages": sorted(x.value for x in r.languages),
                        "models": list(r.models),
                        "summary": r.summary,
                        "category": r.category,
                        "autofix": r.autofix,
                    }
                    for r in rules
                ],
                indent=2,
            )
            + "\n",
        )
        return
    from analyzer.docs import fix_label

    rows = (f"{r.id}  {r.severity.value:7}  {fix_label(r):13}  {r.name:32}  {r.summary}\n" for r in rules)
    _echo_text("".join(rows), color)


@main.command("build-plan")
@click.argument("source", default=".", metavar="[PATH|SDIST|NAME[==VERSION]]")
@click.option("--target", "targets", multiple=True, metavar="MODEL,...", help="Only these target models.")
@click.option("--json", "json_out", metavar="FILE|-", help="Write the plan as JSON.")
@click.option("--index-url", metavar="URL", help="Package index (default: as pip/uv are configured).")
@click.option("--include-vendored", is_flag=True, help="Also list files in vendored directories.")
@click.option("-q", "--quiet", is_flag=True, help="No text report.")
@_colour_option
def build_plan_command(
    source: str,
    targets: tuple[str, ...],
    json_out: str | None,
    index_url: str | None,
    include_vendored: bool,
    quiet: bool,
    color: str,
) -> None:
    """Show what the static build model decided: per target model, the sources each
    build target compiles (or not, or maybe), the compile probes that fail, and the
    macros the build defines. The build files are read, never run."""
    from analyzer.inputs import open_input
    from analyzer.project import TreeOptions, open_project
    from analyzer.report.buildplan import render_json, render_text
    from analyzer.rules import default_rules
    from analyzer.targets import load_targets, select_targets

    try:
        chosen = select_targets(_split(targets))
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    models = tuple(m.name for m in chosen)

    def log(message: str) -> None:
        click.echo(message, err=True)

    try:
        with open_input(source, index_url=index_url, log=log) as opened:
            if not opened.root.is_dir():
                raise click.UsageError(f"{source}: a build plan needs a source tree or sdist, not a file")
            options = TreeOptions(include_vendored=include_vendored, cython=False)
            project = open_project(opened.root, options, default_rules(), load_targets())
            plan, label = project.plan, opened.label
    except InputProblem as error:
        raise OperationalError(str(error)) from None
    for warning in project.warnings:
        click.echo(f"woaport: {warning.message}", err=True)
    if json_out:
        _write(json_out, render_json(plan, models, label))
    if json_out != "-" and not quiet:
        _echo_text(render_text(plan, models, label), color)


@main.command("prove")
@click.argument("source", default=".", metavar="[PATH|SDIST|NAME[==VERSION]|git+URL]")
@click.option("--python", "pythons", multiple=True, metavar="X.Y,...", help="Target Pythons (default: 3.13).")
@click.option(
    "--out",
    "out_dir",
    metavar="DIR",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("woaport-prove"),
    show_default=True,
    help="Where the .pyd files go.",
)
@click.option("--json", "json_out", metavar="FILE|-", help="Write the proof as JSON.")
@click.option(
    "--python-sdk",
    "sdk_dir",
    metavar="DIR",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    help="A directory with cpython-X.Y-win-arm64/ SDKs (default: $WOAPORT_PYTHON_SDK, the cache, Debian).",
)
@click.option("--index-url", metavar="URL", help="Package index (default: as pip/uv are configured).")
@click.option("--cache-dir", metavar="DIR", type=click.Path(path_type=Path, file_okay=False), help="Cache.")
@click.option(
    "-j", "--jobs", default=2, show_default=True, type=click.IntRange(1, 64), help="Parallel compiles."
)
@click.option("-q", "--quiet", is_flag=True, help="No text report and no progress lines.")
@click.option("--no-progress", is_flag=True, help="No progress line per module.")
@click.option(
    "--no-requires",
    is_flag=True,
    help="Do not fetch the headers of the build requirements (pyproject.toml) from the index.",
)
@_colour_option
def prove_command(
    source: str,
    pythons: tuple[str, ...],
    out_dir: Path,
    json_out: str | None,
    sdk_dir: Path | None,
    index_url: str | None,
    cache_dir: Path | None,
    jobs: int,
    quiet: bool,
    no_progress: bool,
    no_requires: bool,
    color: str,
) -> None:
    """Compile and link the package's extension modules for Windows ARM64 with zig cc
    (clang + mingw-w64) against a Windows CPython SDK, and check each .pyd is an ARM64 PE
    importing the right Python DLL. Modules, sources and flags come from the static build
    model: nothing from the package runs. Exit 0 when every module built, 1 when one did
    not, 2 on usage or input errors. cl.exe-only problems are not proven here (see scan)."""
    from analyzer.inputs import open_input
    from analyzer.paths import default_cache_dir
    from analyzer.prove import ModuleProof, failed_modules
    from analyzer.prove.report import render_json, render_text
    from analyzer.prove.session import ProofSettings, find_toolchain, prove_source
    from analyzer.sdk.provider import checked, find_sdk

    chosen = tuple(dict.fromkeys(_split(pythons))) or ("3.13",)
    for python in chosen:
        if not re.fullmatch(r"3\.\d{1,2}", python):
            raise click.UsageError(
                f"--python takes versions like 3.13, not {python!r} (free-threaded: not yet)"
            )

    def log(message: str) -> None:
        click.echo(message, err=True)

    def said(proof: ModuleProof, seconds: float) -> None:
        state = "built" if proof.built else proof.reason or ("not proven" if proof.not_proven else "failed")
        log(f"  {state:16} {proof.module} (CPython {proof.python}) {seconds:.1f} s")

    cache = cache_dir or default_cache_dir()
    settings = ProofSettings(
        requires_cache=cache / "requires",
        zig_cache=cache / "zig",
        open_index=None if no_requires else lambda: _open_index(index_url, cache),
        jobs=jobs,
    )
    try:
        toolchain = find_toolchain()
        sdks = [checked(find_sdk(python, cache / "sdk", sdk_dir, log=log)) for python in chosen]
        with open_input(source, index_url=index_url, log=log) as opened:
            if not opened.root.is_dir():
                raise click.UsageError(f"{source}: prove needs a source tree or sdist, not a file")
            proof = prove_source(
                opened.root, sdks, toolchain, out_dir, settings, log, None if quiet or no_progress else said
            )
            if proof.result is None:
                raise OperationalError(
                    f"{source}: no build the static model can read (setup.py, meson, CMake)"
                )
            result, label = proof.result, opened.label
    except InputProblem as error:
        raise OperationalError(str(error)) from None
    if json_out:
        _write(json_out, render_json(result, label, out_dir))
    if json_out != "-" and not quiet:
        _echo_text(render_text(result, label, out_dir), color)
    sys.exit(EXIT_FINDINGS if failed_modules(result) else EXIT_CLEAN)


def _open_index(index_url: str | None, cache: Path) -> SimpleIndex:
    """The package index the user configured (or ``index_url``), its answers cached below
    ``cache``."""
    from analyzer.index.config import open_configured_index

    return open_configured_index(index_url, cache / "index")


@main.command("sdk")
@click.option("--python", "pythons", multiple=True, metavar="X.Y,...", help="Pythons (default: 3.13).")
@click.option(
    "--python-sdk",
    "sdk_dir",
    metavar="DIR",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    help="A directory with cpython-X.Y-win-arm64/ SDKs to use instead.",
)
@click.option("--cache-dir", metavar="DIR", type=click.Path(path_type=Path, file_okay=False), help="Cache.")
@click.option("--rebuild", is_flag=True, help="Remove the cached SDK first and make it again.")
@click.argument(
    "check_paths",
    metavar="[WHEEL_OR_PYD]...",
    nargs=-1,
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
)
def sdk_command(
    pythons: tuple[str, ...],
    sdk_dir: Path | None,
    cache_dir: Path | None,
    rebuild: bool,
    check_paths: tuple[Path, ...],
) -> None:
    """Fetch (once) and show the Windows ARM64 CPython SDK that prove uses: headers, the
    Windows pyconfig.h and ARM64 import libraries, built from CPython's sources in Debian's
    signed archive. Prints one line per Python: its directory and where it came from.
    Given win_arm64 wheels or .pyd files, also compares the SDK with what their modules
    import from CPython's DLLs (one line per module, each name the SDK lacks; exit 1 if
    any): a module a project ships was linked against the real DLLs."""
    import shutil

    from analyzer.paths import default_cache_dir
    from analyzer.sdk.provider import SdkError, checked, find_sdk, sdk_name

    chosen = tuple(dict.fromkeys(_split(pythons))) or ("3.13",)
    cache = (cache_dir or default_cache_dir()) / "sdk"
    sdks = []
    for python in chosen:
        if not re.fullmatch(r"3\.\d{1,2}", python):
            raise click.UsageError(f"--python takes versions like 3.13, not {python!r}")
        if rebuild:
            shutil.rmtree(cache / sdk_name(python), ignore_errors=True)
        try:
            sdk = checked(find_sdk(python, cache, sdk_dir, log=lambda m: click.echo(m, err=True)))
        except SdkError as error:
            raise OperationalError(str(error)) from None
        click.echo(f"{python}\t{sdk.root}\t{sdk.source}")
        sdks.append(sdk)
    if check_paths and not _sdk_covers([sdk.libs for sdk in sdks], check_paths):
        sys.exit(1)


def _sdk_covers(libs: list[Path], paths: tuple[Path, ...]) -> bool:
    from analyzer.sdk.coverage import CoverageError, check_paths, sdk_exports

    try:
        results = check_paths(paths, sdk_exports(*libs))
    except CoverageError as error:
        raise OperationalError(str(error)) from None
    for result in results:
        status = "lacks" if result.missing else "covered" if result.checked else "skipped"
        detail = f"{len(result.imported)} name(s) from {', '.join(result.checked)}" if result.checked else ""
        note = "; ".join(part for part in (detail, result.skipped) if part)
        click.echo(f"{status:8}  {result.source}  ({note})")
        for dll, name in result.missing:
            click.echo(f"          {dll}: {name}")
    lacking = sum(len(r.missing) for r in results)
    compared = sum(1 for r in results if r.checked)
    click.echo(
        f"{compared} of {len(results)} module(s) compared; the SDK lacks {lacking} name(s) they import"
        if lacking
        else f"{compared} of {len(results)} module(s) compared; the SDK has every name they import",
        err=True,
    )
    return not lacking


@main.command("init")
@click.argument("path", default=".", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option("--rev", metavar="COMMIT", help="Pin this woaport commit (default: the one installed).")
@click.option("--branch", metavar="NAME", help="The branch the workflow runs on (default: the repository's).")
@click.option("--force", is_flag=True, help="Replace an existing, different .github/workflows/woaport.yml.")
def init_command(path: Path, rev: str | None, branch: str | None, force: bool) -> None:
    """Add woaport to a repository: its pre-commit hook in .pre-commit-config.yaml and a
    code-scanning workflow (.github/workflows/woaport.yml), both pinned to a commit of
    woaport, the workflow on the repository's default branch."""
    from analyzer.init import COMMIT, InitError, default_branch, installed_commit, write_setup

    commit = rev or installed_commit()
    if commit is None or not COMMIT.fullmatch(commit):
        raise click.UsageError(
            "cannot tell which woaport commit is installed (it was not installed from git):"
            " pass --rev with a full commit hash"
            if rev is None
            else f"--rev takes a full 40-hex-digit commit, not {rev!r}"
        )
    chosen = branch or default_branch(path)
    if chosen is None:
        raise click.UsageError(f"{path}: no git checkout says its default branch: pass --branch")
    try:
        written = write_setup(path, commit, chosen, force)
    except InitError as error:
        raise OperationalError(str(error)) from None
    for item in written:
        click.echo(f"{item.action:9}  {item.path}")
    click.echo(f"pinned woaport {commit[:12]}; the workflow runs on {chosen}. Then: pre-commit install")


@main.command("targets")
@click.option("--markdown", "as_markdown", is_flag=True, help="As the markdown table in the README.")
def targets_command(as_markdown: bool) -> None:
    """List the target compiler models and the macros that tell them apart."""
    from analyzer.docs import key_macros, targets_table
    from analyzer.targets import RULES_DIR, load_targets

    models = load_targets().models
    if as_markdown:
        click.echo(targets_table(models), nl=False)
        return
    for model in models:
        defined, missing = key_macros(model)
        click.echo(f"{model.name:16} {model.description}")
        click.echo(f"{'':16} defines: {' '.join(defined)}")
        click.echo(f"{'':16} not:     {' '.join(missing)}")
    click.echo(f"(macro sets: {RULES_DIR / 'targets.json'})")


if __name__ == "__main__":  # pragma: no cover
    main()
