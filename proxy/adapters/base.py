"""What every engine adapter is: the protocol, the ranked-list type and shared helpers.

An adapter has two sides.

- The answer side turns an engine's search answer into one :class:`Ranked` list per query (a
  batch request gives several), with scores always "higher is closer": distances are reported
  as ``1 - distance`` (the cosine similarity for a cosine distance), so thresholds and score
  metrics read the same way for every engine.
- The request side knows where a search request carries its query vectors, its collection
  and its batch, so that the shadow request can get the new model's vectors
  (:meth:`Adapter.query_vectors`, :meth:`Adapter.rewrite`) and the new collection
  (:meth:`Adapter.shadow_path` for collections named in the path or query string). It reads
  the vectors' numbers from the same places (:meth:`Adapter.query_vector_values`: learned
  query text looks a query's text up by its vector).
  :class:`RequestSide` holds the defaults (JSON bodies, no vectors, path unchanged).

For the review page, an adapter that knows where its engine's answers carry each result's
stored text (Chroma's ``documents``, a Qdrant payload key...) reads it with
:meth:`Adapter.document_texts`; its ``document_text`` class attribute says what a route's
``document_text`` names (None: the adapter reads no text, and a route naming one is refused).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, Protocol

from proxy.adapters.lookup import IdLookup
from proxy.adapters.scales import RequestThreshold, Scale
from proxy.errors import AdapterError, UnparseableResponseError
from proxy.jsondoc import loads

ScoreKind = Literal["similarity", "distance"]
Rescale = Callable[[float, Scale], float]
"""Maps one score of an answer, given its scale, to the value to send instead."""


@dataclass(frozen=True, slots=True)
class Ranked:
    """One query's results, best first: ids and scores (higher is closer)."""

    ids: tuple[str, ...]
    scores: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class QueryVectors:
    """Where a request's query vectors are.

    ``queries`` is how many ranked lists the answer holds (1 unless the request is a batch);
    ``with_vector`` lists, in order, the queries that carry a dense query vector (the ones the
    new model must re-embed). A request with no dense vector has ``with_vector == ()``.
    """

    queries: int
    with_vector: tuple[int, ...]


Side = Literal["primary", "shadow"]


class CollectionLookup(Protocol):
    """Reads a JSON document from one side's upstream (Chroma resolves collection ids so)."""

    async def get_json(self, side: Side, path: str) -> tuple[int, Any]:
        """GET ``path`` on the primary's or the shadow's upstream: (status, parsed body)."""
        ...


class Adapter(Protocol):
    """Reads one engine's search API. Implementations are plain classes, one module each."""

    name: ClassVar[str]

    def rankings(self, body: Any) -> list[Ranked]:
        """One ranked list per query of the request, from the parsed JSON answer.

        Raises :class:`~proxy.errors.UnparseableResponseError` when the answer has another shape.
        """
        ...

    def parse_request(self, body: bytes) -> Any:
        """The request body as a document; AdapterError when it is not one this API takes."""
        ...

    def dump_request(self, doc: Any) -> bytes:
        """The bytes of a (rewritten) request document."""
        ...

    def thresholds(self, doc: Any) -> list[RequestThreshold]:
        """Every threshold the request carries, in document order (none: ``[]``)."""
        ...

    def rewrite_thresholds(self, doc: Any, values: Mapping[int, float]) -> Any:
        """The request with threshold ``i`` (of :meth:`thresholds`) set to ``values[i]``."""
        ...

    def rescore(self, answer: Any, request: Any, rescale: Rescale) -> Any:
        """The answer with every result's score replaced by ``rescale(score, its scale)``.

        ``request`` is the request that got the answer (a score's scale may depend on it).
        AdapterError when the scores' scale is unknown or unrelated to a similarity.
        """
        ...

    def query_vectors(self, doc: Any) -> QueryVectors:
        """How many queries the request holds and which carry a dense vector."""
        ...

    def query_vector_values(self, doc: Any) -> list[list[float]]:
        """Each query's dense vector, one list per query of :meth:`query_vectors`.

        Read where :meth:`rewrite` writes the new one; a query without a readable dense vector
        gives ``[]``. AdapterError where :meth:`query_vectors` would raise one.
        """
        ...

    def rewrite(
        self,
        doc: Any,
        vectors: Mapping[int, Sequence[float]],
        collections: Mapping[str, str],
    ) -> Any:
        """The shadow's request: query ``i``'s vector(s) replaced by ``vectors[i]``.

        Collections named in the body are renamed through ``collections`` (primary to shadow).
        """
        ...

    async def shadow_path(
        self, raw_path: str, collections: Mapping[str, str], lookup: CollectionLookup
    ) -> str:
        """The shadow's path and query string, for collections the path template cannot map."""
        ...

    def shadow_answered(self, raw_path: str, status: int) -> None:
        """Told the shadow's status for a path this adapter built (a 404 may mean stale ids)."""
        ...

    async def warm(self, collections: Mapping[str, str], lookup: CollectionLookup) -> None:
        """Resolve at start whatever :meth:`shadow_path` would otherwise resolve on first use."""
        ...

    def id_lookups(self, path: str, doc: Any, ids: Sequence[str]) -> list[IdLookup] | None:
        """Requests asking the new index which of ``ids`` it holds (:mod:`.lookup`).

        ``path`` and ``doc`` are the search as sent to the new index (collections mapped);
        None when this engine's API has no get-by-id call this adapter knows.
        """
        ...

    document_text: ClassVar[str | None]
    """What a route's ``document_text`` names in this engine's answers (None: no text read)."""

    def document_texts(self, body: Any, field: str) -> list[tuple[str | None, ...]]:
        """Each result's text at ``field``: one tuple per query, aligned with :meth:`rankings`.

        A result without that field gives None. ``body`` has been read by :meth:`rankings`
        already; a part of it in another shape gives Nones, never an error.
        """
        ...


