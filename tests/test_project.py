"""The stages every command starts from (analyzer/project.py): each is a frozen value, a
stage returns a new one and leaves its input as it was, and scan, build-plan, prove and
fix all open a tree through :func:`open_project`."""

from __future__ import annotations

import ast
import dataclasses
import shutil
from collections.abc import Mapping
from functools import cache
from pathlib import Path

import pytest

from analyzer import cython
from analyzer.project import (
    BUILD_PROBE,
    TreeOptions,
    open_project,
    plan_stage,
    translate_stage,
    walk_stage,
)
from analyzer.rules import default_rules
from analyzer.scan import ScanOptions, scan
from analyzer.targets import load_targets
from tests.paths import FIXTURES, REPO


def _write(root: Path, files: Mapping[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def test_a_stage_value_cannot_be_changed(tmp_path: Path) -> None:
    tree = walk_stage(_write(tmp_path, {"a.c": "int a;\n"}), TreeOptions())
    with pytest.raises(dataclasses.FrozenInstanceError):
        tree.files = ()  # type: ignore[misc]
    with pytest.raises(TypeError):
        tree.skipped["link"] = 1  # type: ignore[index]
    assert isinstance(tree.files, tuple) and isinstance(tree.all_files, tuple)


def test_the_build_stage_adds_what_the_build_compiles_without_changing_the_walk(tmp_path: Path) -> None:
    # tests/ is left out by the walk (not package code) but setup.py compiles a file there.
    root = _write(
        tmp_path,
        {
            "setup.py": (
                "from setuptools import setup, Extension\n"
                'setup(ext_modules=[Extension("pkg._x", ["src/x.c", "tests/support.c"])])\n'
            ),
            "src/x.c": "int x;\n",
            "tests/support.c": "int s;\n",
            "tests/unused.c": "int u;\n",
        },
    )
    tree = walk_stage(root, TreeOptions())
    before = (tree.files, tree.skipped)
    project = plan_stage(tree, TreeOptions(), default_rules(), load_targets())
    assert project.plan is not None
    assert [s.rel for s in tree.files] == ["src/x.c"]
    assert (tree.files, tree.skipped) == before
    assert sorted(s.rel for s in project.files) == ["src/x.c", "tests/support.c"]
    assert project.sources == project.files
    # Without the build model, the walk's files are all there is.
    alone = plan_stage(tree, TreeOptions(build_model=False), default_rules(), load_targets())
    assert alone.plan is None and alone.files == tree.files


def test_compile_probes_are_not_judged_and_are_counted(tmp_path: Path) -> None:
    root = shutil.copytree(FIXTURES / "builds" / "meson", tmp_path / "meson")
    project = open_project(root, TreeOptions(), default_rules(), load_targets())
    assert project.plan is not None
    assert "checks/sse42.c" in {s.rel for s in project.files}
    assert "checks/sse42.c" not in {s.rel for s in project.sources}
    assert project.skipped[BUILD_PROBE] == 1
    assert BUILD_PROBE not in project.tree.skipped


def test_a_failing_build_model_is_a_warning_not_a_lost_run(tmp_path: Path) -> None:
    root = shutil.copytree(FIXTURES / "builds" / "meson", tmp_path / "meson")

    def broken_judge(text: str) -> Mapping[str, int | None]:
        raise RuntimeError("judge exploded")

    tree = walk_stage(root, TreeOptions())
    project = plan_stage(tree, TreeOptions(), default_rules(), load_targets(), broken_judge)
    assert project.plan is None
    assert [w.message for w in project.warnings] == [
        "build model failed (RuntimeError: judge exploded); each file judged alone"
    ]
    assert project.sources == tree.files  # each file is still judged, alone


@pytest.mark.skipif(not cython.available(), reason="the cython package is not installed")
def test_translation_is_a_new_tree(tmp_path: Path) -> None:
    root = _write(tmp_path / "src", {"pkg/fast.pyx": "def f(int x):\n    return x + 1\n"})
    options = TreeOptions(jobs=1)
    tree = walk_stage(root, options)
    translated = translate_stage(tree, options, tmp_path / "scratch")
    assert tree.generated == {} and "pkg/fast.c" not in tree.all_files
    assert translated.generated == {"pkg/fast.c": "pkg/fast.pyx"}
    assert "pkg/fast.c" in translated.all_files
    assert [s.rel for s in translated.files] == ["pkg/fast.c"]
    # Off by option, and never for one file: the same value comes back.
    assert translate_stage(tree, dataclasses.replace(options, cython=False), tmp_path / "s2") is tree


def test_scan_reports_what_the_stages_found(tmp_path: Path) -> None:
    root = shutil.copytree(FIXTURES / "builds" / "meson", tmp_path / "meson")
    result = scan(root, ScanOptions())
    assert result.skipped.get(BUILD_PROBE) == 1
    assert result.build_systems


@cache
def _tree_of(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"))


def _calls(path: Path, name: str) -> int:
    return sum(
        1
        for node in ast.walk(_tree_of(path))
        if isinstance(node, ast.Call)
        and (
            (isinstance(node.func, ast.Name) and node.func.id == name)
            or (isinstance(node.func, ast.Attribute) and node.func.attr == name)
        )
    )


def _imported(path: Path, module: str) -> set[str]:
    return {
        alias.name
        for node in ast.walk(_tree_of(path))
        if isinstance(node, ast.ImportFrom) and node.module == module
        for alias in node.names
    }


def test_the_import_check_sees_the_walk() -> None:
    assert "walk" in _imported(REPO / "analyzer" / "project.py", "analyzer.native.sources")
    assert _calls(REPO / "analyzer" / "project.py", "plan_tree") == 1


def test_every_command_opens_a_tree_through_the_stages() -> None:
    """One way in: the walk and the build model are called from analyzer/project.py
    alone, and the commands' modules go through its stages."""
    package = REPO / "analyzer"
    for path in package.rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        if (path.name == "project.py" and path.parent == package) or (
            "plan_tree" not in source and "analyzer.native.sources" not in source
        ):
            continue  # a file that names neither cannot call them
        assert _calls(path, "plan_tree") == 0, f"{path}: read the build through analyzer.project"
        assert "walk" not in _imported(path, "analyzer.native.sources"), (
            f"{path}: walk through analyzer.project"
        )
    assert _calls(package / "scan.py", "open_project") == 1
    assert _calls(package / "prove" / "__init__.py", "open_project") == 1
    assert _calls(package / "cli.py", "open_project") >= 1  # build-plan
    assert _calls(package / "fix" / "engine.py", "walk_stage") == 1
