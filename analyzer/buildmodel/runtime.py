"""What every build interpreter (setuptools' setup.py, CMake, meson) is made of besides
its language: one target model's facts, the tree's file list and a reader confined to
it, the compile-probe judge, the parsed files shared by every model's run, notes said
once, and the limits that bound a hostile build file (steps, files, work).

Each interpreter subclasses :class:`InterpreterRuntime` and names its own error type
(:attr:`InterpreterRuntime.stop_error`): a limit reached raises it, and :meth:`run_entry`
turns it (or too deep a nesting) into "the rest is not evaluated" rather than a lost plan.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Generic, TypeVar

from analyzer.buildmodel.plan import CommandLines, DependencyLookup, Fact, PerModel, note_on
from analyzer.buildmodel.values import WorkBudget, WorkExhausted
from analyzer.safeload import TOO_DEEP
from analyzer.tri import MAYBE, Value

Parsed = TypeVar("Parsed")


class InterpreterRuntime(Generic[Parsed]):
    """The state one model's evaluation of a build keeps apart from its language."""

    max_steps: ClassVar[int] = 200_000  # statements evaluated per model
    max_files: ClassVar[int] = 1_000  # build files one evaluation may parse
    stop_error: ClassVar[type[Exception]] = RuntimeError  # the interpreter's "cannot go on"
    file_kind: ClassVar[str] = "build"  # how notes name the files ("too many CMake files")

    def __init__(
        self,
        facts: Mapping[str, Fact],
        tree_files: frozenset[str],
        read_text: Callable[[str], str | None],
        judge: Callable[[str], Value],
        parsed: dict[str, Parsed | None] | None = None,  # shared by every model's run
    ) -> None:
        self.facts = facts
        self.tree_files = tree_files
        self.read_text = read_text
        self.judge = judge
        self.parsed: dict[str, Parsed | None] = parsed if parsed is not None else {}
        self.notes: list[str] = []
        self.uncertain = 0  # conditions evaluated to "unknown"
        self.steps = 0
        self.files_read = 0
        self.budget = WorkBudget(self.note)  # what expansion and concatenation build
        self.unknown_sources = False  # some source list could not be read in full
        self.stopped: tuple[str, int, str] | None = None  # the build's own error(), for certain
        # What ran, for reading a build file line by line per model (BuildPlan.command_lines):
        # (file, first line, last line) of each statement or block head that ran, True when
        # for sure and False on some paths only; the files run; the files with a block left
        # unevaluated (an unknown foreach list); whether a limit ended the evaluation.
        self.executed: dict[tuple[str, int, int], bool] = {}
        self.loaded: set[str] = set()
        self.skipped_in: set[str] = set()
        self.aborted = False
        # Libraries looked for outside the tree: (name, route, file, line) -> for sure?
        self.lookups: dict[tuple[str, str, str, int], bool] = {}
        # What the build compiles from source in place of a library it would look for
        # (add_subdirectory(extern/taskflow), FetchContent_Declare, subproject('zlib')).
        self.built_here: set[str] = set()

    def note(self, text: str) -> None:
        """Say ``text`` once per evaluation."""
        if text not in self.notes:
            self.notes.append(text)

    def tick(self) -> None:
        """Count one statement; past :attr:`max_steps` the evaluation stops."""
        self.steps += 1
        if self.steps > self.max_steps:
            raise self.stop_error("evaluation budget exhausted")

    def ran(self, file: str, first: int, last: int) -> None:
        """Note that the statement on lines ``first``..``last`` of ``file`` ran, for sure
        or (inside a branch whose condition is unknown) on some paths."""
        key = (file, first, last)
        self.executed[key] = self.executed.get(key, False) or not self.uncertain

    def looked_for(self, name: str, route: str, file: str, line: int) -> None:
        """Note a call that looks for the library ``name`` outside the tree."""
        key = (name, route, file, line)
        self.lookups[key] = self.lookups.get(key, False) or not self.uncertain

    def fully_read(self) -> set[str]:
        """The files every statement of which was either run or known not to run."""
        if self.aborted:
            return set()
        return {f for f in self.loaded - self.skipped_in if self.parsed.get(f) is not None}

    def parse_once(self, path: str, parse: Callable[[str], Parsed]) -> Parsed | None:
        """``path`` parsed (once for every model: the cache is shared); None when it
        cannot be read or parsed (noted). Past :attr:`max_files` the evaluation stops."""
        if path not in self.parsed:
            self.files_read += 1
            if self.files_read > self.max_files:
                raise self.stop_error(f"too many {self.file_kind} files")
            text = self.read_text(path)
            try:
                self.parsed[path] = parse(text) if text is not None else None
            except self.stop_error as error:
                self.parsed[path] = None
                self.note(f"{path}: cannot parse ({error})")
            except RecursionError:
                self.parsed[path] = None
                self.note(f"{path}: {TOO_DEEP}")
        return self.parsed[path]

    def run_entry(self, entry: str, run: Callable[[], None]) -> bool:
        """Run the evaluation of ``entry``; a limit, an error of the interpreter's own or
        too deep a nesting ends it with a note ("the rest is not evaluated") and leaves
        the sources unknown. False when it ended so."""
        try:
            run()
        except (self.stop_error, WorkExhausted) as error:
            self.unknown_sources = self.aborted = True
            self.note(f"{entry}: {error}; the rest is not evaluated")
            return False
        except RecursionError:
            self.unknown_sources = self.aborted = True
            self.note(f"{entry}: {TOO_DEEP}; the rest is not evaluated")
            return False
        return True


class RunRecord:
    """What ran on each model's evaluation, gathered into the plan's per-file records."""

    def __init__(self) -> None:
        self.executed: dict[tuple[str, int, int], dict[str, Value]] = {}
        self.fully_read: dict[str, list[str]] = {}
        self.loaded: dict[str, set[str]] = {}
        self.lookups: dict[tuple[str, str, str, int], dict[str, Value]] = {}
        self.built_here: set[str] = set()

    def add(self, model: str, interpreter: InterpreterRuntime[Any]) -> None:
        for key, certain in interpreter.executed.items():
            note_on(self.executed, key, model, 1 if certain else MAYBE)
        for lookup, certain in interpreter.lookups.items():
            note_on(self.lookups, lookup, model, 1 if certain else MAYBE)
        self.built_here |= interpreter.built_here
        for file in interpreter.fully_read():
            self.fully_read.setdefault(file, []).append(model)
        self.loaded.setdefault(model, set()).update(interpreter.loaded)

    def never_entered(self, model: str, build_files: set[str]) -> None:
        """On ``model`` every file the build could enter was named, so those of
        ``build_files`` it did not load run nowhere there."""
        for file in build_files - self.loaded.get(model, set()):
            self.fully_read.setdefault(file, []).append(model)

    def dependency_lookups(self, models: tuple[str, ...]) -> tuple[DependencyLookup, ...]:
        return tuple(
            DependencyLookup(name, route, file, line, tuple((m, states.get(m, 0)) for m in models))
            for (name, route, file, line), states in self.lookups.items()
        )

    def command_lines(self, models: tuple[str, ...]) -> tuple[CommandLines, ...]:
        by_file: dict[str, list[tuple[int, int, PerModel]]] = {file: [] for file in self.fully_read}
        for (file, first, last), states in self.executed.items():
            by_file.setdefault(file, []).append((first, last, tuple((m, states.get(m, 0)) for m in models)))
        return tuple(
            CommandLines(
                file,
                models,
                tuple(m for m in models if m in self.fully_read.get(file, ())),
                tuple(sorted(spans)),
            )
            for file, spans in sorted(by_file.items())
        )