class RequestSide:
    """The request side of an adapter whose API takes JSON and carries no query vector.

    Adapters inherit it and override what their engine needs.
    """

    def parse_request(self, body: bytes) -> Any:
        """The JSON body; AdapterError when it is not JSON."""
        return parse_json(body, "request")

    def dump_request(self, doc: Any) -> bytes:
        """Compact UTF-8 JSON."""
        return dump_json(doc)

    def thresholds(self, doc: Any) -> list[RequestThreshold]:  # noqa: ARG002 - none by default
        """No threshold in the request (Chroma's and Pinecone's query APIs take none)."""
        return []

    def rewrite_thresholds(self, doc: Any, values: Mapping[int, float]) -> Any:  # noqa: ARG002
        """The request unchanged (no threshold)."""
        return doc

    def rescore(self, answer: Any, request: Any, rescale: Rescale) -> Any:  # noqa: ARG002
        """AdapterError: this adapter does not know its scores' scale."""
        msg = f"{type(self).__name__} does not know its answers' score scale"
        raise AdapterError(msg)

    def query_vectors(self, doc: Any) -> QueryVectors:  # noqa: ARG002 - the default ignores it
        """One query, no vector."""
        return QueryVectors(1, ())

    def query_vector_values(self, doc: Any) -> list[list[float]]:
        """No vector in any query."""
        return [[] for _ in range(self.query_vectors(doc).queries)]

    def rewrite(
        self,
        doc: Any,
        vectors: Mapping[int, Sequence[float]],  # noqa: ARG002 - no vector to replace
        collections: Mapping[str, str],  # noqa: ARG002 - no collection in the body
    ) -> Any:
        """The request unchanged."""
        return doc

    async def shadow_path(
        self,
        raw_path: str,
        collections: Mapping[str, str],  # noqa: ARG002 - the path template maps them
        lookup: CollectionLookup,  # noqa: ARG002 - nothing to resolve
    ) -> str:
        """The path unchanged (the route's template and ``collection_map`` already applied)."""
        return raw_path

    def shadow_answered(self, raw_path: str, status: int) -> None:
        """Nothing to do."""

    async def warm(self, collections: Mapping[str, str], lookup: CollectionLookup) -> None:
        """Nothing to resolve."""

    def id_lookups(
        self,
        path: str,  # noqa: ARG002 - no get-by-id call to build
        doc: Any,  # noqa: ARG002
        ids: Sequence[str],  # noqa: ARG002
    ) -> list[IdLookup] | None:
        """None: no get-by-id call (adapters with one override this)."""
        return None

    document_text: ClassVar[str | None] = None

    def document_texts(self, body: Any, field: str) -> list[tuple[str | None, ...]]:  # noqa: ARG002
        """No text: a route of this adapter cannot name ``document_text`` (checked at load)."""
        msg = f"{type(self).__name__} reads no documents' text"
        raise AdapterError(msg)


class RouteSpec(Protocol):
    """What an adapter is built from: a configured route (``[[routes]]`` in the config)."""

    @property
    def adapter(self) -> str:
        """The adapter's name."""
        ...

    @property
    def options(self) -> Mapping[str, Any]:
        """The route's adapter options."""
        ...


class ErrorAt(Protocol):
    """Builds the error naming a key of the route being checked (:class:`proxy.config.where.Where`).

    Adapters receive it instead of importing the config package, which imports them to check
    routes while it validates the file.
    """

    def error(self, name: str | None, message: str) -> Exception:
        """The error for key ``name`` (``options.score``) saying ``message``."""
        ...


class AdapterFactory(Protocol):
    """A class that builds its adapter from a route (checking the route's options)."""

    name: ClassVar[str]

    @classmethod
    def from_route(cls, route: RouteSpec, where: ErrorAt) -> Adapter:
        """Build the adapter for ``route``; bad options raise ConfigError naming the key."""
        ...


def field_text(node: Any, field: str) -> str | None:
    """The text at ``field`` (keys joined by dots) under ``node``, or None when it is absent.

    A string as it is; a list of strings joined by newlines; any other JSON value as compact
    JSON (a number, an object): people see what the engine stored.
    """
    for key in field.split("."):
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    if node is None:
        return None
    if isinstance(node, str):
        return node
    if isinstance(node, list) and all(isinstance(x, str) for x in node):
        return "\n".join(node)
    return json.dumps(node, ensure_ascii=False, separators=(",", ":"))


