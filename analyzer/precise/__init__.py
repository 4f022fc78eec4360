"""Precise mode: translation units parsed by libclang once per target model."""
