"""The sidecar's Prometheus metrics, registered on a registry that is passed in.

Label values come from bounded sets only: configured route names, configured segment names
(anything else is ``other``), fixed outcome names, ``old``/``new``. Never query text or ids.
``ProxyMetrics.for_route`` hands out pre-bound children so that the hot path skips the
``labels()`` lookup.

May import: nothing of proxy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.registry import Collector

OUTCOMES: Final = (
    "compared",
    "sampled_out",
    "dropped_saturated",
    "dropped_rate_limited",
    "dropped_overload",
    "shadow_error",
    "shadow_timeout",
    "unparseable",
    "primary_error",
    "no_query_text",
    "embed_error",
    "answer_too_large",
)
"""Every shadow outcome: each mirrored-or-not search request ends in exactly one."""
BAND_POSITIONS: Final = ("below", "within", "above")
"""Where a new top-1 score falls against the new model's published band (p01 to p99)."""
COVERAGE_OUTCOMES: Final = ("checked", "failed", "dropped", "unsupported")
"""What became of a compared query offered to the id lookups of the new index."""

UNIT_BUCKETS: Final = (
    0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.925, 0.95, 0.975, 0.99, 1.0,
)  # fmt: skip
# tau spans [-1, 1], so this histogram has no _sum (prometheus_client's rule): the sum of
# (1 + tau) and of tau squared are counters beside it (embedshift_kendall_tau_shifted_total).
TAU_BUCKETS: Final = (-1.0, -0.75, -0.5, -0.25, 0.0, 0.25, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0)
# 0 .. 1 in steps of 0.05; scores at or below 0 land in the first bucket. No negative bucket:
# prometheus_client drops _sum from histograms with one, and mean scores matter on dashboards.
SCORE_BUCKETS: Final = tuple(round(0.05 * i, 2) for i in range(21))
ACCEPTED_BUCKETS: Final = (0.0, 1.0, 2.0, 3.0, 5.0, 10.0, 20.0, 50.0, 100.0)
LATENCY_BUCKETS: Final = (
    0.001, 0.0025, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5,
    1.0, 2.5, 5.0, 10.0, 30.0,
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class RouteSegmentMetrics:
    """Children of the comparison metrics bound to one (route, segment)."""

    overlap: Histogram
    jaccard: Histogram
    rbo: Histogram
    kendall_tau: Histogram
    top1_agree: Counter
    score_old_top1: Histogram
    score_old_topk: Histogram
    score_new_top1: Histogram
    score_new_topk: Histogram
    accepted_old: Histogram
    accepted_new: Histogram
    flips_old_empty: Counter
    flips_new_empty: Counter
    rbo_squares: Counter
    overlap_squares: Counter
    outcomes: dict[str, Counter]
    kendall_tau_shifted: Counter
    kendall_tau_squares: Counter
    score_band: dict[str, Counter]  # position of the new top-1 score: below, within, above
    coverage_ids: dict[str, Counter]  # present, missing
    coverage_lookups: dict[str, Counter]  # COVERAGE_OUTCOMES


class ProxyMetrics:
    """Every metric of the proxy, on ``registry``."""

    def __init__(self, registry: CollectorRegistry) -> None:
        """Create and register the metric families."""
        self.registry = registry
        labels = ("route", "segment")
        self.shadow_requests = Counter(
            "embedshift_shadow_requests",
            "Search requests seen on configured routes, by what happened to their shadow.",
            (*labels, "outcome"),
            registry=registry,
        )
        self.overlap = Histogram(
            "embedshift_overlap_at_k",
            "Share of the top-k ids both sides return, per compared query.",
            labels,
            buckets=UNIT_BUCKETS,
            registry=registry,
        )
        self.jaccard = Histogram(
            "embedshift_jaccard_at_k",
            "Jaccard index of both sides' top-k id sets, per compared query.",
            labels,
            buckets=UNIT_BUCKETS,
            registry=registry,
        )
        self.rbo = Histogram(
            "embedshift_rbo",
            "Extrapolated rank-biased overlap of both sides' top-k lists, per compared query.",
            labels,
            buckets=UNIT_BUCKETS,
            registry=registry,
        )
        self.kendall_tau = Histogram(
            "embedshift_kendall_tau",
            "Kendall's tau-b over the ids both sides return (queries sharing 2 or more).",
            labels,
            buckets=TAU_BUCKETS,
            registry=registry,
        )
        self.top1_agree = Counter(
            "embedshift_top1_agreements",
            "Compared queries whose first result is the same on both sides.",
            labels,
            registry=registry,
        )
        self.score = Histogram(
            "embedshift_score",
            "Similarity at rank 1 and rank k of each side (distances as 1 - distance).",
            (*labels, "side", "rank"),
            buckets=SCORE_BUCKETS,
            registry=registry,
        )
        self.accepted = Histogram(
            "embedshift_accepted_results",
            "Results of a compared query that each side keeps at its own threshold "
            "(old threshold on old scores, calibrated threshold on new scores).",
            (*labels, "side"),
            buckets=ACCEPTED_BUCKETS,
            registry=registry,
        )
        self.abstain_flips = Counter(
            "embedshift_abstain_flips",
            "Compared queries where one side keeps no result at its threshold and the other "
            "keeps some; `empty` names the side that keeps none.",
            (*labels, "empty"),
            registry=registry,
        )
        # Sums of squares beside the histograms' sums: the gate's confidence bounds need each
        # window's variance, exactly and summable over replicas (buckets would only bound it).
        self.rbo_squares = Counter(
            "embedshift_rbo_squares",
            "Sum of squared RBO of compared queries (with embedshift_rbo's _sum and _count: "
            "the variance).",
            labels,
            registry=registry,
        )
        self.overlap_squares = Counter(
            "embedshift_overlap_squares",
            "Sum of squared overlap@k of compared queries (the variance, as for RBO).",
            labels,
            registry=registry,
        )
        self.kendall_tau_shifted = Counter(
            "embedshift_kendall_tau_shifted",
            "Sum of (1 + Kendall's tau) over the queries embedshift_kendall_tau counts (a "
            "counter only grows and tau may be negative): mean tau = increase(this) / "
            "increase(embedshift_kendall_tau_count) - 1.",
            labels,
            registry=registry,
        )
        self.kendall_tau_squares = Counter(
            "embedshift_kendall_tau_squares",
            "Sum of squared Kendall's tau (with the shifted sum and the count: the variance).",
            labels,
            registry=registry,
        )
        self.score_band = Counter(
            "embedshift_score_band_checks",
            "Compared queries whose new top-1 score falls below, within or above the band the "
            "calibrator saw for the new model on its labelled queries (1st to 99th percentile); "
            "counted while a band is published.",
            (*labels, "position"),
            registry=registry,
        )
        self.coverage_ids = Counter(
            "embedshift_coverage_ids",
            "Old-side result ids looked up by id in the new index, by result (present, missing).",
            (*labels, "result"),
            registry=registry,
        )
        self.coverage_lookups = Counter(
            "embedshift_coverage_lookups",
            "Compared queries offered to the new index's id lookups, by outcome: checked, "
            "failed (error or timeout), dropped (over [gate].coverage_rate or in flight), "
            "unsupported (the adapter has no get-by-id call).",
            (*labels, "outcome"),
            registry=registry,
        )
        self.upstream_duration = Histogram(
            "embedshift_upstream_request_duration_seconds",
            "Time from sending a request to an upstream to having its whole answer.",
            ("upstream", "route"),
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.client_requests = Counter(
            "embedshift_client_requests",
            "Client requests answered, by route (or 'passthrough') and status class.",
            ("route", "code"),
            registry=registry,
        )
        self.shadow_in_flight = Gauge(
            "embedshift_shadow_in_flight",
            "Shadow requests under way now.",
            registry=registry,
        )
        self.loop_lag = Gauge(
            "embedshift_event_loop_lag_seconds",
            "How late the event loop ran a timer at its last check.",
            registry=registry,
        )
        self.config_reloads = Counter(
            "embedshift_config_reloads",
            "Config reloads on SIGHUP, by result (ok or error).",
            ("result",),
            registry=registry,
        )
        self.examples_dropped = Counter(
            "embedshift_examples_dropped",
            "Divergent examples not stored because the writer fell behind.",
            registry=registry,
        )
        self._bound: dict[tuple[str, str], RouteSegmentMetrics] = {}
        self._requests: dict[tuple[str, int], Counter] = {}
        self._durations: dict[tuple[str, str], Histogram] = {}

    def gate_counters(self) -> list[Collector]:
        """The families the gate's window reads (proxy/gate/window.py)."""
        return [
            self.rbo,
            self.overlap,
            self.rbo_squares,
            self.overlap_squares,
            self.abstain_flips,
            self.shadow_requests,
            self.accepted,
            self.upstream_duration,
            self.score_band,
            self.coverage_ids,
            self.coverage_lookups,
        ]

    def client_requests_for(self, route: str, status: int) -> Counter:
        """The client-request counter child of a route and status (cached: hot path)."""
        key = (route, status // 100)
        child = self._requests.get(key)
        if child is None:
            child = self._requests[key] = self.client_requests.labels(route, f"{status // 100}xx")
        return child

    def upstream_duration_for(self, upstream: str, route: str) -> Histogram:
        """The upstream-latency histogram child of an upstream and route (cached)."""
        key = (upstream, route)
        child = self._durations.get(key)
        if child is None:
            child = self._durations[key] = self.upstream_duration.labels(upstream, route)
        return child

    def for_route(self, route: str, segment: str) -> RouteSegmentMetrics:
        """The comparison metrics of one (route, segment), created on first use."""
        key = (route, segment)
        bound = self._bound.get(key)
        if bound is None:
            bound = RouteSegmentMetrics(
                overlap=self.overlap.labels(route, segment),
                jaccard=self.jaccard.labels(route, segment),
                rbo=self.rbo.labels(route, segment),
                kendall_tau=self.kendall_tau.labels(route, segment),
                top1_agree=self.top1_agree.labels(route, segment),
                score_old_top1=self.score.labels(route, segment, "old", "top1"),
                score_old_topk=self.score.labels(route, segment, "old", "topk"),
                score_new_top1=self.score.labels(route, segment, "new", "top1"),
                score_new_topk=self.score.labels(route, segment, "new", "topk"),
                accepted_old=self.accepted.labels(route, segment, "old"),
                accepted_new=self.accepted.labels(route, segment, "new"),
                flips_old_empty=self.abstain_flips.labels(route, segment, "old"),
                flips_new_empty=self.abstain_flips.labels(route, segment, "new"),
                rbo_squares=self.rbo_squares.labels(route, segment),
                overlap_squares=self.overlap_squares.labels(route, segment),
                outcomes={o: self.shadow_requests.labels(route, segment, o) for o in OUTCOMES},
                kendall_tau_shifted=self.kendall_tau_shifted.labels(route, segment),
                kendall_tau_squares=self.kendall_tau_squares.labels(route, segment),
                score_band={p: self.score_band.labels(route, segment, p) for p in BAND_POSITIONS},
                coverage_ids={
                    r: self.coverage_ids.labels(route, segment, r) for r in ("present", "missing")
                },
                coverage_lookups={
                    o: self.coverage_lookups.labels(route, segment, o) for o in COVERAGE_OUTCOMES
                },
            )
            self._bound[key] = bound
        return bound

    def prime(self, routes: list[str], segments: list[str]) -> None:
        """Create every (route, segment) child up front so that series exist at zero."""
        for route in routes:
            for upstream in ("old", "new"):  # increase() counts from a series' first scrape
                self.upstream_duration_for(upstream, route)
            for segment in [*segments, "other"]:
                self.for_route(route, segment)


TRANSLATION_RESULTS: Final = ("translated", "no_map", "unsupported", "out_of_domain")
"""A request's threshold translation (proxy/shadow/translate.py): every threshold translated,
else the first reason one was not."""
RESCALE_RESULTS: Final = ("rescaled", "no_map", "unreadable")
"""What became of an answer's scores on a route with ``response_scores = "old_scale"``."""


class TranslationMetrics:
    """Request thresholds translated for the new index, and answers' scores put in the old scale."""

    def __init__(self, registry: CollectorRegistry) -> None:
        """Create and register the metric families."""
        self.translations = Counter(
            "embedshift_threshold_translations",
            "Search requests for the new index that carry thresholds, by purpose (mirror: the "
            "comparison's; answer: the one a client gets) and result: translated (every "
            "threshold through the segment's map), no_map, unsupported (a scale that relates to "
            "no similarity), out_of_domain (outside the map's domain).",
            ("route", "segment", "purpose", "result"),
            registry=registry,
        )
        self.rescaled = Counter(
            "embedshift_response_scores_rescaled",
            "Answers of the new index to clients on routes with response_scores = old_scale, by "
            "result: rescaled (every score in the old model's scale), no_map, unreadable (sent "
            "with the new model's scores).",
            ("route", "segment", "result"),
            registry=registry,
        )

    def prime(self, routes: list[str], segments: list[str]) -> None:
        """Create the translated and rescaled series of every (route, segment) at zero."""
        for route in routes:
            for segment in [*segments, "other"]:
                for purpose in ("mirror", "answer"):
                    self.translations.labels(route, segment, purpose, "translated")
                self.rescaled.labels(route, segment, "rescaled")


class FlipMetrics:
    """The gate's verdicts and figures, and the mode in force."""

    def __init__(self, registry: CollectorRegistry) -> None:
        """Create and register the metric families."""
        self.verdict = Gauge(
            "embedshift_gate_verdict",
            "The gate's verdict per segment: 1 pass, 0 inconclusive, -1 fail.",
            ("segment",),
            registry=registry,
        )
        self.criterion = Gauge(
            "embedshift_gate_criterion",
            "The figure behind each criterion of the gate per segment (GET /admin/gate gives "
            "the limits and the reasons); absent while the figure is unknown.",
            ("segment", "criterion"),
            registry=registry,
        )
        self.mode = Gauge(
            "embedshift_mode",
            "1 for the mode in force (shadow, canary, flipped), 0 for the others.",
            ("mode",),
            registry=registry,
        )
        self.canary_percent = Gauge(
            "embedshift_canary_percent",
            "Share of search requests the new index answers, in percent (0 shadow, 100 flipped).",
            registry=registry,
        )
        self.generation = Gauge(
            "embedshift_mode_generation",
            "Generation of the mode in force: one more at every accepted change.",
            registry=registry,
        )
        self.fallbacks = Counter(
            "embedshift_primary_fallbacks",
            "Search requests meant for the new index that the old one answered because their "
            "request to the new index could not be built (no query text, embedding failed) or "
            "would carry thresholds not translated for the new model (threshold_untranslated, "
            "no_score_map).",
            ("route", "reason"),
            registry=registry,
        )


LEARNED_RESULTS: Final = ("recalled", "text_unknown")
"""What the learned query-text source gave a vector search: its text, or none (the vector was
never embedded through the sidecar, or forgotten): outcome ``no_query_text``."""
MEMORY_SKIP_REASONS: Final = (
    "not_json",
    "no_text",
    "tokens",
    "too_many_inputs",
    "error_status",
    "unreadable_answer",
    "too_large",
)
"""Why an embeddings call taught the query memory nothing (proxy/embeddings/learn.py)."""


class QueryTextMetrics:
    """The application's embeddings calls through the sidecar, the query memory, its coverage."""

    def __init__(self, registry: CollectorRegistry) -> None:
        """Create and register the metric families (with or without [embeddings_api])."""
        self.learned_text = Counter(
            "embedshift_learned_query_text",
            "Vector searches of routes with query_text.learned that reached the learned source, "
            "by result: recalled (the text of an embeddings call seen by this sidecar) or "
            "text_unknown (ends as outcome no_query_text). Coverage: recalled / both.",
            ("route", "segment", "result"),
            registry=registry,
        )
        self.entries = Gauge(
            "embedshift_query_memory_entries",
            "Texts the query memory holds now (bounded by [embeddings_api].max_entries).",
            registry=registry,
        )
        self.bytes = Gauge(
            "embedshift_query_memory_bytes",
            "Estimated memory the query memory holds now (bounded by [embeddings_api].max_bytes).",
            registry=registry,
        )
        self.remembered = Counter(
            "embedshift_query_memory_remembered",
            "Texts of embeddings calls remembered with their vectors.",
            registry=registry,
        )
        self.skipped = Counter(
            "embedshift_query_memory_skipped",
            "Embeddings calls passed through without teaching the memory anything, by reason.",
            ("reason",),
            registry=registry,
        )
        self.forgotten = Counter(
            "embedshift_query_memory_forgotten",
            "Texts forgotten, by reason: capacity (max_entries or max_bytes) or expired (ttl_s).",
            ("reason",),
            registry=registry,
        )
        self.prefetches = Counter(
            "embedshift_query_memory_prefetches",
            "New-model embeddings asked for remembered texts ahead of their search "
            "([embeddings_api].prefetch), by result: sent, or dropped (too many in flight).",
            ("result",),
            registry=registry,
        )
        for reason in MEMORY_SKIP_REASONS:
            self.skipped.labels(reason)
        for reason in ("capacity", "expired"):
            self.forgotten.labels(reason)
        for result in ("sent", "dropped"):
            self.prefetches.labels(result)
        self._bound: dict[tuple[str, str], tuple[Counter, Counter]] = {}

    def learned_for(self, route: str, segment: str) -> tuple[Counter, Counter]:
        """The (recalled, text_unknown) counter children of one (route, segment), cached."""
        key = (route, segment)
        bound = self._bound.get(key)
        if bound is None:
            bound = self._bound[key] = (
                self.learned_text.labels(route, segment, "recalled"),
                self.learned_text.labels(route, segment, "text_unknown"),
            )
        return bound


REVIEW_OUTCOMES: Final = ("win", "loss", "tie", "both_bad")
"""What a vote on the review page says of the new index: picked, not picked, same, both bad."""


class ReviewMetrics:
    """The review page's votes (proxy/review): what people said of the new index's answers."""

    def __init__(self, registry: CollectorRegistry) -> None:
        """Create and register the metric families."""
        self.votes = Counter(
            "embedshift_review_votes",
            "Votes cast on the review page, by the example's segment and what the vote says "
            "of the new index (win, loss, tie, both_bad); a changed vote counts again.",
            ("segment", "outcome"),
            registry=registry,
        )
        self.tally = Gauge(
            "embedshift_review_tally",
            "Reviewed queries per segment by the vote in force (one per reviewer and query): "
            "what the gate's reviewed_preference judges.",
            ("segment", "outcome"),
            registry=registry,
        )
