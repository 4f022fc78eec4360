"""The wheel tags one build step yields, computed with the build tools' own rules.

cibuildwheel: its own option reader (``cibuildwheel.options.Options``) resolves the
job's environment, the action's inputs, ``[tool.cibuildwheel]`` with its overrides and
``cibuildwheel.toml`` for the runner's native architecture, and its own table of Python
configurations turns them into identifiers (``cp312-win_arm64``). Nothing of
cibuildwheel runs a build here: only its option and selection code is called.

maturin: the target triple (``target`` input, ``--target``) or the runner's own, and the
interpreters (``-i``/``--interpreter``, ``--find-interpreter``, else the Python that
setup-python put on PATH). ``python -m build``, ``pip wheel`` and the like build for the
Python and architecture of the runner (or of setup-python's ``architecture``).
"""

from __future__ import annotations

import contextlib
import io
import re
import shlex
import threading
import types
from collections.abc import Iterator, Mapping
from pathlib import Path

from cibuildwheel.errors import FatalError

from analyzer.ci.model import WIN32, WIN_AMD64, WIN_ARM64, Build, Runner
from analyzer.ci.runner import python_version
from analyzer.paths import inside

# Options whose value changes which identifiers cibuildwheel builds: one of them unknown
# (a secret, another job's output) makes the tags unknown.
SELECTION_KEYS = frozenset(
    {
        "CIBW_ARCHS",
        "CIBW_ARCHS_WINDOWS",
        "CIBW_BUILD",
        "CIBW_SKIP",
        "CIBW_ENABLE",
        "CIBW_PROJECT_REQUIRES_PYTHON",
        "CIBW_CONFIG_FILE",
        "CIBW_PLATFORM",
        "CIBW_ONLY",
    }
)
# Files cibuildwheel's reader opens in the package directory; larger ones are not given
# to it (a hostile tree could make them huge).
_CONFIG_FILES = ("pyproject.toml", "setup.cfg", "setup.py", "cibuildwheel.toml")
_MAX_CONFIG_BYTES = 1024 * 1024
_NATIVE = threading.Lock()  # cibuildwheel reads the host's machine from module globals
_PLATFORM_TAG = {"x64": WIN_AMD64, "arm64": WIN_ARM64, "x86": WIN32}


def cibuildwheel_version() -> str:
    try:
        from cibuildwheel import __version__

        return str(__version__)
    except ImportError:  # pragma: no cover - a declared dependency
        return ""


@contextlib.contextmanager
def _as_if_on(runner: Runner) -> Iterator[None]:
    """cibuildwheel asks ``platform.machine()`` and ``sys.platform`` for the native
    architecture (``auto``, ``native``, ``auto64``): answer as the runner would, Windows
    reporting ``AMD64`` or ``ARM64``, for the duration of one resolution."""
    import cibuildwheel.architecture as architecture

    machine = {"arm64": "ARM64", "x86": "x86", "x64": "AMD64"}.get(runner.arch or "x64", "AMD64")
    with _NATIVE:
        # Module globals of cibuildwheel's, replaced and restored under one lock.
        saved = vars(architecture)["platform_module"], vars(architecture)["sys"]
        setattr(architecture, "platform_module", types.SimpleNamespace(machine=lambda: machine))  # noqa: B010
        setattr(architecture, "sys", types.SimpleNamespace(platform="win32"))  # noqa: B010
        try:
            yield
        finally:
            setattr(architecture, "platform_module", saved[0])  # noqa: B010
            setattr(architecture, "sys", saved[1])  # noqa: B010


def _config_too_large(package: Path) -> str:
    for name in _CONFIG_FILES:
        candidate = package / name
        try:
            if candidate.is_file() and candidate.stat().st_size > _MAX_CONFIG_BYTES:
                return f"{name} is larger than {_MAX_CONFIG_BYTES} bytes: not read"
        except OSError:
            continue
    return ""


