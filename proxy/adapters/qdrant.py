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

Thresholds: ``score_threshold`` of a search, a query, and each element of a batch's
``searches`` ("If provided - cut off results with worse scores", the API reference above and
https://qdrant.tech/documentation/concepts/search/). It is in the collection's own score: the
cosine (or dot product), kept above, for ``Cosine`` and ``Dot`` collections; the Euclidean
distance, kept below, for ``Euclid``; a Manhattan distance relates to no similarity and is
never translated. ``options.metric`` names the collection's distance (``cosine``, ``dot``,
``euclid``, ``manhattan``; default ``cosine``, or ``euclid`` with ``score = "distance"``).
The threshold of a query scored otherwise than by nearness to one vector (fusion, recommend,
discover, context, order_by, formula, sample) or by a sparse vector is not translated, nor
are its answer's scores.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

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
    score_option,
    texts_under,
    vector_values,
)
from proxy.adapters.lookup import IdLookup, field_of, json_body, listed, native_id, ok
from proxy.adapters.scales import (
    EUCLIDEAN,
    SIMILARITY,
    Keeps,
    RequestThreshold,
    Scale,
    threshold_number,
)
from proxy.errors import AdapterError, UnparseableResponseError


class QdrantAdapter(RequestSide):
    """Reads Qdrant search, query and batch answers; rewrites their dense query vectors."""

    name: ClassVar[str] = "qdrant"
    document_text: ClassVar[str | None] = (
        "a key of each point's payload (the search must ask for it: with_payload)"
    )

    def __init__(self, score: ScoreKind = "similarity", metric: str | None = None) -> None:
        """``score``: how the collection's metric reports closeness; ``metric``: its distance."""
        self.score: ScoreKind = score
        self.metric = metric or ("cosine" if score == "similarity" else "euclid")

    @classmethod
    def from_route(cls, route: RouteSpec, where: ErrorAt) -> QdrantAdapter:
        """Options: ``score = "similarity" | "distance"`` (default similarity), ``metric``."""
        check_options(route, where, "qdrant", ("score", "metric"))
        metric = metric_option(route, where, _SCALES)
        if metric is not None and "score" not in route.options:
            return cls(_SCORE_OF[metric], metric)
        score = score_option(route, where)
        if metric is not None and _SCORE_OF[metric] != score:
            raise where.error(
                "options.score", f"must be {_SCORE_OF[metric]!r} for metric {metric!r}"
            )
        return cls(score, metric)

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

    def query_vector_values(self, doc: Any) -> list[list[float]]:
        """Each search's dense vector (plain, named or nearest), where :meth:`rewrite` writes."""
        slots = [_slot(search) for search in _searches(doc)]
        return [[] if slot is None else vector_values(slot[0][slot[1]]) for slot in slots]

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

    def thresholds(self, doc: Any) -> list[RequestThreshold]:
        """``score_threshold`` of the search (or of each of ``searches``), when set."""
        batch = isinstance(doc, dict) and "searches" in doc
        out = []
        for index, search in enumerate(_searches(doc)):
            value = threshold_number(search.get("score_threshold"))
            if value is None:
                continue
            scale, reason = self._scale(search)
            field = f"searches[{index}].score_threshold" if batch else "score_threshold"
            keeps: Keeps = "below" if scale is not None and scale.closer == "lower" else "above"
            out.append(RequestThreshold(field, index, value, keeps, scale, reason))
        return out

    def rewrite_thresholds(self, doc: Any, values: Mapping[int, float]) -> Any:
        """``score_threshold`` set, in the order :meth:`thresholds` found them."""
        holders = [
            s for s in _searches(doc) if threshold_number(s.get("score_threshold")) is not None
        ]
        for index, value in values.items():
            holders[index]["score_threshold"] = value
        return doc

    def rescore(self, answer: Any, request: Any, rescale: Rescale) -> Any:
        """Each point's ``score`` rescaled (a batch's lists by their searches' kinds)."""
        searches = _searches(request)
        lists = _point_lists(answer)
        if len(lists) != len(searches):
            raise AdapterError(f"{len(lists)} result lists for {len(searches)} searches")
        for points, search in zip(lists, searches, strict=True):
            scale, reason = self._scale(search)
            if scale is None:
                raise AdapterError(f"scores not rescaled: {reason}")
            for point in points:
                if isinstance(point, dict) and threshold_number(point.get("score")) is not None:
                    point["score"] = rescale(float(point["score"]), scale)
        return answer

    def _scale(self, search: dict[str, Any]) -> tuple[Scale | None, str | None]:
        """The scale of a search's scores, or None and why."""
        scale = _SCALES[self.metric]
        if scale is None:
            return None, "a Manhattan distance relates to no similarity"
        kind = _query_kind(search)
        if kind is not None:
            return None, f"a {kind} query is not scored by nearness to one dense vector"
        return scale, None

    def id_lookups(
        self,
        path: str,
        doc: Any,  # noqa: ARG002 - the collection is in the path
        ids: Sequence[str],
    ) -> list[IdLookup] | None:
        """``POST /collections/{name}/points`` with the ids, no payload, no vector."""
        base, found, _ = path.partition("?")[0].rpartition("/points/")
        if not found or "/collections/" not in base:
            return None
        body = json_body(
            {"ids": [native_id(i) for i in ids], "with_payload": False, "with_vector": False}
        )
        return [IdLookup("POST", base + "/points", body, tuple(ids), _found_points)]

    def _points(self, points: list[Any], where: str) -> Ranked:
        pairs = []
        for i, point in enumerate(points):
            if type(point) is not dict:
                expect(point, dict, f"{where}[{i}]")
            pairs.append((point.get("id"), point.get("score")))
        return ranked_from_pairs(pairs, self.score, where)


