"""Chroma's v2 query API: ``POST .../collections/{collection_id}/query``.

Shapes from Chroma's API reference (https://docs.trychroma.com/reference/python/collection and
the server's OpenAPI at ``/openapi.json``, ``QueryRequestPayload`` / ``QueryResponse``).

Request: ``/api/v2/tenants/{tenant}/databases/{database}/collections/{uuid}/query`` with
``{"query_embeddings": [[..], [..]], "n_results": 10, "include": ["distances", ...]}``: one
inner list per query vector, each query one ranked list. The collection is a UUID in the path,
and a name there is refused, so the route's ``collection_map`` holds *names*
(``{ docs_minilm = "docs_mpnet" }``): the adapter resolves the old name's UUID on the primary
and the new name's UUID on the shadow (``GET .../collections/{name}``), at start and again
after the shadow answers 404 (a collection dropped and recreated has a new UUID), and puts the
new UUID in the shadow's path.

Answer: ``{"ids": [["a", "b"]], "distances": [[0.01, 0.2]], "documents": ..., ...}``, one
inner list per query vector. Distances: lower is closer (cosine space: ``1 - cos``), reported
as ``1 - d``. A query whose ``include`` leaves distances out (``"distances": null``) is
compared by its ids alone: overlap, Jaccard, RBO and Kendall's tau need only the order; score
figures, accepted counts and abstain flips are then not recorded for it.

A ``collection_map`` entry that cannot be resolved (the name exists on neither side, or only on
one) stops mirroring for that collection only: the others are resolved and mirrored; a search of
that collection is not sent to the new index (:class:`~proxy.errors.UnresolvedCollectionError`,
outcome ``shadow_error``: sending it under the old id would compare the old collection with
itself when both live on one server); the names are resolved again at most every
:data:`RETRY_AFTER_S`, and :meth:`ChromaAdapter.warm` names the entry.

Options: ``tenant`` and ``database`` (default ``default_tenant`` / ``default_database``): where
the names are resolved at start; other tenants are resolved on first use.

Thresholds: Chroma's query API takes none (``where`` and ``where_document`` filter metadata and
text, not distances), so requests carry nothing to translate. The answers' distances can be
mapped to the old model's scale (a route's ``response_scores``): ``options.space`` names the
collection's ``hnsw:space``, ``l2`` (Chroma's default: the squared L2, ``2 - 2 cos`` for unit
vectors), ``cosine`` (``1 - cos``) or ``ip`` (``1 - dot``)
(https://docs.trychroma.com/docs/collections/configure).
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar
from urllib.parse import quote

from proxy.adapters.base import (
    CollectionLookup,
    ErrorAt,
    QueryVectors,
    Ranked,
    RequestSide,
    Rescale,
    RouteSpec,
    Side,
    expect,
    field_text,
    is_dense_vector,
    ranked_from_pairs,
    vector_values,
)
from proxy.adapters.lookup import IdLookup, field_of, json_body, listed, ok
from proxy.adapters.scales import COSINE_DISTANCE, SQUARED_EUCLIDEAN, Scale, threshold_number
from proxy.errors import AdapterError, UnparseableResponseError, UnresolvedCollectionError

_QUERY_PATH = re.compile(
    r"^(?P<base>.*?/tenants/(?P<tenant>[^/]+)/databases/(?P<database>[^/]+)/collections/)"
    r"(?P<id>[^/?]+)(?P<rest>/.*)$"
)
RETRY_AFTER_S = 5.0
"""A failed resolution is not tried again for this long; a 404 re-resolves at most this often."""


class ChromaAdapter(RequestSide):
    """Reads Chroma query answers; maps the old collection's UUID to the new one's."""

    name: ClassVar[str] = "chroma"
    document_text: ClassVar[str | None] = (
        "\"documents\" (the answer's documents; the query must include them, as Chroma's "
        "default does) or a key of each result's metadata"
    )

    def __init__(
        self, tenant: str = "default_tenant", database: str = "default_database", space: str = "l2"
    ) -> None:
        """``tenant``/``database``: where :meth:`warm` resolves the route's collection names.

        ``space``: the collection's distance (``l2``, ``cosine``, ``ip``).
        """
        self.tenant = tenant
        self.database = database
        self.space = space
        self._ids: dict[tuple[str, str], dict[str, str]] = {}
        self._resolved_at: dict[tuple[str, str], float] = {}
        self._failed: dict[tuple[str, str], tuple[float, str]] = {}
        self._unresolved: dict[tuple[str, str], str] = {}  # entries a resolution could not map
        self._blocked: dict[tuple[str, str], dict[str, str]] = {}  # old id -> why new is missing
        self._pending: dict[tuple[str, str], asyncio.Task[dict[str, str]]] = {}

    @classmethod
    def from_route(cls, route: RouteSpec, where: ErrorAt) -> ChromaAdapter:
        """Options: ``tenant``, ``database``, ``space``."""
        known = {"tenant", "database", "space"}
        for key, value in route.options.items():
            if key not in known:
                raise where.error(
                    f"options.{key}",
                    "is not an option of the chroma adapter (known: database, space, tenant)",
                )
            if key == "space" and value not in _SPACES:
                raise where.error(
                    "options.space", f"must be one of {', '.join(_SPACES)}, got {value!r}"
                )
            if not isinstance(value, str) or not value:
                raise where.error(f"options.{key}", f"must be a non-empty string, got {value!r}")
        return cls(**dict(route.options))

    def rankings(self, body: Any) -> list[Ranked]:
        """One list per query vector."""
        expect(body, dict, "answer")
        if "ids" not in body:
            raise UnparseableResponseError("answer: no 'ids' field (is this a Chroma error?)")
        ids = expect(body["ids"], list, "ids")
        distances = body.get("distances")
        if distances is None:  # the query left "distances" out of include: ids alone compare
            return [
                ranked_ids(expect(row, list, f"ids[{i}]"), f"ids[{i}]") for i, row in enumerate(ids)
            ]
        expect(distances, list, "distances")
        if len(ids) != len(distances):
            raise UnparseableResponseError(
                f"answer has {len(ids)} id lists but {len(distances)} distance lists"
            )
        out = []
        for i, (row_ids, row_distances) in enumerate(zip(ids, distances, strict=True)):
            expect(row_ids, list, f"ids[{i}]")
            expect(row_distances, list, f"distances[{i}]")
            if len(row_ids) != len(row_distances):
                raise UnparseableResponseError(
                    f"ids[{i}] has {len(row_ids)} ids but distances[{i}] {len(row_distances)}"
                )
            out.append(
                ranked_from_pairs(
                    list(zip(row_ids, row_distances, strict=True)), "distance", f"ids[{i}]"
                )
            )
        return out

    def document_texts(self, body: Any, field: str) -> list[tuple[str | None, ...]]:
        """``documents[i][j]``, or ``metadatas[i][j][field]`` for another field name."""
        ids = body.get("ids") if isinstance(body, dict) else None
        if not isinstance(ids, list):
            return []
        rows = body.get("documents" if field == "documents" else "metadatas")
        out: list[tuple[str | None, ...]] = []
        for i, row_ids in enumerate(ids):
            count = len(row_ids) if isinstance(row_ids, list) else 0
            row = rows[i] if isinstance(rows, list) and i < len(rows) else None
            if not isinstance(row, list) or len(row) != count:
                out.append((None,) * count)
            elif field == "documents":
                out.append(tuple(field_text({"d": value}, "d") for value in row))
            else:
                out.append(tuple(field_text(meta, field) for meta in row))
        return out

    def rescore(self, answer: Any, request: Any, rescale: Rescale) -> Any:  # noqa: ARG002
        """Every distance rescaled in the collection's space."""
        expect(answer, dict, "answer")
        scale = _SPACES[self.space]
        for row in expect(answer.get("distances"), list, "distances"):
            for j, value in enumerate(row if isinstance(row, list) else []):
                if threshold_number(value) is not None:
                    row[j] = rescale(float(value), scale)
        return answer

    def query_vectors(self, doc: Any) -> QueryVectors:
        """One query per inner list of ``query_embeddings``."""
        vectors = _embeddings(doc)
        return QueryVectors(len(vectors), tuple(range(len(vectors))))

    def query_vector_values(self, doc: Any) -> list[list[float]]:
        """The inner lists of ``query_embeddings``."""
        return [vector_values(vector) for vector in _embeddings(doc)]

    def rewrite(
        self,
        doc: Any,
        vectors: Mapping[int, Sequence[float]],
        collections: Mapping[str, str],  # noqa: ARG002 - the collection is in the path
    ) -> Any:
        """``query_embeddings[i]`` replaced by ``vectors[i]``."""
        embeddings = _embeddings(doc)
        for index, vector in vectors.items():
            embeddings[index] = list(vector)
        return doc

    async def shadow_path(
        self, raw_path: str, collections: Mapping[str, str], lookup: CollectionLookup
    ) -> str:
        """The path with the primary collection's UUID replaced by the shadow collection's."""
        found = _QUERY_PATH.match(raw_path)
        if found is None or not collections:
            return raw_path
        ids = await self._mapping(found["tenant"], found["database"], collections, lookup)
        missing = self._blocked.get((found["tenant"], found["database"]), {}).get(found["id"])
        if missing is not None:
            raise UnresolvedCollectionError(missing)
        new_id = ids.get(found["id"])
        if new_id is None:
            return raw_path
        return found["base"] + new_id + found["rest"]

    def shadow_answered(self, raw_path: str, status: int) -> None:
        """A 404 from the shadow: forget its tenant's UUIDs so the next request resolves them."""
        found = _QUERY_PATH.match(raw_path)
        if status != 404 or found is None:
            return
        key = (found["tenant"], found["database"])
        if time.monotonic() - self._resolved_at.get(key, 0.0) >= RETRY_AFTER_S:
            self._ids.pop(key, None)

    async def warm(self, collections: Mapping[str, str], lookup: CollectionLookup) -> None:
        """Resolve the configured names in the configured tenant and database."""
        if collections:
            await self._mapping(self.tenant, self.database, collections, lookup)
            unresolved = self._unresolved.get((self.tenant, self.database))
            if unresolved:  # the others are mirrored: say which is not
                raise AdapterError(f"not mirrored until it resolves: {unresolved}")

    def id_lookups(
        self,
        path: str,
        doc: Any,  # noqa: ARG002 - the collection is in the path
        ids: Sequence[str],
    ) -> list[IdLookup] | None:
        """``POST .../collections/{uuid}/get`` with ``{"ids": [...], "include": []}``."""
        found = _QUERY_PATH.match(path.partition("?")[0])
        if found is None:
            return None
        target = found["base"] + found["id"] + "/get"
        body = json_body({"ids": list(ids), "include": []})
        return [IdLookup("POST", target, body, tuple(ids), _found_ids)]

    async def _mapping(
        self, tenant: str, database: str, collections: Mapping[str, str], lookup: CollectionLookup
    ) -> dict[str, str]:
        key = (tenant, database)
        ids = self._ids.get(key)
        if ids is not None and not (
            key in self._unresolved
            and time.monotonic() - self._resolved_at.get(key, 0.0) >= RETRY_AFTER_S
        ):
            return ids
        failed = self._failed.get(key)
        if failed is not None and time.monotonic() - failed[0] < RETRY_AFTER_S:
            raise AdapterError(failed[1])
        task = self._pending.get(key)
        if task is None:  # one resolution at a time per tenant and database
            task = asyncio.get_running_loop().create_task(
                self._resolve(tenant, database, collections, lookup)
            )
            self._pending[key] = task
            task.add_done_callback(lambda _: self._pending.pop(key, None))
        return await asyncio.shield(task)

    async def _resolve(
        self, tenant: str, database: str, collections: Mapping[str, str], lookup: CollectionLookup
    ) -> dict[str, str]:
        key = (tenant, database)
        ids: dict[str, str] = {}
        blocked: dict[str, str] = {}
        problems: list[str] = []
        for primary_name, shadow_name in collections.items():  # each entry on its own
            try:
                old = await _collection_id(lookup, "primary", tenant, database, primary_name)
            except AdapterError as e:
                problems.append(str(e))
                continue
            try:
                new = await _collection_id(lookup, "shadow", tenant, database, shadow_name)
            except AdapterError as e:
                problems.append(str(e))
                blocked[old] = str(e)
                continue
            ids[old] = new
        self._blocked[key] = blocked
        if problems and not ids and not blocked:  # nothing found at all: the old index's side
            self._failed[key] = (time.monotonic(), "; ".join(problems))
            raise AdapterError("; ".join(problems))
        self._failed.pop(key, None)
        if problems:
            self._unresolved[key] = "; ".join(problems)
        else:
            self._unresolved.pop(key, None)
        self._ids[key] = ids
        self._resolved_at[key] = time.monotonic()
        return ids


