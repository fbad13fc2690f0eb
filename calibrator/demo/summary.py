"""The demo's summary: before and after per segment, the outcome in words, as JSON.

Per segment: the old threshold and the recalibrated one; precision and recall on the labelled
queries (every query scored against every document of its segment, micro-averaged as the
calibrator does) for the old model at the old threshold (the stack today), the new model at
the old threshold (flipping without recalibrating) and the new model at the recalibrated
threshold (after); where each model's scores lie; what the calibrator published for the gate
(labelled quality, expected divergence, the new model's top-1 band); the divergence the
sidecar measured; the gate's verdict, every reason and the failing criteria. Then the run's
outcome (``flipped``, ``refused``, ``rolled_back``, ``undecided``, ``interrupted``) and why in
words, its timeline and every mode change with the gate verdicts it was made on.
docs/demo.md documents every field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from calibrator.demo.corpus import SEGMENTS, Embedded
from calibrator.demo.observe import Reading
from calibrator.demo.timeline import shown
from proxy.thresholds.document import ThresholdsDocument

SLACK = 1e-6
QUALITY_METRIC = "ndcg@10"


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


def _percentiles(scores: npt.NDArray[np.float32], low: float, high: float) -> list[float]:
    return [round(float(np.quantile(scores, q)), 4) for q in (low, high)]


def score_bands(scores: npt.NDArray[np.float32], relevant: npt.NDArray[np.bool_]) -> dict[str, Any]:
    """Where one model's scores lie: every pair's 1st-99th percentiles, relevant pairs' 5th-95th."""
    return {
        "every_pair": _percentiles(scores, 0.01, 0.99),
        "relevant_pairs": _percentiles(scores[relevant], 0.05, 0.95),
    }


def calibrator_figures(document: ThresholdsDocument | None, segment: str) -> dict[str, Any] | None:
    """What the calibrator published for ``segment``.

    Its threshold's figures and the gate's evidence: labelled quality, expected divergence,
    the new model's top-1 band.
    """
    entry = None if document is None else document.segments.get(segment)
    if document is None or entry is None:
        return None
    own = document.quality_for(segment)
    quality = None if own is None else own.metric(QUALITY_METRIC)
    divergence, band = document.divergence_for(segment), document.score_band_for(segment)
    return {
        "status": entry.status,
        "precision": entry.precision,
        "recall": entry.recall,
        "n_queries": entry.n_queries,
        "ndcg_at_10": None
        if quality is None
        else {
            "old": round(quality.old, 4),
            "new": round(quality.new, 4),
            "diff": round(quality.diff, 4),
            "interval": [round(v, 4) for v in quality.interval],
            "confidence": None if own is None else own.confidence,
        },
        "expected_divergence": None
        if divergence is None
        else {
            "rbo": round(divergence.rbo.mean, 4),
            "overlap": round(divergence.overlap.mean, 4),
        },
        "top1_band": None if band is None else [round(band.top1.p01, 4), round(band.top1.p99, 4)],
    }


def _gate(final: Reading, segment: str) -> dict[str, Any]:
    """The segment's verdict, from the last gate report read (else the last status)."""
    verdicts = final.gate.get("segments", {}) if final.gate is not None else final.verdicts()
    verdict = verdicts.get(segment, {})
    return {
        "verdict": verdict.get("verdict"),
        "reasons": list(verdict.get("reasons", [])),
        "failing": {
            name: {"value": c.get("value"), "limit": c.get("limit")}
            for name, c in sorted(final.failing().get(segment, {}).items())
        },
    }


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
        "documents": int(scores.relevant.shape[1]),
        "old_threshold": old_threshold,
        "new_threshold": None if new_threshold is None else round(new_threshold, 4),
        "score_bands": {
            "old": score_bands(scores.old, scores.relevant),
            "new": score_bands(scores.new, scores.relevant),
        },
        "old_model_at_old_threshold": precision_recall(
            scores.old, scores.relevant, old_threshold
        ).as_json(),
        "new_model_at_old_threshold": precision_recall(
            scores.new, scores.relevant, old_threshold
        ).as_json(),
        "new_model_at_new_threshold": None
        if new_threshold is None
        else precision_recall(scores.new, scores.relevant, new_threshold).as_json(),
        "calibrator": calibrator_figures(document, segment),
        "divergence": None,
        "gate": None,
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
        out["gate"] = _gate(final, segment)
    return out


def _verdicts(entry: Mapping[str, Any]) -> dict[str, str]:
    segments = entry.get("gate", {}).get("segments", {})
    return {name: v.get("verdict", "?") for name, v in segments.items()}


