"""Building the new index's request: new collection, and the query re-embedded by the new model.

:meth:`ShadowRewriter.prepare` turns a job for the new index (:mod:`proxy.shadow.job`) into the
request to send; a job for the old index is sent as the client sent it. For a job it

1. asks the route's adapter where the request's query vectors are (none: nothing to embed);
2. when the route names its query text (``query_text = { header = "X-Query-Text" }``,
   ``{ json = "/text" }``, ``{ learned = true }`` or several: the first that yields text
   wins, in that order), reads one text per query and embeds them with the
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

Learned text: each query vector is read by the adapter
(:meth:`~proxy.adapters.base.Adapter.query_vector_values`) and looked up in the
:class:`~proxy.embeddings.memory.QueryMemory` of the application's embeddings calls; a vector
it has not seen makes the request ``no_query_text``, counted apart as ``text_unknown``
(``embedshift_learned_query_text_total{route,segment,result}``, each time a request for the
new index is built).
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol
from urllib.parse import unquote

import aiohttp

from proxy.adapters.base import Adapter, QueryVectors, Side
from proxy.config.schema import Route
from proxy.embeddings.memory import QueryMemory
from proxy.embeddings.query_embedder import QueryEmbedder
from proxy.errors import AdapterError, EmbeddingError, UnresolvedCollectionError
from proxy.jsondoc import loads, pointer_values
from proxy.logs import OncePerKind, get_logger
from proxy.metrics import QueryTextMetrics
from proxy.shadow.job import ShadowJob
from proxy.shadow.translate import ThresholdTranslator, Translation
from proxy.upstream.client import UpstreamClient
from proxy.upstream.headers import as_multidict, for_upstream
from proxy.upstream.http1 import Header

log = get_logger("shadow_rewrite")
LOOKUP_TIMEOUT_S = 3.0
_DROPPED_ON_LOOKUP = frozenset({b"content-type", b"content-length", b"content-encoding"})


class TextSource(Protocol):
    """Where the request itself carries query text (a route's ``query_text``)."""

    @property
    def header(self) -> str | None:
        """The header holding the text, if any."""
        ...

    @property
    def json(self) -> str | None:
        """The JSON pointer to the text, if any."""
        ...


def query_texts(
    source: TextSource, headers: Mapping[str, str], doc: Any, queries: int
) -> list[str] | None:
    """One query text per query of the request: the header's, else the JSON pointer's.

    None when neither yields one non-empty text per query.
    """
    if source.header is not None:
        raw = headers.get(source.header)
        if raw:
            parts = [raw] if queries == 1 else raw.split(",")
            texts = [unquote(p.strip()) for p in parts]
            if len(texts) == queries and all(texts):
                return texts
    if source.json is not None:
        found = pointer_values(doc, source.json)
        if len(found) == 1 and isinstance(found[0], list):
            found = found[0]
        if len(found) == queries and all(isinstance(t, str) and t for t in found):
            return list(found)
    return None


class _Lookup:
    """Reads collections from either upstream with the client's own headers.

    The old index (``primary``) gets the client's credentials too; the new one never does.
    """

    def __init__(
        self,
        primary: UpstreamClient | None,
        shadow: UpstreamClient,
        headers: list[Header],
        credentials: tuple[Header, ...] = (),
    ) -> None:
        self.clients = {"primary": primary, "shadow": shadow}
        kept = [p for p in headers if p[0].lower() not in _DROPPED_ON_LOOKUP]
        self.headers = {"primary": [*kept, *credentials], "shadow": kept}

    async def get_json(self, side: Side, path: str) -> tuple[int, Any]:
        client = self.clients[side]
        if client is None:
            raise AdapterError(f"no {side} upstream to look collections up")
        headers = as_multidict(for_upstream(self.headers[side], client.headers))
        async with (
            asyncio.timeout(LOOKUP_TIMEOUT_S),
            client.session.get(client.url(path), headers=headers) as response,
        ):
            raw = await response.read()
            status = response.status
        try:
            return status, loads(raw)
        except (ValueError, UnicodeDecodeError):
            return status, None


def _new_body(job: ShadowJob, doc: Any, *, rewritten: bool, translation: Translation) -> bytes:
    """The rewritten ``doc`` as bytes; the client's exact bytes when nothing in it changed.

    ``rewritten``: new vectors were written in. Collections the route maps may or may not be
    in the body (the adapter knows), so a mapped route's body is written and compared.
    """
    translated = any(
        c.translated is not None and c.translated != c.original for c in translation.changes
    )
    if not (rewritten or translated or job.route.collection_map):
        return job.body
    body = job.adapter.dump_request(doc)
    if not rewritten and body != job.body and doc == job.adapter.parse_request(job.body):
        return job.body  # nothing changed: keep the client's exact bytes
    return body


class ShadowRewriter:
    """Rewrites requests for the new index (one per config; the embedder outlives it)."""

    def __init__(
        self,
        routes: Sequence[tuple[Route, Adapter]],
        embedder: QueryEmbedder | None,
        upstream: Callable[[str], UpstreamClient | None],
        memory: QueryMemory | None = None,
        learned: QueryTextMetrics | None = None,
        translator: ThresholdTranslator | None = None,
    ) -> None:
        """``routes`` are warmed at start; ``upstream(name)`` gives the running client.

        ``memory`` holds the texts of the application's embeddings calls (learned query
        text), ``learned`` counts what it gave.
        """
        self.routes = routes
        self.embedder = embedder
        self.upstream = upstream
        self.memory = memory
        self.learned = learned
        self.translator = translator or ThresholdTranslator()
        self._once = OncePerKind()

    async def prepare(  # noqa: PLR0911 - one outcome per way the request cannot be built
        self, job: ShadowJob, *, answers: bool = False
    ) -> ShadowJob | str:
        """The request to send, or the outcome that stops it (a job for old: unchanged).

        ``answers``: the new index answers the client with it (canary, flipped); its
        thresholds must then all be translated (:mod:`proxy.shadow.translate`), else the
        outcome names why (``threshold_untranslated``, ``no_score_map``).
        """
        route = job.route
        if not job.to_new or (
            route.query_text is None
            and not route.collection_map
            and not route.translate_thresholds
            and not (answers and route.response_scores == "old_scale")
        ):
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
                if texts is None and route.query_text.learned:
                    texts = self._recall(job, doc, shape)
                if texts is None:
                    return "no_query_text"
                embedded = await self._embed(job, [texts[i] for i in shape.with_vector])
                if embedded is None:
                    return "embed_error"
                vectors = dict(zip(shape.with_vector, embedded, strict=True))
            adapter.rewrite(doc, vectors, collections)
            translation = self.translator.request(job, doc, "answer" if answers else "mirror")
            refused = self.translator.refusal(job, translation) if answers else None
            if refused is not None:
                return refused
            body = _new_body(job, doc, rewritten=bool(vectors), translation=translation)
            path = await adapter.shadow_path(job.path, collections, self._lookup(job))
        except AdapterError as e:  # an unresolved collection: this collection's failure only
            unresolved = isinstance(e, UnresolvedCollectionError)
            event = "collection_unresolved" if unresolved else "shadow_request_unbuildable"
            self._log_once(event, job, error=str(e))
            return "shadow_error" if unresolved else "unparseable"
        except (aiohttp.ClientError, OSError, TimeoutError) as e:
            self._log_once("collection_lookup_failed", job, error=type(e).__name__)
            return "shadow_error"
        if body is job.body and path == job.path and not translation.changes:
            return job
        return dataclasses.replace(job, body=body, path=path, thresholds=translation.changes)

    def _recall(self, job: ShadowJob, doc: Any, shape: QueryVectors) -> list[str] | None:
        """Each vector query's text from the memory of embeddings calls; None if one is unknown.

        ``doc`` is the parsed request, not yet rewritten.
        """
        texts = [""] * shape.queries  # queries without a vector are not embedded
        if self.memory is not None:
            vectors = job.adapter.query_vector_values(doc)
            for index in shape.with_vector:
                vector = vectors[index]
                text = self.memory.recall(vector) if vector else None
                if text is None:
                    texts = []
                    break
                texts[index] = text
        if self.learned is not None:
            recalled, unknown = self.learned.learned_for(job.name, job.segment)
            (recalled if texts else unknown).inc()
        return texts or None

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
        return _Lookup(self.upstream("old"), job.upstream, job.headers, job.credentials)

    def _log_once(self, event: str, job: ShadowJob, **fields: Any) -> None:
        suppressed = self._once.should_log(f"{event}:{job.name}", time.monotonic())
        if suppressed is not None:
            log.warning(event, route=job.name, suppressed_since_last=suppressed, **fields)
