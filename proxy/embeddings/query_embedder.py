"""The new model's vector for a query text, on the shadow path: cached, batched, bounded.

:meth:`QueryEmbedder.embed` is what the shadow rewriter awaits for each mirrored vector
request. Every text goes through, in order:

1. the ``query_template`` (``query: {text}`` for e5-like models);
2. an LRU cache of ``cache_size`` vectors (float32 arrays: 3 KB per 768-d vector);
3. coalescing: a text already queued or in flight is joined, not asked for twice; new texts
   wait a short window (:data:`WINDOW_S`) and are sent together, at most ``max_batch`` per
   call; while ``max_concurrency`` calls are in flight, texts keep queueing and go out in the
   next call. Under load, calls get fuller, not more numerous.

Each call goes through :class:`~proxy.embeddings.EmbeddingsClient` (one attempt: the shadow
has no time to retry) on the embedder's own aiohttp session, under ``timeout_s``; a caller
waits at most ``timeout_s`` in all. Failures raise :class:`QueryEmbedError`, whose ``kind``
is one of :data:`ERROR_KINDS`; each kind is logged once per minute with a count, never a text.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from array import array
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Final

import aiohttp
from prometheus_client import CollectorRegistry, Counter, Histogram

from proxy.config.schema import EmbeddingSection
from proxy.embeddings import (
    EmbeddingRejectedError,
    EmbeddingsClient,
    EmbeddingUnavailableError,
    Endpoint,
    InvalidAnswerError,
)
from proxy.errors import EmbeddingError
from proxy.logs import OncePerKind, get_logger
from proxy.tasks import BackgroundTasks

log = get_logger("query_embedder")

WINDOW_S: Final = 0.002
"""How long a new text waits for others before its call goes out."""

ERROR_KINDS: Final = (
    "timeout",
    "unreachable",
    "server_error",
    "rate_limited",
    "rejected",
    "invalid_answer",
    "wrong_dimension",
    "internal",
)
"""Why a query could not be embedded (the ``kind`` label of the error counter)."""

_BATCH_BUCKETS: Final = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)


class QueryEmbedError(EmbeddingError):
    """A query text could not be embedded; ``kind`` is one of :data:`ERROR_KINDS`."""

    def __init__(self, kind: str, message: str) -> None:
        """Record the kind and a message (which never holds query text)."""
        super().__init__(message)
        self.kind = kind


class EmbedderMetrics:
    """The query embedder's metrics, on ``registry`` (created once per process)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        """Create and register the metric families."""
        self.texts = Counter(
            "embedshift_query_embed_texts",
            "Query texts the shadow path asked to embed (cache hits included).",
            registry=registry,
        )
        self.cache_hits = Counter(
            "embedshift_query_embed_cache_hits",
            "Query texts answered from the embedder's LRU cache.",
            registry=registry,
        )
        self.joined = Counter(
            "embedshift_query_embed_joined",
            "Query texts that joined an identical text already queued or in flight.",
            registry=registry,
        )
        self.calls = Counter(
            "embedshift_query_embed_calls",
            "Calls made to the embeddings API by the proxy.",
            registry=registry,
        )
        self.batch_texts = Histogram(
            "embedshift_query_embed_call_texts",
            "Texts per embeddings call (coalescing puts more in each call under load).",
            buckets=_BATCH_BUCKETS,
            registry=registry,
        )
        self.duration = Histogram(
            "embedshift_query_embed_call_duration_seconds",
            "Time an embeddings call took, successful or not.",
            registry=registry,
        )
        self.errors = Counter(
            "embedshift_query_embed_errors",
            "Query embeddings that failed, by kind (each ends as outcome embed_error).",
            ("kind",),
            registry=registry,
        )
        for kind in ERROR_KINDS:
            self.errors.labels(kind)


def _retrieve(future: asyncio.Future[array[float]]) -> None:
    """Mark a failed future's exception as seen (its callers may all have given up)."""
    if not future.cancelled():
        future.exception()


