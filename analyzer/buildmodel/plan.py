"""The static build model's result: per target model, which sources the build compiles,
which macros it defines, and which compile probes it runs (and whether they fail).

Every value is three-valued per model (1 yes, 0 no, None unknown). A build file is read
as text or ``ast``, never executed (analyzer/buildmodel/pyeval.py, meson.py, cmake.py).
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import TypeVar

from analyzer.targets import RULES_DIR, load_targets
from analyzer.tri import MAYBE, Value, or3

BUILD_ENV_FILE = RULES_DIR / "build-env.json"
Fact = str | int | bool | None
PerModel = tuple[tuple[str, Value], ...]  # (model, value) pairs, in model order

# A judge of compile probes: C/C++ probe text -> per model, does it compile (0: it fails).
ProbeJudge = Callable[[str], Mapping[str, Value]]

# A build's compiler check can carry its own arguments (meson ``cc.compiles(code, args:
# ['-Werror'])``). They ride in the probe text as a first-line comment, so a judge that
# reads text alone sees no difference and one that compiles (prove's) can pass them on.
_ARGS_MARK = "/* woaport probe arguments: "
_SAFE_ARG = re.compile(
    r"-(?:W(?![lap],)[\w=+,-]*|w|std=[\w+]+|[DU][A-Za-z_]\w*(?:=[\w.+-]*)?|f[a-z0-9-]+|m[a-z0-9.=-]+|O[0-3sz]?)"
)


def probe_with_args(text: str, args: Sequence[str]) -> str:
    """``text`` carrying the compile arguments ``args`` (the ones a probe may have:
    warnings, language standard, macros, code generation; never paths, nor what is
    passed on to the linker, assembler or preprocessor)."""
    kept = [a for a in args if _SAFE_ARG.fullmatch(a)]
    return f"{_ARGS_MARK}{' '.join(kept)} */\n{text}" if kept else text


def probe_args(text: str) -> tuple[str, ...]:
    """The compile arguments :func:`probe_with_args` put in ``text`` (checked again)."""
    if not text.startswith(_ARGS_MARK):
        return ()
    first = text.split("\n", 1)[0][len(_ARGS_MARK) :].removesuffix("*/")
    return tuple(a for a in first.split() if _SAFE_ARG.fullmatch(a))


NATIVE_SUFFIXES = (".c", ".cc", ".cpp", ".cxx", ".c++", ".m", ".mm")


@lru_cache(maxsize=1)
def build_env() -> Mapping[str, Mapping[str, Fact]]:
    """Per model, what its build sees (``rules/build-env.json``)."""
    raw = json.loads(BUILD_ENV_FILE.read_text(encoding="utf-8"))
    return {str(name): dict(facts) for name, facts in raw["models"].items()}


@lru_cache(maxsize=1)
def system_libraries() -> frozenset[str]:
    """Import libraries every Windows SDK (or libc) provides (``rules/build-env.json``)."""
    raw = json.loads(BUILD_ENV_FILE.read_text(encoding="utf-8"))
    return frozenset(str(name).lower() for name in raw.get("system_libraries", ()))


@lru_cache(maxsize=1)
def mingw_import_libraries() -> Mapping[str, str]:
    """Windows SDK import libraries by the mingw-w64 library with their exports
    (``synchronization`` -> ``api-ms-win-core-synch-l1-2-0``; ``rules/build-env.json``)."""
    raw = json.loads(BUILD_ENV_FILE.read_text(encoding="utf-8"))
    return {str(k).lower(): str(v) for k, v in raw.get("mingw_import_libraries", {}).items()}


@lru_cache(maxsize=1)
def reference_env() -> Mapping[str, Fact]:
    """Windows x64, evaluated only to compare with (``rules/build-env.json`` reference)."""
    raw = json.loads(BUILD_ENV_FILE.read_text(encoding="utf-8"))
    return dict(raw["reference"]["x64"])


@dataclass(frozen=True)
class SourceUse:
    """One source file a build target compiles, and on which models."""

    path: str  # tree-relative
    target: str  # extension module or build target name ("" if unknown)
    build_file: str
    line: int
    compiled: PerModel


@dataclass(frozen=True)
class Probe:
    """A compile probe: a test program the build compiles to decide something."""

    build_file: str
    line: int
    what: str  # the probe's description: its function, header or source file
    compiles: PerModel  # 0: known to fail on that model (x86-only header, intrinsic, #error)
    path: str = ""  # the probe's source file in the tree, when it is a file


@dataclass(frozen=True)
class MacroUse:
    """A macro the build defines (``define_macros``, ``-D``), and on which models;
    ``values``: per model, its value when the build gives one every target agrees on
    (``("SYS_BITS", "64")``); absent, it is defined without a value (as ``1``)."""

    name: str
    defined: PerModel
    values: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class PlanEvent:
    """Something the build does on some models, for the build-logic rules: ``value``
    (a command line or an extension's flags as the model computes them), ``stops``
    (the build fails before compiling: ``error()``, ``FATAL_ERROR``, ``raise``),
    ``no-extension`` (x64 gets extension modules, this model none)."""

    kind: str
    build_file: str
    line: int
    text: str
    models: PerModel  # 1: on that model for sure; None: on some paths there


@dataclass(frozen=True)
class CommandLines:
    """The commands of one build file the interpreter read, each as (first line, last
    line, the models it ran on). On the models in ``full_on`` every block of the file was
    evaluated, so a command listed with 0 there, or a line no command covers, did not run:
    a rule's hit on it does not bite there."""

    path: str
    models: tuple[str, ...]  # every model the plan was made for
    full_on: tuple[str, ...]
    commands: tuple[tuple[int, int, PerModel], ...]

    @property
    def read_in_full(self) -> bool:
        """Every block of the file was evaluated on every model."""
        return set(self.full_on) == set(self.models)

    def ran_on(self, line: int) -> PerModel:
        """Per model: did the command on ``line`` run? (1 where the file was not fully
        read: nothing is known against it.)"""
        spans = [dict(states) for first, last, states in self.commands if first <= line <= last]
        out: list[tuple[str, Value]] = []
        for model in self.models:
            values = [span.get(model, 0) for span in spans]
            ran: Value = 1 if 1 in values else MAYBE if MAYBE in values else 0
            out.append((model, ran if model in self.full_on else 1))
        return tuple(out)


@dataclass(frozen=True)
class DependencyLookup:
    """A library the build looks for outside the tree (``find_package(ZLIB)``, meson
    ``dependency('zlib')``) as the model evaluated the call: its name after variables
    are expanded, the route, where, and per model whether the call ran."""

    name: str
    route: str  # "CMake find_package", "meson dependency()", ...
    build_file: str
    line: int
    looked_on: PerModel

    def runs_nowhere(self) -> bool:
        return all(value == 0 for _, value in self.looked_on)


@dataclass(frozen=True)
class DeadBranches:
    """The ``if`` branches of one Python build file (setup.py or a module it imports)
    that the evaluation never took, with the models on which each is dead: a rule's hit
    inside one does not bite there."""

    path: str
    regions: tuple[tuple[int, int, tuple[str, ...]], ...]  # (first line, last line, dead on)

    def dead_on(self, line: int) -> frozenset[str]:
        return frozenset(m for first, last, models in self.regions if first <= line <= last for m in models)


@dataclass(frozen=True)
class GeneratedHeader:
    """A header the build writes from a template at configure time (CMake's
    ``configure_file``): ``path`` is where it lands, relative to the build folder (or to
    the tree when written into the source folder: ``in_tree``); per model, its text, or
    None where a value it substitutes is unknown there (``unknown`` names them)."""

    path: str
    template: str  # tree-relative
    texts: tuple[tuple[str, str | None], ...]
    unknown: tuple[str, ...] = ()  # on any model
    in_tree: bool = False
    unknown_on: tuple[tuple[str, tuple[str, ...]], ...] = ()  # per model

    def text_on(self, model: str) -> str | None:
        return dict(self.texts).get(model)

    def unknown_for(self, model: str) -> tuple[str, ...]:
        """The names whose value is unknown on ``model`` (why its text is None)."""
        return dict(self.unknown_on).get(model, ())


# Per generated header (path, template, written in the tree), per model: (text or None,
# the names whose value is unknown).
GeneratedTexts = dict[tuple[str, str, bool], dict[str, tuple[str | None, tuple[str, ...]]]]


def generated_header_list(generated: GeneratedTexts, models: tuple[str, ...]) -> tuple[GeneratedHeader, ...]:
    """One :class:`GeneratedHeader` per header an interpreter saw written, over the models."""
    return tuple(
        GeneratedHeader(
            path,
            template,
            tuple((m, per[m][0] if m in per else None) for m in models),
            tuple(dict.fromkeys(name for _, unknown in per.values() for name in unknown)),
            in_tree,
            tuple((m, per[m][1]) for m in models if m in per and per[m][1]),
        )
        for (path, template, in_tree), per in generated.items()
    )


@dataclass(frozen=True)
class TargetSettings:
    """What one target is built with on one model: libraries it links, compile and link
    arguments, as the build computes them there (known strings only)."""

    target: str
    model: str
    libraries: tuple[str, ...] = ()
    compile_args: tuple[str, ...] = ()
    link_args: tuple[str, ...] = ()
    language: str = ""  # the Extension's language= ("c++": Cython translates to C++)
    objects: tuple[str, ...] = ()  # prebuilt objects it links (extra_objects): greenlet's MASM switch
    # The build tool's function that made the target (nanobind_add_module): it may compile
    # a build requirement's library into it (rules/requirement-libraries.toml).
    made_by: str = ""


def settings_list(
    found: Mapping[tuple[str, str], Mapping[str, list[str]]],
) -> tuple[TargetSettings, ...]:
    """(target, model) -> {"libraries"|"compile_args"|"link_args"|"language"|"objects"|"made_by": values}."""
    return tuple(
        TargetSettings(
            target,
            model,
            tuple(dict.fromkeys(values.get("libraries", ()))),
            tuple(dict.fromkeys(values.get("compile_args", ()))),
            tuple(dict.fromkeys(values.get("link_args", ()))),
            next(iter(values.get("language", ())), ""),
            tuple(dict.fromkeys(values.get("objects", ()))),
            next(iter(values.get("made_by", ())), ""),
        )
        for (target, model), values in sorted(found.items())
        if any(values.values())
    )


@dataclass(frozen=True)
class BuildPlan:
    """What one build system (or several) decided, per model."""

    systems: tuple[str, ...] = ()
    sources: tuple[SourceUse, ...] = ()
    probes: tuple[Probe, ...] = ()
    macros: tuple[MacroUse, ...] = ()
    # Models on which the plan lists every compiled source: on those, a source the plan
    # does not list (and no listed source includes) is not compiled.
    complete_on: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()  # what could not be evaluated, said once each
    probe_files: frozenset[str] = field(default_factory=frozenset)
    events: tuple[PlanEvent, ...] = ()
    # Per project directory ("" or "a/b/"), the models its plan is complete on: only
    # files inside a project can be "not listed, so not compiled" (a monorepo, fixtures).
    scope: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # Include directories the build passes (-I, include_dirs), tree-relative, in order.
    include_dirs: tuple[str, ...] = ()
    # Tree Python modules setup.py imports (compiler_opt.py, setup_zstd.py): build logic
    # the setup.py rules read too.
    helper_files: tuple[str, ...] = ()
    settings: tuple[TargetSettings, ...] = ()
    # Headers the build installs for other packages to compile against (meson
    # install_headers, setup(headers=...), package_data globs), tree-relative.
    public_headers: tuple[str, ...] = ()
    # CMake: which commands of each file the interpreter read ran on which models.
    command_lines: tuple[CommandLines, ...] = ()
    # setup.py and its modules: the if-branches never taken, per model.
    dead_branches: tuple[DeadBranches, ...] = ()
    # Headers the build generates from templates (configure_file), per model.
    generated_headers: tuple[GeneratedHeader, ...] = ()
    # CMake and meson: the libraries the build looks for outside the tree, per model.
    dependencies: tuple[DependencyLookup, ...] = ()
    # What the build compiles from source (add_subdirectory, FetchContent_Declare,
    # ExternalProject_Add, meson subproject()): the last part of the name or path.
    built_here: tuple[str, ...] = ()
    # setup.py: where a build command changes the extensions' settings when it runs
    # ("setup.py:947 pil_build_ext.build_extensions changes extension.libraries"): the
    # plan does not hold those changes.
    build_time_edits: tuple[str, ...] = ()

    def read_in_full(self, path: str) -> bool:
        """The model evaluated every statement of the build file ``path`` on every
        model (so what it says the file does is all the file does)."""
        return any(c.path == path and c.read_in_full for c in self.command_lines)

    def complete_models(self, path: str) -> frozenset[str]:
        """The models on which the build of the project holding ``path`` lists every
        compiled source."""
        if not self.scope:
            return frozenset(self.complete_on)
        for prefix, models in self.scope:
            if path.startswith(prefix):
                return frozenset(models)
        return frozenset()

    def compiled(self) -> dict[str, dict[str, Value]]:
        """Per listed source: per model, compiled? (OR over the targets listing it)."""
        result: dict[str, dict[str, Value]] = {}
        for use in self.sources:
            per = result.setdefault(use.path, {})
            for model, value in use.compiled:
                per[model] = or3(per.get(model, 0), value)
        return result

    def line_runs(self, path: str, line: int) -> PerModel | None:
        """Per model, does ``line`` of the build file ``path`` run? From what the model
        read: CMake's commands that ran, setup.py's branches never taken. None when the
        model did not read the file (a reader of the text alone must guess)."""
        for commands in self.command_lines:
            if commands.path == path:
                return commands.ran_on(line)
        for branches in self.dead_branches:
            if branches.path == path:
                dead = branches.dead_on(line)
                # Plans are made for every target model (analyzer/project.py).
                return tuple((m, 0 if m in dead else 1) for m in load_targets().names)
        return None

    def runs_nowhere(self, path: str, line: int) -> bool:
        """The model read ``path`` and ``line`` runs on no model."""
        ran = self.line_runs(path, line)
        return ran is not None and bool(ran) and all(value == 0 for _, value in ran)

    def macro_texts(self, model: str) -> dict[str, str]:
        """The values the build gives its macros on ``model`` (where it gives one)."""
        return {m.name: dict(m.values)[model] for m in self.macros if model in dict(m.values)}

    def macro_values(self) -> dict[str, dict[str, Value]]:
        """Per macro the build names: per model, defined? 1 when every target defines it,
        0 when none does, unknown otherwise (targets differ, or a condition is unknown)."""
        return {m.name: dict(m.defined) for m in self.macros}


def judge_for(judge: ProbeJudge, model: str) -> Callable[[str], Value]:
    """The judge's verdict on one model (what an interpreter running for it needs)."""

    def verdict(text: str) -> Value:
        return judge(text).get(model, MAYBE)

    return verdict


SourceKey = tuple[str, str, str, int]  # (source, target, build file, line)
ProbeKey = tuple[str, int, str, str]  # (build file, line, what, probe source file)


def source_uses(
    per_source: Mapping[SourceKey, Mapping[str, Value]], models: tuple[str, ...], complete: Iterable[str]
) -> tuple[SourceUse, ...]:
    """One :class:`SourceUse` per (source, target): a model that did not list it says 0
    when its plan is complete, unknown otherwise."""
    done = frozenset(complete)
    return tuple(
        SourceUse(path, target, file, line, tuple((m, per.get(m, 0 if m in done else MAYBE)) for m in models))
        for (path, target, file, line), per in sorted(per_source.items())
    )


def probe_list(probes: Mapping[ProbeKey, Mapping[str, Value]], models: tuple[str, ...]) -> tuple[Probe, ...]:
    """One :class:`Probe` per call site, with the models it ran on."""
    return tuple(
        Probe(file, line, what, tuple((m, per[m]) for m in models if m in per), path)
        for (file, line, what, path), per in sorted(probes.items())
    )


MACRO_NAME = re.compile(r"^[A-Za-z_]\w*$")


# The text of a macro the build defines with a value the model could not compute
# (tree-sitter's version, read from a file with next()): prove does not invent one.
UNKNOWN_MACRO_TEXT = "(a value woaport could not compute)"


def macro_list(
    macros: Mapping[str, Mapping[str, Value]],
    texts: Mapping[str, Mapping[str, str]],
    models: tuple[str, ...],
) -> tuple[MacroUse, ...]:
    """One :class:`MacroUse` per macro the build defines on some model (undefined, 0,
    on a model that does not say), with the values it gives per model."""
    return tuple(
        MacroUse(name, tuple((m, per.get(m, 0)) for m in models), tuple(sorted(texts.get(name, {}).items())))
        for name, per in sorted(macros.items())
    )


EventKey = tuple[str, str, int, str]  # (kind, build file, line, text)


K = TypeVar("K")


def note_on(table: dict[K, dict[str, Value]], key: K, model: str, value: Value) -> None:
    """Record that ``key`` (a source use, an event) holds on ``model``: the three-valued
    OR with what other paths of that model's run already said."""
    per = table.setdefault(key, {})
    per[model] = or3(per.get(model, 0), value)


def without_shared_stops(
    events: dict[EventKey, dict[str, Value]], reference_stop: Callable[[], tuple[str, int, str] | None]
) -> dict[EventKey, dict[str, Value]]:
    """``events`` without the stops the x64 reference build reaches too (pyarrow's
    ``if(NOT ARROW_COMPUTE) message(FATAL_ERROR ...)``, decided by an installed package
    woaport cannot see): the project builds its x64 wheels past it, so it is not what
    stops ARM64. ``reference_stop`` evaluates the reference, only when some model stops."""
    if not any(key[0] == "stops" for key in events):
        return events
    stop = reference_stop()
    if stop is None:
        return events
    return {key: per for key, per in events.items() if not (key[0] == "stops" and key[1:3] == stop[:2])}


def event_list(
    events: Mapping[EventKey, Mapping[str, Value]], models: tuple[str, ...]
) -> tuple[PlanEvent, ...]:
    return tuple(
        PlanEvent(kind, file, line, text, tuple((m, per[m]) for m in models if m in per))
        for (kind, file, line, text), per in sorted(events.items())
    )


def per_model(values: Mapping[str, Value], models: Iterable[str]) -> PerModel:
    return tuple((m, values.get(m, MAYBE)) for m in models)


def merge(plans: Iterable[BuildPlan]) -> BuildPlan:
    """One plan from several build systems' plans (a tree may use more than one)."""
    systems: list[str] = []
    sources: list[SourceUse] = []
    probes: list[Probe] = []
    macros: dict[str, dict[str, Value]] = {}
    macro_texts: dict[str, dict[str, str]] = {}
    notes: list[str] = []
    complete: set[str] | None = None
    probe_files: set[str] = set()
    events: list[PlanEvent] = []
    scope: list[tuple[str, tuple[str, ...]]] = []
    include_dirs: list[str] = []
    helpers: list[str] = []
    settings: list[TargetSettings] = []
    public: list[str] = []
    command_lines: list[CommandLines] = []
    dead_branches: list[DeadBranches] = []
    generated: list[GeneratedHeader] = []
    edits: list[str] = []
    lookups: list[DependencyLookup] = []
    built_here: list[str] = []
    for plan in plans:
        lookups.extend(plan.dependencies)
        built_here.extend(plan.built_here)
        generated.extend(plan.generated_headers)
        edits.extend(plan.build_time_edits)
        settings.extend(plan.settings)
        command_lines.extend(plan.command_lines)
        dead_branches.extend(plan.dead_branches)
        public.extend(plan.public_headers)
        include_dirs.extend(plan.include_dirs)
        helpers.extend(plan.helper_files)
        events.extend(plan.events)
        scope.extend(plan.scope or (("", plan.complete_on),))
        systems.extend(plan.systems)
        sources.extend(plan.sources)
        probes.extend(plan.probes)
        notes.extend(plan.notes)
        probe_files |= plan.probe_files
        for macro in plan.macros:
            per = macros.setdefault(macro.name, {})
            for model, value in macro.defined:
                per[model] = value if model not in per else (per[model] if per[model] == value else MAYBE)
            for model, text in macro.values:
                macro_texts.setdefault(macro.name, {}).setdefault(model, text)
        complete = set(plan.complete_on) if complete is None else complete & set(plan.complete_on)
    return BuildPlan(
        systems=tuple(systems),
        sources=tuple(sources),
        probes=tuple(probes),
        macros=tuple(
            MacroUse(name, tuple(per.items()), tuple(macro_texts.get(name, {}).items()))
            for name, per in sorted(macros.items())
        ),
        complete_on=tuple(sorted(complete or ())),
        notes=tuple(dict.fromkeys(notes)),
        probe_files=frozenset(probe_files),
        events=tuple(events),
        scope=tuple(sorted(scope, key=lambda item: -len(item[0]))),
        include_dirs=tuple(dict.fromkeys(include_dirs)),
        helper_files=tuple(dict.fromkeys(helpers)),
        settings=tuple(settings),
        public_headers=tuple(dict.fromkeys(public)),
        command_lines=tuple(command_lines),
        dead_branches=tuple(dead_branches),
        generated_headers=tuple(generated),
        build_time_edits=tuple(edits),
        dependencies=tuple(lookups),
        built_here=tuple(dict.fromkeys(built_here)),
    )


def rebase(plan: BuildPlan, prefix: str) -> BuildPlan:
    """The plan of a project in directory ``prefix`` of a larger tree, with tree paths."""
    if not prefix:
        return plan

    def at(path: str) -> str:
        return prefix + path if path else path

    return replace(
        plan,
        sources=tuple(replace(u, path=at(u.path), build_file=at(u.build_file)) for u in plan.sources),
        probes=tuple(replace(p, build_file=at(p.build_file), path=at(p.path)) for p in plan.probes),
        probe_files=frozenset(at(p) for p in plan.probe_files),
        events=tuple(replace(e, build_file=at(e.build_file)) for e in plan.events),
        notes=tuple(f"{prefix}{n}" for n in plan.notes),
        scope=((prefix, plan.complete_on),),
        include_dirs=tuple(posixpath.normpath(at(d)) for d in plan.include_dirs),
        helper_files=tuple(at(f) for f in plan.helper_files),
        public_headers=tuple(at(f) for f in plan.public_headers),
        command_lines=tuple(replace(c, path=at(c.path)) for c in plan.command_lines),
        dead_branches=tuple(replace(d, path=at(d.path)) for d in plan.dead_branches),
        generated_headers=tuple(
            replace(g, template=at(g.template), path=at(g.path) if g.in_tree else g.path)
            for g in plan.generated_headers
        ),
        build_time_edits=tuple(at(e) for e in plan.build_time_edits),
        dependencies=tuple(replace(d, build_file=at(d.build_file)) for d in plan.dependencies),
    )
