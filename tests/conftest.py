from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.localindex import LocalIndex, serve

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture
def local_index() -> Iterator[LocalIndex]:
    """A package index on 127.0.0.1 (never the public one); see tests/localindex.py."""
    yield from serve()


@pytest.fixture(autouse=True)
def short_index_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """A scripted 502 is retried as in real use, without waiting 3.5 s each time: the
    waits themselves are tested with an explicit ``sleep`` (tests/index/)."""
    from analyzer.index import simple

    monkeypatch.setattr(simple, "DEFAULT_BACKOFF", 0.01)


@pytest.fixture(autouse=True)
def private_cache_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads or writes the user's cache (index answers, history, precise results)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))
