"""Child processes on package input (zig cc on its sources, cython on its ``.pyx``):
each runs with a time limit, an address-space cap and a private temporary directory,
and what ended it is told apart — the tool's own answer, or a limit woaport set, or a
crash of the tool. None of them is a fact about the package's code."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from analyzer.limits import CHILD_LIMITS, ChildLimits

LIMIT_NOTE = "limit reached"
MAX_OUTPUT = 1024 * 1024  # characters of a child's output kept (its end: where the errors are)
# What clang and zig print when an allocation fails under the cap or the tool crashes.
_OUT_OF_MEMORY = ("out of memory", "std::bad_alloc", "OutOfMemory", "Cannot allocate memory")
_CRASHED = ("PLEASE submit a bug report", "failed due to signal", "panic:", "Segmentation fault")


@dataclass(frozen=True)
class Outcome:
    code: int
    output: str
    # Why the child did not give its own answer ("" when it did): a limit or a crash.
    stopped: str = ""


def _cap_memory(limit: int) -> None:
    import resource

    # Under a parent's lower cap (a survey task's), a child gets that cap, not an error:
    # an unprivileged process cannot raise its hard limit.
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def run_limited(
    command: Sequence[str],
    cwd: Path,
    limits: ChildLimits = CHILD_LIMITS,
    env: Mapping[str, str] | None = None,
    seconds: float | None = None,
) -> Outcome:
    """Run ``command`` (a tool, never package code) in ``cwd`` with ``limits``; its
    temporary files (clang's crash reproducers) go to a private directory removed after."""
    timeout = limits.command_seconds if seconds is None else max(0.1, min(seconds, limits.command_seconds))
    with tempfile.TemporaryDirectory(prefix="woaport-child-") as private:
        child_env = {
            **(os.environ if env is None else env),
            "TMPDIR": private,
            "TMP": private,
            "TEMP": private,
        }
        posix = sys.platform != "win32"
        try:
            process = subprocess.Popen(
                list(command),
                cwd=cwd,
                env=child_env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                errors="replace",
                start_new_session=posix,  # a timeout ends the tool's own children too
                preexec_fn=(lambda: _cap_memory(limits.memory_bytes)) if posix else None,
            )
        except OSError as error:
            return Outcome(127, f"{command[0]}: {error}", f"could not start {Path(command[0]).name}: {error}")
        try:
            output, _ = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill(process, posix)
            return Outcome(124, "", f"{LIMIT_NOTE}: did not finish within {timeout:.0f} s")
        output = output[-MAX_OUTPUT:]
        code = process.returncode
    if any(marker in output for marker in _OUT_OF_MEMORY):
        cap = limits.memory_bytes / 1024**3
        return Outcome(code, output, f"{LIMIT_NOTE}: more than {cap:.1f} GiB of memory")
    if code < 0 or any(marker in output for marker in _CRASHED):
        how = f"signal {-code}" if code < 0 else "an internal error"
        return Outcome(code, output, f"the toolchain crashed ({how}): not a fact about the package")
    return Outcome(code, output)


def _kill(process: subprocess.Popen[str], posix: bool) -> None:
    try:
        if posix:
            os.killpg(process.pid, signal.SIGKILL)
        else:
            process.kill()
    except OSError:
        pass
    process.communicate()
