"""The embeddings API path: the labelled sample embedded by the new model, with a cache.

:class:`Embedding` says which endpoint (``[embedding]``) and how chunk texts are sent.
Chunk texts (through ``document_template``, with ``document_input_type``) and the labelled
queries' texts (through ``[embedding].query_template``, with its ``input_type``) are embedded
with the shared client (:mod:`proxy.embeddings`: batching, rate limits, retries honouring
``Retry-After``, timeouts). Every answered batch is stored at once in a persistent SQLite
cache keyed by the model's fingerprint and the SHA-256 of the text sent, so a periodic run
embeds only what changed and a run that fails half-way resumes where it stopped.

A failure that the retries cannot fix raises :class:`~proxy.errors.EmbeddingError` saying how
much was embedded (and kept in the cache); nothing is published.
"""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import aiohttp
import numpy as np
import numpy.typing as npt

from calibrator.errors import InputError
from calibrator.inputs.fingerprint import api_model
from calibrator.inputs.labels import EvalSet, load_chunks
from calibrator.inputs.vectors import Vectors
from calibrator.progress import Progress
from proxy.config.schema import EmbeddingSection
from proxy.embeddings import EmbeddingsClient, Endpoint, RetryPolicy
from proxy.errors import EmbeddingError

Vector = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Embedding:
    """The embeddings API path: the endpoint and how chunk texts are sent."""

    section: EmbeddingSection
    cache_dir: Path
    document_template: str = "{text}"
    document_input_type: str | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    def model_settings(self) -> dict[str, Any]:
        """What decides the vectors (hashed into the model's fingerprint; no secrets)."""
        s = self.section
        return {
            "base_url": s.base_url,
            "model": s.model,
            "dimension": s.dimension,
            "query_template": s.query_template,
            "query_input_type": s.input_type,
            "document_template": self.document_template,
            "document_input_type": self.document_input_type,
        }


class EmbeddingCache:
    """Vectors by (model fingerprint, text sent), in one SQLite file per model."""

    def __init__(self, directory: Path, fingerprint: str) -> None:
        """Open (or create) the cache file of ``fingerprint`` under ``directory``."""
        directory.mkdir(parents=True, exist_ok=True)
        name = fingerprint.removeprefix("sha256:")[:16]
        self.path = directory / f"embeddings-{name}.sqlite"
        self._db = sqlite3.connect(self.path)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, vector BLOB NOT NULL)"
        )

    @staticmethod
    def key(kind: str, text: str) -> bytes:
        """The cache key of a text sent as ``kind`` (query or document)."""
        return hashlib.sha256(f"{kind}\0{text}".encode()).digest()

    def get(self, keys: Sequence[bytes]) -> dict[bytes, Vector]:
        """The cached vectors among ``keys``."""
        found: dict[bytes, Vector] = {}
        for a in range(0, len(keys), 500):
            chunk = list(keys[a : a + 500])
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT key, vector FROM vectors WHERE key IN ({marks})"  # noqa: S608
            rows = self._db.execute(sql, chunk)
            for key, blob in rows:
                found[bytes(key)] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put(self, items: Sequence[tuple[bytes, Sequence[float]]]) -> None:
        """Store vectors (committed at once: a later failure does not lose them)."""
        rows = [(k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in items]
        with self._db:
            self._db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)", rows)

    def close(self) -> None:
        """Close the file."""
        self._db.close()


