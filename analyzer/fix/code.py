"""Fixes in C/C++ preprocessor conditions (one directive line, edited in place)."""

from __future__ import annotations

import re

from analyzer.fix.model import Unfixable
from analyzer.model import Finding

_DIRECTIVE = re.compile(
    r"^(?P<lead>[ \t]*#[ \t]*)(?P<kind>ifdef|ifndef|if|elif)(?P<sep>[ \t]+)"
    r"(?P<cond>.*?)(?P<tail>[ \t]*(?://.*|/\*.*\*/)?[ \t]*)$"
)
# What WOA130 adds _M_ARM64 beside (cl.exe defines none of these), and WOA131 the reverse.
_GCC_ARM64 = (
    r"__aarch64__|__arm64__|__ARM_NEON(?:__)?|__ARM_NEON_FP"
    r"|__ARM_ARCH_ISA_A64|__AARCH64EL__|__ARM_64BIT_STATE"
)
X86_TEST = (
    "(defined(_M_X64) || defined(_M_IX86) || defined(__x86_64__) || defined(__i386__))"
    " && !defined(_M_ARM64EC)"
)


def _split(line: str) -> re.Match[str]:
    m = _DIRECTIVE.match(line)
    if m is None or line.rstrip().endswith("\\"):
        raise Unfixable("the condition spans several lines or is not a plain #if/#ifdef/#elif")
    return m


def _as_if(m: re.Match[str]) -> tuple[str, str]:
    """(keyword, condition) with #ifdef/#ifndef spelled as #if defined(...)."""
    kind, cond = m.group("kind"), m.group("cond").strip()
    if kind == "ifdef":
        return "if", f"defined({cond})"
    if kind == "ifndef":
        return "if", f"!defined({cond})"
    return kind, cond


def widen_arm64(line: str, add: str) -> str:
    """WOA130/WOA131: each test of the GCC-style ARM64 macros also accepts ``_M_ARM64``
    (or, for ``add='__aarch64__'``, each ``_M_ARM64`` test also accepts ``__aarch64__``)."""
    m = _split(line)
    keyword, cond = _as_if(m)
    source = r"\b_M_ARM64\b" if add == "__aarch64__" else rf"\b(?:{_GCC_ARM64})\b"
    pattern = re.compile(rf"defined\s*\(\s*({source})\s*\)|defined\s+({source})")
    if re.search(rf"\b{re.escape(add)}\b", cond):
        raise Unfixable(f"the condition already names {add}")
    new, count = pattern.subn(lambda x: f"(defined({x.group(1) or x.group(2)}) || defined({add}))", cond)
    if count == 0:
        raise Unfixable("the ARM64 test is not a defined(...) test (e.g. a __ARM_ARCH comparison)")
    return f"{m.group('lead')}{keyword} {new}{m.group('tail')}"


def restrict_to_x86(line: str) -> str:
    """WOA140: a Windows/compiler test in front of x86-only code also requires x86 (and
    not ARM64EC), so ARM64 falls through to the next branch."""
    m = _split(line)
    keyword, cond = _as_if(m)
    if "_M_ARM64EC" in cond and "_M_X64" in cond:
        raise Unfixable("the condition already tests the architecture")
    return f"{m.group('lead')}{keyword} ({cond}) && {X86_TEST}{m.group('tail')}"


def fix_c_line(line: str, finding: Finding) -> str:
    if finding.rule_id == "WOA130":
        return widen_arm64(line, "_M_ARM64")
    if finding.rule_id == "WOA131":
        return widen_arm64(line, "__aarch64__")
    if finding.rule_id == "WOA140":
        return restrict_to_x86(line)
    raise Unfixable("no automatic fix for this rule")
