"""One proof of a source tree as every command runs it (``prove``, ``fix --prove``, the
survey): the toolchain is found once, the build is read with compile probes decided by
that toolchain, the build requirements' headers and Cython are fetched, and each
module is compiled and linked before a deadline. The commands differ only in what
they do with the :class:`~analyzer.prove.ProofResult`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from pathlib import Path

from analyzer.buildmodel.plan import BuildPlan
from analyzer.index.simple import SimpleIndex
from analyzer.limits import CHILD_LIMITS
from analyzer.prove import ModuleProof, ProofResult, plan_for_proof, prove, toolchain_runner
from analyzer.sdk.provider import Sdk, zig_command, zig_lib_dir
from analyzer.sdk.requires import RequirementTools, requirement_tools

IndexOpener = Callable[[], AbstractContextManager[SimpleIndex]]
Log = Callable[[str], None]

ZIG_FIRST_RUN = "zig prepares its mingw-w64 ARM64 runtime on this first proof (about a minute, once)"


@dataclass(frozen=True)
class Toolchain:
    """zig as woaport runs it, and what of it the compiler may read."""

    zig: tuple[str, ...]
    dirs: tuple[Path, ...]


def find_toolchain() -> Toolchain:
    """zig from the ``ziglang`` package. Raises :class:`~analyzer.sdk.provider.SdkError`."""
    zig = zig_command()
    return Toolchain(tuple(zig), (zig_lib_dir(zig),))


@dataclass(frozen=True)
class ProofSettings:
    """Where a proof keeps what it fetches and builds, and how long it may take.
    ``open_index``: the index the build requirements come from (None: none fetched)."""

    requires_cache: Path
    zig_cache: Path | None = None
    open_index: IndexOpener | None = None
    seconds: float = CHILD_LIMITS.prove_seconds
    jobs: int = 2


@dataclass(frozen=True)
class TreeProof:
    """A proof of one tree: None for ``result`` when no build could be read or guessed."""

    plan: BuildPlan | None
    result: ProofResult | None


def prove_source(
    root: Path,
    sdks: Sequence[Sdk],
    toolchain: Toolchain,
    out_dir: Path,
    settings: ProofSettings,
    log: Log = lambda _: None,
    progress: Callable[[ModuleProof, float], None] | None = None,
) -> TreeProof:
    """Read the build of ``root`` (probes compiled for ARM64 against the first SDK's
    headers) and prove each module for each SDK, all before ``settings.seconds``."""
    deadline = time.monotonic() + settings.seconds
    runner = toolchain_runner(settings.zig_cache, deadline=deadline)
    zig = list(toolchain.zig)
    plan = plan_for_proof(root, zig, runner, sdks[0].include, list(toolchain.dirs))
    if plan is None:
        return TreeProof(None, None)
    zig_cache = settings.zig_cache
    if zig_cache is not None and (not zig_cache.is_dir() or not any(zig_cache.iterdir())):
        log(ZIG_FIRST_RUN)
    tools = RequirementTools()
    if settings.open_index is not None:
        tools = requirement_tools(root, settings.open_index, sdks[0].python, settings.requires_cache, log)
    result = prove(
        root,
        plan,
        sdks,
        out_dir,
        zig,
        run=runner,
        jobs=settings.jobs,
        toolchain_dirs=toolchain.dirs,
        progress=progress,
        requirement_dirs=tools.include_dirs,
        cython_tool=tools.cython,
        requirement_libraries=tools.libraries,
        prebuilt=tools.prebuilt,
        limits=replace(CHILD_LIMITS, prove_seconds=settings.seconds),
    )
    return TreeProof(plan, result)


def proof_sentence(proof: TreeProof, python: str) -> str:
    """The proof in one sentence, for a pull request's text."""
    if proof.result is None:
        return "Not proven: woaport's build model cannot read this build."
    modules = proof.result.modules
    built = [m for m in modules if m.built]
    line = (
        f"Compiled and linked for win_arm64 with clang/mingw-w64 (zig cc, CPython {python}):"
        f" {len(built)} of {len(modules)} module(s)"
    )
    failed = [m for m in modules if not m.built]
    if failed:
        line += "; not built: " + ", ".join(
            f"{m.module} ({m.not_proven or (m.errors[0] if m.errors else '?')})" for m in failed
        )
    return line + ". This proves the mingw/clang build, not MSVC's."