async def _embed_missing(
    embedding: Embedding,
    cache: EmbeddingCache,
    todo: list[tuple[bytes, str, str | None]],
    progress: Progress,
) -> None:
    section = embedding.section
    batches = [todo[a : a + section.max_batch] for a in range(0, len(todo), section.max_batch)]
    limit = asyncio.Semaphore(section.max_concurrency)
    done = 0
    progress("embedding", 0, len(todo))
    async with aiohttp.ClientSession() as session:
        client = EmbeddingsClient(session, Endpoint.from_section(section), policy=embedding.retry)

        gave_up = False

        async def one(batch: list[tuple[bytes, str, str | None]]) -> None:
            nonlocal done, gave_up
            async with limit:
                if gave_up:  # another batch failed for good: start no new call
                    return
                try:
                    result = await client.embed([text for _, text, _ in batch], batch[0][2])
                except EmbeddingError:
                    gave_up = True  # set before the slot is released to the next batch
                    raise
            cache.put(
                [(key, vector) for (key, _, _), vector in zip(batch, result.vectors, strict=True)]
            )
            done += len(batch)
            progress("embedding", done, len(todo))

        try:
            async with asyncio.TaskGroup() as tasks:
                for batch in _by_input_type(batches):
                    tasks.create_task(one(batch))
        except BaseExceptionGroup as group:
            # a plain except, not except*: an exception raised in an except* clause can reach
            # the caller wrapped in a group, and callers catch EmbeddingError itself
            first = _first_embedding_error(group)
            if first is None:
                raise
            raise EmbeddingError(
                f"embedding the labelled sample failed after {done} of {len(todo)} new texts "
                f"({done} kept in {cache.path}; rerun to resume): {first}"
            ) from group


def _first_embedding_error(group: BaseExceptionGroup[BaseException]) -> EmbeddingError | None:
    """The first EmbeddingError in ``group`` (nested groups searched), or None."""
    for failure in group.exceptions:
        if isinstance(failure, EmbeddingError):
            return failure
        if isinstance(failure, BaseExceptionGroup):
            found = _first_embedding_error(failure)
            if found is not None:
                return found
    return None


def _by_input_type(
    batches: list[list[tuple[bytes, str, str | None]]],
) -> list[list[tuple[bytes, str, str | None]]]:
    """Split batches so that each holds texts of one input type."""
    out: list[list[tuple[bytes, str, str | None]]] = []
    for batch in batches:
        kinds: dict[str | None, list[tuple[bytes, str, str | None]]] = {}
        for item in batch:
            kinds.setdefault(item[2], []).append(item)
        out.extend(kinds.values())
    return out


def embed_sample(
    embedding: Embedding, chunks_path: Path, eval_set: EvalSet, progress: Progress
) -> Vectors:
    """Vectors of the chunk sample and the labelled queries (cached; see the module docstring)."""
    chunks = load_chunks(chunks_path)
    section = embedding.section
    docs = [
        (EmbeddingCache.key("document", text), text, embedding.document_input_type)
        for text in (embedding.document_template.replace("{text}", c.text) for c in chunks)
    ]
    queries = []
    for query in eval_set.queries:
        if query.text is None:
            raise InputError(f"{query.where}: query {query.query_id!r} has no text to embed")
        text = section.query_template.replace("{text}", query.text)
        queries.append((EmbeddingCache.key("query", text), text, section.input_type))
    model = api_model(embedding.model_settings())
    cache = EmbeddingCache(embedding.cache_dir, model.fingerprint)
    try:
        wanted = docs + queries
        cached = cache.get([k for k, _, _ in wanted])
        todo = list({k: (k, t, i) for k, t, i in wanted if k not in cached}.values())
        if todo:
            asyncio.run(_embed_missing(embedding, cache, todo, progress))
        found = cache.get([k for k, _, _ in wanted])
    finally:
        cache.close()
    dims = {len(v) for v in found.values()}
    if len(dims) != 1:
        raise EmbeddingError(f"{cache.path}: cached vectors have dimensions {sorted(dims)}")
    return Vectors(
        doc_ids=tuple(c.id for c in chunks),
        docs=np.stack([found[k] for k, _, _ in docs]).astype(np.float32),
        query_ids=tuple(q.query_id for q in eval_set.queries),
        queries=np.stack([found[k] for k, _, _ in queries]).astype(np.float32),
        source=f"{section.base_url} ({section.model})",
        meta=MappingProxyType({"model": section.model, **embedding.model_settings()}),
    )
