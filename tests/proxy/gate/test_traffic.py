"""The live-traffic criteria's edges: shadow rates, abstain flips by direction, latency, floors."""

from __future__ import annotations

import math

import pytest

from proxy.gate.figures import Latency, SegmentFigures
from proxy.gate.traffic import abstain, floors, latency, operational_rate
from proxy.thresholds.evidence import AbstainFlips
from proxy.thresholds.expected import ExpectedEmpty
from tests.support.gate_evidence import gate_settings, live

SETTINGS = gate_settings()
BOUNDS = (0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.25, 0.5, 1.0, math.inf)


def histogram(values) -> tuple[tuple[float, float], ...]:
    """Cumulative buckets of ``values`` over BOUNDS."""
    return tuple((b, float(sum(1 for v in values if v <= b))) for b in BOUNDS)


# --- shadow_error_rate, shadow_timeout_rate -------------------------------------------


def test_a_few_errors_in_a_small_window_never_fail() -> None:
    """3 errors of 200 sent (1.5 %, cap 1 %) are not significantly above the cap: pass."""
    criterion = operational_rate("shadow_error_rate", 3, 200, 0.01, "shadow requests sent", 0.95)
    assert criterion.status == "pass"
    assert "not significantly above the cap 0.01" in criterion.reason


def test_errors_significantly_above_the_cap_fail() -> None:
    """20 of 200 (10 %): the lower bound is far above 1 %: fail."""
    criterion = operational_rate("shadow_error_rate", 20, 200, 0.01, "shadow requests sent", 0.95)
    assert criterion.status == "fail"
    assert criterion.value == 0.1


def test_no_shadow_request_is_unavailable() -> None:
    """Nothing sent: no figure."""
    criterion = operational_rate("shadow_timeout_rate", 0, 0, 0.01, "shadow requests sent", 0.95)
    assert criterion.status == "unavailable"


# --- new_empty_rate, old_empty_rate ---------------------------------------------------


def expected(new_empty, old_empty, n, measured=(0.5, 0.41), live=(0.5, 0.41), borrowed=False):
    """Published abstain flips measured at ``measured``, with ``live`` thresholds in force."""
    flips = AbstainFlips(n_queries=n, new_empty=new_empty, old_empty=old_empty, interval=None)
    return ExpectedEmpty(flips, measured, live, borrowed=borrowed)


def test_old_empty_flips_are_reported_never_judged() -> None:
    """122 old_empty flips of 1109 (the issue's SciFact run): reported; they fail nothing."""
    figures = SegmentFigures(old_empty=122, new_empty=1, threshold_queries=1109)
    new, old = abstain(figures, SETTINGS, configured=True)
    assert new.status == "pass"
    assert old.status == "reported"
    assert old.value == pytest.approx(122 / 1109)
    assert "never a failure" in old.reason


def test_a_healthy_reshuffle_of_empty_answers_passes() -> None:
    """This swap's SciFact run: 61 of 1109 emptied, 36 filled (net 2.3 %): pass."""
    figures = SegmentFigures(new_empty=61, old_empty=36, threshold_queries=1109)
    new, _ = abstain(figures, SETTINGS, configured=True)
    assert new.status == "pass"
    assert new.value == pytest.approx(25 / 1109)
    assert new.reason.startswith("net 0.023 emptied live (61 of 1109 compared queries")


def test_without_an_expectation_the_margin_is_over_zero_and_the_reason_says_so() -> None:
    """No published flips: today's cap. 40 of 300 emptied, 2 filled: lower bound > 5 %: fail."""
    figures = SegmentFigures(new_empty=40, old_empty=2, threshold_queries=300)
    new, _ = abstain(figures, SETTINGS, configured=True)
    assert new.status == "fail"
    assert new.limit == 0.05
    assert "no expected abstain flips are published" in new.reason
    assert "so the margin 0.05 is over 0" in new.reason
    assert "is above 0.050, significantly more emptied than the models explain" in new.reason


