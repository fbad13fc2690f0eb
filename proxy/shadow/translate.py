"""Thresholds follow the traffic: request thresholds and answer scores through the segment's map.

A threshold belongs to a model. When a search goes to the new index (the mirror in shadow mode,
and the request the new index answers in canary and flipped modes), the thresholds the client
wrote for the old model are translated by the calibrator's old-to-new score map of the request's
segment (:class:`~proxy.thresholds.scoremap.ScoreMap`, handed in as a :data:`MapSource`):

1. the route's adapter finds each threshold, which side it keeps, and its scale
   (:meth:`~proxy.adapters.base.Adapter.thresholds`);
2. each value goes to the calibrator's similarity, through ``to_new``, and back to the engine's
   scale (:class:`~proxy.adapters.scales.Scale`); a bound at the end of the cosine scale that
   keeps everything on its side (``range_filter = 1.0``, a lower bound at -1) stays as it is;
3. the adapter writes the new values (:meth:`~proxy.adapters.base.Adapter.rewrite_thresholds`).

A request's result is ``translated`` (every threshold), else the first reason one was not:
``no_map`` (no map published for the segment, nor a global one), ``unsupported`` (a scale that
relates to no similarity: a Manhattan distance, the ``min_score`` of a hybrid search),
or ``out_of_domain`` (a value outside the map's domain). Counted in
``embedshift_threshold_translations_total`` per route, segment, purpose (``mirror``,
``answer``) and result; a route with ``translate_thresholds = false`` sends its thresholds as
written, uncounted. What becomes of an untranslated
request is the caller's policy (:mod:`proxy.shadow.rewrite`): a mirror goes with what could
be translated, the rest as sent; the new index answers a client only with every threshold
translated, unless the route's ``untranslatable = "as_sent"``.

Answers (a route's ``response_scores = "old_scale"``): each score of the new index's answer goes
the other way (``to_old``), so that a client's own cut (``if hit.score >= 0.75``) keeps its
meaning; the map is monotone, so the ranking is unchanged. A score beyond the map's image is
extended with slope 1 from the nearest end (still monotone, and on the same side of every
threshold in the domain as the true value would be).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from proxy.adapters.base import Adapter
from proxy.adapters.scales import RequestThreshold, Scale, ThresholdChange
from proxy.errors import AdapterError
from proxy.jsondoc import parse_json_body
from proxy.metrics import TranslationMetrics
from proxy.shadow.job import ShadowJob

Result = Literal["translated", "no_map", "unsupported", "out_of_domain"]
RESULTS: tuple[Result, ...] = ("translated", "no_map", "unsupported", "out_of_domain")
"""Every result of a request's translation (a metric label's bounded values)."""
_SEVERITY = {"translated": 0, "out_of_domain": 1, "unsupported": 2, "no_map": 3}
SCALE_HEADER = "X-Embedshift-Score-Scale"
"""Response header of a route with ``response_scores = "old_scale"``: ``old;map=v7`` when the
scores were mapped to the old model's scale by version 7's map, ``new`` when they were not."""


class ScoreMapLike(Protocol):
    """An old-to-new score map (:class:`proxy.thresholds.scoremap.ScoreMap`)."""

    @property
    def domain(self) -> tuple[float, float]:
        """The old scores the map translates, [low, high]."""
        ...

    def to_new(self, old_score: float) -> float | None:
        """The new score for an old one; None outside the domain."""
        ...

    def to_old(self, new_score: float) -> float | None:
        """The old score for a new one; None outside the domain's image."""
        ...


@dataclass(frozen=True, slots=True)
class MapInForce:
    """A segment's map and the version of the thresholds document that published it."""

    score_map: ScoreMapLike
    version: int


MapSource = Callable[[str], MapInForce | None]
"""The map in force for a segment (its own, else the global one), or None."""


def no_maps(_segment: str) -> MapInForce | None:
    """The map source of a sidecar without a thresholds document."""
    return None


@dataclass(frozen=True, slots=True)
class Translation:
    """What translating one request did: each threshold's change and the request's result.

    ``result`` is None when the request carries no threshold.
    """

    changes: tuple[ThresholdChange, ...]
    result: Result | None

    @property
    def complete(self) -> bool:
        """Whether every threshold the request carries went to the new index translated."""
        return self.result in (None, "translated")


def translate(adapter: Adapter, doc: Any, found: MapInForce | None) -> Translation:
    """Translate ``doc``'s thresholds in place by ``found``'s map (module docstring).

    AdapterError when the adapter cannot read the request.
    """
    slots = adapter.thresholds(doc)
    if not slots:
        return Translation((), None)
    values: dict[int, float] = {}
    changes: list[ThresholdChange] = []
    worst: Result = "translated"
    for index, slot in enumerate(slots):
        value, result = _one(slot, found)
        if value is not None and value != slot.value:
            values[index] = value
        if _SEVERITY[result] > _SEVERITY[worst]:
            worst = result
        changes.append(ThresholdChange(slot.field, slot.query, slot.value, value, result))
    if values:
        adapter.rewrite_thresholds(doc, values)
    return Translation(tuple(changes), worst)


