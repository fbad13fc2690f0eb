"""Pinecone's data-plane ``POST /query``.

Shapes from Pinecone's API reference (https://docs.pinecone.io/reference/api/2026-07/data-plane/query
and https://docs.pinecone.io/guides/legacy/vectors-api/query-vectors).

Request: ``{"namespace": "docs", "vector": [..], "topK": 10, "includeMetadata": true}``, or
``"id": "<record id>"`` instead of a vector (sent as is). The deprecated batch form
``{"queries": [{"values": [..]}, ...]}`` gives one ranked list per query. An index has its own
host: the shadow index is the ``new`` upstream's URL; the ``namespace`` is renamed through the
route's ``collection_map``.

Answer: ``{"matches": [{"id": "a", "score": 0.91, ...}], "namespace": "docs", "usage": {...}}``;
the batch form answers ``{"results": [{"matches": [...]}, ...], "matches": []}``. Scores are
similarities for ``cosine`` and ``dotproduct`` indexes and distances (lower is closer) for
``euclidean``: set ``options.score = "distance"`` there. Errors are ``{"code": 3, "message":
"..."}`` with a 4xx status.

Thresholds: Pinecone's query API takes none (``filter`` is on metadata), so requests carry
nothing to translate. The answers' scores can be mapped to the old model's scale (a route's
``response_scores``): ``options.metric`` names the index's metric, ``cosine`` and
``dotproduct`` (the similarity itself) or ``euclidean`` (the squared Euclidean distance,
``2 - 2 cos`` for unit vectors); the default follows ``score``
(https://docs.pinecone.io/guides/index-data/indexing-overview#similarity-metrics).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar
from urllib.parse import urlencode

from proxy.adapters.base import (
    ErrorAt,
    QueryVectors,
    Ranked,
    RequestSide,
    Rescale,
    RouteSpec,
    ScoreKind,
    check_options,
    expect,
    is_dense_vector,
    metric_option,
    ranked_from_pairs,
    rename,
    score_option,
    texts_under,
    vector_values,
)
from proxy.adapters.lookup import IdLookup, field_of, ok
from proxy.adapters.scales import SIMILARITY, SQUARED_EUCLIDEAN, Scale, threshold_number
from proxy.errors import AdapterError, UnparseableResponseError


class PineconeAdapter(RequestSide):
    """Reads Pinecone query answers; rewrites the query vector and the namespace."""

    name: ClassVar[str] = "pinecone"
    document_text: ClassVar[str | None] = (
        "a key of each match's metadata (the query must set includeMetadata)"
    )

    def __init__(self, score: ScoreKind = "similarity", metric: str | None = None) -> None:
        """``score``: "distance" for euclidean indexes; ``metric``: the index's metric."""
        self.score: ScoreKind = score
        self.metric = metric or ("cosine" if score == "similarity" else "euclidean")

    @classmethod
    def from_route(cls, route: RouteSpec, where: ErrorAt) -> PineconeAdapter:
        """Options: ``score = "similarity" | "distance"``, ``metric``."""
        check_options(route, where, "pinecone", ("score", "metric"))
        score = score_option(route, where)
        return cls(score, metric_option(route, where, _SCALES))

    def rescore(self, answer: Any, request: Any, rescale: Rescale) -> Any:  # noqa: ARG002
        """Every match's ``score`` rescaled in the index's metric."""
        expect(answer, dict, "answer")
        scale = _SCALES[self.metric]
        results = answer.get("results")
        groups = [r.get("matches") for r in results if isinstance(r, dict)] if results else []
        for matches in [answer.get("matches"), *groups]:
            for match in matches if isinstance(matches, list) else []:
                if isinstance(match, dict) and threshold_number(match.get("score")) is not None:
                    match["score"] = rescale(float(match["score"]), scale)
        return answer

    def rankings(self, body: Any) -> list[Ranked]:
        """``matches``, or one list per element of a batch answer's ``results``."""
        expect(body, dict, "answer")
        results = body.get("results")
        matches = body.get("matches")
        if isinstance(results, list) and results and not matches:
            return [
                self._matches(expect(r, dict, f"results[{i}]").get("matches"), f"results[{i}]")
                for i, r in enumerate(results)
            ]
        if matches is None:
            raise UnparseableResponseError("answer: no 'matches' field (is this a Pinecone error?)")
        return [self._matches(matches, "answer")]

    def _matches(self, matches: Any, where: str) -> Ranked:
        expect(matches, list, f"{where}.matches")
        pairs = []
        for j, match in enumerate(matches):
            expect(match, dict, f"{where}.matches[{j}]")
            pairs.append((match.get("id"), match.get("score")))
        return ranked_from_pairs(pairs, self.score, f"{where}.matches")

    def document_texts(self, body: Any, field: str) -> list[tuple[str | None, ...]]:
        """``metadata[field]`` of each match, per query of a batch answer."""
        if not isinstance(body, dict):
            return []
        results, matches = body.get("results"), body.get("matches")
        if isinstance(results, list) and results and not matches:
            return [
                texts_under(r.get("matches") if isinstance(r, dict) else None, "metadata", field)
                for r in results
            ]
        return [texts_under(matches, "metadata", field)]

    def query_vectors(self, doc: Any) -> QueryVectors:
        """One query (with ``vector``) or one per element of the deprecated ``queries``."""
        slots = _slots(doc)
        return QueryVectors(len(slots), tuple(i for i, s in enumerate(slots) if s is not None))

    def query_vector_values(self, doc: Any) -> list[list[float]]:
        """``vector``, or each element's ``values`` of the deprecated ``queries``."""
        return [[] if s is None else vector_values(s[0][s[1]]) for s in _slots(doc)]

    def id_lookups(self, path: str, doc: Any, ids: Sequence[str]) -> list[IdLookup] | None:
        """``GET /vectors/fetch?ids=..&namespace=..`` on the new index's host (100 ids a call)."""
        head = path.partition("?")[0]
        if not head.endswith("/query"):
            return None
        base = head[: -len("/query")]
        namespace = doc.get("namespace") if isinstance(doc, dict) else None
        lookups = []
        for start in range(0, len(ids), 100):
            chunk = tuple(ids[start : start + 100])
            params: list[tuple[str, str]] = [("ids", i) for i in chunk]
            if isinstance(namespace, str):
                params.append(("namespace", namespace))
            target = f"{base}/vectors/fetch?{urlencode(params)}"
            lookups.append(IdLookup("GET", target, None, chunk, _fetched))
        return lookups

    def rewrite(
        self,
        doc: Any,
        vectors: Mapping[int, Sequence[float]],
        collections: Mapping[str, str],
    ) -> Any:
        """The vector(s) replaced and the namespace renamed."""
        slots = _slots(doc)
        for index, vector in vectors.items():
            slot = slots[index]
            if slot is None:
                raise AdapterError(f"query {index} has no dense vector to replace")
            holder, key = slot
            holder[key] = list(vector)
        if "namespace" in doc:
            doc["namespace"] = rename(doc["namespace"], collections)
        return doc


def _slots(doc: Any) -> list[tuple[dict[str, Any], str] | None]:
    """Per query, the (object, key) holding its dense vector, or None (a query by id)."""
    expect(doc, dict, "request")
    queries = doc.get("queries")
    if isinstance(queries, list) and queries:
        return [
            (q, "values") if isinstance(q, dict) and is_dense_vector(q.get("values")) else None
            for q in queries
        ]
    return [(doc, "vector") if is_dense_vector(doc.get("vector")) else None]


def _fetched(status: int, body: Any) -> list[str]:
    """The ids a fetch answered (``vectors`` maps each found id to its record)."""
    ok(status, "Pinecone fetch")
    vectors = field_of(body, "vectors", "Pinecone fetch")
    if not isinstance(vectors, dict):
        raise UnparseableResponseError("Pinecone fetch: vectors is not an object")
    return [str(i) for i in vectors]


_SCALES: dict[str, Scale] = {
    "cosine": SIMILARITY,
    "dotproduct": SIMILARITY,
    "euclidean": SQUARED_EUCLIDEAN,
}

ADAPTER = PineconeAdapter