def cibuildwheel_build(
    root: Path,
    runner: Runner,
    env: Mapping[str, str | None],
    line: int,
    *,
    package_dir: str | None = ".",
    config_file: str | None = "",
    only: str | None = "",
    archs: str | None = None,
    platform: str | None = None,
    pinned: str = "",
) -> Build:
    """What one cibuildwheel invocation builds on ``runner`` with environment ``env``."""
    if runner.os is None or runner.arch is None:
        return Build("cibuildwheel", line, None, unknown=f"the runner {runner.label!r} is not known")
    chosen = platform or env.get("CIBW_PLATFORM") or "auto"
    if chosen not in ("auto", "windows") or not runner.is_windows:
        # Not a Windows build (Linux under QEMU, macOS arm64...): never Windows on Arm.
        target_os = runner.os if chosen == "auto" else chosen
        archs_value = archs or env.get(f"CIBW_ARCHS_{str(target_os).upper()}") or env.get("CIBW_ARCHS")
        names = (archs_value or runner.arch or "?").replace(",", " ").split()
        return Build("cibuildwheel", line, tuple(f"*-{target_os}_{name}" for name in names))
    unknown = sorted(k for k in SELECTION_KEYS if k in env and env[k] is None)
    archs_in_env = any(env.get(k) for k in ("CIBW_ARCHS", "CIBW_ARCHS_WINDOWS")) or bool(archs)
    if package_dir is None and archs_in_env and not unknown and None not in (config_file, only):
        # The project is built from a folder named when the workflow runs (an sdist it
        # just made): the archs the environment sets decide the platform all the same.
        package_dir = "."
    if unknown or None in (package_dir, config_file, only):
        what = ", ".join(unknown) or "an input of the action"
        return Build("cibuildwheel", line, None, unknown=f"{what} is set when the workflow runs")
    package = inside(root, package_dir or ".", allow_root=True)
    if package is None:
        return Build("cibuildwheel", line, None, unknown="package-dir points outside the tree")
    too_large = _config_too_large(package)
    if too_large:
        return Build("cibuildwheel", line, None, unknown=too_large)
    config = ""
    if config_file:
        resolved = inside(root, config_file.replace("{package}", package_dir or "."))
        if resolved is None:
            return Build("cibuildwheel", line, None, unknown="config-file points outside the tree")
        config = str(resolved)
    known_env = {k: v for k, v in env.items() if v is not None and k.startswith("CIBW_")}
    try:
        identifiers, tested = _resolve(package, config, only or None, archs, runner, known_env)
    except (Exception, FatalError) as error:  # cibuildwheel refuses the configuration
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        ours = cibuildwheel_version()
        if not _same_major(pinned, ours):
            # An enable group the job's version has and this one dropped changes which
            # Pythons are built, not which architectures: resolve without it.
            retried = _resolve_across_versions(package, config, only or None, archs, runner, known_env)
            if retried is None:
                # Options change between major versions (enable groups, defaults): the
                # job's own cibuildwheel may accept what this one refuses. Not judged.
                runs = f"v{pinned}" if pinned != "?" else "a version its ref does not say"
                why = f"cibuildwheel {ours} refuses the options ({first[:120]}); the job runs {runs}"
                return Build("cibuildwheel", line, None, unknown=why)
            identifiers, tested = retried
        else:
            return Build("cibuildwheel", line, (), fails=f"cibuildwheel refuses the options: {first[:200]}")
    allow_empty = (env.get("CIBW_ALLOW_EMPTY") or "").strip().lower() in ("1", "true", "yes", "on")
    if not identifiers and not allow_empty:
        if not _same_major(pinned, cibuildwheel_version()):
            # Which Pythons a version builds by default changes between majors (PyPy,
            # free-threaded): the job's own cibuildwheel may select something here.
            why = "this cibuildwheel selects nothing here; the job's own version may differ"
            return Build("cibuildwheel", line, None, unknown=why)
        refusal = "cibuildwheel selects no build identifier here, and exits with an error"
        return Build("cibuildwheel", line, (), fails=refusal)
    # ARM64 wheels built on an x64 runner cannot be run (tested) there.
    cross = runner.arch != "arm64" and any(i.endswith(WIN_ARM64) for i in identifiers)
    return Build("cibuildwheel", line, tuple(identifiers), tested=tuple(tested), cross=cross)


