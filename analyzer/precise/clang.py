"""Precise mode: each translation unit parsed by libclang once per target model.

What a front end sees that the fast scanner cannot: which ``#include`` directives are
really processed, and which declarations a use really refers to — through the package's
own macros (``#define LOADU(p) _mm_loadu_ps(p)`` is reported where ``LOADU`` is used) and
typedefs. Findings carry the fast mode's rule IDs (the token and include rules' own
patterns decide the rule), so the two modes merge.

Headers. libclang from PyPI ships no compiler headers; clang's own (``immintrin.h``,
``arm_neon.h``, ``intrin.h``...) are taken from the ``ziglang`` package's ``lib/include``.
No Windows SDK, CRT or Python headers exist on a scanning machine, so every other ``<...>``
header a file names becomes an empty stand-in: the declarations it would provide are then
undeclared, which is harmless here because only identifiers that match a rule count.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analyzer.kinds.rule import Rule
from analyzer.model import TargetModel
from analyzer.native.kinds import C_FAMILY, AsmMatch, IncludeMatch, TokenMatch
from analyzer.precise import PreciseUnavailable as PreciseUnavailable

_UNDECLARED = re.compile(
    r"(?:use of undeclared identifier|call to undeclared (?:library )?function|unknown type name"
    r"|implicit declaration of function|undeclared identifier) '([A-Za-z_]\w*)'"
)
_IDENTIFIER = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Toolchain:
    builtin_headers: Path  # clang's own headers (from ziglang)

    def version(self) -> str:
        """libclang's version and where the builtin headers come from (cache keys)."""
        import importlib.metadata

        import clang.cindex as ci

        lib = ci.conf.lib
        lib.clang_getClangVersion.restype = ci._CXString
        lib.clang_getClangVersion.errcheck = ci._CXString.from_result
        try:
            headers = "ziglang " + importlib.metadata.version("ziglang")
        except importlib.metadata.PackageNotFoundError:
            headers = "headers"
        return f"{lib.clang_getClangVersion()} / {headers} at {self.builtin_headers}"

    @staticmethod
    def locate() -> Toolchain:
        try:
            import clang.cindex  # noqa: F401  (checks that libclang's bindings import)
            import ziglang
        except ImportError as error:
            raise PreciseUnavailable(
                f"precise mode needs libclang and ziglang: pip install 'woaport[precise]' ({error})"
            ) from None
        builtin = Path(ziglang.__file__).resolve().parent / "lib" / "include"
        if not (builtin / "immintrin.h").is_file():
            raise PreciseUnavailable(f"clang's builtin headers not found in {builtin}")
        return Toolchain(builtin)


@dataclass(frozen=True)
class Hit:
    """One rule hit in a translation unit's main file, under one model."""

    rule_id: str
    line: int
    column: int
    end_column: int
    token: str
    via: str = ""  # the macro or typedef the hit was found through, if any
    # The name resolves to the package's own declaration (a vendored sse2neon.h, a shim):
    # not a blocker, and evidence against a fast-mode finding at the same place.
    provided: bool = False


@dataclass
class UnitResult:
    hits: dict[Hit, set[str]] = field(default_factory=dict)  # hit -> models it occurs on
    failures: dict[str, str] = field(default_factory=dict)  # model -> why it could not parse
    # model -> (first, last) line ranges of the main file the preprocessor skipped
    skipped: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    # Every file the unit read besides itself and clang's headers: what a cached result
    # depends on.
    depends_on: set[str] = field(default_factory=set)

    def to_json(self) -> dict[str, object]:
        return {
            "hits": [
                [h.rule_id, h.line, h.column, h.end_column, h.token, h.via, h.provided, sorted(models)]
                for h, models in self.hits.items()
            ],
            "failures": self.failures,
            "skipped": {m: [list(r) for r in ranges] for m, ranges in self.skipped.items()},
            "depends_on": sorted(self.depends_on),
        }

    @staticmethod
    def from_json(data: dict[str, Any]) -> UnitResult:
        hits = {
            Hit(str(r), int(ln), int(c), int(e), str(t), str(v), bool(p)): set(ms)
            for r, ln, c, e, t, v, p, ms in data["hits"]
        }
        skipped = {str(m): [(int(a), int(b)) for a, b in rs] for m, rs in data["skipped"].items()}
        return UnitResult(hits, dict(data["failures"]), skipped, set(data["depends_on"]))

    def provided_at(self, model: str, line: int, column: int) -> bool:
        return any(
            h.provided and h.line == line and h.column == column and model in models
            for h, models in self.hits.items()
        )

    def is_skipped(self, model: str, line: int) -> bool:
        return any(first <= line <= last for first, last in self.skipped.get(model, ()))


