"""The application's embeddings API through the sidecar: passed through unchanged, learned from.

With ``[embeddings_api]``, every request under ``path_prefix`` on the proxy listener goes to
the provider (``[upstreams.<upstream>]``, the prefix replaced by its URL) the way the sidecar
forwards any request (:mod:`proxy.upstream.forward`): method, rest of the path, query string,
body and headers under the one header policy (the application's own API key included), and
the provider's status, headers and bytes streamed back as they arrive (no decompression, no
re-encoding); 502 or 504 with a small JSON body when the provider is unreachable or too slow.

A ``POST .../embeddings`` holding at most ``max_inputs`` texts is also *learned from*: its
answer's bytes are kept while they stream to the application (up to :data:`MAX_ANSWER_BYTES`)
and, once the application has them all, read (:mod:`proxy.embeddings.learn`) and each text
remembered with its vector (:mod:`proxy.embeddings.memory`). This happens before the handler
yields to the event loop again, so a search the application sends after reading the answer
always finds the text (one process: see docs/query-text.md for replicas). With ``prefetch``,
the new model's vectors of those texts are asked for at once, into the query embedder's cache.

Nothing here ever logs or stores a text; a call that teaches nothing is counted by reason
(``embedshift_query_memory_skipped_total``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from typing import Final

import aiohttp
from aiohttp import web

from proxy.config.embeddings_api import EmbeddingsApiSection
from proxy.embeddings.learn import answer_vectors, request_texts
from proxy.embeddings.memory import QueryMemory
from proxy.embeddings.query_embedder import QueryEmbedder
from proxy.errors import EmbeddingError
from proxy.metrics import ProxyMetrics, QueryTextMetrics
from proxy.tasks import BackgroundTasks
from proxy.upstream.client import UpstreamClient
from proxy.upstream.forward import STREAM_CHUNK, describe_failure, error_response, payload
from proxy.upstream.headers import (
    as_multidict,
    for_upstream,
    forwarded,
    mark_relayed,
    response_headers,
)

ROUTE: Final = "embeddings_api"
"""The ``route`` label of this API's client requests and upstream latency."""
MAX_ANSWER_BYTES: Final = 32 * 1024 * 1024
"""Answers larger than this are passed through but not read (outcome ``too_large``)."""
MAX_PREFETCH_IN_FLIGHT: Final = 64
"""Prefetches under way at once; beyond it they are dropped and counted."""


