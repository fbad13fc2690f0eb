"""The flip gate: a per-segment verdict on two questions, quality and index health (pure).

Divergence says how *different* the new index is; the decision is whether it is *at least as
good* and *healthy*. :func:`evaluate` judges one segment from the window's live figures
(:class:`~proxy.gate.figures.SegmentFigures`, :class:`~proxy.gate.figures.Latency`) and what
was measured offline (:class:`Evidence`: the calibrator's published figures, people's
reviews). The criteria, each deciding on a one-sided bound at ``[gate].confidence``:

==========================  ============================================================
``labelled_quality``        new - old on labelled queries (:mod:`proxy.gate.quality`)
``new_index_coverage``      old result ids found in the new index (:mod:`proxy.gate.health`)
``expected_divergence``     live RBO against what the two models alone explain (health)
``score_sanity``            new top-1 scores against the new model's published band (health)
``new_empty_rate``          new side keeps nothing where old kept some, beyond the models
                            (the calibrator's expected flips) and a margin (:mod:`.traffic`)
``old_empty_rate``          the opposite flip: reported, never judged (traffic)
``shadow_error_rate``       failed shadow requests, significantly above the cap (traffic)
``shadow_timeout_rate``     timed-out shadow requests, likewise (traffic)
``latency``                 new answers slower than the old p99 allows (traffic)
``reviewed_preference``     people prefer the old answers (:mod:`proxy.gate.review`)
``rbo_floor``               absolute floors, only when ``min_rbo`` / ``min_overlap`` are set
``overlap_floor``
==========================  ============================================================

Verdict: any criterion ``fail`` gives ``fail``; else any ``uncertain`` or ``unavailable``
gives ``inconclusive``; else ``pass``. Fewer compared queries than ``min_compared`` (or none)
is ``inconclusive`` whatever the live figures say (never a silent pass), unless labelled
quality, which needs no traffic, already fails. Reasons name every criterion that is not a
pass, failures first.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

from proxy.config.schema import GateSection
from proxy.gate.criterion import UNDECIDED, Criterion, Status
from proxy.gate.figures import ERROR_OUTCOMES, SENT_OUTCOMES, Latency, SegmentFigures
from proxy.gate.health import coverage, expected_divergence, score_sanity
from proxy.gate.quality import labelled_quality
from proxy.gate.review import ReviewCounts, reviewed_preference
from proxy.gate.stats import histogram_quantile, mean_bounds
from proxy.gate.traffic import abstain, floors, latency, operational_rate
from proxy.thresholds.evidence import Divergence, Quality, ScoreBand
from proxy.thresholds.expected import ExpectedEmpty

__all__ = [
    "ERROR_OUTCOMES",
    "SENT_OUTCOMES",
    "VERDICT_VALUES",
    "Criterion",
    "Evidence",
    "Latency",
    "SegmentFigures",
    "Status",
    "Verdict",
    "VerdictName",
    "evaluate",
    "histogram_quantile",
    "mean_bounds",
]

VerdictName = Literal["pass", "fail", "inconclusive"]
VERDICT_VALUES: dict[VerdictName, int] = {"pass": 1, "inconclusive": 0, "fail": -1}
"""How ``embedshift_gate_verdict`` encodes a verdict."""


@dataclass(frozen=True, slots=True)
class Evidence:
    """What was measured offline for one segment, and how the live figures were made."""

    document: bool = False  # a thresholds document is in force
    quality: Quality | None = None  # never borrowed from another segment
    divergence: Divergence | None = None
    band: ScoreBand | None = None
    abstain: ExpectedEmpty | None = None  # expected abstain flips, with the thresholds in force
    rbo_p: float = 0.9  # [comparison].rbo_p: the live RBO's persistence
    review_enabled: bool = False
    reviews: ReviewCounts | None = None


@dataclass(frozen=True, slots=True)
class Verdict:
    """A segment's verdict, the reasons for it and every criterion behind it."""

    segment: str
    verdict: VerdictName
    reasons: tuple[str, ...]
    criteria: tuple[Criterion, ...]
    figures: SegmentFigures = field(default_factory=SegmentFigures)

    def as_json(self) -> dict[str, object]:
        """The verdict as the admin API shows it."""
        return {
            "segment": self.segment,
            "verdict": self.verdict,
            "reasons": list(self.reasons),
            "figures": asdict(self.figures),
            "criteria": self.criteria_json(),
        }

    def criteria_json(self) -> dict[str, dict[str, object]]:
        """Each criterion's status, figure, limit and reason, by name."""
        return {
            c.name: {"status": c.status, "value": c.value, "limit": c.limit, "reason": c.reason}
            for c in self.criteria
        }


def evaluate(
    segment: str,
    figures: SegmentFigures,
    latency_figures: Latency,
    evidence: Evidence,
    settings: GateSection,
    *,
    thresholds_configured: bool,
) -> Verdict:
    """The verdict of one segment (module docstring).

    ``thresholds_configured``: both sides have a threshold for the segment (abstain flips).
    """
    quality = labelled_quality(
        evidence.quality,
        settings.quality_metric,
        settings.max_quality_loss,
        document=evidence.document,
    )
    criteria = [
        quality,
        coverage(figures, settings),
        expected_divergence(figures, evidence.divergence, settings, evidence.rbo_p),
        score_sanity(figures, evidence.band, settings),
        *abstain(figures, settings, configured=thresholds_configured, expected=evidence.abstain),
        operational_rate("shadow_error_rate", figures.errors, figures.sent,
                         settings.max_shadow_error_rate, "shadow requests sent",
                         settings.confidence),
        operational_rate("shadow_timeout_rate", figures.timeouts, figures.sent,
                         settings.max_shadow_timeout_rate, "shadow requests sent",
                         settings.confidence),
        latency(latency_figures, settings),
        reviewed_preference(evidence.reviews, enabled=evidence.review_enabled,
                            min_reviews=settings.min_reviews, confidence=settings.confidence),
        *floors(figures, settings),
    ]  # fmt: skip
    failing = [f"{c.name}: {c.reason}" for c in criteria if c.status == "fail"]
    undecided = [f"{c.name}: {c.reason}" for c in criteria if c.status in UNDECIDED]
    reasons = failing + undecided
    if figures.queries < settings.min_compared:
        verdict: VerdictName = "fail" if quality.status == "fail" else "inconclusive"
        reasons.insert(
            0,
            f"too little data: {_num(figures.queries)} compared queries in the window, "
            f"fewer than min_compared = {settings.min_compared}",
        )
    elif failing:
        verdict = "fail"
    elif undecided:
        verdict = "inconclusive"
    else:
        verdict = "pass"
    return Verdict(segment, verdict, tuple(reasons), tuple(criteria), figures)


def _num(value: float) -> str:
    return str(round(value)) if abs(value - round(value)) < 1e-9 else f"{value:.1f}"
