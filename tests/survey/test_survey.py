"""woaport survey against an index on 127.0.0.1: one synthetic sdist per blocker class,
the worklist order, Dask (a local cluster and an existing scheduler) against -j 1,
resume after an interruption, a bomb and a hang recorded as failed, the trend."""

from __future__ import annotations

import gzip
import io
import json
import re
import tarfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from analyzer.index.simple import SimpleIndex
from analyzer.limits import SurveyLimits
from analyzer.survey.classify import blocker_class, effort_of, worklist
from analyzer.survey.model import DONE, FAILED, Patch, ProjectSurvey, Proof
from analyzer.survey.run import SurveyOptions, dispatch, run_survey
from analyzer.survey.store import RunItem, SurveyStore, changes
from analyzer.survey.task import SurveyRequest, survey_task
from tests.clirun import run
from tests.localindex import LocalIndex, Reply, sdist, wheel
from tests.paths import DOCS

SCHEMA = json.loads((DOCS / "schema" / "woaport-survey-1.json").read_text())

MODULE = """#include <Python.h>
static struct PyModuleDef m = {PyModuleDef_HEAD_INIT, "_speed", NULL, -1, NULL};
PyMODINIT_FUNC PyInit__speed(void) { return PyModule_Create(&m); }
"""
SIMD = (
    "#include <Python.h>\n#include <immintrin.h>\n"
    "float add4(const float *a, const float *b) { return _mm_cvtss_f32(_mm_add_ps(_mm_loadu_ps(a),"
    " _mm_loadu_ps(b))); }\n" + MODULE.split("\n", 1)[1]
)
WHEELS_WORKFLOW = """name: wheels
on: [push, release]
jobs:
  wheels:
    runs-on: ${{ matrix.os }}
    strategy:
      matrix:
        os: [ubuntu-latest, windows-latest, macos-latest]
    steps:
      - uses: actions/checkout@v4
      - uses: pypa/cibuildwheel@v3.1
      - uses: actions/upload-artifact@v4
        with:
          path: wheelhouse/*.whl
"""


def setup_py(name: str, extra: str = "") -> str:
    module = f'Extension("{name}._speed", ["src/speed.c"]{extra})'
    call = f'setup(name="{name}", version="1.0", ext_modules=[{module}])'
    return f"from setuptools import setup, Extension\n{call}\n"


# One project per blocker class (and what the survey must say about it).
PROJECTS: dict[str, tuple[dict[str, str], str]] = {
    "ciproj": (
        {
            "setup.py": setup_py("ciproj"),
            "src/speed.c": MODULE,
            ".github/workflows/wheels.yml": WHEELS_WORKFLOW,
        },
        "ci-only",
    ),
    "noci": ({"setup.py": setup_py("noci"), "src/speed.c": MODULE}, "ci-elsewhere"),
    "extlib": (
        {
            "setup.py": setup_py("extlib", ', libraries=["fancyblas"]'),
            "src/speed.c": MODULE,
            ".github/workflows/wheels.yml": WHEELS_WORKFLOW,
        },
        "external-library",
    ),
    "buildproj": (
        {
            "setup.py": setup_py("buildproj", ', extra_compile_args=["-mavx2"]'),
            "src/speed.c": MODULE,
            ".github/workflows/wheels.yml": WHEELS_WORKFLOW,
        },
        "build",
    ),
    "codeproj": (
        {
            "setup.py": setup_py("codeproj"),
            "src/speed.c": SIMD,
            ".github/workflows/wheels.yml": WHEELS_WORKFLOW,
        },
        "code",
    ),
    "puzzle": (
        # Clean code and a CI that builds win_arm64 already, yet no wheel: nothing says why.
        {
            "setup.py": setup_py("puzzle"),
            "src/speed.c": MODULE,
            ".github/workflows/wheels.yml": WHEELS_WORKFLOW.replace(
                "macos-latest]", "macos-latest, windows-11-arm]"
            ),
        },
        "unknown",
    ),
}


def publish_amber(index: LocalIndex, name: str, files: dict[str, str], version: str = "1.0") -> None:
    """An sdist and a win_amd64 wheel: Windows has a wheel, ARM64 does not (amber)."""
    data = {rel: text.encode() for rel, text in files.items()}
    wheel_name, wheel_bytes = wheel(name, version, "cp312-cp312-win_amd64")
    index.publish(
        name, {f"{name}-{version}.tar.gz": sdist(f"{name}-{version}", data), wheel_name: wheel_bytes}
    )