def test_new_empty_flips_not_shown_above_the_cap_pass() -> None:
    """20 of 300 emptied (6.7 %), none filled, no expectation: not significantly above 5 %."""
    figures = SegmentFigures(new_empty=20, threshold_queries=300)
    new, _ = abstain(figures, SETTINGS, configured=True)
    assert new.status == "pass"
    assert "not significantly above 0.050" in new.reason


def test_what_the_models_explain_is_allowed_on_top_of_the_margin() -> None:
    """A model pair that empties 12 % net on the labels: 12 % live passes, over a fixed cap not.

    Labelled: 130 of 1000 emptied, 10 filled (net 0.12, one-sided upper bound 0.138); live 400
    of 3000 emptied, 40 filled (net 0.12, lower bound 0.107): below 0.138 + 0.05.
    """
    figures = SegmentFigures(new_empty=400, old_empty=40, threshold_queries=3000)
    fixed, _ = abstain(figures, SETTINGS, configured=True)
    assert fixed.status == "fail"
    new, _ = abstain(figures, SETTINGS, configured=True, expected=expected(130, 10, 1000))
    assert new.status == "pass"
    assert new.value == pytest.approx(0.12)
    assert new.limit == pytest.approx(
        0.05 + 0.12 + 1.6449 * math.sqrt((140 - 120**2 / 1000) / 999 / 1000), abs=1e-4
    )
    assert "net 0.120 emptied live" in new.reason
    assert (
        "the models alone explain 0.120 on the labelled sample (130 emptied, 10 filled of "
        "1000 labelled queries; upper bound 0.138), margin 0.05"
    ) in new.reason
    assert new.reason.endswith(f"not significantly above {new.limit:.3f}")


def test_significantly_more_emptied_than_the_models_explain_fails() -> None:
    """A quarter of the index missing: live net 0.25 where the models explain 0.045: fail."""
    figures = SegmentFigures(new_empty=260, old_empty=10, threshold_queries=1000)
    new, _ = abstain(figures, SETTINGS, configured=True, expected=expected(7, 2, 113))
    assert new.status == "fail"
    assert "the models alone explain 0.044 on the labelled sample" in new.reason
    assert "is the new index complete" in new.reason


def test_the_bar_sits_at_the_expectation_plus_the_margin() -> None:
    """With ample live and labelled queries, a live net just above expected + margin fails.

    Labelled 10,000 queries at net 0.10 (upper bound 0.1049); live 100,000 queries: net 0.165
    (lower bound 0.1630) fails, net 0.15 passes: the bar is at about 0.155.
    """
    labels = expected(1000, 0, 10_000)
    above = SegmentFigures(new_empty=16_500, threshold_queries=100_000)
    below = SegmentFigures(new_empty=15_000, threshold_queries=100_000)
    assert abstain(above, SETTINGS, configured=True, expected=labels)[0].status == "fail"
    assert abstain(below, SETTINGS, configured=True, expected=labels)[0].status == "pass"


def test_a_net_the_new_model_fills_on_the_labels_allows_no_less_than_zero() -> None:
    """Labels: net -0.10 (the new model fills answers). Live net 0.03: the bar stays 0 + 0.05."""
    figures = SegmentFigures(new_empty=30, threshold_queries=1000)
    new, _ = abstain(figures, SETTINGS, configured=True, expected=expected(0, 100, 1000))
    assert new.status == "pass"
    assert new.limit == pytest.approx(0.05)
    assert "the models alone explain -0.100" in new.reason


def test_an_expectation_measured_at_other_thresholds_is_not_used() -> None:
    """Measured with old 0.5, live old 0.45: the margin is over 0 and the reason names both."""
    figures = SegmentFigures(new_empty=400, old_empty=40, threshold_queries=3000)
    labels = expected(130, 10, 1000, measured=(0.5, 0.41), live=(0.45, 0.41))
    new, _ = abstain(figures, SETTINGS, configured=True, expected=labels)
    assert new.status == "fail"
    assert new.limit == 0.05
    assert "measured at old 0.5 / new 0.41, not at the thresholds in force (old 0.45 / new" in (
        new.reason
    )
    assert "so the margin 0.05 is over 0" in new.reason


