"""Precise mode: translation units parsed by libclang once per target model."""


class PreciseUnavailable(RuntimeError):
    """libclang or the compiler headers are not installed."""
