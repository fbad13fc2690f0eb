"""Tests of calibrator.maths.policy: parsing, the choice each policy makes, and 'no threshold'."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calibrator.maths.policy import Policy, choose, f_beta, why_none
from calibrator.maths.sweep import curve_sums, make_pairs, pair_curve, relevant_grid


def _curve(scores, labels, unscored=0):
    pairs = make_pairs(np.zeros(len(scores)), scores, labels, [sum(labels) + unscored])
    return pair_curve(pairs), pairs


def _by_definition(policy, thresholds, precision, recall):
    """The threshold a policy picks, by a plain reading of its definition."""
    rows = list(zip(thresholds, precision, recall, strict=True))
    if policy.kind == "target_recall":
        ok = [t for t, _, r in rows if r >= policy.value]
        return max(ok) if ok else None
    if policy.kind == "target_precision":
        ok = [(r, t) for t, p, r in rows if p >= policy.value and r > 0]
        return max(ok)[1] if ok else None
    scores = [(f_beta(np.array(p), np.array(r), policy.value), t) for t, p, r in rows]
    best = max(scores)
    return best[1] if best[0] > 0 else None


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("target_recall=0.9", "target_recall", 0.9),
        ("target_precision = 0.75", "target_precision", 0.75),
        ("max_f_beta=0.5", "max_f_beta", 0.5),
    ],
)
def test_policies_parse(text, kind, value):
    """The three policy forms parse into their kind and value."""
    policy = Policy.parse(text)
    assert (policy.kind, policy.value, policy.average) == (kind, value, "micro")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("recall=0.9", "must be one of"),
        ("target_recall=1.5", r"in \(0, 1\]"),
        ("target_precision=0", r"in \(0, 1\]"),
        ("max_f_beta=-1", "beta > 0"),
        ("target_recall=", "must be one of"),
    ],
)
def test_bad_policies_say_what_is_expected(text, message):
    """A malformed policy raises a message naming the accepted forms or the range."""
    with pytest.raises(ValueError, match=message):
        Policy.parse(text)


scores_and_labels = st.integers(2, 60).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 30).map(lambda i: i / 30), min_size=n, max_size=n),
        st.lists(st.booleans(), min_size=n, max_size=n),
    )
)
policies = st.sampled_from(
    [
        Policy("target_recall", 0.5),
        Policy("target_recall", 0.9),
        Policy("target_recall", 1.0),
        Policy("target_precision", 0.5),
        Policy("target_precision", 0.8),
        Policy("max_f_beta", 1.0),
        Policy("max_f_beta", 0.5),
        Policy("max_f_beta", 2.0),
    ]
)


@settings(max_examples=300, deadline=None)
@given(scores_and_labels, policies)
def test_choice_matches_the_definition_and_the_relevant_grid_loses_nothing(data, policy):
    """On the full curve the choice is the definition's; on the relevant-score grid, the same."""
    scores, labels = np.array(data[0]), np.array(data[1])
    curve, pairs = _curve(scores, labels)
    expected = _by_definition(policy, curve.thresholds, curve.precision()[0], curve.recall()[0])
    picked = choose(policy, curve)[0]
    got = None if picked < 0 else curve.thresholds[picked]
    assert got == expected
    grid = relevant_grid(pairs)
    on_grid = choose(policy, curve_sums(pairs, grid))[0]
    assert (None if on_grid < 0 else grid[on_grid]) == expected


def test_target_recall_is_the_highest_threshold_reaching_it():
    """Recall 0.5 of four relevant items is first reached at the second relevant score."""
    curve, _ = _curve([0.9, 0.8, 0.7, 0.6, 0.5, 0.4], [1, 0, 1, 1, 0, 1])
    picked = choose(Policy("target_recall", 0.5), curve)[0]
    assert curve.thresholds[picked] == 0.7


def test_unreachable_precision_says_use_a_reranker_or_top_k():
    """When relevant and irrelevant scores overlap, no threshold reaches a high precision."""
    curve, pairs = _curve([0.9, 0.8, 0.7, 0.6], [0, 1, 0, 1])
    policy = Policy("target_precision", 0.9)
    assert choose(policy, curve)[0] == -1
    reason = why_none(policy, curve, pairs.n_unscored())
    assert "overlap" in reason
    assert "reranker or a fixed top-k" in reason


def test_unreachable_recall_blames_the_never_scored_ids():
    """Recall capped by never-scored relevant ids is explained with their count."""
    curve, pairs = _curve([0.9, 0.2], [1, 1], unscored=2)
    policy = Policy("target_recall", 0.9)
    assert choose(policy, curve)[0] == -1
    assert "2 of 4 relevant ids were never scored" in why_none(policy, curve, pairs.n_unscored())


def test_macro_average_reads_the_per_query_curve():
    """With average=macro the policy reads the macro recall, not the pooled one."""
    # query 0: one relevant at 0.9; query 1: three relevant at 0.3, 0.2, 0.1
    pairs = make_pairs([0, 1, 1, 1], [0.9, 0.3, 0.2, 0.1], [True] * 4, [1, 3])
    curve = pair_curve(pairs)
    micro = curve.thresholds[choose(Policy("target_recall", 0.5), curve)[0]]
    macro = curve.thresholds[choose(Policy("target_recall", 0.5, "macro"), curve)[0]]
    assert micro == 0.3  # 2 of the 4 pooled relevant pairs
    assert macro == 0.9  # query 0 complete: mean recall (1 + 0) / 2


def test_bootstrap_rows_are_chosen_independently():
    """Each weighting row gets its own choice; a row without relevant weight gets none."""
    pairs = make_pairs([0, 1], [0.9, 0.4], [True, True], [1, 1])
    grid = relevant_grid(pairs)
    weights = np.array([[1.0, 1.0], [2.0, 0.0], [0.0, 2.0]])
    picks = choose(Policy("target_recall", 1.0), curve_sums(pairs, grid, weights))
    assert [grid[p] for p in picks] == [0.4, 0.9, 0.4]