def _resolve_across_versions(
    package: Path, config: str, only: str | None, archs: str | None, runner: Runner, env: dict[str, str]
) -> tuple[list[str], list[str]] | None:
    """The job pins another major version of cibuildwheel, whose options this one
    refuses (an enable group or a config key it dropped: ``cpython-freethreading``,
    ``free-threaded-support``). Those options choose Pythons, not architectures: resolve
    again without them, from a copy of the project's configuration files with the keys
    this version does not know left out. None when that still fails."""
    import tempfile
    import tomllib

    import tomlkit

    from analyzer.safeload import toml_loads

    kept = _known_enable_groups(env.get("CIBW_ENABLE", ""))
    env = {**env, "CIBW_ENABLE": kept} if kept is not None else env
    with tempfile.TemporaryDirectory(prefix="woaport-cibw-") as scratch:
        copy = Path(scratch)
        for name in _CONFIG_FILES:
            source = package / name
            if source.is_file() and not source.is_symlink():
                (copy / name).write_bytes(source.read_bytes())
        pyproject = copy / "pyproject.toml"
        if pyproject.is_file():
            try:
                data = toml_loads(pyproject.read_text(encoding="utf-8"))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError, RecursionError):
                return None
            table = data.get("tool", {}).get("cibuildwheel")
            if isinstance(table, dict):
                data["tool"]["cibuildwheel"] = _known_options(table)
                pyproject.write_text(tomlkit.dumps(data), encoding="utf-8")
        try:
            return _resolve(copy, config, only, archs, runner, env)
        except (Exception, FatalError):
            return None


def _known_options(table: dict[str, object]) -> dict[str, object]:
    """``[tool.cibuildwheel]`` with only the options (and platform tables) this
    cibuildwheel's defaults name."""
    import tomllib

    from cibuildwheel.util.resources import DEFAULTS

    defaults = tomllib.loads(DEFAULTS.read_text(encoding="utf-8"))["tool"]["cibuildwheel"]
    out: dict[str, object] = {}
    for key, value in table.items():
        if key in defaults and isinstance(defaults[key], dict) and isinstance(value, dict):
            out[key] = {k: v for k, v in value.items() if k in defaults[key]}
        elif key == "overrides" and isinstance(value, list):
            out[key] = [
                {k: v for k, v in o.items() if k == "select" or k in defaults}
                for o in value
                if isinstance(o, dict)
            ]
        elif key in defaults:
            out[key] = value
    enable = out.get("enable")
    if isinstance(enable, list):
        kept = _known_enable_groups(" ".join(str(e) for e in enable))
        out["enable"] = kept.split() if kept is not None else enable
    return out


def _same_major(pinned: str, ours: str) -> bool:
    """Whether the job runs this cibuildwheel's major version: ``pinned`` "" means not
    pinned (pip installs the newest, this one), "?" a ref that does not say (a commit)."""
    if not pinned:
        return True
    return pinned != "?" and bool(ours) and pinned.split(".")[0] == ours.split(".")[0]


def _known_enable_groups(value: str) -> str | None:
    """``value`` without the enable groups this cibuildwheel does not know (None when
    it knows them all, or the value is empty: nothing to retry)."""
    from cibuildwheel.selector import EnableGroup

    known = {g.value for g in EnableGroup}
    groups = value.split()
    kept = [g for g in groups if g in known]
    return " ".join(kept) if groups and len(kept) < len(groups) else None


def _resolve(
    package: Path, config: str, only: str | None, archs: str | None, runner: Runner, env: dict[str, str]
) -> tuple[list[str], list[str]]:
    from cibuildwheel.options import CommandLineArguments, Options
    from cibuildwheel.platforms import windows

    args = CommandLineArguments.defaults()
    args.package_dir = package
    args.config_file = config
    args.only = only
    args.archs = archs
    sink = io.StringIO()
    with _as_if_on(runner), contextlib.redirect_stderr(sink), contextlib.redirect_stdout(sink):
        options = Options("windows", args, env)
        selection = options.globals
        configurations = windows.get_python_configurations(selection.build_selector, selection.architectures)
        identifiers = [c.identifier for c in configurations]
        tested = [
            i for i in identifiers if options.build_options(i).test_command and selection.test_selector(i)
        ]
    return identifiers, tested


# -- maturin ------------------------------------------------------------------------------
_WINDOWS_TARGETS = {
    "x64": "x86_64-pc-windows-msvc",
    "x86_64": "x86_64-pc-windows-msvc",
    "amd64": "x86_64-pc-windows-msvc",
    "aarch64": "aarch64-pc-windows-msvc",
    "arm64": "aarch64-pc-windows-msvc",
    "x86": "i686-pc-windows-msvc",
    "i686": "i686-pc-windows-msvc",
}
_TRIPLE_PLATFORM = {
    "x86_64-pc-windows-msvc": WIN_AMD64,
    "aarch64-pc-windows-msvc": WIN_ARM64,
    "i686-pc-windows-msvc": WIN32,
    "x86_64-pc-windows-gnu": WIN_AMD64,
    "aarch64-pc-windows-gnullvm": WIN_ARM64,
}
_NATIVE_TRIPLE = {
    "x64": "x86_64-pc-windows-msvc",
    "arm64": "aarch64-pc-windows-msvc",
    "x86": "i686-pc-windows-msvc",
}


