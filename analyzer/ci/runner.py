"""Runner labels and what they mean, and which Pythons setup-python can install there.

Facts (GitHub's runner images and actions/setup-python's manifest): ``windows-11-arm``
is the hosted Windows ARM64 runner; ``windows-latest``/``windows-20xx`` are x64;
``ubuntu-*-arm`` are Linux ARM64; ``macos-13`` is the last Intel macOS image and
``macos-14`` and later are ARM64. CPython's official Windows ARM64 builds start at 3.11,
and setup-python offers ARM64 only from there; there is no PyPy for Windows ARM64.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from analyzer.ci.model import Runner

_MACOS_INTEL = re.compile(r"^macos-1[0-3](?:\b|-)|^macos-latest-large$|-intel$")
FIRST_ARM64_WINDOWS_PYTHON = (3, 11)
SETUP_PYTHON_ARCHS = frozenset({"x64", "x86", "arm64"})


def runner_for(labels: Iterable[str] | None) -> Runner:
    """The runner a ``runs-on`` value (one label, or the labels of a self-hosted runner)
    selects; unknown os/arch when the labels do not say."""
    if labels is None:
        return Runner("?", None, None)
    names = [str(label).strip() for label in labels]
    lowered = [n.lower() for n in names]
    text = ",".join(names)
    os_name: str | None = None
    arch: str | None = None
    for label in lowered:
        if label.startswith("windows") or label == "win":
            os_name = "windows"
        elif label.startswith(("ubuntu", "linux")):
            os_name = "linux"
        elif label.startswith(("macos", "osx", "mac")):
            os_name = "macos"
    for label in lowered:
        if label in ("arm64", "aarch64", "arm") or label.endswith(("-arm", "-arm64", "_arm64")):
            arch = "arm64"
        elif label in ("x64", "amd64", "x86_64"):
            arch = "x64"
        elif label in ("x86", "win32"):
            arch = "x86"
    if arch is None and os_name is not None and not any(label == "self-hosted" for label in lowered):
        # GitHub-hosted images: the label alone decides.
        if os_name == "macos":
            arch = "x64" if any(_MACOS_INTEL.search(label) for label in lowered) else "arm64"
        else:
            arch = "x64"
    return Runner(text, os_name, arch)


def python_version(text: str) -> tuple[int, int] | None:
    """``3.10`` -> (3, 10); PyPy, ranges and unknowns -> None."""
    m = re.match(r"^\s*(?:cpython-?)?3\.(\d+)", text)
    return (3, int(m.group(1))) if m is not None else None


def setup_python_refuses(version: str, arch: str | None, runner: Runner) -> str:
    """Why setup-python cannot install ``version`` for ``arch`` on ``runner`` ("" if it can)."""
    if runner.is_windows and arch and arch.lower() not in SETUP_PYTHON_ARCHS:
        # maturin's "aarch64" given to setup-python: not an architecture it knows
        # (PyO3/maturin-action#346: the build then links the wrong Python).
        return f"setup-python has no architecture {arch!r} (it takes x64, x86 or arm64)"
    effective = arch or runner.arch
    if not runner.is_windows or effective != "arm64":
        return ""
    if version.strip().lower().startswith("pypy"):
        return f"setup-python has no PyPy for Windows ARM64 ({version})"
    parsed = python_version(version)
    if parsed is not None and parsed < FIRST_ARM64_WINDOWS_PYTHON:
        return f"setup-python has no Windows ARM64 build of Python {version} (ARM64 builds start at 3.11)"
    return ""
