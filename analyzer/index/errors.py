"""What reading a package index can fail with: importable without the index client
(and its HTTP library), so that callers catch them at no cost."""

from __future__ import annotations

from analyzer.errors import InputProblem


class IndexFetchError(RuntimeError, InputProblem):
    """The index could not be read (after retries) or answered something unusable."""


class ProjectNotFound(IndexFetchError):
    """The index has no such project (HTTP 404)."""


class DownloadTooLarge(IndexFetchError):
    """A download passed its size cap (and was discarded)."""
