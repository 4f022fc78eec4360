"""Regenerate docs/rules/ from the rule files: ``python scripts/gen_docs.py``."""

from pathlib import Path

from analyzer.docs import write_docs
from analyzer.rules import default_rules

if __name__ == "__main__":
    written = write_docs(default_rules(), Path(__file__).resolve().parent.parent / "docs" / "rules")
    print(f"wrote {len(written)} rule docs")
