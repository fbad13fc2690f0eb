"""The thresholds document: what the calibrator publishes and the proxy reads (stdlib only).

One JSON document per publication. The calibrator writes it atomically next to its history
(``thresholds.json`` is the current one, ``thresholds.v<N>.json`` each published version);
the proxy re-reads the current one when it changes and keeps the previous document in force
when the new one does not validate. Shape (``format`` 1)::

    {
      "format": 1,
      "version": 7,                                   # 1, 2, 3 ... never reused
      "created_at": "2026-11-28T01:02:03Z",
      "model": {"name": "all-mpnet-base-v2", "fingerprint": "sha256:...", "details": {...}},
      "metric": "cosine",                             # or "dot": what the scores are
      "policy": {"kind": "target_recall", "target": 0.9, "average": "micro",
                 "min_queries": 20, "confidence": 0.95},
      "inputs": {"fingerprint": "sha256:...", ...},   # what was calibrated on
      "global": SEGMENT,
      "segments": {"docs": SEGMENT, ...},
      "quantile_mapping": null | {...}                # label-free proposals (for people)
    }
    SEGMENT = {"threshold": 0.61 | null, "precision": 0.8 | null, "recall": 0.9 | null,
               "n_queries": 120, "n_relevant": 310, "n_unscored": 2,
               "intervals": {"threshold": [lo, hi] | null, "precision": ..., "recall": ...},
               "status": "calibrated" | "fallback_global" | "no_threshold",
               "reason": "..." | null, "exact": true,
               "quality": ..., "divergence": ..., "score_band": ...,   # optional: evidence.py
               "map": ...}                                             # optional: scoremap.py

``threshold`` is null exactly when no threshold meets the policy; ``status`` and ``reason``
say why. A segment with too few labelled queries carries the global threshold with status
``fallback_global``. Keys this version does not know are ignored (a newer calibrator may add
some); a larger ``format`` is refused. Every problem raises
:class:`~proxy.errors.ThresholdsError` naming the file and the key.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from proxy.config.where import Where
from proxy.errors import ThresholdsError
from proxy.thresholds import evidence, scoremap
from proxy.thresholds.evidence import Divergence, Quality, ScoreBand
from proxy.thresholds.fields import (
    Interval,
    count,
    describe,
    get,
    interval,
    interval_out,
    number,
    optional_table,
    table,
    text,
)
from proxy.thresholds.scoremap import ScoreMap

FORMAT = 1
Status = Literal["calibrated", "fallback_global", "no_threshold"]
STATUSES: tuple[Status, ...] = ("calibrated", "fallback_global", "no_threshold")
Metric = Literal["cosine", "dot"]
METRICS: tuple[Metric, ...] = ("cosine", "dot")


@dataclass(frozen=True, slots=True)
class Intervals:
    """Confidence intervals (bootstrap over queries) of a segment's figures; None if unknown."""

    threshold: Interval | None = None
    precision: Interval | None = None
    recall: Interval | None = None


@dataclass(frozen=True, slots=True)
class SegmentThreshold:
    """One segment's (or the global) calibrated threshold and the evidence beside it."""

    threshold: float | None
    precision: float | None
    recall: float | None
    n_queries: int
    status: Status
    reason: str | None = None
    n_relevant: int = 0
    n_unscored: int = 0
    intervals: Intervals = field(default_factory=Intervals)
    exact: bool = True
    quality: Quality | None = None
    divergence: Divergence | None = None
    score_band: ScoreBand | None = None
    map: ScoreMap | None = None


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """The model the thresholds belong to: name, fingerprint, and what the fingerprint hashes."""

    name: str
    fingerprint: str
    details: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True, slots=True)
