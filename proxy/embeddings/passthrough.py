"""The application's embeddings API through the sidecar: passed through unchanged, learned from.

With ``[embeddings_api]``, every request under ``path_prefix`` on the proxy listener goes to
the provider (``[upstreams.<upstream>]``, the prefix replaced by its URL) the way the sidecar
forwards any request (:mod:`proxy.upstream.forward`): method, rest of the path, query string,
body and headers under the one header policy (the application's own API key included), and
the provider's status, headers and bytes back unchanged (no decompression, no re-encoding; a
chunked answer stays chunked); 502 or 504 with a small JSON body when the provider is
unreachable or too slow.

A ``POST .../embeddings`` holding at most ``max_inputs`` texts is also *learned from*. It goes
the way a search goes (:func:`~proxy.upstream.forward.forward_search`: the lean keep-alive
pool, the answer read whole, as small JSON answers are); the answer is sent to the application
first, then read (:mod:`proxy.embeddings.learn`, answers up to :data:`MAX_ANSWER_BYTES`) and
each text remembered with its vector (:mod:`proxy.embeddings.memory`), before the handler
yields to the event loop again: a search the application sends after reading the answer always
finds the text (one process: see docs/query-text.md for replicas). Every other request is
streamed back as it arrives. With ``prefetch``, the new model's vectors of learned texts are
asked for at once, into the query embedder's cache.

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
from proxy.upstream.forward import (
    STREAM_CHUNK,
    PrimaryAnswer,
    describe_failure,
    error_response,
    forward_search,
    payload,
)
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
"""Answers larger than this are passed through but not read (reason ``too_large``)."""
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
        rest = request.raw_path[len(self.settings.path_prefix) :]
        texts: tuple[str, ...] | str | None = None
        if request.method == "POST" and request.path.rstrip("/").endswith("/embeddings"):
            texts = request_texts(body, self.settings.max_inputs)
            if isinstance(texts, str):
                self.metrics.skipped.labels(texts).inc()
        start = time.perf_counter()
        if isinstance(texts, tuple):
            response, answer = await forward_search(request, client, body, forwarded(request), rest)
        else:
            response, answer = await self._stream(request, client, body, rest), None
        self.proxy_metrics.upstream_duration_for(client.name, ROUTE).observe(
            time.perf_counter() - start
        )
        self.proxy_metrics.client_requests_for(ROUTE, response.status).inc()
        if isinstance(texts, tuple):
            # sent first: what follows is off the application's path, and done before this
            # handler yields again, so the application's next request finds the text learned
            await response.prepare(request)
            await response.write_eof()
            self._learn(texts, answer)
        return response

    async def _stream(
        self, request: web.Request, client: UpstreamClient, body: bytes, rest: str
    ) -> web.StreamResponse:
        """Stream the provider's answer back as it arrives (every call not learned from).

        A failure after the status line was sent cuts the connection: a truncated answer,
        never a wrong one.
        """
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
                if request.method != "HEAD":
                    async for chunk in upstream.content.iter_chunked(STREAM_CHUNK):
                        await response.write(chunk)
                await response.write_eof()
                return response
        except TimeoutError:
            if response is not None and response.prepared:
                raise
            detail = f"no complete answer within {client.timeout.total} s"
            return error_response(504, "upstream_timeout", client.name, detail)
        except (aiohttp.ClientError, OSError) as e:
            if response is not None and response.prepared:
                raise
            return error_response(
                502, "upstream_unreachable", client.name, describe_failure(client, e)
            )

    def _learn(self, texts: tuple[str, ...], answer: PrimaryAnswer | None) -> None:
        """Remember each text with its vector (see :meth:`handle` for when)."""
        if answer is None or not 200 <= answer.status < 300:
            self.metrics.skipped.labels("error_status").inc()
            return
        if len(answer.body) > MAX_ANSWER_BYTES:
            self.metrics.skipped.labels("too_large").inc()
            return
        vectors = answer_vectors(answer.body, len(texts))
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
