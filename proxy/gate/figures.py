"""What the gate judges: one segment's figures over the window, and both sides' latency (data).

Both sources fill these: :mod:`proxy.gate.window` (this process's counters, differenced) and
:mod:`proxy.gate.prometheus` (every replica's, by PromQL). Counts may be fractional from
PromQL's ``increase()``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from proxy.gate.stats import Buckets, histogram_quantile

ERROR_OUTCOMES = ("shadow_error", "unparseable", "embed_error")
SENT_OUTCOMES = ("compared", "shadow_error", "shadow_timeout", "unparseable", "embed_error")
"""Shadow outcomes of requests that were sent (or embedded): the rates' denominator, as in
deploy/prometheus/rules/recording.yml."""


@dataclass(frozen=True, slots=True)
class SegmentFigures:
    """What one segment did in the window."""

    queries: float = 0.0  # compared queries
    rbo_sum: float = 0.0
    rbo_squares: float = 0.0
    overlap_sum: float = 0.0
    overlap_squares: float = 0.0
    sent: float = 0.0
    errors: float = 0.0
    timeouts: float = 0.0
    new_empty: float = 0.0  # abstain flips where the new side keeps nothing
    old_empty: float = 0.0  # ... where the old side keeps nothing (reported only)
    threshold_queries: float = 0.0  # compared queries with both sides' thresholds known
    ids_present: float = 0.0  # old-side result ids found in the new index by id
    ids_missing: float = 0.0
    lookups_failed: float = 0.0  # id lookups that errored or timed out
    lookups_unsupported: float = 0.0  # queries whose adapter has no get-by-id call
    band_below: float = 0.0  # new top-1 scores below the published band's 1st percentile
    band_within: float = 0.0
    band_above: float = 0.0  # ... above its 99th percentile


@dataclass(frozen=True, slots=True)
class Latency:
    """Each upstream's latency histogram over the window (search routes, every segment)."""

    old: Buckets = field(default_factory=tuple)
    new: Buckets = field(default_factory=tuple)

    @property
    def old_p99_s(self) -> float | None:
        """The old index's p99 (None: no answer observed)."""
        return histogram_quantile(0.99, self.old)

    @property
    def new_p99_s(self) -> float | None:
        """The new index's p99 (None: no answer observed)."""
        return histogram_quantile(0.99, self.new)
