"""Fixes in CI configuration. Workflows are parsed round-trip with ruamel.yaml to find
where to edit, then edited as text at exactly that place (a list item or an env entry
added), so comments, key order, anchors and the author's layout stay byte-for-byte; the
result is parsed again before it is accepted. pyproject.toml is edited with tomlkit,
which keeps formatting."""

from __future__ import annotations

import re
from typing import Any

from analyzer.buildmodel.parse import job_matrix
from analyzer.ci.matrix import plain
from analyzer.ci.model import WIN_ARM64
from analyzer.ci.runner import runner_for, setup_python_refuses
from analyzer.fix.model import Unfixable
from analyzer.model import Finding

ARM_RUNNER = "windows-11-arm"
_ARM = runner_for([ARM_RUNNER])
_MATRIX_REF = re.compile(r"\$\{\{\s*matrix\.([A-Za-z0-9_.-]+)\s*\}\}")


def _load(text: str) -> Any:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        return YAML(typ="rt").load(text)
    except (YAMLError, ValueError) as error:
        raise Unfixable(f"the workflow does not parse as YAML ({type(error).__name__})") from None


def _insert_lines(text: str, after_line: int, new: str) -> str:
    """Insert ``new`` (whole lines) after 0-based line ``after_line``."""
    lines = text.splitlines(keepends=True)
    if after_line < len(lines) and not lines[after_line].endswith("\n"):
        lines[after_line] += "\n"
    return "".join(lines[: after_line + 1]) + new + "".join(lines[after_line + 1 :])


def _append_to_sequence(text: str, seq: Any, value: str) -> str:
    """Add ``value`` as the last item of a YAML sequence, in its own style."""
    lines = text.splitlines(keepends=True)
    if seq.fa.flow_style():
        line, col = seq.lc.line, seq.lc.col
        start = sum(len(x) for x in lines[:line]) + col
        close = text.find("]", start)
        if close == -1:
            raise Unfixable("cannot find the end of the flow sequence")
        before = text[start:close].rstrip()
        sep = ", " if before not in ("[", "") else ""
        return text[:start] + before + sep + value + text[close:]
    if len(seq) == 0:
        raise Unfixable("empty block sequence")
    last_line, last_col = seq.lc.item(len(seq) - 1)
    item_line = lines[last_line]
    prefix = item_line[:last_col]
    if not prefix.strip().endswith("-") and prefix.strip():
        raise Unfixable("unusual sequence layout")
    return _insert_lines(text, last_line, f"{prefix}{value}\n")


def _job(data: Any, name: str) -> Any:
    jobs = data.get("jobs") if hasattr(data, "get") else None
    if jobs is None or name not in jobs:
        raise Unfixable(f"job {name!r} not found")
    return jobs[name]


def _matrix_list(job: Any, key: str) -> Any | None:
    matrix = job_matrix(job)
    values = matrix.get(key) if matrix is not None else None
    return values if isinstance(values, list) else None


def _matrix_rows(job: Any, reference: str) -> tuple[Any, str] | None:
    """The matrix rows a ``${{ matrix.X }}`` / ``${{ matrix.X.Y }}`` reference reads, and
    the key it reads in each: ``include:`` rows for ``matrix.X``, or the list of
    mappings ``matrix.X`` for ``matrix.X.Y`` (the maturin-action idiom)."""
    matrix = job_matrix(job)
    if matrix is None:
        return None
    head, _, key = reference.partition(".")
    rows = matrix.get(head) if key else matrix.get("include")
    key = key or head
    if isinstance(rows, list) and rows and all(hasattr(r, "get") for r in rows):
        return rows, key
    return None


def _is_windows_row(row: Any) -> bool:
    return any(str(v).lower().startswith("windows") for v in row.values())


def _row_end(rows: Any, index: int) -> int:
    """The 0-based line where row ``index`` of a block sequence ends: its last value's
    line (scalar values; a nested block would be cut here)."""
    row = rows[index]
    first = int(rows.lc.item(index)[0])
    last = max([first, *(int(row.lc.value(k)[0]) for k in row)])
    if index + 1 < len(rows):
        return min(int(rows.lc.item(index + 1)[0]) - 1, last)
    return last


