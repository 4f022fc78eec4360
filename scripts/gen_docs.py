"""Regenerate docs/rules/ and the README's generated tables from the rule and target data
(what ``woaport rules`` and ``woaport targets`` print): ``python scripts/gen_docs.py``."""

from pathlib import Path

from analyzer.config import config_table
from analyzer.docs import limits_table, replace_block, rules_table, targets_table, write_docs
from analyzer.rules import default_rules
from analyzer.targets import load_targets

ROOT = Path(__file__).resolve().parent.parent

if __name__ == "__main__":
    written = write_docs(default_rules(), ROOT / "docs" / "rules")
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    text = replace_block(text, "targets", targets_table(load_targets().models))
    text = replace_block(text, "rules", rules_table(default_rules()))
    text = replace_block(text, "limits", limits_table())
    text = replace_block(text, "config", config_table())
    readme.write_text(text, encoding="utf-8")
    print(f"wrote {len(written)} rule docs and the README tables")
