"""The live-traffic criteria's edges: shadow rates, abstain flips by direction, latency, floors."""

from __future__ import annotations

import math

import pytest

from proxy.gate.figures import Latency, SegmentFigures
from proxy.gate.traffic import abstain, floors, latency, operational_rate
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
    assert "net +0.0225 of queries emptied" in new.reason


def test_new_empty_flips_significantly_above_the_cap_fail() -> None:
    """40 of 300 (13 %) emptied, 2 filled: the net lower bound is above 5 %: fail."""
    figures = SegmentFigures(new_empty=40, old_empty=2, threshold_queries=300)
    new, _ = abstain(figures, SETTINGS, configured=True)
    assert new.status == "fail"
    assert "significantly above the cap 0.05" in new.reason


def test_new_empty_flips_not_shown_above_the_cap_pass() -> None:
    """20 of 300 emptied (6.7 %), none filled: not significantly above 5 %: pass."""
    figures = SegmentFigures(new_empty=20, threshold_queries=300)
    new, _ = abstain(figures, SETTINGS, configured=True)
    assert new.status == "pass"


def test_abstain_without_thresholds() -> None:
    """No thresholds configured: skipped; configured but none counted: unavailable."""
    new, old = abstain(SegmentFigures(), SETTINGS, configured=False)
    assert (new.status, old.status) == ("skipped", "skipped")
    new, _ = abstain(SegmentFigures(), SETTINGS, configured=True)
    assert new.status == "unavailable"


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