def publish_native(index: LocalIndex, name: str, version: str) -> None:
    files = dict([wheel(name, version, "cp312-abi3-win_arm64"), wheel(name, version, "cp312-abi3-win_amd64")])
    index.publish(name, {**files, f"{name}-{version}.tar.gz": sdist(f"{name}-{version}", {"setup.py": b""})})


@pytest.fixture
def index(local_index: LocalIndex) -> Iterator[LocalIndex]:
    for name, (files, _) in PROJECTS.items():
        publish_amber(local_index, name, files)
    publish_native(local_index, "done", "2.0")
    linux = dict([wheel("linuxonly", "1.0", "cp312-cp312-manylinux_2_17_x86_64")])
    local_index.publish(
        "linuxonly",
        {
            **linux,
            "linuxonly-1.0.tar.gz": sdist(
                "linuxonly-1.0", {k: v.encode() for k, v in PROJECTS["noci"][0].items()}
            ),
        },
    )
    yield local_index


def _survey(
    local: LocalIndex, names: list[str], tmp_path: Path, task: Any = None, **changes: Any
) -> tuple[Any, SurveyStore]:
    store = SurveyStore(tmp_path / "history.sqlite")
    options = SurveyOptions(**{"timeout": 10.0, "retries": 0, **changes})
    with SimpleIndex(local.url, timeout=10.0) as client:
        report = run_survey(client, names, options, store, "2026-12-06T00:00:00+00:00", "test set", task=task)
    return report, store


def _cluster() -> Any:
    """A Dask cluster of one worker process, as a user would have started elsewhere."""
    from distributed import LocalCluster

    return LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address="127.0.0.1:0"
    )


def _digest(report: Any) -> dict[str, tuple[str, str, str, str]]:
    return {s.name: (s.outcome, s.blocker, s.patch.state, s.patch.text) for s in report.surveys}


# -- the classes and the order (pure) ------------------------------------------------------
@pytest.mark.parametrize(
    ("areas", "ci_files", "libraries", "expected"),
    [
        ({"code": "blocked", "ci": "blocked"}, 1, (), "code"),
        ({"build": "blocked", "ci": "blocked"}, 1, (), "build"),
        ({"ci": "blocked"}, 1, ("fftw3",), "external-library"),
        ({"dependencies": "blocked"}, 1, (), "external-library"),
        ({"ci": "blocked", "code": "unknown"}, 1, (), "ci-only"),
        ({"ci": "unknown"}, 0, (), "ci-elsewhere"),
        ({"ci": "ok"}, 2, (), "unknown"),
    ],
)
def test_blocker_class_hardest_first(
    areas: dict[str, str], ci_files: int, libraries: tuple[str, ...], expected: str
) -> None:
    assert blocker_class(areas, ci_files, libraries)[0] == expected


def test_a_failed_proof_costs_the_top_place_but_not_the_class() -> None:
    """The proof builds with clang/mingw, the wheels with MSVC: a failure there (a pointer
    cast clang rejects, a MASM file) is shown, it does not make a CI job a code port."""
    patch = Patch("verified", added=1, removed=1)
    clean = _made("clean", "ci-only", patch)
    doubtful = replace(clean, name="doubtful", proof=Proof("failed", "x.cpp: cast loses information"))
    order = worklist([doubtful, clean], {"doubtful": 1e9, "clean": 1.0})
    assert [i.survey.name for i in order] == ["clean", "doubtful"]
    assert order[1].survey.blocker == "ci-only" and "failed proof" in order[1].effort


def _made(name: str, blocker: str, patch: Patch, outcome: str = DONE) -> ProjectSurvey:
    return ProjectSurvey(name, "1.0", outcome, "amber", blocker=blocker, patch=patch)


