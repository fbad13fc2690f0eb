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
               "reason": "..." | null, "exact": true}

``threshold`` is null exactly when no threshold meets the policy; ``status`` and ``reason``
say why. A segment with too few labelled queries carries the global threshold with status
``fallback_global``. Keys this version does not know are ignored (a newer calibrator may add
some); a larger ``format`` is refused. Every problem raises
:class:`~proxy.errors.ThresholdsError` naming the file and the key.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from proxy.config.where import Where
from proxy.errors import ThresholdsError

FORMAT = 1
Status = Literal["calibrated", "fallback_global", "no_threshold"]
STATUSES: tuple[Status, ...] = ("calibrated", "fallback_global", "no_threshold")
Metric = Literal["cosine", "dot"]
METRICS: tuple[Metric, ...] = ("cosine", "dot")
Interval = tuple[float, float]


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
        entry = self.segments.get(segment) if segment is not None else None
        return (entry if entry is not None else self.global_).threshold


# ---------------------------------------------------------------------------------------
# reading


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    shown = json.dumps(value) if isinstance(value, str | int | float | bool) else type(value)
    return f"{type(value).__name__} {shown}"


def _table(value: Any, at: Where) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise at.error(None, f"must be an object, got {_describe(value)}")
    return value


def _optional_table(value: Any, at: Where) -> Mapping[str, Any] | None:
    return None if value is None else MappingProxyType(dict(_table(value, at)))


def _get(table: Mapping[str, Any], name: str, at: Where, *, required: bool = True) -> Any:
    if name not in table:
        if required:
            raise at.error(name, "is missing")
        return None
    return table[name]


def _number(value: Any, at: Where, *, unit: bool = False, nullable: bool = False) -> float | None:
    if value is None and nullable:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        kind = "a finite number" + (" or null" if nullable else "")
        raise at.error(None, f"must be {kind}, got {_describe(value)}")
    if unit and not 0.0 <= value <= 1.0:
        raise at.error(None, f"must be between 0 and 1, got {value}")
    return float(value)


