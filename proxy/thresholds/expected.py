"""The abstain flips the calibrator expects live, and whether they fit the thresholds in force.

One rule, read by the gate's ``new_empty_rate`` (:mod:`proxy.gate.traffic`) and by the alert's
gauge (``embedshift_expected_new_empty_net``, :mod:`proxy.thresholds.watch`): a segment's own
labelled comparison (``quality.abstain``), else the global entry's (*borrowed*); it describes
live traffic only when it was measured at the thresholds in force for the segment.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from proxy.thresholds.document import ThresholdsDocument
from proxy.thresholds.evidence import AbstainFlips


@dataclass(frozen=True, slots=True)
class ExpectedEmpty:
    """The abstain flips the calibrator published for a segment, and the thresholds around it.

    ``flips`` were counted on labelled queries with the old side at ``measured_at[0]`` and the
    new at ``measured_at[1]`` (the labelled comparison's thresholds); ``live_at`` holds the
    thresholds in force for the segment (old, new). ``borrowed``: the global entry's, for a
    segment without a labelled comparison of its own.
    """

    flips: AbstainFlips
    measured_at: tuple[float | None, float | None]
    live_at: tuple[float | None, float | None]
    borrowed: bool = False

    def mismatch(self) -> str | None:
        """Why the expectation does not describe the thresholds in force (None: it does)."""
        same = all(
            a is not None and b is not None and math.isclose(a, b, rel_tol=0, abs_tol=1e-9)
            for a, b in zip(self.measured_at, self.live_at, strict=True)
        )
        if same:
            return None
        return (
            f"the expected abstain flips were measured at old {_threshold(self.measured_at[0])} "
            f"/ new {_threshold(self.measured_at[1])}, not at the thresholds in force (old "
            f"{_threshold(self.live_at[0])} / new {_threshold(self.live_at[1])})"
        )


def expected_empty(
    doc: ThresholdsDocument,
    key: str | None,
    live: tuple[float | None, float | None],
) -> ExpectedEmpty | None:
    """The segment's expected abstain flips (else the global entry's), None when neither has any.

    ``key``: the segment's name in the document (None: its global entry); ``live``: the
    thresholds in force for it (old, new).
    """
    for quality, borrowed in (
        (doc.quality_for(key), False),
        (doc.global_.quality, key is not None),
    ):
        if quality is not None and quality.abstain is not None:
            measured = (quality.old.threshold, quality.new.threshold)
            return ExpectedEmpty(quality.abstain, measured, live, borrowed=borrowed)
    return None


def _threshold(value: float | None) -> str:
    return "none" if value is None else f"{value:g}"
