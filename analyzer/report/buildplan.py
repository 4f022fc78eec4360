"""``woaport build-plan``: what the static build model decided, per model (text, JSON)."""

from __future__ import annotations

import json
from collections import defaultdict

from analyzer.buildmodel.plan import BuildPlan
from analyzer.tri import Value

SCHEMA = "woaport-build-plan/1"


def _state(value: Value | None, listed: bool, complete: bool) -> str:
    if not listed:
        return "not compiled" if complete else "unlisted"
    return {1: "compiled", 0: "not compiled", None: "maybe"}[value]


def per_model(plan: BuildPlan, models: tuple[str, ...]) -> dict[str, dict[str, dict[str, list[str]]]]:
    """model -> state -> target -> sources."""
    table: dict[str, dict[str, dict[str, list[str]]]] = {}
    for model in models:
        states: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        for use in plan.sources:
            value = dict(use.compiled).get(model)
            states[_state(value, True, model in plan.complete_on)][use.target or "?"].append(use.path)
        table[model] = {
            state: {t: sorted(set(p)) for t, p in sorted(targets.items())}
            for state, targets in states.items()
        }
    return table


def looked_for(plan: BuildPlan, model: str) -> list[dict[str, str]]:
    """The libraries the build looks for on ``model`` (for sure or on some paths)."""
    return [
        {"name": d.name, "route": d.route, "where": f"{d.build_file}:{d.line}"}
        for d in plan.dependencies
        if dict(d.looked_on).get(model, 0) != 0 and not d.name.startswith("$")
    ]


def render_text(plan: BuildPlan | None, models: tuple[str, ...], label: str) -> str:
    if plan is None:
        return (
            f"{label}: no build model (no setup.py/pyproject ext-modules with extensions, meson.build "
            "or CMakeLists.txt that the build backend uses); the scan judges each file alone.\n"
        )
    complete = ", ".join(m for m in models if m in plan.complete_on) or "none"
    if not plan.sources and set(models) <= set(plan.complete_on):
        return (
            f"{label}: {' + '.join(plan.systems)} build that compiles no extension module on any "
            "model (a pure-Python wheel).\n"
        )
    lines = [f"{label}: {' + '.join(plan.systems)} build; every compiled source is listed on: {complete}", ""]
    table = per_model(plan, models)
    macros = plan.macro_values()
    for model in models:
        lines.append(model)
        for state in ("compiled", "maybe", "not compiled"):
            for target, paths in table[model].get(state, {}).items():
                lines.append(f"  {state:13} {target}: {', '.join(paths)}")
        for settings in (s for s in plan.settings if s.model == model):
            if settings.libraries:
                lines.append(f"  libraries     {settings.target}: {' '.join(settings.libraries)}")
            flags = [*settings.compile_args, *(f"(link) {a}" for a in settings.link_args)]
            if flags:
                lines.append(f"  flags         {settings.target}: {' '.join(flags)}")
        failing = [p for p in plan.probes if dict(p.compiles).get(model) == 0]
        for probe in failing:
            lines.append(f"  probe fails   {probe.build_file}:{probe.line} {probe.what}")
        decided = sorted(
            f"{name}={'defined' if values.get(model) == 1 else 'undefined'}"
            for name, values in macros.items()
            if values.get(model) in (0, 1)
        )
        if decided:
            lines.append(f"  macros        {' '.join(decided)}")
        for found in looked_for(plan, model):
            lines.append(f"  looks for     {found['name']} ({found['route']}, {found['where']})")
        lines.append("")
    if plan.built_here:
        lines.append(f"built from the tree in a library's place: {', '.join(plan.built_here)}")
    if plan.probe_files:
        lines.append(f"probe sources (not package code): {', '.join(sorted(plan.probe_files))}")
    if plan.public_headers:
        lines.append(f"installed headers (judged for consumers): {', '.join(plan.public_headers)}")
    for note in plan.notes:
        lines.append(f"note: {note}")
    return "\n".join(lines).rstrip() + "\n"


def render_json(plan: BuildPlan | None, models: tuple[str, ...], label: str) -> str:
    if plan is None:
        return json.dumps({"schema": SCHEMA, "root": label, "systems": [], "models": {}}, indent=2) + "\n"
    payload = {
        "schema": SCHEMA,
        "root": label,
        "systems": list(plan.systems),
        "complete_on": [m for m in models if m in plan.complete_on],
        "models": {
            model: {
                "sources": per_model(plan, (model,))[model],
                "probes": [
                    {
                        "file": p.build_file,
                        "line": p.line,
                        "what": p.what,
                        "compiles": dict(p.compiles).get(model),
                    }
                    for p in plan.probes
                    if model in dict(p.compiles)
                ],
                "macros": {name: values.get(model) for name, values in sorted(plan.macro_values().items())},
                "looks_for": looked_for(plan, model),
                "targets": {
                    s.target: {
                        "libraries": list(s.libraries),
                        "compile_args": list(s.compile_args),
                        "link_args": list(s.link_args),
                    }
                    for s in plan.settings
                    if s.model == model
                },
            }
            for model in models
        },
        "built_here": list(plan.built_here),
        "probe_files": sorted(plan.probe_files),
        "public_headers": list(plan.public_headers),
        "notes": list(plan.notes),
    }
    return json.dumps(payload, indent=2) + "\n"
