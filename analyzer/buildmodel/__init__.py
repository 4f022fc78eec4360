"""Build files and CI configuration, read as text or parsed (never executed)."""
