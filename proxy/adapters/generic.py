"""Any JSON search API, configured by paths to the id list and the score list.

Options of a route with ``adapter = "generic"``::

    options = { ids = "data.hits[*].key", scores = "data.hits[*].similarity",
                score = "similarity" }    # or "distance"
    # a batch API: each element of `queries` is one query's answer, paths relative to it
    options = { queries = "responses[*]", ids = "hits[*].id", scores = "hits[*].d",
                score = "distance" }

A path is dot-separated keys with ``[N]`` for an index and ``[*]`` for every element.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from proxy.adapters.base import Ranked, ScoreKind, ranked_from_pairs
from proxy.config.loader import Where
from proxy.config.schema import Route
from proxy.errors import UnparseableResponseError

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


class GenericAdapter:
    """Reads ranked lists from any JSON answer through configured paths."""

    name: ClassVar[str] = "generic"

    def __init__(
        self,
        ids: tuple[Step, ...],
        scores: tuple[Step, ...],
        score: ScoreKind,
        queries: tuple[Step, ...] | None,
        paths: dict[str, str],
    ) -> None:
        """Paths already parsed; ``paths`` keeps their text for messages."""
        self.ids, self.scores, self.score, self.queries = ids, scores, score, queries
        self.paths = paths

    @classmethod
    def from_route(cls, route: Route, where: Where) -> GenericAdapter:
        """Options: ``ids`` and ``scores`` (required), ``score``, ``queries``."""
        opts = dict(route.options)
        known = {"ids", "scores", "score", "queries"}
        for key in opts:
            if key not in known:
                raise where.error(
                    f"options.{key}",
                    f"is not an option of the generic adapter (known: {', '.join(sorted(known))})",
                )
        parsed: dict[str, tuple[Step, ...]] = {}
        for key in ("ids", "scores", "queries"):
            if key not in opts:
                if key != "queries":
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
        score = opts.get("score", "similarity")
        if score not in ("similarity", "distance"):
            raise where.error("options.score", f"must be 'similarity' or 'distance', got {score!r}")
        return cls(
            parsed["ids"],
            parsed["scores"],
            score,
            parsed.get("queries"),
            {k: v for k, v in opts.items() if isinstance(v, str)},
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


ADAPTER = GenericAdapter
