"""The ``labelled_quality`` criterion's edges: pass, fail, uncertain (how many more), none."""

from __future__ import annotations

import pytest

from proxy.gate.quality import labelled_quality, more_queries
from tests.support.gate_evidence import quality


def judge(published, loss=0.02, metric="ndcg@10", document=True):
    """The criterion at a loss allowance."""
    return labelled_quality(published, metric, loss, document=document)


def test_pass_when_the_lower_end_clears_the_allowed_loss() -> None:
    """Interval [-0.004, 0.026] with 0.02 allowed: non-inferiority shown; the figures named."""
    criterion = judge(quality())
    assert criterion.status == "pass"
    assert criterion.value == -0.004
    assert criterion.limit == -0.02
    assert "ndcg@10 new 0.656 vs old 0.645: new - old +0.011" in criterion.reason
    assert "[-0.004, +0.026] on 300 labelled queries" in criterion.reason


def test_pass_exactly_at_the_limit() -> None:
    """A lower end equal to -max_quality_loss passes (at least -L)."""
    assert judge(quality(diff=0.0, interval=(-0.02, 0.02))).status == "pass"


def test_fail_when_the_upper_end_is_below_the_allowed_loss() -> None:
    """Worse by more than 0.02 with confidence: fail, saying so."""
    criterion = judge(quality(diff=-0.06, interval=(-0.08, -0.03)))
    assert criterion.status == "fail"
    assert "worse by more than max_quality_loss 0.02" in criterion.reason


def test_uncertain_in_between_says_how_many_more_queries() -> None:
    """Interval straddling -0.02: inconclusive, with the labelled queries that would decide."""
    criterion = judge(quality(diff=0.0, interval=(-0.03, 0.03), n=100))
    assert criterion.status == "uncertain"
    # half-width 0.03 must shrink to 0.02: 100 * (3/2)^2 = 225, so 125 more
    assert "about 125 more labelled queries would decide" in criterion.reason


def test_more_queries_towards_a_failure() -> None:
    """A difference below the limit needs its upper half-width to shrink below the gap."""
    published = quality(diff=-0.03, interval=(-0.06, -0.01), n=100).metrics["ndcg@10"]
    assert more_queries(published, 100, -0.02) == 300  # (0.02 / 0.01)^2 * 100 - 100
    on_limit = quality(diff=-0.02, interval=(-0.04, 0.0)).metrics["ndcg@10"]
    assert more_queries(on_limit, 300, -0.02) is None


@pytest.mark.parametrize(
    ("published", "document", "expected"),
    [
        (None, False, "no thresholds document is in force"),
        (None, True, "no labelled quality is published for this segment"),
        (quality(n=0), True, "no labelled quality is published"),
        (quality(metric="recall@10"), True, "published no ndcg@10 (it has: recall@10)"),
    ],
)
def test_unavailable_without_published_quality(published, document, expected) -> None:
    """Nothing (or not this metric) published: unavailable, hence inconclusive; never a pass."""
    criterion = judge(published, document=document)
    assert criterion.status == "unavailable"
    assert expected in criterion.reason


def test_another_metric_can_be_judged() -> None:
    """quality_metric picks the metric: recall@10 judged when named."""
    assert judge(quality(metric="recall@10"), metric="recall@10").status == "pass"
