"""The index cache on disk: fresh pages reused without a request, stale ones revalidated
with If-None-Match (a 304 reuses the body), core metadata kept for good, and a torn or
tampered entry read as a miss, never as a wrong page."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from analyzer.index.httpcache import CachedPage, HttpCache, cache_policy
from analyzer.index.simple import SimpleIndex
from analyzer.status.run import CheckOptions, check_project, check_projects
from tests.localindex import LocalIndex, core_metadata, sdist

WHEEL = "demo-1.0-cp312-cp312-win_amd64.whl"


def publish(index: LocalIndex, cache_control: str) -> None:
    index.publish(
        "demo",
        {WHEEL: b"w"},
        metadata={WHEEL: core_metadata("demo", "1.0", ("numpy>=2",))},
        page_headers={"ETag": '"v1"', "Cache-Control": cache_control},
    )


def open_index(local: LocalIndex, cache_dir: Path, max_age: float | None = None) -> SimpleIndex:
    return SimpleIndex(local.url, cache=HttpCache(cache_dir), max_age=max_age, retries=0)


def test_stale_pages_are_revalidated_and_a_304_reuses_the_body(
    local_index: LocalIndex, tmp_path: Path
) -> None:
    publish(local_index, "max-age=0")
    with open_index(local_index, tmp_path) as index:
        first = index.project("demo")
    with open_index(local_index, tmp_path) as index:
        second = index.project("demo")
        assert index.stats["revalidated"] == 1 and index.stats["requests"] == 1
    assert first.files == second.files
    conditional = [h for p, h in local_index.requests if p == "/simple/demo/"][1]
    assert conditional.get("If-None-Match") == '"v1"'


def test_fresh_pages_and_metadata_need_no_request(local_index: LocalIndex, tmp_path: Path) -> None:
    publish(local_index, "max-age=600")
    with open_index(local_index, tmp_path) as index:
        cold = check_project(index, "demo", CheckOptions(pythons=("3.12",)))
    hits = len(local_index.requests)
    with open_index(local_index, tmp_path) as index:
        warm = check_project(index, "demo", CheckOptions(pythons=("3.12",)))
        assert index.stats["requests"] == 0 and index.stats["fresh"] == 2
    assert len(local_index.requests) == hits
    assert cold == warm and warm.requires == ("numpy",)


def test_the_callers_max_age_accepts_older_pages(local_index: LocalIndex, tmp_path: Path) -> None:
    publish(local_index, "no-cache")
    with open_index(local_index, tmp_path) as index:
        index.project("demo")
    with open_index(local_index, tmp_path, max_age=3600) as index:
        index.project("demo")
        assert index.stats["requests"] == 0
    with open_index(local_index, tmp_path) as index:
        index.project("demo")
        assert index.stats["requests"] == 1  # no-cache: always asked again


def test_a_changed_page_replaces_the_cached_one(local_index: LocalIndex, tmp_path: Path) -> None:
    publish(local_index, "max-age=0")
    with open_index(local_index, tmp_path) as index:
        index.project("demo")
    local_index.publish("demo", {"demo-2.0-py3-none-any.whl": b"w"}, page_headers={"ETag": '"v2"'})
    with open_index(local_index, tmp_path) as index:
        page = index.project("demo")
        assert index.stats["revalidated"] == 0
    assert [f.filename for f in page.files] == ["demo-2.0-py3-none-any.whl"]


def test_damaged_or_tampered_entries_are_misses(tmp_path: Path) -> None:
    cache = HttpCache(tmp_path)
    page = CachedPage(
        "http://i/simple/a/", "text/html", b"<a href='a-1.tar.gz'>a</a>", '"e"', None, 1.0, 60.0
    )
    cache.put("k", page)
    assert cache.get("k") == page
    db = sqlite3.connect(cache.path)
    with db:
        db.execute("UPDATE entries SET body = ? WHERE key = 'k'", (b"<a href='evil-1.tar.gz'>a</a>",))
    assert cache.get("k") is None  # the body no longer matches its hash
    with db:
        db.execute("UPDATE entries SET meta = 'not json' WHERE key = 'k'")
    assert cache.get("k") is None
    db.close()
    assert cache.get("other key") is None
    cache.close()
    cache.path.write_bytes(b"this is not a database" * 100)
    for suffix in ("-wal", "-shm"):
        Path(str(cache.path) + suffix).unlink(missing_ok=True)
    damaged = HttpCache(tmp_path)
    assert damaged.get("k") is None  # set aside and rebuilt empty, no crash
    assert damaged.notice is not None and "set aside" in damaged.notice
    assert (tmp_path / "index-cache.sqlite.damaged").read_bytes().startswith(b"this is not a database")
    damaged.put("k", page)
    assert damaged.get("k") == page  # the rebuilt cache works again
    damaged.close()


def test_an_unwritable_cache_costs_speed_not_answers(local_index: LocalIndex, tmp_path: Path) -> None:
    publish(local_index, "max-age=600")
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the cache directory should be")
    with open_index(local_index, blocker) as index:
        assert [f.filename for f in index.project("demo").files] == [WHEEL]


def test_cache_control_policy() -> None:
    assert cache_policy("max-age=600, public") == (True, 600.0)
    assert cache_policy("no-store") == (False, None)
    assert cache_policy("no-cache, max-age=600") == (True, 0.0)
    assert cache_policy("") == (True, None)


def test_a_warm_run_answers_from_the_cache_first_and_keeps_the_order(
    local_index: LocalIndex, tmp_path: Path
) -> None:
    for name, cache_control in (("a", "max-age=600"), ("b", "max-age=0"), ("c", "max-age=600")):
        whl = f"{name}-1.0-py3-none-any.whl"
        local_index.publish(
            name,
            {whl: b"w"},
            metadata={whl: core_metadata(name, "1.0")},
            page_headers={"ETag": f'"{name}"', "Cache-Control": cache_control},
        )
    with open_index(local_index, tmp_path) as index:
        cold = check_projects(index, ["c", "b", "a"], CheckOptions(pythons=("3.12",)), workers=4)
    with open_index(local_index, tmp_path) as index:
        warm = check_projects(index, ["c", "b", "a"], CheckOptions(pythons=("3.12",)), workers=4)
        assert index.stats["requests"] == 1 and index.stats["revalidated"] == 1  # only b was stale
    assert warm == cold and [s.name for s in warm] == ["c", "b", "a"]


def test_a_wheel_without_readable_metadata_is_not_downloaded_twice(
    local_index: LocalIndex, tmp_path: Path
) -> None:
    local_index.publish("demo", {"demo-1.0-py3-none-any.whl": b"not a zip"}, style="html")
    for _ in range(2):
        with open_index(local_index, tmp_path) as index:
            status = check_project(index, "demo", CheckOptions(pythons=("3.12",)))
        assert status.klass == "pure" and not status.requires_known
    assert local_index.hits("/files/demo-1.0-py3-none-any.whl") == 1


def test_an_sdist_is_looked_into_once(local_index: LocalIndex, tmp_path: Path) -> None:
    local_index.publish(
        "srconly",
        {"srconly-1.0.tar.gz": sdist("srconly-1.0", {"srconly/__init__.py": b"x = 1\n"})},
        page_headers={"Cache-Control": "max-age=0"},
    )
    for _ in range(2):
        with open_index(local_index, tmp_path) as index:
            status = check_project(index, "srconly", CheckOptions(pythons=("3.12",), dependencies=False))
        assert status.klass == "pure-sdist"
    assert local_index.hits("/files/srconly-1.0.tar.gz") == 1