def _count(value: Any, at: Where, *, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise at.error(None, f"must be an integer of at least {minimum}, got {_describe(value)}")
    return value


def _text(value: Any, at: Where, *, nullable: bool = False) -> str | None:
    if value is None and nullable:
        return None
    if not isinstance(value, str) or (not value and not nullable):
        raise at.error(None, f"must be a non-empty string, got {_describe(value)}")
    return value


def _interval(value: Any, at: Where) -> Interval | None:
    if value is None:
        return None
    if not isinstance(value, list) or len(value) != 2:
        raise at.error(None, f"must be [low, high] or null, got {_describe(value)}")
    low = _number(value[0], at.child("0"))
    high = _number(value[1], at.child("1"))
    assert low is not None
    assert high is not None
    if low > high:
        raise at.error(None, f"must have low <= high, got [{low}, {high}]")
    return (low, high)


def _segment(value: Any, at: Where) -> SegmentThreshold:
    table = _table(value, at)
    status = _get(table, "status", at)
    if status not in STATUSES:
        raise at.error("status", f"must be one of {', '.join(STATUSES)}, got {status!r}")
    threshold = _number(_get(table, "threshold", at), at.child("threshold"), nullable=True)
    if status == "calibrated" and threshold is None:
        raise at.error("threshold", "must be a number when status is calibrated")
    if status == "no_threshold" and threshold is not None:
        raise at.error("threshold", "must be null when status is no_threshold")
    raw_intervals = _table(table.get("intervals", {}), at.child("intervals"))
    at_i = at.child("intervals")
    intervals = Intervals(
        threshold=_interval(raw_intervals.get("threshold"), at_i.child("threshold")),
        precision=_interval(raw_intervals.get("precision"), at_i.child("precision")),
        recall=_interval(raw_intervals.get("recall"), at_i.child("recall")),
    )
    exact = table.get("exact", True)
    if not isinstance(exact, bool):
        raise at.error("exact", f"must be true or false, got {_describe(exact)}")
    return SegmentThreshold(
        threshold=threshold,
        precision=_number(
            _get(table, "precision", at), at.child("precision"), unit=True, nullable=True
        ),
        recall=_number(_get(table, "recall", at), at.child("recall"), unit=True, nullable=True),
        n_queries=_count(_get(table, "n_queries", at), at.child("n_queries")),
        status=status,
        reason=_text(table.get("reason"), at.child("reason"), nullable=True),
        n_relevant=_count(table.get("n_relevant", 0), at.child("n_relevant")),
        n_unscored=_count(table.get("n_unscored", 0), at.child("n_unscored")),
        intervals=intervals,
        exact=exact,
    )


def _name(name: str, at: Where) -> str:
    if not name:
        raise at.error(None, "has an empty segment name")
    return name


def _created_at(value: Any, at: Where) -> datetime:
    text = _text(value, at)
    assert text is not None
    try:
        when = datetime.fromisoformat(text)
    except ValueError as e:
        raise at.error(
            None, f"must be an ISO 8601 time such as 2026-01-31T12:00:00Z, got {text!r}"
        ) from e
    if when.tzinfo is None:
        raise at.error(None, f"must carry a time zone (end it with Z), got {text!r}")
    return when


def from_dict(doc: Any, source: str = "thresholds.json") -> ThresholdsDocument:
    """Validate a decoded document and build it; ThresholdsError names ``source`` and the key."""
    at = Where.json(source, ThresholdsError)
    table = _table(doc, at)
    fmt = _count(_get(table, "format", at), at.child("format"), minimum=1)
    if fmt > FORMAT:
        raise at.error(
            "format", f"is {fmt}: written by a newer calibrator; this proxy reads format {FORMAT}"
        )
    model = _table(_get(table, "model", at), at.child("model"))
    metric = _get(table, "metric", at)
    if metric not in METRICS:
        raise at.error("metric", f"must be one of {', '.join(METRICS)}, got {metric!r}")
    segments = _table(_get(table, "segments", at), at.child("segments"))
    return ThresholdsDocument(
        version=_count(_get(table, "version", at), at.child("version"), minimum=1),
        created_at=_created_at(_get(table, "created_at", at), at.child("created_at")),
        model=ModelInfo(
            name=str(
                _text(_get(model, "name", at.child("model")), at.child("model").child("name"))
            ),
            fingerprint=str(
                _text(
                    _get(model, "fingerprint", at.child("model")),
                    at.child("model").child("fingerprint"),
                )
            ),
            details=MappingProxyType(
                dict(_table(model.get("details", {}), at.child("model").child("details")))
            ),
        ),
        metric=metric,
        policy=MappingProxyType(dict(_table(_get(table, "policy", at), at.child("policy")))),
        global_=_segment(_get(table, "global", at), at.child("global")),
        segments=MappingProxyType(
            {
                _name(name, at.child("segments")): _segment(value, at.child("segments").child(name))
                for name, value in segments.items()
            }
        ),
        inputs=MappingProxyType(dict(_table(table.get("inputs", {}), at.child("inputs")))),
        quantile_mapping=_optional_table(
            table.get("quantile_mapping"), at.child("quantile_mapping")
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


def _interval_out(value: Interval | None) -> list[float] | None:
    return None if value is None else [value[0], value[1]]


def segment_to_dict(entry: SegmentThreshold) -> dict[str, Any]:
    """A segment entry as JSON-ready data."""
    return {
        "threshold": entry.threshold,
        "precision": entry.precision,
        "recall": entry.recall,
        "n_queries": entry.n_queries,
        "n_relevant": entry.n_relevant,
        "n_unscored": entry.n_unscored,
        "intervals": {
            "threshold": _interval_out(entry.intervals.threshold),
            "precision": _interval_out(entry.intervals.precision),
            "recall": _interval_out(entry.intervals.recall),
        },
        "status": entry.status,
        "reason": entry.reason,
        "exact": entry.exact,
    }


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