def _one(slot: RequestThreshold, found: MapInForce | None) -> tuple[float | None, Result]:
    scale = slot.scale
    if scale is None:
        return None, "unsupported"
    if found is None:
        return None, "no_map"
    similarity = scale.to_similarity(slot.value)
    if similarity is None:
        return None, "out_of_domain"
    lower = scale.lower_bound(slot.keeps)
    if (lower and similarity <= -1.0) or (not lower and similarity >= 1.0):
        return slot.value, "translated"  # keeps everything on its side, under any cosine map
    new = found.score_map.to_new(similarity)
    if new is None:
        return None, "out_of_domain"
    return scale.from_similarity(new), "translated"


def old_similarity(score_map: ScoreMapLike, new: float) -> float:
    """The old model's similarity for a new one, extended with slope 1 beyond the map's image."""
    low, high = score_map.domain
    new_low, new_high = score_map.to_new(low), score_map.to_new(high)
    if new_low is not None and new < new_low:
        return low - (new_low - new)
    if new_high is not None and new > new_high:
        return high + (new - new_high)
    old = score_map.to_old(new)
    return old if old is not None else (low if new_low is not None and new <= new_low else high)


def rescale_answer(
    adapter: Adapter, request: Any, answer_body: bytes, found: MapInForce
) -> bytes | None:
    """The answer's bytes with every score in the old model's scale; None when it cannot be.

    ``request`` is the new index's request document. The answer is read as JSON (gzip
    inflated) and written back compact; an answer the adapter cannot rescale stays as it is.
    """
    answer = parse_json_body(answer_body)
    if answer is None:
        return None

    def rescale(value: float, scale: Scale) -> float:
        similarity = scale.to_similarity(value)
        if similarity is None:
            msg = f"a {scale.name} of {value} is outside its scale"
            raise AdapterError(msg)
        return scale.from_similarity(old_similarity(found.score_map, similarity))

    try:
        rescored = adapter.rescore(answer, request, rescale)
    except AdapterError:
        return None
    return json.dumps(rescored, ensure_ascii=False, separators=(",", ":")).encode()


Purpose = Literal["mirror", "answer"]


class ThresholdTranslator:
    """Translates requests for the new index and rescales its answers, counting both.

    One per config (in :class:`~proxy.shadow.rewrite.ShadowRewriter`); ``maps`` reads the
    thresholds document in force at each call, so a new map applies to the next request.
    """

    def __init__(
        self, maps: MapSource = no_maps, metrics: TranslationMetrics | None = None
    ) -> None:
        """``maps`` gives a segment's map in force; ``metrics`` counts (None: uncounted)."""
        self.maps = maps
        self.metrics = metrics

    def request(self, job: ShadowJob, doc: Any, purpose: Purpose) -> Translation:
        """Translate ``doc`` (job's request for the new index) in place; count it."""
        if not job.route.translate_thresholds:
            return Translation((), None)
        translation = translate(job.adapter, doc, self.maps(job.segment))
        if translation.result is not None and self.metrics is not None:
            self.metrics.translations.labels(
                job.name, job.segment, purpose, translation.result
            ).inc()
        return translation

    def refusal(self, job: ShadowJob, translation: Translation) -> str | None:
        """Why the new index may not answer the client with this request (None: it may).

        ``threshold_untranslated`` or ``no_score_map``, unless the route says ``as_sent``.
        """
        route = job.route
        if route.untranslatable == "as_sent":
            return None
        if not translation.complete:
            return "threshold_untranslated"
        if route.response_scores == "old_scale" and self.maps(job.segment) is None:
            return "no_score_map"
        return None

    def answer(self, job: ShadowJob, answer_body: bytes) -> tuple[bytes | None, str]:
        """The new index's answer in the old model's scale: (new body or None, header value).

        None keeps the answer as it came (no map, or one the adapter cannot rescale): the header
        then says ``new``. Counted per route and segment.
        """
        found = self.maps(job.segment)
        body = None
        result = "no_map"
        if found is not None:
            try:
                request = job.adapter.parse_request(job.body)
            except AdapterError:
                request = None
            body = (
                None
                if request is None
                else rescale_answer(job.adapter, request, answer_body, found)
            )
            result = "rescaled" if body is not None else "unreadable"
        if self.metrics is not None:
            self.metrics.rescaled.labels(job.name, job.segment, result).inc()
        return body, ("new" if body is None or found is None else f"old;map=v{found.version}")
