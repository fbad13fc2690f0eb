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

Thresholds (``options.similarity``: the vector field's ``similarity`` in Elasticsearch,
``cosine`` by default, ``dot_product``, ``l2_norm``, ``max_inner_product``; or its OpenSearch
``space_type``, ``cosinesimil``, ``l2``, ``innerproduct``):

- a kNN clause's ``similarity`` (Elasticsearch), "the minimum similarity required for a
  document to be considered a match ... relates to the raw similarity used, not the document
  score" (.../knn-search.html and .../query-dsl-knn-query.html): the cosine or dot product,
  kept above, or for ``l2_norm`` the L2 distance, kept below;
- an OpenSearch kNN clause's radial ``max_distance`` (the space's distance: ``1 - cos`` for
  ``cosinesimil``, the squared L2 for ``l2``, ``-dot`` for ``innerproduct``, kept below) and
  ``min_score`` (the OpenSearch score, kept above)
  (https://opensearch.org/docs/latest/search-plugins/knn/radial-search-knn/ and
  https://opensearch.org/docs/latest/field-types/supported-field-types/knn-spaces/);
- the top-level ``min_score``, a minimum ``_score`` (.../search-search.html): ``(1 + cos) / 2``
  for cosine and dot product, ``1 / (1 + l2²)`` for L2, ``dot + 1`` (``1 / (1 - dot)`` below
  zero) for the inner products (.../dense-vector.html#dense-vector-similarity). Only a search
  that is one kNN clause without ``boost`` scores so; the ``min_score`` of any other search
  (a query beside the kNN, several clauses, a retriever tree) is not translated, nor are its
  answer's scores.
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
    Rescale,
    RouteSpec,
    check_options,
    dump_json,
    expect,
    is_dense_vector,
    parse_json,
    ranked_from_pairs,
    rename,
    texts_under,
    vector_values,
)
from proxy.adapters.lookup import IdLookup, field_of, json_body, listed, ok
from proxy.adapters.scales import (
    COSINE_DISTANCE,
    EUCLIDEAN,
    INNER_PRODUCT_SCORE,
    INVERSE_SQUARED_EUCLIDEAN,
    NEGATIVE_SIMILARITY,
    SIMILARITY,
    SQUARED_EUCLIDEAN,
    UNIT_SIMILARITY,
    Keeps,
    RequestThreshold,
    Scale,
    threshold_number,
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

    def __init__(self, similarity: str = "cosine") -> None:
        """``similarity``: the vector field's similarity (or OpenSearch space type)."""
        self.similarity = _FAMILY[similarity]

    @classmethod
    def from_route(cls, route: RouteSpec, where: ErrorAt) -> ElasticsearchAdapter:
        """Options: ``similarity`` (OpenSearch uses this adapter too)."""
        check_options(route, where, "elasticsearch", ("similarity",))
        similarity = route.options.get("similarity", "cosine")
        if similarity not in _FAMILY:
            raise where.error(
                "options.similarity", f"must be one of {', '.join(_FAMILY)}, got {similarity!r}"
            )
        return cls(similarity)

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

    def id_lookups(self, path: str, doc: Any, ids: Sequence[str]) -> list[IdLookup] | None:
        """``POST /{index}/_mget?_source=false``: the path's index, else a multi-search's first."""
        head = path.partition("?")[0]
        index = (
            head.rsplit("/", 1)[0].strip("/")
            if head.rstrip("/").endswith(("/_search", "/_msearch", "/_knn_search"))
            else ""
        )
        if not index and isinstance(doc, MultiSearch) and doc.pairs:
            named = doc.pairs[0][0].get("index")
            index = named if isinstance(named, str) else ""
        if not index or "," in index or "*" in index:
            return None  # no one index to ask
        body = json_body({"ids": list(ids)})
        return [IdLookup("POST", f"/{index}/_mget?_source=false", body, tuple(ids), _found_docs)]

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

    def query_vector_values(self, doc: Any) -> list[list[float]]:
        """Each search body's first kNN query vector (:meth:`rewrite` replaces them all)."""
        firsts = [next(_slots(body), None) for body in _bodies(doc)]
        return [[] if slot is None else vector_values(slot[0][slot[1]]) for slot in firsts]

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

    def thresholds(self, doc: Any) -> list[RequestThreshold]:
        """The ``similarity`` (or ``max_distance``, ``min_score``) of kNN clauses; ``min_score``."""
        return [
            RequestThreshold(field, index, value, keeps, scale, reason)
            for index, (holder, key, field, keeps, scale, reason) in self._threshold_slots(doc)
            if (value := threshold_number(holder[key])) is not None
        ]

    def rewrite_thresholds(self, doc: Any, values: Mapping[int, float]) -> Any:
        """Each threshold set where :meth:`thresholds` found it."""
        slots = [
            (holder, key)
            for _, (holder, key, *_) in self._threshold_slots(doc)
            if threshold_number(holder[key]) is not None
        ]
        for index, value in values.items():
            holder, key = slots[index]
            holder[key] = value
        return doc

    def rescore(self, answer: Any, request: Any, rescale: Rescale) -> Any:
        """Each hit's ``_score`` (and ``max_score``) rescaled, for one-clause kNN searches."""
        bodies = _bodies(request)
        expect(answer, dict, "answer")
        answers = answer.get("responses", [answer])
        if not isinstance(answers, list) or len(answers) != len(bodies):
            raise AdapterError("the answer does not hold one response per search")
        scale = _SCORE[self.similarity]
        for body, one in zip(bodies, answers, strict=True):
            reason = _not_one_knn(body)
            if reason is not None:
                raise AdapterError(f"_score not rescaled: {reason}")
            outer = one.get("hits") if isinstance(one, dict) else None
            if not isinstance(outer, dict):
                continue
            if threshold_number(outer.get("max_score")) is not None:
                outer["max_score"] = rescale(float(outer["max_score"]), scale)
            for hit in outer.get("hits") or []:
                if isinstance(hit, dict) and threshold_number(hit.get("_score")) is not None:
                    hit["_score"] = rescale(float(hit["_score"]), scale)
        return answer

    def _threshold_slots(self, doc: Any) -> Iterator[tuple[int, _Slot]]:
        """(search index, threshold slot) of every threshold key present, in document order."""
        family = self.similarity
        for index, body in enumerate(_bodies(doc)):
            for clause, where in _knn_clauses(body, ""):
                if _is_es_clause(clause):
                    if "similarity" in clause:
                        scale = _RAW[family]
                        yield index, (clause, "similarity", f"{where}.similarity",
                                      _keeps(scale), scale, None)  # fmt: skip
                    continue
                for name, field in clause.items():
                    if not isinstance(field, dict):
                        continue
                    for key, scale in (("max_distance", _DISTANCE[family]),
                                       ("min_score", _SCORE[family])):  # fmt: skip
                        if key in field:
                            yield index, (field, key, f"{where}.{name}.{key}",
                                          _keeps(scale), scale, None)  # fmt: skip
            if isinstance(body, dict) and "min_score" in body:
                reason = _not_one_knn(body)
                score = _SCORE[family] if reason is None else None
                keeps: Keeps = "above"
                yield index, (body, "min_score", "min_score", keeps, score, reason)


_Slot = tuple[dict[str, Any], str, str, Keeps, Scale | None, str | None]
_FAMILY = {
    "cosine": "cosine",
    "dot_product": "dot",
    "l2_norm": "l2",
    "max_inner_product": "ip",
    "cosinesimil": "cosine",
    "l2": "l2",
    "innerproduct": "ip",
}
_RAW: dict[str, Scale] = {"cosine": SIMILARITY, "dot": SIMILARITY, "l2": EUCLIDEAN,
                          "ip": SIMILARITY}  # fmt: skip
_DISTANCE: dict[str, Scale] = {"cosine": COSINE_DISTANCE, "dot": NEGATIVE_SIMILARITY,
                               "l2": SQUARED_EUCLIDEAN, "ip": NEGATIVE_SIMILARITY}  # fmt: skip
_SCORE: dict[str, Scale] = {"cosine": UNIT_SIMILARITY, "dot": UNIT_SIMILARITY,
                            "l2": INVERSE_SQUARED_EUCLIDEAN, "ip": INNER_PRODUCT_SCORE}  # fmt: skip


def _found_docs(status: int, body: Any) -> list[str]:
    """The ids ``_mget`` found (each doc says ``found``)."""
    ok(status, "_mget")
    docs = listed(field_of(body, "docs", "_mget"), "_mget docs")
    return [
        str(field_of(d, "_id", "_mget doc")) for d in docs if isinstance(d, dict) and d.get("found")
    ]


def _keeps(scale: Scale) -> Keeps:
    return "above" if scale.closer == "higher" else "below"


def _is_es_clause(clause: dict[str, Any]) -> bool:
    """An Elasticsearch kNN clause (else OpenSearch's ``{"<field>": {...}}``)."""
    return any(k in clause for k in ("field", "query_vector", "query_vector_builder"))


def _knn_clauses(node: Any, where: str) -> Iterator[tuple[dict[str, Any], str]]:
    """Every kNN clause under ``node`` (in a ``knn`` key: one object or a list) and its path."""
    if isinstance(node, list):
        for i, item in enumerate(node):
            yield from _knn_clauses(item, f"{where}[{i}]")
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        path = f"{where}.{key}" if where else key
        if key == "knn":
            clauses = value if isinstance(value, list) else [value]
            for i, clause in enumerate(clauses):
                if isinstance(clause, dict):
                    yield clause, f"{path}[{i}]" if isinstance(value, list) else path
        else:
            yield from _knn_clauses(value, path)


def _not_one_knn(body: Any) -> str | None:
    """None when ``body``'s ``_score`` is one kNN clause's similarity score, else why not."""
    if not isinstance(body, dict):
        return "not a search body"
    if any(k in body for k in ("retriever", "rank", "sub_searches", "rescore")):
        return "the score is combined (retriever, rank or rescore)"
    query = body.get("query")
    clauses = list(_knn_clauses(body, ""))
    if query is not None and (not isinstance(query, dict) or set(query) != {"knn"}):
        return "a query beside the kNN search adds its score"
    if len(clauses) != 1:
        return f"{len(clauses)} kNN clauses: the score is their sum"
    clause = clauses[0][0]
    fields = [clause] if _is_es_clause(clause) else list(clause.values())
    if any(isinstance(f, dict) and f.get("boost", 1) != 1 for f in fields):
        return "a boosted kNN clause scales its score"
    return None


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
