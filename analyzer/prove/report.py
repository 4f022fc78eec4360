"""``woaport prove`` outputs: a text summary and JSON (schema woaport-prove/1) (pure)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from analyzer.prove import ProofResult
from analyzer.report.json import finding_dict

SCHEMA = "woaport-prove/1"


def to_dict(result: ProofResult, label: str, out_dir: Path) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "root": label,
        "model": "mingw-arm64",
        "out": str(out_dir),
        "sdks": [{"python": python, "source": source} for python, source in result.sdks],
        "modules": [
            {
                "module": m.module,
                "python": m.python,
                "compiled": m.compiled,
                "linked": m.linked,
                "built": m.built,
                "output": m.output or None,
                "machine": m.machine or None,
                "imports": list(m.imports),
                "errors": list(m.errors),
                "not_proven": m.not_proven or None,
                "reason": m.reason or None,
                "findings": [finding_dict(f) for f in m.findings],
            }
            for m in result.modules
        ],
        "notes": list(result.notes),
    }


def render_json(result: ProofResult, label: str, out_dir: Path) -> str:
    return json.dumps(to_dict(result, label, out_dir), indent=2, ensure_ascii=False) + "\n"


def render_text(result: ProofResult, label: str, out_dir: Path) -> str:
    built = sum(1 for m in result.modules if m.built)
    total = len(result.modules)
    lines = [f"Proof for {label}: {built} of {total} module build(s) compiled and linked for win_arm64"]
    for python, source in result.sdks:
        lines.append(f"  CPython {python} SDK: {source}")
    for m in result.modules:
        if m.built:
            imported = m.imports[0] if m.imports else "?"
            where = out_dir / m.output
            lines.append(
                f"  ok      {m.module} ({m.python}): {where}, machine {m.machine}, imports {imported}"
            )
        elif m.not_proven:
            lines.append(f"  skipped {m.module} ({m.python}) [{m.reason or 'not proven'}]: {m.not_proven}")
        else:
            stage = "link" if m.compiled else "compile"
            lines.append(f"  FAILED  {m.module} ({m.python}) at {stage}:")
            lines += [f"          {error}" for error in m.errors[:10]]
            if len(m.errors) > 10:
                lines.append(f"          ... and {len(m.errors) - 10} more")
    lines += [f"note: {note}" for note in result.notes]
    return "\n".join(lines) + "\n"
