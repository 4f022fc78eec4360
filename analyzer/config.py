"""Project configuration: ``[tool.woaport]`` in ``pyproject.toml`` or the top level of
``woaport.toml``, found from the scanned directory upward (as ruff finds its own) and
stopping at the repository's root. Options given on the command line win.

Only a tree the user points at locally is configured this way: an sdist, a ``pypi:``
project or a ``git+`` URL is somebody else's code, and its own ``[tool.woaport]`` could
otherwise ``ignore`` the very findings a reviewer runs woaport for.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analyzer.model import Severity
from analyzer.safeload import toml_loads

FILE_NAMES = ("woaport.toml", "pyproject.toml")
MAX_CONFIG_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Key:
    """One configuration key: its type, what it does, the option it stands for."""

    kind: str  # "strings", "choice", "bool"
    help: str
    option: str
    choices: tuple[str, ...] = ()


KEYS: dict[str, Key] = {
    "select": Key("strings", "Only these rules (IDs, ID prefixes or names).", "--select"),
    "ignore": Key("strings", "Skip these rules.", "--ignore"),
    "exclude": Key("strings", "gitignore-style patterns of files not to scan.", "--exclude"),
    "target": Key("strings", "Compiler models to check (see `woaport targets`).", "--target"),
    "fail-on": Key(
        "choice",
        "Exit 1 when a finding at or above this severity is found.",
        "--fail-on",
        (*(s.value for s in Severity), "never"),
    ),
    "fail-on-maybe": Key("bool", "Count build-dependent findings for fail-on.", "--fail-on-maybe"),
    "include-vendored": Key(
        "bool", "Also scan vendored folders (vendor/, third_party/...).", "--include-vendored"
    ),
    "include-tests": Key(
        "bool", "Also scan tests/, docs/, examples/, benchmarks/, tools/.", "--include-tests"
    ),
}


class ConfigError(ValueError):
    """A configuration file that cannot be used; the message names the file and key."""


@dataclass(frozen=True)
class Config:
    path: Path | None = None
    values: Mapping[str, Any] = field(default_factory=dict)

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)


@dataclass(frozen=True)
class ScanSettings:
    """The scan options a configuration file can set, as the command line gives them."""

    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    target: tuple[str, ...] = ()
    fail_on: str = "warning"
    fail_on_maybe: bool = False
    include_vendored: bool = False
    include_tests: bool = False

    def with_config(self, config: Config, given: frozenset[str]) -> ScanSettings:
        """These settings with ``config``'s where the command line did not give one
        (``given``: the option names it gave, as click names them: ``fail_on``, ``targets``).
        A flag set on either side is set."""

        def strings(name: str, option: str, mine: tuple[str, ...]) -> tuple[str, ...]:
            return mine if option in given else tuple(config.get(name, ()))

        return ScanSettings(
            select=strings("select", "select", self.select),
            ignore=strings("ignore", "ignore", self.ignore),
            exclude=strings("exclude", "exclude", self.exclude),
            target=strings("target", "targets", self.target),
            fail_on=self.fail_on if "fail_on" in given else str(config.get("fail-on", self.fail_on)),
            fail_on_maybe=self.fail_on_maybe or bool(config.get("fail-on-maybe", False)),
            include_vendored=self.include_vendored or bool(config.get("include-vendored", False)),
            include_tests=self.include_tests or bool(config.get("include-tests", False)),
        )


def _table(path: Path) -> dict[str, Any] | None:
    """The woaport table of ``path`` (None when a pyproject.toml has none)."""
    try:
        if path.stat().st_size > MAX_CONFIG_BYTES:
            raise ConfigError(f"{path}: larger than {MAX_CONFIG_BYTES} bytes")
        data = toml_loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot read it ({error})") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML ({error})") from None
    if path.name == "pyproject.toml":
        tool = data.get("tool")
        table = tool.get("woaport") if isinstance(tool, dict) else None
        if table is None:
            return None
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: [tool.woaport] must be a table")
        return table
    return data


def find_config(start: Path) -> Path | None:
    """The first ``woaport.toml``, or ``pyproject.toml`` with ``[tool.woaport]``, from
    ``start`` (a directory, or a file's directory) upward, not above the repository root
    (a folder holding ``.git``)."""
    here = start.resolve()
    if not here.is_dir():
        here = here.parent
    for folder in (here, *here.parents):
        for name in FILE_NAMES:
            candidate = folder / name
            if not candidate.is_file() or candidate.is_symlink():
                continue
            if name == "woaport.toml":
                return candidate  # woaport's own file: an error in it is the user's to see
            try:
                if _table(candidate) is not None:
                    return candidate
            except ConfigError:
                continue  # a pyproject.toml that does not parse is the scan's to report
        if (folder / ".git").exists():
            return None
    return None


def load_config(path: Path) -> Config:
    """``path``'s woaport settings, each checked against :data:`KEYS`."""
    table = _table(path) or {}
    values: dict[str, Any] = {}
    where = f"{path}{' [tool.woaport]' if path.name == 'pyproject.toml' else ''}"
    for key, value in table.items():
        spec = KEYS.get(key)
        if spec is None:
            raise ConfigError(f"{where}: unknown key {key!r} (known: {', '.join(KEYS)})")
        if spec.kind == "strings":
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"{where}: {key} must be a list of strings")
        elif spec.kind == "bool":
            if not isinstance(value, bool):
                raise ConfigError(f"{where}: {key} must be true or false")
        elif spec.kind == "choice" and value not in spec.choices:
            raise ConfigError(f"{where}: {key} must be one of {', '.join(spec.choices)}, not {value!r}")
        values[key] = value
    return Config(path, values)


def config_table() -> str:
    """The keys as a markdown table (README)."""
    rows = ["| Key | Type | Same as | What it does |", "|---|---|---|---|"]
    kinds = {"strings": "list of strings", "bool": "true/false"}
    for key, spec in KEYS.items():
        kind = " \\| ".join(f"`{c}`" for c in spec.choices) if spec.kind == "choice" else kinds[spec.kind]
        rows.append(f"| `{key}` | {kind} | `{spec.option}` | {spec.help} |")
    return "\n".join(rows) + "\n"
