"""Running the CLI in-process for tests."""

from __future__ import annotations

from click.testing import CliRunner

from analyzer.cli import main


def run(*args: str) -> tuple[int, str]:
    """(exit code, output) of ``woaport ARGS``. A traceback exits 1 too, which would read
    as "findings": no exception may escape the command."""
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output
