"""Typesense's vector search: ``POST /multi_search`` (and a single collection's ``search``).

Shapes from Typesense's API reference (https://typesense.org/docs/0.24.0/api/vector-search.html
and https://typesense.org/docs/0.24.0/api/federated-multi-search.html).

Request: ``{"searches": [{"collection": "docs", "q": "*", "vector_query":
"vec:([0.1, 0.2], k: 10)", "per_page": 10}, ...]}``, one ranked list per search. The vector
lives *inside a string*: ``field:([floats], option: value, ...)``; it is parsed and written back
with only the numbers changed. ``vec:([], id: 42)`` (similar to a document) has no vector and
is sent as is. A search's ``collection`` (or a ``collection`` common parameter in the query
string) is renamed through the route's ``collection_map``.

Answer: ``{"results": [{"found": 2, "hits": [{"document": {"id": "a", ...},
"vector_distance": 0.12}, ...]}, {"error": "...", "code": 404}]}``; a single collection's
search answers one such result (``{"hits": [...]}``). ``vector_distance`` is a cosine
distance (lower is closer), reported as ``1 - d``. A result that is an error, or hits without
``vector_distance`` (not a vector search), make the answer unparseable.

Thresholds: ``distance_threshold`` inside a search's ``vector_query``
(``vec:([...], k: 10, distance_threshold: 0.30)``, https://typesense.org/docs/27.1/api/vector-search.html#distance-threshold):
a cosine distance ``1 - cos``, kept below; rewritten in place, number only. Answers'
``vector_distance`` is the same distance.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlencode

from proxy.adapters.base import (
    CollectionLookup,
    ErrorAt,
    QueryVectors,
    Ranked,
    RequestSide,
    Rescale,
    RouteSpec,
    check_options,
    expect,
    ranked_from_pairs,
    rename,
    texts_under,
    vector_text,
)
from proxy.adapters.lookup import IdLookup, field_of, listed, ok
from proxy.adapters.scales import COSINE_DISTANCE, RequestThreshold, threshold_number
from proxy.errors import AdapterError, UnparseableResponseError

_VECTOR_QUERY = re.compile(
    r"^(?P<head>\s*[^:()\s]+\s*:\s*\(\s*)\[(?P<numbers>[^\]]*)\](?P<tail>.*\)\s*)$", re.DOTALL
)


def parse_vector_query(text: str) -> tuple[str, list[float], str]:
    """Split ``vec:([1, 2], k: 10)`` into ``("vec:(", [1.0, 2.0], ", k: 10)")``.

    AdapterError when the text is not a vector query or a number does not parse.
    """
    found = _VECTOR_QUERY.match(text)
    if found is None:
        raise AdapterError("vector_query is not of the form field:([numbers], ...)")
    numbers = found["numbers"].strip()
    try:
        vector = [float(x) for x in numbers.split(",")] if numbers else []
    except ValueError as e:
        raise AdapterError(f"vector_query holds something other than numbers: {e}") from e
    return found["head"], vector, found["tail"]


class TypesenseAdapter(RequestSide):
    """Reads multi-search answers; rewrites ``vector_query`` vectors and collection names."""

    name: ClassVar[str] = "typesense"
    document_text: ClassVar[str | None] = "a field of each hit's document"

    @classmethod
    def from_route(cls, route: RouteSpec, where: ErrorAt) -> TypesenseAdapter:
        """No options."""
        check_options(route, where, "typesense")
        return cls()

    def rankings(self, body: Any) -> list[Ranked]:
        """One list per search of a multi-search, or one for a single search."""
        expect(body, dict, "answer")
        if "results" in body:
            results = expect(body["results"], list, "results")
            return [_result(r, f"results[{i}]") for i, r in enumerate(results)]
        return [_result(body, "answer")]

    def document_texts(self, body: Any, field: str) -> list[tuple[str | None, ...]]:
        """``document[field]`` of each hit, per search of a multi-search."""
        if not isinstance(body, dict):
            return []
        results = body.get("results") if "results" in body else [body]
        if not isinstance(results, list):
            return []
        return [
            texts_under(r.get("hits") if isinstance(r, dict) else None, "document", field)
            for r in results
        ]

    def query_vectors(self, doc: Any) -> QueryVectors:
        """One query per search; those whose ``vector_query`` has numbers carry a vector."""
        searches = _searches(doc)
        with_vector = tuple(
            i
            for i, s in enumerate(searches)
            if isinstance(s.get("vector_query"), str) and parse_vector_query(s["vector_query"])[1]
        )
        return QueryVectors(len(searches), with_vector)

    def query_vector_values(self, doc: Any) -> list[list[float]]:
        """The numbers inside each search's ``vector_query`` (none, or ``[]`` by id: ``[]``)."""
        return [
            parse_vector_query(s["vector_query"])[1]
            if isinstance(s.get("vector_query"), str)
            else []
            for s in _searches(doc)
        ]

    def rewrite(
        self,
        doc: Any,
        vectors: Mapping[int, Sequence[float]],
        collections: Mapping[str, str],
    ) -> Any:
        """New numbers in each ``vector_query``; each ``collection`` renamed."""
        searches = _searches(doc)
        for index, vector in vectors.items():
            head, _, tail = parse_vector_query(searches[index]["vector_query"])
            searches[index]["vector_query"] = head + vector_text(vector) + tail
        for search in searches:
            if "collection" in search:
                search["collection"] = rename(search["collection"], collections)
        return doc

    async def shadow_path(
        self,
        raw_path: str,
        collections: Mapping[str, str],
        lookup: CollectionLookup,  # noqa: ARG002 - nothing to resolve
    ) -> str:
        """A ``collection`` common parameter in the query string renamed."""
        path, sep, query = raw_path.partition("?")
        if not sep or not collections:
            return raw_path
        pairs = parse_qsl(query, keep_blank_values=True)
        if not any(k == "collection" and v in collections for k, v in pairs):
            return raw_path
        renamed = [(k, rename(v, collections) if k == "collection" else v) for k, v in pairs]
        return path + "?" + urlencode(renamed)

    def id_lookups(self, path: str, doc: Any, ids: Sequence[str]) -> list[IdLookup] | None:
        """``GET /collections/{c}/documents/search?q=*&filter_by=id:[...]`` (250 ids a page).

        The collection is the path's, else the (first) search's, else the query string's.
        """
        head, _, query = path.partition("?")
        found = re.search(r"/collections/([^/]+)/documents/search$", head)
        collection = found[1] if found else None
        if collection is None:
            searches = _searches(doc)
            named = searches[0].get("collection") if searches else None
            common = dict(parse_qsl(query)).get("collection")
            collection = named if isinstance(named, str) else common
        if not collection:
            return None
        base = head.split("/collections/")[0] if found else head.rsplit("/", 1)[0]
        lookups = []
        for start in range(0, len(ids), 250):
            chunk = tuple(ids[start : start + 250])
            quoted = ",".join(f"`{i}`" for i in chunk)
            params = {"q": "*", "filter_by": f"id:[{quoted}]", "per_page": 250,
                      "include_fields": "id"}  # fmt: skip
            target = f"{base}/collections/{collection}/documents/search?{urlencode(params)}"
            lookups.append(IdLookup("GET", target, None, chunk, _found_documents))
        return lookups

    def thresholds(self, doc: Any) -> list[RequestThreshold]:
        """``distance_threshold`` of each search's ``vector_query``, when set."""
        out = []
        for index, search in enumerate(_searches(doc)):
            found = _distance_threshold(search)
            if found is not None:
                field = "vector_query.distance_threshold"
                out.append(
                    RequestThreshold(field, index, float(found[2]), "below", COSINE_DISTANCE)
                )
        return out

    def rewrite_thresholds(self, doc: Any, values: Mapping[int, float]) -> Any:
        """The numbers of ``distance_threshold`` replaced, the rest of the text kept."""
        holders = [s for s in _searches(doc) if _distance_threshold(s) is not None]
        for index, value in values.items():
            found = _distance_threshold(holders[index])
            assert found is not None
            start, end, _ = found
            text = holders[index]["vector_query"]
            holders[index]["vector_query"] = text[:start] + repr(float(value)) + text[end:]
        return doc

    def rescore(self, answer: Any, request: Any, rescale: Rescale) -> Any:  # noqa: ARG002
        """Each hit's ``vector_distance`` rescaled (a cosine distance)."""
        expect(answer, dict, "answer")
        results = answer.get("results", [answer])
        for result in results if isinstance(results, list) else []:
            hits = result.get("hits") if isinstance(result, dict) else None
            for hit in hits if isinstance(hits, list) else []:
                if (
                    isinstance(hit, dict)
                    and threshold_number(hit.get("vector_distance")) is not None
                ):
                    hit["vector_distance"] = rescale(float(hit["vector_distance"]), COSINE_DISTANCE)
        return answer


