"""``woaport status`` lookups against a generated local index, cold and warm, against a
sequential one-by-one baseline client measured in the same run; and peak memory for a
long list.

    python benchmarks/status_bench.py                  # 2,000 projects, RSS for 15,000
    python benchmarks/status_bench.py --projects 500 --rss-projects 0   # quicker

The index runs in its own process on 127.0.0.1 and serves, for every project, a PEP 691
JSON page (with ETag and ``Cache-Control: max-age``) and PEP 658 metadata for a wheel.
Each answer is delayed by ``--latency`` seconds to stand for the round trip to a public
index (0.03 s by default; real ones are slower, which favours concurrency more).

Both clients make the same requests (the project page, then one wheel's metadata):
  baseline  one project after another, urllib, no cache (measured on the first
            ``--baseline-projects`` projects; its rate is per project)
  cold      woaport's client (check_projects, ``--jobs`` lookups at a time), empty cache
  warm      the same again with the cache the cold run left (pages still fresh)

Goals: cold >= 20x the baseline; warm >= 10x faster than cold; peak RSS < 300 MB for
15,000 projects (measured in a child process: classification, port queue and JSON).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import multiprocessing.synchronize
import random
import resource
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analyzer.index.httpcache import HttpCache
from analyzer.index.simple import SimpleIndex
from analyzer.status.queue import port_queue
from analyzer.status.report import StatusReport, status_json
from analyzer.status.run import CheckOptions, check_projects

PYTHONS = ("3.11", "3.12", "3.13", "3.14", "3.13t", "3.14t")
KINDS = ("native", "abi3", "amber", "tool", "pure", "partial")


def project_name(i: int) -> str:
    return f"bench-project-{i:05d}"


def wheels_for(i: int) -> list[str]:
    stem = project_name(i).replace("-", "_") + "-1.0"
    kind = KINDS[i % len(KINDS)]
    if kind == "native":
        return [
            f"{stem}-cp{v}-cp{v}-{p}.whl" for v in (311, 312, 313, 314) for p in ("win_amd64", "win_arm64")
        ]
    if kind == "abi3":
        return [f"{stem}-cp39-abi3-win_arm64.whl", f"{stem}-cp39-abi3-win_amd64.whl"]
    if kind == "amber":
        return [f"{stem}-cp{v}-cp{v}-win_amd64.whl" for v in (311, 312, 313, 314)]
    if kind == "tool":
        return [f"{stem}-py3-none-win_amd64.whl", f"{stem}-py3-none-manylinux_2_17_x86_64.whl"]
    if kind == "pure":
        return [f"{stem}-py3-none-any.whl"]
    return [f"{stem}-cp312-cp312-win_arm64.whl", f"{stem}-cp313-cp313-win_amd64.whl"]


def metadata_for(i: int, projects: int) -> bytes:
    rng = random.Random(i)
    lines = ["Metadata-Version: 2.1", f"Name: {project_name(i)}", "Version: 1.0"]
    lines += [f"Requires-Dist: {project_name(rng.randrange(projects))}>=1" for _ in range(rng.randrange(4))]
    lines.append("Requires-Dist: pytest; extra == 'test'")
    return ("\n".join(lines) + "\n").encode()


def page_for(i: int, projects: int, base_url: str) -> bytes:
    files = []
    for filename in [*wheels_for(i), f"{project_name(i).replace('-', '_')}-1.0.tar.gz"]:
        files.append(
            {
                "filename": filename,
                "url": f"{base_url}files/{i}/{filename}",  # absolute, as public indexes give
                "hashes": {"sha256": hashlib.sha256(filename.encode()).hexdigest()},
                "requires-python": ">=3.9",
                "yanked": False,
                "core-metadata": {"sha256": "0" * 64} if filename.endswith(".whl") else False,
            }
        )
    page = {"meta": {"api-version": "1.1"}, "name": project_name(i), "files": files}
    return json.dumps(page).encode()


def serve(projects: int, latency: float, ready: multiprocessing.synchronize.Event, port: object) -> None:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out at once, no delayed-ACK stall

        def do_GET(self) -> None:
            time.sleep(latency)
            parts = self.path.strip("/").split("/")
            body, kind, status = b"", "text/plain", 404
            if len(parts) == 2 and parts[0] == "simple" and parts[1].startswith("bench-project-"):
                number = int(parts[1].rsplit("-", 1)[1])
                if number < projects:
                    body, kind, status = (
                        page_for(number, projects, base_url),
                        "application/vnd.pypi.simple.v1+json",
                        200,
                    )
            elif len(parts) == 3 and parts[0] == "files" and parts[2].endswith(".metadata"):
                body, status = metadata_for(int(parts[1]), projects), 200
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            if status == 200:
                self.send_header("ETag", '"' + hashlib.sha256(body).hexdigest()[:16] + '"')
                self.send_header("Cache-Control", "max-age=600, public")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 256

    server = Server(("127.0.0.1", 0), Handler)
    port.value = server.server_address[1]  # type: ignore[attr-defined]
    base_url = f"http://127.0.0.1:{server.server_address[1]}/"
    ready.set()
    server.serve_forever()


def baseline(url: str, count: int) -> float:
    """Seconds for ``count`` projects looked up one after another, as a naive tracker does."""
    started = time.perf_counter()
    for i in range(count):
        request = urllib.request.Request(
            f"{url}{project_name(i)}/", headers={"Accept": "application/vnd.pypi.simple.v1+json"}
        )
        with urllib.request.urlopen(request) as response:
            page = json.loads(response.read())
        wheel = next(f for f in page["files"] if f["filename"].endswith(".whl"))
        with urllib.request.urlopen(urllib.parse.urljoin(response.url, wheel["url"]) + ".metadata") as answer:
            answer.read()
    return time.perf_counter() - started


def ours(url: str, count: int, cache: Path, jobs: int) -> tuple[float, dict[str, int]]:
    """One run in a fresh process, as each ``woaport status`` is: nothing carries over
    from an earlier run but the cache directory."""
    child = subprocess.run(
        [sys.executable, __file__, "--jobs", str(jobs), "--child-run", url, str(count), str(cache)],
        capture_output=True,
        text=True,
        check=True,
    )
    answer = json.loads(child.stdout)
    return float(answer["seconds"]), dict(answer["stats"])


def child_run(url: str, count: int, cache: Path, jobs: int) -> None:
    with SimpleIndex(url, cache=HttpCache(cache), connections=jobs) as index:
        started = time.perf_counter()
        results = check_projects(index, [project_name(i) for i in range(count)], CheckOptions(), workers=jobs)
        elapsed = time.perf_counter() - started
        assert len(results) == count and not any(r.klass == "error" for r in results), "lookups failed"
        print(json.dumps({"seconds": elapsed, "stats": dict(index.stats)}))


def rss_child(url: str, count: int, jobs: int) -> None:
    """Run in a child process: everything ``woaport status --json`` keeps for ``count``
    projects; prints the peak RSS in MB."""
    with tempfile.TemporaryDirectory() as tmp, SimpleIndex(url, cache=HttpCache(Path(tmp))) as index:
        results = check_projects(index, [project_name(i) for i in range(count)], CheckOptions(), workers=jobs)
        report = StatusReport("now", url, PYTHONS, tuple(results), port_queue(results))
        (Path(tmp) / "out.json").write_text(status_json(report))
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--projects", type=int, default=2000)
    parser.add_argument("--baseline-projects", type=int, default=200)
    parser.add_argument("--rss-projects", type=int, default=15000, help="0 to skip the memory run")
    parser.add_argument("--latency", type=float, default=0.03, help="seconds added to every answer")
    parser.add_argument("--jobs", type=int, default=32, help="woaport's concurrent lookups (CLI default)")
    parser.add_argument("--rss-child", nargs=2, metavar=("URL", "COUNT"), help=argparse.SUPPRESS)
    parser.add_argument("--child-run", nargs=3, metavar=("URL", "COUNT", "CACHE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_run:
        child_run(args.child_run[0], int(args.child_run[1]), Path(args.child_run[2]), args.jobs)
        return
    if args.rss_child:
        rss_child(args.rss_child[0], int(args.rss_child[1]), args.jobs)
        return

    ready = multiprocessing.Event()
    port = multiprocessing.Value("i", 0)
    largest = max(args.projects, args.rss_projects)
    server = multiprocessing.Process(target=serve, args=(largest, args.latency, ready, port), daemon=True)
    server.start()
    try:
        if not ready.wait(30):
            sys.exit("the local index did not start")
        url = f"http://127.0.0.1:{port.value}/simple/"
        base_n = min(args.baseline_projects, args.projects)
        base_s = baseline(url, base_n)
        with tempfile.TemporaryDirectory() as tmp:
            cold_s, cold_stats = ours(url, args.projects, Path(tmp), args.jobs)
            warm_s, warm_stats = ours(url, args.projects, Path(tmp), args.jobs)
        base_rate, cold_rate, warm_rate = base_n / base_s, args.projects / cold_s, args.projects / warm_s
        print(f"local index, {args.latency * 1000:.0f} ms per answer, {args.jobs} lookups at a time")
        print(f"baseline (sequential, {base_n} projects): {base_rate:8.1f} projects/s")
        requests = cold_stats.get("requests", 0)
        print(f"cold ({args.projects} projects): {cold_rate:8.1f} projects/s  requests={requests}")
        requests = warm_stats.get("requests", 0)
        print(f"warm ({args.projects} projects): {warm_rate:8.1f} projects/s  requests={requests}")
        print(f"cold / baseline: {cold_rate / base_rate:6.1f}x  (goal >= 20x)")
        print(f"warm / cold:     {warm_rate / cold_rate:6.1f}x  (goal >= 10x)")
        if args.rss_projects:
            child = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--jobs",
                    str(args.jobs),
                    "--rss-child",
                    url,
                    str(args.rss_projects),
                ],
                capture_output=True,
                text=True,
                check=True,
            )
            print(f"peak RSS for {args.rss_projects} projects: {float(child.stdout):.0f} MB  (goal < 300 MB)")
    finally:
        server.terminate()
        server.join(5)


if __name__ == "__main__":
    main()
