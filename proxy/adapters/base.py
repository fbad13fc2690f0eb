"""What every engine adapter is: the protocol, the ranked-list type and shared helpers.

An adapter turns an engine's search answer into one :class:`Ranked` list per query (a batch
request gives several), with scores always "higher is closer": distances are reported as
``1 - distance`` (the cosine similarity for a cosine distance), so thresholds and score
metrics read the same way for every engine.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, Protocol

from proxy.config.loader import Where
from proxy.config.schema import Route
from proxy.errors import UnparseableResponseError

ScoreKind = Literal["similarity", "distance"]


@dataclass(frozen=True, slots=True)
class Ranked:
    """One query's results, best first: ids and scores (higher is closer)."""

    ids: tuple[str, ...]
    scores: tuple[float, ...]


class Adapter(Protocol):
    """Reads one engine's search API. Implementations are plain classes, one module each."""

    name: ClassVar[str]

    def rankings(self, body: Any) -> list[Ranked]:
        """One ranked list per query of the request, from the parsed JSON answer.

        Raises :class:`~proxy.errors.UnparseableResponseError` when the answer has another shape.
        """
        ...


class AdapterFactory(Protocol):
    """A class that builds its adapter from a route (checking the route's options)."""

    name: ClassVar[str]

    @classmethod
    def from_route(cls, route: Route, where: Where) -> Adapter:
        """Build the adapter for ``route``; bad options raise ConfigError naming the key."""
        ...


def to_similarity(value: Any, kind: ScoreKind, where: str) -> float:
    """A finite score as "higher is closer"; UnparseableResponseError if not a finite number."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise UnparseableResponseError(f"{where}: score must be a finite number, got {value!r}")
    return float(value) if kind == "similarity" else 1.0 - float(value)


def ranked_from_pairs(pairs: Sequence[tuple[Any, Any]], kind: ScoreKind, where: str) -> Ranked:
    """Build a :class:`Ranked` from (id, raw score) pairs in the engine's order."""
    ids: list[str] = []
    scores: list[float] = []
    for i, (raw_id, raw_score) in enumerate(pairs):
        if raw_id is None or isinstance(raw_id, dict | list | bool):
            raise UnparseableResponseError(
                f"{where}[{i}]: id must be a string or number, got {raw_id!r}"
            )
        ids.append(str(raw_id))
        scores.append(to_similarity(raw_score, kind, f"{where}[{i}]"))
    return Ranked(tuple(ids), tuple(scores))


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
