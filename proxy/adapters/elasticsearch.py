"""Elasticsearch and OpenSearch kNN search: ``POST /{index}/_search`` and ``_msearch``.

Shapes from the public references:
Elasticsearch https://www.elastic.co/guide/en/elasticsearch/reference/current/knn-search.html
(top-level ``knn``) and .../query-dsl-knn-query.html (``query.knn``); OpenSearch
https://opensearch.org/docs/latest/search-plugins/knn/approximate-knn/ (``query.knn.<field>``);
multi-search https://www.elastic.co/guide/en/elasticsearch/reference/current/search-multi-search.html.

Requests: a search is one query. Its vectors are wherever a ``knn`` object carries one:
Elasticsearch's ``{"knn": {"field": "vec", "query_vector": [..], "k": 10, "num_candidates":
100}}`` (an object or a list of them, at the top level, in ``query`` or in a retriever) and
OpenSearch's ``{"query": {"knn": {"vec": {"vector": [..], "k": 10}}}}``. All of them take the
query's new vector. ``_msearch`` is NDJSON, a header line (``{"index": "docs"}``) and a body
line per search: one query per body, the header's ``index`` renamed through the route's
``collection_map``. The index in the path is renamed by the route's path template.
``query_vector_builder`` (the engine embeds the text itself) has no vector: sent unchanged.

Answers: ``{"hits": {"hits": [{"_id": "a", "_score": 0.93}, ...]}}``; ``_msearch`` gives
``{"responses": [<search answer> | {"error": {...}, "status": 400}]}``. ``_score`` is a
similarity (Elasticsearch maps cosine to ``(1 + cos) / 2``; OpenSearch l2 to ``1 / (1 + d)``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from proxy.adapters.base import (
    ErrorAt,
    QueryVectors,
    Ranked,
    RequestSide,
    RouteSpec,
    check_options,
    dump_json,
    expect,
    is_dense_vector,
    parse_json,
    ranked_from_pairs,
    rename,
    texts_under,
)
from proxy.errors import AdapterError, UnparseableResponseError
from proxy.jsondoc import loads


@dataclass(slots=True)
class MultiSearch:
    """An ``_msearch`` body: (header, body) pairs, one search each."""

    pairs: list[tuple[dict[str, Any], dict[str, Any]]]


class ElasticsearchAdapter(RequestSide):
    """Reads search and multi-search answers; rewrites kNN query vectors."""

    name: ClassVar[str] = "elasticsearch"
    document_text: ClassVar[str | None] = (
        "a field of each hit's _source (keys joined by dots; or of its fields, when the search "
        "asks for fields)"
    )

    @classmethod
    def from_route(cls, route: RouteSpec, where: ErrorAt) -> ElasticsearchAdapter:
        """No options (OpenSearch uses this adapter too)."""
        check_options(route, where, "elasticsearch")
        return cls()

    def rankings(self, body: Any) -> list[Ranked]:
        """One list for a search; one per response of a multi-search."""
        expect(body, dict, "answer")
        if "responses" in body:
            responses = expect(body["responses"], list, "responses")
            return [_hits(r, f"responses[{i}]") for i, r in enumerate(responses)]
        return [_hits(body, "answer")]

    def parse_request(self, body: bytes) -> Any:
        """A JSON search body, or an NDJSON multi-search as :class:`MultiSearch`."""
        try:
            return loads(body)
        except (ValueError, UnicodeDecodeError):
            pass
        lines = [line for line in body.split(b"\n") if line.strip()]
        if len(lines) % 2:
            raise AdapterError("request: neither JSON nor NDJSON header/body pairs")
        docs = [parse_json(line, f"request line {n + 1}") for n, line in enumerate(lines)]
        for n, doc in enumerate(docs):
            expect(doc, dict, f"request line {n + 1}")
        return MultiSearch(list(zip(docs[::2], docs[1::2], strict=True)))

    def dump_request(self, doc: Any) -> bytes:
        """JSON, or NDJSON (newline-terminated) for a multi-search."""
        if isinstance(doc, MultiSearch):
            return b"".join(dump_json(d) + b"\n" for pair in doc.pairs for d in pair)
        return dump_json(doc)

    def document_texts(self, body: Any, field: str) -> list[tuple[str | None, ...]]:
        """``_source[field]`` of each hit (else ``fields[field]``), per search answered."""
        if not isinstance(body, dict):
            return []
        answers = body.get("responses") if "responses" in body else [body]
        if not isinstance(answers, list):
            return []
        out = []
        for answer in answers:
            outer = answer.get("hits") if isinstance(answer, dict) else None
            hits = outer.get("hits") if isinstance(outer, dict) else None
            sources = texts_under(hits, "_source", field)
            fields = texts_under(hits, "fields", field)
            pairs = zip(sources, fields, strict=True)
            out.append(tuple(s if s is not None else f for s, f in pairs))
        return out

    def query_vectors(self, doc: Any) -> QueryVectors:
        """One query per search body; those with a kNN vector carry one."""
        bodies = _bodies(doc)
        with_vector = tuple(i for i, b in enumerate(bodies) if any(True for _ in _slots(b)))
        return QueryVectors(len(bodies), with_vector)

    def rewrite(
        self,
        doc: Any,
        vectors: Mapping[int, Sequence[float]],
        collections: Mapping[str, str],
    ) -> Any:
        """Every kNN vector of search ``i`` replaced by ``vectors[i]``; headers' index renamed."""
        bodies = _bodies(doc)
        for index, vector in vectors.items():
            for holder, key in list(_slots(bodies[index])):
                holder[key] = list(vector)
        if isinstance(doc, MultiSearch):
            for header, _ in doc.pairs:
                if "index" in header:
                    header["index"] = rename(header["index"], collections)
        return doc


def _bodies(doc: Any) -> list[Any]:
    if isinstance(doc, MultiSearch):
        return [body for _, body in doc.pairs]
    expect(doc, dict, "request")
    return [doc]


def _slots(node: Any) -> Iterator[tuple[dict[str, Any], str]]:
    """Every (object, key) holding a kNN query vector under ``node``."""
    if isinstance(node, list):
        for item in node:
            yield from _slots(item)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key == "knn":
            yield from _knn_slots(value)
        else:
            yield from _slots(value)


def _knn_slots(value: Any) -> Iterator[tuple[dict[str, Any], str]]:
    clauses = value if isinstance(value, list) else [value]
    for clause in clauses:
        if not isinstance(clause, dict):
            continue
        if "query_vector" in clause or "field" in clause:  # Elasticsearch
            if is_dense_vector(clause.get("query_vector")):
                yield clause, "query_vector"
            continue
        for field in clause.values():  # OpenSearch: {"<field>": {"vector": [..], "k": 10}}
            if isinstance(field, dict) and is_dense_vector(field.get("vector")):
                yield field, "vector"


def _hits(answer: Any, where: str) -> Ranked:
    expect(answer, dict, where)
    if "error" in answer:
        error = answer["error"]
        reason = error.get("reason", error) if isinstance(error, dict) else error
        raise UnparseableResponseError(f"{where}: the search failed ({reason})")
    outer = expect(answer.get("hits"), dict, f"{where}.hits")
    hits = expect(outer.get("hits"), list, f"{where}.hits.hits")
    pairs = []
    for j, hit in enumerate(hits):
        expect(hit, dict, f"{where}.hits.hits[{j}]")
        pairs.append((hit.get("_id"), hit.get("_score")))
    return ranked_from_pairs(pairs, "similarity", f"{where}.hits.hits")


ADAPTER = ElasticsearchAdapter
