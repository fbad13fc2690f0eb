"""Milvus REST v2: ``POST /v2/vectordb/entities/search``.

Shapes from Milvus's RESTful reference
(https://milvus.io/api-reference/restful/v2.5.x/v2/Vector%20(v2)/Search.md).

Request: ``{"collectionName": "docs", "data": [[..], [..]], "annsField": "vector", "limit":
10, "outputFields": [...]}``: one ranked list per vector of ``data``. ``collectionName`` is
renamed through the route's ``collection_map``. ``data`` holding texts (a BM25 function
search) has no vector and is sent as is.

Answer: ``{"code": 0, "data": [{"id": 1, "distance": 0.93, ...}, ...], "topks": [3, 3]}``,
the hits of every query in one flat list, ``topks`` saying how many belong to each (without
``topks`` the list is one query's). Errors come back with HTTP 200 and ``{"code": 1100,
"message": "..."}``: unparseable. ``distance`` is a similarity for COSINE and IP metrics (the
default) and a distance for L2 (``options.score = "distance"``). The hit's primary key is
under its field's name: ``options.id_field`` (default ``id``).

Thresholds: a range search's ``searchParams.params.radius`` and ``range_filter`` (the reference
above and https://milvus.io/docs/range-search.md), one pair for every query of the request, in
the metric's own values: for ``COSINE`` and ``IP`` (similarities) results are kept with
``radius < score <= range_filter``; for ``L2`` (the squared Euclidean distance: "Milvus only
calculates the value before applying square root", https://milvus.io/docs/metric.md) with
``range_filter <= distance < radius``. The metric is the request's
``searchParams.metricType``, else ``options.metric`` (``COSINE``, ``IP``, ``L2``; default
``COSINE``, or ``L2`` with ``score = "distance"``). The answers' ``distance`` is in the same
scale.
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
    rename,
    score_option,
    vector_values,
)
from proxy.adapters.lookup import IdLookup, field_of, json_body, listed, native_id, ok
from proxy.adapters.scales import (
    SIMILARITY,
    SQUARED_EUCLIDEAN,
    Keeps,
    RequestThreshold,
    Scale,
    threshold_number,
)
from proxy.errors import AdapterError, UnparseableResponseError


class MilvusAdapter(RequestSide):
    """Reads Milvus REST v2 search answers; rewrites ``data`` and ``collectionName``."""

    name: ClassVar[str] = "milvus"

    def __init__(
        self, score: ScoreKind = "similarity", id_field: str = "id", metric: str | None = None
    ) -> None:
        """``score``: "distance" for L2 collections; ``id_field``: the primary key's name.

        ``metric``: the collection's metric (default ``cosine``, or ``l2`` for distances).
        """
        self.score: ScoreKind = score
        self.id_field = id_field
        self.metric = metric or ("cosine" if score == "similarity" else "l2")

    @classmethod
    def from_route(cls, route: RouteSpec, where: ErrorAt) -> MilvusAdapter:
        """Options: ``score``, ``id_field``."""
        check_options(route, where, "milvus", ("score", "id_field", "metric"))
        score = score_option(route, where)
        id_field = route.options.get("id_field", "id")
        if not isinstance(id_field, str) or not id_field:
            raise where.error("options.id_field", f"must be a field name, got {id_field!r}")
        return cls(score, id_field, metric_option(route, where, _SCALES))

    def thresholds(self, doc: Any) -> list[RequestThreshold]:
        """``radius`` and ``range_filter`` of ``searchParams.params``, when set."""
        params = _range_params(doc)
        if params is None:
            return []
        scale = _SCALES.get(self._metric(doc))
        reason = None if scale is not None else f"metric {self._metric(doc)} has no scale here"
        higher = scale is None or scale.closer == "higher"
        out = []
        for key in _RANGE_KEYS:
            value = threshold_number(params.get(key))
            if value is None:
                continue
            keeps: Keeps = "above" if (key == "radius") == higher else "below"
            out.append(
                RequestThreshold(f"searchParams.params.{key}", None, value, keeps, scale, reason)
            )
        return out

    def rewrite_thresholds(self, doc: Any, values: Mapping[int, float]) -> Any:
        """``radius`` and ``range_filter`` set, in the order :meth:`thresholds` found them."""
        params = _range_params(doc)
        if params is None:
            return doc
        keys = [k for k in _RANGE_KEYS if threshold_number(params.get(k)) is not None]
        for index, value in values.items():
            params[keys[index]] = value
        return doc

    def rescore(self, answer: Any, request: Any, rescale: Rescale) -> Any:
        """Each hit's ``distance`` rescaled in the metric's scale."""
        metric = self._metric(request)
        scale = _SCALES.get(metric)
        if scale is None:
            raise AdapterError(f"distances not rescaled: metric {metric} has no scale here")
        expect(answer, dict, "answer")
        for hit in expect(answer.get("data"), list, "data"):
            if isinstance(hit, dict) and threshold_number(hit.get("distance")) is not None:
                hit["distance"] = rescale(float(hit["distance"]), scale)
        return answer

    def _metric(self, doc: Any) -> str:
        """The request's ``searchParams.metricType`` (lower case), else the route's."""
        search_params = doc.get("searchParams") if isinstance(doc, dict) else None
        metric = search_params.get("metricType") if isinstance(search_params, dict) else None
        return metric.lower() if isinstance(metric, str) else self.metric

    def rankings(self, body: Any) -> list[Ranked]:
        """The flat hit list cut per query by ``topks``."""
        expect(body, dict, "answer")
        code = body.get("code", 0)
        if code not in (0, 200):  # 2.3 answered 200 for success
            raise UnparseableResponseError(
                f"answer: Milvus error {code}: {body.get('message', 'no message')}"
            )
        hits = expect(body.get("data"), list, "data")
        topks = body.get("topks")
        if topks is None:
            groups = [hits]
        else:
            expect(topks, list, "topks")
            if sum(topks) != len(hits) or any(not isinstance(t, int) or t < 0 for t in topks):
                raise UnparseableResponseError(
                    f"answer: topks {topks} do not add up to the {len(hits)} hits"
                )
            starts = [sum(topks[:i]) for i in range(len(topks))]
            groups = [hits[s : s + t] for s, t in zip(starts, topks, strict=True)]
        out = []
        for i, group in enumerate(groups):
            pairs = []
            for j, hit in enumerate(group):
                expect(hit, dict, f"query {i} hit {j}")
                pairs.append((hit.get(self.id_field), hit.get("distance")))
            out.append(ranked_from_pairs(pairs, self.score, f"query {i}"))
        return out

    def id_lookups(self, path: str, doc: Any, ids: Sequence[str]) -> list[IdLookup] | None:
        """``POST /v2/vectordb/entities/get`` with the collection, ids and the primary key only."""
        head = path.partition("?")[0]
        if not head.endswith("/entities/search") or not isinstance(doc, dict):
            return None
        collection = doc.get("collectionName")
        if not isinstance(collection, str):
            return None
        body: dict[str, Any] = {
            "collectionName": collection,
            "id": [native_id(i) for i in ids],
            "outputFields": [self.id_field],
        }
        if isinstance(doc.get("dbName"), str):
            body["dbName"] = doc["dbName"]
        target = head[: -len("/search")] + "/get"
        field = self.id_field

        def read(status: int, answer: Any) -> list[str]:
            ok(status, "Milvus get")
            if field_of(answer, "code", "Milvus get") != 0:
                raise UnparseableResponseError(f"Milvus get: {answer.get('message')}")
            rows = listed(field_of(answer, "data", "Milvus get"), "Milvus get data")
            return [str(field_of(r, field, "Milvus entity")) for r in rows]

        return [IdLookup("POST", target, json_body(body), tuple(ids), read)]

    def query_vectors(self, doc: Any) -> QueryVectors:
        """One query per element of ``data``; dense vectors only."""
        data = _data(doc)
        return QueryVectors(len(data), tuple(i for i, v in enumerate(data) if is_dense_vector(v)))

    def query_vector_values(self, doc: Any) -> list[list[float]]:
        """Each element of ``data`` that is a dense vector (texts give ``[]``)."""
        return [vector_values(value) for value in _data(doc)]

    def rewrite(
        self,
        doc: Any,
        vectors: Mapping[int, Sequence[float]],
        collections: Mapping[str, str],
    ) -> Any:
        """``data[i]`` replaced; ``collectionName`` renamed."""
        data = _data(doc)
        for index, vector in vectors.items():
            data[index] = list(vector)
        if "collectionName" in doc:
            doc["collectionName"] = rename(doc["collectionName"], collections)
        return doc


_SCALES: dict[str, Scale] = {"cosine": SIMILARITY, "ip": SIMILARITY, "l2": SQUARED_EUCLIDEAN}
_RANGE_KEYS = ("radius", "range_filter")


def _range_params(doc: Any) -> dict[str, Any] | None:
    """``searchParams.params`` when it is an object."""
    search_params = doc.get("searchParams") if isinstance(doc, dict) else None
    params = search_params.get("params") if isinstance(search_params, dict) else None
    return params if isinstance(params, dict) else None


def _data(doc: Any) -> list[Any]:
    expect(doc, dict, "request")
    data: list[Any] = expect(doc.get("data", []), list, "request.data")
    return data


ADAPTER = MilvusAdapter
