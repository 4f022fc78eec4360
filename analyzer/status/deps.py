"""Which projects a release needs on Windows on Arm, from its core metadata (pure).

``Requires-Dist`` entries are kept when their environment marker holds on Windows on Arm
for at least one target Python, with no extra selected: optional features and
dependencies of other platforms do not block a WoA install.
"""

from __future__ import annotations

from email.parser import BytesParser
from email.policy import compat32

from packaging.markers import Marker, UndefinedComparison, UndefinedEnvironmentName
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from analyzer.index.simple import DistFile
from analyzer.index.wheels import wheel_parts
from analyzer.wheeltags import windows_arm64_markers

# Markers as CPython on Windows ARM64 sees them (one definition, in the index vocabulary).
woa_environment = windows_arm64_markers


def _applies(marker: Marker | None, pythons: tuple[str, ...]) -> bool:
    if marker is None:
        return True
    for python in pythons:
        try:
            if marker.evaluate(woa_environment(python)):
                return True
        except (UndefinedComparison, UndefinedEnvironmentName):
            return True  # a marker we cannot decide: keep the dependency (the cautious side)
    return False


def requirements_of(metadata: bytes, pythons: tuple[str, ...]) -> tuple[str, ...]:
    """Normalised names of the projects the metadata requires on WoA (sorted, unique)."""
    message = BytesParser(policy=compat32).parsebytes(metadata, headersonly=True)
    names: set[str] = set()
    for value in message.get_all("Requires-Dist") or []:
        try:
            requirement = Requirement(str(value))
        except InvalidRequirement:
            continue
        if _applies(requirement.marker, pythons):
            names.add(str(canonicalize_name(requirement.name)))
    return tuple(sorted(names))


def _platform_order(filename: str) -> int:
    """Which wheel to read metadata from when the index has no PEP 658 files: a pure
    wheel is small and says what every platform needs; then Windows, then the rest."""
    parts = wheel_parts(filename)
    if parts is None:
        return 9
    platforms = {t.platform for t in parts[1]}
    if "any" in platforms:
        return 0
    if "win_arm64" in platforms:
        return 1
    if any(p.startswith("win") for p in platforms):
        return 2
    return 3


def metadata_sources(files: tuple[DistFile, ...]) -> tuple[list[DistFile], list[DistFile]]:
    """(files whose PEP 658 metadata the index serves, wheels to read it from otherwise),
    each best first."""
    wheels = sorted(
        (f for f in files if f.filename.endswith(".whl")),
        key=lambda f: (_platform_order(f.filename), f.filename),
    )
    served = [f for f in wheels if f.core_metadata] + [
        f for f in files if not f.filename.endswith(".whl") and f.core_metadata
    ]
    return served, wheels