def test_worklist_puts_a_verified_one_line_ci_patch_first_then_reach() -> None:
    one_line = Patch("verified", added=1, removed=1)
    big = Patch("verified", added=40)
    surveys = [
        _made("popular-code", "code", Patch("none")),
        _made("big-patch", "ci-only", big),
        _made("small-rare", "ci-only", one_line),
        _made("small-popular", "ci-only", one_line),
        _made("withheld", "ci-only", Patch("withheld", "no released job yields win_arm64")),
        _made("broken", "unknown", Patch("none"), outcome=FAILED),
        _made("elsewhere", "ci-elsewhere", Patch("none")),
    ]
    reach = {"popular-code": 1e9, "small-popular": 1e6, "small-rare": 10.0, "big-patch": 1e8}
    order = [item.survey.name for item in worklist(surveys, reach)]
    assert order == [
        "small-popular",
        "small-rare",
        "big-patch",
        "withheld",
        "elsewhere",
        "popular-code",
        "broken",
    ]
    assert effort_of(surveys[2])[1] == "apply the verified 1-line CI patch"


def test_the_result_survives_json_both_ways() -> None:
    survey = ProjectSurvey(
        "p",
        "1.0",
        DONE,
        "amber",
        areas=(("code", "ok", ("fine",)),),
        patch=Patch("verified", "ok", ("a.yml",), 2, 1, "diff"),
        proof=Proof("built", "1 module", 1, 1, "3.13"),
        timings=(("scan", 0.5),),
    )
    assert ProjectSurvey.from_dict(json.loads(json.dumps(survey.to_dict()))) == survey


# -- against the local index ---------------------------------------------------------------
@pytest.mark.slow  # whole survey runs, each project in its own process
def test_each_blocker_class_from_its_sdist_and_the_worklist_files(index: LocalIndex, tmp_path: Path) -> None:
    names = [*PROJECTS, "done", "linuxonly"]
    out = tmp_path / "out"
    code, printed = run(
        "survey", *names, "--index-url", index.url, "-j", "1", "--no-prove", "--out", str(out),
        "--json", str(tmp_path / "s.json"), "--db", str(tmp_path / "h.sqlite"),
    )  # fmt: skip
    assert code == 0, printed
    data = json.loads((tmp_path / "s.json").read_text())
    jsonschema.validate(data, SCHEMA)
    got = {item["name"]: item["blocker"] for item in data["worklist"]}
    assert got == {name: expected for name, (_, expected) in PROJECTS.items()}
    by_name = {item["name"]: item for item in data["worklist"]}
    # The CI patch recomputes to win_arm64; the project whose sdist has no CI gets none.
    assert by_name["ciproj"]["patch"]["state"] == "verified"
    assert "win_arm64" in by_name["ciproj"]["patch"]["reason"]
    assert by_name["noci"]["patch"]["state"] == "none"
    assert data["worklist"][0]["name"] == "ciproj" and data["worklist"][0]["effort"].startswith(
        "apply the verified"
    )
    patch = out / "patches" / by_name["ciproj"]["patch_file"]
    assert "windows-11-arm" in patch.read_text() or "ARM64" in patch.read_text()
    # Not a port: the native project, and the one with no Windows wheel at all.
    skipped = {n["name"]: n["status"] for n in data["not_surveyed"]}
    assert skipped == {"done": "native", "linuxonly": "no-windows"}
    page = (out / "worklist.html").read_text()
    assert "ciproj" in page and 'data-class="ci-only"' in page and "patches/ciproj-1.0.patch" in page
    assert "ci-only" in printed and "worklist" in printed


def test_no_windows_is_surveyed_only_when_asked(index: LocalIndex, tmp_path: Path) -> None:
    report, _ = _survey(index, ["linuxonly"], tmp_path, also=frozenset({"no-windows"}))
    assert [(s.name, s.status, s.blocker) for s in report.surveys] == [
        ("linuxonly", "no-windows", "ci-elsewhere")
    ]


@pytest.mark.slow  # a Dask cluster of worker processes starts (4-6 s on 2 cores)
def test_a_local_dask_cluster_gives_what_one_at_a_time_gives(index: LocalIndex, tmp_path: Path) -> None:
    names = ["ciproj", "noci", "codeproj", "extlib"]
    alone, _ = _survey(index, names, tmp_path / "a", jobs=1)
    clustered, _ = _survey(index, names, tmp_path / "b", jobs=2)
    assert _digest(alone) == _digest(clustered)
    assert all(s.outcome == DONE for s in clustered.surveys) and len(clustered.surveys) == 4


