"""Pull-request text for a fix: what changed, why on Windows on Arm, findings before and
after, what is left to do by hand, and how to test on a windows-11-arm runner."""

from __future__ import annotations

from collections import Counter

from analyzer.fix.engine import Verification
from analyzer.fix.model import FixPlan
from analyzer.rules import Rule

TEST_JOB = """\
```yaml
  test-windows-arm64:
    runs-on: windows-11-arm
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
          architecture: arm64
      - run: python -m pip install . pytest
      - run: python -m pytest
```"""


def _added_lines(before: bytes, after: bytes) -> list[str]:
    """Lines the edit adds or changes (stripped), for the summary."""
    import difflib

    old = before.decode("utf-8").splitlines()
    new = after.decode("utf-8").splitlines()
    return [
        line[1:].strip()
        for line in difflib.unified_diff(old, new, lineterm="", n=0)
        if line.startswith("+") and not line.startswith("+++") and line[1:].strip()
    ]


def render(
    plan: FixPlan, rules: tuple[Rule, ...], verification: Verification | None, proof: str | None = None
) -> str:
    """The pull-request text; ``proof``: what ``woaport prove`` showed of the patched tree."""
    by_id = {r.id: r for r in rules}
    resolved = Counter(f.rule_id for e in plan.edits for f in e.resolved)
    out = ["## Build for Windows on Arm (ARM64)", ""]
    out.append(
        "This change lets the package build, and publish wheels, for Windows on Arm (`win_arm64`). "
        "The edits are small and keep the existing x86/x64 behaviour; each one is explained below."
    )
    out += ["", "### What changed", ""]
    if not plan.edits:
        out.append("Nothing could be changed automatically; see the manual work below.")
    for edit in plan.edits:
        rule_ids = sorted({f.rule_id for f in edit.resolved})
        what = "; ".join(f"{by_id[r].summary} ({r})" for r in rule_ids if r in by_id)
        verb = "new file" if not edit.before else "fixes"
        out.append(f"- `{edit.rel}` ({verb}): {what}")
        added = _added_lines(edit.before, edit.after)
        for line in added[:3]:
            out.append(f"  - `{line}`")
        if len(added) > 3:
            out.append(f"  - … {len(added) - 3} more line(s)")
    out += ["", "### Why", ""]
    for rule_id in sorted(resolved):
        rule = by_id.get(rule_id)
        if rule is not None:
            out.append(f"- **{rule.summary}** ({rule_id}). {rule.doc.why}")
    if verification is not None:
        out += ["", "### Findings before and after (woaport)", ""]
        out += ["| rule | before | after |", "|---|---|---|"]
        keys = sorted({rule for _, rule in verification.before} | {rule for _, rule in verification.after})
        for rule_id in keys:
            before = sum(n for (_, r), n in verification.before.items() if r == rule_id)
            after = sum(n for (_, r), n in verification.after.items() if r == rule_id)
            out.append(f"| {rule_id} | {before} | {after} |")
        if verification.introduced:
            out.append("")
            out.append(
                "New findings after the change (please review): "
                + ", ".join(f"{rule} in `{path}`" for path, rule in verification.introduced)
            )
    if proof:
        out += ["", "### Built for win_arm64 (woaport prove)", "", proof]
    if plan.manual:
        out += ["", "### Still to do by hand", ""]
        seen: set[tuple[str, int, str]] = set()
        for item in sorted(plan.manual, key=lambda m: m.finding.sort_key()):
            f = item.finding
            key = (f.location.path, f.location.line, f.rule_id)
            if key in seen:
                continue
            seen.add(key)
            advice = f" Suggested: {f.fallback}" if f.fallback else ""
            out.append(
                f"- `{f.location.path}:{f.location.line}` {f.rule_id}: {f.message} ({item.reason}).{advice}"
            )
    out += [
        "",
        "### How to test",
        "",
        "Add (or run once) a job on GitHub's Windows ARM64 runner:",
        "",
        TEST_JOB,
        "",
    ]
    return "\n".join(out)
