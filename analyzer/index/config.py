"""Which package index to use, as the user's installer would.

Order: an explicit ``--index-url``; ``PIP_INDEX_URL``; ``UV_DEFAULT_INDEX`` /
``UV_INDEX_URL``; pip's configuration files (``index-url`` in ``[global]`` or
``[download]``); uv's ``uv.toml`` (``index-url`` or an ``[[index]]`` marked ``default``);
finally pip's own built-in default, read from pip at run time so that no index host name
is written into woaport.
"""

from __future__ import annotations

import os
import sys
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from analyzer.errors import InputProblem

if TYPE_CHECKING:  # the client loads only when an index is opened
    from analyzer.index.simple import SimpleIndex


class IndexConfigError(RuntimeError, InputProblem):
    """No index could be determined."""


def _pip_config_files(env: Mapping[str, str], home: Path) -> list[Path]:
    """pip's configuration files, lowest priority first, in pip's documented order:
    PIP_CONFIG_FILE, global (XDG_CONFIG_DIRS, /etc), user (legacy, then XDG), site."""
    first = env.get("PIP_CONFIG_FILE")
    if first == os.devnull:
        return []  # pip's documented switch for "load no configuration file"
    files = [Path(first)] if first else []
    if sys.platform == "win32":
        if env.get("PROGRAMDATA"):
            files.append(Path(env["PROGRAMDATA"]) / "pip" / "pip.ini")
        files.append(home / "pip" / "pip.ini")
        if env.get("APPDATA"):
            files.append(Path(env["APPDATA"]) / "pip" / "pip.ini")
    else:
        dirs = env.get("XDG_CONFIG_DIRS", "/etc/xdg").split(os.pathsep)
        files += [Path(d) / "pip" / "pip.conf" for d in dirs if d]
        files.append(Path("/etc/pip.conf"))
        xdg = Path(env["XDG_CONFIG_HOME"]) if env.get("XDG_CONFIG_HOME") else home / ".config"
        files += [home / ".pip" / "pip.conf", xdg / "pip" / "pip.conf"]
    if env.get("VIRTUAL_ENV"):
        files.append(Path(env["VIRTUAL_ENV"]) / ("pip.ini" if sys.platform == "win32" else "pip.conf"))
    return files


def _from_pip_config(paths: list[Path]) -> str | None:
    """The effective ``index-url``: later files override earlier ones and, within a file,
    the ``[download]`` section (the command closest to what woaport does) overrides
    ``[global]``."""
    import configparser  # only when an index is wanted (a local scan starts faster)

    found = None
    for path in paths:
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read(path, encoding="utf-8")
        except (configparser.Error, OSError, UnicodeDecodeError):
            continue
        for section in ("global", "download"):
            if parser.has_option(section, "index-url"):
                found = parser.get(section, "index-url").split()[0]
    return found


def _from_uv_config(env: Mapping[str, str], home: Path) -> str | None:
    xdg = Path(env["XDG_CONFIG_HOME"]) if env.get("XDG_CONFIG_HOME") else home / ".config"
    for path in (xdg / "uv" / "uv.toml", Path("/etc/uv/uv.toml")):
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            continue
        if isinstance(data.get("index-url"), str):
            return str(data["index-url"])
        for index in data.get("index", []) if isinstance(data.get("index"), list) else []:
            if isinstance(index, dict) and index.get("default") and isinstance(index.get("url"), str):
                return str(index["url"])
    return None


def _pip_default() -> str | None:
    try:
        from pip._internal.models.index import PyPI  # pip's own default index
    except Exception:  # pip absent or its internals moved: the caller explains
        return None
    return str(PyPI.simple_url)


def default_index_url(
    explicit: str | None = None, env: Mapping[str, str] | None = None, home: Path | None = None
) -> str:
    env = os.environ if env is None else env
    home = Path.home() if home is None else home
    for candidate in (
        explicit,
        env.get("PIP_INDEX_URL"),
        env.get("UV_DEFAULT_INDEX"),
        env.get("UV_INDEX_URL"),
        _from_pip_config(_pip_config_files(env, home)),
        _from_uv_config(env, home),
        _pip_default(),
    ):
        if candidate:
            return candidate.rstrip("/") + "/"
    raise IndexConfigError("no package index configured: pass --index-url or set PIP_INDEX_URL")


def open_configured_index(index_url: str | None, cache_dir: Path | None) -> SimpleIndex:
    """The package index the user configured (or ``index_url``), its answers cached in
    ``cache_dir`` (None: not cached)."""
    from analyzer.index.httpcache import HttpCache
    from analyzer.index.simple import SimpleIndex

    cache = HttpCache(cache_dir) if cache_dir is not None else None
    return SimpleIndex(default_index_url(index_url), cache=cache)