@pytest.mark.slow  # a Dask cluster of worker processes starts (4-6 s on 2 cores)
def test_an_existing_scheduler_runs_the_tasks(index: LocalIndex, tmp_path: Path) -> None:
    with _cluster() as cluster:
        report, _ = _survey(index, ["ciproj", "noci"], tmp_path, scheduler=cluster.scheduler_address)
    assert {s.name: s.blocker for s in report.surveys} == {"ciproj": "ci-only", "noci": "ci-elsewhere"}


@pytest.mark.slow  # whole survey runs, each project in its own process
def test_a_rerun_goes_on_where_an_interrupted_one_stopped(index: LocalIndex, tmp_path: Path) -> None:
    names = ["ciproj", "noci", "extlib"]
    ran: list[str] = []

    def interrupted_after_two(request: dict[str, Any]) -> dict[str, Any]:
        if len(ran) == 2:
            raise KeyboardInterrupt
        ran.append(request["name"])
        return survey_task(request)

    with pytest.raises(KeyboardInterrupt):
        _survey(index, names, tmp_path, task=interrupted_after_two)
    assert ran == ["ciproj", "noci"]

    def counted(request: dict[str, Any]) -> dict[str, Any]:
        ran.append(request["name"])
        return survey_task(request)

    report, _store = _survey(index, names, tmp_path, task=counted)
    assert ran == ["ciproj", "noci", "extlib"]  # only the one left was surveyed again
    assert report.reused == 2 and {s.name for s in report.surveys} == set(names)
    # A newer release is surveyed again.
    publish_amber(index, "noci", PROJECTS["noci"][0], version="1.1")
    report, _ = _survey(index, names, tmp_path, task=counted)
    assert ran[3:] == ["noci"] and report.reused == 2


