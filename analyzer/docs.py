"""Per-rule documentation, generated from the rule data (docs/rules/WOAnnn.md)."""

from __future__ import annotations

from pathlib import Path

from analyzer.rules import Rule

# Code-fence language per rule language (the first one, alphabetically, when several).
_FENCES = {
    "c": "c",
    "cpp": "cpp",
    "rust": "rust",
    "setup-py": "python",
    "pyproject": "toml",
    "cmake": "cmake",
    "meson": "meson",
    "cargo": "toml",
    "workflow": "yaml",
    "fortran": "fortran",
}


def fix_label(rule: Rule) -> str:
    """``code, auto`` / ``ci, manual``: the fix category and whether ``woaport fix`` does it."""
    return f"{rule.category}, {'auto' if rule.autofix else 'manual'}"


def rule_markdown(rule: Rule) -> str:
    fence = rule.doc.example_language or next(
        (_FENCES[x.value] for x in sorted(rule.languages, key=lambda x: x.value)), "c"
    )
    refs = "\n".join(f"- <{r}>" for r in rule.doc.references)
    return f"""# {rule.id}: {rule.name}

**{rule.summary}**

| | |
|---|---|
| Severity | `{rule.severity.value}` |
| Languages | {", ".join(sorted(x.value for x in rule.languages))} |
| Bites on | {", ".join(f"`{m}`" for m in rule.models)} |
| Family | `{rule.family}` |
| Fix category | `{rule.category}` |
| Automatic fix | {f"yes: `woaport fix` (fixer `{rule.autofix}`)" if rule.autofix else "no: manual work"} |

## Why this matters on Windows on Arm

{rule.doc.why}

## Bad

```{fence}
{rule.doc.bad}
```

## Good

```{fence}
{rule.doc.good}
```

## Fix

{rule.doc.fix}

Suggested fallback reported with each finding: {rule.fallback or "see the finding"}

Suppress one occurrence with a comment on the line (or the comment line above):
`woaport: ignore[{rule.id}]`.

## References

{refs}
"""


def write_docs(rules: tuple[Rule, ...], directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for rule in rules:
        path = directory / f"{rule.id}.md"
        path.write_text(rule_markdown(rule), encoding="utf-8")
        written.append(path)
    index = ["# woaport rules", "", "| ID | Name | Severity | Fix | Summary |", "|---|---|---|---|---|"]
    index += [
        f"| [{r.id}]({r.id}.md) | {r.name} | {r.severity.value} | {fix_label(r)} | {r.summary} |"
        for r in rules
    ]
    (directory / "README.md").write_text("\n".join(index) + "\n", encoding="utf-8")
    return written
