"""A package index served on 127.0.0.1 by the tests themselves: a static PEP 503 HTML or
PEP 691 JSON tree, with scripted faults (status codes, truncated bodies) per path."""

from __future__ import annotations

import hashlib
import html
import io
import json
import tarfile
import threading
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    truncate: bool = False  # announce more bytes than are sent, then close
    delay: float = 0.0  # seconds to wait before answering (timeouts)
    drip: float = 0.0  # seconds between body bytes (a slow-drip index); bounded by the body


class LocalIndex:
    def __init__(self) -> None:
        self.routes: dict[str, list[Reply]] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.json_404: set[str] = set()  # paths a proxy 404s when JSON is preferred
        self.latency = 0.0  # added to every answer (a network's round trip)
        index = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out at once, no delayed-ACK stall

            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                index.requests.append((path, dict(self.headers.items())))
                replies = index.routes.get(path)
                accept = self.headers.get("Accept", "")
                if not replies or (
                    path in index.json_404 and accept.startswith("application/vnd.pypi.simple.v1+json")
                ):
                    reply = Reply(404, b"")
                else:
                    reply = replies.pop(0) if len(replies) > 1 else replies[0]
                if reply.delay or index.latency:
                    time.sleep(reply.delay + index.latency)
                etag = reply.headers.get("ETag")
                if reply.status == 200 and etag and self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    for key in ("ETag", "Cache-Control"):
                        if key in reply.headers:
                            self.send_header(key, reply.headers[key])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(reply.status)
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                length = len(reply.body) + (4096 if reply.truncate else 0)
                self.send_header("Content-Length", str(length))
                if reply.truncate:
                    self.send_header("Connection", "close")
                    self.close_connection = True
                self.end_headers()
                body = reply.body[: len(reply.body) // 2] if reply.truncate else reply.body
                if reply.drip:
                    for position in range(len(body)):
                        self.wfile.write(body[position : position + 1])
                        self.wfile.flush()
                        time.sleep(reply.drip)
                    return
                self.wfile.write(body)
                self.wfile.flush()

            def log_message(self, format: str, *args: object) -> None:
                pass

        class Server(ThreadingHTTPServer):
            def handle_error(self, request: object, client_address: object) -> None:
                pass  # a client that gave up (a timeout test) is not a server failure

        self.server = Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}/simple/"

    def start(self) -> LocalIndex:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def route(self, path: str, *replies: Reply) -> None:
        self.routes[path] = list(replies)

    def hits(self, path: str) -> int:
        return sum(1 for p, _ in self.requests if p == path)

    def publish(
        self,
        name: str,
        files: dict[str, bytes],
        style: str = "json",
        yanked: dict[str, str] | None = None,
        requires_python: str | None = None,
        metadata: dict[str, bytes] | None = None,
        page_headers: dict[str, str] | None = None,
    ) -> None:
        """Serve ``files`` (file name -> bytes) under /files/ and a project page for them;
        ``metadata`` (file name -> core metadata) is served PEP 658 style beside its file."""
        yanked = yanked or {}
        metadata = metadata or {}
        entries = []
        for filename, data in files.items():
            digest = hashlib.sha256(data).hexdigest()
            self.route(f"/files/{filename}", Reply(200, data, {"Content-Type": "application/octet-stream"}))
            if filename in metadata:
                self.route(f"/files/{filename}.metadata", Reply(200, metadata[filename]))
            entries.append((filename, digest))
        if style == "json":
            page = {
                "meta": {"api-version": "1.1"},
                "name": name,
                "files": [
                    {
                        "filename": f,
                        "url": f"../../files/{f}",
                        "hashes": {"sha256": d},
                        "requires-python": requires_python,
                        "yanked": (yanked[f] or True) if f in yanked else False,
                        "core-metadata": {"sha256": hashlib.sha256(metadata[f]).hexdigest()}
                        if f in metadata
                        else False,
                    }
                    for f, d in entries
                ],
            }
            reply = Reply(
                200,
                json.dumps(page).encode(),
                {"Content-Type": "application/vnd.pypi.simple.v1+json", **(page_headers or {})},
            )
        else:
            anchors = []
            for f, d in entries:
                attrs = f' href="../../files/{f}#sha256={d}"'
                if requires_python:
                    attrs += f' data-requires-python="{html.escape(requires_python)}"'
                if f in yanked:
                    attrs += f' data-yanked="{html.escape(yanked[f])}"'
                if f in metadata:
                    attrs += f' data-core-metadata="sha256={hashlib.sha256(metadata[f]).hexdigest()}"'
                anchors.append(f"<a{attrs}>{html.escape(f)}</a><br/>")
            body = f"<!DOCTYPE html><html><body><h1>Links for {name}</h1>{''.join(anchors)}</body></html>"
            reply = Reply(
                200, body.encode(), {"Content-Type": "text/html; charset=utf-8", **(page_headers or {})}
            )
        self.route(f"/simple/{name}/", reply)


def sdist(top: str, files: dict[str, bytes]) -> bytes:
    """A .tar.gz with every file under ``top/``."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for rel, data in files.items():
            info = tarfile.TarInfo(f"{top}/{rel}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def wheel(name: str, version: str, tag: str, requires: tuple[str, ...] = ()) -> tuple[str, bytes]:
    """A tiny wheel (file name, bytes) whose METADATA lists ``requires``."""
    dist = f"{name.replace('-', '_')}-{version}"
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    lines += [f"Requires-Dist: {r}" for r in requires]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"{dist}.dist-info/METADATA", "\n".join(lines) + "\n")
        archive.writestr(f"{dist}.dist-info/WHEEL", "Wheel-Version: 1.0\n")
    return f"{dist}-{tag}.whl", buffer.getvalue()


def core_metadata(name: str, version: str, requires: tuple[str, ...] = ()) -> bytes:
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    return ("\n".join([*lines, *(f"Requires-Dist: {r}" for r in requires)]) + "\n").encode()


def serve() -> Iterator[LocalIndex]:
    index = LocalIndex().start()
    try:
        yield index
    finally:
        index.stop()


def run_status(index: LocalIndex, out: Path, *args: str) -> tuple[int, dict[str, Any], str]:
    """``woaport status --index-url <this index> --json OUT ARGS...`` in-process: the exit
    code, the JSON written (``{}`` if none) and what was printed."""
    from click.testing import CliRunner

    from analyzer.cli import main

    result = CliRunner().invoke(main, ["status", "--index-url", index.url, "--json", str(out), *args])
    data = json.loads(out.read_text()) if out.exists() else {}
    return result.exit_code, data, result.output
