"""From a calibration to the thresholds document, and the guard against losing labels.

:func:`build_document` fills the contract of :mod:`proxy.thresholds.document`.
:func:`check_label_loss`
runs before publishing: a segment that had a calibrated threshold in the document in force and
now has too few labelled queries (or none) would silently fall back to the global threshold.
That is far more often a broken labelling export than a decision, so the run fails, says which
segments and why, and the document in force stays; ``allow_fallback`` accepts the fallback.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any

from calibrator.calibration.calibrate import Calibration
from calibrator.errors import CalibrationError
from proxy.thresholds.document import ModelInfo, ThresholdsDocument


def policy_record(cal: Calibration) -> dict[str, Any]:
    """The ``policy`` object of the document: the default policy and the settings around it."""
    s = cal.settings
    record: dict[str, Any] = {
        **s.policy.to_dict(),
        "min_queries": s.min_queries,
        "confidence": s.confidence,
        "bootstrap": s.bootstrap,
        "top_n": s.top_n,
    }
    overrides = {
        name: p.to_dict() for name, p in s.segment_policies.items() if name in cal.segments
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
    return ThresholdsDocument(
        version=version,
        created_at=created_at,
        model=model,
        metric=cal.settings.metric,
        policy=MappingProxyType(policy_record(cal)),
        global_=cal.global_.entry,
        segments=MappingProxyType({n: r.entry for n, r in cal.segments.items()}),
        inputs=MappingProxyType(dict(inputs)),
        quantile_mapping=mappings,
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
