"""An OpenAI-style embeddings provider on loopback: the application's provider in tests and benches.

:class:`Provider` answers ``POST /v1/embeddings`` as OpenAI does: a string or an array of
strings (or token ids), ``encoding_format`` ``float`` or ``base64`` (little-endian float32),
``{"error": {...}}`` bodies for a missing key (401) or an unknown model (404), ``GET
/v1/models``. Vectors are :func:`~tests.support.fake_embeddings.fake_vector` of the text, cast
to float32 as a real server's are. Request headers ``X-Test-Chunked: 1`` (the answer streamed
in small chunks, no Content-Length) and ``X-Test-Gzip: 1`` (gzip when the client accepts it)
shape the answer.
"""

from __future__ import annotations

import base64
import gzip
import json
from array import array
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.support.fake_embeddings import fake_vector

KEY = "sk-test-key"
"""The API key the provider wants (``Authorization: Bearer ...``), unless built with another."""


def float32(values: list[float]) -> list[float]:
    """``values`` rounded to float32, as an embeddings server computes them."""
    return array("f", values).tolist()


@dataclass
class Provider:
    """A loopback OpenAI-compatible provider (module docstring)."""

    dim: int = 16
    key: str | None = KEY
    seen: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)

    def app(self) -> web.Application:
        """The provider's application."""
        app = web.Application()
        app.router.add_post("/v1/embeddings", self.embeddings)
        app.router.add_get("/v1/models", self.models)
        return app

    def vector(self, text: str) -> list[float]:
        """The (float32) vector this provider gives ``text``."""
        return float32(fake_vector(text, self.dim))

    async def embeddings(self, request: web.Request) -> web.StreamResponse:
        """One embeddings call, answered as OpenAI answers it."""
        self.headers.append(dict(request.headers))
        if self.key is not None and request.headers.get("Authorization") != f"Bearer {self.key}":
            return _error(401, "Incorrect API key provided.", "invalid_api_key")
        doc = await request.json()
        self.seen.append(doc)
        if doc.get("model") == "missing":
            return _error(404, "The model `missing` does not exist.", "model_not_found")
        inputs = doc["input"] if isinstance(doc["input"], list) else [doc["input"]]
        data = []
        for i, item in enumerate(inputs):
            text = item if isinstance(item, str) else " ".join(map(str, item))
            vector = self.vector(text)
            embedding: Any = vector
            if doc.get("encoding_format") == "base64":
                embedding = base64.b64encode(array("f", vector).tobytes()).decode()
            data.append({"object": "embedding", "index": i, "embedding": embedding})
        body = json.dumps(
            {
                "object": "list",
                "data": data,
                "model": doc["model"],
                "usage": {"prompt_tokens": len(inputs), "total_tokens": len(inputs)},
            }
        ).encode()
        return await _answer(request, body)

    async def models(self, _request: web.Request) -> web.Response:
        """The model list."""
        return web.json_response({"object": "list", "data": [{"id": "fake", "object": "model"}]})


async def _answer(request: web.Request, body: bytes) -> web.StreamResponse:
    headers = {"Content-Type": "application/json", "X-Request-Id": "req-1"}
    if request.headers.get("X-Test-Gzip") and "gzip" in request.headers.get("Accept-Encoding", ""):
        body = gzip.compress(body)
        headers["Content-Encoding"] = "gzip"
    if not request.headers.get("X-Test-Chunked"):
        return web.Response(body=body, headers=headers)
    response = web.StreamResponse(headers=headers)
    response.enable_chunked_encoding()
    await response.prepare(request)
    for start in range(0, len(body), 100):
        await response.write(body[start : start + 100])
    await response.write_eof()
    return response


def _error(status: int, message: str, code: str) -> web.Response:
    error = {"message": message, "type": "invalid_request_error", "param": None, "code": code}
    return web.json_response({"error": error}, status=status)
