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
"""

from __future__ import annotations

import re
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
    field_text,
    is_dense_vector,
    ranked_from_pairs,
    rename,
    score_option,
)
from proxy.errors import AdapterError, UnparseableResponseError

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
    ) -> None:
        """Paths already parsed; ``paths`` keeps their text for messages."""
        self.ids, self.scores, self.score, self.queries = ids, scores, score, queries
        self.paths = paths
        self.vector, self.collection = vector, collection

    @classmethod
    def from_route(cls, route: RouteSpec, where: ErrorAt) -> GenericAdapter:
        """Options: ``ids``, ``scores`` (both required), ``score``, ``queries``, ``vector``.

        And ``collection``: the body path of the collection name.
        """
        opts = dict(route.options)
        check_options(
            route, where, "generic", ("ids", "scores", "score", "queries", "vector", "collection")
        )
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
        )

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