def maturin_triple(target: str | None, runner: Runner) -> str | None:
    """The Rust target a maturin build compiles for (None: unknown)."""
    if target is None:
        return None
    target = target.strip()
    if not target:
        if not runner.is_windows:
            return f"{runner.arch}-{runner.os}"
        return _NATIVE_TRIPLE.get(runner.arch or "")
    if "-" in target:
        return target
    if runner.is_windows:
        return _WINDOWS_TARGETS.get(target.lower(), target)
    return f"{target}-{runner.os}"


def _interpreter_tag(text: str) -> str:
    lowered = text.lower().removesuffix(".exe")
    pypy = re.search(r"pypy-?3\.?(\d+)", lowered)
    if pypy:
        return f"pp3{pypy.group(1)}"
    version = re.search(r"3\.(\d+)", lowered)
    return f"cp3{version.group(1)}" if version else "py3"


def _interpreters(args: list[str], pythons: tuple[str, ...]) -> tuple[list[str] | None, bool]:
    """The interpreters maturin builds for (None: unknown), and whether any was asked."""
    wanted: list[str] = []
    asked = False
    index = 0
    while index < len(args):
        arg = args[index]
        if arg in ("-i", "--interpreter"):
            asked = True
            index += 1
            while index < len(args) and not args[index].startswith("-"):
                wanted.extend(args[index].split(","))
                index += 1
            continue
        if arg.startswith("--interpreter="):
            asked = True
            wanted.extend(arg.split("=", 1)[1].split(","))
        elif arg in ("--find-interpreter", "-f"):
            asked = True
            wanted.extend(pythons or ["py3"])
        index += 1
    return (wanted or list(pythons) or ["py3"]), asked


def maturin_build(
    runner: Runner, target: str | None, args: str | None, pythons: tuple[str, ...], line: int
) -> Build:
    """What one maturin build (maturin-action or ``maturin build``) yields."""
    triple = maturin_triple(target, runner)
    if triple is None or args is None or runner.arch is None:
        return Build("maturin", line, None, unknown="the target or arguments are set when the workflow runs")
    try:
        words = shlex.split(args, posix=True)
    except ValueError:
        words = args.split()
    for index, word in enumerate(words):
        if word == "--target" and index + 1 < len(words):
            triple = words[index + 1]
        elif word.startswith("--target="):
            triple = word.split("=", 1)[1]
    interpreters, _ = _interpreters(words, pythons)
    platform = _TRIPLE_PLATFORM.get(triple, triple.replace("-", "_"))
    tags = tuple(dict.fromkeys(f"{_interpreter_tag(i)}-{platform}" for i in interpreters or ["py3"]))
    native = _NATIVE_TRIPLE.get(runner.arch or "") if runner.is_windows else None
    cross = runner.is_windows and triple in _TRIPLE_PLATFORM and triple != native
    return Build("maturin", line, tags, target=triple, cross=cross)


def plain_build(runner: Runner, arch: str | None, pythons: tuple[str, ...], line: int, tool: str) -> Build:
    """``python -m build``, ``pip wheel``, ``setup.py bdist_wheel``...: the runner's (or
    setup-python's) architecture, for the Python on PATH."""
    if runner.os is None:
        return Build(tool, line, None, unknown=f"the runner {runner.label!r} is not known")
    effective = arch or runner.arch
    if runner.is_windows:
        platform = _PLATFORM_TAG.get(effective or "", "")
        if not platform:
            return Build(tool, line, None, unknown="the architecture is not known")
    else:
        platform = f"{runner.os}_{effective}"
    versions = [python_version(p) for p in pythons]
    tags = tuple(f"cp{v[0]}{v[1]}-{platform}" if v else f"py3-{platform}" for v in versions) or (
        f"py3-{platform}",
    )
    return Build(tool, line, tuple(dict.fromkeys(tags)))


__all__ = [
    "SELECTION_KEYS",
    "cibuildwheel_build",
    "cibuildwheel_version",
    "maturin_build",
    "maturin_triple",
    "plain_build",
]
