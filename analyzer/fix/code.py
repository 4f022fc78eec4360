"""Fixes in C/C++ preprocessor conditions (one directive line, edited in place)."""

from __future__ import annotations

import re

from analyzer.fix.model import PartialFix, Unfixable
from analyzer.model import Finding

_DIRECTIVE = re.compile(
    r"^(?P<lead>[ \t]*#[ \t]*)(?P<kind>ifdef|ifndef|if|elif)(?P<sep>[ \t]+)"
    r"(?P<cond>.*?)(?P<tail>[ \t]*(?://.*|/\*.*\*/)?[ \t]*)$"
)
# What WOA130 adds _M_ARM64 beside (cl.exe defines none of these).
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
    """WOA130: each test of the GCC-style ARM64 macros also accepts ``_M_ARM64`` (with
    ``add='__aarch64__'``, the reverse: each ``_M_ARM64`` test also accepts ``__aarch64__``)."""
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
    if finding.rule_id == "WOA140":
        return restrict_to_x86(line)
    raise Unfixable("no automatic fix for this rule")


# x64-only intrinsics with an exact ARM64 equivalent: the high half of a 64x64 multiply.
# (name, MSVC ARM64 intrinsic, GCC-style type for the same result via __int128)
_WIDE_MULTIPLY = {"_umul128": ("__umulh", "unsigned"), "_mul128": ("__mulh", "signed")}
_SIDE_EFFECTS = re.compile(r"\+\+|--|(?<![=!<>])=(?!=)|\(")


def _call_args(line: str, start: int) -> tuple[list[str], int]:
    """The comma-separated arguments of the call whose "(" is at ``start``, and the
    offset after its ")"."""
    depth, args, current = 0, [], ""
    for index in range(start, len(line)):
        char = line[index]
        if char == "(":
            depth += 1
            if depth == 1:
                continue
        elif char == ")":
            depth -= 1
            if depth == 0:
                args.append(current.strip())
                return args, index + 1
        elif char == "," and depth == 1:
            args.append(current.strip())
            current = ""
            continue
        current += char
    raise Unfixable("the call spans several lines")


def wide_multiply(lines: list[str], index: int, name: str) -> list[str]:
    """``lo = _umul128(a, b, &hi);`` -> the same line under #if for x64, and for ARM64 the
    exact equivalent: ``__umulh`` (MSVC) or a 128-bit product (GCC/clang)."""
    line = lines[index].rstrip("\r\n")
    ending = lines[index][len(line) :] or "\n"
    m = re.search(rf"\b{name}\s*\(", line)
    if m is None:
        raise Unfixable(f"{name} is not called on this line")
    args, end = _call_args(line, m.end() - 1)
    if len(args) != 3 or any(_SIDE_EFFECTS.search(a) for a in args[:2]) or _SIDE_EFFECTS.search(args[2]):
        raise Unfixable("arguments with side effects or calls would be evaluated twice")
    a, b, high = args
    target = high[1:].strip() if high.startswith("&") else f"*({high})"
    msvc, sign = _WIDE_MULTIPLY[name]
    wide = "unsigned __int128" if sign == "unsigned" else "__int128"
    narrow = "unsigned long long" if sign == "unsigned" else "long long"
    arm_msvc = f"({target} = {msvc}(({a}), ({b})), ({a}) * ({b}))"
    arm_gcc = f"({target} = ({narrow})((({wide})({a}) * ({b})) >> 64), ({a}) * ({b}))"
    before, after = line[: m.start()], line[end:]
    # GCC-style first (GCC and clang with GNU extensions, which have __int128): mingw-w64
    # defines _M_ARM64 too but declares __umulh for x64 only. clang-cl defines neither
    # __GNUC__ nor the GNU __int128 promise and takes the MSVC branch with cl.exe. ARM64EC
    # (not _M_ARM64) keeps the x64 intrinsic, which it has. The condition names __GNUC__,
    # so WOA130 (a ladder that knows __aarch64__ only) does not flag the fix itself.
    return [
        "#if defined(__aarch64__) && defined(__GNUC__)" + ending,
        before + arm_gcc + after + ending,
        "#elif defined(_M_ARM64)" + ending,
        before + arm_msvc + after + ending,
        "#else" + ending,
        lines[index] if lines[index].endswith(("\n", "\r")) else lines[index] + ending,
        "#endif" + ending,
    ]


def fix_intrinsics(text: str, findings: list[Finding]) -> str:
    """WOA110: x64-only intrinsics that have an exact ARM64 equivalent get a guarded
    replacement; the others are left for manual work (their fallback says what to use)."""
    lines = text.splitlines(keepends=True)
    unfixed: list[tuple[Finding, str]] = []
    done: set[int] = set()
    for finding in sorted(findings, key=lambda f: -f.location.line):
        name = finding.message.split(" ", 1)[0]
        index = finding.location.line - 1
        if name not in _WIDE_MULTIPLY:
            unfixed.append((finding, "no exact ARM64 equivalent to substitute automatically"))
            continue
        if index in done:
            continue
        try:
            lines[index : index + 1] = wide_multiply(lines, index, name)
            done.add(index)
        except Unfixable as error:
            unfixed.append((finding, str(error)))
    new = "".join(lines)
    if unfixed:
        raise PartialFix(new, unfixed)
    return new