class ThresholdsDocument:
    """A whole thresholds document (see the module docstring for the JSON shape)."""

    version: int
    created_at: datetime
    model: ModelInfo
    metric: Metric
    policy: Mapping[str, Any]
    global_: SegmentThreshold
    segments: Mapping[str, SegmentThreshold]
    inputs: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    quantile_mapping: Mapping[str, Any] | None = None  # informational: not read by the proxy

    def threshold_for(self, segment: str | None) -> float | None:
        """The threshold to apply to a query of ``segment`` (unknown or None: the global one).

        None means no threshold meets the policy there: accept nothing by threshold.
        """
        return self._entry(segment).threshold

    def _entry(self, segment: str | None) -> SegmentThreshold:
        entry = self.segments.get(segment) if segment is not None else None
        return entry if entry is not None else self.global_

    def quality_for(self, segment: str | None) -> Quality | None:
        """The labelled quality of ``segment`` itself; None: the global one for ``segment=None``.

        Never borrowed from the global entry: a segment without labelled queries of its own has
        no labelled quality (its labels cannot prove non-inferiority, so the gate is
        inconclusive there). Pass None to read the global entry's (a sidecar without segments).
        """
        if segment is None:
            return self.global_.quality
        entry = self.segments.get(segment)
        return None if entry is None else entry.quality

    def divergence_for(self, segment: str | None) -> Divergence | None:
        """The segment's expected divergence, else the global one (the models are the same)."""
        own = self._entry(segment).divergence
        return own if own is not None else self.global_.divergence

    def score_band_for(self, segment: str | None) -> ScoreBand | None:
        """The segment's top-1 score band of the new model, else the global one."""
        own = self._entry(segment).score_band
        return own if own is not None else self.global_.score_band

    def map_for(self, segment: str | None) -> ScoreMap | None:
        """The segment's old-to-new score map, else the global one."""
        own = self._entry(segment).map
        return own if own is not None else self.global_.map


# ---------------------------------------------------------------------------------------
# reading


def _segment(value: Any, at: Where) -> SegmentThreshold:
    values = table(value, at)
    status = get(values, "status", at)
    if status not in STATUSES:
        raise at.error("status", f"must be one of {', '.join(STATUSES)}, got {status!r}")
    threshold = number(get(values, "threshold", at), at.child("threshold"), nullable=True)
    if status == "calibrated" and threshold is None:
        raise at.error("threshold", "must be a number when status is calibrated")
    if status == "no_threshold" and threshold is not None:
        raise at.error("threshold", "must be null when status is no_threshold")
    raw_intervals = table(values.get("intervals", {}), at.child("intervals"))
    at_i = at.child("intervals")
    intervals = Intervals(
        threshold=interval(raw_intervals.get("threshold"), at_i.child("threshold")),
        precision=interval(raw_intervals.get("precision"), at_i.child("precision")),
        recall=interval(raw_intervals.get("recall"), at_i.child("recall")),
    )
    exact = values.get("exact", True)
    if not isinstance(exact, bool):
        raise at.error("exact", f"must be true or false, got {describe(exact)}")
    return SegmentThreshold(
        threshold=threshold,
        precision=number(
            get(values, "precision", at), at.child("precision"), unit=True, nullable=True
        ),
        recall=number(get(values, "recall", at), at.child("recall"), unit=True, nullable=True),
        n_queries=count(get(values, "n_queries", at), at.child("n_queries")),
        status=status,
        reason=text(values.get("reason"), at.child("reason"), nullable=True),
        n_relevant=count(values.get("n_relevant", 0), at.child("n_relevant")),
        n_unscored=count(values.get("n_unscored", 0), at.child("n_unscored")),
        intervals=intervals,
        exact=exact,
        quality=evidence.quality_from(values.get("quality"), at.child("quality")),
        divergence=evidence.divergence_from(values.get("divergence"), at.child("divergence")),
        score_band=evidence.score_band_from(values.get("score_band"), at.child("score_band")),
        map=scoremap.map_from(values.get("map"), at.child("map")),
    )


def _name(name: str, at: Where) -> str:
    if not name:
        raise at.error(None, "has an empty segment name")
    return name


def _created_at(value: Any, at: Where) -> datetime:
    written = text(value, at)
    assert written is not None
    try:
        when = datetime.fromisoformat(written)
    except ValueError as e:
        raise at.error(
            None, f"must be an ISO 8601 time such as 2026-01-31T12:00:00Z, got {written!r}"
        ) from e
    if when.tzinfo is None:
        raise at.error(None, f"must carry a time zone (end it with Z), got {written!r}")
    return when


