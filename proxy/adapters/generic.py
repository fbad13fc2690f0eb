"""Any JSON search API, configured by paths to the id list and the score list.

Options of a route with ``adapter = "generic"``::

    options = { ids = "data.hits[*].key", scores = "data.hits[*].similarity",
                score = "similarity" }    # or "distance"
    # a batch API: each element of `queries` is one query's answer, paths relative to it
    options = { queries = "responses[*]", ids = "hits[*].id", scores = "hits[*].d",
                score = "distance" }

A path is dot-separated keys with ``[N]`` for an index and ``[*]`` for every element.

The request side, for APIs that take a query vector (each value ``vector`` reaches is one
query's vector, in order) or name the collection in the body::

    options = { ids = "hits[*].id", scores = "hits[*].score",
                vector = "query.embedding", collection = "index" }

Thresholds: ``threshold`` is a JSON pointer (RFC 6901, ``*`` for every element of an array) to
the request's threshold(s); ``threshold_scale`` names its scale (``similarity``: the
calibrator's cosine or dot product, ``unit_similarity``: ``(1 + cos) / 2``,
``cosine_distance``: ``1 - cos``, ``euclidean``, ``squared_euclidean``,
``inverse_squared_euclidean``: ``1 / (1 + d²)``, ``negative_similarity``,
``inner_product_score``; default ``similarity``, or ``cosine_distance`` with ``score =
"distance"``), and ``threshold_keeps`` which side of it results are kept on (``above`` or
``below``; default: above a similarity, below a distance). ``score_scale`` names the scale of
the answers' scores (same names and default)::

    options = { ids = "hits[*].id", scores = "hits[*].distance", score = "distance",
                threshold = "/max_distance", threshold_scale = "cosine_distance" }
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
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
    field_text,
    is_dense_vector,
    ranked_from_pairs,
    rename,
    score_option,
    vector_values,
)
from proxy.adapters.scales import (
    COSINE_DISTANCE,
    SCALES,
    SIMILARITY,
    Keeps,
    RequestThreshold,
    Scale,
    threshold_number,
)
from proxy.errors import AdapterError, UnparseableResponseError

_PATH_OPTIONS = ("ids", "scores", "queries", "vector", "collection")
_THRESHOLD_OPTIONS = ("threshold", "threshold_scale", "threshold_keeps", "score_scale")
_TOKEN = re.compile(r"([^.\[\]]+)|\[(\*|\d+)\]")
Step = str | int | None  # key, index, or None for every element


def parse_path(path: str) -> tuple[Step, ...]:
    """Split ``a.b[*].c[0]`` into steps; ValueError when malformed."""
    steps: list[Step] = []
    pos = 0
    while pos < len(path):
        if path[pos] == ".":
            pos += 1
            continue
        match = _TOKEN.match(path, pos)
        if match is None:
            msg = f"cannot read {path!r} at character {pos + 1}"
            raise ValueError(msg)
        key, index = match.groups()
        steps.append(key if key is not None else (None if index == "*" else int(index)))
        pos = match.end()
    if not steps:
        msg = "path is empty"
        raise ValueError(msg)
    return tuple(steps)


def select(doc: Any, steps: tuple[Step, ...], where: str) -> list[Any]:
    """Every value the path reaches, in document order (a path without [*] gives one)."""
    nodes = [doc]
    for step in steps:
        out: list[Any] = []
        for node in nodes:
            if step is None:
                if not isinstance(node, list):
                    raise UnparseableResponseError(
                        f"{where}: [*] needs an array, got {type(node).__name__}"
                    )
                out.extend(node)
            elif isinstance(step, int):
                if not isinstance(node, list) or step >= len(node):
                    raise UnparseableResponseError(f"{where}: no element [{step}]")
                out.append(node[step])
            else:
                if not isinstance(node, dict) or step not in node:
                    raise UnparseableResponseError(f"{where}: no field {step!r}")
                out.append(node[step])
        nodes = out
    return nodes


def locate(doc: Any, steps: tuple[Step, ...], where: str) -> list[tuple[Any, str | int]]:
    """The (container, key or index) of every value the path reaches, in document order."""
    parents = select(doc, steps[:-1], where) if len(steps) > 1 else [doc]
    last = steps[-1]
    out: list[tuple[Any, str | int]] = []
    for node in parents:
        if last is None:
            if not isinstance(node, list):
                raise AdapterError(f"{where}: [*] needs an array, got {type(node).__name__}")
            out.extend((node, i) for i in range(len(node)))
        elif isinstance(last, int):
            if not isinstance(node, list) or last >= len(node):
                raise AdapterError(f"{where}: no element [{last}]")
            out.append((node, last))
        elif isinstance(node, dict) and last in node:
            out.append((node, last))
        else:
            raise AdapterError(f"{where}: no field {last!r}")
    return out


@dataclass(frozen=True, slots=True)
class ThresholdOptions:
    """Where the generic adapter's requests carry a threshold, and its answers' score scale."""

    pointer: str | None
    scale: Scale
    keeps: Keeps
    score_scale: Scale


def threshold_options(route: RouteSpec, where: ErrorAt, score: ScoreKind) -> ThresholdOptions:
    """The ``threshold``, ``threshold_scale``, ``threshold_keeps`` and ``score_scale`` options."""
    default = "similarity" if score == "similarity" else "cosine_distance"
    opts = route.options
    scales = []
    for key in ("threshold_scale", "score_scale"):
        name = opts.get(key, default)
        if name not in SCALES:
            raise where.error(f"options.{key}", f"must be one of {', '.join(SCALES)}, got {name!r}")
        scales.append(SCALES[name])
    pointer = opts.get("threshold")
    if pointer is not None and (not isinstance(pointer, str) or not pointer.startswith("/")):
        raise where.error(
            "options.threshold", f"must be a JSON pointer such as /min_score, got {pointer!r}"
        )
    keeps = opts.get("threshold_keeps", "above" if scales[0].closer == "higher" else "below")
    if keeps not in ("above", "below"):
        raise where.error("options.threshold_keeps", f"must be 'above' or 'below', got {keeps!r}")
    return ThresholdOptions(pointer, scales[0], "above" if keeps == "above" else "below", scales[1])


def pointer_slots(doc: Any, pointer: str) -> list[tuple[Any, str | int]]:
    """The (container, key or index) of every value a JSON pointer reaches (``*``: each element)."""
    steps = [t.replace("~1", "/").replace("~0", "~") for t in pointer.lstrip("/").split("/")]
    parents: list[Any] = [doc]
    for step in steps[:-1]:
        parents = [node[key] for node in parents for key in _keys(node, step)]
    return [(node, key) for node in parents for key in _keys(node, steps[-1])]


def _keys(node: Any, step: str) -> list[str | int]:
    """The keys or indexes of ``node`` that one pointer step names (none when absent)."""
    if isinstance(node, dict):
        return [step] if step in node else []
    if isinstance(node, list):
        if step == "*":
            return list(range(len(node)))
        if step.isdigit() and int(step) < len(node):
            return [int(step)]
    return []


class GenericAdapter(RequestSide):
    """Reads ranked lists from any JSON answer through configured paths."""

    name: ClassVar[str] = "generic"
    document_text: ClassVar[str | None] = (
        "a path like options.ids, to each result's text (e.g. 'hits[*].text'), relative to "
        "each query's answer when options.queries is set"
    )

    def __init__(
        self,
        ids: tuple[Step, ...],
        scores: tuple[Step, ...],
        score: ScoreKind,
        queries: tuple[Step, ...] | None,
        paths: dict[str, str],
        vector: tuple[Step, ...] | None = None,
        collection: tuple[Step, ...] | None = None,
        threshold: ThresholdOptions | None = None,
    ) -> None:
        """Paths already parsed; ``paths`` keeps their text for messages."""
        self.ids, self.scores, self.score, self.queries = ids, scores, score, queries
        self.paths = paths
        self.vector, self.collection = vector, collection
        self.threshold = threshold or ThresholdOptions(
            None,
            SIMILARITY if score == "similarity" else COSINE_DISTANCE,
            "above" if score == "similarity" else "below",
            SIMILARITY if score == "similarity" else COSINE_DISTANCE,
        )

    @classmethod
    def from_route(cls, route: RouteSpec, where: ErrorAt) -> GenericAdapter:
        """Options: ``ids``, ``scores`` (both required), ``score``, ``queries``, ``vector``.

        And ``collection``: the body path of the collection name.
        """
        opts = dict(route.options)
        check_options(route, where, "generic", (*_PATH_OPTIONS, "score", *_THRESHOLD_OPTIONS))
        parsed: dict[str, tuple[Step, ...]] = {}
        for key in ("ids", "scores", "queries", "vector", "collection"):
            if key not in opts:
                if key in ("ids", "scores"):
                    raise where.error(
                        f"options.{key}",
                        "is required by the generic adapter (a path such as 'result[*].id')",
                    )
                continue
            if not isinstance(opts[key], str):
                raise where.error(f"options.{key}", f"must be a path string, got {opts[key]!r}")
            try:
                parsed[key] = parse_path(opts[key])
            except ValueError as e:
                raise where.error(f"options.{key}", f"is not a valid path: {e}") from e
        score = score_option(route, where)
        return cls(
            parsed["ids"],
            parsed["scores"],
            score,
            parsed.get("queries"),
            {k: v for k, v in opts.items() if isinstance(v, str)},
            parsed.get("vector"),
            parsed.get("collection"),
            threshold_options(route, where, score),
        )

    def thresholds(self, doc: Any) -> list[RequestThreshold]:
        """Every number the ``threshold`` pointer reaches (one per query when it has ``*``)."""
        options = self.threshold
        if options.pointer is None:
            return []
        slots = self._threshold_slots(doc)
        single = len(slots) == 1
        return [
            RequestThreshold(
                options.pointer, None if single else i, value, options.keeps, options.scale
            )
            for i, (container, key) in enumerate(slots)
            if (value := threshold_number(container[key])) is not None
        ]

    def rewrite_thresholds(self, doc: Any, values: Mapping[int, float]) -> Any:
        """The numbers at the ``threshold`` pointer set."""
        slots = [
            (c, k) for c, k in self._threshold_slots(doc) if threshold_number(c[k]) is not None
        ]
        for index, value in values.items():
            container, key = slots[index]
            container[key] = value
        return doc

    def rescore(self, answer: Any, request: Any, rescale: Rescale) -> Any:  # noqa: ARG002
        """Every score at the ``scores`` path rescaled in ``score_scale``."""
        answers = (
            [answer]
            if self.queries is None
            else select(answer, self.queries, self.paths["queries"])
        )
        for one in answers:
            for container, key in locate(one, self.scores, self.paths["scores"]):
                if threshold_number(container[key]) is not None:
                    container[key] = rescale(float(container[key]), self.threshold.score_scale)
        return answer

    def _threshold_slots(self, doc: Any) -> list[tuple[Any, str | int]]:
        pointer = self.threshold.pointer
        return [] if pointer is None else pointer_slots(doc, pointer)

    def rankings(self, body: Any) -> list[Ranked]:
        """One list, or one per element of ``queries`` for a batch API."""
        answers = (
            [body] if self.queries is None else select(body, self.queries, self.paths["queries"])
        )
        out = []
        for n, answer in enumerate(answers):
            ids = select(answer, self.ids, self.paths["ids"])
            scores = select(answer, self.scores, self.paths["scores"])
            if len(ids) != len(scores):
                raise UnparseableResponseError(
                    f"query {n}: {len(ids)} ids but {len(scores)} scores"
                )
            out.append(
                ranked_from_pairs(list(zip(ids, scores, strict=True)), self.score, f"query {n}")
            )
        return out

    def document_texts(self, body: Any, field: str) -> list[tuple[str | None, ...]]:
        """The values the ``field`` path reaches in each query's answer (Nones if it fails)."""
        try:
            steps = parse_path(field)
            answers = [body] if self.queries is None else select(body, self.queries, "answer")
        except (ValueError, UnparseableResponseError):
            return []
        out: list[tuple[str | None, ...]] = []
        for answer in answers:
            try:
                count = len(select(answer, self.ids, "ids"))
            except UnparseableResponseError:
                count = 0
            try:
                values = select(answer, steps, field)
            except UnparseableResponseError:
                values = []
            if len(values) != count:
                out.append((None,) * count)
            else:
                out.append(tuple(field_text({"t": v}, "t") for v in values))
        return out

    def query_vectors(self, doc: Any) -> QueryVectors:
        """One query per value the ``vector`` path reaches (no ``vector`` option: one, none)."""
        if self.vector is None:
            return QueryVectors(1, ())
        values = [c[k] for c, k in locate(doc, self.vector, "request " + self.paths["vector"])]
        for n, value in enumerate(values):
            if not is_dense_vector(value):
                raise AdapterError(f"request {self.paths['vector']}: value {n} is not a vector")
        return QueryVectors(len(values), tuple(range(len(values))))

    def query_vector_values(self, doc: Any) -> list[list[float]]:
        """Each value the ``vector`` path reaches (no ``vector`` option: one query, ``[]``)."""
        if self.vector is None:
            return [[]]
        slots = locate(doc, self.vector, "request " + self.paths["vector"])
        values = [vector_values(container[key]) for container, key in slots]
        for n, value in enumerate(values):
            if not value:
                raise AdapterError(f"request {self.paths['vector']}: value {n} is not a vector")
        return values

    def rewrite(
        self,
        doc: Any,
        vectors: Mapping[int, Sequence[float]],
        collections: Mapping[str, str],
    ) -> Any:
        """The vectors at the ``vector`` path replaced; the ``collection`` value(s) renamed."""
        if self.vector is not None and vectors:
            slots = locate(doc, self.vector, "request " + self.paths["vector"])
            for index, vector in vectors.items():
                container, key = slots[index]
                container[key] = list(vector)
        if self.collection is not None and collections:
            for container, key in locate(
                doc, self.collection, "request " + self.paths["collection"]
            ):
                container[key] = rename(container[key], collections)
        return doc


ADAPTER = GenericAdapter