def test_a_borrowed_expectation_says_whose_it_is() -> None:
    """A segment without a labelled comparison of its own reads the global entry's, said so."""
    figures = SegmentFigures(new_empty=40, old_empty=30, threshold_queries=1000)
    new, _ = abstain(
        figures, SETTINGS, configured=True, expected=expected(9, 6, 300, borrowed=True)
    )
    assert new.status == "pass"
    assert "of 300 labelled queries, the global entry's;" in new.reason


def test_abstain_without_thresholds() -> None:
    """No thresholds configured: skipped; configured but none counted or one: unavailable."""
    labels = expected(9, 6, 300)
    new, old = abstain(SegmentFigures(), SETTINGS, configured=False, expected=labels)
    assert (new.status, old.status) == ("skipped", "skipped")
    new, _ = abstain(SegmentFigures(), SETTINGS, configured=True, expected=labels)
    assert new.status == "unavailable"
    one = SegmentFigures(new_empty=1, threshold_queries=1)
    new, _ = abstain(one, SETTINGS, configured=True, expected=labels)
    assert new.status == "unavailable"
    assert "fewer than two compared queries" in new.reason


# --- latency --------------------------------------------------------------------------


def test_one_slow_p99_reading_is_not_a_slowdown() -> None:
    """The issue's demo reading: new p99 20.6 ms against old 7.3 ms, a ratio of 2.8.

    Three slow answers of 300 lie above 7.3 x 1.5 but not above old p99 + 25 ms: the share
    above the bar is not significantly above 1 %: pass.
    """
    old = histogram([0.004] * 297 + [0.0073] * 3)
    new = histogram([0.004] * 294 + [0.0206] * 6)
    criterion = latency(Latency(old, new), SETTINGS)
    assert criterion.status == "pass", criterion.reason


def test_a_negligible_absolute_difference_never_fails() -> None:
    """Every new answer 3x slower but only 2 ms more than old: below latency_slack_s, pass."""
    old = histogram([0.001] * 1000)
    new = histogram([0.003] * 1000)
    assert latency(Latency(old, new), SETTINGS).status == "pass"


def test_a_slow_new_index_fails() -> None:
    """Every new answer 100 ms where old takes 10 ms: far above the bar, shown over the window."""
    old = histogram([0.01] * 500)
    new = histogram([0.1] * 500)
    criterion = latency(Latency(old, new), SETTINGS)
    assert criterion.status == "fail"
    assert "100.00% of 500 new answers slower than" in criterion.reason
    assert "significantly above 1%" in criterion.reason


def test_a_slow_tail_fails_once_it_is_shown() -> None:
    """5 % of new answers slow: fails with 400 answers; one slow answer of 30 shows nothing."""
    old = histogram([0.01] * 400)
    assert latency(Latency(old, histogram([0.01] * 380 + [0.5] * 20)), SETTINGS).status == "fail"
    few = latency(Latency(histogram([0.01] * 30), histogram([0.01] * 29 + [0.5])), SETTINGS)
    assert few.status == "pass"


def test_latency_unavailable_without_answers() -> None:
    """No answer on one side: unavailable."""
    assert latency(Latency(histogram([0.01]), ()), SETTINGS).status == "unavailable"
    assert latency(Latency((), histogram([0.01])), SETTINGS).status == "unavailable"


# --- rbo_floor, overlap_floor ---------------------------------------------------------


def test_floors_only_when_set() -> None:
    """Default: no floor at all; set, they judge the bounds of the means."""
    assert floors(live([0.5] * 200), SETTINGS) == []
    set_ = gate_settings("min_rbo = 0.8\nmin_overlap = 0.6")
    rbo, overlap = floors(live([0.5] * 200, [0.7] * 200), set_)
    assert (rbo.name, rbo.status) == ("rbo_floor", "fail")
    assert (overlap.name, overlap.status) == ("overlap_floor", "pass")
    straddling = floors(live([0.6, 1.0] * 20), gate_settings("min_rbo = 0.8"))
    assert straddling[0].status == "uncertain"
