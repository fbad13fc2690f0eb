"""Builders shared by the gate's tests: settings, published evidence, window figures."""

from __future__ import annotations

from datetime import UTC, datetime
from types import MappingProxyType

from proxy.config import parse_config
from proxy.gate.figures import SegmentFigures
from proxy.thresholds.document import ModelInfo, SegmentThreshold, ThresholdsDocument
from proxy.thresholds.evidence import (
    Divergence,
    MetricDiff,
    Quality,
    QualitySide,
    Quantiles,
    ScoreBand,
    Spread,
)

UPSTREAMS = '[upstreams.old]\nurl = "http://a"\n[upstreams.new]\nurl = "http://b"\n'


def gate_settings(extra: str = ""):
    """``[gate]`` at its defaults, with ``extra`` keys."""
    return parse_config(UPSTREAMS + "[gate]\n" + extra).gate


def quality(diff=0.011, interval=(-0.004, 0.026), n=300, metric="ndcg@10") -> Quality:
    """Labelled quality with one metric's new - old and its interval."""
    return Quality(
        k=10,
        n_queries=n,
        confidence=0.95,
        bootstrap=1000,
        old=QualitySide("all-MiniLM-L6-v2", 0.5),
        new=QualitySide("all-mpnet-base-v2", 0.41),
        metrics=MappingProxyType(
            {metric: MetricDiff(old=0.645, new=0.645 + diff, diff=diff, interval=interval)}
        ),
    )


def divergence(rbo=0.54, overlap=0.52, n_documents=5183) -> Divergence:
    """What the models alone explain on a labelled sample."""
    return Divergence(
        k=10,
        n_queries=300,
        n_documents=n_documents,
        rbo_p=0.9,
        overlap=Spread(overlap, 0.21),
        rbo=Spread(rbo, 0.19),
    )


def band(p01=0.31, p99=0.82) -> ScoreBand:
    """The new model's top-1 band."""
    span = p99 - p01
    return ScoreBand(300, Quantiles(p01, p01 + 0.1 * span, p01 + 0.5 * span, p01 + 0.9 * span, p99))


def live(rbo_values, overlap_values=None, **extra) -> SegmentFigures:
    """Window figures of per-query values, as the counters would hold them."""
    overlap = rbo_values if overlap_values is None else overlap_values
    base = {
        "queries": len(rbo_values),
        "rbo_sum": sum(rbo_values),
        "rbo_squares": sum(v * v for v in rbo_values),
        "overlap_sum": sum(overlap),
        "overlap_squares": sum(v * v for v in overlap),
        "sent": len(rbo_values),
    }
    return SegmentFigures(**{**base, **extra})


def published_document(segments=("docs", "code"), rbo=0.9, p01=0.5, p99=0.95):
    """A thresholds document publishing, for each segment, quality that passes, divergence, band.

    No threshold meets its policy (status ``no_threshold``): tests of the gate's evidence
    leave abstain flips out.
    """
    entry = SegmentThreshold(
        threshold=None,
        precision=None,
        recall=None,
        n_queries=300,
        status="no_threshold",
        reason="test document",
        quality=quality(),
        divergence=divergence(rbo=rbo, overlap=rbo),
        score_band=band(p01=p01, p99=p99),
    )
    return ThresholdsDocument(
        version=1,
        created_at=datetime(2026, 1, 31, 12, 0, tzinfo=UTC),
        model=ModelInfo("all-mpnet-base-v2", "sha256:test"),
        metric="cosine",
        policy={"kind": "target_recall", "target": 0.9},
        global_=entry,
        segments=dict.fromkeys(segments, entry),
    )
