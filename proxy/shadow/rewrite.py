"""Building the new index's request: new collection, and the query re-embedded by the new model.

:meth:`ShadowRewriter.prepare` turns a job for the new index (:mod:`proxy.shadow.job`) into the
request to send; a job for the old index is sent as the client sent it. For a job it

1. asks the route's adapter where the request's query vectors are (none: nothing to embed);
2. when the route names its query text (``query_text = { header = "X-Query-Text" }`` or
   ``{ json = "/text" }``), reads one text per query and embeds them with the
   :class:`~proxy.embeddings.query_embedder.QueryEmbedder`; no text gives outcome
   ``no_query_text``, a failed embedding ``embed_error``;
3. writes the new vectors and the new collection names into the body, and lets the adapter
   map collections the path template cannot (Chroma's UUIDs), looking them up with the
   client's own headers (its auth).

A mirror is rewritten in its background task (the client never waits for it); a search that
the new index answers (canary, flipped) is rewritten on the client's path, and an outcome
instead of a request sends it to the old index (:mod:`proxy.search.handler`).

Query text: a header's value is percent-decoded (UTF-8), so any text can travel in it; for a
batch request of n queries it holds n percent-encoded texts joined by commas. A JSON pointer
may use ``*`` for every element of an array (``/searches/*/query_text``) and may reach one
string (one query) or an array of strings (one per query). Routes without ``query_text``
send their vectors unchanged (a new index built with the same model).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import unquote

import aiohttp

from proxy.adapters.base import Adapter, Side
from proxy.config.schema import RequestField, Route
from proxy.embeddings.query_embedder import QueryEmbedder
from proxy.errors import AdapterError, EmbeddingError
from proxy.jsondoc import pointer_values
from proxy.logs import OncePerKind, get_logger
from proxy.shadow.job import ShadowJob
from proxy.upstream.client import UpstreamClient
from proxy.upstream.headers import as_multidict, for_upstream
from proxy.upstream.http1 import Header

log = get_logger("shadow_rewrite")
LOOKUP_TIMEOUT_S = 3.0
_DROPPED_ON_LOOKUP = frozenset({b"content-type", b"content-length", b"content-encoding"})


def query_texts(
    source: RequestField, headers: Mapping[str, str], doc: Any, queries: int
) -> list[str] | None:
    """One query text per query of the request, or None when the request lacks them."""
    if source.header is not None:
        raw = headers.get(source.header)
        if not raw:
            return None
        parts = [raw] if queries == 1 else raw.split(",")
        texts = [unquote(p.strip()) for p in parts]
    elif source.json is not None:
        found = pointer_values(doc, source.json)
        if len(found) == 1 and isinstance(found[0], list):
            found = found[0]
        if not all(isinstance(t, str) for t in found):
            return None
        texts = list(found)
    else:
        return None
    if len(texts) != queries or not all(texts):
        return None
    return texts


class _Lookup:
    """Reads collections from either upstream with the client's own headers (its auth)."""

    def __init__(
        self, primary: UpstreamClient | None, shadow: UpstreamClient, headers: list[Header]
    ) -> None:
        self.clients = {"primary": primary, "shadow": shadow}
        self.headers = [p for p in headers if p[0].lower() not in _DROPPED_ON_LOOKUP]

    async def get_json(self, side: Side, path: str) -> tuple[int, Any]:
        client = self.clients[side]
        if client is None:
            raise AdapterError(f"no {side} upstream to look collections up")
        headers = as_multidict(for_upstream(self.headers, client.headers))
        async with (
            asyncio.timeout(LOOKUP_TIMEOUT_S),
            client.session.get(client.url(path), headers=headers) as response,
        ):
            raw = await response.read()
            status = response.status
        try:
            return status, json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            return status, None


class ShadowRewriter:
    """Rewrites requests for the new index (one per config; the embedder outlives it)."""

    def __init__(
        self,
        routes: Sequence[tuple[Route, Adapter]],
        embedder: QueryEmbedder | None,
        upstream: Callable[[str], UpstreamClient | None],
    ) -> None:
        """``routes`` are warmed at start; ``upstream(name)`` gives the running client."""
        self.routes = routes
        self.embedder = embedder
        self.upstream = upstream
        self._once = OncePerKind()

    async def prepare(self, job: ShadowJob) -> ShadowJob | str:
        """The request to send, or the outcome that stops it (a job for old: unchanged)."""
        route = job.route
        if not job.to_new or (route.query_text is None and not route.collection_map):
            return job
        adapter = job.adapter
        collections = dict(route.collection_map)
        body = job.body
        try:
            doc = adapter.parse_request(job.body)
            shape = adapter.query_vectors(doc)
            vectors: dict[int, list[float]] = {}
            if shape.with_vector and route.query_text is not None:
                texts = query_texts(route.query_text, job.request_headers, doc, shape.queries)
                if texts is None:
                    return "no_query_text"
                embedded = await self._embed(job, [texts[i] for i in shape.with_vector])
                if embedded is None:
                    return "embed_error"
                vectors = dict(zip(shape.with_vector, embedded, strict=True))
            adapter.rewrite(doc, vectors, collections)
            body = adapter.dump_request(doc)
            if not vectors and body != job.body and doc == adapter.parse_request(job.body):
                body = job.body  # nothing changed: keep the client's exact bytes
            path = await adapter.shadow_path(job.path, collections, self._lookup(job))
        except AdapterError as e:
            self._log_once("shadow_request_unbuildable", job, error=str(e))
            return "unparseable"
        except (aiohttp.ClientError, OSError, TimeoutError) as e:
            self._log_once("collection_lookup_failed", job, error=type(e).__name__)
            return "shadow_error"
        return dataclasses.replace(job, body=body, path=path)

    async def _embed(self, job: ShadowJob, texts: list[str]) -> list[list[float]] | None:
        if self.embedder is None:
            self._log_once("no_embedding_section", job, error="[embedding] is not configured")
            return None
        try:
            return await self.embedder.embed(texts)
        except EmbeddingError:  # counted and logged once per kind by the embedder
            return None

    def answered(self, job: ShadowJob, status: int) -> None:
        """Tell the adapter the new index's status (a Chroma 404 re-resolves collection ids)."""
        if job.to_new:
            job.adapter.shadow_answered(job.path, status)

    async def warm(self) -> None:
        """Resolve collections at start (Chroma); failures wait for first use, logged once."""
        new, old = self.upstream("new"), self.upstream("old")
        if new is None:
            return
        lookup = _Lookup(old, new, [])
        for route, adapter in self.routes:
            if not route.collection_map:
                continue
            try:
                await adapter.warm(dict(route.collection_map), lookup)
            except (AdapterError, aiohttp.ClientError, OSError, TimeoutError) as e:
                log.warning("collection_warmup_failed", route=route.name, error=str(e))

    def _lookup(self, job: ShadowJob) -> _Lookup:
        return _Lookup(self.upstream("old"), job.upstream, job.headers)

    def _log_once(self, event: str, job: ShadowJob, **fields: Any) -> None:
        suppressed = self._once.should_log(f"{event}:{job.name}", time.monotonic())
        if suppressed is not None:
            log.warning(event, route=job.name, suppressed_since_last=suppressed, **fields)