_DISTANCE_THRESHOLD = re.compile(
    r"\bdistance_threshold\s*:\s*(?P<value>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)"
)


def _distance_threshold(search: dict[str, Any]) -> tuple[int, int, float] | None:
    """(start, end, value) of the number of ``distance_threshold`` in ``vector_query``."""
    text = search.get("vector_query")
    if not isinstance(text, str):
        return None
    try:
        head, _, tail = parse_vector_query(text)
    except AdapterError:
        return None
    found = _DISTANCE_THRESHOLD.search(text, len(text) - len(tail))
    if found is None or not head:
        return None
    return found.start("value"), found.end("value"), float(found["value"])


def _found_documents(status: int, body: Any) -> list[str]:
    """The ids of a filtered search's hits."""
    ok(status, "Typesense documents")
    hits = listed(field_of(body, "hits", "Typesense documents"), "Typesense hits")
    return [str(field_of(field_of(h, "document", "hit"), "id", "hit.document")) for h in hits]


def _searches(doc: Any) -> list[dict[str, Any]]:
    expect(doc, dict, "request")
    if "searches" not in doc:
        return [doc]
    searches: list[dict[str, Any]] = expect(doc["searches"], list, "request.searches")
    for i, search in enumerate(searches):
        expect(search, dict, f"request.searches[{i}]")
    return searches


def _result(result: Any, where: str) -> Ranked:
    expect(result, dict, where)
    if "error" in result:
        raise UnparseableResponseError(
            f"{where}: the search failed ({result.get('code')}: {result['error']})"
        )
    hits = expect(result.get("hits"), list, f"{where}.hits")
    pairs = []
    for j, hit in enumerate(hits):
        expect(hit, dict, f"{where}.hits[{j}]")
        document = expect(hit.get("document"), dict, f"{where}.hits[{j}].document")
        if "vector_distance" not in hit:
            raise UnparseableResponseError(
                f"{where}.hits[{j}] has no vector_distance (is this a vector search?)"
            )
        pairs.append((document.get("id"), hit["vector_distance"]))
    return ranked_from_pairs(pairs, "distance", f"{where}.hits")


ADAPTER = TypesenseAdapter
