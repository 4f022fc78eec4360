"""The ``proof`` kind: findings made by ``woaport prove`` (compiler and linker errors
from a real Windows ARM64 build with clang/mingw-w64), not by matching text. A scan never
produces them; the rule exists for its ID, message and documentation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from analyzer.kinds.base import MatchKind, register, spec
from analyzer.model import Language


@register
@dataclass(frozen=True)
class ProofKind(MatchKind):
    name: ClassVar[str] = "proof"
    languages: ClassVar[frozenset[Language]] = frozenset(
        {Language.C, Language.CPP, Language.SETUP_PY, Language.CMAKE, Language.MESON}
    )

    stage: str = spec("string", choices=("compile", "link"), required=True)
