"""The gate's ``reviewed_preference`` criterion (pure): do people prefer the old answers?

People vote on the review page (:mod:`proxy.review`) which of two blind top-k lists is better
for a divergent query. Seen from the new index, a vote is a **win** (the new side was picked),
a **loss** (the old side was picked), a **tie** ("same") or **both bad**. Only wins and losses
say which side is better: they are the *decisive* votes.

The criterion, per segment:

- ``skipped`` when review is off (``[review].enabled = false``);
- ``uncertain`` (so the verdict is ``inconclusive``) while the segment has fewer than
  ``min_reviews`` votes of any kind: a handful of votes says nothing either way;
- ``fail`` when losses significantly exceed wins: the exact one-sided sign test over the
  decisive votes rejects "the new side loses at most half of them" at level
  ``1 - confidence`` (the gate's ``confidence``), i.e. P(at least this many losses | a fair
  coin) < 1 - confidence. With ``confidence = 0.95`` that is 5 losses of 5 decisive votes,
  7 of 8, 9 of 11, 12 of 15, 15 of 20, 22 of 33...;
- ``pass`` otherwise, including when no vote is decisive (ties and "both bad" only).

Why exact and not "the Wilson lower bound of the loss share above one half": at the small
counts reviews produce, Wilson's bound is liberal (3 losses of 3 would fail, although a fair
coin gives that one time in eight). The exact test is the same as the one-sided
Clopper-Pearson bound above one half. The figures people read on the page are Wilson
intervals (:func:`proxy.gate.stats.wilson_interval`), which stay inside [0, 1] and behave at
0 of n and n of n.

The criterion catches regressions that people see; it never claims that the new index is as
good (labelled quality does that). Its figure (``value``) is the loss share among decisive
votes, its ``limit`` one half.
"""

from __future__ import annotations

from typing import Protocol

from proxy.gate.criterion import Criterion
from proxy.gate.stats import sign_test_p

NAME = "reviewed_preference"
LOSS_SHARE_LIMIT = 0.5
"""A fair coin: losses significantly above half of the decisive votes fail the criterion."""


class ReviewCounts(Protocol):
    """One segment's votes, seen from the new index (:class:`proxy.review.tally.Tally`)."""

    @property
    def wins(self) -> int:
        """Votes that picked the new side."""
        ...

    @property
    def losses(self) -> int:
        """Votes that picked the old side."""
        ...

    @property
    def ties(self) -> int:
        """Votes that found both sides the same."""
        ...

    @property
    def both_bad(self) -> int:
        """Votes that found both sides bad."""
        ...

    @property
    def reviews(self) -> int:
        """Every vote: wins, losses, ties and both bad."""
        ...


def reviewed_preference(
    counts: ReviewCounts | None,
    *,
    enabled: bool,
    min_reviews: int,
    confidence: float,
) -> Criterion:
    """The criterion for one segment (module docstring); ``counts`` None: no vote yet."""
    if not enabled:
        return Criterion(
            NAME, "skipped", None, LOSS_SHARE_LIMIT, "review is off ([review].enabled)"
        )
    reviews = 0 if counts is None else counts.reviews
    if counts is None or reviews < min_reviews:
        reason = (
            f"{reviews} reviewed queries, fewer than min_reviews = {min_reviews}: "
            "judge more divergent queries on the review page (/admin/review)"
        )
        return Criterion(NAME, "uncertain", None, LOSS_SHARE_LIMIT, reason)
    decisive = counts.wins + counts.losses
    votes = (
        f"{counts.wins} wins, {counts.losses} losses, {counts.ties} same, "
        f"{counts.both_bad} both bad of {reviews} reviews"
    )
    if decisive == 0:
        return Criterion(
            NAME, "pass", None, LOSS_SHARE_LIMIT, f"no decisive vote ({votes}): no loss seen"
        )
    share = counts.losses / decisive
    p = sign_test_p(counts.losses, decisive)
    level = 1 - confidence
    text = (
        f"the new side lost {counts.losses} of {decisive} decisive votes (share {share:.2f}; "
        f"sign test p = {p:.3g}"
    )
    if p < level:
        reason = f"people prefer the old index: {text} < {level:.3g}); {votes}"
        return Criterion(NAME, "fail", share, LOSS_SHARE_LIMIT, reason)
    return Criterion(NAME, "pass", share, LOSS_SHARE_LIMIT, f"{text} >= {level:.3g}); {votes}")
