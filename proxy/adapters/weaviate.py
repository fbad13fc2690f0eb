"""Weaviate's GraphQL ``Get`` with ``nearVector`` or ``hybrid``: ``POST /v1/graphql``.

Shapes from Weaviate's GraphQL reference
(https://docs.weaviate.io/weaviate/api/graphql/search-operators#nearvector and
https://docs.weaviate.io/weaviate/api/graphql/additional-properties).

Request: ``{"query": "{ Get { Article(nearVector: {vector: [0.1, 0.2]}, limit: 10) { title
_additional { id distance } } } }", "variables": {...}}``. Each class queried under ``Get``
(``Article(...)``, or ``alias: Article(...)``) is one ranked list; its vector is a literal in
the query text or a ``$variable``. The query text is scanned as GraphQL tokens (strings and
comments skipped), and only the vector's numbers and the class names (through the route's
``collection_map``: ``{ Article = "ArticleMpnet" }``) are changed.

Answer: ``{"data": {"Get": {"Article": [{"_additional": {"id": "..", "distance": 0.12}}]}}}``,
one list per queried class in query order; ``{"errors": [{"message": ".."}]}`` makes it
unparseable. The query must ask for ``_additional { id }`` and ``distance`` (reported as
``1 - d``) or ``certainty`` (already a similarity).

Thresholds (https://docs.weaviate.io/weaviate/api/graphql/search-operators and
https://docs.weaviate.io/weaviate/config-refs/distances): a vector search operator's
(``nearVector``, ``nearObject``, ``nearText``...) ``certainty``, ``(1 + cos) / 2`` kept above
(cosine collections only), and ``distance``, the collection's distance kept below; a ``hybrid``
operator's ``maxVectorDistance``, the same distance. Each is a literal in the query text or a
``$variable``; a literal is rewritten in place, number only. ``options.metric`` names the
collection's distance: ``cosine`` (``1 - cos``, the default), ``dot`` (``-dot``),
``l2-squared`` (``2 - 2 cos`` for unit vectors); ``manhattan`` and ``hamming`` relate to no
similarity. The answers' ``_additional { distance certainty }`` are in the same scales.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, ClassVar
from urllib.parse import quote

from proxy.adapters.base import (
    ErrorAt,
    QueryVectors,
    Ranked,
    RequestSide,
    Rescale,
    RouteSpec,
    check_options,
    expect,
    metric_option,
    ranked_from_pairs,
    vector_text,
    vector_values,
)
from proxy.adapters.lookup import IdLookup
from proxy.adapters.scales import (
    COSINE_DISTANCE,
    NEGATIVE_SIMILARITY,
    SQUARED_EUCLIDEAN,
    UNIT_SIMILARITY,
    Keeps,
    RequestThreshold,
    Scale,
    threshold_number,
)
from proxy.errors import AdapterError, UnparseableResponseError

_TOKEN = re.compile(
    r'(?P<skip>[\s,]+|#[^\n]*)|(?P<block>"""(?:\\"""|[^"]|"(?!""))*""")|(?P<string>"(?:\\.|[^"\\])*")'
    r"|(?P<name>[_A-Za-z][_0-9A-Za-z]*)|(?P<number>-?\d[\d.eE+-]*)|(?P<punct>\.\.\.|[{}()\[\]:$=!@|&])"
)
_PAIRS = {"{": "}", "(": ")", "[": "]"}
_VECTOR_OPERATORS = ("nearVector", "hybrid")


@dataclass(frozen=True, slots=True)
class Token:
    """A GraphQL token and where it is in the query text."""

    kind: str
    text: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class ClassQuery:
    """One class queried under ``Get``: its name token and where its vector is."""

    name: Token
    vector_span: tuple[int, int] | None  # a literal's [start, end) in the query text
    variable: str | None  # or the $variable holding it
    arguments: tuple[int, int] | None = None  # the tokens of its "(" and ")"


def tokenize(text: str) -> list[Token]:
    """GraphQL tokens of ``text`` (whitespace, commas and comments dropped)."""
    tokens = []
    pos = 0
    while pos < len(text):
        found = _TOKEN.match(text, pos)
        if found is None:
            raise AdapterError(f"GraphQL query: cannot read character {pos + 1}")
        kind = found.lastgroup or "skip"
        if kind != "skip":
            tokens.append(Token(kind, found.group(), found.start(), found.end()))
        pos = found.end()
    return tokens


