"""The evidence beside a segment's threshold: labelled quality, divergence, score band.

Optional keys of a segment entry of the thresholds document (``format`` stays 1: a document
without them parses, and these keys are ignored by proxies that predate them)::

    "quality": null | {                     # the new side vs the old on the same labelled queries
        "k": 10, "n_queries": 300, "confidence": 0.95, "bootstrap": 1000,
        "old": {"model": "all-MiniLM-L6-v2", "threshold": 0.5 | null},  # null: top-k only
        "new": {"model": "all-mpnet-base-v2", "threshold": 0.41 | null},
        "metrics": {"ndcg@10": {"old": 0.645, "new": 0.656, "diff": 0.011,
                                "interval": [lo, hi]}, ...},  # paired bootstrap of new - old
        "abstain": null | {                 # at both thresholds (absent: not measured)
            "n_queries": 809, "new_empty": 45, "old_empty": 26,   # exact counts
            "net": 0.0235, "interval": [lo, hi] | null            # (new - old) / n, bootstrap
        }
    }
    "divergence": null | {                  # what the two models alone explain
        "k": 10, "n_queries": 300, "n_documents": 5183, "rbo_p": 0.9,
        "overlap": {"mean": 0.52, "sd": 0.21}, "rbo": {"mean": 0.54, "sd": 0.19}
    }
    "score_band": null | {                  # the new model's top-1 scores on labelled queries
        "n_queries": 300, "top1": {"p01": 0.31, "p05": .., "p50": .., "p95": .., "p99": 0.82}
    }
    "map": ...                              # proxy.thresholds.scoremap

Metric names in ``quality.metrics`` are free (``ndcg@10``, ``recall@10``,
``precision_at_threshold``, ``recall_at_threshold``); the gate reads the one named by
``[gate].quality_metric``. ``quality.abstain`` counts the labelled queries where the old model
at ``old.threshold`` keeps at least one document and the new model at ``new.threshold`` none
(``new_empty``), and the reverse (``old_empty``): what the two models alone do to empty answers,
the expectation of the gate's ``new_empty_rate``; ``net`` is ``(new_empty - old_empty) /
n_queries`` and ``interval`` its paired bootstrap interval at ``confidence``. Scores are in
the document's similarity scale (``metric``). Every problem raises
:class:`~proxy.errors.ThresholdsError` naming the key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from proxy.config.where import Where
from proxy.thresholds.fields import (
    Interval,
    count,
    get,
    interval,
    interval_out,
    number,
    real,
    table,
    text,
)

QUANTILES = ("p01", "p05", "p50", "p95", "p99")
NET_TOLERANCE = 1e-6  # a written ``net`` is a rounded (new_empty - old_empty) / n_queries


@dataclass(frozen=True, slots=True)
class QualitySide:
    """One side of a labelled comparison: its model, and its threshold (None: top-k only)."""

    model: str
    threshold: float | None


@dataclass(frozen=True, slots=True)
class MetricDiff:
    """One metric on both sides and the paired bootstrap interval of new - old."""

    old: float
    new: float
    diff: float
    interval: Interval


@dataclass(frozen=True, slots=True)
class AbstainFlips:
    """Labelled queries one side leaves empty at its threshold while the other keeps some.

    ``new_empty``: the old side keeps at least one document and the new side none;
    ``old_empty``: the reverse. Counts are exact; ``interval`` is the paired bootstrap interval
    of :attr:`net` (None when no resample was drawn).
    """

    n_queries: int
    new_empty: int
    old_empty: int
    interval: Interval | None

    @property
    def net(self) -> float:
        """The share of queries emptied net of those filled: ``(new - old) / n``."""
        return (self.new_empty - self.old_empty) / self.n_queries


@dataclass(frozen=True, slots=True)
class Quality:
    """The new side against the old on the same labelled queries of one segment."""

    k: int
    n_queries: int
    confidence: float
    bootstrap: int
    old: QualitySide
    new: QualitySide
    metrics: Mapping[str, MetricDiff]
    abstain: AbstainFlips | None = None  # only with a threshold on both sides

    def metric(self, name: str) -> MetricDiff | None:
        """The figures of metric ``name`` (None: not published)."""
        return self.metrics.get(name)


@dataclass(frozen=True, slots=True)
class Spread:
    """Mean and standard deviation of a per-query figure."""

    mean: float
    sd: float


@dataclass(frozen=True, slots=True)
class Divergence:
    """Overlap@k and RBO between the two models' top-k lists on the labelled queries.

    ``n_documents`` is the size of the document pool they were ranked in: a pool smaller than
    the live index makes lists agree more, so the live figure may sit somewhat lower.
    """

    k: int
    n_queries: int
    n_documents: int
    rbo_p: float
    overlap: Spread
    rbo: Spread


@dataclass(frozen=True, slots=True)
class Quantiles:
    """Quantiles of a score distribution (non-decreasing)."""

    p01: float
    p05: float
    p50: float
    p95: float
    p99: float


@dataclass(frozen=True, slots=True)
class ScoreBand:
    """The new model's top-1 scores over the labelled queries."""

    n_queries: int
    top1: Quantiles


