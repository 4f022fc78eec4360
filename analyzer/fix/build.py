"""Fixes in build files: setup.py flags (located with ast, edited in place) and CMake
lines. Every edit touches only the bytes it must; the rest of the file is unchanged."""

from __future__ import annotations

import ast
import re

from analyzer.buildmodel.parse import branch_body
from analyzer.fix.model import Unfixable
from analyzer.model import Finding, Language

SETUP_GUARD_NAME = "TARGET_IS_X86"
# setuptools reads the MSVC target from VSCMD_ARG_TGT_ARCH when cross-compiling (as
# cibuildwheel does for ARM64 on x64 runners); platform.machine() names the host.
SETUP_GUARD = (
    "# Added by woaport: x86-only compiler flags go to x86 builds only (VSCMD_ARG_TGT_ARCH\n"
    "# names the target when MSVC cross-compiles, e.g. ARM64 wheels built on x64).\n"
    f'{SETUP_GUARD_NAME} = os.environ.get("VSCMD_ARG_TGT_ARCH", platform.machine()).lower() in (\n'
    '    "x86", "x64", "amd64", "x86_64", "i386", "i686"\n'
    ")\n"
)
CMAKE_X86 = 'CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|x86|X86|i[3-6]86)$"'


def _offset(lines: list[str], line: int, col: int) -> int:
    return sum(len(x) for x in lines[: line - 1]) + col


def fix_setup_py(text: str, findings: list[Finding]) -> str:
    """WOA501/WOA502: each flagged string inside a list literal becomes
    ``*(["flag"] if TARGET_IS_X86 else [])``; the guard is defined once after the imports."""
    try:
        tree = ast.parse(text)
    except SyntaxError as error:
        raise Unfixable(f"setup.py does not parse ({error.msg})") from None
    lines = text.splitlines(keepends=True)
    wanted = {(f.location.line, f.location.column - 1) for f in findings}
    spans: list[tuple[int, int, str]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.List | ast.Tuple):
            continue
        for element in node.elts:
            if isinstance(element, ast.Constant) and (element.lineno, element.col_offset) in wanted:
                if element.end_lineno != element.lineno or element.end_col_offset is None:
                    raise Unfixable("the flag string spans lines")
                source = ast.get_source_segment(text, element) or repr(element.value)
                start = _offset(lines, element.lineno, element.col_offset)
                end = _offset(lines, element.lineno, element.end_col_offset)
                spans.append((start, end, f"*([{source}] if {SETUP_GUARD_NAME} else [])"))
                wanted.discard((element.lineno, element.col_offset))
    if wanted:
        raise Unfixable("the flag is not an element of a list literal (a variable or a call builds it)")
    for start, end, replacement in sorted(spans, reverse=True):
        text = text[:start] + replacement + text[end:]
    return _add_guard(text)


def _add_guard(text: str) -> str:
    if re.search(rf"^{SETUP_GUARD_NAME}\s*=", text, re.MULTILINE):
        return text
    tree = ast.parse(text)
    imported = {alias.name for n in tree.body if isinstance(n, ast.Import) for alias in n.names}
    needs = "".join(f"import {m}\n" for m in ("os", "platform") if m not in imported)
    last_import = 0
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            last_import = node.end_lineno or node.lineno
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and last_import == 0:
            last_import = node.end_lineno or node.lineno  # after the module docstring
    lines = text.splitlines(keepends=True)
    head, rest = "".join(lines[:last_import]), "".join(lines[last_import:])
    if head and not head.endswith("\n"):
        head += "\n"
    block = needs + ("\n" if head or needs else "") + SETUP_GUARD
    if rest.strip() and not rest.startswith("\n"):
        block += "\n"
    return head + block + rest


def fix_cmake(text: str, findings: list[Finding]) -> str:
    lines = text.splitlines(keepends=True)
    for finding in sorted(findings, key=lambda f: -f.location.line):
        index = finding.location.line - 1
        line = lines[index]
        if finding.rule_id == "WOA510":
            lines[index] = _cmake_add_arm64(line)
        elif finding.rule_id == "WOA511":
            lines[index] = _cmake_guard_line(line)
        else:
            raise Unfixable("no automatic fix for this rule")
    return "".join(lines)


