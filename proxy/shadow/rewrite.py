"""Building the shadow's request: new collection, and the query re-embedded by the new model.

:meth:`ShadowRewriter.prepare` is what :meth:`proxy.shadow.mirror.Mirror.prepare` does. For a job it

1. asks the route's adapter where the request's query vectors are (none: nothing to embed);
2. when the route names its query text (``query_text = { header = "X-Query-Text" }`` or
   ``{ json = "/text" }``), reads one text per query and embeds them with the
   :class:`~proxy.embeddings.query_embedder.QueryEmbedder`; no text gives outcome
   ``no_query_text``, a
   failed embedding ``embed_error`` (the client's answer never waits for any of this);
3. writes the new vectors and the new collection names into the body, and lets the adapter
   map collections the path template cannot (Chroma's UUIDs).

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
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import aiohttp

from proxy.adapters.base import Side
from proxy.config.schema import RequestField
from proxy.embeddings.query_embedder import QueryEmbedder
from proxy.errors import AdapterError, EmbeddingError
from proxy.jsondoc import pointer_values
from proxy.logs import OncePerKind, get_logger
from proxy.upstream.forward import UpstreamClient

if TYPE_CHECKING:
    from proxy.search.routes import RouteTable
    from proxy.shadow.mirror import ShadowJob

log = get_logger("shadow_rewrite")
LOOKUP_TIMEOUT_S = 3.0
_DROPPED_ON_LOOKUP = frozenset({"content-type", "content-length", "content-encoding"})


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
        self, primary: UpstreamClient | None, shadow: UpstreamClient, headers: Mapping[str, str]
    ) -> None:
        self.clients = {"primary": primary, "shadow": shadow}
        self.headers = {k: v for k, v in headers.items() if k.lower() not in _DROPPED_ON_LOOKUP}

    async def get_json(self, side: Side, path: str) -> tuple[int, Any]:
        client = self.clients[side]
        if client is None:
            raise AdapterError(f"no {side} upstream to look collections up")
        headers = {**self.headers, **client.extra_headers}
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
    """Rewrites mirrored requests for the shadow (one per config; the embedder outlives it)."""

    def __init__(
        self,
        table: RouteTable,
        embedder: QueryEmbedder | None,
        upstream: Callable[[str], UpstreamClient | None],
    ) -> None:
        """``upstream(name)`` gives the running ``old``/``new`` client (None before start)."""
        self.table = table
        self.embedder = embedder
        self.upstream = upstream
        self._once = OncePerKind()

    async def prepare(self, job: ShadowJob) -> ShadowJob | str:
        """The request to send to the shadow, or the outcome that stops it."""
        route = job.compiled.route
        adapter = job.compiled.adapter
        mapping = route.collection_map
        collections = dict(mapping) if job.shadow_is_new else {v: k for k, v in mapping.items()}
        if route.query_text is None and not collections:
            return job
        body = job.body
        try:
            if route.query_text is not None or collections:
                doc = adapter.parse_request(job.body)
                shape = adapter.query_vectors(doc)
                vectors: dict[int, list[float]] = {}
                if shape.with_vector and route.query_text is not None:
                    texts = query_texts(route.query_text, job.headers, doc, shape.queries)
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
            path = await adapter.shadow_path(job.shadow_path, collections, self._lookup(job))
        except AdapterError as e:
            self._log_once("shadow_request_unbuildable", job, error=str(e))
            return "unparseable"
        except (aiohttp.ClientError, OSError, TimeoutError) as e:
            self._log_once("collection_lookup_failed", job, error=type(e).__name__)
            return "shadow_error"
        return dataclasses.replace(job, body=body, shadow_path=path)

    async def _embed(self, job: ShadowJob, texts: list[str]) -> list[list[float]] | None:
        if self.embedder is None:
            self._log_once("no_embedding_section", job, error="[embedding] is not configured")
            return None
        if not job.shadow_is_new:
            self._log_once(
                "no_old_model_embedder", job, error="the shadow is the old index: cannot re-embed"
            )
            return None
        try:
            return await self.embedder.embed(texts)
        except EmbeddingError:  # counted and logged once per kind by the embedder
            return None

    def answered(self, job: ShadowJob, status: int) -> None:
        """Tell the adapter the shadow's status (a Chroma 404 re-resolves collection ids)."""
        job.compiled.adapter.shadow_answered(job.shadow_path, status)

    async def warm(self) -> None:
        """Resolve collections at start (Chroma); failures wait for first use, logged once."""
        new, old = self.upstream("new"), self.upstream("old")
        if new is None:
            return
        lookup = _Lookup(old, new, {})
        for compiled in self.table.routes:
            mapping = compiled.route.collection_map
            if not mapping:
                continue
            try:
                await compiled.adapter.warm(dict(mapping), lookup)
            except (AdapterError, aiohttp.ClientError, OSError, TimeoutError) as e:
                log.warning("collection_warmup_failed", route=compiled.name, error=str(e))

    def _lookup(self, job: ShadowJob) -> _Lookup:
        primary = self.upstream("old" if job.shadow_is_new else "new")
        return _Lookup(primary, job.shadow, job.headers)

    def _log_once(self, event: str, job: ShadowJob, **fields: Any) -> None:
        suppressed = self._once.should_log(f"{event}:{job.compiled.name}", time.monotonic())
        if suppressed is not None:
            log.warning(event, route=job.compiled.name, suppressed_since_last=suppressed, **fields)
