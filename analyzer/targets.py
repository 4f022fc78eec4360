"""The target compiler models (data in ``rules/targets.json``)."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from analyzer.model import TargetModel

# A source checkout or editable install keeps rules/ beside the package; a wheel installs
# them as data files under <prefix>/share/woaport/rules.
_CHECKOUT_RULES = Path(__file__).resolve().parent.parent / "rules"
RULES_DIR = _CHECKOUT_RULES if _CHECKOUT_RULES.is_dir() else Path(sys.prefix) / "share" / "woaport" / "rules"
TARGETS_FILE = RULES_DIR / "targets.json"
SYSTEM_HEADERS_FILE = RULES_DIR / "system-headers.json"


@dataclass(frozen=True)
class TargetData:
    models: tuple[TargetModel, ...]
    known_macros: frozenset[str]
    # Named sets of models rule files may list instead of the models ("arm64-all").
    groups: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Names shaped like compiler/architecture predefines (the closed world, guards.py).
    predefined_shape: re.Pattern[str] = re.compile(r"(?!)")

    def by_name(self, name: str) -> TargetModel:
        for model in self.models:
            if model.name == name:
                return model
        raise KeyError(name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(m.name for m in self.models)


@lru_cache(maxsize=1)
def load_system_headers() -> frozenset[str]:
    """Header names an angle-bracket include takes from the compiler or SDK, never from
    the tree (``rules/system-headers.json``)."""
    raw = json.loads(SYSTEM_HEADERS_FILE.read_text(encoding="utf-8"))
    return frozenset(str(name) for name in raw["names"])


@lru_cache(maxsize=1)
def load_targets() -> TargetData:
    raw = json.loads(TARGETS_FILE.read_text(encoding="utf-8"))
    models = tuple(
        TargetModel(
            name=name,
            description=str(entry["description"]),
            defines={str(k): str(v) for k, v in entry["defines"].items()},
            rust_cfg={str(k): tuple(v) for k, v in entry["rust_cfg"].items()},
            clang_args=tuple(str(x) for x in entry.get("clang_args", ())),
        )
        for name, entry in raw["models"].items()
    )
    names = {m.name for m in models}
    groups = {str(k): tuple(str(x) for x in v) for k, v in raw.get("groups", {}).items()}
    for group, members in groups.items():
        unknown = sorted(set(members) - names)
        if unknown or group in names:
            raise ValueError(
                f"{TARGETS_FILE}: group {group!r} is a model name or names unknown models {unknown}"
            )
    shapes = raw.get("predefined_shapes", {})
    alternatives = [*shapes.get("patterns", []), *(re.escape(n) for n in shapes.get("names", []))]
    shape = re.compile("|".join(f"(?:{a})" for a in alternatives) or "(?!)")
    return TargetData(
        models=models, known_macros=frozenset(raw["known_macros"]), groups=groups, predefined_shape=shape
    )


def select_targets(names: list[str] | None) -> tuple[TargetModel, ...]:
    """The models named (all when ``names`` is empty); unknown names raise ValueError."""
    data = load_targets()
    if not names:
        return data.models
    chosen = []
    for name in names:
        try:
            chosen.append(data.by_name(name))
        except KeyError:
            raise ValueError(f"unknown target model {name!r} (choose from {', '.join(data.names)})") from None
    return tuple(chosen)
