"""Qdrant's search API: ``points/search``, ``points/query`` and ``points/search/batch``.

Answers (https://api.qdrant.tech/api-reference): search gives
``{"result": [{"id": 1, "score": 0.9, ...}], "status": "ok", "time": ...}``; query gives
``{"result": {"points": [...]}}``; batch search gives ``{"result": [[...], [...]]}``.
Scores are similarities for cosine and dot, and distances for Euclid and Manhattan
(set ``options.score = "distance"`` for those collections).
"""

from __future__ import annotations

from typing import Any, ClassVar

from proxy.adapters.base import Ranked, ScoreKind, expect, ranked_from_pairs
from proxy.config.loader import Where
from proxy.config.schema import Route
from proxy.errors import UnparseableResponseError


class QdrantAdapter:
    """Reads Qdrant search, query and batch-search answers."""

    name: ClassVar[str] = "qdrant"

    def __init__(self, score: ScoreKind = "similarity") -> None:
        """``score``: how the collection's metric reports closeness."""
        self.score: ScoreKind = score

    @classmethod
    def from_route(cls, route: Route, where: Where) -> QdrantAdapter:
        """Options: ``score = "similarity" | "distance"`` (default similarity)."""
        unknown = set(route.options) - {"score"}
        if unknown:
            raise where.error(
                f"options.{min(unknown)}",
                "is not an option of the qdrant adapter (known: score)",
            )
        score = route.options.get("score", "similarity")
        if score not in ("similarity", "distance"):
            raise where.error("options.score", f"must be 'similarity' or 'distance', got {score!r}")
        return cls(score)

    def rankings(self, body: Any) -> list[Ranked]:
        """One list for search and query, one per query for batch search."""
        expect(body, dict, "answer")
        if "result" not in body:
            raise UnparseableResponseError("answer: no 'result' field (is this a Qdrant error?)")
        result = body["result"]
        if isinstance(result, dict):  # points/query
            return [
                self._points(expect(result.get("points"), list, "result.points"), "result.points")
            ]
        expect(result, list, "result")
        if result and all(isinstance(r, list) for r in result):  # batch search
            return [self._points(r, f"result[{i}]") for i, r in enumerate(result)]
        return [self._points(result, "result")]

    def _points(self, points: list[Any], where: str) -> Ranked:
        pairs = []
        for i, point in enumerate(points):
            expect(point, dict, f"{where}[{i}]")
            pairs.append((point.get("id"), point.get("score")))
        return ranked_from_pairs(pairs, self.score, where)


ADAPTER = QdrantAdapter