def model_args(model: TargetModel, known_macros: frozenset[str], undefine: re.Pattern[str]) -> list[str]:
    """Clang arguments for ``model``: its target, and ``-U`` for every macro matching
    ``undefine`` (architecture and compiler-identity macros, patterns.toml) that some
    target defines but the pinned model does not: libclang's msvc target adds
    ``__aarch64__`` and ``__clang__`` that cl.exe lacks, its arm64ec target adds
    ``__x86_64__`` that cl.exe /arm64EC lacks."""
    args = list(model.clang_args)
    if "_MSC_VER" in model.defines:
        version = int(model.defines["_MSC_VER"])
        args.append(f"-fms-compatibility-version={version // 100}.{version % 100}")
    for name in sorted(known_macros - set(model.defines)):
        if undefine.fullmatch(name):
            args.append(f"-U{name}")
    return args


def _rule_for(token: str, rules: Iterable[Rule], syntax: str) -> Rule | None:
    for rule in rules:
        if isinstance(rule.match, TokenMatch) and rule.match.accepts(token.encode(), syntax):
            return rule
    return None


def include_rule(header: str, rules: Iterable[Rule]) -> Rule | None:
    for rule in rules:
        if isinstance(rule.match, IncludeMatch) and rule.match.names(header):
            return rule
    return None


def analyze_unit(
    path: Path,
    language_args: list[str],
    models: dict[str, list[str]],
    include_dirs: list[Path],
    toolchain: Toolchain,
    stub_dir: Path,
    rules: tuple[Rule, ...],
) -> UnitResult:
    """Parse ``path`` once per model and collect rule hits located in it."""
    import clang.cindex as ci

    result = UnitResult()
    index = ci.Index.create()
    main = str(path)
    lines = path.read_bytes().split(b"\n")
    common = [
        *language_args,
        "-ffreestanding",
        "-nostdinc",
        "-w",
        "-ferror-limit=0",
        "-fasm-blocks",  # parse MSVC __asm blocks (clang then reports them as MS asm)
        "-isystem",
        str(stub_dir / "before"),
        "-isystem",
        str(toolchain.builtin_headers),
        "-isystem",
        str(stub_dir / "after"),
        *(f"-I{d}" for d in include_dirs),
    ]
    overlay = stub_dir / "overlay.yaml"
    if overlay.is_file():  # written by run_precise: what the parse may read
        common += ["-ivfsoverlay", str(overlay)]
    for model, target_args in models.items():
        try:
            unit = index.parse(
                main,
                args=[*target_args, *common],
                options=ci.TranslationUnit.PARSE_DETAILED_PROCESSING_RECORD,
            )
        except ci.TranslationUnitLoadError as error:
            result.failures[model] = f"libclang could not parse it ({error})"
            continue
        fatal = [d for d in unit.diagnostics if d.severity >= ci.Diagnostic.Fatal]
        if fatal:
            d = fatal[0]
            result.failures[model] = f"{d.spelling} (line {d.location.line})"
            continue
        result.skipped[model] = _skipped_lines(unit, main)
        for inclusion in unit.get_includes():
            name = Path(str(inclusion.include.name)).resolve()
            if not name.is_relative_to(toolchain.builtin_headers) and not name.is_relative_to(
                stub_dir.resolve()
            ):
                result.depends_on.add(str(name))
        c_rules = tuple(r for r in rules if r.languages & C_FAMILY)  # a unit is C or C++
        for hit in _unit_hits(unit, main, c_rules, lines, toolchain.builtin_headers):
            result.hits.setdefault(hit, set()).add(model)
    return result


def _skipped_lines(unit: object, main: str) -> list[tuple[int, int]]:
    """Line ranges of ``main`` in #if branches the preprocessor skipped (libclang's
    clang_getAllSkippedRanges, which the Python bindings do not wrap)."""
    import ctypes

    import clang.cindex as ci

    class _RangeList(ctypes.Structure):
        _fields_ = [("count", ctypes.c_uint), ("ranges", ctypes.POINTER(ci.SourceRange))]

    lib = ci.conf.lib
    lib.clang_getAllSkippedRanges.argtypes = [ci.TranslationUnit]
    lib.clang_getAllSkippedRanges.restype = ctypes.POINTER(_RangeList)
    lib.clang_disposeSourceRangeList.argtypes = [ctypes.POINTER(_RangeList)]
    found = lib.clang_getAllSkippedRanges(unit)
    out: list[tuple[int, int]] = []
    try:
        for i in range(found.contents.count):
            span = found.contents.ranges[i]
            if _in_main(span.start, main):
                out.append((span.start.line, span.end.line))
    finally:
        lib.clang_disposeSourceRangeList(found)
    return out