def _closing(tokens: list[Token], i: int) -> int:
    """The index of the bracket closing the one at ``i``."""
    opener = tokens[i].text
    depth = 0
    for j in range(i, len(tokens)):
        if tokens[j].text == opener and tokens[j].kind == "punct":
            depth += 1
        elif tokens[j].text == _PAIRS[opener] and tokens[j].kind == "punct":
            depth -= 1
            if depth == 0:
                return j
    raise AdapterError(
        f"GraphQL query: {opener!r} at character {tokens[i].start + 1} is not closed"
    )


def class_queries(text: str) -> list[ClassQuery]:
    """The classes queried under ``Get``, in order, with their vectors' places."""
    try:
        return _class_queries(tokenize(text))
    except IndexError as e:
        raise AdapterError("GraphQL query: ends too early") from e


def _class_queries(tokens: list[Token]) -> list[ClassQuery]:
    starts = [
        i
        for i in range(len(tokens) - 1)
        if tokens[i].kind == "name" and tokens[i].text == "Get" and tokens[i + 1].text == "{"
    ]
    if not starts:
        raise AdapterError("GraphQL query: no Get { ... } block")
    i = starts[0] + 2
    end = _closing(tokens, starts[0] + 1)
    out = []
    while i < end:
        name = tokens[i]
        if name.kind != "name":
            raise AdapterError(
                f"GraphQL query: expected a class name at character {name.start + 1}"
            )
        i += 1
        if tokens[i].text == ":":  # alias: Class
            name = tokens[i + 1]
            i += 2
        span: tuple[int, int] | None = None
        variable = None
        arguments = None
        if tokens[i].text == "(":
            close = _closing(tokens, i)
            span, variable = _vector_in(tokens, i, close)
            arguments = (i, close)
            i = close + 1
        if tokens[i].text == "{":
            i = _closing(tokens, i) + 1
        out.append(ClassQuery(name, span, variable, arguments))
    return out


def _vector_in(tokens: list[Token], lo: int, hi: int) -> tuple[tuple[int, int] | None, str | None]:
    """Where a nearVector/hybrid ``vector`` argument is within tokens ``lo..hi``."""
    for i in range(lo, hi):
        if not (tokens[i].text in _VECTOR_OPERATORS and tokens[i + 1].text == ":"):
            continue
        if tokens[i + 2].text != "{":
            continue
        close = _closing(tokens, i + 2)
        j = i + 3
        while j < close:
            if tokens[j].text == "vector" and tokens[j + 1].text == ":":
                value = tokens[j + 2]
                if value.text == "[":
                    return (value.start, tokens[_closing(tokens, j + 2)].end), None
                if value.text == "$":
                    return None, tokens[j + 3].text
            if tokens[j].text in _PAIRS:
                j = _closing(tokens, j)
            j += 1
    return None, None


@dataclass(frozen=True, slots=True)
class ThresholdArgument:
    """A threshold argument of a vector search operator: its value's token or $variable."""

    query: int
    operator: str
    key: str
    value: float
    token: Token | None
    variable: str | None


def threshold_arguments(doc: Any) -> list[ThresholdArgument]:
    """Every ``certainty``, ``distance`` and ``maxVectorDistance`` argument, in text order."""
    tokens = tokenize(_query_text(doc))
    try:
        queries = _class_queries(tokens)
    except IndexError as e:
        raise AdapterError("GraphQL query: ends too early") from e
    out: list[ThresholdArgument] = []
    for index, query in enumerate(queries):
        if query.arguments is not None:
            out.extend(_thresholds_in(tokens, *query.arguments, index, doc))
    return out


def _thresholds_in(
    tokens: list[Token], lo: int, hi: int, index: int, doc: Any
) -> list[ThresholdArgument]:
    out = []
    for i in range(lo, hi):
        operator = tokens[i].text
        if not (operator.startswith("near") or operator == "hybrid") or tokens[i].kind != "name":
            continue
        if tokens[i + 1].text != ":" or tokens[i + 2].text != "{":
            continue
        close = _closing(tokens, i + 2)
        j = i + 3
        while j < close:
            key = tokens[j].text
            if key in _THRESHOLD_KEYS and tokens[j].kind == "name" and tokens[j + 1].text == ":":
                found = _argument(tokens, j + 2, doc, index, operator, key)
                if found is not None:
                    out.append(found)
            if tokens[j].text in _PAIRS and tokens[j].kind == "punct":
                j = _closing(tokens, j)
            j += 1
    return out


