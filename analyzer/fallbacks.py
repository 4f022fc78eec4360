"""x86 intrinsic -> NEON / sse2neon / SIMDe / generic suggestion (data: rules/fallbacks.toml)."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from analyzer.targets import RULES_DIR


@dataclass(frozen=True)
class Fallback:
    intrinsic: str
    neon: str | None
    generic: str | None
    note: str | None
    sse2neon: bool | None
    simde: bool | None

    def describe(self) -> str:
        parts = []
        if self.neon:
            parts.append(f"NEON: {self.neon}")
        if self.generic:
            parts.append(f"generic: {self.generic}")
        if self.sse2neon is not None:
            parts.append(f"sse2neon: {'yes' if self.sse2neon else 'no'}")
        if self.simde is not None:
            parts.append(f"SIMDe: {'yes' if self.simde else 'no'}")
        if self.note:
            parts.append(f"note: {self.note}")
        return "; ".join(parts)


@dataclass(frozen=True)
class FallbackTable:
    entries: dict[str, dict[str, object]]
    families: tuple[tuple[re.Pattern[str], dict[str, object]], ...]

    def lookup(self, intrinsic: str) -> Fallback | None:
        entry = self.entries.get(intrinsic)
        family: dict[str, object] = {}
        for pattern, defaults in self.families:
            if pattern.fullmatch(intrinsic):
                family = defaults
                break
        if entry is None and not family:
            return None
        merged = {**family, **(entry or {})}

        def text(key: str) -> str | None:
            value = merged.get(key)
            return str(value) if value is not None else None

        def flag(key: str) -> bool | None:
            value = merged.get(key)
            return bool(value) if value is not None else None

        return Fallback(
            intrinsic, text("neon"), text("generic"), text("note"), flag("sse2neon"), flag("simde")
        )


def load_fallbacks(path: Path = RULES_DIR / "fallbacks.toml") -> FallbackTable:
    with open(path, "rb") as handle:
        data = tomllib.load(handle)
    families = tuple(
        (re.compile(str(f["pattern"])), {k: v for k, v in f.items() if k != "pattern"})
        for f in data.get("family", [])
    )
    return FallbackTable(entries=dict(data.get("intrinsic", {})), families=families)


@lru_cache(maxsize=1)
def default_fallbacks() -> FallbackTable:
    return load_fallbacks()