def _declared_by_package(referenced: object, builtin: Path) -> bool:
    """Is the referenced declaration the package's own (a shim such as a vendored
    sse2neon.h, or its own function of that name)? Implicit declarations (an undeclared
    call in C) have an empty extent; clang's own x86 headers live in ``builtin``."""
    extent = getattr(referenced, "extent", None)
    if extent is None or extent.start.file is None or extent.end.offset <= extent.start.offset:
        return False
    return not Path(str(extent.start.file.name)).resolve().is_relative_to(builtin)


def _in_main(location: object, main: str) -> bool:
    file = getattr(location, "file", None)
    return file is not None and str(file.name) == main


def _unit_hits(
    unit: object, main: str, rules: tuple[Rule, ...], lines: list[bytes], builtin: Path
) -> Iterator[Hit]:
    import clang.cindex as ci

    assert isinstance(unit, ci.TranslationUnit)
    # Include directives really processed in this file under this model (the detailed
    # preprocessing record lists each one, even when a guard makes it a no-op).
    for cursor in unit.cursor.get_children():
        if cursor.kind != ci.CursorKind.INCLUSION_DIRECTIVE or not _in_main(cursor.location, main):
            continue
        header = str(cursor.spelling)
        rule = include_rule(header, rules)
        if rule is not None:
            loc = cursor.location
            yield Hit(rule.id, loc.line, loc.column, loc.column, Path(header).name)
    # Identifiers used but not declared (no header, or a stand-in header).
    for diagnostic in unit.diagnostics:
        match = _UNDECLARED.search(diagnostic.spelling)
        if match is None or not _in_main(diagnostic.location, main):
            continue
        token = match.group(1)
        syntax = "type" if diagnostic.spelling.startswith("unknown type") else "call"
        rule = _rule_for(token, rules, syntax) or _rule_for(token, rules, "identifier")
        if rule is not None:
            loc = diagnostic.location
            yield Hit(rule.id, loc.line, loc.column, loc.column + len(token), token)
    # References that resolve to x86 declarations (clang's x86 headers declare them), and
    # asm statements (GNU asm() and MSVC __asm blocks), also where a macro expands to one.
    macros = {
        str(c.spelling): c for c in unit.cursor.get_children() if c.kind == ci.CursorKind.MACRO_DEFINITION
    }
    asm_rules = {
        form: [r for r in rules if isinstance(r.match, AsmMatch) and r.match.form == form]
        for form in ("gnu", "msvc")
    }
    asm_kinds = {ci.CursorKind.ASM_STMT: "gnu", ci.CursorKind.MS_ASM_STMT: "msvc"}
    stack = [c for c in unit.cursor.get_children() if _in_main(c.location, main)]
    kinds = {
        ci.CursorKind.CALL_EXPR: "call",
        ci.CursorKind.DECL_REF_EXPR: "identifier",
        ci.CursorKind.TYPE_REF: "type",
    }
    while stack:
        cursor = stack.pop()
        form = asm_kinds.get(cursor.kind)
        if form is not None and _in_main(cursor.location, main):
            loc = cursor.location
            spelled = _identifier_at(lines, loc.line, loc.column)
            is_macro = spelled in macros and not spelled.startswith(("__asm", "asm", "_asm"))
            source = macros[spelled] if is_macro else cursor
            text = " ".join(t.spelling for t in source.get_tokens())
            for rule in asm_rules[form]:
                assert isinstance(rule.match, AsmMatch)
                if rule.match.accepts(text.encode()):
                    via = spelled if is_macro else ""
                    yield Hit(rule.id, loc.line, loc.column, loc.column + len(spelled or "asm"), "asm", via)
        ref_syntax = kinds.get(cursor.kind)
        if ref_syntax is not None and _in_main(cursor.location, main):
            referenced = cursor.referenced
            token = str((referenced.spelling if referenced is not None else cursor.spelling) or "")
            rule = _rule_for(token, rules, ref_syntax)
            if rule is not None:
                loc = cursor.location
                spelled = _identifier_at(lines, loc.line, loc.column)
                via = "" if spelled in ("", token) else spelled
                provided = referenced is not None and _declared_by_package(referenced, builtin)
                end = loc.column + len(spelled or token)
                yield Hit(rule.id, loc.line, loc.column, end, token, via, provided)
        stack.extend(cursor.get_children())


def _identifier_at(lines: list[bytes], line: int, column: int) -> str:
    """The identifier written at (line, column): a macro's name where a use was expanded
    from one, a typedef's name where a type was written through one."""
    if not 0 < line <= len(lines):
        return ""
    match = _IDENTIFIER.match(lines[line - 1], column - 1)
    return match.group().decode("ascii") if match else ""