def add_matrix_row(text: str, rows: Any, new_values: dict[str, str]) -> str:
    """Append a copy of the sequence's first Windows row with ``new_values`` (key ->
    value) in place of its own, in the row's own layout (block or flow)."""
    if rows.fa.flow_style():
        raise Unfixable("the matrix rows are a flow sequence: add the ARM64 row by hand")
    source = next((i for i, r in enumerate(rows) if _is_windows_row(r)), None)
    if source is None:
        raise Unfixable("no Windows row in the matrix to copy")
    if any(isinstance(v, (dict, list)) for v in rows[source].values()):
        raise Unfixable("the Windows row holds nested values: add the ARM64 row by hand")
    lines = text.splitlines(keepends=True)
    start, end = rows.lc.item(source)[0], _row_end(rows, source)
    block = "".join(line for line in lines[start : end + 1] if not line.lstrip().startswith("#"))
    for key, value in new_values.items():
        quoted = r"""["']?""" + re.escape(key) + r"""["']?"""  # block rows, or JSON-style flow rows
        pattern = re.compile(r"(?m)(^|[\s{,])(" + quoted + r"""\s*:\s*)(["']?)[^"'\s,}#]*(["']?)""")
        replacement = r"\g<1>\g<2>\g<3>" + value.replace("\\", "\\\\") + r"\g<4>"
        block, count = pattern.subn(replacement, block, 1)
        if count == 0:
            raise Unfixable(f"cannot find {key} in the Windows row")
    last = _row_end(rows, len(rows) - 1)
    return _insert_lines(text, last, block if block.endswith("\n") else block + "\n")


def _setup_python_reference(job: Any, field: str) -> str | None:
    """The ``matrix.X`` (or ``matrix.X.Y``) reference an actions/setup-python input
    (``architecture``, ``python-version``) reads, if any: ``X`` or ``X.Y``."""
    for step in job.get("steps") or []:
        if hasattr(step, "get") and "setup-python" in str(step.get("uses", "")):
            ref = _MATRIX_REF.search(str((step.get("with") or {}).get(field, "")))
            if ref is not None:
                return str(ref.group(1))
    return None


def _setup_python_arch_key(job: Any) -> str | None:
    """The key in a matrix row that setup-python's ``architecture`` reads, if any."""
    ref = _setup_python_reference(job, "architecture")
    return ref.split(".")[-1] if ref is not None else None


_ARCH_KEYS = re.compile(r"(?i)^(?:arch|archs|cibw[-_]archs(?:[-_]windows)?)$")


_ARCHS_VALUE = re.compile(
    r"""^(?P<head>\s*CIBW_ARCHS(?:_WINDOWS)?["']?\s*:\s*)(?P<value>.*?)(?P<tail>\s*(?:#.*)?)$"""
)


def _archs_entries(data: Any, job: Any) -> list[tuple[Any, str]]:
    """The env mappings (workflow, job, steps) that set CIBW_ARCHS_WINDOWS or
    CIBW_ARCHS for the job, with the key, most specific last."""
    found: list[tuple[Any, str]] = []
    scopes: list[Any] = [data.get("env"), job.get("env")]
    scopes += [s.get("env") for s in job.get("steps") or [] if hasattr(s, "get")]
    for env in scopes:
        if hasattr(env, "lc"):
            for key in ("CIBW_ARCHS", "CIBW_ARCHS_WINDOWS"):
                if key in env:
                    found.append((env, key))
    return found