def from_dict(doc: Any, source: str = "thresholds.json") -> ThresholdsDocument:
    """Validate a decoded document and build it; ThresholdsError names ``source`` and the key."""
    at = Where.json(source, ThresholdsError)
    values = table(doc, at)
    fmt = count(get(values, "format", at), at.child("format"), minimum=1)
    if fmt > FORMAT:
        raise at.error(
            "format", f"is {fmt}: written by a newer calibrator; this proxy reads format {FORMAT}"
        )
    model = table(get(values, "model", at), at.child("model"))
    metric = get(values, "metric", at)
    if metric not in METRICS:
        raise at.error("metric", f"must be one of {', '.join(METRICS)}, got {metric!r}")
    segments = table(get(values, "segments", at), at.child("segments"))
    return ThresholdsDocument(
        version=count(get(values, "version", at), at.child("version"), minimum=1),
        created_at=_created_at(get(values, "created_at", at), at.child("created_at")),
        model=ModelInfo(
            name=str(text(get(model, "name", at.child("model")), at.child("model").child("name"))),
            fingerprint=str(
                text(
                    get(model, "fingerprint", at.child("model")),
                    at.child("model").child("fingerprint"),
                )
            ),
            details=MappingProxyType(
                dict(table(model.get("details", {}), at.child("model").child("details")))
            ),
        ),
        metric=metric,
        policy=MappingProxyType(dict(table(get(values, "policy", at), at.child("policy")))),
        global_=_segment(get(values, "global", at), at.child("global")),
        segments=MappingProxyType(
            {
                _name(name, at.child("segments")): _segment(value, at.child("segments").child(name))
                for name, value in segments.items()
            }
        ),
        inputs=MappingProxyType(dict(table(values.get("inputs", {}), at.child("inputs")))),
        quantile_mapping=optional_table(
            values.get("quantile_mapping"), at.child("quantile_mapping")
        ),
    )


def parse_thresholds(text: str | bytes, source: str = "thresholds.json") -> ThresholdsDocument:
    """Parse and validate a document's text."""
    try:
        doc = json.loads(text)
    except (ValueError, UnicodeDecodeError) as e:
        raise ThresholdsError(f"{source}: not valid JSON: {e}") from e
    return from_dict(doc, source)


def load_thresholds(path: str | Path) -> ThresholdsDocument:
    """Read and validate the document at ``path``."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError as e:
        raise ThresholdsError(f"{p}: no thresholds document (run embedshift calibrate)") from e
    except OSError as e:
        raise ThresholdsError(f"{p}: cannot read the thresholds document: {e}") from e
    return parse_thresholds(raw, str(p))


# ---------------------------------------------------------------------------------------
# writing


def segment_to_dict(entry: SegmentThreshold) -> dict[str, Any]:
    """A segment entry as JSON-ready data."""
    out: dict[str, Any] = {
        "threshold": entry.threshold,
        "precision": entry.precision,
        "recall": entry.recall,
        "n_queries": entry.n_queries,
        "n_relevant": entry.n_relevant,
        "n_unscored": entry.n_unscored,
        "intervals": {
            "threshold": interval_out(entry.intervals.threshold),
            "precision": interval_out(entry.intervals.precision),
            "recall": interval_out(entry.intervals.recall),
        },
        "status": entry.status,
        "reason": entry.reason,
        "exact": entry.exact,
    }
    # the evidence keys are written only when known, so older documents stay byte-identical
    if entry.quality is not None:
        out["quality"] = evidence.quality_to_dict(entry.quality)
    if entry.divergence is not None:
        out["divergence"] = evidence.divergence_to_dict(entry.divergence)
    if entry.score_band is not None:
        out["score_band"] = evidence.score_band_to_dict(entry.score_band)
    if entry.map is not None:
        out["map"] = scoremap.map_to_dict(entry.map)
    return out


def to_dict(doc: ThresholdsDocument) -> dict[str, Any]:
    """The document as JSON-ready data (the inverse of :func:`from_dict`)."""
    return {
        "format": FORMAT,
        "version": doc.version,
        "created_at": doc.created_at.isoformat().replace("+00:00", "Z"),
        "model": {
            "name": doc.model.name,
            "fingerprint": doc.model.fingerprint,
            "details": dict(doc.model.details),
        },
        "metric": doc.metric,
        "policy": dict(doc.policy),
        "inputs": dict(doc.inputs),
        "global": segment_to_dict(doc.global_),
        "segments": {name: segment_to_dict(s) for name, s in doc.segments.items()},
        "quantile_mapping": None if doc.quantile_mapping is None else dict(doc.quantile_mapping),
    }


def dump_thresholds(doc: ThresholdsDocument) -> str:
    """The document's JSON text (indented, keys in a fixed order, newline-terminated)."""
    return json.dumps(to_dict(doc), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
