"""A loopback OpenAI-compatible ``/v1/embeddings`` server that misbehaves on request.

Vectors are a pure function of the text (SHA-256 bytes scaled to [-1, 1]), so two runs, or
two processes, give identical vectors for the same text. Faults are queued with
:meth:`FakeEmbeddings.queue` and each request consumes one:

``429`` (with ``Retry-After``), ``500``, ``503-date`` (503 with an HTTP-date Retry-After),
``slow`` (sleeps ``slow_s`` first), ``wrong_count`` (one vector short), ``shuffle`` (indexes
in reverse order: valid, must be put back), ``nan`` (a NaN in the first vector), ``drop``
(closes the connection without answering), ``wrong_dim`` (one vector a component short).

``reject_text``: a request holding that text gets a 400 with an OpenAI-style message, as a
provider does for an input that is too long.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


def fake_vector(text: str, dim: int) -> list[float]:
    """The vector the fake gives ``text``: deterministic, in [-1, 1]."""
    out: list[float] = []
    counter = 0
    while len(out) < dim:
        digest = hashlib.sha256(f"{counter}:{text}".encode()).digest()
        out.extend((b - 127.5) / 127.5 for b in digest)
        counter += 1
    return out[:dim]


@dataclass
class FakeEmbeddings:
    """State and behaviour of one fake provider (see the module docstring)."""

    dim: int = 8
    retry_after: str = "0.05"
    slow_s: float = 0.5
    delay_s: float = 0.0  # every answer waits this long (a provider's latency)
    reject_text: str | None = None
    faults: deque[str] = field(default_factory=deque)
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    url: str = ""  # the API base, set by whoever starts the server

    def queue(self, *faults: str) -> None:
        """Make the next requests fail in these ways, one fault per request."""
        self.faults.extend(faults)

    @property
    def texts_seen(self) -> list[str]:
        """Every text of every request received, in arrival order."""
        return [t for r in self.requests for t in r["input"]]

    def app(self) -> web.Application:
        """The aiohttp application serving ``POST /v1/embeddings``."""
        app = web.Application()
        app.router.add_post("/v1/embeddings", self.handle)
        return app

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Answer one call, applying the next queued fault if any."""
        doc = await request.json()
        self.requests.append(doc)
        self.headers.append(dict(request.headers))
        fault = self.faults.popleft() if self.faults else None
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        failed = await self._fail(request, fault)
        if failed is not None:
            return failed
        texts: list[str] = doc["input"]
        if self.reject_text is not None and self.reject_text in texts:
            message = {"error": {"message": "This input is too long for the model", "code": 400}}
            return web.json_response(message, status=400)
        body = {
            "object": "list",
            "data": self._data(texts, fault),
            "model": doc.get("model"),
            "usage": {"prompt_tokens": sum(len(t) for t in texts), "total_tokens": 0},
        }
        return web.Response(body=json.dumps(body), content_type="application/json")

    async def _fail(self, request: web.Request, fault: str | None) -> web.StreamResponse | None:
        if fault == "429":
            headers = {"Retry-After": self.retry_after}
            return web.json_response(
                {"error": {"message": "slow down"}}, status=429, headers=headers
            )
        if fault == "503-date":
            headers = {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}
            return web.json_response({"error": {"message": "busy"}}, status=503, headers=headers)
        if fault == "500":
            return web.json_response({"error": {"message": "boom"}}, status=500)
        if fault == "drop":
            assert request.transport is not None
            request.transport.close()
            return web.Response(status=200)
        if fault == "slow":
            await asyncio.sleep(self.slow_s)
        return None

    def _data(self, texts: list[str], fault: str | None) -> list[dict[str, Any]]:
        data: list[dict[str, Any]] = [
            {"object": "embedding", "index": i, "embedding": fake_vector(t, self.dim)}
            for i, t in enumerate(texts)
        ]
        if fault == "wrong_count":
            data = data[:-1]
        elif fault == "shuffle":
            data = data[::-1]
        elif fault == "nan":
            data[0]["embedding"][0] = float("nan")
        elif fault == "wrong_dim":
            data[-1]["embedding"] = data[-1]["embedding"][:-1]
        return data


def write_source(
    path, n: int, *, segments=("docs", "code"), start: int = 0
) -> list[dict[str, Any]]:
    """Write ``n`` chunks ``{"id", "text", "segment"}`` to ``path``; returns them."""
    docs = [
        {
            "id": f"c{i}",
            "text": f"chunk number {i} " * (1 + i % 3),
            "segment": segments[i % len(segments)],
        }
        for i in range(start, start + n)
    ]
    path.write_text("".join(json.dumps(d) + "\n" for d in docs))
    return docs
