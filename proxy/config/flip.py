"""Flipping traffic: ``[gate]`` (when the new index may answer), ``[modes]``, ``[promotion]``.

Read by :mod:`proxy.gate` and :mod:`proxy.flip`.
"""

from __future__ import annotations

from dataclasses import dataclass

from proxy.config.loader import setting, url_check
from proxy.config.shadow import SampleKey


@dataclass(frozen=True)
class GateSection:
    """``[gate]``: when the new index may take traffic (proxy/gate/verdict.py), per segment."""

    window_s: float = setting("Sliding window the gate judges, in seconds.", default=600.0, ge=10)
    interval_s: float = setting(
        "How often the gate is evaluated (and its metrics updated).", default=5.0, gt=0
    )
    min_compared: int = setting(
        "Fewest compared queries in the window for a verdict; fewer: inconclusive.",
        default=200,
        ge=2,
    )
    confidence: float = setting(
        "Confidence of every bound the gate decides on (one-sided): means, shares, latency.",
        default=0.95,
        gt=0.5,
        lt=1,
    )
    quality_metric: str = setting(
        "The labelled metric labelled_quality judges, as the calibrator publishes it "
        "(ndcg@10, recall@10, precision_at_threshold, recall_at_threshold).",
        default="ndcg@10",
        check=lambda v: None if v else "must name a metric, such as ndcg@10",
    )
    max_quality_loss: float = setting(
        "labelled_quality: the new side may be worse than the old by at most this much on "
        "quality_metric; pass when the lower end of the interval of new - old is at least "
        "-max_quality_loss, fail when its upper end is below.",
        default=0.02,
        ge=0,
        le=1,
    )
    min_coverage: float = setting(
        "new_index_coverage: the share of the old side's result ids found in the new index "
        "must be at least this (its lower confidence bound); 0 turns the criterion off.",
        default=0.99,
        ge=0,
        le=1,
    )
    coverage_rate: float = setting(
        "Compared queries whose old result ids are looked up in the new index, per second at "
        "most (off the request path; beyond it a query is not checked); 0 turns lookups off.",
        default=20.0,
        ge=0,
    )
    coverage_max_in_flight: int = setting(
        "Id lookups under way at once; a query arriving while all are busy is not checked.",
        default=4,
        ge=1,
    )
    coverage_timeout_s: float = setting(
        "Time allowed for one id lookup in the new index.", default=2.0, gt=0
    )
    divergence_margin: float = setting(
        "expected_divergence: live mean RBO must not be significantly below this share of "
        "the RBO the calibrator measured between the two models on its labelled queries "
        "(docs/gate.md says why one half); 0 turns the criterion off.",
        default=0.5,
        ge=0,
        le=1,
    )
    max_score_outside_band: float = setting(
        "score_sanity: cap on the share of the new side's top-1 scores outside the band the "
        "calibrator saw for the new model (its 1st to 99th percentile); 1 turns it off.",
        default=0.5,
        ge=0,
        le=1,
    )
    min_rbo: float | None = setting(
        "Optional floor for the lower confidence bound of mean RBO (unset: no floor; two "
        "different models rarely agree above 0.6, so divergence is evidence, not a verdict).",
        default=None,
        ge=0,
        le=1,
    )
    min_overlap: float | None = setting(
        "Optional floor for the lower confidence bound of mean overlap@k (unset: no floor).",
        default=None,
        ge=0,
        le=1,
    )
    max_new_empty_rate: float = setting(
        "Margin over what the two models alone explain: new_empty_rate (the net share of "
        "compared queries with both thresholds that the new side leaves empty where the old "
        "side kept some, minus those it fills) fails only when significantly above the net "
        "share the calibrator measured at the same thresholds on the labelled queries "
        "(quality.abstain, at least 0) plus this margin; without that expectation, above this "
        "margin over 0.",
        default=0.05,
        ge=0,
        le=1,
    )
    max_shadow_error_rate: float = setting(
        "Cap on the share of shadow requests that fail (errors, unparseable answers, failed "
        "embeddings); fails only when significantly above it.",
        default=0.01,
        ge=0,
        le=1,
    )
    max_shadow_timeout_rate: float = setting(
        "Cap on the share of shadow requests that time out; fails only when significantly "
        "above it.",
        default=0.01,
        ge=0,
        le=1,
    )
    max_latency_ratio: float = setting(
        "latency: the new index fails when significantly more than 1% of its search answers "
        "take longer than this multiple of the old index's p99 (and latency_slack_s more).",
        default=1.5,
        gt=0,
    )
    latency_slack_s: float = setting(
        "latency: an increase over the old index's p99 smaller than this never fails "
        "(a negligible absolute difference, whatever the ratio).",
        default=0.025,
        ge=0,
    )
    min_reviews: int = setting(
        "reviewed_preference: fewest reviewed queries of a segment before people's votes "
        "count (fewer: inconclusive); only when the review page is on.",
        default=20,
        ge=1,
    )
    prometheus_url: str | None = setting(
        "Read the window's figures from this Prometheus (all replicas summed), so that every "
        "replica reaches the same verdict. Unset: this process's own counters.",
        default=None,
        check=lambda v: None if v is None else url_check(v),
    )
    prometheus_selector: str = setting(
        "Label matchers added to every gate query, e.g. 'namespace=\"search\"'.", default=""
    )
    prometheus_delay_s: float = setting(
        "Evaluate at a time this far back, aligned to interval_s, so that all replicas read "
        "the same fully scraped data (a few scrape intervals).",
        default=60.0,
        ge=0,
    )
    prometheus_timeout_s: float = setting(
        "Time allowed for each gate query to Prometheus.", default=5.0, gt=0
    )