def _listed(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _gates(segments: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: s.get("gate") or {} for name, s in segments.items()}


def _figure(value: object) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def failures_text(segments: Mapping[str, Any]) -> str:
    """The failing criteria, each with every failing segment's figure, then one reason.

    ``new_index_coverage: docs 0.753, code 0.771 against 0.99. The gate's reason for docs:
    ...``: the figures of all, the gate's own words for the first failing segment.
    """
    gates = _gates(segments)
    failing = {n: g for n, g in gates.items() if g.get("verdict") == "fail"}
    criteria: dict[str, list[str]] = {}
    limits: dict[str, object] = {}
    for name, gate in failing.items():
        for criterion, figures in (gate.get("failing") or {}).items():
            criteria.setdefault(criterion, []).append(f"{name} {_figure(figures.get('value'))}")
            limits[criterion] = figures.get("limit")
    parts = [
        f"{criterion}: {', '.join(values)} against {_figure(limits[criterion])}"
        for criterion, values in criteria.items()
    ]
    text = "; ".join(parts)
    for name, gate in failing.items():
        names = tuple(gate.get("failing") or {})
        reason = next(
            (r for r in gate.get("reasons", []) if not names or r.startswith(names)), None
        )
        if reason is not None:
            return f"{text}. The gate's reason for {name}: {reason}" if text else reason
    return text


def outcome(summary: Mapping[str, Any], duration_s: float, limit_s: float) -> tuple[str, str]:
    """The run's outcome and why, in words, from the rest of the summary.

    ``duration_s``: how long the run took; ``limit_s``: its ``--duration``.
    """
    timeline, segments = summary["timeline"], summary["segments"]
    mode = summary["final_mode"] or "shadow"
    changes = summary["mode_changes"]
    if mode == "flipped":
        rungs = " -> ".join(["shadow", *(c["to"].removesuffix(" 100%") for c in changes)])
        return "flipped", (
            "every segment passed the gate on labelled quality and index health, and automatic "
            f"promotion went {rungs}, reaching flipped at {timeline['flipped_s']} s; clients "
            "were answered by the new index from then on"
        )
    if summary["interrupted"]:
        return "interrupted", (
            f"stopped by Ctrl-C after {duration_s:.1f} s in {mode}; the migration did not complete"
        )
    gates = _gates(segments)
    failing = [n for n, g in gates.items() if g.get("verdict") == "fail"]
    rollback = next(
        (c for c in changes if c["by"] == "automatic-promotion" and c["to"].startswith("shadow")),
        None,
    )
    if rollback is not None:
        now = failures_text(segments) if failing else "no segment fails any more"
        return "rolled_back", (
            f"the migration did not complete: {rollback['reason']} at "
            f"{timeline['rolled_back_s']} s, and automatic promotion stopped there; the gate "
            f"now: {now}"
        )
    highest = shown(mode, float(summary.get("final_percent") or 0))
    if failing:
        answered = (
            "the old index answered every search"
            if mode == "shadow"
            else f"{float(summary.get('final_percent') or 0):g}% of searches went to the new index"
        )
        return "refused", (
            f"the migration did not complete: the gate fails for {_listed(failing)}, so "
            f"automatic promotion never went past {highest} and {answered}. "
            + failures_text(segments)
        )
    pending = [
        f"{n}: {'; '.join(g.get('reasons', [])) or 'no verdict yet'}"
        for n, g in gates.items()
        if g.get("verdict") != "pass"
    ]
    return "undecided", (
        f"the migration did not complete within --duration {limit_s:g} s: the mode is "
        f"{highest}; "
        + (
            "the gate is still inconclusive for " + " | ".join(pending)
            if pending
            else "the gate passes, but automatic promotion had not reached flipped yet"
        )
    )


def build_summary(
    embedded: Embedded,
    old_threshold: float,
    document: ThresholdsDocument | None,
    final: Reading | None,
    audit: list[dict[str, Any]],
    extra: Mapping[str, Any],
    limit_s: float = 60.0,
) -> dict[str, Any]:
    """The whole summary (``extra``: scenario, new index, timeline, traffic, URLs, options).

    ``limit_s``: the run's ``--duration``, which an undecided outcome names.
    """
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
    summary: dict[str, Any] = {
        "seed": embedded.corpus.seed,
        "outcome": None,
        "why": None,
        "final_mode": mode.get("mode"),
        "final_percent": mode.get("percent"),
        "reached_flipped": mode.get("mode") == "flipped",
        "corpus": {
            "documents": len(embedded.corpus.texts),
            "labelled_queries": len(embedded.corpus.queries),
            "old_model": {"name": embedded.old.name, "dim": embedded.old.dim},
            "new_model": {"name": embedded.new.name, "dim": embedded.new.dim},
        },
        "thresholds_version": None if document is None else document.version,
        "segments": {
            s: segment_summary(embedded, s, old_threshold, document, final) for s in SEGMENTS
        },
        "mode_changes": changes,
        **extra,
    }
    summary["outcome"], summary["why"] = outcome(
        summary, float(extra.get("duration_s", 0.0)), limit_s
    )
    return summary
