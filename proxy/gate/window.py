"""The gate's sliding window over this process's own counters: snapshots, differenced.

The proxy already counts everything the gate needs in cumulative Prometheus families (the RBO
and overlap@k histograms' ``_count`` and ``_sum``, the sums of squares beside them, shadow
outcomes, abstain flips by direction, accepted counts, ids looked up in the new index, new
top-1 scores against the published band, upstream latency buckets). So the window is not a
log of per-query figures: every ``[gate].interval_s`` a :class:`CounterWindow` takes a
:class:`Snapshot` of those counters, summed per segment, and keeps a ring of them; the figures
of the last ``window_s`` are the newest snapshot minus the one taken ``window_s`` earlier.

That costs the request path nothing beyond the counters it already updates, bounds memory to
``window_s / interval_s + 2`` snapshots whatever the traffic, and computes exactly what
:mod:`proxy.gate.prometheus` computes with ``increase()`` over all replicas.
"""

from __future__ import annotations

import collections
from collections.abc import Iterable
from dataclasses import dataclass, field

from prometheus_client.registry import Collector
from prometheus_client.samples import Sample

from proxy.gate.figures import ERROR_OUTCOMES, SENT_OUTCOMES, Latency, SegmentFigures

LATENCY_BUCKET = "embedshift_upstream_request_duration_seconds_bucket"
COUNTED = (
    "queries", "rbo_sum", "rbo_squares", "overlap_sum", "overlap_squares", "new_empty",
    "old_empty", "ids_present", "ids_missing", "lookups_failed", "lookups_unsupported",
    "band_below", "band_within", "band_above",
)  # fmt: skip
"""Figures of :class:`SegmentFigures` read straight from one counter (or one labelled series)."""
_SIMPLE = {
    "embedshift_rbo_count": "queries",
    "embedshift_rbo_sum": "rbo_sum",
    "embedshift_rbo_squares_total": "rbo_squares",
    "embedshift_overlap_at_k_sum": "overlap_sum",
    "embedshift_overlap_squares_total": "overlap_squares",
}
_LABELLED = {  # family -> (label, {label value: figure})
    "embedshift_abstain_flips_total": ("empty", {"new": "new_empty", "old": "old_empty"}),
    "embedshift_coverage_ids_total": (
        "result",
        {"present": "ids_present", "missing": "ids_missing"},
    ),
    "embedshift_coverage_lookups_total": (
        "outcome",
        {"failed": "lookups_failed", "unsupported": "lookups_unsupported"},
    ),
    "embedshift_score_band_checks_total": (
        "position",
        {"below": "band_below", "within": "band_within", "above": "band_above"},
    ),
}


@dataclass(slots=True)
class Totals:
    """Cumulative counts of one segment (over every route)."""

    values: dict[str, float] = field(default_factory=lambda: collections.defaultdict(float))
    outcomes: dict[str, float] = field(default_factory=lambda: collections.defaultdict(float))
    accepted: dict[str, float] = field(default_factory=lambda: collections.defaultdict(float))


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Every counter the gate reads, at one moment."""

    at: float
    segments: dict[str, Totals]
    latency: dict[str, dict[float, float]]  # upstream -> upper bound -> cumulative count

    @classmethod
    def empty(cls, at: float) -> Snapshot:
        """All zero: what the counters held when the process started."""
        return cls(at, {}, {})


def take_snapshot(collectors: Iterable[Collector], at: float) -> Snapshot:
    """Read the gate's counters from ``collectors`` (every route summed per segment).

    Only the families the gate reads are collected (the score histograms are most of a
    sidecar's series); callers run this in a worker thread, off the event loop.
    """
    segments: dict[str, Totals] = collections.defaultdict(Totals)
    latency: dict[str, dict[float, float]] = collections.defaultdict(
        lambda: collections.defaultdict(float)
    )
    for collector in collectors:
        for family in collector.collect():
            for sample in family.samples:
                _add(sample, segments, latency)
    return Snapshot(at, dict(segments), {k: dict(v) for k, v in latency.items()})


def _add(
    sample: Sample, segments: dict[str, Totals], latency: dict[str, dict[float, float]]
) -> None:
    name, labels = sample.name, sample.labels
    if name == LATENCY_BUCKET:
        if labels.get("route") != "passthrough":
            latency[labels["upstream"]][float(labels["le"])] += sample.value
        return
    segment = labels.get("segment")
    if segment is None:
        return
    if name in _SIMPLE:
        segments[segment].values[_SIMPLE[name]] += sample.value
    elif name in _LABELLED:
        label, figures = _LABELLED[name]
        figure = figures.get(labels.get(label, ""))
        if figure is not None:
            segments[segment].values[figure] += sample.value
    elif name == "embedshift_shadow_requests_total":
        segments[segment].outcomes[labels["outcome"]] += sample.value
    elif name == "embedshift_accepted_results_count":
        segments[segment].accepted[labels["side"]] += sample.value


def figures_between(old: Snapshot, new: Snapshot, segment: str) -> SegmentFigures:
    """What ``segment`` did between two snapshots."""
    before, after = old.segments.get(segment, Totals()), new.segments.get(segment, Totals())

    def value(key: str) -> float:
        return after.values.get(key, 0.0) - before.values.get(key, 0.0)

    def outcome(key: str) -> float:
        return after.outcomes.get(key, 0.0) - before.outcomes.get(key, 0.0)

    def accepted(side: str) -> float:
        return after.accepted.get(side, 0.0) - before.accepted.get(side, 0.0)

    return SegmentFigures(
        sent=sum(outcome(o) for o in SENT_OUTCOMES),
        errors=sum(outcome(o) for o in ERROR_OUTCOMES),
        timeouts=outcome("shadow_timeout"),
        threshold_queries=min(accepted("old"), accepted("new")),
        **{name: value(name) for name in COUNTED},
    )


def latency_between(old: Snapshot, new: Snapshot) -> Latency:
    """Each upstream's latency histogram between two snapshots."""

    def buckets(upstream: str) -> tuple[tuple[float, float], ...]:
        before, after = old.latency.get(upstream, {}), new.latency.get(upstream, {})
        return tuple((le, count - before.get(le, 0.0)) for le, count in sorted(after.items()))

    return Latency(old=buckets("old"), new=buckets("new"))


def segments_seen(old: Snapshot, new: Snapshot) -> set[str]:
    """Segments with any search request counted between two snapshots."""
    seen = set()
    for segment, totals in new.segments.items():
        before = old.segments.get(segment, Totals())
        if any(v - before.outcomes.get(k, 0.0) > 0 for k, v in totals.outcomes.items()):
            seen.add(segment)
    return seen


class CounterWindow:
    """A ring of snapshots spanning ``window_s`` (plus the one just before it)."""

    def __init__(self, window_s: float, started_at: float) -> None:
        """Start with the all-zero snapshot of a fresh process."""
        self.window_s = window_s
        self.ring: collections.deque[Snapshot] = collections.deque([Snapshot.empty(started_at)])

    def push(self, snapshot: Snapshot) -> None:
        """Add the newest snapshot; drop those older than the window needs."""
        self.ring.append(snapshot)
        start = snapshot.at - self.window_s
        while len(self.ring) > 2 and self.ring[1].at <= start:
            self.ring.popleft()

    def span(self) -> tuple[Snapshot, Snapshot]:
        """(oldest kept, newest): the window's two ends."""
        return self.ring[0], self.ring[-1]

    def __len__(self) -> int:
        """How many snapshots are kept."""
        return len(self.ring)