@dataclass(frozen=True)
class ModesSection:
    """``[modes]``: which index answers search requests (proxy/flip/modes.py)."""

    state_path: str = setting(
        "SQLite file holding the mode in force and the audit log of its changes.",
        default="var/modes.sqlite",
    )
    canary_key: SampleKey | None = setting(
        "What a canary hashes so that one query (or user) always gets the same side. Unset: "
        "[shadow].sample_key; neither set: a draw per request.",
        default=None,
    )
    side_header: bool = setting(
        "Add X-Embedshift-Side: old|new;gen=N to search answers (tests, debugging).",
        default=False,
    )
    poll_interval_s: float = setting(
        "How often the stored mode is re-read, so that processes sharing state_path (one per "
        "core, [proxy].reuse_port) follow a change made through any of them.",
        default=1.0,
        gt=0,
    )


@dataclass(frozen=True)
class PromotionSection:
    """``[promotion]``: automatic promotion (off by default): shadow, canary steps, flipped."""

    enabled: bool = setting(
        "Promote automatically after the gate has passed for hold_s; roll back on fail.",
        default=False,
    )
    canary_steps: tuple[float, ...] = setting(
        "Canary percentages, in order, between shadow and flipped.",
        default=(5.0, 25.0, 50.0),
        check=lambda v: (
            None
            if all(0 < p < 100 for p in v) and list(v) == sorted(v)
            else "must be increasing percentages between 0 and 100"
        ),
    )
    hold_s: float = setting(
        "How long every segment must pass before the next step.", default=1800.0, gt=0
    )
    rollback_on_fail: bool = setting(
        "Go back to shadow when a segment's failure persists (failure_limit failing readings, "
        "then stop promoting until an operator sets a mode).",
        default=True,
    )
    failure_limit: int = setting(
        "Failing readings a segment must show before an automatic rollback: evaluations "
        "failure_interval_s apart (by default a whole gate window, so that no two judge the "
        "same data), every evaluation in between failing too; a pass or an inconclusive "
        "verdict starts the count again (docs/gate.md).",
        default=3,
        ge=1,
    )
    failure_interval_s: float | None = setting(
        "Least time between two failing evaluations that both count toward failure_limit. "
        "Unset: [gate].window_s, so that every counted reading judges new data only (as "
        "Argo's and Flagger's checks each cover their own interval); 0 counts every "
        "evaluation, whose windows then overlap.",
        default=None,
        ge=0,
    )
