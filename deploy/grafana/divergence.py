# ruff: noqa: INP001  (a script folder, not a package)
"""The "divergence and gate" dashboard.

Does the new index agree with the old one, may it take traffic, and are the thresholds for it
fresh?
"""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Dashboard, Row
from grafana_foundation_sdk.builders.statetimeline import Panel as StateTimeline
from panels import (
    DATASOURCE,
    SEL,
    dashboard,
    legend,
    q,
    quantiles,
    score_heatmap,
    stat,
    timeseries,
    verdict_mappings,
)


def gate(board: Dashboard) -> Dashboard:
    """Verdicts per segment, the figures behind them, the sidecar's mode."""
    verdicts = (
        StateTimeline()
        .title("Gate verdict per segment")
        .description("Worst verdict over all replicas: pass, inconclusive (too little data), fail.")
        .datasource(DATASOURCE)
        .with_target(
            q('min by (segment) (embedshift_gate_verdict{segment=~"$segment"})', "{{segment}}")
        )
        .mappings(verdict_mappings())
        .legend(legend())
        .span(12)
        .height(8)
    )
    criteria = timeseries(
        "Gate criteria",
        "The figure behind each criterion of the gate (GET /admin/gate gives the reasons).",
        "none",
        [
            q(
                'max by (segment, criterion) (embedshift_gate_criterion{segment=~"$segment"})',
                "{{segment}} {{criterion}}",
            )
        ],
    )
    quality = timeseries(
        "Labelled quality: new - old",
        "What the calibrator measured on each segment's labelled queries: the difference new - "
        "old and its paired interval (bound lower and upper). labelled_quality passes when the "
        "lower bound of [gate].quality_metric is at least -max_quality_loss.",
        "none",
        [
            q(
                "max by (segment, metric, bound) "
                '(embedshift_labelled_quality_difference{segment=~"$segment"})',
                "{{segment}} {{metric}} {{bound}}",
            )
        ],
    )
    mode = stat(
        "Mode",
        "shadow, canary or flipped: the mode each replica is in (1 marks it).",
        "none",
        q("max by (mode) (embedshift_mode) == 1", "{{mode}}"),
        width=24,
    ).height(4)
    board = board.with_row(Row("Gate")).with_panel(verdicts).with_panel(criteria)
    return board.with_panel(quality).with_panel(mode.span(12).height(8))


def health(board: Dashboard) -> Dashboard:
    """Is the new index complete and consistent: coverage, score band, emptied answers."""
    coverage = (
        timeseries(
            "New index coverage (15 m)",
            "Share of the old index's result ids found by id in the new index (alert "
            "EmbedshiftNewIndexIncomplete below 99%, as [gate].min_coverage).",
            "percentunit",
            [q('segment:embedshift_coverage:ratio15m{segment=~"$segment"}', "{{segment}}")],
            width=8,
        )
        .min(0)
        .max(1)
    )
    lookups = timeseries(
        "Id lookups by outcome",
        "Compared queries offered to the new index's id lookups: checked, failed, dropped "
        "(over [gate].coverage_rate), unsupported (no get-by-id call).",
        "reqps",
        [
            q(
                "sum by (outcome) "
                f"(rate(embedshift_coverage_lookups_total{{{SEL}}}[$__rate_interval]))",
                "{{outcome}}",
            )
        ],
        width=8,
    )
    band = (
        timeseries(
            "New top-1 scores outside the calibrated band (15 m)",
            "Share of the new index's top-1 scores outside the new model's 1st-99th percentile on "
            "the labelled queries (score_sanity; alert EmbedshiftScoresOutOfBand above 50%).",
            "percentunit",
            [
                q(
                    'segment:embedshift_score_band_outside:ratio15m{segment=~"$segment"}',
                    "{{segment}}",
                )
            ],
            width=8,
        )
        .min(0)
        .max(1)
    )
    board = board.with_row(Row("New index health"))
    return board.with_panel(coverage).with_panel(lookups).with_panel(band)


