"""A compared search as the recorder, the review capture and the coverage checker read it.

:class:`~proxy.shadow.job.ShadowJob` carries these fields (:class:`proxy.compare.record.Compared`);
tests build the few they need, the rest defaulted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from proxy.adapters.base import Adapter
from proxy.adapters.scales import ThresholdChange
from proxy.config.schema import Route


@dataclass(frozen=True)
class Search:
    """What :class:`proxy.compare.record.Compared` asks of a compared search."""

    route: Route
    adapter: Adapter
    segment: str = "docs"
    new_path: str = "/collections/new/points/search"
    body: bytes = b"{}"
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    thresholds: tuple[ThresholdChange, ...] = ()
    request_headers: dict[str, str] = field(default_factory=dict)


def qdrant_answer(*lists: list[tuple[int, float]]) -> bytes:
    """A Qdrant answer of (id, score) pairs: one list is a search, several a batch search."""
    results = [[{"id": i, "score": s} for i, s in ranked] for ranked in lists]
    return json.dumps({"result": results[0] if len(results) == 1 else results}).encode()