class QueryEmbedder:
    """Embeds query texts with the ``[embedding]`` endpoint for the shadow path."""

    def __init__(
        self,
        settings: EmbeddingSection,
        metrics: EmbedderMetrics,
        env: Mapping[str, str] | None = None,
        window_s: float = WINDOW_S,
    ) -> None:
        """Nothing is opened here: the session is made on first use, closed by :meth:`close`.

        The API key is read from ``env`` now, so a missing variable is a start-up error.
        """
        self.settings = settings
        self.metrics = metrics
        self.window_s = window_s
        # the dimension is checked here, so that a wrong one is its own failure kind
        self.endpoint = dataclasses.replace(
            Endpoint.from_section(settings, env), expected_dimension=None
        )
        self._cache: OrderedDict[str, array[float]] = OrderedDict()
        self._pending: dict[str, asyncio.Future[array[float]]] = {}
        self._queue: list[str] = []
        self._slots = asyncio.Semaphore(settings.max_concurrency)
        self._tasks = BackgroundTasks()
        self._flusher: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None
        self._client: EmbeddingsClient | None = None
        self._once = OncePerKind()

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """The new model's vector for each query text, in order.

        Raises :class:`QueryEmbedError` (counted and logged once per kind) on any failure.
        """
        template = self.settings.query_template
        futures = [self._future(template.replace("{text}", text)) for text in texts]
        try:
            async with asyncio.timeout(self.settings.timeout_s):
                vectors = await asyncio.gather(*(asyncio.shield(f) for f in futures))
        except TimeoutError:
            raise self._failed(
                QueryEmbedError(
                    "timeout", f"no embedding within {self.settings.timeout_s:g} s (queue + call)"
                )
            ) from None
        except QueryEmbedError as e:
            raise self._failed(e) from None
        return [v.tolist() for v in vectors]

    def _future(self, text: str) -> asyncio.Future[array[float]]:
        self.metrics.texts.inc()
        loop = asyncio.get_running_loop()
        cached = self._cache.get(text)
        if cached is not None:
            self._cache.move_to_end(text)
            self.metrics.cache_hits.inc()
            done: asyncio.Future[array[float]] = loop.create_future()
            done.set_result(cached)
            return done
        pending = self._pending.get(text)
        if pending is not None:
            self.metrics.joined.inc()
            return pending
        future: asyncio.Future[array[float]] = loop.create_future()
        future.add_done_callback(_retrieve)
        self._pending[text] = future
        self._queue.append(text)
        if self._flusher is None:
            self._flusher = self._tasks.spawn(self._flush(), name="query-embed-flush")
        return future

    async def _flush(self) -> None:
        """Send queued texts in batches, one call per free slot, until the queue is empty."""
        try:
            await asyncio.sleep(self.window_s)
            while self._queue:
                await self._slots.acquire()
                size = self.settings.max_batch
                batch, self._queue = self._queue[:size], self._queue[size:]
                self._tasks.spawn(self._call(batch), name="query-embed-call")
        finally:
            self._flusher = None

    async def _call(self, batch: list[str]) -> None:
        try:
            vectors = await self._request(batch)
        except Exception as e:
            error = e if isinstance(e, QueryEmbedError) else _classify(e)
            for text in batch:
                future = self._pending.pop(text, None)
                if future is not None and not future.done():
                    future.set_exception(error)
        else:
            for text, vector in zip(batch, vectors, strict=True):
                self._remember(text, vector)
                future = self._pending.pop(text, None)
                if future is not None and not future.done():
                    future.set_result(vector)
        finally:
            self._slots.release()

    async def _request(self, batch: list[str]) -> list[array[float]]:
        client = self._open()
        self.metrics.calls.inc()
        self.metrics.batch_texts.observe(len(batch))
        start = time.perf_counter()
        try:
            result = await client.embed_once(batch)
        finally:
            self.metrics.duration.observe(time.perf_counter() - start)
        expected = self.settings.dimension
        if expected is not None and result.dimension != expected:
            raise QueryEmbedError(
                "wrong_dimension",
                f"{self.endpoint.url} answered {result.dimension}-d vectors, "
                f"[embedding].dimension is {expected}",
            )
        return [array("f", v) for v in result.vectors]

    def _remember(self, text: str, vector: array[float]) -> None:
        if self.settings.cache_size == 0:
            return
        self._cache[text] = vector
        self._cache.move_to_end(text)
        while len(self._cache) > self.settings.cache_size:
            self._cache.popitem(last=False)

    def _open(self) -> EmbeddingsClient:
        if self._client is None:
            connector = aiohttp.TCPConnector(limit=self.settings.max_concurrency)
            self._session = aiohttp.ClientSession(connector=connector)
            self._client = EmbeddingsClient(self._session, self.endpoint)
        return self._client

    def _failed(self, error: QueryEmbedError) -> QueryEmbedError:
        """Count a caller's failure; log its kind at most once a minute."""
        self.metrics.errors.labels(error.kind).inc()
        suppressed = self._once.should_log(error.kind, time.monotonic())
        if suppressed is not None:
            log.warning(
                "query_embed_failed",
                kind=error.kind,
                error=str(error),
                suppressed_since_last=suppressed,
            )
        return error

    async def close(self) -> None:
        """Cancel queued work and close the session."""
        await self._tasks.cancel_all()
        if self._session is not None:
            await self._session.close()
            self._session = None
            self._client = None


def _classify(error: Exception) -> QueryEmbedError:
    """The kind of failure an embeddings client error stands for (no text in the message)."""
    if isinstance(error, EmbeddingUnavailableError):
        kind = {
            "timeout": "timeout",
            "connection": "unreachable",
            "rate_limited": "rate_limited",
        }.get(error.kind, "server_error")
        return QueryEmbedError(kind, str(error))
    if isinstance(error, InvalidAnswerError):
        return QueryEmbedError("invalid_answer", str(error))
    if isinstance(error, EmbeddingRejectedError):
        # the server's message may quote the input: keep the status only
        return QueryEmbedError("rejected", f"the embeddings API rejected a call ({error.status})")
    return QueryEmbedError("internal", f"{type(error).__name__}: {error}")
