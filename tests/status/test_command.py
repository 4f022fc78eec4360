"""The status stage's project list: names, a package list, and how a run is labelled
for the trend (only runs from a package list alone form it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.status.command import project_list
from analyzer.status.toplist import TopListError


def test_names_come_first_then_the_package_list(tmp_path: Path) -> None:
    listed = tmp_path / "top.txt"
    listed.write_text("numpy\nlxml\nregex\n")
    projects = project_list(("extra",), 2, listed)
    assert projects.names == ("extra", "numpy", "lxml") and projects.listed
    # Named projects beside the list: an ad-hoc run, not one of the trend's series.
    assert projects.label(("extra",), 2) == ""
    alone = project_list((), 2, listed)
    assert alone.label((), 2) == f"top 2 of {alone.source}"
    assert project_list(("a", "b"), None, None).label(("a", "b"), None) == ""


def test_nothing_named_and_an_unreadable_list_are_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="name some projects"):
        project_list((), None, None)
    broken = tmp_path / "top.json"
    broken.write_text("{not json")
    with pytest.raises(TopListError):
        project_list((), None, broken)