def _bomb() -> bytes:
    """A .tar.gz of 80 MB of zeros in about 80 kB (past the ratio check's 64 MB floor)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        info = tarfile.TarInfo("bomb-1.0/src/zeros.c")
        info.size = 80 * 1024 * 1024
        tar.addfile(info, io.BytesIO(bytes(info.size)))
    return gzip.compress(raw.getvalue(), compresslevel=9)


@pytest.mark.slow  # waits out a 5 s project limit
def test_a_bomb_and_a_hang_are_recorded_as_failed_and_the_rest_complete(
    index: LocalIndex, tmp_path: Path
) -> None:
    wheel_name, wheel_bytes = wheel("bomb", "1.0", "cp312-cp312-win_amd64")
    index.publish("bomb", {"bomb-1.0.tar.gz": _bomb(), wheel_name: wheel_bytes})
    publish_amber(index, "hang", {"setup.py": "x"})
    slow = index.routes["/files/hang-1.0.tar.gz"][0]
    index.route("/files/hang-1.0.tar.gz", Reply(200, slow.body, drip=0.5))
    limits = SurveyLimits(project_seconds=5.0)
    report, store = _survey(index, ["bomb", "hang", "ciproj"], tmp_path, limits=limits, jobs=2)
    got = {s.name: s for s in report.surveys}
    assert got["ciproj"].outcome == DONE and got["ciproj"].blocker == "ci-only"
    assert got["bomb"].outcome == FAILED and "bomb" in got["bomb"].error
    assert got["hang"].outcome == FAILED and "limit reached" in got["hang"].error
    assert {i.survey.name for i in report.work[-2:]} == {"bomb", "hang"}
    # Failures are kept: the next run does not try a bomb again.
    assert store.current("bomb", "1.0", got["bomb"].woaport, "") is not None


def test_a_download_that_never_matches_its_hash_is_retried_by_the_next_run(
    index: LocalIndex, tmp_path: Path
) -> None:
    index.route("/files/noci-1.0.tar.gz", Reply(200, b"not the sdist the page promised"))
    report, store = _survey(index, ["noci"], tmp_path)
    (only,) = report.surveys
    assert only.outcome == "error" and "mismatch" in only.error
    assert store.current("noci", "1.0", only.woaport, "") is None


@pytest.mark.slow  # whole survey runs, each project in its own process
def test_a_run_says_what_turned_green_and_what_regressed(index: LocalIndex, tmp_path: Path) -> None:
    _survey(index, ["ciproj", "noci"], tmp_path)
    publish_native(index, "ciproj", "1.1")  # ported upstream
    publish_amber(index, "noci", PROJECTS["codeproj"][0] | {"setup.py": setup_py("noci")}, version="2.0")
    report, _ = _survey(index, ["ciproj", "noci"], tmp_path)
    said = {c.name: (c.what, c.detail) for c in report.changes}
    assert said["ciproj"][0] == "turned green"
    assert said["noci"] == ("new blocker", "2.0: ci-elsewhere -> code (was 1.0)")
    assert report.since == "2026-12-06T00:00:00+00:00"


def test_changes_tell_a_lost_win_arm64_wheel() -> None:
    before = {"p": RunItem("p", "1.0", "native", "")}
    assert [c.what for c in changes(before, [RunItem("p", "1.1", "regressed", "ci-only")])] == ["regressed"]
    assert changes(before, [RunItem("p", "1.0", "native", "")]) == []


@pytest.mark.slow  # a Dask cluster of worker processes starts (4-6 s on 2 cores)
def test_a_lost_worker_is_one_failed_project(tmp_path: Path) -> None:

    def dies(request: dict[str, Any]) -> dict[str, Any]:
        import os

        os._exit(3)  # the worker process goes away mid-task

    requests = [
        SurveyRequest(
            "gone", "1.0", "amber", "gone-1.0.tar.gz", "http://127.0.0.1:9/x", (), "http://127.0.0.1:9/"
        )
    ]
    got: list[ProjectSurvey] = []
    dispatch(requests, SurveyOptions(jobs=1, scheduler=""), got.append, task=lambda r: survey_task(r))
    assert got[0].outcome in ("error", FAILED)  # the index on port 9 does not answer
    got.clear()
    from dask import config

    # The scheduler gives up on a task after one lost worker (its default retries three).
    with config.set({"distributed.scheduler.allowed-failures": 0}), _cluster() as cluster:
        dispatch(requests, SurveyOptions(scheduler=cluster.scheduler_address), got.append, task=dies)
    assert got[0].outcome == FAILED and "worker" in got[0].error


def test_an_unreachable_scheduler_is_an_operational_error(
    index: LocalIndex, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    from analyzer.survey import run as survey_run

    monkeypatch.setattr(survey_run, "_CONNECT_TIMEOUT", "0.2s")
    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{closed.getsockname()[1]}"
    requests = [SurveyRequest("x", "1.0", "amber", "x-1.0.tar.gz", "http://127.0.0.1:9/x", (), "")]
    with pytest.raises(survey_run.SchedulerError, match=re.escape(address)):
        dispatch(requests, SurveyOptions(scheduler=address), lambda _: None)
    code, output = run(
        "survey",
        "ciproj",
        "--index-url",
        index.url,
        "--no-db",
        "--no-prove",
        "--out",
        str(tmp_path / "o"),
        "--scheduler",
        address,
    )
    assert code == 2 and "the Dask scheduler tcp://127.0.0.1:" in output, output


def test_usage_errors(tmp_path: Path) -> None:
    assert run("survey")[0] == 2
    assert run("survey", "x", "--prove-python", "three")[0] == 2
    assert run("survey", "x", "--also", "purple")[0] == 2
    assert run("survey", "x", "--scheduler", "localhost:1")[0] == 2


def test_a_compiler_under_a_survey_task_gets_the_task_cap_not_an_error(tmp_path: Path) -> None:
    """A survey task's process is capped (here 2 GiB); the compiler it starts asks for the
    child cap (4 GiB), which an unprivileged process cannot raise to: it gets 2 GiB."""
    import subprocess
    import sys

    script = (
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_AS, (2 * 1024**3, 2 * 1024**3))\n"
        "from pathlib import Path\n"
        "from analyzer.childproc import run_limited\n"
        "from analyzer.limits import ChildLimits\n"
        "probe = 'import resource; print(resource.getrlimit(resource.RLIMIT_AS)[1])'\n"
        "out = run_limited([sys.executable, '-c', probe], Path('.'), ChildLimits(memory_bytes=4 * 1024**3))\n"
        "print(out.code, out.output.strip(), out.stopped)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, check=True
    )
    assert done.stdout.split() == ["0", str(2 * 1024**3)]


# -- CI the sdist does not ship ------------------------------------------------------------
def test_ci_from_a_folder_turns_ci_elsewhere_into_a_verified_ci_patch(
    index: LocalIndex, tmp_path: Path
) -> None:
    lent = tmp_path / "ci" / "noci" / ".github" / "workflows"
    lent.mkdir(parents=True)
    (lent / "wheels.yml").write_text(WHEELS_WORKFLOW)
    report, _ = _survey(index, ["noci"], tmp_path, ci_from=str(tmp_path / "ci"))
    (only,) = report.surveys
    assert (only.blocker, only.patch.state) == ("ci-only", "verified")
    assert only.ci_source.startswith(str(tmp_path / "ci" / "noci"))
    assert ".github/workflows/wheels.yml" in only.patch.files


def test_a_clone_lends_ci_and_scripts_at_the_release_tag_and_nothing_else(tmp_path: Path) -> None:
    from analyzer.survey.borrow import borrow_ci, has_ci, repository_ci
    from tests.test_gitclone import git

    repo = tmp_path / "repo"
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / ".github" / "workflows" / "wheels.yml").write_text(WHEELS_WORKFLOW)
    (repo / "ci").mkdir()
    (repo / "ci" / "build.sh").write_text("echo build\n")
    (repo / "src").mkdir()
    (repo / "src" / "extra.c").write_text("int only_in_the_repository;\n")
    (repo / "setup.py").write_text("# the repository's\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "release")
    git(repo, "tag", "v1.0")
    tree = tmp_path / "sdist"
    (tree / "src").mkdir(parents=True)
    (tree / "setup.py").write_text("# the sdist's\n")
    assert not has_ci(tree)
    said = repository_ci(f"file://{repo}", "1.0", tree, tmp_path / "scratch")
    assert "at tag v1.0" in said and has_ci(tree)
    assert (tree / "ci" / "build.sh").is_file()
    assert not (tree / "src" / "extra.c").exists()  # the code judged stays the sdist's
    assert (tree / "setup.py").read_text() == "# the sdist's\n"  # never overwritten
    # No tag for this version: the default branch, and it says so.
    other = tmp_path / "other"
    other.mkdir()
    said = repository_ci(f"file://{repo}", "9.9", other, tmp_path / "scratch2")
    assert "default branch" in said
    # A tree with CI of its own is read as it is.
    assert borrow_ci(tree, "p", "1.0", "", True, tmp_path / "s3") == "sdist"


def test_a_lent_folder_cannot_place_files_outside_the_tree(tmp_path: Path) -> None:
    from analyzer.survey.borrow import overlay

    secret = tmp_path / "secret.txt"
    secret.write_text("token")
    source = tmp_path / "lent"
    (source / ".github").mkdir(parents=True)
    (source / ".github" / "link.yml").symlink_to(secret)
    (source / ".github" / "ok.yml").write_text("on: push\n")
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "up").symlink_to(tmp_path)  # a link in the tree leading out
    (source / "up").mkdir()
    (source / "up" / "planted.yml").write_text("x")
    assert overlay(source, tree, only_ci=False) == 1
    assert (tree / ".github" / "ok.yml").is_file() and not (tree / ".github" / "link.yml").exists()
    assert not (tmp_path / "planted.yml").exists()


@pytest.mark.slow
def test_proofs_in_a_survey_and_a_proof_past_its_share_of_time(index: LocalIndex, tmp_path: Path) -> None:
    from tests.prove.test_prove import real_sdk

    sdk = real_sdk() / "cpython-3.13-win-arm64"
    proving = {"prove_python": "3.13", "sdk_dir": str(sdk), "zig_cache": str(tmp_path / "zig")}
    report, _ = _survey(index, ["ciproj", "codeproj", "extlib"], tmp_path / "a", **proving)
    proofs = {s.name: (s.proof.state, s.blocker) for s in report.surveys}
    assert proofs["ciproj"] == ("built", "ci-only")
    assert proofs["codeproj"] == ("failed", "code")  # immintrin.h on ARM64
    assert proofs["extlib"][0] == "not proven" and "external-library" in report.surveys[2].proof.reason
    # A proof that cannot finish within its share of the project's time is "not proven",
    # and the project keeps its verdict and patch.
    slow = SurveyLimits(project_seconds=60.0, prove_seconds=0.01)
    report, _ = _survey(index, ["ciproj"], tmp_path / "b", limits=slow, **proving)
    (only,) = report.surveys
    assert only.outcome == DONE and only.proof.state == "not proven" and "limit" in only.proof.reason
    assert only.patch.state == "verified"
