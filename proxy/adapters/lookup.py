"""Looking ids up by id in the new index: the request each engine takes, and its answer read.

The gate's ``new_index_coverage`` (:mod:`proxy.health.coverage`) asks, for a compared search,
whether the old side's result ids exist in the new index. Each adapter builds the requests
from the search as it was sent to the new index (its path, and its body with collections
already mapped) through :meth:`~proxy.adapters.base.Adapter.id_lookups`: Chroma's ``/get``,
Qdrant's ``points``, Elasticsearch's ``_mget``, Typesense's documents, Pinecone's fetch,
Milvus' ``entities/get``, Weaviate's objects. An adapter without a get-by-id call answers None
(the generic adapter), and the criterion is skipped, saying so.

An :class:`IdLookup` is plain data plus the function that reads its answer: the coverage
checker sends it to the new index (its own pool, semaphore, rate and timeout) and counts the
ids found. A lookup's answer that cannot be read raises
:class:`~proxy.errors.UnparseableResponseError` (counted as a failed lookup, never a missing id).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from proxy.errors import UnparseableResponseError

Reader = Callable[[int, Any], Iterable[str]]
"""Reads a lookup's answer (status, parsed JSON body or None) into the ids it found."""


@dataclass(frozen=True, slots=True)
class IdLookup:
    """One request asking the new index which of ``ids`` it holds."""

    method: str
    path: str  # raw path and query string
    body: bytes | None
    ids: tuple[str, ...]
    read: Reader


def json_body(doc: Any) -> bytes:
    """Compact UTF-8 JSON, as the engines' clients send it."""
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()


def native_id(value: str) -> int | str:
    """An id as the engine stores it: answers give ``"42"`` for an integer id 42."""
    if value.isdigit() and (value == "0" or not value.startswith("0")):
        return int(value)
    return value


def ok(status: int, what: str) -> None:
    """UnparseableResponseError unless ``status`` is 2xx."""
    if not 200 <= status < 300:
        raise UnparseableResponseError(f"{what}: status {status}")


def listed(node: Any, where: str) -> list[Any]:
    """``node`` if it is a list, else UnparseableResponseError naming ``where``."""
    if not isinstance(node, list):
        raise UnparseableResponseError(f"{where}: expected an array, got {type(node).__name__}")
    return node


def field_of(node: Any, key: str, where: str) -> Any:
    """``node[key]`` of an object, else UnparseableResponseError naming ``where``."""
    if not isinstance(node, dict) or key not in node:
        raise UnparseableResponseError(f"{where}: no {key!r} field")
    return node[key]
