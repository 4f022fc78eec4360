"""``fix --prove``: the patched copy of a tree compiled and linked for win_arm64, as
``woaport prove`` would, summed up in one sentence for the pull-request text."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from analyzer.fix.engine import patched_copy
from analyzer.fix.model import FixPlan
from analyzer.index.simple import SimpleIndex
from analyzer.prove.session import ProofSettings, find_toolchain, proof_sentence, prove_source
from analyzer.scan import ScanOptions
from analyzer.sdk.provider import checked, find_sdk


def prove_patched(
    path: Path,
    plan: FixPlan,
    options: ScanOptions,
    python: str,
    cache: Path,
    open_index: Callable[[], SimpleIndex],
    log: Callable[[str], None],
) -> str:
    """Prove the tree at ``path`` with ``plan`` applied to a scratch copy, for CPython
    ``python``. Raises SdkError when there is no SDK or toolchain to prove with."""
    sdk = checked(find_sdk(python, cache / "sdk", log=log))
    toolchain = find_toolchain()
    settings = ProofSettings(
        requires_cache=cache / "requires", zig_cache=cache / "zig", open_index=open_index
    )
    with tempfile.TemporaryDirectory(prefix="woaport-fix-prove-") as scratch:
        tree = patched_copy(path, plan, options, Path(scratch), everything=True)
        # As `prove` plans: the probes the fast mode cannot decide are compiled for ARM64.
        proof = prove_source(tree, [sdk], toolchain, Path(scratch) / "out", settings, log)
    return proof_sentence(proof, python)
