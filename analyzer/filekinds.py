"""Every kind of file woaport reads, in one table: how a file is recognised, how a line
holding only a comment looks (a suppression there covers the next line), the code-fence
language of its examples, and how its conditional blocks open and close. A new file kind
is one entry here (plus its ``Language`` member and fixtures); the rule-file schema's
language list is checked against this table by a test.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from analyzer.model import Language

_C_COMMENT = r"^\s*(?://|/\*|\*)"
_HASH_COMMENT = r"^\s*#"


@dataclass(frozen=True)
class FileKind:
    language: Language
    fence: str  # code-fence language of its examples (docs, SARIF help)
    comment_only: re.Pattern[str]
    # How the walk recognises a build/CI file of this kind: exact file names and
    # lower-case suffixes. C, C++ and Rust sources are told by their suffixes in the walk;
    # GitHub workflows and other CI configurations by where they live (``by_path``).
    names: frozenset[str] = frozenset()
    suffixes: frozenset[str] = frozenset()
    by_path: bool = False
    # ``if``/``elseif``/``else``/``endif`` lines: group 1 the keyword, group 2 the rest.
    block: re.Pattern[str] | None = None

    def named(self, name: str) -> bool:
        """Does a file named ``name`` (no folder) belong to this kind by its name?"""
        lower = name.lower()
        return name in self.names or any(lower.endswith(suffix) for suffix in self.suffixes)


FILE_KINDS: tuple[FileKind, ...] = (
    FileKind(Language.C, "c", re.compile(_C_COMMENT)),
    FileKind(Language.CPP, "cpp", re.compile(_C_COMMENT)),
    FileKind(Language.RUST, "rust", re.compile(_C_COMMENT)),
    # setup.py, and the Python build scripts backends run as hooks (poetry's and pdm's
    # build.py, hatch's hatch_build.py).
    FileKind(
        Language.SETUP_PY,
        "python",
        re.compile(_HASH_COMMENT),
        names=frozenset({"setup.py", "build.py", "hatch_build.py"}),
    ),
    FileKind(Language.PYPROJECT, "toml", re.compile(_HASH_COMMENT), names=frozenset({"pyproject.toml"})),
    FileKind(
        Language.CMAKE,
        "cmake",
        re.compile(_HASH_COMMENT),
        names=frozenset({"CMakeLists.txt"}),
        suffixes=frozenset({".cmake"}),
        block=re.compile(r"^\s*(if|elseif|else|endif)\s*\((.*)$", re.IGNORECASE),
    ),
    FileKind(
        Language.MESON,
        "meson",
        re.compile(_HASH_COMMENT),
        names=frozenset({"meson.build", "meson.options", "meson_options.txt"}),
        block=re.compile(r"^\s*(if|elif|else|endif)\b(.*)$"),
    ),
    # Cargo.toml and build.rs (which the Rust rules read too).
    FileKind(
        Language.CARGO,
        "toml",
        re.compile(f"{_HASH_COMMENT}|{_C_COMMENT}"),
        names=frozenset({"Cargo.toml", "build.rs"}),
    ),
    FileKind(Language.WORKFLOW, "yaml", re.compile(_HASH_COMMENT), by_path=True),
    FileKind(Language.CI_CONFIG, "yaml", re.compile(_HASH_COMMENT), by_path=True),
    FileKind(
        Language.FORTRAN,
        "fortran",
        re.compile(r"^\s*!|^[cC*](?:\s|$)"),
        suffixes=frozenset({".f", ".for", ".f77", ".f90", ".f95", ".f03", ".f08", ".fpp"}),
    ),
    FileKind(
        Language.SCRIPT,
        "bat",
        re.compile(r"^\s*(?:#|::|@?[Rr][Ee][Mm](?:\s|$))"),
        suffixes=frozenset({".bat", ".cmd", ".ps1", ".sh"}),
    ),
    FileKind(
        Language.MSBUILD,
        "xml",
        re.compile(r"^\s*<!--"),
        suffixes=frozenset({".vcxproj", ".sln", ".props"}),
    ),
)

FILE_KIND = {kind.language: kind for kind in FILE_KINDS}
