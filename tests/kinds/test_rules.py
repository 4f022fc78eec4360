from __future__ import annotations

import json
import os
import re
import tomllib
from pathlib import Path

import pytest

from analyzer.docs import rule_markdown
from analyzer.fallbacks import default_fallbacks
from analyzer.kinds import fast_start
from analyzer.rules import Rule, RuleError, default_rules, load_rules, select_rules
from analyzer.targets import RULES_DIR, load_targets
from tests.paths import DOCS, FIXTURES

RULE_DOCS = DOCS / "rules"


def test_rule_ids_are_unique_and_stable() -> None:
    ids = [r.id for r in default_rules()]
    assert len(ids) == len(set(ids))
    assert {"WOA101", "WOA102", "WOA110", "WOA120", "WOA130", "WOA140", "WOA150", "WOA160", "WOA301"} <= set(
        ids
    )


@pytest.mark.parametrize("rule", default_rules(), ids=lambda r: r.id)
def test_docs_are_generated_and_current(rule: Rule) -> None:
    path = RULE_DOCS / f"{rule.id}.md"
    assert path.read_text() == rule_markdown(rule), "run: python scripts/gen_docs.py"


def _copy_rules(tmp_path: Path) -> Path:
    for p in RULES_DIR.iterdir():
        (tmp_path / p.name).write_bytes(p.read_bytes())
    return tmp_path


def test_schema_violation_names_file_and_field(tmp_path: Path) -> None:
    rules = _copy_rules(tmp_path)
    text = (rules / "c-asm.toml").read_text().replace('severity = "error"', 'severity = "fatal"', 1)
    (rules / "c-asm.toml").write_text(text)
    with pytest.raises(RuleError, match=r"c-asm.toml: rule/0/severity"):
        load_rules(rules)


def test_bad_regex_and_unknown_model_and_duplicate(tmp_path: Path) -> None:
    rules = _copy_rules(tmp_path)
    original = (rules / "c-asm.toml").read_text()
    (rules / "c-asm.toml").write_text(original.replace('form = "msvc"', 'form = "msvc"\npattern = "(["', 1))
    with pytest.raises(RuleError, match="bad regular expression"):
        load_rules(rules)
    (rules / "c-asm.toml").write_text(
        original.replace('models = ["msvc-arm64", "arm64ec"]', 'models = ["x64"]')
    )
    with pytest.raises(RuleError, match="unknown target model"):
        load_rules(rules)
    (rules / "c-asm.toml").write_text(original.replace('id = "WOA121"', 'id = "WOA120"'))
    with pytest.raises(RuleError, match="defined twice"):
        load_rules(rules)


def test_adding_a_rule_needs_no_python(tmp_path: Path) -> None:
    rules = _copy_rules(tmp_path)
    (rules / "extra.toml").write_text("""
family = "extra"
description = "test family"
[[rule]]
id = "WOA199"
name = "x86-pause-macro"
category = "code"
severity = "note"
languages = ["c"]
models = ["msvc-arm64"]
summary = "YieldProcessor-like macro"
message = "{match} found"
[rule.match]
kind = "token"
pattern = "MY_X86_PAUSE"
[rule.doc]
why = "w"
bad = "b"
good = "g"
fix = "f"
references = ["r"]
""")
    loaded = load_rules(rules)
    assert "WOA199" in [r.id for r in loaded]
    from analyzer.scan import ScanOptions, scan

    src = tmp_path / "src"
    src.mkdir()
    (src / "a.c").write_text("void f(void) { MY_X86_PAUSE(); }\n")
    result = scan(src, ScanOptions(rules=loaded))
    assert [f.rule_id for f in result.findings] == ["WOA199"]


def test_select_by_prefix_and_name() -> None:
    rules = default_rules()
    assert {r.id for r in select_rules(rules, ["WOA3"], [])} == {"WOA301", "WOA302", "WOA303"}
    assert [r.id for r in select_rules(rules, ["x86-simd-header"], [])] == ["WOA101"]
    with pytest.raises(ValueError):
        select_rules(rules, ["nope"], [])


def test_fallback_table_facts() -> None:
    table = default_fallbacks()
    assert table.lookup("_mm_add_ps").neon == "vaddq_f32"  # type: ignore[union-attr]
    assert table.lookup("_mm_hadd_ps").neon == "vpaddq_f32"  # type: ignore[union-attr]
    assert table.lookup("_mm256_add_ps").sse2neon is False  # type: ignore[union-attr]
    assert "__umulh" in (table.lookup("_umul128").neon or "")  # type: ignore[union-attr]
    assert table.lookup("strlen") is None
    # Every SSE-SSE4.2 arithmetic/compare/load/store basic has an entry.
    for name in [
        "_mm_sub_epi32",
        "_mm_cmpeq_epi8",
        "_mm_loadu_si128",
        "_mm_shuffle_epi8",
        "_mm_blendv_epi8",
        "_mm_cmpgt_epi64",
        "_mm_crc32_u32",
        "_mm256_add_epi32",
    ]:
        entry = table.lookup(name)
        assert entry is not None and (entry.neon or entry.generic), name