def texts_under(items: Any, key: str, field: str) -> tuple[str | None, ...]:
    """``field_text(item[key], field)`` for each item of a result list (Nones if not a list)."""
    if not isinstance(items, list):
        return ()
    return tuple(
        field_text(item.get(key), field) if isinstance(item, dict) else None for item in items
    )


def to_similarity(value: Any, kind: ScoreKind, where: str) -> float:
    """A finite score as "higher is closer"; UnparseableResponseError if not a finite number."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise UnparseableResponseError(f"{where}: score must be a finite number, got {value!r}")
    return float(value) if kind == "similarity" else 1.0 - float(value)


def ranked_from_pairs(pairs: Sequence[tuple[Any, Any]], kind: ScoreKind, where: str) -> Ranked:
    """Build a :class:`Ranked` from (id, raw score) pairs in the engine's order."""
    ids: list[str] = []
    scores: list[float] = []
    similarity = kind == "similarity"
    for i, (raw_id, raw_score) in enumerate(pairs):
        # exact types first (every hit of every compared answer passes here); the rest, and
        # the messages, on the general path
        kind_of_id = type(raw_id)
        if kind_of_id is str:
            ids.append(raw_id)
        elif kind_of_id is int:
            ids.append(str(raw_id))
        elif raw_id is None or isinstance(raw_id, dict | list | bool):
            raise UnparseableResponseError(
                f"{where}[{i}]: id must be a string or number, got {raw_id!r}"
            )
        else:
            ids.append(str(raw_id))
        if type(raw_score) is float and math.isfinite(raw_score):
            scores.append(raw_score if similarity else 1.0 - raw_score)
        else:
            scores.append(to_similarity(raw_score, kind, f"{where}[{i}]"))
    return Ranked(tuple(ids), tuple(scores))


def is_dense_vector(value: Any) -> bool:
    """Whether ``value`` is a non-empty list of numbers (a dense vector)."""
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(x, int | float) and not isinstance(x, bool) for x in value)
    )


def vector_values(value: Any) -> list[float]:
    """The numbers of a dense vector as floats; ``[]`` when ``value`` is none."""
    return [float(x) for x in value] if is_dense_vector(value) else []


def parse_json(body: bytes, where: str) -> Any:
    """``body`` as JSON; AdapterError naming ``where`` when it is empty or not JSON."""
    try:
        return loads(body)
    except (ValueError, UnicodeDecodeError) as e:
        raise AdapterError(f"{where}: body is not JSON ({e})") from e


def dump_json(doc: Any) -> bytes:
    """Compact UTF-8 JSON (what an engine's client sends)."""
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()


def vector_text(vector: Sequence[float]) -> str:
    """A vector as JSON array text, for APIs that carry it inside a string."""
    return "[" + ", ".join(repr(float(x)) for x in vector) + "]"


def rename(value: Any, collections: Mapping[str, str]) -> Any:
    """``collections[value]`` when ``value`` is a mapped name, else ``value``."""
    return collections.get(value, value) if isinstance(value, str) else value


def expect(node: Any, kind: type | tuple[type, ...], where: str) -> Any:
    """``node`` if it is of ``kind``, else UnparseableResponseError naming ``where``."""
    if not isinstance(node, kind):
        raise UnparseableResponseError(
            f"{where}: expected {_kind_name(kind)}, got {type(node).__name__}"
        )
    return node


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names: dict[type, str] = {dict: "an object", list: "an array", str: "a string"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def check_options(
    route: RouteSpec, where: ErrorAt, adapter: str, known: Iterable[str] = ()
) -> None:
    """A ConfigError naming the first option of ``route`` that ``adapter`` does not take."""
    allowed = set(known)
    unknown = set(route.options) - allowed
    if unknown:
        listing = ", ".join(sorted(allowed)) or "none"
        raise where.error(
            f"options.{min(unknown)}",
            f"is not an option of the {adapter} adapter (known: {listing})",
        )


def metric_option(route: RouteSpec, where: ErrorAt, known: Mapping[str, object]) -> str | None:
    """The route's ``options.metric`` in lower case (None: not set): the index's distance.

    ConfigError naming the option when it is not one of ``known`` (compared in lower case:
    engines spell them ``Cosine``, ``COSINE``...).
    """
    metric = route.options.get("metric")
    if metric is None:
        return None
    if not isinstance(metric, str) or metric.lower() not in known:
        raise where.error("options.metric", f"must be one of {', '.join(known)}, got {metric!r}")
    return metric.lower()


def score_option(route: RouteSpec, where: ErrorAt) -> ScoreKind:
    """The route's ``options.score``: how the engine reports closeness (default similarity)."""
    score = route.options.get("score", "similarity")
    if score not in ("similarity", "distance"):
        raise where.error("options.score", f"must be 'similarity' or 'distance', got {score!r}")
    return "similarity" if score == "similarity" else "distance"
