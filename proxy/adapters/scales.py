"""Score scales, and the thresholds a search request carries.

Engines express closeness in their own scales: a cosine similarity, ``(1 + cos) / 2``, a
cosine distance, a Euclidean distance or its square... The calibrator's thresholds and its
old-to-new score map are in one scale, the calibrator's similarity ``s`` (the thresholds
document's ``metric``: the cosine, or the dot product). A :class:`Scale` converts an engine's
value to ``s`` and back, so that a threshold or a score of any engine can go through the map.

The Euclidean scales relate to ``s`` only for unit vectors (``|a - b|² = 2 - 2 cos``), as the
sentence-embedding models this tool migrates produce (and as Qdrant, Elasticsearch's
``dot_product`` and most clients normalise to); a Manhattan distance relates to no similarity:
an engine reporting one has no scale here (None), and its thresholds are never translated.

A :class:`RequestThreshold` is one threshold found in a request (:meth:`Adapter.thresholds`):
its field, the query of a batch it belongs to, its value, which side of it results are kept,
and its scale. A :class:`ThresholdChange` records what the translation made of it (the examples
store keeps them beside each compared query).

May import: nothing of proxy.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Keeps = Literal["above", "below"]
"""Which side of a threshold an engine keeps results on, in the engine's own values."""
Closer = Literal["higher", "lower"]


@dataclass(frozen=True, slots=True)
class Scale:
    """An engine's score scale, as a monotone function of the calibrator's similarity ``s``."""

    name: str
    formula: str  # the engine's value as a function of s, for people
    closer: Closer  # whether a higher engine value means closer (a similarity) or farther
    _to: Callable[[float], float | None]
    _from: Callable[[float], float]

    def to_similarity(self, value: float) -> float | None:
        """``s`` for an engine's value; None where the value is outside the scale's range."""
        if not math.isfinite(value):
            return None
        return self._to(value)

    def from_similarity(self, similarity: float) -> float:
        """The engine's value for ``s``."""
        return self._from(similarity)

    def lower_bound(self, keeps: Keeps) -> bool:
        """Whether a threshold keeping results on ``keeps`` is a lower bound on ``s``."""
        return (keeps == "above") == (self.closer == "higher")


def _euclidean_to(d: float) -> float | None:
    return None if d < 0 else 1.0 - d * d / 2.0


def _inverse_squared_to(v: float) -> float | None:
    return None if v <= 0 else (3.0 - 1.0 / v) / 2.0


def _inverse_squared_from(s: float) -> float:
    return 1.0 / (3.0 - 2.0 * s) if s < 1.5 else math.inf


def _inner_product_score_to(v: float) -> float | None:
    if v <= 0:
        return None
    return v - 1.0 if v >= 1.0 else 1.0 - 1.0 / v


def _inner_product_score_from(s: float) -> float:
    return s + 1.0 if s >= 0 else 1.0 / (1.0 - s)


SIMILARITY = Scale("similarity", "s", "higher", lambda v: v, lambda s: s)
UNIT_SIMILARITY = Scale(
    "unit_similarity", "(1 + s) / 2", "higher", lambda v: 2.0 * v - 1.0, lambda s: (1.0 + s) / 2.0
)
COSINE_DISTANCE = Scale("cosine_distance", "1 - s", "lower", lambda v: 1.0 - v, lambda s: 1.0 - s)
NEGATIVE_SIMILARITY = Scale("negative_similarity", "-s", "lower", lambda v: -v, lambda s: -s)
EUCLIDEAN = Scale(
    "euclidean",
    "sqrt(2 - 2s)",
    "lower",
    _euclidean_to,
    lambda s: math.sqrt(max(0.0, 2.0 - 2.0 * s)),
)
SQUARED_EUCLIDEAN = Scale(
    "squared_euclidean", "2 - 2s", "lower", lambda v: 1.0 - v / 2.0, lambda s: 2.0 - 2.0 * s
)
INVERSE_SQUARED_EUCLIDEAN = Scale(
    "inverse_squared_euclidean",
    "1 / (1 + (2 - 2s))",
    "higher",
    _inverse_squared_to,
    _inverse_squared_from,
)
INNER_PRODUCT_SCORE = Scale(
    "inner_product_score",
    "s + 1 if s >= 0 else 1 / (1 - s)",
    "higher",
    _inner_product_score_to,
    _inner_product_score_from,
)
SCALES: dict[str, Scale] = {
    s.name: s
    for s in (
        SIMILARITY,
        UNIT_SIMILARITY,
        COSINE_DISTANCE,
        NEGATIVE_SIMILARITY,
        EUCLIDEAN,
        SQUARED_EUCLIDEAN,
        INVERSE_SQUARED_EUCLIDEAN,
        INNER_PRODUCT_SCORE,
    )
}
"""Every scale by name (the generic adapter's ``threshold_scale`` and ``score_scale``)."""


@dataclass(frozen=True, slots=True)
class RequestThreshold:
    """One threshold of a search request, as its adapter found it.

    ``field`` names it as the engine does (``score_threshold``, ``knn.similarity``,
    ``searches[1].score_threshold``); ``query`` is the query of a batch it belongs to (None: the
    whole request); ``keeps`` says which side of ``value`` results are kept on. ``scale`` is
    None when the value cannot be related to the calibrator's similarity (a Manhattan distance,
    the ``min_score`` of a hybrid query's summed score); ``reason`` then says why.
    """

    field: str
    query: int | None
    value: float
    keeps: Keeps
    scale: Scale | None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class ThresholdChange:
    """What the translation for the new index made of one request threshold.

    ``translated`` is the value sent to the new index, None when the threshold went as the
    client sent it; ``result`` says why (``translated``, ``no_map``, ``out_of_domain``,
    ``unsupported``, ``off``).
    """

    field: str
    query: int | None
    original: float
    translated: float | None
    result: str


def threshold_number(value: object) -> float | None:
    """``value`` as a finite float when it is a JSON number (not a bool), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None
