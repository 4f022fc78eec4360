"""Load and validate the rule files in ``rules/``.

Each family file holds ``[[rule]]`` entries; ``patterns.toml`` holds named regexes that
rules refer to as ``@name``. A malformed file is a :class:`RuleError` naming the file and
the offending entry: rules are data, so their errors must read like data errors.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema

from analyzer.model import Language, Severity
from analyzer.targets import RULES_DIR, load_targets

NON_RULE_FILES = frozenset({"patterns.toml", "fallbacks.toml"})


class RuleError(ValueError):
    """A rule file is malformed."""


@dataclass(frozen=True)
class Match:
    kind: str
    pattern: re.Pattern[bytes] | None = None
    exclude: re.Pattern[bytes] | None = None
    syntax: frozenset[str] = frozenset()
    form: str = ""
    condition: re.Pattern[str] | None = None
    condition_excludes: re.Pattern[str] | None = None
    state: str = ""
    taken_on: tuple[str, ...] = ()
    body: re.Pattern[bytes] | None = None
    counterpart: re.Pattern[bytes] | None = None
    outcomes: tuple[tuple[str, Severity], ...] = ()
    # Build and CI rules (analyzer/buildrules.py).
    files: tuple[str, ...] = ()
    key: str = ""
    subject: re.Pattern[str] | None = None

    def outcome(self, what: str, default: Severity) -> Severity:
        return dict(self.outcomes).get(what, default)


@dataclass(frozen=True)
class RuleDoc:
    why: str
    bad: str
    good: str
    fix: str
    references: tuple[str, ...]
    example_language: str = ""  # code-fence language for bad/good, when set


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    family: str
    severity: Severity
    languages: frozenset[Language]
    models: tuple[str, ...]
    summary: str
    message: str
    fallback: str | None
    match: Match
    doc: RuleDoc
    # Literals at least one of which is in any file the rule can match (a fast skip).
    prefilter: tuple[bytes, ...] = ()

    @property
    def help_uri(self) -> str:
        return f"docs/rules/{self.id}.md"


@lru_cache(maxsize=1)
def _schema() -> dict[str, Any]:
    return dict(json.loads((RULES_DIR / "schema.json").read_text(encoding="utf-8")))


@lru_cache(maxsize=1)
def _validator() -> jsonschema.protocols.Validator:
    """One validator for every rule file: jsonschema.validate() re-checks the schema itself
    on each call, which was half of a small scan's start-up time."""
    schema = _schema()
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def load_patterns(rules_dir: Path = RULES_DIR) -> dict[str, str]:
    with open(rules_dir / "patterns.toml", "rb") as handle:
        data = tomllib.load(handle)
    return {str(k): str(v) for k, v in data.get("patterns", {}).items()}


_BOUNDARY_BEFORE_LITERAL = re.compile(r"(?<!\\)\\b([A-Za-z0-9_])(?![?*+{])")  # not "\\b_?"


def fast_start(source: str) -> str:
    """Rewrite ``\\bX`` (X a literal word character) as the equivalent ``X(?<!\\wX)``.

    Python's ``re`` skips quickly through text only when it knows what a match can start
    with; a leading ``\\b`` hides that and made the rule regexes 4-20x slower on large
    files. A word boundary before a word character means "the character before it is not
    a word character", which the lookbehind states after the literal has been matched.
    """
    return _BOUNDARY_BEFORE_LITERAL.sub(lambda m: f"{m.group(1)}(?<!\\w{m.group(1)})", source)


def _compile_bytes(text: str | None, patterns: dict[str, str], where: str) -> re.Pattern[bytes] | None:
    if text is None:
        return None
    source = fast_start(_resolve(text, patterns, where))
    try:
        return re.compile(source.encode())
    except re.error as error:
        raise RuleError(f"{where}: bad regular expression: {error}") from None


def _compile_text(text: str | None, patterns: dict[str, str], where: str) -> re.Pattern[str] | None:
    if text is None:
        return None
    source = _resolve(text, patterns, where)
    try:
        return re.compile(source)
    except re.error as error:
        raise RuleError(f"{where}: bad regular expression: {error}") from None


def _resolve(text: str, patterns: dict[str, str], where: str) -> str:
    if text.startswith("@"):
        if text[1:] not in patterns:
            raise RuleError(f"{where}: unknown pattern {text!r} (not in patterns.toml)")
        return patterns[text[1:]]
    return text