def _argument(
    tokens: list[Token], at: int, doc: Any, index: int, operator: str, key: str
) -> ThresholdArgument | None:
    value = tokens[at]
    if value.kind == "number":
        try:
            number = float(value.text)
        except ValueError:
            return None
        return ThresholdArgument(index, operator, key, number, value, None)
    if value.text == "$" and tokens[at + 1].kind == "name":
        name = tokens[at + 1].text
        variables = doc.get("variables")
        found = threshold_number(variables.get(name)) if isinstance(variables, dict) else None
        if found is not None:
            return ThresholdArgument(index, operator, key, found, None, name)
    return None


_THRESHOLD_KEYS = ("certainty", "distance", "maxVectorDistance")
_DISTANCES: dict[str, Scale | None] = {
    "cosine": COSINE_DISTANCE,
    "dot": NEGATIVE_SIMILARITY,
    "l2-squared": SQUARED_EUCLIDEAN,
    "manhattan": None,
    "hamming": None,
}


class WeaviateAdapter(RequestSide):
    """Reads GraphQL ``Get`` answers; rewrites ``nearVector`` vectors and class names."""

    name: ClassVar[str] = "weaviate"

    def __init__(self, metric: str = "cosine") -> None:
        """``metric``: the collection's distance metric."""
        self.metric = metric

    @classmethod
    def from_route(cls, route: RouteSpec, where: ErrorAt) -> WeaviateAdapter:
        """Options: ``metric`` (the collection's distance; default cosine)."""
        check_options(route, where, "weaviate", ("metric",))
        return cls(metric_option(route, where, _DISTANCES) or "cosine")

    def thresholds(self, doc: Any) -> list[RequestThreshold]:
        """``certainty``, ``distance`` and ``maxVectorDistance`` of each class's operator."""
        out = []
        for argument in threshold_arguments(doc):
            scale, reason = self._scale(argument.key)
            field = f"{argument.operator}.{argument.key}"
            keeps: Keeps = "above" if argument.key == "certainty" else "below"
            out.append(
                RequestThreshold(field, argument.query, argument.value, keeps, scale, reason)
            )
        return out

    def rewrite_thresholds(self, doc: Any, values: Mapping[int, float]) -> Any:
        """Literals rewritten in the query text, variables in ``variables``."""
        arguments = threshold_arguments(doc)
        text = _query_text(doc)
        edits = []
        for index, value in values.items():
            argument = arguments[index]
            if argument.token is not None:
                edits.append((argument.token.start, argument.token.end, repr(float(value))))
            elif argument.variable is not None:
                doc["variables"][argument.variable] = value
        for start, end, new in sorted(edits, reverse=True):
            text = text[:start] + new + text[end:]
        doc["query"] = text
        return doc

    def rescore(self, answer: Any, request: Any, rescale: Rescale) -> Any:  # noqa: ARG002
        """Each object's ``_additional`` ``distance`` and ``certainty`` rescaled."""
        expect(answer, dict, "answer")
        get = expect(expect(answer.get("data"), dict, "data").get("Get"), dict, "data.Get")
        for objects in get.values():
            for obj in objects if isinstance(objects, list) else []:
                extra = obj.get("_additional") if isinstance(obj, dict) else None
                if not isinstance(extra, dict):
                    continue
                for key in ("distance", "certainty"):
                    if threshold_number(extra.get(key)) is None:
                        continue
                    scale, reason = self._scale(key)
                    if scale is None:
                        raise AdapterError(f"{key} not rescaled: {reason}")
                    extra[key] = rescale(float(extra[key]), scale)
        return answer

    def _scale(self, key: str) -> tuple[Scale | None, str | None]:
        """The scale of a ``certainty`` or distance value under this collection's metric."""
        if key == "certainty":
            if self.metric != "cosine":
                return None, f"certainty is defined for cosine only, not {self.metric}"
            return UNIT_SIMILARITY, None
        scale = _DISTANCES[self.metric]
        return scale, None if scale is not None else f"{self.metric} relates to no similarity"

    def id_lookups(self, path: str, doc: Any, ids: Sequence[str]) -> list[IdLookup] | None:
        """``HEAD /v1/objects/{Class}/{id}`` for each id and queried class (204: present)."""
        head = path.partition("?")[0]
        if not head.endswith("/v1/graphql"):
            return None
        base = head[: -len("/v1/graphql")]
        classes = list(dict.fromkeys(q.name.text for q in class_queries(_query_text(doc))))
        return [
            IdLookup("HEAD", f"{base}/v1/objects/{quote(c, safe='')}/{quote(i, safe='')}",
                     None, (i,), partial(_exists, i))
            for c in classes
            for i in ids
        ]  # fmt: skip

    def rankings(self, body: Any) -> list[Ranked]:
        """One list per class under ``data.Get``, in the answer's order."""
        expect(body, dict, "answer")
        errors = body.get("errors")
        if errors:
            first = errors[0].get("message") if isinstance(errors[0], dict) else errors[0]
            raise UnparseableResponseError(f"answer: GraphQL error: {first}")
        data = expect(body.get("data"), dict, "data")
        get = expect(data.get("Get"), dict, "data.Get")
        return [_objects(objects, f"data.Get.{key}") for key, objects in get.items()]

    def query_vectors(self, doc: Any) -> QueryVectors:
        """One query per class under ``Get``; those with a vector (literal or variable)."""
        queries = class_queries(_query_text(doc))
        with_vector = tuple(
            i for i, q in enumerate(queries) if q.vector_span is not None or q.variable is not None
        )
        return QueryVectors(len(queries), with_vector)

    def query_vector_values(self, doc: Any) -> list[list[float]]:
        """Each class's vector: its literal's numbers in the query text, or its ``$variable``."""
        text = _query_text(doc)
        variables = doc.get("variables")
        out: list[list[float]] = []
        for query in class_queries(text):
            if query.vector_span is not None:
                out.append(_literal_numbers(text[slice(*query.vector_span)]))
            elif query.variable is not None and isinstance(variables, dict):
                out.append(vector_values(variables.get(query.variable)))
            else:
                out.append([])
        return out

    def rewrite(
        self,
        doc: Any,
        vectors: Mapping[int, Sequence[float]],
        collections: Mapping[str, str],
    ) -> Any:
        """New vectors in the query text or its variables; class names renamed."""
        text = _query_text(doc)
        queries = class_queries(text)
        edits: list[tuple[int, int, str]] = []
        for index, query in enumerate(queries):
            if query.name.text in collections:
                edits.append((query.name.start, query.name.end, collections[query.name.text]))
            if index not in vectors:
                continue
            if query.vector_span is not None:
                edits.append((*query.vector_span, vector_text(vectors[index])))
            elif query.variable is not None:
                variables = doc.get("variables")
                if not isinstance(variables, dict):
                    raise AdapterError(f"request: ${query.variable} is not in 'variables'")
                variables[query.variable] = list(vectors[index])
        for start, end, new in sorted(edits, reverse=True):
            text = text[:start] + new + text[end:]
        doc["query"] = text
        return doc