# ---------------------------------------------------------------------------------------
# reading


def quality_from(value: Any, at: Where) -> Quality | None:
    """A segment's ``quality`` (None for null or absent)."""
    if value is None:
        return None
    values = table(value, at)
    raw_metrics = table(get(values, "metrics", at), at.child("metrics"))
    metrics: dict[str, MetricDiff] = {}
    for name, raw in raw_metrics.items():
        if not name:
            raise at.child("metrics").error(None, "has an empty metric name")
        metrics[name] = _metric(raw, at.child("metrics").child(name))
    return Quality(
        k=count(get(values, "k", at), at.child("k"), minimum=1),
        n_queries=count(get(values, "n_queries", at), at.child("n_queries")),
        confidence=real(get(values, "confidence", at), at.child("confidence"), low=0, high=1),
        bootstrap=count(get(values, "bootstrap", at), at.child("bootstrap")),
        old=_side(get(values, "old", at), at.child("old")),
        new=_side(get(values, "new", at), at.child("new")),
        metrics=MappingProxyType(metrics),
        abstain=abstain_from(values.get("abstain"), at.child("abstain")),
    )


def abstain_from(value: Any, at: Where) -> AbstainFlips | None:
    """A quality's ``abstain`` (None for null or absent)."""
    if value is None:
        return None
    values = table(value, at)
    n = count(get(values, "n_queries", at), at.child("n_queries"), minimum=1)
    new_empty = count(get(values, "new_empty", at), at.child("new_empty"))
    old_empty = count(get(values, "old_empty", at), at.child("old_empty"))
    if new_empty + old_empty > n:
        raise at.error(
            None,
            f"counts more flips than queries: new_empty {new_empty} + old_empty {old_empty} > "
            f"n_queries {n}",
        )
    flips = AbstainFlips(
        n_queries=n,
        new_empty=new_empty,
        old_empty=old_empty,
        interval=interval(get(values, "interval", at), at.child("interval")),
    )
    net = real(get(values, "net", at), at.child("net"), low=-1, high=1)
    if abs(net - flips.net) > NET_TOLERANCE:
        raise at.error(
            "net",
            f"must be (new_empty - old_empty) / n_queries = {flips.net:.6f}, got {net}",
        )
    return flips


def _side(value: Any, at: Where) -> QualitySide:
    values = table(value, at)
    return QualitySide(
        model=str(text(get(values, "model", at), at.child("model"))),
        threshold=number(get(values, "threshold", at), at.child("threshold"), nullable=True),
    )