@pytest.mark.parametrize(
    ("rule_id", "field", "text"),
    [
        ("WOA110", "pattern", "__cpuid"),
        ("WOA110", "pattern", "__cpuidex"),
        ("WOA110", "pattern", "__rdtsc"),
        ("WOA111", "pattern", "__popcnt64"),
        ("WOA130", "condition", "defined(__ARM_NEON)"),
        ("WOA130", "condition", "defined(__ARM_NEON__)"),
        ("WOA130", "condition", "defined(__aarch64__)"),
        ("WOA140", "condition", "defined(_WIN64)"),
        ("WOA150", "condition", "defined(_M_AMD64)"),
    ],
)
def test_patterns_accept_every_spelling(rule_id: str, field: str, text: str) -> None:
    """Regression: '__cpuidex?' and '__ARM_NEON__?' made the wrong character optional."""
    rule = next(r for r in default_rules() if r.id == rule_id)
    pattern = getattr(rule.match, field)
    subject: str | bytes = text.encode() if isinstance(pattern.pattern, bytes) else text
    assert pattern.search(subject)


@pytest.mark.parametrize(
    "macro",
    [
        "__ARM_NEON",
        "__ARM_NEON__",
        "__x86_64__",
        "_M_X64",
        "__SSE2__",
        "__aarch64__",
        "_M_ARM64",
        "__i386__",
        "__AVX2__",
        "_M_IX86",
    ],
)
def test_arch_macro_pattern(macro: str) -> None:
    import re

    from analyzer.rules import load_patterns

    assert re.search(load_patterns()["arch_macro"], f"defined({macro})")


def test_prefilter_literals_never_drop_a_finding(tmp_path: Path) -> None:
    """The rules' prefilter literals are a pure optimisation: same findings without them."""
    import dataclasses

    from analyzer.scan import ScanOptions, scan

    fixtures = FIXTURES
    with_literals = default_rules()
    without = tuple(dataclasses.replace(r, prefilter=()) for r in with_literals)
    assert any(r.prefilter for r in with_literals)
    for root in (fixtures / "rules", fixtures / "guards", fixtures / "cython"):
        fast = scan(root, ScanOptions(rules=with_literals))
        slow = scan(root, ScanOptions(rules=without))
        assert fast.findings == slow.findings


@pytest.mark.parametrize(
    ("pattern", "text", "expected"),
    [
        (r"\b_mm_\w+", "x _mm_add_ps(", ["_mm_add_ps"]),
        (r"\b_mm_\w+", "x__mm_add_ps(", []),
        (r"\bv[a-z]+q_f32\b", "vaddq_f32 ; xvaddq_f32", ["vaddq_f32"]),
        (r"\b_?foo\b", "foo _foo afoo", ["foo", "_foo"]),  # quantified literal: left alone
        (r"\\bx", r"a\bx \bx", [r"\bx", r"\bx"]),  # an escaped backslash, not a boundary
    ],
)
def test_fast_start_matches_like_the_word_boundary_it_replaces(
    pattern: str, text: str, expected: list[str]
) -> None:
    assert re.findall(pattern, text) == expected
    assert re.findall(fast_start(pattern), text) == expected


def test_readme_tables_are_what_the_cli_prints() -> None:
    """The README's model and rule tables are generated from the CLI's own output: they
    cannot drift from `woaport targets` and `woaport rules` (run scripts/gen_docs.py)."""
    from click.testing import CliRunner

    from analyzer.cli import main
    from analyzer.docs import limits_table, replace_block

    readme = (DOCS.parent / "README.md").read_text()
    targets = CliRunner().invoke(main, ["targets", "--markdown"]).output
    rules = CliRunner().invoke(main, ["rules", "--markdown"]).output
    assert "`msvc-arm64`" in targets and "| [WOA130]" in rules
    regenerated = replace_block(replace_block(readme, "targets", targets), "rules", rules)
    regenerated = replace_block(regenerated, "limits", limits_table())
    assert regenerated == readme, "run: python scripts/gen_docs.py"
    assert "`WOAPORT_LIMIT_CHILD_MEMORY_BYTES` | 4,294,967,296 | Address space" in readme
    for model in load_targets().models:  # the plain listing names the same macros
        assert model.name in CliRunner().invoke(main, ["targets"]).output


def test_retired_ids_are_never_reused_and_explain_where_their_check_went() -> None:
    from click.testing import CliRunner

    from analyzer.cli import main
    from analyzer.rules import retired_rules, select_rules

    retired = retired_rules()
    active = {r.id for r in default_rules()} | {r.name for r in default_rules()}
    assert {"WOA131", "WOA621"} <= set(retired) and not set(retired) & active
    shown = CliRunner().invoke(main, ["rules", "WOA621"])
    assert shown.exit_code == 0 and "retired" in shown.output and "WOA620" in shown.output
    with pytest.raises(ValueError, match=r"WOA131 .* is retired"):
        select_rules(default_rules(), ["WOA131"], [])