def _exists(object_id: str, status: int, body: Any) -> list[str]:  # noqa: ARG001 - HEAD: no body
    """The id if the object exists (204 or 200), none if 404; another status fails the lookup."""
    if status in (200, 204):
        return [object_id]
    if status == 404:
        return []
    raise UnparseableResponseError(f"Weaviate objects: status {status}")


def _literal_numbers(literal: str) -> list[float]:
    """The numbers of a GraphQL list literal (``[0.1, -0.2]``); ``[]`` if it holds anything else."""
    inner = tokenize(literal)[1:-1]
    if not inner or any(token.kind != "number" for token in inner):
        return []
    try:
        return [float(token.text) for token in inner]
    except ValueError:  # the tokenizer's number is loose ("1.2.3")
        return []


def _query_text(doc: Any) -> str:
    expect(doc, dict, "request")
    query: str = expect(doc.get("query"), str, "request.query")
    return query


def _objects(objects: Any, where: str) -> Ranked:
    expect(objects, list, where)
    pairs = []
    for j, obj in enumerate(objects):
        extra = expect(
            expect(obj, dict, f"{where}[{j}]").get("_additional"), dict, f"{where}[{j}]._additional"
        )
        if extra.get("distance") is not None:
            pairs.append((extra.get("id"), 1.0 - _number(extra["distance"], where)))
        elif extra.get("certainty") is not None:
            pairs.append((extra.get("id"), extra["certainty"]))
        else:
            raise UnparseableResponseError(
                f"{where}[{j}]: ask for _additional {{ id distance }} (or certainty)"
            )
    return ranked_from_pairs(pairs, "similarity", where)


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise UnparseableResponseError(f"{where}: distance must be a number, got {value!r}")
    return float(value)


ADAPTER = WeaviateAdapter
