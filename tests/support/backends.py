"""Real loopback search backends for tests: small aiohttp apps that answer like Qdrant.

A :class:`FakeQdrant` answers ``POST /collections/{name}/points/search`` with a configured
ranked list, and can be told to be slow, to hold every answer until released, to fail, or to
answer garbage; it records what it received. Anything else is echoed back (method, path,
query, headers, body) so passthrough can be checked byte for byte. :func:`start_backend` runs
one in a process of its own (``python -m tests.support.backend_server``).
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import json
import subprocess
import sys
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from tests.support.components import free_port, wait_http_ok
from tests.support.config import ROOT


@dataclass
class FakeQdrant:
    """A Qdrant-shaped backend whose behaviour a test sets."""

    ids: list[Any] = field(default_factory=lambda: list(range(10)))
    scores: list[float] | None = None
    delay_s: float = 0.0
    status: int = 200
    garbage: bool = False
    marker: str = ""
    received: list[dict[str, Any]] = field(default_factory=list)
    hold: asyncio.Event | None = None  # when set: every search waits until it is set

    def answer(
        self, ids: list[Any] | None = None, scores: list[float] | None = None
    ) -> dict[str, Any]:
        """The search answer body for ``ids`` (default: the configured ones)."""
        ids = self.ids if ids is None else ids
        scores = scores if scores is not None else self.scores
        if scores is None:
            scores = [round(0.9 - 0.01 * i, 4) for i in range(len(ids))]
        return {
            "result": [
                {"id": i, "score": s, "payload": {"m": self.marker}}
                for i, s in zip(ids, scores, strict=True)
            ],
            "status": "ok",
            "time": 0.0001,
        }

    async def search(self, request: web.Request) -> web.StreamResponse:
        """Record the request, then answer as configured."""
        body = await request.read()
        self.received.append(
            {"path": request.path_qs, "headers": dict(request.headers), "body": body}
        )
        if self.hold is not None:
            await self.hold.wait()
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        if self.garbage:
            return web.Response(body=b"\x00not json{", content_type="application/json")
        if self.status != 200:
            return web.json_response({"status": {"error": "boom"}}, status=self.status)
        return web.json_response(self.answer())

    async def points(self, request: web.Request) -> web.StreamResponse:
        """Qdrant's get-by-id (the gate's coverage lookups): the index holds the ids it answers."""
        wanted = (await request.json()).get("ids", [])
        held = {str(i) for i in self.ids}
        found = [{"id": i, "payload": None, "vector": None} for i in wanted if str(i) in held]
        return web.json_response({"result": found, "status": "ok", "time": 0.0001})

    def app(self) -> web.Application:
        """The aiohttp application serving this backend."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/collections/{name}/points/search", self.search)
        app.router.add_post("/collections/{name}/points", self.points)
        app.router.add_route("*", "/{tail:.*}", echo)
        return app


async def echo(request: web.Request) -> web.StreamResponse:
    """Answer with what was received; special paths exercise statuses, chunking and size."""
    body = await request.read()
    path = request.path
    if path.startswith("/status/"):
        code = int(path.rsplit("/", 1)[1])
        return web.Response(
            status=code,
            body=b'{"error": "as asked"}',
            content_type="application/json",
            headers={"X-Reason": "asked"},
        )
    if path == "/chunked":
        response = web.StreamResponse(headers={"Content-Type": "text/plain", "X-Chunks": "3"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        for i in range(3):
            await response.write(f"chunk {i}\n".encode() * 1000)
        await response.write_eof()
        return response
    if path == "/big":
        size = int(request.query.get("bytes", str(5 * 1024 * 1024)))
        return web.Response(
            body=bytes(i % 251 for i in range(size)), content_type="application/octet-stream"
        )
    if path == "/slow":
        if "arrived" in request.query:  # a file a test waits for: the request is here
            await asyncio.to_thread(Path(request.query["arrived"]).touch)
        await asyncio.sleep(float(request.query.get("s", "10")))
    if path == "/cookies":
        response = web.Response(text="c")
        response.headers.add("Set-Cookie", "a=1")
        response.headers.add("Set-Cookie", "b=2")
        return response
    if path == "/gzip":
        return web.Response(
            body=gzip.compress(b"hello " * 100),
            headers={"Content-Encoding": "gzip", "Content-Type": "text/plain"},
        )
    echoed = {
        "method": request.method,
        "path": request.path_qs,
        "headers": dict(request.headers) if "show_headers" in request.query else None,
        "body_len": len(body),
        "body_sha": hashlib.sha256(body).hexdigest(),
    }
    return web.Response(
        body=json.dumps(echoed).encode(), content_type="application/json", headers={"X-Echo": "1"}
    )


def start_backend(
    marker: str, tmp: Path, shift: int = 0, delay: float = 0.0
) -> tuple[str, subprocess.Popen[bytes]]:
    """A FakeQdrant in its own process; returns its URL and the process."""
    port = free_port()
    log = tmp / f"backend-{marker}.log"
    args = [str(port), marker, "--shift", str(shift), "--delay", str(delay)]
    with log.open("wb") as out:  # the child keeps its own copy of the descriptor
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.support.backend_server", *args],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    wait_http_ok(f"{url}/ready", proc, log, 30)
    return url, proc


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    """Terminate and reap a helper process."""
    with suppress(ProcessLookupError):
        proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
