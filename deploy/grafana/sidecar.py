# ruff: noqa: INP001  (a script folder, not a package)
"""The "sidecar traffic and latency" dashboard.

What the sidecar does with each request, how fast both indexes answer, and whether the sidecar
itself keeps up.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Dashboard, Row
from panels import SEL, dashboard, q, timeseries


def traffic(board: Dashboard) -> Dashboard:
    """Client requests, shadow outcomes, error and shedding ratios."""
    clients = timeseries(
        "Client requests by route and status",
        "Every request the sidecar answered (passthrough: paths that are not search routes).",
        "reqps",
        [
            q(
                "sum by (route, code) (rate(embedshift_client_requests_total[$__rate_interval]))",
                "{{route}} {{code}}",
            )
        ],
    )
    outcomes = timeseries(
        "Shadow outcomes",
        "What happened to each search request's shadow (exactly one outcome each).",
        "reqps",
        [
            q(
                "sum by (outcome) "
                f"(rate(embedshift_shadow_requests_total{{{SEL}}}[$__rate_interval]))",
                "{{outcome}}",
            )
        ],
    )
    ratios = timeseries(
        "Shadow errors and shedding (5 m)",
        "Failed shadow requests among those sent (alert above 5%); shed requests among those "
        "meant for the shadow (alert above 10%).",
        "percentunit",
        [
            q(
                f"route_segment:embedshift_shadow_errors:ratio5m{{{SEL}}}",
                "errors {{route}}/{{segment}}",
            ),
            q(
                f"route_segment:embedshift_shadow_shed:ratio5m{{{SEL}}}",
                "shed {{route}}/{{segment}}",
                "B",
            ),
        ],
        width=24,
    ).min(0)
    board = board.with_row(Row("Traffic"))
    return board.with_panel(clients).with_panel(outcomes).with_panel(ratios)


def latency(board: Dashboard) -> Dashboard:
    """p50 and p99 of both upstreams; the embeddings API of vector routes."""
    board = board.with_row(Row("Latency"))
    for v in (0.5, 0.99):
        board = board.with_panel(
            timeseries(
                f"Upstream latency p{round(v * 100)}",
                "Time to each upstream's whole answer: old serves clients and new is the "
                "shadow (the other way round once flipped).",
                "s",
                [
                    q(
                        f"histogram_quantile({v}, sum by (upstream, le) (rate("
                        'embedshift_upstream_request_duration_seconds_bucket{route=~"$route"}'
                        "[$__rate_interval])))",
                        "{{upstream}}",
                    )
                ],
            )
        )
    embedding = timeseries(
        "Query embedding latency",
        "Calls to the new model's embeddings API for routes that carry query vectors.",
        "s",
        [
            q(
                f"histogram_quantile({v}, sum by (le) "
                "(rate(embedshift_query_embed_call_duration_seconds_bucket[$__rate_interval])))",
                f"p{round(v * 100)}",
                ref,
            )
            for v, ref in ((0.5, "A"), (0.99, "B"))
        ],
        width=24,
    )
    return board.with_panel(embedding)


def health(board: Dashboard) -> Dashboard:
    """Shadow work in flight, event loop lag, reloads and dropped examples."""
    in_flight = timeseries(
        "Shadow requests in flight",
        "Bounded by [shadow].max_in_flight; beyond it the shadow is dropped.",
        "none",
        [q("sum by (instance) (embedshift_shadow_in_flight)", "{{instance}}")],
        width=8,
    )
    lag = timeseries(
        "Event loop lag",
        "Above [shadow].max_loop_lag_s the shadow sheds first.",
        "s",
        [q("max by (instance) (embedshift_event_loop_lag_seconds)", "{{instance}}")],
        width=8,
    )
    housekeeping = timeseries(
        "Config reloads and dropped examples (1 h)",
        "SIGHUP reloads by result; divergent examples the writer could not keep up with.",
        "none",
        [
            q(
                "sum by (result) (increase(embedshift_config_reloads_total[1h]))",
                "reload {{result}}",
            ),
            q("sum(increase(embedshift_examples_dropped_total[1h]))", "examples dropped", "B"),
        ],
        width=8,
    )
    board = board.with_row(Row("Sidecar health"))
    return board.with_panel(in_flight).with_panel(lag).with_panel(housekeeping)


def build() -> Dashboard:
    """The whole dashboard."""
    board = dashboard(
        "embedshift-sidecar",
        "embedshift: sidecar traffic and latency",
        "What the sidecar does with each request, and how fast both indexes answer.",
    )
    for section in (traffic, latency, health):
        board = section(board)
    return board
