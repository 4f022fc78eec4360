"""Precise mode: translation units parsed by libclang once per target model."""

from analyzer.errors import InputProblem


class PreciseUnavailable(RuntimeError, InputProblem):
    """libclang or the compiler headers are not installed."""