def _add_arm64_to_archs(text: str, data: Any, job: Any) -> str | None:
    """The archs cibuildwheel resolves decide the tags: where the job sets them to a
    literal without ARM64, that line gains ARM64 (CIBW_ARCHS_WINDOWS in place; beside a
    CIBW_ARCHS that also serves Linux and macOS, a CIBW_ARCHS_WINDOWS line). None when
    the job does not set them, or sets them from an expression."""
    entries = _archs_entries(data, job)
    windows = [e for e in entries if e[1] == "CIBW_ARCHS_WINDOWS"]
    env, key = (windows or entries or [(None, "")])[-1]
    if env is None:
        return None
    value = str(env[key])
    if "${{" in value or re.search(r"(?i)\b(?:ARM64|all)\b", value):
        return None
    key_line, key_col = env.lc.key(key)
    if env.lc.value(key)[0] != key_line:
        raise Unfixable(f"{key} spans several lines: add ARM64 to it by hand")
    lines = text.splitlines(keepends=True)
    row = lines[key_line]
    body = row.rstrip("\r\n")
    ending = row[len(body) :]
    m = _ARCHS_VALUE.match(body)
    if m is None:
        raise Unfixable(f"cannot read the {key} line")
    raw = m.group("value")
    quote = raw[:1] if raw[:1] in "'\"" and raw.endswith(raw[:1]) and len(raw) > 1 else ""
    inner = raw[1:-1] if quote else raw
    separator = "," if "," in inner and " " not in inner.strip() else " "
    new_value = f"{quote}{inner}{separator}ARM64{quote}"
    if key == "CIBW_ARCHS_WINDOWS":
        lines[key_line] = m.group("head") + new_value + m.group("tail") + ending
        return "".join(lines)
    inserted = " " * key_col + f"CIBW_ARCHS_WINDOWS: {new_value}\n"
    return _insert_lines(text, key_line, inserted)


def _setup_python_key(job: Any) -> str | None:
    """The matrix axis setup-python's ``python-version`` reads, if any."""
    ref = _setup_python_reference(job, "python-version")
    return ref.split(".")[0] if ref is not None else None


def _arm64_pythons(values: Any) -> list[Any] | None:
    """The Pythons of a matrix axis that setup-python has for Windows ARM64 (None: every
    value is one, no filtering needed)."""
    kept = [v for v in values if not setup_python_refuses(str(v), "arm64", _ARM)]
    return None if len(kept) == len(values) else kept


def add_matrix_entries(text: str, matrix: Any, key: str, entries: list[str], why: str) -> str:
    """``entries`` (one-line flow mappings) appended to the matrix's block ``key:`` list
    (``include`` or ``exclude``) after its last row, or a new ``key:`` list (with a
    comment saying ``why``) before the matrix's first key."""
    existing: Any = matrix.get(key)
    rows: Any = existing if isinstance(existing, list) and len(existing) > 0 else None
    if rows is not None and not rows.fa.flow_style():
        existing = rows
        last_line, item_col = rows.lc.item(len(rows) - 1)
        dash = text.splitlines()[last_line].rfind("- ", 0, item_col + 1)
        if dash < 0:
            raise Unfixable(f"unusual {key}: layout: add the entries by hand")
        block = "".join(f"{' ' * dash}- {e}\n" for e in entries)
        return _insert_lines(text, _row_end(existing, len(existing) - 1), block)
    if existing is not None:
        raise Unfixable(f"the matrix has a {key}: list in flow style: add the entries by hand")
    key_line, key_col = matrix.lc.key(next(iter(matrix)))
    indent = " " * key_col
    block = f"{indent}{key}:  # {why} (woaport)\n" + "".join(f"{indent}  - {e}\n" for e in entries)
    return _insert_lines(text, key_line - 1, block)


def add_arm_runner(text: str, job: Any, runner_key: str, runners: Any) -> str:
    """A windows-11-arm cell for a job whose runner is a matrix list: appended to the
    list, unless the job crosses it with Pythons setup-python has no ARM64 build of
    (before 3.11, PyPy); then ``include:`` entries add windows-11-arm with only the
    Pythons it has (new combinations: the runner is an original key with a new value),
    so no failing cell is added and fail-fast has nothing to cancel."""
    python_key = _setup_python_key(job)
    matrix = job_matrix(job)
    axis = matrix.get(python_key) if matrix is not None and python_key else None
    kept = _arm64_pythons(axis) if isinstance(axis, list) else None
    if kept is None:
        return _append_to_sequence(text, runners, ARM_RUNNER)
    if not kept:
        raise Unfixable(
            "none of the job's Pythons has a Windows ARM64 build (3.11 or later): add one by hand"
        )
    import json

    entries = [json.dumps({runner_key: ARM_RUNNER, str(python_key): plain(v)}) for v in kept]
    assert matrix is not None
    why = "Windows ARM64, with the Pythons it has (3.11+)"
    return add_matrix_entries(text, matrix, "include", entries, why)


