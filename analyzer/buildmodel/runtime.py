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
from typing import ClassVar, Generic, TypeVar

from analyzer.buildmodel.plan import Fact
from analyzer.buildmodel.values import WorkBudget, WorkExhausted
from analyzer.safeload import TOO_DEEP
from analyzer.tri import Value

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

    def note(self, text: str) -> None:
        """Say ``text`` once per evaluation."""
        if text not in self.notes:
            self.notes.append(text)

    def tick(self) -> None:
        """Count one statement; past :attr:`max_steps` the evaluation stops."""
        self.steps += 1
        if self.steps > self.max_steps:
            raise self.stop_error("evaluation budget exhausted")

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
            self.unknown_sources = True
            self.note(f"{entry}: {error}; the rest is not evaluated")
            return False
        except RecursionError:
            self.unknown_sources = True
            self.note(f"{entry}: {TOO_DEEP}; the rest is not evaluated")
            return False
        return True
