"""One segment's votes in force, seen from the new index: the :class:`Tally` the gate reads.

:class:`~proxy.review.store.ReviewStore` keeps the votes and gives a tally per segment;
:func:`proxy.gate.review.reviewed_preference` judges it, and the admin API shows it with
Wilson intervals (:meth:`Tally.as_json`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict

from proxy.gate.stats import two_sided_z, wilson_interval


class Rate(TypedDict):
    """One kind of vote's share of the reviews, with its Wilson interval (None: no review)."""

    rate: float | None
    low: float
    high: float


class TallyJson(TypedDict):
    """A :class:`Tally` as the admin API shows it."""

    reviews: int
    wins: int
    losses: int
    ties: int
    both_bad: int
    confidence: float
    rates: dict[str, Rate]


@dataclass(frozen=True, slots=True)
class Tally:
    """One segment's votes in force, seen from the new index."""

    wins: int = 0
    losses: int = 0
    ties: int = 0
    both_bad: int = 0

    @property
    def reviews(self) -> int:
        """Every vote: wins, losses, ties and both bad."""
        return self.wins + self.losses + self.ties + self.both_bad

    def as_json(self, confidence: float = 0.95) -> TallyJson:
        """Counts, and the win, loss, tie and both-bad rates with Wilson intervals."""
        z = two_sided_z(confidence)
        rates: dict[str, Rate] = {}
        for name, count in (
            ("win", self.wins),
            ("loss", self.losses),
            ("tie", self.ties),
            ("both_bad", self.both_bad),
        ):
            low, high = wilson_interval(count, self.reviews, z)
            rate = count / self.reviews if self.reviews else None
            rates[name] = {"rate": rate, "low": low, "high": high}
        return {
            "reviews": self.reviews,
            "wins": self.wins,
            "losses": self.losses,
            "ties": self.ties,
            "both_bad": self.both_bad,
            "confidence": confidence,
            "rates": rates,
        }