def _add_platform_axis(text: str, job_id: str) -> str:
    """When the archs now include ARM64 but a matrix axis pins the wheel platform the
    build selector reads (``CIBW_BUILD: ${{ matrix.pyver }}-${{ matrix.arch }}`` with
    ``arch: [win_amd64]``), that axis gains ``win_arm64``."""
    computed = _computed_job(text, job_id)
    if computed is None or WIN_ARM64 in computed.platforms():
        return text
    matrix = job_matrix(_job(_load(text), job_id))
    for key, values in (matrix or {}).items():
        pins_amd64 = isinstance(values, list) and "win_amd64" in values and "win_arm64" not in values
        if key not in ("include", "exclude") and pins_amd64:
            return _append_to_sequence(text, values, "win_arm64")
    return text


def fix_cibuildwheel_job(text: str, finding: Finding) -> str:
    """WOA601: where the job sets cibuildwheel's archs without ARM64, they gain ARM64
    (that is what decides the tags); otherwise a matrix of runners gains windows-11-arm
    (native ARM64 build and tests), as a list entry or as a copy of the Windows
    ``include:`` row; a single Windows runner gets CIBW_ARCHS_WINDOWS with ARM64
    (cross-compiled)."""
    data = _load(text)
    job = _job(data, finding.message.split("'")[1])
    archs = _add_arm64_to_archs(text, data, job)
    if archs is not None:
        return _add_platform_axis(archs, finding.message.split("'")[1])
    runs_on = str(job.get("runs-on", ""))
    ref = _MATRIX_REF.search(runs_on)
    if ref is not None:
        job_id = finding.message.split("'")[1]
        values = _matrix_list(job, ref.group(1))
        if values is not None and any(str(v).startswith("windows") for v in values):
            return settle_arm_cells(add_arm_runner(text, job, ref.group(1), values), job_id)
        found = _matrix_rows(job, ref.group(1))
        if found is not None and any(_is_windows_row(r) for r in found[0]):
            rows, runner_key = found
            row = next(r for r in rows if _is_windows_row(r))
            # runs-on built from the value ("${{ matrix.os }}-latest"): keep the runner
            # and cross-compile (ARM64 in the row's archs); otherwise run on ARM64.
            whole = _MATRIX_REF.fullmatch(runs_on.strip()) is not None
            changes = {runner_key: ARM_RUNNER} if whole else {}
            changes |= {str(k): "ARM64" for k in row if _ARCH_KEYS.match(str(k))}
            if not changes:
                raise Unfixable(
                    "runs-on is composed from the matrix and the row has no archs: add ARM64 by hand"
                )
            python_arch = _setup_python_arch_key(job)
            if python_arch is not None and python_arch in row:
                changes[python_arch] = "arm64"
            return settle_arm_cells(add_matrix_row(text, rows, changes), job_id)
    for step in job.get("steps") or []:
        uses, run = str(step.get("uses", "")), str(step.get("run", ""))
        if "cibuildwheel" not in uses.lower() and "cibuildwheel" not in run.lower():
            continue
        # Cross-compiled ARM64 wheels cannot be tested on the x64 runner: say so when
        # the workflow has a test command (else WOA606 would ask for it next).
        entries = ["CIBW_ARCHS_WINDOWS: auto ARM64"]  # auto: what it built before (AMD64, x86)
        if _TEST_COMMAND.search(text) and "CIBW_TEST_SKIP" not in text:
            entries.append(f"CIBW_TEST_SKIP: {TEST_SKIP_ARM}")
        # The job's env (every step of it sees the archs), else the step's.
        for env in (job.get("env"), step.get("env")):
            if env is not None and hasattr(env, "lc") and len(env):
                if "CIBW_ARCHS_WINDOWS" in env:
                    raise Unfixable("CIBW_ARCHS_WINDOWS is set but without ARM64: edit it by hand")
                key_line, key_col = env.lc.key(next(iter(env)))
                return _insert_lines(text, key_line - 1, "".join(" " * key_col + e + "\n" for e in entries))
        # A new env: mapping on the step, placed before a key that is not on the step's
        # first line, or after a one-line key (never inside a block scalar).
        first_line = int(step.lc.line)
        for key in step:
            key_line, key_col = step.lc.key(key)
            indent = " " * key_col
            block = f"{indent}env:\n" + "".join(f"{indent}  {e}\n" for e in entries)
            if key_line != first_line:
                return _insert_lines(text, key_line - 1, block)
            if (step.lc.value(key)[0] == key_line and not isinstance(step[key], str)) or (
                isinstance(step[key], str) and "\n" not in step[key]
            ):
                return _insert_lines(text, key_line, block)
        raise Unfixable("no safe place for an env: in the cibuildwheel step")
    raise Unfixable("no cibuildwheel step found in the job")


