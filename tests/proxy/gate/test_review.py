"""The reviewed_preference criterion and its statistics (proxy/gate/review.py is pure)."""

from __future__ import annotations

import pytest

from proxy.gate.review import LOSS_SHARE_LIMIT, NAME, reviewed_preference
from proxy.review.tally import Tally


def judge(counts: Tally | None, min_reviews: int = 5, *, enabled: bool = True):
    """The criterion at the gate's default confidence."""
    return reviewed_preference(counts, enabled=enabled, min_reviews=min_reviews, confidence=0.95)


def test_skipped_when_review_is_off():
    """Review off: the criterion is skipped whatever the votes."""
    criterion = judge(Tally(losses=50), enabled=False)
    assert (criterion.name, criterion.status) == (NAME, "skipped")


@pytest.mark.parametrize("counts", [None, Tally(losses=4)])
def test_uncertain_below_min_reviews(counts):
    """Fewer votes than min_reviews (none at all included): uncertain, even if all are losses."""
    criterion = judge(counts, min_reviews=5)
    assert criterion.status == "uncertain"
    assert "min_reviews = 5" in criterion.reason


def test_ties_and_both_bad_count_as_reviews_but_decide_nothing():
    """Enough votes, none decisive: a pass that says no loss was seen."""
    criterion = judge(Tally(ties=3, both_bad=2), min_reviews=5)
    assert criterion.status == "pass"
    assert criterion.value is None
    assert "no decisive vote" in criterion.reason


@pytest.mark.parametrize(
    ("counts", "status"),
    [
        (Tally(losses=5), "fail"),  # p = 1/32
        (Tally(losses=4, ties=1), "pass"),  # 4 of 4 decisive: p = 1/16
        (Tally(wins=1, losses=7), "fail"),  # p = 9/256 = 0.035
        (Tally(wins=2, losses=6), "pass"),  # p = 37/256 = 0.145
        (Tally(wins=3, losses=3, ties=10), "pass"),
        (Tally(wins=30, losses=2), "pass"),
    ],
)
def test_fails_only_when_losses_significantly_exceed_wins(counts, status):
    """The edges of the exact sign test at 95 %, ties left out of the decisive votes."""
    criterion = judge(counts, min_reviews=5)
    assert criterion.status == status, criterion.reason
    assert criterion.limit == LOSS_SHARE_LIMIT
    decisive = counts.wins + counts.losses
    assert criterion.value == pytest.approx(counts.losses / decisive)


def test_a_failure_says_why():
    """The reason names the losses, the decisive votes and every kind of vote."""
    reason = judge(Tally(wins=1, losses=9, ties=2, both_bad=1)).reason
    assert "lost 9 of 10 decisive votes" in reason
    assert "1 wins, 9 losses, 2 same, 1 both bad of 13 reviews" in reason