def ranked_ids(row: list[Any], where: str) -> Ranked:
    """One query's ids in order, without scores (an answer without distances)."""
    for i, raw_id in enumerate(row):
        if raw_id is None or isinstance(raw_id, dict | list | bool):
            msg = f"{where}[{i}]: id must be a string or number, got {raw_id!r}"
            raise UnparseableResponseError(msg)
    return Ranked(tuple(str(raw_id) for raw_id in row), ())


async def _collection_id(
    lookup: CollectionLookup, side: Side, tenant: str, database: str, name: str
) -> str:
    path = (
        f"/api/v2/tenants/{quote(tenant, safe='')}/databases/{quote(database, safe='')}"
        f"/collections/{quote(name, safe='')}"
    )
    try:
        status, body = await lookup.get_json(side, path)
    except Exception as e:  # any transport failure is a failed resolution
        raise AdapterError(f"Chroma collection {name!r} on the {side}: {type(e).__name__}") from e
    if status != 200 or not isinstance(body, dict) or not isinstance(body.get("id"), str):
        raise AdapterError(f"Chroma collection {name!r} not found on the {side} (status {status})")
    collection_id: str = body["id"]
    return collection_id


def _found_ids(status: int, body: Any) -> list[str]:
    """The ids a ``/get`` answer holds (Chroma answers only the ids it has)."""
    ok(status, "Chroma get")
    return [str(i) for i in listed(field_of(body, "ids", "Chroma get"), "Chroma get ids")]


def _embeddings(doc: Any) -> list[Any]:
    expect(doc, dict, "request")
    embeddings = doc.get("query_embeddings")
    if embeddings is None:
        return []
    checked: list[Any] = expect(embeddings, list, "request.query_embeddings")
    for i, vector in enumerate(checked):
        if not is_dense_vector(vector):
            raise AdapterError(f"request.query_embeddings[{i}] is not a list of numbers")
    return checked


_SPACES: dict[str, Scale] = {
    "l2": SQUARED_EUCLIDEAN,
    "cosine": COSINE_DISTANCE,
    "ip": COSINE_DISTANCE,
}

ADAPTER = ChromaAdapter