TEST_SKIP_ARM = '"*-win_arm64"'
_TEST_COMMAND = re.compile(r"(?m)^[^#\n]*CIBW_TEST_COMMAND(?:_WINDOWS)?[\"']?\s*:")


def fix_cross_test_skip(text: str, finding: Finding) -> str:
    """WOA606: CIBW_TEST_SKIP "*-win_arm64" beside the CIBW_ARCHS(_WINDOWS) that asks for
    a cross-compiled ARM64 build, in the same env mapping."""
    data = _load(text)
    job = _job(data, finding.message.split("'")[1])
    envs: list[Any] = [job.get("env")] + [s.get("env") for s in job.get("steps") or [] if hasattr(s, "get")]
    for env in envs:
        if not hasattr(env, "lc") or not any(str(k).startswith("CIBW_ARCHS") for k in env):
            continue
        if "CIBW_TEST_SKIP" in env:
            raise Unfixable("CIBW_TEST_SKIP is set already: add *-win_arm64 to it by hand")
        key = next(k for k in env if str(k).startswith("CIBW_ARCHS"))
        key_line, key_col = env.lc.key(key)
        if env.lc.value(key)[0] != key_line:
            raise Unfixable("the archs value spans several lines")
        return _insert_lines(text, key_line, " " * key_col + f"CIBW_TEST_SKIP: {TEST_SKIP_ARM}\n")
    raise Unfixable("CIBW_ARCHS is not set in an env mapping of the job")


_WAITS = re.compile(r"publish job '([^']+)' does not wait for '([^']+)'")


def fix_publish_needs(text: str, finding: Finding) -> str:
    """WOA605: the publish job's ``needs:`` gains the ARM64 wheel job (a list gets an
    item in its own style; a single name becomes a flow list of both)."""
    found = _WAITS.search(finding.message)
    if found is None:
        raise Unfixable("cannot read the jobs from the finding")
    data = _load(text)
    job = _job(data, found.group(1))
    needs = job.get("needs")
    if isinstance(needs, list):
        return _append_to_sequence(text, needs, found.group(2))
    lines = text.splitlines(keepends=True)
    if isinstance(needs, str):
        line, column = job.lc.value("needs")
        row = lines[line]
        end = row.find(needs, column)
        if end == -1:
            raise Unfixable("cannot find the needs value")
        lines[line] = row[:end] + f"[{needs}, {found.group(2)}]" + row[end + len(needs) :]
        return "".join(lines)
    key_line, key_col = job.lc.key(next(iter(job)))
    if key_line == 0:
        raise Unfixable("the job has no room for a needs: line")
    return _insert_lines(text, key_line - 1, " " * key_col + f"needs: [{found.group(2)}]\n")


_X64_TRIPLE = re.compile(r"^x86_64-pc-windows-(msvc|gnu)$")
_ARM_ARCH_EXPRESSION = "${{{{ matrix.{ref} == 'aarch64' && '{python}' || matrix.{ref} }}}}"


def _maturin_step(job: Any) -> Any | None:
    for step in job.get("steps") or []:
        if not hasattr(step, "get"):
            continue
        if "maturin-action" in str(step.get("uses", "")).lower():
            if str((step.get("with") or {}).get("command", "build")).lower() in (
                "build",
                "publish",
                "release",
            ):
                return step
        elif re.search(r"\bmaturin\s+(?:build|publish)\b", str(step.get("run", ""))):
            return step
    return None


