"""A guessed build for a setup.py the static model cannot read (an ``Extension`` class
from a helper outside the tree, sources computed by code it does not follow): the conventional layout, one
extension module per source that defines ``PyInit_NAME`` (or per Cython ``.pyx`` with no
generated C beside it), compiled with the plain sources of its folder. Every module is
only *maybe* built by the real build, so ``prove`` reports a failure of one as not proven
("maybe-compiled"), never as the package's fault; the plan's note says it was guessed."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Sequence

from analyzer.buildmodel.plan import BuildPlan, SourceUse
from analyzer.tri import MAYBE

_PYINIT = re.compile(r"\bPyInit_(\w+)\s*\(\s*(?:void)?\s*\)")
_C_SOURCES = (".c", ".cc", ".cpp", ".cxx")
MAX_SOURCE_BYTES = 8 * 1024 * 1024  # a source read for its PyInit_ (generated C can be large)
NOTE = (
    "setup.py could not be read statically: the extension modules were guessed from the "
    "conventional layout (a source defining PyInit_NAME, with the plain sources of its folder)"
)


def uses_extensions(read_text: Callable[[str], str | None]) -> bool:
    """The tree's setup.py builds extension modules (it names ``Extension``)."""
    text = read_text("setup.py")
    return text is not None and "Extension" in text


def conventional_plan(
    sources: Sequence[str],
    read_text: Callable[[str], str | None],
    models: tuple[str, ...],
) -> BuildPlan | None:
    """The guessed plan of the tree's C/C++/Cython ``sources`` (tree paths, as the walk
    keeps them: no tests, no vendored folders); None when no source defines a module."""
    modules: dict[str, tuple[str, str]] = {}  # source -> (module, folder)
    plain: dict[str, list[str]] = {}  # folder -> C sources that define no module
    stems_with_c = {posixpath.splitext(s)[0] for s in sources if s.endswith(_C_SOURCES)}
    for rel in sorted(sources):
        folder = posixpath.dirname(rel)
        if rel.endswith(".pyx"):
            if posixpath.splitext(rel)[0] not in stems_with_c:  # else its generated C is read
                modules[rel] = (posixpath.basename(rel)[: -len(".pyx")], folder)
            continue
        if not rel.endswith(_C_SOURCES):
            continue
        text = read_text(rel)
        found = _PYINIT.search(text) if text is not None else None
        if found is not None:
            modules[rel] = (found.group(1), folder)
        else:
            plain.setdefault(folder, []).append(rel)
    if not modules:
        return None
    per_folder: dict[str, int] = {}
    for _, folder in modules.values():
        per_folder[folder] = per_folder.get(folder, 0) + 1
    uses: list[SourceUse] = []
    maybe = tuple((m, MAYBE) for m in models)
    for rel, (name, folder) in sorted(modules.items()):
        # The folder's plain sources belong to its module only when it is the only one there.
        siblings = plain.get(folder, []) if per_folder[folder] == 1 else []
        for path in (rel, *siblings):
            uses.append(SourceUse(path, name, "setup.py", 1, maybe))
    # A module's folder is searched for its headers (generated C is compiled elsewhere).
    folders = tuple(sorted({folder or "." for _, folder in modules.values()}))
    return BuildPlan(systems=("conventional",), sources=tuple(uses), notes=(NOTE,), include_dirs=folders)