class EmbeddingsApi:
    """Handles every request under ``[embeddings_api].path_prefix`` (module docstring)."""

    def __init__(
        self,
        settings: EmbeddingsApiSection,
        clients: Mapping[str, UpstreamClient],
        memory: QueryMemory,
        metrics: QueryTextMetrics,
        proxy_metrics: ProxyMetrics,
        embedder: QueryEmbedder | None = None,
    ) -> None:
        """``clients`` is the sidecar's mapping (filled when it starts); ``embedder`` prefetches.

        Prefetching happens only when ``settings.prefetch`` is on and an embedder is given.
        """
        self.settings = settings
        self.clients = clients
        self.memory = memory
        self.metrics = metrics
        self.proxy_metrics = proxy_metrics
        self.embedder = embedder if settings.prefetch else None
        self.prefetching = BackgroundTasks()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Forward one request to the provider; learn from it when it is an embeddings call."""
        client = self.clients[self.settings.upstream]
        body = await request.read()
        texts: tuple[str, ...] | str | None = None
        if request.method == "POST" and request.path.rstrip("/").endswith("/embeddings"):
            texts = request_texts(body, self.settings.max_inputs)
            if isinstance(texts, str):
                self.metrics.skipped.labels(texts).inc()
        kept: list[bytes] | None = [] if isinstance(texts, tuple) else None
        start = time.perf_counter()
        response, complete = await self._forward(request, client, body, kept)
        self.proxy_metrics.upstream_duration_for(client.name, ROUTE).observe(
            time.perf_counter() - start
        )
        self.proxy_metrics.client_requests_for(ROUTE, response.status).inc()
        if isinstance(texts, tuple) and kept is not None:
            self._learn(texts, response.status, kept, complete=complete)
        return response

    async def _forward(
        self,
        request: web.Request,
        client: UpstreamClient,
        body: bytes,
        kept: list[bytes] | None,
    ) -> tuple[web.StreamResponse, bool]:
        """Stream the provider's answer back; ``kept`` collects its bytes up to the bound.

        Returns the response and whether ``kept`` holds the whole answer. A failure after the
        status line was sent cuts the connection: a truncated answer, never a wrong one.
        """
        rest = request.raw_path[len(self.settings.path_prefix) :]
        response: web.StreamResponse | None = None
        try:
            async with client.session.request(
                request.method,
                client.url(rest),
                data=payload(body),
                headers=as_multidict(for_upstream(forwarded(request), client.headers)),
                allow_redirects=False,
                timeout=client.timeout,
            ) as upstream:
                headers = response_headers(upstream.raw_headers)
                length = upstream.headers.get("Content-Length")
                if length is not None and upstream.status not in (204, 304):
                    headers["Content-Length"] = length
                response = web.StreamResponse(
                    status=upstream.status, reason=upstream.reason, headers=headers
                )
                mark_relayed(response, upstream.raw_headers)
                if (
                    length is None
                    and request.version >= aiohttp.HttpVersion11
                    and _has_body(request, upstream.status)
                ):
                    response.enable_chunked_encoding()
                await response.prepare(request)
                whole = True
                if request.method != "HEAD":
                    whole = await _stream(upstream, response, kept)
                await response.write_eof()
                return response, whole
        except TimeoutError:
            if response is not None and response.prepared:
                raise
            detail = f"no complete answer within {client.timeout.total} s"
            return error_response(504, "upstream_timeout", client.name, detail), False
        except (aiohttp.ClientError, OSError) as e:
            if response is not None and response.prepared:
                raise
            detail = describe_failure(client, e)
            return error_response(502, "upstream_unreachable", client.name, detail), False

    def _learn(
        self, texts: tuple[str, ...], status: int, kept: list[bytes], *, complete: bool
    ) -> None:
        """Remember each text with its vector (synchronously: see the module docstring)."""
        if not 200 <= status < 300:
            self.metrics.skipped.labels("error_status").inc()
            return
        if not complete:
            self.metrics.skipped.labels("too_large").inc()
            return
        vectors = answer_vectors(b"".join(kept), len(texts))
        if isinstance(vectors, str):
            self.metrics.skipped.labels(vectors).inc()
            return
        learned = []
        for text, vector in zip(texts, vectors, strict=True):
            stripped = _strip(text, self.settings.strip_prefixes)
            if stripped and self.memory.remember(stripped, vector):
                learned.append(stripped)
        self.metrics.remembered.inc(len(learned))
        if learned and self.embedder is not None:
            self._prefetch(self.embedder, learned)

    def _prefetch(self, embedder: QueryEmbedder, texts: list[str]) -> None:
        if len(self.prefetching) >= MAX_PREFETCH_IN_FLIGHT:
            self.metrics.prefetches.labels("dropped").inc()
            return
        self.metrics.prefetches.labels("sent").inc()
        self.prefetching.spawn(_embed_quietly(embedder, texts), name="query-text-prefetch")

    async def forget_expired(self) -> None:
        """Run until cancelled: forget expired texts every few seconds, traffic or not."""
        interval = min(self.settings.ttl_s / 4, 5.0)
        while True:
            await asyncio.sleep(interval)
            self.memory.expire()

    async def close(self) -> None:
        """Cancel prefetches under way."""
        await self.prefetching.cancel_all()


async def _stream(
    upstream: aiohttp.ClientResponse, response: web.StreamResponse, kept: list[bytes] | None
) -> bool:
    """Write the answer as it arrives, keeping its bytes in ``kept``: whether all fit."""
    size = 0
    async for chunk in upstream.content.iter_chunked(STREAM_CHUNK):
        await response.write(chunk)
        if kept is not None:
            size += len(chunk)
            if size <= MAX_ANSWER_BYTES:
                kept.append(chunk)
    return size <= MAX_ANSWER_BYTES


async def _embed_quietly(embedder: QueryEmbedder, texts: list[str]) -> None:
    """Warm the embedder's cache; a failure is the embedder's to count and log, nothing more."""
    try:
        await embedder.embed(texts)
    except EmbeddingError:
        return


def _strip(text: str, prefixes: Sequence[str]) -> str:
    for prefix in prefixes:
        if text.startswith(prefix):
            return text[len(prefix) :]
    return text


def _has_body(request: web.Request, status: int) -> bool:
    return request.method != "HEAD" and status not in (204, 304) and status >= 200
