"""Defaults of ``woaport status`` that the CLI needs before anything is checked."""

# The Pythons a project is judged for ('t': free-threaded).
DEFAULT_PYTHONS = ("3.11", "3.12", "3.13", "3.14", "3.13t", "3.14t")