def _metric(value: Any, at: Where) -> MetricDiff:
    values = table(value, at)
    found = interval(get(values, "interval", at), at.child("interval"))
    if found is None:
        raise at.error("interval", "must be [low, high], got null")
    return MetricDiff(
        old=real(get(values, "old", at), at.child("old")),
        new=real(get(values, "new", at), at.child("new")),
        diff=real(get(values, "diff", at), at.child("diff")),
        interval=found,
    )


def divergence_from(value: Any, at: Where) -> Divergence | None:
    """A segment's ``divergence`` (None for null or absent)."""
    if value is None:
        return None
    values = table(value, at)
    return Divergence(
        k=count(get(values, "k", at), at.child("k"), minimum=1),
        n_queries=count(get(values, "n_queries", at), at.child("n_queries")),
        n_documents=count(get(values, "n_documents", at), at.child("n_documents")),
        rbo_p=real(get(values, "rbo_p", at), at.child("rbo_p"), low=0, high=1),
        overlap=_spread(get(values, "overlap", at), at.child("overlap")),
        rbo=_spread(get(values, "rbo", at), at.child("rbo")),
    )


def _spread(value: Any, at: Where) -> Spread:
    values = table(value, at)
    return Spread(
        mean=real(get(values, "mean", at), at.child("mean"), low=0, high=1),
        sd=real(get(values, "sd", at), at.child("sd"), low=0),
    )


def score_band_from(value: Any, at: Where) -> ScoreBand | None:
    """A segment's ``score_band`` (None for null or absent)."""
    if value is None:
        return None
    values = table(value, at)
    at_top = at.child("top1")
    top = table(get(values, "top1", at), at_top)
    found = [real(get(top, q, at_top), at_top.child(q)) for q in QUANTILES]
    for lower, higher, name in zip(found, found[1:], QUANTILES[1:], strict=False):
        if higher < lower:
            raise at_top.error(name, f"must not be below the quantile before it, got {higher}")
    return ScoreBand(
        n_queries=count(get(values, "n_queries", at), at.child("n_queries")),
        top1=Quantiles(*found),
    )


# ---------------------------------------------------------------------------------------
# writing


def quality_to_dict(quality: Quality) -> dict[str, Any]:
    """``quality`` as JSON-ready data (``abstain`` only when measured)."""
    out: dict[str, Any] = {
        "k": quality.k,
        "n_queries": quality.n_queries,
        "confidence": quality.confidence,
        "bootstrap": quality.bootstrap,
        "old": {"model": quality.old.model, "threshold": quality.old.threshold},
        "new": {"model": quality.new.model, "threshold": quality.new.threshold},
        "metrics": {
            name: {"old": m.old, "new": m.new, "diff": m.diff, "interval": interval_out(m.interval)}
            for name, m in quality.metrics.items()
        },
    }
    if quality.abstain is not None:
        out["abstain"] = abstain_to_dict(quality.abstain)
    return out


def abstain_to_dict(flips: AbstainFlips) -> dict[str, Any]:
    """``flips`` as JSON-ready data."""
    return {
        "n_queries": flips.n_queries,
        "new_empty": flips.new_empty,
        "old_empty": flips.old_empty,
        "net": flips.net,
        "interval": interval_out(flips.interval),
    }


def divergence_to_dict(divergence: Divergence) -> dict[str, Any]:
    """``divergence`` as JSON-ready data."""
    return {
        "k": divergence.k,
        "n_queries": divergence.n_queries,
        "n_documents": divergence.n_documents,
        "rbo_p": divergence.rbo_p,
        "overlap": {"mean": divergence.overlap.mean, "sd": divergence.overlap.sd},
        "rbo": {"mean": divergence.rbo.mean, "sd": divergence.rbo.sd},
    }


def score_band_to_dict(band: ScoreBand) -> dict[str, Any]:
    """``band`` as JSON-ready data."""
    return {
        "n_queries": band.n_queries,
        "top1": {q: getattr(band.top1, q) for q in QUANTILES},
    }