def _python_arch_input(text: str, job: Any, target_ref: str, python: str = "arm64") -> str:
    """setup-python's ``architecture`` read from the same matrix value as maturin's
    target: maturin wants ``aarch64`` where setup-python wants ``arm64`` (on an ARM64
    runner; ``x64``, the host's, when cross-compiling on x64), so the input becomes an
    expression that maps one to the other (PyO3/maturin-action#346)."""
    for step in job.get("steps") or []:
        if not hasattr(step, "get") or "setup-python" not in str(step.get("uses", "")):
            continue
        inputs = step.get("with")
        value = str((inputs or {}).get("architecture", ""))
        ref = _MATRIX_REF.search(value)
        if ref is None or ref.group(1) != target_ref or not hasattr(inputs, "lc"):
            continue
        # Every such step (a later free-threaded setup too): one line each, so the
        # positions of the others stay valid.
        line = inputs.lc.value("architecture")[0]
        rows = text.splitlines(keepends=True)
        start = rows[line].find(value)
        if start < 0:
            raise Unfixable("cannot find setup-python's architecture value")
        replacement = _ARM_ARCH_EXPRESSION.format(ref=target_ref, python=python)
        rows[line] = rows[line][:start] + replacement + rows[line][start + len(value) :]
        text = "".join(rows)
    return text


def _literal_pythons_refused_on_arm(job: Any) -> bool:
    """A setup-python step (not allowed to fail) asks for a literal Python that has no
    Windows ARM64 build."""
    for step in job.get("steps") or []:
        if not hasattr(step, "get") or "setup-python" not in str(step.get("uses", "")):
            continue
        if str(step.get("continue-on-error", "")).lower() == "true":
            continue
        asked = str((step.get("with") or {}).get("python-version", ""))
        if "${{" in asked:
            continue
        versions = [v.strip() for v in asked.replace(",", "\n").splitlines() if v.strip()]
        if any(setup_python_refuses(v, "arm64", _ARM) for v in versions):
            return True
    return False


def fix_maturin_job(text: str, finding: Finding) -> str:
    """WOA603, by what decides maturin's target:
    a matrix list of targets gains ``aarch64`` (maturin-action cross-compiles
    aarch64-pc-windows-msvc on the x64 runner); matrix rows (``include:`` or a list such
    as ``platform:``) gain a copy of the Windows row with runner windows-11-arm, target
    ``aarch64`` and every x64 triple as aarch64-pc-windows-msvc, and setup-python's
    architecture (``arm64``) from its own key or mapped from the target; a job whose
    runner is a matrix list and whose maturin builds for the runner gains a
    windows-11-arm cell with only the Pythons that have ARM64 builds."""
    data = _load(text)
    job = _job(data, finding.message.split("'")[1])
    step = _maturin_step(job)
    if step is None:
        raise Unfixable("no maturin build step found in the job")
    target = str((step.get("with") or {}).get("target", "")) if "uses" in step else ""
    ref = _MATRIX_REF.search(target)
    if ref is not None:
        values = _matrix_list(job, ref.group(1))
        if values is not None and all(isinstance(v, str) for v in values):
            # Cross-compiled on the x64 runner: setup-python keeps the host's Python.
            text = _append_to_sequence(text, values, "aarch64")
            patched = _job(_load(text), finding.message.split("'")[1])
            return _python_arch_input(text, patched, ref.group(1), "x64")
        found = _matrix_rows(job, ref.group(1))
        if found is not None:
            rows, target_key = found
            row = next((r for r in rows if _is_windows_row(r)), None)
            if row is None and "windows" in str(job.get("runs-on")):
                row = rows[0]
            if row is None:
                raise Unfixable("no Windows row in the matrix to copy")
            changes = {target_key: "aarch64"}
            arm_triple = "aarch64-pc-windows-msvc"
            changes |= {str(k): arm_triple for k, v in row.items() if _X64_TRIPLE.match(str(v))}
            runner = next((k for k, v in row.items() if str(v).lower().startswith("windows")), None)
            # Native on windows-11-arm, unless a setup-python step asks for Pythons it has
            # no ARM64 build of (a literal list with 3.10): then cross-compiled on the x64
            # runner, with the host's Python, so no ARM64 cell asks for a missing Python.
            native = runner is not None and not _literal_pythons_refused_on_arm(job)
            python_arch = _setup_python_arch_key(job)
            if native and runner is not None:
                changes[str(runner)] = ARM_RUNNER
            if python_arch is not None and python_arch in row and python_arch != target_key:
                changes[python_arch] = "arm64" if native else "x64"
            job_id = finding.message.split("'")[1]
            text = add_matrix_row(text, rows, changes)
            host = "arm64" if native else "x64"
            patched = _job(_load(text), job_id)
            return settle_arm_cells(_python_arch_input(text, patched, ref.group(1), host), job_id)
    if not target:
        runs_on = _MATRIX_REF.search(str(job.get("runs-on", "")))
        runners = _matrix_list(job, runs_on.group(1)) if runs_on else None
        if runs_on is not None and runners is not None and any(str(v).startswith("windows") for v in runners):
            job_id = finding.message.split("'")[1]
            return settle_arm_cells(add_arm_runner(text, job, runs_on.group(1), runners), job_id)
    raise Unfixable("the target is not a matrix list or rows: add an aarch64-pc-windows-msvc entry by hand")


