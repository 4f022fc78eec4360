"""The per-translation-unit walk (analyzer/native/units.py): macro state in order, per
unit, three-valued; bad input (cycles, deep chains, many units, huge amalgamations,
unbalanced directives) ends, and a walk over budget says so."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.model import Language
from analyzer.native import units
from analyzer.native.guards import FileStructure, TreeMacros
from analyzer.native.preproc import parse_preprocessor
from analyzer.native.units import UnitCover, WalkTooLong, walk_units
from analyzer.scan import scan
from analyzer.targets import load_targets
from analyzer.tri import Value


def tree_of(files: dict[str, str]) -> TreeMacros:
    return TreeMacros(
        [
            FileStructure(
                path,
                Language.CPP if path.endswith(".cpp") else Language.C,
                path.endswith(".h"),
                parse_preprocessor(text.encode()),
            )
            for path, text in files.items()
        ]
    )


def walk(
    files: dict[str, str], roots: dict[str, Value], model: str = "msvc-arm64", budget: int = 10**7
) -> UnitCover:
    targets = load_targets()
    return walk_units(
        tree_of(files),
        targets.by_name(model),
        roots,
        targets.known_macros,
        targets.predefined_shape,
        budget=budget,
    ).result


def line_compiled(cover: UnitCover, files: dict[str, str], path: str, line: int) -> Value:
    structure = parse_preprocessor(files[path].encode())
    return cover.cover.get(path, {}).get(structure.owner(line), 0)


def test_redefined_and_undefined_macros_follow_the_order() -> None:
    files = {
        "u.c": "#define X 1\n#undef X\n#if defined(X)\nint a;\n#endif\n"
        "#define X 2\n#if X == 2\nint b;\n#endif\n"
    }
    cover = walk(files, {"u.c": 1})
    assert line_compiled(cover, files, "u.c", 4) == 0
    assert line_compiled(cover, files, "u.c", 8) == 1


def test_arms_under_a_build_flag_are_joined() -> None:
    files = {
        "u.c": "#ifdef BUILD_FLAG\n#define M 1\n#else\n#define M 2\n#endif\n"
        "#if M == 1\nint a;\n#endif\n#if defined(M)\nint b;\n#endif\n"
    }
    cover = walk(files, {"u.c": 1})
    assert line_compiled(cover, files, "u.c", 7) is None  # which value depends on the build
    assert line_compiled(cover, files, "u.c", 10) == 1  # defined on both paths


def test_the_unit_language_decides_cplusplus_in_a_shared_header() -> None:
    files = {
        "h.h": "#ifdef __cplusplus\nint cpp;\n#else\nint c;\n#endif\n",
        "a.c": '#include "h.h"\n',
    }
    cover = walk(files, {"a.c": 1})
    assert line_compiled(cover, files, "h.h", 2) == 0
    assert line_compiled(cover, files, "h.h", 4) == 1
    cover = walk({**files, "b.cpp": '#include "h.h"\n'}, {"a.c": 1, "b.cpp": 1})
    assert line_compiled(cover, files, "h.h", 2) == 1  # judged in both units' contexts


def test_include_cycles_and_self_includes_end() -> None:
    files = {
        "u.c": '#include "a.h"\n',
        "a.h": '#include "b.h"\nint a;\n#include "a.h"\n',
        "b.h": '#include "a.h"\nint b;\n',
    }
    cover = walk(files, {"u.c": 1})
    assert cover.files == {"u.c": 1, "a.h": 1, "b.h": 1}


def test_an_include_chain_thousands_deep_ends_and_reaches_its_end() -> None:
    depth = 3000
    files = {f"h{i}.h": f'#define LEVEL_{i} 1\n#include "h{i + 1}.h"\n' for i in range(depth)}
    files[f"h{depth}.h"] = "#if defined(LEVEL_0) && defined(LEVEL_2999)\nint deepest;\n#endif\n"
    files["u.c"] = '#include "h0.h"\n'
    cover = walk(files, {"u.c": 1})
    assert len(cover.files) == depth + 2
    assert line_compiled(cover, files, f"h{depth}.h", 2) == 1


def test_a_deep_chain_whose_every_header_includes_the_first_ends() -> None:
    depth = 2000
    files = {f"c{i}.h": f'#include "c0.h"\n#include "c{i + 1}.h"\nint c{i};\n' for i in range(depth)}
    files[f"c{depth}.h"] = "int last;\n"
    files["u.c"] = '#include "c0.h"\n'
    cover = walk(files, {"u.c": 1})
    assert cover.files[f"c{depth}.h"] == 1


def test_a_header_reached_by_thousands_of_units_is_walked_once_per_macro_context() -> None:
    files = {f"u{i}.c": f'#define UNIT_{i} 1\n#include "shared.h"\n' for i in range(2000)}
    files["u7.c"] = '#define WIDE 1\n#include "shared.h"\n'
    files["shared.h"] = '#ifdef WIDE\nint wide;\n#else\nint narrow;\n#endif\n#include "leaf.h"\n'
    files["leaf.h"] = "int leaf;\n"
    cover = walk(files, {f"u{i}.c": 1 for i in range(2000)})
    # UNIT_i is never read by the header: two contexts (WIDE or not), two walks of
    # shared.h; leaf.h reads nothing, so one walk. Every other entry is a replay.
    assert cover.header_walks == 3
    assert cover.replays == 1998 + 1
    assert line_compiled(cover, files, "shared.h", 2) == 1
    assert line_compiled(cover, files, "shared.h", 4) == 1


def test_a_40000_line_amalgamation_compiles_every_section() -> None:
    sections = [f"#ifndef SECTION_{i}_H\n#define SECTION_{i}_H\nint s{i};\n#endif\n" for i in range(10000)]
    files = {"all.h": "".join(sections), "u.c": '#include "all.h"\n#include "all.h"\n'}
    cover = walk(files, {"u.c": 1})
    assert line_compiled(cover, files, "all.h", 3) == 1
    assert line_compiled(cover, files, "all.h", 39999) == 1


def test_unbalanced_directives_stay_in_their_file() -> None:
    files = {
        "open.h": "#if 0\nint never;\n",  # never closed: ends with its file
        "stray.h": "#endif\nint stray;\n",  # closes nothing of its includer
        "u.c": '#if 1\n#include "open.h"\nint after_open;\n#include "stray.h"\nint still_in;\n#endif\n',
    }
    cover = walk(files, {"u.c": 1})
    assert line_compiled(cover, files, "open.h", 2) == 0
    assert line_compiled(cover, files, "u.c", 3) == 1
    assert line_compiled(cover, files, "stray.h", 2) == 1
    assert line_compiled(cover, files, "u.c", 5) == 1


def test_system_header_names_are_not_tree_files() -> None:
    files = {"u.c": "#include <math.h>\n", "vec/math.h": "int vec;\n", "v.c": '#include "vec/math.h"\n'}
    cover = walk(files, {"u.c": 1})
    assert "vec/math.h" not in cover.files
    assert walk(files, {"v.c": 1}).files["vec/math.h"] == 1


def test_a_walk_over_budget_raises_and_the_scan_falls_back_with_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = {"u.c": "#if 1\n#endif\n" * 50}
    with pytest.raises(WalkTooLong):
        walk(files, {"u.c": 1}, budget=10)
    (tmp_path / "u.c").write_text(
        '#include "u.h"\n' + "#ifdef __x86_64__\n#else\nint x = _mm_pause();\n#endif\n" * 20
    )
    (tmp_path / "u.h").write_text("int h;\n")
    monkeypatch.setattr(units, "DEFAULT_BUDGET", 10)
    result = scan(tmp_path)
    assert any("per-unit walk" in w.message for w in result.warnings)
    assert {f.location.line for f in result.findings} >= {4}  # still judged, one file at a time


def test_a_unit_that_includes_no_tree_file_sees_no_other_files_macros(tmp_path: Path) -> None:
    # lone.c is judged without a walk (it defines nothing a condition reads); walked.c
    # defines a macro, so it is walked. Neither sees other.c's definition.
    (tmp_path / "other.c").write_text("#define OTHER_FAST 1\nint other;\n")
    (tmp_path / "lone.c").write_text("#ifdef OTHER_FAST\nvoid f(void) { _mm_pause(); }\n#endif\n")
    (tmp_path / "walked.c").write_text(
        "#define OWN 1\n#if defined(OWN) && defined(OTHER_FAST)\nvoid g(void) { _mm_pause(); }\n#endif\n"
        "#if defined(OWN)\nvoid h(void) { _mm_pause(); }\n#endif\n"
    )
    found = {(f.location.path, f.location.line) for f in scan(tmp_path).findings if f.rule_id == "WOA102"}
    assert found == {("walked.c", 6)}