def divergence(board: Dashboard) -> Dashboard:
    """RBO and overlap@k per segment over time, top-1 agreement, Kendall's tau."""
    rbo = timeseries(
        "RBO quantiles per segment",
        "Rank-biased overlap of the two top-k lists (1 = the same ranking).",
        "percentunit",
        quantiles("embedshift_rbo", "segment", (0.1, 0.5, 0.9), "{{segment}}"),
    )
    overlap = timeseries(
        "overlap@k quantiles per segment",
        "Share of the top-k ids both indexes return.",
        "percentunit",
        quantiles("embedshift_overlap_at_k", "segment", (0.1, 0.5, 0.9), "{{segment}}"),
    )
    means = timeseries(
        "Mean RBO and overlap@k (5 m) against what the models explain",
        "Live means beside the calibrator's expectation from its labelled queries (the gate's "
        "expected_divergence; alert EmbedshiftDivergenceBeyondModels below half of it). Two "
        "different models agree at about 0.5: divergence is evidence, not the verdict.",
        "percentunit",
        [
            q(f"route_segment:embedshift_rbo:mean5m{{{SEL}}}", "RBO {{route}}/{{segment}}"),
            q(
                f"route_segment:embedshift_overlap_at_k:mean5m{{{SEL}}}",
                "overlap {{route}}/{{segment}}",
                "B",
            ),
            q(
                'max by (segment, measure) (embedshift_expected_divergence{segment=~"$segment"})',
                "expected {{measure}} {{segment}}",
                "C",
            ),
        ],
    )
    agreement = timeseries(
        "Top-1 agreement and Kendall's tau",
        "Share of compared queries whose first result agrees; mean tau over the shared ids "
        "(from its shifted sum: tau may be negative).",
        "none",
        [
            q(
                f"route_segment:embedshift_top1_agreement:ratio5m{{{SEL}}}",
                "top-1 {{route}}/{{segment}}",
            ),
            q(
                f"route_segment:embedshift_kendall_tau:mean5m{{{SEL}}}",
                "mean tau {{route}}/{{segment}}",
                "B",
            ),
        ],
    )
    board = board.with_row(Row("Divergence between old and new index"))
    for panel in (rbo.min(0).max(1), overlap.min(0).max(1), means.min(0).max(1), agreement):
        board = board.with_panel(panel)
    return board


def scores(board: Dashboard) -> Dashboard:
    """Score distributions of both sides, thresholds in force, abstain flips."""
    board = board.with_row(Row("Scores and thresholds"))
    for side, name in (("old", "old index"), ("new", "new index")):
        for rank, where in (("top1", "rank 1"), ("topk", "rank k")):
            board = board.with_panel(
                score_heatmap(
                    f"Similarity at {where}, {name}",
                    f"The {name}'s similarity at {where} over time (distances as 1 - d).",
                    side,
                    rank,
                )
            )
    thresholds = timeseries(
        "Thresholds in force",
        "The old threshold (yours) and the calibrated one for the new model, per segment.",
        "none",
        [
            q(
                'max by (segment, side) (embedshift_threshold{segment=~"$segment"})',
                "{{side}} {{segment}}",
            )
        ],
        width=8,
    )
    flips = timeseries(
        "Abstain flips by direction",
        "Queries where one side keeps no result at its threshold and the other some; empty "
        "names the side that keeps none. new_empty_rate judges new net of old (15 m ratio).",
        "reqps",
        [
            q(
                "sum by (segment, empty) "
                f"(rate(embedshift_abstain_flips_total{{{SEL}}}[$__rate_interval]))",
                "{{empty}} side empty {{segment}}",
            ),
            q(
                f"route_segment:embedshift_new_empty_net:ratio15m{{{SEL}}}",
                "net emptied share {{route}}/{{segment}}",
                "B",
            ),
        ],
        width=8,
    )
    accepted = timeseries(
        "Results accepted per query (median)",
        "How many results each side keeps at its own threshold.",
        "none",
        [
            q(
                "histogram_quantile(0.5, sum by (segment, side, le) "
                f"(rate(embedshift_accepted_results_bucket{{{SEL}}}[$__rate_interval])))",
                "{{side}} {{segment}}",
            )
        ],
        width=8,
    )
    return board.with_panel(thresholds).with_panel(flips).with_panel(accepted)


def calibrator(board: Dashboard) -> Dashboard:
    """How fresh the thresholds are and what they achieve on the labelled sample."""
    age = stat(
        "Since the last successful calibration",
        "The alert EmbedshiftCalibratorStale fires past 3 hours.",
        "s",
        q("time() - max(embedshift_calibrator_last_success_timestamp_seconds)", "age"),
        width=6,
    )
    duration = timeseries(
        "Calibration run duration",
        "Wall time of the calibrator's last run.",
        "s",
        [q("max(embedshift_calibrator_run_duration_seconds)", "duration")],
        width=6,
    )
    quality = (
        timeseries(
            "Precision and recall at the calibrated threshold",
            "Measured on the labelled sample, per segment.",
            "percentunit",
            [
                q(
                    'max by (segment) (embedshift_calibrator_precision{segment=~"$segment"})',
                    "precision {{segment}}",
                ),
                q(
                    'max by (segment) (embedshift_calibrator_recall{segment=~"$segment"})',
                    "recall {{segment}}",
                    "B",
                ),
            ],
        )
        .min(0)
        .max(1)
    )
    board = board.with_row(Row("Calibrator"))
    return board.with_panel(age).with_panel(duration).with_panel(quality)


def build() -> Dashboard:
    """The whole dashboard."""
    board = dashboard(
        "embedshift-divergence",
        "embedshift: divergence and gate",
        "Does the new index agree with the old one, per segment, and may traffic flip?",
    )
    for section in (gate, health, divergence, scores, calibrator):
        board = section(board)
    return board