def fix_pyproject_archs(text: str, finding: Finding) -> str:
    """WOA610: [tool.cibuildwheel.windows] archs gains ARM64."""
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    try:
        doc = tomlkit.parse(text)
    except TOMLKitError as error:
        raise Unfixable(f"pyproject.toml does not parse ({error})") from None
    try:
        windows: Any = doc["tool"]["cibuildwheel"]["windows"]
        archs = windows["archs"]
    except KeyError:
        raise Unfixable("[tool.cibuildwheel.windows] archs not found") from None
    if isinstance(archs, list):
        archs.append("ARM64")
    elif isinstance(archs, str):
        windows["archs"] = f"{archs} ARM64"
    else:
        raise Unfixable("archs is neither a list nor a string")
    return tomlkit.dumps(doc)


WINDOWS_WHEELS_PATH = ".github/workflows/wheels-windows.yml"
WINDOWS_WHEELS_WORKFLOW = """\
# Added by woaport: Windows wheels for x64 and ARM64 (Windows on Arm), each built and
# tested natively with cibuildwheel on GitHub's hosted runners.
name: Windows wheels

on:
  push:
    branches: [main]
  pull_request:
  workflow_dispatch:

jobs:
  wheels:
    name: Wheels on ${{ matrix.os }}
    runs-on: ${{ matrix.os }}
    strategy:
      fail-fast: false
      matrix:
        os: [windows-latest, windows-11-arm]
    steps:
      - uses: actions/checkout@v4
      - uses: pypa/cibuildwheel@v3.1.2
      - uses: actions/upload-artifact@v4
        with:
          name: wheels-${{ matrix.os }}
          path: ./wheelhouse/*.whl
"""


def _computed_job(text: str, job_id: str) -> Any:
    """The CI model's view of one job of ``text`` (the workflow alone, no tree)."""
    import tempfile
    from pathlib import Path

    from analyzer.ci import model_from_texts

    with tempfile.TemporaryDirectory(prefix="woaport-fix-") as scratch:
        return model_from_texts(Path(scratch), {"w.yml": text}).job("w.yml", job_id)


def _failing_arm_cells(text: str, job_id: str) -> list[Any]:
    job = _computed_job(text, job_id)
    if job is None:
        return []
    return [c for c in job.cells if c.fails and c.runner.is_windows and c.runner.arch == "arm64"]


_LITERAL_VERSION = re.compile(r"""^(?P<q>["']?)(?P<v>[\w.+-]+)(?P=q)$""")


