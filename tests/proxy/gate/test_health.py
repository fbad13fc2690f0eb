"""The index-health criteria's edges: coverage, expected divergence, score sanity."""

from __future__ import annotations

import pytest

from proxy.gate.figures import SegmentFigures
from proxy.gate.health import coverage, expected_divergence, score_sanity
from tests.support.gate_evidence import band, divergence, gate_settings, live

SETTINGS = gate_settings()


# --- new_index_coverage ---------------------------------------------------------------


def test_coverage_passes_when_its_lower_bound_reaches_the_minimum() -> None:
    """500 of 500 ids found: the lower Wilson bound (0.9946) is at least 0.99."""
    criterion = coverage(SegmentFigures(ids_present=500), SETTINGS)
    assert criterion.status == "pass", criterion.reason
    assert criterion.value == 1.0
    assert "1.000 of 500 ids the old index returned are in the new index" in criterion.reason


def test_coverage_is_uncertain_on_too_few_ids_even_when_all_are_found() -> None:
    """100 of 100 found cannot show 0.99 (its lower bound is 0.974): uncertain, not pass."""
    criterion = coverage(SegmentFigures(ids_present=100), SETTINGS)
    assert criterion.status == "uncertain"
    assert "more lookups needed" in criterion.reason


def test_a_quarter_missing_fails_naming_completeness() -> None:
    """750 of 1000 found: far below 0.99 with confidence: fail, asking whether it is complete."""
    criterion = coverage(SegmentFigures(ids_present=750, ids_missing=250), SETTINGS)
    assert criterion.status == "fail"
    assert criterion.value == 0.75
    assert "is the new index complete?" in criterion.reason


def test_one_missing_id_in_a_thousand_still_passes() -> None:
    """999 of 1000 (0.999): the lower bound 0.9946 clears 0.99."""
    assert coverage(SegmentFigures(ids_present=999, ids_missing=1), SETTINGS).status == "pass"


def test_coverage_without_lookups_is_unavailable_and_names_failures() -> None:
    """No id looked up: unavailable (inconclusive); failed lookups are said, never missing ids."""
    criterion = coverage(SegmentFigures(lookups_failed=7), SETTINGS)
    assert criterion.status == "unavailable"
    assert "7 lookups failed" in criterion.reason


def test_coverage_is_skipped_where_the_adapter_cannot_look_ids_up() -> None:
    """The generic adapter has no get-by-id call: skipped, saying why."""
    criterion = coverage(SegmentFigures(lookups_unsupported=30), SETTINGS)
    assert criterion.status == "skipped"
    assert "no get-by-id call" in criterion.reason


@pytest.mark.parametrize("extra", ["min_coverage = 0", "coverage_rate = 0"])
def test_coverage_can_be_turned_off(extra) -> None:
    """min_coverage or coverage_rate at 0: skipped."""
    settings = gate_settings(extra)
    assert coverage(SegmentFigures(ids_missing=100), settings).status == "skipped"


# --- expected_divergence --------------------------------------------------------------


def test_a_healthy_swap_passes_below_the_models_figure() -> None:
    """Live RBO 0.46 against 0.54 expected (a larger index agrees less): above half of it."""
    criterion = expected_divergence(live([0.46] * 300), divergence(), SETTINGS, 0.9)
    assert criterion.status == "pass", criterion.reason
    assert "live RBO 0.460" in criterion.reason
    assert "the models alone explain 0.540" in criterion.reason


def test_a_shuffled_join_fails_naming_both_figures() -> None:
    """Live RBO near 0 (vectors on the wrong ids): fail, both figures and the question named."""
    values = [0.0] * 290 + [0.05] * 10
    criterion = expected_divergence(live(values), divergence(), SETTINGS, 0.9)
    assert criterion.status == "fail"
    assert criterion.reason.startswith("live RBO 0.002")
    assert "the models alone explain 0.540" in criterion.reason
    assert "is the new index complete and joined to the right ids?" in criterion.reason
    assert criterion.limit == pytest.approx(0.27)


def test_live_rbo_straddling_half_the_expectation_is_uncertain() -> None:
    """Mean 0.27 with spread: bounds on both sides of 0.27: uncertain."""
    values = [0.0, 0.54] * 50
    criterion = expected_divergence(live(values), divergence(), SETTINGS, 0.9)
    assert criterion.status == "uncertain"


def test_expected_divergence_unavailable_or_skipped() -> None:
    """Nothing published: unavailable; models agreeing about as much as unrelated lists: skipped."""
    assert expected_divergence(live([0.5] * 300), None, SETTINGS, 0.9).status == "unavailable"
    unrelated = divergence(rbo=0.003, n_documents=5000)
    assert expected_divergence(live([0.0] * 300), unrelated, SETTINGS, 0.9).status == "skipped"
    off = gate_settings("divergence_margin = 0")
    assert expected_divergence(live([0.0] * 300), divergence(), off, 0.9).status == "skipped"


def test_a_different_rbo_persistence_is_said() -> None:
    """The calibrator's p differs from the live one: the reason says so."""
    criterion = expected_divergence(live([0.5] * 300), divergence(), SETTINGS, 0.8)
    assert "RBO persistence differs: calibrator 0.9, live 0.8" in criterion.reason


# --- score_sanity ---------------------------------------------------------------------


def test_scores_within_the_band_pass() -> None:
    """6 of 300 top-1 scores outside the published 1st-99th percentile band: pass."""
    figures = SegmentFigures(band_below=3, band_above=3, band_within=294)
    criterion = score_sanity(figures, band(), SETTINGS)
    assert criterion.status == "pass", criterion.reason
    assert "outside [0.310, 0.820]" in criterion.reason


def test_scores_out_of_one_space_fail() -> None:
    """Nearly every top-1 below the band (documents embedded by another model): fail."""
    figures = SegmentFigures(band_below=280, band_within=20)
    criterion = score_sanity(figures, band(), SETTINGS)
    assert criterion.status == "fail"
    assert "embedded by the same model" in criterion.reason


def test_half_outside_on_a_small_sample_is_uncertain() -> None:
    """12 of 20 outside: the bounds straddle one half."""
    criterion = score_sanity(SegmentFigures(band_below=12, band_within=8), band(), SETTINGS)
    assert criterion.status == "uncertain"


def test_score_sanity_unavailable_or_skipped() -> None:
    """No band published or nothing checked: unavailable; max_score_outside_band 1: skipped."""
    assert score_sanity(SegmentFigures(band_within=10), None, SETTINGS).status == "unavailable"
    assert score_sanity(SegmentFigures(), band(), SETTINGS).status == "unavailable"
    off = gate_settings("max_score_outside_band = 1")
    assert score_sanity(SegmentFigures(band_below=10), band(), off).status == "skipped"
