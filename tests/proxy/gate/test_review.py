"""The reviewed_preference criterion and its statistics (proxy/gate/review.py is pure)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import binomtest

from proxy.gate.review import (
    LOSS_SHARE_LIMIT,
    NAME,
    reviewed_preference,
    sign_test_p,
    two_sided_z,
    wilson_interval,
)


@dataclass(frozen=True)
class Counts:
    """One segment's votes, as :class:`proxy.review.store.Tally` holds them."""

    wins: int = 0
    losses: int = 0
    ties: int = 0
    both_bad: int = 0

    @property
    def reviews(self) -> int:
        """Every vote."""
        return self.wins + self.losses + self.ties + self.both_bad


def judge(counts: Counts | None, min_reviews: int = 5, *, enabled: bool = True):
    """The criterion at the gate's default confidence."""
    return reviewed_preference(counts, enabled=enabled, min_reviews=min_reviews, confidence=0.95)


@pytest.mark.parametrize(("k", "n"), [(0, 1), (1, 1), (0, 10), (3, 10), (8, 10), (10, 10),
                                      (17, 40), (250, 1000)])  # fmt: skip
@pytest.mark.parametrize("confidence", [0.8, 0.95, 0.99])
def test_wilson_matches_scipy(k, n, confidence):
    """The interval is scipy's Wilson interval (binomtest's proportion_ci, method='wilson')."""
    expected = binomtest(k, n).proportion_ci(confidence_level=confidence, method="wilson")
    low, high = wilson_interval(k, n, two_sided_z(confidence))
    assert low == pytest.approx(expected.low, abs=1e-12)
    assert high == pytest.approx(expected.high, abs=1e-12)


@given(st.integers(0, 500), st.integers(1, 500), st.floats(0.5, 3.5))
def test_wilson_holds_the_proportion(k, n, z):
    """The interval lies in [0, 1] and holds the observed proportion."""
    k = min(k, n)
    low, high = wilson_interval(k, n, z)
    assert 0.0 <= low <= k / n + 1e-12
    assert k / n - 1e-12 <= high <= 1.0


def test_wilson_without_trials_says_nothing():
    """No trial: the interval is all of [0, 1]."""
    assert wilson_interval(0, 0, 1.96) == (0.0, 1.0)


SIGN_CASES = [(0, 1), (1, 1), (5, 5), (6, 8), (7, 8), (9, 11), (22, 33), (60, 100), (500, 1000)]


@pytest.mark.parametrize(("losses", "decisive"), SIGN_CASES)
def test_sign_test_matches_scipy(losses, decisive):
    """The p-value is scipy's exact one-sided binomial test against a fair coin."""
    expected = binomtest(losses, decisive, 0.5, alternative="greater").pvalue
    assert sign_test_p(losses, decisive) == pytest.approx(expected, rel=1e-12)


def test_skipped_when_review_is_off():
    """Review off: the criterion is skipped whatever the votes."""
    criterion = judge(Counts(losses=50), enabled=False)
    assert (criterion.name, criterion.status) == (NAME, "skipped")


@pytest.mark.parametrize("counts", [None, Counts(losses=4)])
def test_uncertain_below_min_reviews(counts):
    """Fewer votes than min_reviews (none at all included): uncertain, even if all are losses."""
    criterion = judge(counts, min_reviews=5)
    assert criterion.status == "uncertain"
    assert "min_reviews = 5" in criterion.reason


def test_ties_and_both_bad_count_as_reviews_but_decide_nothing():
    """Enough votes, none decisive: a pass that says no loss was seen."""
    criterion = judge(Counts(ties=3, both_bad=2), min_reviews=5)
    assert criterion.status == "pass"
    assert criterion.value is None
    assert "no decisive vote" in criterion.reason


@pytest.mark.parametrize(
    ("counts", "status"),
    [
        (Counts(losses=5), "fail"),  # p = 1/32
        (Counts(losses=4, ties=1), "pass"),  # 4 of 4 decisive: p = 1/16
        (Counts(wins=1, losses=7), "fail"),  # p = 9/256 = 0.035
        (Counts(wins=2, losses=6), "pass"),  # p = 37/256 = 0.145
        (Counts(wins=3, losses=3, ties=10), "pass"),
        (Counts(wins=30, losses=2), "pass"),
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
    reason = judge(Counts(wins=1, losses=9, ties=2, both_bad=1)).reason
    assert "lost 9 of 10 decisive votes" in reason
    assert "1 wins, 9 losses, 2 same, 1 both bad of 13 reviews" in reason