def arm_python_literal(text: str, job_id: str) -> str:
    """A setup-python step that asks for one literal Python without an ARM64 build
    (``'3.8'``, there to run a build tool) asks for 3.11 on an ARM64 runner instead, and
    for the same Python elsewhere."""
    job = _job(_load(text), job_id)
    for step in job.get("steps") or []:
        if not hasattr(step, "get") or "setup-python" not in str(step.get("uses", "")):
            continue
        inputs = step.get("with")
        if not hasattr(inputs, "lc") or "python-version" not in inputs:
            continue
        asked = str(inputs["python-version"])
        if "${{" in asked or not setup_python_refuses(asked, "arm64", _ARM):
            continue
        line = inputs.lc.value("python-version")[0]
        rows = text.splitlines(keepends=True)
        m = re.search(r"python-version\s*:\s*(\S.*?)\s*(?:#.*)?$", rows[line].rstrip("\r\n"))
        if m is None or _LITERAL_VERSION.match(m.group(1)) is None:
            continue
        expression = f"${{{{ runner.arch == 'ARM64' && '3.11' || '{asked}' }}}}"
        rows[line] = rows[line][: m.start(1)] + expression + rows[line][m.end(1) :]
        text = "".join(rows)
    return text


def exclude_failing_arm_cells(text: str, job_id: str) -> str:
    """``exclude:`` entries for exactly the ARM64 cells the CI model computes as failing
    (setup-python without such a Python, cibuildwheel selecting nothing there), with the
    cells' own matrix values, so every other cell keeps what it built. The text is
    unchanged when no ARM64 cell fails."""
    import json

    from analyzer.ci.matrix import flatten

    failing = _failing_arm_cells(text, job_id)
    if not failing:
        return text
    job = _job(_load(text), job_id)
    matrix = job_matrix(job)
    if matrix is None:
        raise Unfixable(
            f"the ARM64 runner fails ({failing[0].fails}) and the job has no matrix to exclude it from"
        )
    entries: list[str] = []
    for cell in failing:
        values = set(cell.values)
        entry: dict[str, Any] = {}
        for key, items in matrix.items():
            if key in ("include", "exclude") or not isinstance(items, list):
                continue
            match = next((plain(v) for v in items if set(flatten({str(key): plain(v)})) <= values), None)
            if match is None:
                raise Unfixable(f"the failing cell {cell.label} comes from include: exclude it by hand")
            entry[str(key)] = match
        entries.append(json.dumps(entry))
    return add_matrix_entries(text, matrix, "exclude", entries, "no Windows ARM64 build of these Pythons")


def settle_arm_cells(text: str, job_id: str) -> str:
    """After a Windows ARM64 cell was added: a literal setup-python without an ARM64
    build is mapped, any ARM64 cell still failing is excluded, and the new cell, the only
    untried one, may not cancel the others (``fail-fast: false``)."""
    text = exclude_failing_arm_cells(arm_python_literal(text, job_id), job_id)
    return no_fail_fast(text, job_id)


def no_fail_fast(text: str, job_id: str) -> str:
    """``fail-fast: false`` in the job's strategy when it says nothing (GitHub's default
    is true: the first failing cell cancels every other one). A job that asks for
    ``fail-fast: true`` is left as its authors wrote it."""
    job = _job(_load(text), job_id)
    strategy: Any = job.get("strategy") if hasattr(job, "get") else None
    if not hasattr(strategy, "lc") or "fail-fast" in strategy or not len(strategy):
        return text
    key_line, key_col = strategy.lc.key(next(iter(strategy)))
    return _insert_lines(
        text, key_line - 1, " " * key_col + "fail-fast: false  # an ARM64 cell was added (woaport)\n"
    )


def fix_arm_runner_python(text: str, finding: Finding) -> str:
    """WOA607: the ARM64 cells that cannot start are fixed: a literal setup-python
    version is asked as 3.11 on ARM64, the matrix cells that cross the ARM64 runner with
    Pythons without an ARM64 build are excluded (the x64 cells keep every Python). The
    cells are the ones the CI model computes for this workflow, not a reading of the text."""
    job_id = finding.message.split("'")[1]
    fixed = exclude_failing_arm_cells(arm_python_literal(text, job_id), job_id)
    if fixed == text:
        raise Unfixable("no failing ARM64 cell found")
    return fixed
