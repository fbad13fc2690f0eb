"""The gate's verdict from its criteria (proxy/gate/verdict.py is pure): assembly and reasons."""

from __future__ import annotations

import math
from dataclasses import replace

from proxy.gate.figures import Latency, SegmentFigures
from proxy.gate.verdict import Evidence, evaluate
from proxy.thresholds.evidence import AbstainFlips
from proxy.thresholds.expected import ExpectedEmpty
from tests.support.gate_evidence import band, divergence, gate_settings, live, quality

SETTINGS = gate_settings("min_compared = 100")
BOUNDS = (0.005, 0.01, 0.02, 0.05, math.inf)
FAST = Latency(
    old=tuple((b, 300.0) for b in BOUNDS),
    new=tuple((b, 0.0 if b < 0.01 else 300.0) for b in BOUNDS),
)
PUBLISHED = Evidence(document=True, quality=quality(), divergence=divergence(), band=band())


def healthy(**extra) -> SegmentFigures:
    """A real swap's window: RBO about 0.5, every id found, top-1 scores in the band."""
    base = {"ids_present": 2000.0, "band_within": 296.0, "band_below": 4.0}
    return live([0.45, 0.55] * 150, [0.5] * 300, **{**base, **extra})


def test_a_healthy_swap_as_good_on_labels_passes() -> None:
    """Divergence 0.5 (two real models), quality shown, index healthy: pass, no reason."""
    verdict = evaluate("docs", healthy(), FAST, PUBLISHED, SETTINGS, thresholds_configured=False)
    assert verdict.verdict == "pass", verdict.reasons
    assert verdict.reasons == ()
    statuses = {c.name: c.status for c in verdict.criteria}
    assert statuses == {
        "labelled_quality": "pass",
        "new_index_coverage": "pass",
        "expected_divergence": "pass",
        "score_sanity": "pass",
        "new_empty_rate": "skipped",
        "old_empty_rate": "skipped",
        "shadow_error_rate": "pass",
        "shadow_timeout_rate": "pass",
        "latency": "pass",
        "reviewed_preference": "skipped",
    }


def test_no_reason_repeats_its_status() -> None:
    """Each skipped criterion says why, not ``skipped: ...`` again (the status stands beside it)."""
    off = gate_settings("min_compared = 100\nmin_coverage = 0\ndivergence_margin = 0\n"
                        "max_score_outside_band = 1")  # fmt: skip
    verdict = evaluate("docs", healthy(), FAST, PUBLISHED, off, thresholds_configured=False)
    skipped = {c.name: c.reason for c in verdict.criteria if c.status == "skipped"}
    assert set(skipped) == {
        "new_index_coverage",
        "expected_divergence",
        "score_sanity",
        "new_empty_rate",
        "old_empty_rate",
        "reviewed_preference",
    }
    for criterion in verdict.criteria:
        assert not criterion.reason.startswith(f"{criterion.status}:"), criterion
    assert skipped["reviewed_preference"] == "review is off ([review].enabled)"


def test_without_labelled_quality_a_healthy_swap_is_inconclusive() -> None:
    """No document: labelled quality unavailable, so inconclusive (never a silent pass)."""
    verdict = evaluate("docs", healthy(), FAST, Evidence(), SETTINGS, thresholds_configured=False)
    assert verdict.verdict == "inconclusive"
    assert verdict.reasons[0].startswith("labelled_quality: not available")


def test_failures_come_first_and_every_reason_is_given() -> None:
    """A quarter missing and a shuffled join: both fail, listed before what is undecided."""
    figures = live([0.0] * 300, ids_present=750.0, ids_missing=250.0, band_within=300.0)
    evidence = Evidence(document=True, quality=None, divergence=divergence(), band=band())
    verdict = evaluate("docs", figures, FAST, evidence, SETTINGS, thresholds_configured=False)
    assert verdict.verdict == "fail"
    names = [r.split(":", 1)[0] for r in verdict.reasons]
    assert names == ["new_index_coverage", "expected_divergence", "labelled_quality"]


def test_too_little_traffic_is_inconclusive_whatever_the_live_figures() -> None:
    """50 disjoint answers are too few to judge live figures: inconclusive, count named."""
    figures = live([0.0] * 50, ids_missing=500.0)
    verdict = evaluate("docs", figures, FAST, PUBLISHED, SETTINGS, thresholds_configured=False)
    assert verdict.verdict == "inconclusive"
    assert verdict.reasons[0].startswith("too little data: 50 compared queries in the window")
    assert "min_compared = 100" in verdict.reasons[0]


def test_labelled_quality_fails_without_traffic() -> None:
    """Worse on labels needs no traffic to fail."""
    worse = Evidence(document=True, quality=quality(diff=-0.1, interval=(-0.12, -0.08)))
    verdict = evaluate("docs", SegmentFigures(), Latency(), worse, SETTINGS,
                       thresholds_configured=False)  # fmt: skip
    assert verdict.verdict == "fail"
    assert verdict.reasons[0].startswith("too little data: 0 compared queries")
    assert verdict.reasons[1].startswith("labelled_quality: ")


def test_the_verdict_as_json_shows_every_criterion() -> None:
    """as_json: verdict, reasons, figures and each criterion's status, value, limit, reason."""
    verdict = evaluate("docs", healthy(), FAST, PUBLISHED, SETTINGS, thresholds_configured=False)
    shown = verdict.as_json()
    assert shown["verdict"] == "pass"
    criteria = shown["criteria"]
    assert isinstance(criteria, dict)
    assert criteria["labelled_quality"]["limit"] == -0.02
    assert criteria["new_index_coverage"]["value"] == 1.0


def test_the_expected_abstain_flips_reach_new_empty_rate() -> None:
    """A healthy swap emptying 12 % net where the labels say 12 %: pass; without them: fail."""
    figures = healthy(new_empty=36.0, threshold_queries=300.0)
    flips = AbstainFlips(n_queries=1000, new_empty=120, old_empty=0, interval=None)
    expected = ExpectedEmpty(flips, (0.5, 0.41), (0.5, 0.41))
    with_flips = replace(PUBLISHED, abstain=expected)
    verdict = evaluate("docs", figures, FAST, with_flips, SETTINGS, thresholds_configured=True)
    assert verdict.verdict == "pass", verdict.reasons
    verdict = evaluate("docs", figures, FAST, PUBLISHED, SETTINGS, thresholds_configured=True)
    assert verdict.verdict == "fail"
    assert verdict.reasons[0].startswith("new_empty_rate: net 0.120 emptied live")
    assert "no expected abstain flips are published" in verdict.reasons[0]