def test_sarif_rules_name_their_level_and_fence_examples_in_their_language() -> None:
    from analyzer.report import sarif
    from analyzer.result import ScanResult

    result = ScanResult(
        root=".", findings=(), warnings=(), files_scanned=0, bytes_scanned=0, rules=default_rules()
    )
    driver = sarif.to_dict(result)["runs"][0]["tool"]["driver"]
    levels = {d["id"]: d["defaultConfiguration"]["level"] for d in driver["rules"]}
    assert levels["WOA170"] == "warning" and levels["WOA101"] == "error" and levels["WOA160"] == "note"
    help_of = {d["id"]: d["help"]["markdown"] for d in driver["rules"]}
    assert "```yaml" in help_of["WOA620"] and "```c\n" not in help_of["WOA620"]
    assert "```c\n" in help_of["WOA101"]


def test_a_rule_file_is_parsed_and_schema_checked_once_per_content(tmp_path: Path) -> None:
    """The parsed, checked data is kept by content in the user cache (the parse and the
    check were most of a one-file scan's start-up); an edit that breaks the schema is
    caught all the same, and a corrupt cache entry is parsed again, not trusted."""
    import shutil

    from analyzer.rules import RuleError, load_patterns, load_rule_file

    copy = tmp_path / "c-asm.toml"
    shutil.copy(RULES_DIR / "c-asm.toml", copy)
    patterns = load_patterns()
    first = load_rule_file(copy, patterns)
    parsed = Path(os.environ["XDG_CACHE_HOME"]) / "woaport" / "rules-parsed"
    family = tomllib.loads(copy.read_text())["family"]
    (entry,) = [f for f in parsed.glob("*.json") if json.loads(f.read_text())["family"] == family]
    assert load_rule_file(copy, patterns) == first  # from the cache: the same rules
    entry.write_text("{ not json")
    assert load_rule_file(copy, patterns) == first  # a broken entry is parsed again
    copy.write_text(copy.read_text().replace('severity = "error"', 'severity = "fatal"', 1))
    with pytest.raises(RuleError, match="severity"):
        load_rule_file(copy, patterns)


def test_the_cli_starts_without_the_heavy_modules() -> None:
    """--version and the help need none of the scan, index, SARIF or schema libraries
    (issue 27: start-up was 0.5 CPU-s; benchmarks/startup_bench.py measures it)."""
    import subprocess
    import sys

    probe = (
        "import sys; from analyzer import cli; "
        "print(sorted(m for m in ('analyzer.scan', 'analyzer.fix.engine', 'httpx', 'sarif_om', 'jsonschema',"
        " 'analyzer.status.run', 'analyzer.kinds') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_a_one_file_scan_loads_only_what_it_uses(tmp_path: Path) -> None:
    """What a pre-commit run of one C file pays for (issue 27, item 1): no archive, index,
    git, history, process-pool, precise-mode, packaging-marker or .gitignore library."""
    import subprocess
    import sys

    source = tmp_path / "one.c"
    source.write_text("#include <immintrin.h>\nint f(void) { return 0; }\n")
    heavy = (
        "tarfile", "zipfile", "httpx", "configparser", "sqlite3", "email.parser",
        "multiprocessing", "concurrent.futures", "pathspec", "packaging.markers",
        "importlib.metadata", "analyzer.precise.run", "analyzer.index.httpcache", "jsonschema",
    )  # fmt: skip
    probe = (
        "import sys\nfrom analyzer.cli import main\n"
        f"try:\n    main(['scan', {str(source)!r}, '-q'])\n"
        "except SystemExit:\n    pass\n"
        f"print(sorted(m for m in {heavy!r} if m in sys.modules))\n"
    )
    # The first run parses and checks the rule files (jsonschema); the second reads them
    # from the cache, as every run after the first does.
    for _attempt in ("first", "second"):
        done = subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=tmp_path
        )
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stdout + done.stderr


def test_the_file_kind_table_covers_every_language_and_the_rule_schema() -> None:
    """One table (analyzer/filekinds.py) says, per file kind, how it is recognised, its
    comment-only lines and its examples' fence: every Language is in it, and the rule
    files' language list is exactly its languages."""
    import json

    from analyzer.filekinds import FILE_KIND, FILE_KINDS
    from analyzer.model import Language
    from analyzer.native.sources import build_language
    from analyzer.targets import RULES_DIR

    assert set(FILE_KIND) == set(Language) and len(FILE_KINDS) == len(Language)
    schema = json.loads((RULES_DIR / "schema.json").read_text())
    languages = schema["properties"]["rule"]["items"]["properties"]["languages"]["items"]["enum"]
    assert sorted(languages) == sorted(language.value for language in Language)
    for kind in FILE_KINDS:  # a file named like the kind is recognised as it
        for name in sorted(kind.names) + [f"x{suffix}" for suffix in sorted(kind.suffixes)]:
            assert build_language(f"pkg/{name}") is kind.language, name
