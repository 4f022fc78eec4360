"""What a fix run produces (pure data)."""

from __future__ import annotations

from dataclasses import dataclass

from analyzer.model import Finding


class Unfixable(Exception):
    """No safe automatic fix for this finding; the message says why."""


class PartialFix(Exception):
    """A fixer fixed some of its findings: ``text`` is the new text, ``unfixed`` says why
    the others were left."""

    def __init__(self, text: str, unfixed: list[tuple[Finding, str]]) -> None:
        super().__init__(f"{len(unfixed)} finding(s) left")
        self.text = text
        self.unfixed = unfixed


@dataclass(frozen=True)
class FileEdit:
    rel: str
    before: bytes
    after: bytes
    resolved: tuple[Finding, ...]  # the findings this edit is meant to remove


@dataclass(frozen=True)
class ManualItem:
    finding: Finding
    reason: str


@dataclass(frozen=True)
class FixPlan:
    edits: tuple[FileEdit, ...]
    manual: tuple[ManualItem, ...]
    problems: tuple[tuple[str, str], ...]  # (path, why the file was left alone)
