"""The match-kind registry: how a rule's ``[rule.match]`` table becomes a typed matcher.

A kind is a frozen dataclass whose fields say, in their metadata, how the TOML value is
read (a bytes or text regex, a list of strings, a choice...). Parsing is therefore generic:
a kind only declares its fields and its matcher, and registering it with :func:`register`
is all it takes for rule files to use it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar, TypeVar

from analyzer.model import Language, Severity


class RuleError(ValueError):
    """A rule file is malformed."""


_BOUNDARY_BEFORE_LITERAL = re.compile(r"(?<!\\)\\b([A-Za-z0-9_])(?![?*+{])")  # not "\\b_?"


def fast_start(source: str) -> str:
    """Rewrite ``\\bX`` (X a literal word character) as the equivalent ``X(?<!\\wX)``.

    Python's ``re`` skips quickly through text only when it knows what a match can start
    with; a leading ``\\b`` hides that and made the rule regexes 4-20x slower on large
    files. A word boundary before a word character means "the character before it is not
    a word character", which the lookbehind states after the literal has been matched.
    """
    return _BOUNDARY_BEFORE_LITERAL.sub(lambda m: f"{m.group(1)}(?<!\\w{m.group(1)})", source)


@dataclass(frozen=True)
class FieldReader:
    """Reads TOML values for kind fields: resolves ``@name`` pattern references
    (``patterns.toml``) and model names or groups (``targets.json``)."""

    patterns: Mapping[str, str]
    model_groups: Mapping[str, tuple[str, ...]]  # every model is a group of itself

    def _resolve(self, text: str, where: str) -> str:
        if text.startswith("@"):
            if text[1:] not in self.patterns:
                raise RuleError(f"{where}: unknown pattern {text!r} (not in patterns.toml)")
            return self.patterns[text[1:]]
        return text

    def bytes_regex(self, value: Any, where: str) -> re.Pattern[bytes]:
        source = fast_start(self._resolve(_string(value, where), where))
        try:
            return re.compile(source.encode())
        except re.error as error:
            raise RuleError(f"{where}: bad regular expression: {error}") from None

    def text_regex(self, value: Any, where: str) -> re.Pattern[str]:
        source = self._resolve(_string(value, where), where)
        try:
            return re.compile(source)
        except re.error as error:
            raise RuleError(f"{where}: bad regular expression: {error}") from None

    def models(self, value: Any, where: str) -> tuple[str, ...]:
        """Model names and group names (``arm64-all``), expanded, in first-seen order."""
        out: list[str] = []
        for name in _strings(value, where):
            if name not in self.model_groups:
                known = ", ".join(sorted(self.model_groups))
                raise RuleError(f"{where}: unknown target model or group {name!r} (known: {known})")
            out.extend(m for m in self.model_groups[name] if m not in out)
        return tuple(out)


def _string(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise RuleError(f"{where}: expected a string, got {type(value).__name__}")
    return value


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
        raise RuleError(f"{where}: expected a list of strings")
    return tuple(value)


# How a field's TOML value is read; each takes (reader, value, where).
_Read = Callable[[FieldReader, Any, str], Any]
READERS: dict[str, _Read] = {
    "bytes_regex": lambda r, v, w: r.bytes_regex(v, w),
    "text_regex": lambda r, v, w: r.text_regex(v, w),
    "string": lambda r, v, w: _string(v, w),
    "strings": lambda r, v, w: _strings(v, w),
    "string_set": lambda r, v, w: frozenset(_strings(v, w)),
    "models": lambda r, v, w: r.models(v, w),
    "severity_map": lambda r, v, w: _severity_map(v, w),
    "bool": lambda r, v, w: _bool(v, w),
}


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise RuleError(f"{where}: expected true or false")
    return value


def _severity_map(value: Any, where: str) -> tuple[tuple[str, Severity], ...]:
    if not isinstance(value, dict):
        raise RuleError(f"{where}: expected a table")
    try:
        return tuple((str(k), Severity(v)) for k, v in value.items())
    except ValueError as error:
        raise RuleError(f"{where}: {error}") from None


def spec(read: str, *, choices: Iterable[str] = (), default: Any = None, required: bool = False) -> Any:
    """A kind field read from TOML with ``READERS[read]``; ``choices`` limits the values."""
    metadata = {"read": read, "choices": frozenset(choices), "required": required}
    if required:
        return field(metadata=metadata)
    return field(default=default, metadata=metadata)


@dataclass(frozen=True)
class MatchKind:
    """One way a rule finds its places. Subclasses set ``name`` and ``languages``, declare
    their TOML fields with :func:`spec`, and implement the matcher their domain calls:
    :mod:`analyzer.native.kinds` (C/C++/Rust views) or :mod:`analyzer.kinds.build`
    (build and CI files)."""

    name: ClassVar[str]
    languages: ClassVar[frozenset[Language]]
    # Precise mode (libclang) answers for this kind as well as the fast mode.
    precise: ClassVar[bool] = False
    # A fact about the project rather than each file: one finding per tree.
    one_per_tree: ClassVar[bool] = False

    @classmethod
    def parse(cls, table: Mapping[str, Any], reader: FieldReader, where: str) -> MatchKind:
        own = {f.name: f for f in fields(cls)}
        unknown = sorted(set(table) - set(own) - {"kind"})
        if unknown:
            raise RuleError(f"{where}: match kind {cls.name!r} takes no {', '.join(unknown)}")
        values: dict[str, Any] = {}
        for name, f in own.items():
            if name not in table:
                if f.metadata.get("required"):
                    raise RuleError(f"{where}: match kind {cls.name!r} needs {name!r}")
                continue
            raw = table[name]
            value = READERS[f.metadata["read"]](reader, raw, f"{where}: match.{name}")
            choices = f.metadata.get("choices") or frozenset()
            # The values to check: a table's keys, a list's items, a string itself.
            chosen = list(raw) if isinstance(raw, dict | list) else [raw]
            bad = [x for x in chosen if choices and x not in choices]
            if bad:
                allowed = ", ".join(sorted(choices))
                raise RuleError(f"{where}: match.{name}: {bad[0]!r} is not one of {allowed}")
            values[name] = value
        return cls(**values)

    def prefilter_regex(self) -> bytes | None:
        """A regex some text of any file this kind can match must contain (a fast skip),
        or None when the kind cannot say."""
        return None

    def applies_to(self, rel: str) -> bool:
        """Does the kind look at this file at all (by name)?"""
        return True


KINDS: dict[str, type[MatchKind]] = {}
K = TypeVar("K", bound=type[MatchKind])


def register(cls: K) -> K:
    """Make a kind available to rule files under ``cls.name``."""
    if cls.name in KINDS:
        raise RuntimeError(f"match kind {cls.name!r} registered twice")
    KINDS[cls.name] = cls
    return cls


def parse_match(
    table: Mapping[str, Any], languages: frozenset[Language], reader: FieldReader, where: str
) -> MatchKind:
    """The typed matcher for a rule's ``[rule.match]`` table."""
    name = table.get("kind")
    cls = KINDS.get(name) if isinstance(name, str) else None
    if cls is None:
        raise RuleError(f"{where}: unknown match kind {name!r} (known: {', '.join(sorted(KINDS))})")
    unsupported = sorted(lang.value for lang in languages - cls.languages)
    if unsupported:
        raise RuleError(f"{where}: match kind {cls.name!r} cannot match {', '.join(unsupported)} files")
    return cls.parse(table, reader, where)
