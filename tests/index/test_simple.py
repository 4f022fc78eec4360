"""The index client against a real HTTP server on 127.0.0.1: PEP 691 JSON and PEP 503
HTML pages, version choice, yanked files, retries, truncated bodies, hash checks."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from analyzer.cli import main
from analyzer.index.config import default_index_url
from analyzer.index.simple import (
    ACCEPT,
    DistFile,
    IndexFetchError,
    ProjectNotFound,
    SimpleIndex,
    normalize,
    parse_html_page,
    select_sdist,
)
from tests.localindex import LocalIndex, Reply, sdist

NO_WAIT: list[float] = []
YANKED = {"demo-2.0.tar.gz": "broken build"}


def client(index: LocalIndex, retries: int = 2) -> SimpleIndex:
    return SimpleIndex(index.url, retries=retries, backoff=0.0, sleep=NO_WAIT.append)


def project_files() -> dict[str, bytes]:
    return {
        "demo-1.0.tar.gz": sdist("demo-1.0", {"a.c": b"int one;\n"}),
        "demo-1.1.tar.gz": sdist("demo-1.1", {"a.c": b"int one_one;\n"}),
        "demo-2.0.tar.gz": sdist("demo-2.0", {"a.c": b"int two;\n"}),  # yanked below
        "demo-3.0rc1.tar.gz": sdist("demo-3.0rc1", {"a.c": b"int three;\n"}),
        "demo-1.1-py3-none-any.whl": b"not an sdist",
    }


@pytest.mark.parametrize("style", ["json", "html"])
def test_latest_final_non_yanked_sdist_is_chosen_and_downloaded(
    local_index: LocalIndex, style: str, tmp_path: Path
) -> None:
    files = project_files()
    local_index.publish("demo", files, style=style, yanked={"demo-2.0.tar.gz": "broken build"})
    with client(local_index) as index:
        page = index.project("Demo")  # names are normalised (PEP 503)
        chosen = select_sdist(page)
        assert chosen.filename == "demo-1.1.tar.gz"
        assert chosen.hash("sha256") == hashlib.sha256(files["demo-1.1.tar.gz"]).hexdigest()
        yanked = next(f for f in page.files if f.filename == "demo-2.0.tar.gz")
        assert yanked.yanked == "broken build"
        path = index.download(chosen, tmp_path)
    assert path == tmp_path / "demo-1.1.tar.gz" and path.read_bytes() == files["demo-1.1.tar.gz"]
    assert [p.name for p in tmp_path.iterdir()] == ["demo-1.1.tar.gz"]  # no partial files left
    page_requests = [h for p, h in local_index.requests if p == "/simple/demo/"]
    assert page_requests and page_requests[0]["Accept"] == ACCEPT


def test_a_pinned_version_may_be_yanked_but_must_exist(local_index: LocalIndex) -> None:
    local_index.publish("demo", project_files(), yanked={"demo-2.0.tar.gz": ""})
    with client(local_index) as index:
        page = index.project("demo")
        assert select_sdist(page, "2.0").filename == "demo-2.0.tar.gz"
        assert select_sdist(page, "3.0rc1").filename == "demo-3.0rc1.tar.gz"
        with pytest.raises(IndexFetchError, match=r"demo 9\.9 has no sdist"):
            select_sdist(page, "9.9")


def test_unknown_project_is_not_retried(local_index: LocalIndex) -> None:
    with client(local_index) as index, pytest.raises(ProjectNotFound):
        index.project("no-such-thing")
    # One negotiated request, one plain PEP 503 request (some proxies 404 only the JSON
    # variant), no retries.
    assert local_index.hits("/simple/no-such-thing/") == 2


def test_a_proxy_that_404s_json_is_asked_for_html(local_index: LocalIndex) -> None:
    local_index.publish("demo", project_files(), style="html")
    local_index.json_404.add("/simple/demo/")
    with client(local_index) as index:
        page = index.project("demo")
    assert {f.filename for f in page.files} == set(project_files())
    accepts = [h.get("Accept", "") for p, h in local_index.requests if p == "/simple/demo/"]
    assert len(accepts) == 2 and accepts[1].startswith("application/vnd.pypi.simple.v1+html")


def test_server_errors_are_retried_honouring_retry_after(local_index: LocalIndex) -> None:
    local_index.publish("demo", project_files(), yanked=YANKED)
    good = local_index.routes["/simple/demo/"][0]
    local_index.route(
        "/simple/demo/",
        Reply(503, b"busy", {"Retry-After": "7"}),
        Reply(429, b"slow down", {"Retry-After": "1"}),
        good,
    )
    waits: list[float] = []
    with SimpleIndex(local_index.url, retries=3, backoff=0.25, sleep=waits.append) as index:
        assert select_sdist(index.project("demo")).filename == "demo-1.1.tar.gz"
    assert waits == [7.0, 1.0]
    assert local_index.hits("/simple/demo/") == 3


def test_retry_after_beyond_the_cap_is_reported_not_slept(local_index: LocalIndex) -> None:
    local_index.route("/simple/demo/", Reply(503, b"maintenance", {"Retry-After": "3600"}))
    waits: list[float] = []
    with (
        SimpleIndex(local_index.url, retries=3, sleep=waits.append) as index,
        pytest.raises(IndexFetchError, match=r"asks to retry after 3600 s, longer than the 60 s"),
    ):
        index.project("demo")
    assert waits == [] and local_index.hits("/simple/demo/") == 1


def test_a_slow_drip_index_meets_the_overall_deadline(local_index: LocalIndex, tmp_path: Path) -> None:
    # One byte every 50 ms of a 4 KiB page would take over three minutes; each read is
    # quick, so only an overall deadline per attempt ends it.
    page = b"<html><body>" + b" " * 4096 + b"</body></html>"
    local_index.route("/simple/demo/", Reply(200, page, {"Content-Type": "text/html"}, drip=0.05))
    with (
        SimpleIndex(local_index.url, retries=1, sleep=lambda _: None, deadline=0.5) as index,
        pytest.raises(
            IndexFetchError, match=r"giving up after 2 attempts \(no complete answer within 0.5 s\)"
        ),
    ):
        index.project("demo")
    archive = sdist("slow-1.0", {"a.c": b"int slow;\n" * 200})
    local_index.publish("slow", {"slow-1.0.tar.gz": archive})
    local_index.route("/files/slow-1.0.tar.gz", Reply(200, archive, drip=0.05))
    with SimpleIndex(local_index.url, retries=0, download_deadline=0.5) as index:
        found = select_sdist(index.project("slow"))
        with pytest.raises(IndexFetchError, match=r"no complete answer within 0\.5 s"):
            index.download(found, tmp_path)
    assert not list(tmp_path.iterdir())  # no partial file left


def test_compressed_pages_are_decoded_and_must_be_complete(local_index: LocalIndex) -> None:
    import gzip

    local_index.publish("demo", project_files(), style="html")
    page = local_index.routes["/simple/demo/"][0]
    packed = gzip.compress(page.body)
    encoded = {**page.headers, "Content-Encoding": "gzip"}
    local_index.route("/simple/demo/", Reply(200, packed, encoded))
    with SimpleIndex(local_index.url, retries=0) as index:
        files = index.project("demo").files
    assert sorted(f.filename for f in files) == sorted(project_files())
    local_index.route("/simple/demo/", Reply(200, packed[: len(packed) // 2], encoded))
    with (
        SimpleIndex(local_index.url, retries=1, sleep=lambda _: None) as index,
        pytest.raises(IndexFetchError, match=r"giving up after 2 attempts \(compressed answer cut short\)"),
    ):
        index.project("demo")
    bomb = gzip.compress(b"<html>" + b" " * (8 * 2**20))
    local_index.route("/simple/demo/", Reply(200, bomb, encoded))
    with (
        SimpleIndex(local_index.url, retries=0, max_page=2**20) as index,
        pytest.raises(IndexFetchError, match="larger than 1 MiB"),
    ):
        index.project("demo")


def test_persistent_failure_gives_up_with_the_reason(local_index: LocalIndex) -> None:
    local_index.route("/simple/demo/", Reply(500, b"oops"))
    waits: list[float] = []
    with (
        SimpleIndex(local_index.url, retries=2, backoff=0.5, sleep=waits.append) as index,
        pytest.raises(IndexFetchError, match=r"giving up after 3 attempts \(HTTP 500\)"),
    ):
        index.project("demo")
    assert waits == [0.5, 1.0]  # exponential backoff without Retry-After


def test_truncated_and_malformed_bodies_are_retried(local_index: LocalIndex, tmp_path: Path) -> None:
    files = project_files()
    local_index.publish("demo", files, yanked=YANKED)
    page = local_index.routes["/simple/demo/"][0]
    local_index.route("/simple/demo/", Reply(200, b"{not json", dict(page.headers)), page)
    archive = local_index.routes["/files/demo-1.1.tar.gz"][0]
    local_index.route("/files/demo-1.1.tar.gz", Reply(200, archive.body, truncate=True), archive)
    with client(local_index) as index:
        chosen = select_sdist(index.project("demo"))
        path = index.download(chosen, tmp_path)
    assert path.read_bytes() == files["demo-1.1.tar.gz"]
    assert local_index.hits("/simple/demo/") == 2
    assert local_index.hits("/files/demo-1.1.tar.gz") == 2


def test_always_truncated_download_fails_and_leaves_nothing(local_index: LocalIndex, tmp_path: Path) -> None:
    files = project_files()
    local_index.publish("demo", files, yanked=YANKED)
    local_index.route("/files/demo-1.1.tar.gz", Reply(200, files["demo-1.1.tar.gz"], truncate=True))
    with client(local_index) as index:
        chosen = select_sdist(index.project("demo"))
        with pytest.raises(IndexFetchError, match="giving up after 3 attempts"):
            index.download(chosen, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_hash_mismatch_is_refused(local_index: LocalIndex, tmp_path: Path) -> None:
    files = project_files()
    local_index.publish("demo", files, yanked=YANKED)
    local_index.route("/files/demo-1.1.tar.gz", Reply(200, b"something else entirely"))
    with client(local_index, retries=1) as index:
        chosen = select_sdist(index.project("demo"))
        with pytest.raises(IndexFetchError, match="sha256 mismatch"):
            index.download(chosen, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_download_size_cap(local_index: LocalIndex, tmp_path: Path) -> None:
    local_index.publish("demo", project_files(), yanked=YANKED)
    with SimpleIndex(local_index.url, max_download=100, sleep=NO_WAIT.append) as index:
        chosen = select_sdist(index.project("demo"))
        with pytest.raises(IndexFetchError, match="download cap"):
            index.download(chosen, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_hostile_file_names_from_the_index_are_refused(tmp_path: Path) -> None:
    index = SimpleIndex("http://127.0.0.1:9/simple/")
    for name in ("../evil.tar.gz", "/etc/passwd", "a/b.tar.gz", "..tar.gz"):
        with pytest.raises(IndexFetchError, match="refusing file name"):
            index.download(DistFile(name, "http://127.0.0.1:9/x", ()), tmp_path)
    index.close()


def test_html_page_details() -> None:
    body = (
        b'<html><head><base href="https://files.example/base/"></head><body>'
        b'<a href="p/demo-1.0.tar.gz#sha256=ab12" data-requires-python="&gt;=3.9" '
        b'data-core-metadata="sha256=ff">demo-1.0.tar.gz</a>'
        b'<a href="demo-0.9.zip" data-yanked="">demo-0.9.zip</a></body></html>'
    )
    files = parse_html_page(body, "https://index.example/simple/demo/")
    assert files[0] == DistFile(
        "demo-1.0.tar.gz",
        "https://files.example/base/p/demo-1.0.tar.gz",
        (("sha256", "ab12"),),
        requires_python=">=3.9",
        yanked=None,
        core_metadata=True,
    )
    assert files[1].yanked == "" and not files[1].core_metadata


def test_names_normalise_per_pep_503() -> None:
    assert normalize("Foo.Bar__baz-") == "foo-bar-baz-"
    assert normalize("zope.interface") == "zope-interface"


def test_non_http_index_is_refused() -> None:
    with pytest.raises(IndexFetchError, match="only http"):
        SimpleIndex("file:///opt/simple")


# -- which index -------------------------------------------------------------------------
def test_index_url_precedence(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / ".config" / "pip").mkdir(parents=True)
    (home / ".config" / "uv").mkdir(parents=True)
    (home / ".config" / "uv" / "uv.toml").write_text(
        '[[index]]\nurl = "https://uv.example/simple"\ndefault = true\n'
    )
    env = {"HOME": str(home), "XDG_CONFIG_DIRS": str(tmp_path / "none")}
    assert default_index_url(env=env, home=home) == "https://uv.example/simple/"
    (home / ".pip").mkdir()
    (home / ".pip" / "pip.conf").write_text("[global]\nindex-url = https://legacy.example/simple\n")
    assert default_index_url(env=env, home=home) == "https://legacy.example/simple/"
    (home / ".config" / "pip" / "pip.conf").write_text(
        "[global]\nindex-url = https://user.example/simple\n[download]\nindex-url = https://dl.example/s\n"
    )
    assert default_index_url(env=env, home=home) == "https://dl.example/s/"
    env["UV_INDEX_URL"] = "https://uv-env.example/simple"
    assert default_index_url(env=env, home=home) == "https://uv-env.example/simple/"
    env["PIP_INDEX_URL"] = "https://env.example/simple"
    assert default_index_url(env=env, home=home) == "https://env.example/simple/"
    assert default_index_url("http://127.0.0.1:1/x", env=env, home=home) == "http://127.0.0.1:1/x/"


def test_index_url_falls_back_to_pips_own_default(tmp_path: Path) -> None:
    import os

    env = {"PIP_CONFIG_FILE": os.devnull, "XDG_CONFIG_HOME": str(tmp_path)}
    url = default_index_url(env=env, home=tmp_path)
    # pip's documented default, as its own --help states it (no private pip import).
    import re
    import subprocess
    import sys

    help_text = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--help"], capture_output=True, text=True, check=True
    ).stdout
    stated = re.search(r"Base URL of the Python Package Index\s+\(default\s+(\S+?)\)", help_text)
    assert stated is not None
    assert url == stated.group(1).rstrip("/") + "/"


def test_an_oversized_page_is_refused_not_retried(local_index: LocalIndex) -> None:
    local_index.publish("demo", project_files())
    with (
        SimpleIndex(local_index.url, max_page=64, sleep=NO_WAIT.append) as index,
        pytest.raises(IndexFetchError, match="larger than"),
    ):
        index.project("demo")
    assert local_index.hits("/simple/demo/") == 1


def test_scan_name_shares_the_index_cache(local_index: LocalIndex, tmp_path: Path) -> None:
    local_index.publish(
        "fastthing",
        {"fastthing-1.0.tar.gz": sdist("fastthing-1.0", {"a.c": b"int x;\n"})},
        page_headers={"Cache-Control": "max-age=600"},
    )
    args = ["scan", "--index-url", local_index.url, "--cache-dir", str(tmp_path), "-q", "pypi:fastthing"]
    for _ in range(2):
        assert CliRunner().invoke(main, args).exit_code == 0
    assert local_index.hits("/simple/fastthing/") == 1  # the second scan read the page from the cache
    assert local_index.hits("/files/fastthing-1.0.tar.gz") == 2
