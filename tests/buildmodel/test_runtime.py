"""The scaffolding the three build interpreters share (analyzer/buildmodel/runtime.py):
each limit ends an evaluation with a note, never a lost plan, and a file is parsed once
for every model."""

from __future__ import annotations

from analyzer.buildmodel import cmake, meson, pyeval
from analyzer.buildmodel.runtime import InterpreterRuntime
from analyzer.tri import MAYBE


class _Stopped(Exception):
    pass


class _Tiny(InterpreterRuntime[str]):
    max_steps = 3
    max_files = 2
    stop_error = _Stopped
    file_kind = "tiny"


def _tiny(files: dict[str, str], parsed: dict[str, str | None] | None = None) -> _Tiny:
    return _Tiny({}, frozenset(files), files.get, lambda _: MAYBE, parsed)


def test_every_interpreter_is_built_on_the_runtime() -> None:
    for interpreter in (cmake.Interpreter, meson.Interpreter, pyeval.Interpreter):
        assert issubclass(interpreter, InterpreterRuntime)
        assert interpreter.stop_error.__module__.startswith("analyzer.buildmodel."), interpreter


def test_the_step_limit_ends_the_run_with_a_note() -> None:
    runtime = _tiny({"a": "x"})

    def loop() -> None:
        while True:
            runtime.tick()

    assert runtime.run_entry("a", loop) is False
    assert runtime.steps == 4 and runtime.unknown_sources
    assert runtime.notes == ["a: evaluation budget exhausted; the rest is not evaluated"]


def test_a_file_is_parsed_once_and_the_file_limit_holds() -> None:
    calls: list[str] = []

    def parse(text: str) -> str:
        calls.append(text)
        if text == "bad":
            raise _Stopped("unexpected token")
        return text.upper()

    shared: dict[str, str | None] = {}
    first = _tiny({"a": "x", "b": "bad", "c": "z"}, shared)
    assert first.parse_once("a", parse) == "X"
    assert first.parse_once("a", parse) == "X" and calls == ["x"]
    assert first.parse_once("b", parse) is None
    assert first.notes == ["b: cannot parse (unexpected token)"]
    # Another model's run reads the shared cache: nothing is parsed again.
    second = _tiny({"a": "x", "b": "bad", "c": "z"}, shared)
    assert second.parse_once("a", parse) == "X" and calls == ["x", "bad"]

    def read_c() -> None:
        first.parse_once("c", parse)

    assert first.run_entry("c", read_c) is False
    assert first.notes[-1] == "c: too many tiny files; the rest is not evaluated"


def test_too_deep_a_nesting_is_a_note() -> None:
    runtime = _tiny({})

    def deep() -> None:
        raise RecursionError

    assert runtime.run_entry("CMakeLists.txt", deep) is False
    assert runtime.notes == ["CMakeLists.txt: nested too deeply to read; the rest is not evaluated"]
    assert runtime.run_entry("ok", lambda: None) is True
