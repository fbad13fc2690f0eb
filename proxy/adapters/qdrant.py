"""Qdrant's search API: ``points/search``, ``points/query`` and their ``/batch`` forms.

Shapes from the API reference (https://api.qdrant.tech/api-reference/search/points and
https://api.qdrant.tech/api-reference/search/query-points).

Requests: search takes ``{"vector": [..] | {"name": "text", "vector": [..]}, "limit": 10}``;
query takes ``{"query": [..] | {"nearest": [..]} | <point id> | {...}, "using": "text"}``;
the batch forms take ``{"searches": [<search or query>, ...]}``, one ranked list each. The
collection is in the path (``/collections/{collection}/points/...``): the route's
``collection_map`` renames it. Only dense vectors are re-embedded; a sparse vector, a point id
or a recommend query is sent unchanged.

Answers: search gives ``{"result": [{"id": 1, "score": 0.9, ...}], "status": "ok"}``; query
gives ``{"result": {"points": [...]}}``; batch search gives ``{"result": [[...], [...]]}`` and
batch query ``{"result": [{"points": [...]}, ...]}``. Scores are similarities for cosine and
dot, and distances for Euclid and Manhattan (set ``options.score = "distance"`` for those).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from proxy.adapters.base import (
    ErrorAt,
    QueryVectors,
    Ranked,
    RequestSide,
    RouteSpec,
    ScoreKind,
    check_options,
    expect,
    is_dense_vector,
    ranked_from_pairs,
    score_option,
    texts_under,
)
from proxy.errors import AdapterError, UnparseableResponseError


class QdrantAdapter(RequestSide):
    """Reads Qdrant search, query and batch answers; rewrites their dense query vectors."""

    name: ClassVar[str] = "qdrant"
    document_text: ClassVar[str | None] = (
        "a key of each point's payload (the search must ask for it: with_payload)"
    )

    def __init__(self, score: ScoreKind = "similarity") -> None:
        """``score``: how the collection's metric reports closeness."""
        self.score: ScoreKind = score

    @classmethod
    def from_route(cls, route: RouteSpec, where: ErrorAt) -> QdrantAdapter:
        """Options: ``score = "similarity" | "distance"`` (default similarity)."""
        check_options(route, where, "qdrant", ("score",))
        score = score_option(route, where)
        return cls(score)

    def rankings(self, body: Any) -> list[Ranked]:
        """One list for search and query, one per query for batch search."""
        expect(body, dict, "answer")
        if "result" not in body:
            raise UnparseableResponseError("answer: no 'result' field (is this a Qdrant error?)")
        result = body["result"]
        if isinstance(result, dict):  # points/query
            return [
                self._points(expect(result.get("points"), list, "result.points"), "result.points")
            ]
        expect(result, list, "result")
        if result and all(isinstance(r, list) for r in result):  # batch search
            return [self._points(r, f"result[{i}]") for i, r in enumerate(result)]
        if result and all(isinstance(r, dict) and "points" in r for r in result):  # batch query
            return [
                self._points(expect(r["points"], list, f"result[{i}].points"), f"result[{i}]")
                for i, r in enumerate(result)
            ]
        return [self._points(result, "result")]

    def document_texts(self, body: Any, field: str) -> list[tuple[str | None, ...]]:
        """``payload[field]`` of each point, for every answer shape :meth:`rankings` reads."""
        result = body.get("result") if isinstance(body, dict) else None
        if isinstance(result, dict):
            lists = [result.get("points")]
        elif isinstance(result, list) and result and all(isinstance(r, list) for r in result):
            lists = result
        elif (
            isinstance(result, list)
            and result
            and all(isinstance(r, dict) and "points" in r for r in result)
        ):
            lists = [r["points"] for r in result]
        else:
            lists = [result]
        return [texts_under(points, "payload", field) for points in lists]

    def query_vectors(self, doc: Any) -> QueryVectors:
        """One query, or one per element of ``searches``; which carry a dense vector."""
        searches = _searches(doc)
        with_vector = tuple(i for i, s in enumerate(searches) if _slot(s) is not None)
        return QueryVectors(len(searches), with_vector)

    def rewrite(
        self,
        doc: Any,
        vectors: Mapping[int, Sequence[float]],
        collections: Mapping[str, str],  # noqa: ARG002 - Qdrant names it in the path
    ) -> Any:
        """Each query's dense vector replaced, keeping its vector name."""
        searches = _searches(doc)
        for index, vector in vectors.items():
            slot = _slot(searches[index])
            if slot is None:
                raise AdapterError(f"query {index} has no dense vector to replace")
            holder, key = slot
            holder[key] = list(vector)
        return doc

    def _points(self, points: list[Any], where: str) -> Ranked:
        pairs = []
        for i, point in enumerate(points):
            expect(point, dict, f"{where}[{i}]")
            pairs.append((point.get("id"), point.get("score")))
        return ranked_from_pairs(pairs, self.score, where)


def _searches(doc: Any) -> list[dict[str, Any]]:
    expect(doc, dict, "request")
    if "searches" in doc:
        searches: list[dict[str, Any]] = expect(doc["searches"], list, "request.searches")
        for i, search in enumerate(searches):
            expect(search, dict, f"request.searches[{i}]")
        return searches
    return [doc]


def _slot(search: dict[str, Any]) -> tuple[dict[str, Any], str] | None:
    """The (object, key) holding a search's dense vector, or None (sparse, id, recommend)."""
    for key in ("vector", "query"):
        value = search.get(key)
        if is_dense_vector(value):
            return search, key
        if isinstance(value, dict):
            for inner in ("vector", "nearest"):  # named vector; nearest query
                if is_dense_vector(value.get(inner)):
                    return value, inner
    return None


ADAPTER = QdrantAdapter