def _build_rule(entry: dict[str, Any], family: str, patterns: dict[str, str], where: str) -> Rule:
    where = f"{where}: {entry['id']}"
    known_models = set(load_targets().names)
    models = tuple(entry["models"])
    m = entry["match"]
    for model in (*models, *m.get("taken_on", [])):
        if model not in known_models:
            raise RuleError(f"{where}: unknown target model {model!r}")
    match = Match(
        kind=m["kind"],
        pattern=_compile_bytes(m.get("pattern"), patterns, where),
        exclude=_compile_bytes(m.get("exclude"), patterns, where),
        syntax=frozenset(m.get("syntax", [])),
        form=m.get("form", ""),
        condition=_compile_text(m.get("condition"), patterns, where),
        condition_excludes=_compile_text(m.get("condition_excludes"), patterns, where),
        state=m.get("state", ""),
        taken_on=tuple(m.get("taken_on", [])),
        body=_compile_bytes(m.get("body"), patterns, where),
        counterpart=_compile_bytes(m.get("counterpart"), patterns, where),
        outcomes=tuple((k, Severity(v)) for k, v in m.get("outcomes", {}).items()),
        files=tuple(m.get("files", [])),
        key=m.get("key", ""),
        subject=_compile_text(m.get("subject"), patterns, where),
    )
    doc = entry["doc"]
    return Rule(
        id=entry["id"],
        name=entry["name"],
        family=family,
        severity=Severity(entry["severity"]),
        languages=frozenset(Language(x) for x in entry["languages"]),
        models=models,
        summary=entry["summary"],
        message=entry["message"],
        fallback=entry.get("fallback"),
        match=match,
        prefilter=tuple(x.encode() for x in entry.get("prefilter", [])),
        doc=RuleDoc(
            doc["why"].strip(),
            doc["bad"].strip("\n"),
            doc["good"].strip("\n"),
            doc["fix"].strip(),
            tuple(doc["references"]),
            doc.get("example_language", ""),
        ),
    )


def load_rule_file(path: Path, patterns: dict[str, str]) -> list[Rule]:
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise RuleError(f"{path.name}: {error}") from None
    try:
        problem = jsonschema.exceptions.best_match(_validator().iter_errors(data))
        if problem is not None:
            raise problem
    except jsonschema.ValidationError as error:
        location = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        raise RuleError(f"{path.name}: {location}: {error.message}") from None
    return [_build_rule(entry, data["family"], patterns, path.name) for entry in data["rule"]]


def load_rules(rules_dir: Path = RULES_DIR) -> tuple[Rule, ...]:
    """Every rule, sorted by ID; duplicate IDs or names are errors."""
    patterns = load_patterns(rules_dir)
    rules: list[Rule] = []
    for path in sorted(rules_dir.glob("*.toml")):
        if path.name not in NON_RULE_FILES:
            rules.extend(load_rule_file(path, patterns))
    seen: dict[str, str] = {}
    for rule in rules:
        for key in (rule.id, rule.name):
            if key in seen:
                raise RuleError(f"{key} is defined twice ({seen[key]} and {rule.family})")
            seen[key] = rule.family
    return tuple(sorted(rules, key=lambda r: r.id))


@lru_cache(maxsize=1)
def x86_only_pattern(rules_dir: Path = RULES_DIR) -> re.Pattern[bytes]:
    """The shared "x86_only" pattern: what makes a branch x86-only code."""
    return re.compile(fast_start(load_patterns(rules_dir)["x86_only"]).encode())


@lru_cache(maxsize=1)
def default_rules() -> tuple[Rule, ...]:
    return load_rules()


def select_rules(rules: tuple[Rule, ...], select: list[str], ignore: list[str]) -> tuple[Rule, ...]:
    """``--select``/``--ignore`` by ID, ID prefix (``WOA1``) or rule name."""

    def matches(rule: Rule, spec: str) -> bool:
        spec = spec.strip()
        return rule.id.startswith(spec.upper()) or rule.name == spec

    for spec in [*select, *ignore]:
        if not any(matches(rule, spec) for rule in rules):
            raise ValueError(f"no rule matches {spec!r} (see 'woaport rules')")
    chosen = [r for r in rules if not select or any(matches(r, s) for s in select)]
    return tuple(r for r in chosen if not any(matches(r, s) for s in ignore))
