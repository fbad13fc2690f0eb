"""The held-out check: published thresholds and score map applied to queries not calibrated on.

Labelled queries held out of the calibration (another split's file, or a share of a segment's
queries) say whether the published figures hold on new queries. Per segment, exactly as an
exhaustive search would retrieve (:func:`~calibrator.calibration.evaluate.apply_thresholds`):

* the new model at its calibrated threshold, and the old model at its old threshold;
* for each old threshold asked (``--check-at``), the old model at it and the new model at the
  value the segment's published map gives (:meth:`proxy.thresholds.scoremap.ScoreMap.to_new`,
  the very function the proxy translates with): if the map keeps what a threshold means, the
  two keep the same recall (or precision) on the held-out queries. A value outside the map's
  domain is reported as untranslatable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from calibrator.calibration.evaluate import Outcome, apply_thresholds
from calibrator.calibration.settings import OldModel, Settings
from calibrator.inputs.labels import EvalSet
from calibrator.inputs.vectors import Vectors
from calibrator.progress import Progress, no_progress
from proxy.thresholds.document import ThresholdsDocument


@dataclass(frozen=True)
class MapCheck:
    """One old threshold on held-out queries: the old model at it, the new at its image."""

    old_threshold: float
    new_threshold: float | None  # None: outside the map's domain (untranslatable)
    old: Outcome
    new: Outcome | None


@dataclass(frozen=True)
class HeldOut:
    """One segment's held-out figures."""

    segment: str
    n_queries: int
    new_threshold: float | None
    new: Outcome
    old_threshold: float | None
    old: Outcome | None
    checks: tuple[MapCheck, ...]
    preserve: str = "recall"  # what the segment's map keeps (its checks compare that figure)


def check_held_out(
    held_out: EvalSet,
    vectors: Vectors,
    document: ThresholdsDocument,
    settings: Settings,
    *,
    old: OldModel | None = None,
    check_at: Sequence[float] = (),
    doc_segments: Mapping[str, str] | None = None,
    progress: Progress = no_progress,
) -> dict[str, HeldOut]:
    """Per segment of ``held_out``, the figures of the module docstring."""
    segments = held_out.segments()
    new_thresholds = {name: document.threshold_for(name) for name in segments}

    def outcomes(model: Vectors, thresholds: Mapping[str, float | None]) -> dict[str, Outcome]:
        return apply_thresholds(held_out, model, thresholds, settings, doc_segments, progress)

    new = outcomes(vectors, new_thresholds)
    old_outcomes: dict[str, Outcome] | None = None
    old_thresholds: dict[str, float | None] = {}
    if old is not None:
        old_thresholds = {name: old.threshold_for(name) for name in segments}
        if any(t is not None for t in old_thresholds.values()):
            old_outcomes = outcomes(old.vectors, old_thresholds)
    checks: dict[str, list[MapCheck]] = {name: [] for name in segments}
    if old is not None:
        for value in check_at:
            images = {}
            for name in segments:
                score_map = document.map_for(name)
                images[name] = None if score_map is None else score_map.to_new(value)
            at_old = outcomes(old.vectors, dict.fromkeys(segments, value))
            at_new = outcomes(vectors, images)
            for name in segments:
                image = images[name]
                checks[name].append(
                    MapCheck(value, image, at_old[name], None if image is None else at_new[name])
                )
    return {
        name: HeldOut(
            segment=name,
            n_queries=new[name].n_queries,
            new_threshold=new_thresholds[name],
            new=new[name],
            old_threshold=old_thresholds.get(name),
            old=None if old_outcomes is None else old_outcomes[name],
            checks=tuple(checks[name]),
            preserve=_preserve(document, name),
        )
        for name in segments
    }


def _preserve(document: ThresholdsDocument, segment: str) -> str:
    score_map = document.map_for(segment)
    return "recall" if score_map is None else score_map.preserve