def _cmake_add_arm64(line: str) -> str:
    m = re.search(r'\bMATCHES\s+"([^"]*)"', line)
    if m is None:
        raise Unfixable('not a MATCHES "..." test (STREQUAL cannot take an alternative)')
    regex = m.group(1)
    if regex.startswith("^") or regex.endswith("$"):
        new = "^(" + regex.removeprefix("^").removesuffix("$") + "|ARM64)$"
    else:
        new = regex + "|ARM64"
    return line[: m.start(1)] + new + line[m.end(1) :]


def _cmake_code(line: str) -> str:
    """The line without a trailing # comment (a # inside a quoted argument stays)."""
    quoted = False
    for index, char in enumerate(line):
        if char == '"':
            quoted = not quoted
        elif char == "#" and not quoted:
            return line[:index]
    return line


def _cmake_guard_line(line: str) -> str:
    stripped = _cmake_code(line).strip()
    if stripped.count("(") != stripped.count(")") or not stripped.endswith(")"):
        raise Unfixable("the flag is part of a command spanning several lines")
    indent = line[: len(line) - len(line.lstrip())]
    newline = "\n" if line.endswith("\n") else ""
    body = line.rstrip("\r\n")
    split = _split_compile_options(stripped)
    if split is not None:
        # Keep the portable options for every architecture; only the x86 ones move.
        kept, moved = split
        comment = body[len(_cmake_code(body).rstrip()) :]
        return (
            f"{indent}{kept}{comment}\n{indent}if({CMAKE_X86})\n{indent}  {moved}\n{indent}endif()" + newline
        )
    return f"{indent}if({CMAKE_X86})\n  {body}\n{indent}endif()" + newline


_X86_CMAKE_FLAG = re.compile(
    r"^(?:-m(?:sse(?:\d(?:\.\d)?)?|ssse3|avx\w*|fma|bmi2?|popcnt|pclmul|aes|f16c)|-march=\S+|[/-]arch:(?:SSE2?|AVX\w*))$"
)


def _split_compile_options(code: str) -> tuple[str, str] | None:
    """``add_compile_options(-O2 -mavx2)`` -> (``add_compile_options(-O2)``,
    ``add_compile_options(-mavx2)``); None when there is nothing portable to keep."""
    m = re.fullmatch(r"(add_compile_options)\s*\((.*)\)", code)
    if m is None:
        return None
    args = m.group(2).split()
    x86 = [a for a in args if _X86_CMAKE_FLAG.match(a)]
    rest = [a for a in args if a not in x86]
    if not rest or not x86 or any('"' in a or "$" in a for a in args):
        return None
    return f"{m.group(1)}({' '.join(rest)})", f"{m.group(1)}({' '.join(x86)})"


_MESON_TEST = re.compile(r"cpu_family\(\)\s*==\s*(['\"])(x86_64)\1")
_X86_CONTENT = re.compile(r"(?i)sse|avx|x86|amd64|intel|[/-]arch:|-m(?:fma|bmi|popcnt|pclmul|aes)")


def fix_meson(text: str, findings: list[Finding]) -> str:
    """WOA520: a cpu_family() == 'x86_64' test guarding nothing x86-specific (a 64-bit
    check, say) becomes cpu_family() in ['x86_64', 'aarch64']. A branch holding x86 code
    (SSE sources, -m flags) needs its NEON counterpart written by hand."""
    lines = text.splitlines(keepends=True)
    for finding in sorted(findings, key=lambda f: -f.location.line):
        index = finding.location.line - 1
        m = _MESON_TEST.search(lines[index])
        branch = branch_body(lines, Language.MESON, index + 1) if m is not None else None
        if m is None or branch is None:
            raise Unfixable("not an if/elif cpu_family() == 'x86_64' test")
        body = "".join(branch)
        if _X86_CONTENT.search(body):
            raise Unfixable(
                "the branch holds x86-specific code: add an aarch64 branch with the NEON equivalent"
            )
        quote = m.group(1)
        widened = f"cpu_family() in [{quote}x86_64{quote}, {quote}aarch64{quote}]"
        lines[index] = lines[index][: m.start()] + widened + lines[index][m.end() :]
    return "".join(lines)
