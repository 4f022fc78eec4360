"""Load and validate the rule files in ``rules/``.

Each family file holds ``[[rule]]`` entries; ``patterns.toml`` holds named regexes that
rules refer to as ``@name``. A malformed file is a :class:`RuleError` naming the file and
the offending entry: rules are data, so their errors must read like data errors.
"""

from __future__ import annotations

import hashlib
import json
import os
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from analyzer.kinds import FieldReader, RuleError, parse_match
from analyzer.kinds.rule import Rule, RuleDoc, load_patterns, rule_doc_path, x86_only_pattern
from analyzer.model import CATEGORIES, Language, Severity
from analyzer.native import kinds as native_kinds
from analyzer.targets import RULES_DIR, load_targets

# The match kinds register themselves when imported: analyzer.kinds holds the generic,
# build and CI kinds; the C/C++/Rust kinds live beside the native views they read.
KIND_MODULES = (native_kinds,)

NON_RULE_FILES = frozenset({"patterns.toml", "fallbacks.toml", "retired.toml"})

__all__ = [
    "CATEGORIES",
    "Rule",
    "RuleDoc",
    "RuleError",
    "default_rules",
    "load_patterns",
    "load_rules",
    "rule_doc_path",
    "select_rules",
    "x86_only_pattern",
]


@lru_cache(maxsize=1)
def _schema() -> dict[str, Any]:
    return dict(json.loads((RULES_DIR / "schema.json").read_text(encoding="utf-8")))


@lru_cache(maxsize=1)
def _validator() -> Any:
    """One validator for every rule file: jsonschema.validate() re-checks the schema itself
    on each call, which was half of a small scan's start-up time."""
    import jsonschema

    schema = _schema()
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _field_reader(patterns: dict[str, str]) -> FieldReader:
    targets = load_targets()
    groups: dict[str, tuple[str, ...]] = {name: (name,) for name in targets.names}
    groups.update(targets.groups)
    return FieldReader(patterns, groups)


def _build_rule(entry: dict[str, Any], family: str, reader: FieldReader, where: str) -> Rule:
    where = f"{where}: {entry['id']}"
    languages = frozenset(Language(x) for x in entry["languages"])
    doc = entry["doc"]
    return Rule(
        id=entry["id"],
        name=entry["name"],
        family=family,
        severity=Severity(entry["severity"]),
        languages=languages,
        models=reader.models(entry["models"], f"{where}: models"),
        summary=entry["summary"],
        message=entry["message"],
        fallback=entry.get("fallback"),
        match=parse_match(entry["match"], languages, reader, where),
        category=entry["category"],
        autofix=entry.get("autofix"),
        cross_compile_only=bool(entry.get("cross_compile_only", False)),
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


# Rule files parsed and schema-checked once per content: the check and the TOML parse are
# most of a one-file scan's start-up. A JSON copy per content digest in the user cache is
# read instead (json is several times faster than tomllib); editing a file changes its
# digest, so an edit is parsed and checked again.
_PARSED_DIR = "rules-parsed"
_PARSED_KEPT = 200  # copies kept (old versions' files are pruned beyond this)


def _parsed_dir() -> Path:
    from analyzer.paths import default_cache_dir

    return default_cache_dir() / _PARSED_DIR


def _cached_parse(digest: str) -> dict[str, Any] | None:
    try:
        data = json.loads((_parsed_dir() / f"{digest}.json").read_bytes())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _remember_parse(digest: str, data: dict[str, Any]) -> None:
    folder = _parsed_dir()
    try:
        text = json.dumps(data)
    except (TypeError, ValueError):
        return  # a TOML date or other non-JSON value: parse this file every time
    try:
        folder.mkdir(parents=True, exist_ok=True)
        partial = folder / f"{digest}.{os.getpid()}.tmp"
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, folder / f"{digest}.json")  # a reader never sees half a file
        kept = sorted(folder.glob("*.json"), key=lambda f: f.stat().st_mtime)
        for old in kept[:-_PARSED_KEPT]:
            old.unlink(missing_ok=True)
    except OSError:
        pass  # a read-only cache only costs the parse next time


@lru_cache(maxsize=1)
def _schema_bytes() -> bytes:
    return (RULES_DIR / "schema.json").read_bytes()


def _check_schema(path: Path, data: dict[str, Any]) -> None:
    import jsonschema

    try:
        problem = jsonschema.exceptions.best_match(_validator().iter_errors(data))
        if problem is not None:
            raise problem
    except jsonschema.ValidationError as error:
        location = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        raise RuleError(f"{path.name}: {location}: {error.message}") from None


def _parsed_rule_file(path: Path) -> dict[str, Any]:
    """The rule file's data, schema-checked: from the cache when this content (and this
    schema) was checked before."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise RuleError(f"{path.name}: {error}") from None
    digest = hashlib.sha256(raw + b"\0" + _schema_bytes()).hexdigest()
    cached = _cached_parse(digest)
    if cached is not None:
        return cached
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise RuleError(f"{path.name}: {error}") from None
    _check_schema(path, data)
    _remember_parse(digest, data)
    return data


def load_rule_file(path: Path, patterns: dict[str, str]) -> list[Rule]:
    data = _parsed_rule_file(path)
    reader = _field_reader(patterns)
    return [_build_rule(entry, data["family"], reader, path.name) for entry in data["rule"]]


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
def default_rules() -> tuple[Rule, ...]:
    return load_rules()


@dataclass(frozen=True)
class RetiredRule:
    """A rule ID that is no longer used (never reused): why, and where the check went."""

    id: str
    name: str
    why: str
    now: str

    def explain(self) -> str:
        return f"{self.id} ({self.name}) is retired: {self.why} {self.now}"


@lru_cache(maxsize=1)
def retired_rules(rules_dir: Path = RULES_DIR) -> dict[str, RetiredRule]:
    """The retired IDs (``rules/retired.toml``), by ID and by name."""
    data = tomllib.loads((rules_dir / "retired.toml").read_text(encoding="utf-8"))
    found = [RetiredRule(str(e["id"]), str(e["name"]), str(e["why"]), str(e["now"])) for e in data["retired"]]
    return {key: rule for rule in found for key in (rule.id, rule.name)}


def select_rules(rules: tuple[Rule, ...], select: list[str], ignore: list[str]) -> tuple[Rule, ...]:
    """``--select``/``--ignore`` by ID, ID prefix (``WOA1``) or rule name. A retired ID
    is an error that says where its check went (it selects nothing any more)."""

    def matches(rule: Rule, spec: str) -> bool:
        spec = spec.strip()
        return rule.id.startswith(spec.upper()) or rule.name == spec

    for spec in [*select, *ignore]:
        if not any(matches(rule, spec) for rule in rules):
            retired = retired_rules().get(spec.strip().upper()) or retired_rules().get(spec.strip())
            if retired is not None:
                raise ValueError(retired.explain())
            raise ValueError(f"no rule matches {spec!r} (see 'woaport rules')")
    chosen = [r for r in rules if not select or any(matches(r, s) for s in select)]
    return tuple(r for r in chosen if not any(matches(r, s) for s in ignore))