def _found_points(status: int, body: Any) -> list[str]:
    """The ids of a ``points`` answer (Qdrant lists only the points it has)."""
    ok(status, "Qdrant points")
    points = listed(field_of(body, "result", "Qdrant points"), "Qdrant points result")
    return [str(field_of(p, "id", "Qdrant point")) for p in points]


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


_SCALES: dict[str, Scale | None] = {
    "cosine": SIMILARITY,
    "dot": SIMILARITY,
    "euclid": EUCLIDEAN,
    "manhattan": None,
}
_SCORE_OF: dict[str, ScoreKind] = {
    "cosine": "similarity",
    "dot": "similarity",
    "euclid": "distance",
    "manhattan": "distance",
}
_NOT_NEAREST = ("fusion", "recommend", "discover", "context", "order_by", "formula", "sample")


def _query_kind(search: dict[str, Any]) -> str | None:
    """None for a search scored by nearness to one dense vector (or point), else its kind."""
    if "vector" in search:
        vector = search["vector"]
        inner = vector.get("vector") if isinstance(vector, dict) else vector
        return None if is_dense_vector(inner) else "sparse"
    query = search.get("query")
    if isinstance(query, dict):
        for kind in _NOT_NEAREST:
            if kind in query:
                return kind
        query = query.get("nearest", query)
    if query is None or is_dense_vector(query) or isinstance(query, int | str):
        return None
    if isinstance(query, dict) and "indices" in query:
        return "sparse"
    if isinstance(query, list) and query and all(is_dense_vector(v) for v in query):
        return "multi-vector"
    return "non-vector"


def _point_lists(answer: Any) -> list[list[Any]]:
    """The answer's point lists, one per query (as :meth:`QdrantAdapter.rankings` reads them)."""
    expect(answer, dict, "answer")
    result = answer.get("result")
    if isinstance(result, dict):
        return [expect(result.get("points"), list, "result.points")]
    expect(result, list, "result")
    if result and all(isinstance(r, list) for r in result):
        return list(result)
    if result and all(isinstance(r, dict) and "points" in r for r in result):
        return [expect(r["points"], list, f"result[{i}].points") for i, r in enumerate(result)]
    return [result]


ADAPTER = QdrantAdapter
