"""``git+URL[@REF]``: a repository cloned shallowly into a temporary directory and scanned
(or fixed), with nothing from it or from the user's git configuration run; and, with no
CI in the tree, the verdict names the repository from the project's metadata."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from analyzer.cli import main
from analyzer.gitclone import CloneError, GitRequest, clone, git_request
from analyzer.projectmeta import project_urls, repository_url
from analyzer.scan import ScanOptions, scan
from analyzer.verdict import judge
from tests.clirun import run

WORKFLOW = """jobs:
  build_wheels:
    runs-on: ${{ matrix.os }}
    strategy:
      matrix:
        os: [ubuntu-latest, windows-latest, macos-14]
    steps:
      - uses: pypa/cibuildwheel@v2.21
"""


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    done = subprocess.run(
        ["git", "-c", "user.email=t@example.org", "-c", "user.name=t", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    repo = tmp_path / "upstream"
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / ".github" / "workflows" / "wheels.yml").write_text(WORKFLOW)
    (repo / "src").mkdir()
    (repo / "src" / "a.c").write_text("int a;\n")
    (repo / "src" / "outside.c").symlink_to("/etc/hostname")
    (repo / ".gitattributes").write_text("*.c filter=evil\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "one")
    git(repo, "tag", "v1")
    (repo / "src" / "b.c").write_text("int b;\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "two")
    return repo


def test_requests_are_parsed_like_pip() -> None:
    assert git_request("git+https://github.com/o/r") == GitRequest("https://github.com/o/r", None)
    assert git_request("git+https://github.com/o/r@v1.2") == GitRequest("https://github.com/o/r", "v1.2")
    assert git_request("git+ssh://git@github.com/o/r") == GitRequest("ssh://git@github.com/o/r", None)
    assert git_request("git+ssh://git@github.com/o/r@abc") == GitRequest("ssh://git@github.com/o/r", "abc")
    assert git_request("https://github.com/o/r") is None


@pytest.mark.parametrize(
    "request_",
    [
        GitRequest("ext::sh -c touch% /tmp/pwned", None),
        GitRequest("/local/path/without/scheme", None),
        GitRequest("file:///x", "--upload-pack=touch /tmp/pwned"),
    ],
)
def test_dangerous_requests_are_refused(request_: GitRequest, tmp_path: Path) -> None:
    with pytest.raises(CloneError):
        clone(request_, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_clone_by_tag_branch_commit_and_default(repository: Path, tmp_path: Path) -> None:
    url = repository.as_uri()
    first = git(repository, "rev-parse", "v1")
    assert clone(GitRequest(url, "v1"), tmp_path / "tag") == first
    assert not (tmp_path / "tag" / "src" / "b.c").exists()
    head = git(repository, "rev-parse", "HEAD")
    assert clone(GitRequest(url, None), tmp_path / "default") == head
    assert clone(GitRequest(url, "main"), tmp_path / "branch") == head
    assert clone(GitRequest(url, first), tmp_path / "commit") == first
    # A link is checked out as a plain file holding its target: it cannot lead outside.
    link = tmp_path / "tag" / "src" / "outside.c"
    assert not link.is_symlink() and link.read_text() == "/etc/hostname"
    with pytest.raises(CloneError, match="git fetch"):
        clone(GitRequest(url, "no-such-ref"), tmp_path / "missing")


def test_the_users_git_configuration_runs_nothing(
    repository: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = tmp_path / "ran"
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    hook = hooks / "post-checkout"
    hook.write_text(f"#!/bin/sh\ntouch {marker}\n")
    hook.chmod(0o755)
    config = tmp_path / "gitconfig"
    config.write_text(
        f'[core]\n\thooksPath = {hooks}\n[filter "evil"]\n\tsmudge = touch {marker}; cat\n\trequired = true\n'
    )
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_DIR", str(tmp_path / "elsewhere"))  # inherited GIT_* must not redirect it
    clone(GitRequest(repository.as_uri(), "v1"), tmp_path / "out")
    assert not marker.exists()
    assert (tmp_path / "out" / "src" / "a.c").read_text() == "int a;\n"


def test_scan_and_fix_a_repository(repository: Path, tmp_path: Path) -> None:
    target = f"git+{repository.as_uri()}@v1"
    code, output = run("scan", target, "--no-progress", "--json", str(tmp_path / "r.json"))
    assert code == 0, output  # WOA601 is a warning
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["root"].startswith(repository.as_uri() + "@")
    assert data["verdict"]["areas"]["ci"]["state"] == "blocked"
    assert [f["path"] for f in data["findings"]] == [".github/workflows/wheels.yml"]
    fixed = CliRunner().invoke(main, ["fix", target])
    assert fixed.exit_code == 0, fixed.output
    assert "+        os: [ubuntu-latest, windows-latest, macos-14, windows-11-arm]" in fixed.stdout
    # The patch applies to the user's own checkout, and the fixed tree has nothing left.
    checkout = tmp_path / "mine"
    git(tmp_path, "clone", "-q", str(repository), str(checkout))
    git(checkout, "checkout", "-q", "v1")
    (tmp_path / "p.diff").write_text(fixed.stdout)
    git(checkout, "apply", str(tmp_path / "p.diff"))
    assert not [f for f in scan(checkout, ScanOptions(jobs=1)).findings if f.rule_id == "WOA601"]
    again = CliRunner().invoke(main, ["fix", str(checkout)])
    assert again.exit_code == 0 and "diff --git" not in again.stdout  # idempotent
    assert run("fix", target, "--apply")[0] == 2  # a clone is temporary: nothing to write into
    code, output = run("scan", "git+file:///no/such/repository", "--no-progress")
    assert code == 2 and "does not appear to be a git repository" in output  # git's own fatal line


PKG_INFO = b"""Metadata-Version: 2.1
Name: demo
Version: 1.0
Home-page: https://demo.example.org
Project-URL: Documentation, https://demo.readthedocs.io
Project-URL: Source, https://github.com/demo-org/demo
Project-URL: Bad, javascript:alert(1)
"""


def test_project_urls_from_metadata() -> None:
    urls = project_urls(PKG_INFO, b'[project.urls]\nRepository = "https://gitlab.com/demo/demo"\n')
    assert urls == (
        ("Documentation", "https://demo.readthedocs.io"),
        ("Source", "https://github.com/demo-org/demo"),
        ("Homepage", "https://demo.example.org"),
        ("Repository", "https://gitlab.com/demo/demo"),
    )
    assert repository_url(urls) == ("https://github.com/demo-org/demo", True)
    assert repository_url((("Homepage", "https://demo.example.org"),)) == ("https://demo.example.org", False)
    assert repository_url((("Docs", "https://demo.readthedocs.io"),)) is None
    assert project_urls(b"\xff\xfe garbage", b"not toml [[[") == ()


def test_an_sdist_without_ci_names_its_repository(tmp_path: Path) -> None:
    (tmp_path / "PKG-INFO").write_bytes(PKG_INFO)
    (tmp_path / "demo.c").write_text("int demo;\n")
    verdict = judge(scan(tmp_path, ScanOptions(jobs=1)))
    ci = verdict.area("ci")
    assert ci.state == "unknown"
    assert ci.reasons[0].endswith(": woaport scan git+https://github.com/demo-org/demo")
    (tmp_path / "PKG-INFO").unlink()
    assert "git+" not in judge(scan(tmp_path, ScanOptions(jobs=1))).area("ci").reasons[0]


def test_a_server_that_never_answers_ends_in_a_clear_error(tmp_path: Path) -> None:
    """A git:// port that accepts and stays silent (issue 24: it held a clone for 600 s):
    the clone's deadline covers every git command, and the error says what happened."""
    import socket
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])  # accepted, never answered
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        port = server.getsockname()[1]
        # The clone as a whole may take its default ten minutes: the silent server is
        # given up on once it has not answered a listing of its refs in time.
        with pytest.raises(CloneError, match="did not answer within 2 s"):
            clone(GitRequest(f"git://127.0.0.1:{port}/repo", None), tmp_path / "checkout", answer_within=2)
    finally:
        stop.set()
        thread.join(timeout=5)
        for connection in held:
            connection.close()
        server.close()
