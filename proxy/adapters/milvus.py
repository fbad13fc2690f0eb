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
    rename,
    score_option,
)
from proxy.errors import UnparseableResponseError


class MilvusAdapter(RequestSide):
    """Reads Milvus REST v2 search answers; rewrites ``data`` and ``collectionName``."""

    name: ClassVar[str] = "milvus"

    def __init__(self, score: ScoreKind = "similarity", id_field: str = "id") -> None:
        """``score``: "distance" for L2 collections; ``id_field``: the primary key's name."""
        self.score: ScoreKind = score
        self.id_field = id_field

    @classmethod
    def from_route(cls, route: RouteSpec, where: ErrorAt) -> MilvusAdapter:
        """Options: ``score``, ``id_field``."""
        check_options(route, where, "milvus", ("score", "id_field"))
        score = score_option(route, where)
        id_field = route.options.get("id_field", "id")
        if not isinstance(id_field, str) or not id_field:
            raise where.error("options.id_field", f"must be a field name, got {id_field!r}")
        return cls(score, id_field)

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

    def query_vectors(self, doc: Any) -> QueryVectors:
        """One query per element of ``data``; dense vectors only."""
        data = _data(doc)
        return QueryVectors(len(data), tuple(i for i, v in enumerate(data) if is_dense_vector(v)))

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


def _data(doc: Any) -> list[Any]:
    expect(doc, dict, "request")
    data: list[Any] = expect(doc.get("data", []), list, "request.data")
    return data


ADAPTER = MilvusAdapter
