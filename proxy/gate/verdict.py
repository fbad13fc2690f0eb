"""The flip gate: a per-segment verdict from the figures of a sliding window (pure).

The figures come from :mod:`proxy.gate.window` (this process's counters) or
:mod:`proxy.gate.prometheus` (every replica's, by PromQL); both fill the same
:class:`SegmentFigures`. :func:`evaluate` turns one segment's figures into a :class:`Verdict`:

- too few compared queries (``min_compared``), or no data at all: ``inconclusive``, whatever
  else the figures say. Never a silent pass.
- mean RBO and mean overlap@k: a one-sided normal interval of the mean at ``confidence``
  (the variance from the sums of squares). ``pass`` when its lower bound is at or above the
  floor, ``fail`` when its upper bound is below it (the mean is below the floor with that
  confidence), ``uncertain`` otherwise (more traffic will tell).
- shadow error and timeout rates, abstain-flip rate: at or below their caps, else ``fail``.
- p99 latency of the new index over the old one's (search routes; latency is measured per
  upstream, so this figure is the same for every segment): at or below the cap.
- a criterion whose figure does not exist is ``unavailable`` (abstain flips when thresholds
  are configured but one side's threshold is unknown; latency with no answer on one side).
  The abstain-flip criterion is ``skipped`` only when no threshold is configured at all.

Verdict: any criterion ``fail`` gives ``fail``; else any ``uncertain`` or ``unavailable`` gives
``inconclusive``; else ``pass``. Reasons name each criterion that is not a pass.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from statistics import NormalDist
from typing import Literal

from proxy.config.schema import GateSection

VerdictName = Literal["pass", "fail", "inconclusive"]
Status = Literal["pass", "fail", "uncertain", "unavailable", "skipped"]
VERDICT_VALUES: dict[VerdictName, int] = {"pass": 1, "inconclusive": 0, "fail": -1}
"""How ``embedshift_gate_verdict`` encodes a verdict."""

ERROR_OUTCOMES = ("shadow_error", "unparseable", "embed_error")
SENT_OUTCOMES = ("compared", "shadow_error", "shadow_timeout", "unparseable", "embed_error")
"""Shadow outcomes of requests that were sent (or embedded): the rates' denominator, as in
deploy/prometheus/rules/recording.yml."""


@dataclass(frozen=True, slots=True)
class SegmentFigures:
    """What one segment did in the window (counts may be fractional from PromQL)."""

    queries: float = 0.0
    rbo_sum: float = 0.0
    rbo_squares: float = 0.0
    overlap_sum: float = 0.0
    overlap_squares: float = 0.0
    sent: float = 0.0
    errors: float = 0.0
    timeouts: float = 0.0
    abstain_flips: float = 0.0
    threshold_queries: float = 0.0  # compared queries with both sides' thresholds known


@dataclass(frozen=True, slots=True)
class Latency:
    """p99 latency of each upstream over the window (None: no answer observed)."""

    old_p99_s: float | None = None
    new_p99_s: float | None = None


@dataclass(frozen=True, slots=True)
class Criterion:
    """One criterion of one segment: its figure, its limit and what it says."""

    name: str
    status: Status
    value: float | None
    limit: float | None
    reason: str


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
            "criteria": {
                c.name: {"status": c.status, "value": c.value, "limit": c.limit, "reason": c.reason}
                for c in self.criteria
            },
        }


def mean_bounds(
    total: float, squares: float, n: float, confidence: float
) -> tuple[float, float, float] | None:
    """(mean, lower, upper): a one-sided normal bound each way; None below two samples."""
    if n < 2:
        return None
    mean = total / n
    variance = max(0.0, (squares - total * total / n) / (n - 1))
    half = NormalDist().inv_cdf(confidence) * math.sqrt(variance / n)
    return mean, mean - half, mean + half


def histogram_quantile(q: float, buckets: Sequence[tuple[float, float]]) -> float | None:
    """Prometheus' ``histogram_quantile`` over cumulative (upper bound, count) pairs.

    Linear interpolation inside the bucket holding the rank; the ``+Inf`` bucket answers the
    highest finite bound. None when the histogram is empty.
    """
    ordered = sorted(buckets)
    if not ordered or ordered[-1][1] <= 0:
        return None
    total = ordered[-1][1]
    rank = q * total
    lower, below = 0.0, 0.0
    for index, (upper, count) in enumerate(ordered):
        if count >= rank:
            if math.isinf(upper):
                return ordered[index - 1][0] if index > 0 else None
            if index == 0 and upper <= 0:
                return upper
            inside = count - below
            return upper if inside <= 0 else lower + (upper - lower) * (rank - below) / inside
        lower, below = upper, count
    return ordered[-1][0]


def evaluate(
    segment: str,
    figures: SegmentFigures,
    latency: Latency,
    settings: GateSection,
    *,
    thresholds_configured: bool,
) -> Verdict:
    """The verdict of one segment (see the module docstring for the rules)."""
    criteria = [
        _mean_criterion("rbo", figures.rbo_sum, figures.rbo_squares, figures, settings.min_rbo,
                        settings.confidence),
        _mean_criterion("overlap", figures.overlap_sum, figures.overlap_squares, figures,
                        settings.min_overlap, settings.confidence),
        _rate("shadow_error_rate", figures.errors, figures.sent, settings.max_shadow_error_rate,
              "shadow requests sent"),
        _rate("shadow_timeout_rate", figures.timeouts, figures.sent,
              settings.max_shadow_timeout_rate, "shadow requests sent"),
        _abstain(figures, settings.max_abstain_flip_rate, configured=thresholds_configured),
        _latency(latency, settings.max_latency_ratio),
    ]  # fmt: skip
    reasons = [f"{c.name}: {c.reason}" for c in criteria if c.status not in ("pass", "skipped")]
    if figures.queries < settings.min_compared:
        verdict: VerdictName = "inconclusive"
        reasons.insert(
            0,
            f"too little data: {_num(figures.queries)} compared queries in the window, "
            f"fewer than min_compared = {settings.min_compared}",
        )
    elif any(c.status == "fail" for c in criteria):
        verdict = "fail"
    elif any(c.status in ("uncertain", "unavailable") for c in criteria):
        verdict = "inconclusive"
    else:
        verdict = "pass"
    return Verdict(segment, verdict, tuple(reasons), tuple(criteria), figures)


def _mean_criterion(
    name: str,
    total: float,
    squares: float,
    figures: SegmentFigures,
    floor: float,
    confidence: float,
) -> Criterion:
    label = "RBO" if name == "rbo" else "overlap@k"
    bounds = mean_bounds(total, squares, figures.queries, confidence)
    if bounds is None:
        return Criterion(f"{name}_lower_bound", "unavailable", None, floor, "no compared query")
    mean, lower, upper = bounds
    interval = f"mean {label} {mean:.3f}, {confidence:.0%} bounds [{lower:.3f}, {upper:.3f}]"
    if lower >= floor:
        return Criterion(f"{name}_lower_bound", "pass", lower, floor, f"{interval} >= {floor}")
    if upper < floor:
        reason = f"{interval}: below the floor {floor}"
        return Criterion(f"{name}_lower_bound", "fail", lower, floor, reason)
    reason = f"{interval} straddle the floor {floor}: more compared queries needed"
    return Criterion(f"{name}_lower_bound", "uncertain", lower, floor, reason)


def _rate(name: str, count: float, total: float, cap: float, of: str) -> Criterion:
    if total <= 0:
        return Criterion(name, "unavailable", None, cap, f"no {of} in the window")
    rate = count / total
    text = f"{rate:.4f} of {_num(total)} {of}"
    if rate <= cap:
        return Criterion(name, "pass", rate, cap, f"{text} <= cap {cap}")
    return Criterion(name, "fail", rate, cap, f"{text}: above the cap {cap}")


def _abstain(figures: SegmentFigures, cap: float, *, configured: bool) -> Criterion:
    name = "abstain_flip_rate"
    if not configured:
        return Criterion(name, "skipped", None, cap, "skipped: no thresholds are configured")
    if figures.threshold_queries <= 0:
        reason = (
            "not available: no compared query had both thresholds (old in [thresholds], new "
            "from the calibrated document) in the window"
        )
        return Criterion(name, "unavailable", None, cap, reason)
    return _rate(name, figures.abstain_flips, figures.threshold_queries, cap,
                 "compared queries with both thresholds")  # fmt: skip


def _latency(latency: Latency, cap: float) -> Criterion:
    name = "latency_p99_ratio"
    old, new = latency.old_p99_s, latency.new_p99_s
    if old is None or new is None or old <= 0:
        missing = "old" if old is None or old <= 0 else "new"
        return Criterion(name, "unavailable", None, cap, f"no {missing} latency in the window")
    ratio = new / old
    text = f"new p99 {new * 1000:.1f} ms / old p99 {old * 1000:.1f} ms = {ratio:.2f}"
    if ratio <= cap:
        return Criterion(name, "pass", ratio, cap, f"{text} <= cap {cap}")
    return Criterion(name, "fail", ratio, cap, f"{text}: above the cap {cap}")


def _num(value: float) -> str:
    return str(round(value)) if abs(value - round(value)) < 1e-9 else f"{value:.1f}"
