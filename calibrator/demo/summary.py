"""The demo's summary: before and after, per segment, as a table and as JSON.

Per segment: the old threshold and the recalibrated one; precision and recall on the labelled
queries (every query scored against every document of its segment, micro-averaged as the
calibrator does) for the old model at the old threshold (the stack today), the new model at
the old threshold (flipping without recalibrating) and the new model at the recalibrated
threshold (after); where each model's scores lie; the divergence the sidecar measured; the
gate's verdicts. Then the run's timeline and every mode change with the gate report it was
made on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from calibrator.demo.corpus import SEGMENTS, Embedded
from calibrator.demo.observe import Reading
from proxy.thresholds.document import ThresholdsDocument

SLACK = 1e-6


@dataclass(frozen=True, slots=True)
class Figures:
    """Precision and recall at one threshold (precision None when nothing is accepted)."""

    threshold: float
    precision: float | None
    recall: float
    accepted_per_query: float

    def as_json(self) -> dict[str, Any]:
        """JSON-ready, rounded for reading."""
        return {
            "threshold": round(self.threshold, 4),
            "precision": None if self.precision is None else round(self.precision, 4),
            "recall": round(self.recall, 4),
            "accepted_per_query": round(self.accepted_per_query, 2),
        }


def precision_recall(
    scores: npt.NDArray[np.float32], relevant: npt.NDArray[np.bool_], threshold: float
) -> Figures:
    """Micro precision and recall of accepting every score at or above ``threshold``.

    Scores within :data:`SLACK` below the threshold count as at it: a calibrated threshold is
    one labelled pair's score, and the same pair scored by another BLAS path may differ in
    the last bits of a float32.
    """
    accepted = scores >= threshold - SLACK
    hits = int(np.count_nonzero(accepted & relevant))
    n_accepted = int(np.count_nonzero(accepted))
    return Figures(
        threshold=threshold,
        precision=hits / n_accepted if n_accepted else None,
        recall=hits / max(1, int(np.count_nonzero(relevant))),
        accepted_per_query=n_accepted / max(1, scores.shape[0]),
    )


@dataclass(frozen=True)
class SegmentScores:
    """Both models' scores of a segment's labelled queries against its documents."""

    old: npt.NDArray[np.float32]
    new: npt.NDArray[np.float32]
    relevant: npt.NDArray[np.bool_]


def segment_scores(embedded: Embedded, segment: str) -> SegmentScores:
    """Score every labelled query of ``segment`` against every document of it, both models."""
    corpus = embedded.corpus
    docs = corpus.rows_of(segment)
    rows = [i for i, q in enumerate(corpus.queries) if q.segment == segment]
    position = {int(d): j for j, d in enumerate(docs)}
    relevant = np.zeros((len(rows), len(docs)), dtype=np.bool_)
    for r, i in enumerate(rows):
        relevant[r, [position[d] for d in corpus.queries[i].relevant]] = True
    return SegmentScores(
        old=embedded.old_queries[rows] @ embedded.old_docs[docs].T,
        new=embedded.new_queries[rows] @ embedded.new_docs[docs].T,
        relevant=relevant,
    )


def _band(scores: npt.NDArray[np.float32]) -> list[float]:
    return [round(float(np.quantile(scores, 0.01)), 4), round(float(scores.max()), 4)]


def _verdicts(entry: Mapping[str, Any]) -> dict[str, str]:
    segments = entry.get("gate", {}).get("segments", {})
    return {name: v.get("verdict", "?") for name, v in segments.items()}


def segment_summary(
    embedded: Embedded,
    segment: str,
    old_threshold: float,
    document: ThresholdsDocument | None,
    final: Reading | None,
) -> dict[str, Any]:
    """One segment's part of the summary."""
    scores = segment_scores(embedded, segment)
    entry = document.segments.get(segment) if document is not None else None
    new_threshold = entry.threshold if entry is not None else None
    out: dict[str, Any] = {
        "labelled_queries": int(scores.relevant.shape[0]),
        "old_threshold": old_threshold,
        "new_threshold": None if new_threshold is None else round(new_threshold, 4),
        "old_model_band": _band(scores.old),
        "new_model_band": _band(scores.new),
        "old_model_at_old_threshold": precision_recall(
            scores.old, scores.relevant, old_threshold
        ).as_json(),
        "new_model_at_old_threshold": precision_recall(
            scores.new, scores.relevant, old_threshold
        ).as_json(),
        "new_model_at_new_threshold": None
        if new_threshold is None
        else precision_recall(scores.new, scores.relevant, new_threshold).as_json(),
        "calibrator": None
        if entry is None
        else {
            "status": entry.status,
            "precision": entry.precision,
            "recall": entry.recall,
            "n_queries": entry.n_queries,
        },
    }
    if final is not None:
        counts = final.counts(segment)
        compared = counts.get("compared")
        both = min(counts.get("accepted_old_count"), counts.get("accepted_new_count"))
        out["divergence"] = {
            "compared": int(compared),
            "rbo_mean": round(counts.get("rbo") / compared, 4) if compared else None,
            "overlap_mean": round(counts.get("overlap") / compared, 4) if compared else None,
            "abstain_flip_rate": round(counts.get("flips") / both, 4) if both else None,
            "shadow_outcomes": {k: int(v) for k, v in sorted(counts.outcomes.items()) if v},
        }
        gate = (final.status or {}).get("gate", {}).get("segments", {}).get(segment, {})
        out["gate"] = {"verdict": gate.get("verdict"), "reasons": gate.get("reasons", [])}
    return out


def build_summary(
    embedded: Embedded,
    old_threshold: float,
    document: ThresholdsDocument | None,
    final: Reading | None,
    audit: list[dict[str, Any]],
    extra: Mapping[str, Any],
) -> dict[str, Any]:
    """The whole summary (``extra``: timeline, traffic, URLs, options)."""
    mode = (final.status or {}).get("mode", {}) if final is not None else {}
    changes = [
        {
            "from": f"{e['from_mode']} {e['from_percent']:g}%",
            "to": f"{e['to_mode']} {e['to_percent']:g}%",
            "by": e["token"],
            "forced": e["forced"],
            "reason": e["reason"],
            "gate_verdicts": _verdicts(e),
        }
        for e in audit
    ]
    return {
        "seed": embedded.corpus.seed,
        "corpus": {
            "documents": len(embedded.corpus.texts),
            "labelled_queries": len(embedded.corpus.queries),
            "old_model": {"name": embedded.old.name, "dim": embedded.old.dim},
            "new_model": {"name": embedded.new.name, "dim": embedded.new.dim},
        },
        "final_mode": mode.get("mode"),
        "reached_flipped": mode.get("mode") == "flipped",
        "thresholds_version": None if document is None else document.version,
        "segments": {
            s: segment_summary(embedded, s, old_threshold, document, final) for s in SEGMENTS
        },
        "mode_changes": changes,
        **extra,
    }
