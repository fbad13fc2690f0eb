"""From a calibration to the thresholds document, and the guard against losing labels.

:func:`build_document` fills the contract of :mod:`proxy.thresholds.document`.
:func:`check_label_loss`
runs before publishing: a segment that had a calibrated threshold in the document in force and
now has too few labelled queries (or none) would silently fall back to the global threshold.
That is far more often a broken labelling export than a decision, so the run fails, says which
segments and why, and the document in force stays; ``allow_fallback`` accepts the fallback.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from types import MappingProxyType
from typing import Any

import numpy as np

from calibrator.calibration.calibrate import Calibration, ScopeResult
from calibrator.errors import CalibrationError
from proxy.thresholds.document import ModelInfo, SegmentThreshold, ThresholdsDocument
from proxy.thresholds.evidence import (
    AbstainFlips,
    Divergence,
    MetricDiff,
    Quality,
    QualitySide,
    Quantiles,
    ScoreBand,
    Spread,
)
from proxy.thresholds.scoremap import MapPoint, ScoreMap


def policy_record(cal: Calibration) -> dict[str, Any]:
    """The ``policy`` object of the document: the default policy and the settings around it.

    Policies taken from the old model (``target_recall=old``) are recorded with the target each
    scope matched.
    """
    s = cal.settings
    record: dict[str, Any] = {
        **cal.global_.policy.to_dict(),
        "min_queries": s.min_queries,
        "confidence": s.confidence,
        "bootstrap": s.bootstrap,
        "top_n": s.top_n,
    }
    overrides = {
        name: r.policy.to_dict()
        for name, r in cal.segments.items()
        if name in s.segment_policies or r.policy.from_old  # =old: each scope's own target
    }
    if overrides:
        record["segments"] = overrides
    return record


def build_document(
    cal: Calibration,
    model: ModelInfo,
    inputs: Mapping[str, Any],
    version: int,
    created_at: datetime,
    old_model: Mapping[str, Any] | None = None,
) -> ThresholdsDocument:
    """The thresholds document of ``cal`` as version ``version``."""
    mappings = None
    if cal.global_.mapping is not None:
        mappings = {
            "old_model": dict(old_model or {}),
            "global": cal.global_.mapping.to_dict(),
            "segments": {
                n: r.mapping.to_dict() for n, r in cal.segments.items() if r.mapping is not None
            },
        }
    old_name = str((old_model or {}).get("name") or "old")
    return ThresholdsDocument(
        version=version,
        created_at=created_at,
        model=model,
        metric=cal.settings.metric,
        policy=MappingProxyType(policy_record(cal)),
        global_=evidence_of(cal.global_, cal, old_name, model.name),
        segments=MappingProxyType(
            {n: evidence_of(r, cal, old_name, model.name) for n, r in cal.segments.items()}
        ),
        inputs=MappingProxyType(dict(inputs)),
        quantile_mapping=mappings,
    )


def _spread(values: np.ndarray[Any, Any]) -> Spread:
    sd = float(values.std(ddof=1)) if len(values) > 1 else 0.0
    return Spread(mean=float(values.mean()), sd=sd)


def evidence_of(
    result: ScopeResult, cal: Calibration, old_name: str, new_name: str
) -> SegmentThreshold:
    """The scope's entry with its comparison with the old model (unchanged without one).

    A quality figure is published only with a finite value on both sides and a bootstrap
    interval (none with ``--bootstrap 0``): the gate must not read certainty into a guess.
    Abstain flips (exact counts) are published whenever both sides have a threshold.
    """
    c = result.comparison
    if c is None:
        return result.entry
    metrics = {
        name: MetricDiff(d.old, d.new, d.diff, d.interval)
        for name, d in c.quality.items()
        if d.interval is not None and all(math.isfinite(x) for x in (d.old, d.new, d.diff))
    }
    quality = Quality(
        k=c.k,
        n_queries=c.n_queries,
        confidence=cal.settings.confidence,
        bootstrap=cal.settings.quality_bootstrap,
        old=QualitySide(old_name, c.old_threshold),
        new=QualitySide(new_name, c.new_threshold),
        metrics=MappingProxyType(metrics),
        abstain=None
        if c.abstain is None or c.abstain.n_queries == 0
        else AbstainFlips(
            c.abstain.n_queries, c.abstain.new_empty, c.abstain.old_empty, c.abstain.net.interval
        ),
    )
    divergence = (
        Divergence(c.k, c.n_queries, c.n_documents, cal.settings.rbo_p, _spread(c.overlap),
                   _spread(c.rbo))
        if len(c.overlap) else None
    )  # fmt: skip
    band = (
        ScoreBand(len(c.top1), Quantiles(**c.top1_quantiles))
        if c.top1_quantiles is not None
        else None
    )
    score_map = None
    if c.map is not None:
        m = c.map
        points = tuple(
            MapPoint(float(o), float(n), float(lo), float(hi))
            for o, n, lo, hi in zip(m.old, m.new, m.low, m.high, strict=True)
        )
        score_map = ScoreMap(m.preserve, m.anchor, points, m.domain)
    return replace(
        result.entry, quality=quality, divergence=divergence, score_band=band, map=score_map
    )


def check_label_loss(
    previous: ThresholdsDocument | None, cal: Calibration, allow_fallback: bool = False
) -> None:
    """Raise CalibrationError when a calibrated segment would lose its own threshold."""
    if previous is None or allow_fallback:
        return
    lost = []
    for name, entry in previous.segments.items():
        if entry.status != "calibrated":
            continue
        now = cal.segments.get(name)
        if now is None:
            lost.append(f"{name!r} (had {entry.n_queries} labelled queries, now none)")
        elif now.entry.status == "fallback_global":
            lost.append(
                f"{name!r} (had {entry.n_queries} labelled queries, now {now.entry.n_queries})"
            )
    if lost:
        raise CalibrationError(
            f"too few labelled queries for segments {', '.join(lost)}; min_queries is "
            f"{cal.settings.min_queries}. Their calibrated thresholds would fall back to the "
            f"global one, so version {previous.version} stays in force. Fix the labels, or "
            "pass --allow-fallback (allow_fallback = true) to accept the fallback"
        )
