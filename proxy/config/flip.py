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
        "Confidence of the bounds on mean RBO and mean overlap@k (one-sided).",
        default=0.95,
        gt=0.5,
        lt=1,
    )
    min_rbo: float = setting(
        "Floor for the lower confidence bound of mean RBO.", default=0.8, ge=0, le=1
    )
    min_overlap: float = setting(
        "Floor for the lower confidence bound of mean overlap@k.", default=0.8, ge=0, le=1
    )
    max_abstain_flip_rate: float = setting(
        "Cap on the share of compared queries whose answer flips between some results and "
        "none under the thresholds in force (needs [thresholds]).",
        default=0.05,
        ge=0,
        le=1,
    )
    max_shadow_error_rate: float = setting(
        "Cap on the share of shadow requests that fail (errors, unparseable answers, failed "
        "embeddings).",
        default=0.01,
        ge=0,
        le=1,
    )
    max_shadow_timeout_rate: float = setting(
        "Cap on the share of shadow requests that time out.", default=0.01, ge=0, le=1
    )
    max_latency_ratio: float = setting(
        "Cap on the new index's p99 latency over the old one's (search routes, all segments).",
        default=1.5,
        gt=0,
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
        "Go back to shadow at once when a segment fails (then stop promoting until an "
        "operator sets a mode).",
        default=True,
    )
