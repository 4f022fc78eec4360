"""``git+URL[@REF]``: a project's repository, cloned shallowly into a temporary directory
for a scan (an sdist rarely ships its CI configuration; the repository does).

Nothing from the repository runs. The clone is made with the user's and the system's git
configuration switched off (so no filter, hook or credential helper configured there
applies), hooks pointed at an empty path, no submodules, LFS pointers left as they are,
symbolic links checked out as plain files (a link cannot point the scan outside the
checkout), and only the https, http, ssh, git and file transports allowed (never
``ext::``, which runs a command)."""

from __future__ import annotations

import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from analyzer.errors import InputProblem

GIT_PREFIX = "git+"
CLONE_TIMEOUT = 600.0  # seconds for the whole clone
# Seconds a server has to answer at all (a listing of its refs): a silent git:// port or a
# black-holed host fails here, not after the whole clone's time.
ANSWER_TIMEOUT = 60.0
_SHA = re.compile(r"^[0-9a-fA-F]{7,40}$")
_ALLOWED = ("https", "http", "ssh", "git", "file")


class CloneError(RuntimeError, InputProblem):
    """The repository could not be cloned (message says why)."""


@dataclass(frozen=True)
class GitRequest:
    url: str
    ref: str | None  # a branch, tag or commit; None: the default branch


def git_request(target: str) -> GitRequest | None:
    """``git+URL`` or ``git+URL@REF`` (pip's spelling); None for anything else. The ref
    is what follows the last ``@`` after the last ``/`` (``ssh://git@host/x`` has an
    ``@`` that is not one)."""
    if not target.startswith(GIT_PREFIX):
        return None
    url = target[len(GIT_PREFIX) :]
    ref = None
    at = url.rfind("@")
    if at > url.rfind("/"):
        url, ref = url[:at], url[at + 1 :] or None
    return GitRequest(url, ref)


def _check(request: GitRequest) -> None:
    scheme = request.url.split("://", 1)[0].lower() if "://" in request.url else ""
    if scheme not in _ALLOWED:
        raise CloneError(
            f"git+{request.url}: only {', '.join(s + '://' for s in _ALLOWED)} repositories can be cloned"
        )
    for part in (request.url, request.ref or ""):
        if part.startswith("-") or any(c in part for c in "\n\r\0"):
            raise CloneError(f"git+{request.url}: refusing an option-like or multi-line URL or ref")


def _git(args: list[str], cwd: Path, timeout: float) -> str:
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("GIT_")},
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_LFS_SKIP_SMUDGE": "1",
        "GIT_ALLOW_PROTOCOL": ":".join(_ALLOWED),
        # A transfer slower than 1 kB/s for 30 s is abandoned (http and https).
        "GIT_HTTP_LOW_SPEED_LIMIT": "1000",
        "GIT_HTTP_LOW_SPEED_TIME": "30",
    }
    settings = [
        "-c", "core.hooksPath=" + os.devnull,
        "-c", "core.symlinks=false",
        "-c", "protocol.file.allow=always",
        "-c", "advice.detachedHead=false",
        "-c", "core.fsmonitor=false",
    ]  # fmt: skip
    import subprocess  # only for a git+ input (a local scan starts faster without it)

    try:
        done = subprocess.run(
            ["git", *settings, *args],
            cwd=cwd,
            env=environment,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except FileNotFoundError:
        raise CloneError("git is not installed: git+URL needs it") from None
    except subprocess.TimeoutExpired:
        raise CloneError(f"git {args[0]} took longer than {timeout:.0f} s") from None
    if done.returncode != 0:
        # git's first "fatal:"/"error:" line says what went wrong; its last line is often
        # advice ("and the repository exists.").
        lines = [line.strip() for line in done.stderr.splitlines() if line.strip()]
        said = next(
            (line for line in lines if line.startswith(("fatal:", "error:"))),
            lines[-1] if lines else "failed",
        )
        raise CloneError(f"git {args[0]}: {said}")
    return done.stdout


def clone(
    request: GitRequest,
    destination: Path,
    timeout: float = CLONE_TIMEOUT,
    answer_within: float = ANSWER_TIMEOUT,
) -> str:
    """Check out ``request`` at depth 1 into ``destination`` (created); the commit's id.
    A commit id that the server will not serve alone is fetched with full history.
    ``timeout`` is for the whole clone, every git command included: a server that
    accepts and never answers (a silent ``git://`` port) costs at most that."""
    _check(request)
    deadline = time.monotonic() + timeout

    def left() -> float:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise CloneError(f"cloning took longer than {timeout:.0f} s: {request.url}")
        return remaining

    if shutil.which("git") is None:
        raise CloneError("git is not installed: git+URL needs it")
    destination.mkdir(parents=True)
    _git(["init", "--quiet", "--template=", "."], destination, left())
    _git(["remote", "add", "origin", request.url], destination, left())
    try:
        _git(["ls-remote", "--quiet", "origin", "HEAD"], destination, min(left(), answer_within))
    except CloneError as error:
        if "longer than" in str(error):
            raise CloneError(f"{request.url} did not answer within {answer_within:.0f} s") from None
        raise
    ref = request.ref or "HEAD"
    try:
        _git(["fetch", "--quiet", "--depth", "1", "--no-tags", "origin", ref], destination, left())
    except CloneError:
        if not _SHA.match(ref):
            raise
        _git(["fetch", "--quiet", "--no-tags", "origin"], destination, left())  # then find the commit
        _git(["checkout", "--quiet", ref], destination, left())
    else:
        _git(["checkout", "--quiet", "FETCH_HEAD"], destination, left())
    return _git(["rev-parse", "HEAD"], destination, left()).strip()


def export_revision(repository: Path, ref: str, destination: Path, timeout: float = 120.0) -> Path:
    """The tree of ``ref`` in the local ``repository`` as a tar file at ``destination``
    (``git archive``: the committed files only, nothing of the work tree); unpack it with
    :func:`analyzer.archive.extract`. Raises :class:`CloneError`."""
    if not ref or ref.startswith("-") or any(c in ref for c in "\n\r\0 "):
        raise CloneError(f"{ref!r} is not a revision")
    # One top folder, as an sdist has, so the extractor roots the tree at it.
    _git(
        ["archive", "--format=tar", "--prefix=tree/", "-o", str(destination), ref, "--"], repository, timeout
    )
    return destination
