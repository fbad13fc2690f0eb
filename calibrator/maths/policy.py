"""Threshold policies: which point of a precision/recall curve to pick, and why none fits.

* ``target_recall=R``: the highest threshold whose recall is at least R (fewest results that
  still find R of the relevant documents).
* ``target_precision=P``: among thresholds with precision at least P, the one with the highest
  recall (the highest such threshold on ties).
* ``max_f_beta=B``: the threshold with the largest F-beta (the highest on ties); B < 1 weighs
  precision more, B > 1 recall.
* ``target_recall=old``, ``target_precision=old``: the target is what the old model keeps at
  its threshold on the same labelled queries (each scope its own), so the new threshold keeps
  the old one's meaning; the calibration fills the value in (:meth:`Policy.matched`).

Each reads micro or macro averages (:mod:`calibrator.maths.sweep`). :func:`choose` works on every
row
of a :class:`~calibrator.maths.sweep.Curve` at once (the bootstrap replicates); -1 means no
threshold
meets the policy, and :func:`why_none` says why in words a person can act on.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Literal, cast

import numpy as np
import numpy.typing as npt

from calibrator.maths.sweep import Average, Curve

PolicyKind = Literal["target_recall", "target_precision", "max_f_beta"]
KINDS: tuple[PolicyKind, ...] = ("target_recall", "target_precision", "max_f_beta")
_SPEC = re.compile(r"^\s*([a-z_]+)\s*=\s*([0-9.eE+-]+|old)\s*$")


@dataclass(frozen=True, slots=True)
class Policy:
    """A policy and its parameter: the target (0 < value <= 1) or beta (> 0)."""

    kind: PolicyKind
    value: float  # NaN until a policy taken from the old model is matched
    average: Average = "micro"
    from_old: bool = False

    @classmethod
    def parse(cls, text: str, average: Average = "micro") -> Policy:
        """Read ``target_recall=0.9``, ``target_precision=0.8``, ``max_f_beta=1`` or ``...=old``.

        Raises ValueError with a message fit for a user (the caller adds where it came from).
        """
        match = _SPEC.match(text)
        if not match or match.group(1) not in KINDS:
            raise ValueError(
                f"must be one of {', '.join(k + '=X' for k in KINDS)} (X a number, or old for "
                f"a target), got {text!r}"
            )
        kind = cast("PolicyKind", match.group(1))
        if average not in ("micro", "macro"):
            raise ValueError(f"average must be micro or macro, got {average!r}")
        if match.group(2) == "old":
            if kind == "max_f_beta":
                raise ValueError("max_f_beta takes a beta, not old")
            return cls(kind, math.nan, average, from_old=True)
        try:
            value = float(match.group(2))
        except ValueError as e:
            raise ValueError(f"has a malformed number in {text!r}") from e
        if kind == "max_f_beta":
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"max_f_beta needs beta > 0, got {value}")
        elif not 0 < value <= 1:
            raise ValueError(f"{kind} needs a value in (0, 1], got {value}")
        return cls(kind, value, average)

    def matched(self, value: float) -> Policy:
        """This policy with the old model's figure as its target (for ``...=old``)."""
        return Policy(self.kind, value, self.average, from_old=True)

    def __str__(self) -> str:
        """``target_recall=0.9 (micro)``; ``target_recall=old (0.7043, micro)`` once matched."""
        if self.from_old:
            shown = "" if math.isnan(self.value) else f"{self.value:.4f}, "
            return f"{self.kind}=old ({shown}{self.average})"
        return f"{self.kind}={self.value:g} ({self.average})"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, as written in the thresholds document."""
        key = "beta" if self.kind == "max_f_beta" else "target"
        record: dict[str, Any] = {"kind": self.kind, key: self.value, "average": self.average}
        if self.from_old:
            record["from_old"] = True
            if math.isnan(self.value):
                record[key] = None
        return record


def f_beta(precision: npt.NDArray[np.float64], recall: npt.NDArray[np.float64], beta: float) -> Any:
    """F-beta of precision and recall (0 where both are 0)."""
    b2 = beta * beta
    den = b2 * precision + recall
    return np.divide((1 + b2) * precision * recall, den, out=np.zeros_like(den), where=den > 0)


def _first(mask: npt.NDArray[np.bool_]) -> npt.NDArray[np.int64]:
    """Per row, the first True column, or -1."""
    found = mask.any(axis=1)
    return np.where(found, mask.argmax(axis=1), -1).astype(np.int64)


def choose(policy: Policy, curve: Curve) -> npt.NDArray[np.int64]:
    """Per row of ``curve``, the index of the chosen threshold, or -1 when none qualifies."""
    recall = curve.recall(policy.average)
    if recall.shape[1] == 0:
        return np.full(recall.shape[0], -1, dtype=np.int64)
    if policy.kind == "target_recall":
        return _first(recall >= policy.value - 1e-12)
    precision = curve.precision(policy.average)
    if policy.kind == "target_precision":
        feasible = (precision >= policy.value - 1e-12) & (recall > 0)
        best = np.where(feasible, recall, -1.0).max(axis=1, keepdims=True)
        return _first(feasible & (recall == best))
    score = f_beta(precision, recall, policy.value)
    best = score.max(axis=1, keepdims=True)
    return _first((score == best) & (best > 0))


def why_none(policy: Policy, curve: Curve, n_unscored: int) -> str:
    """Why row 0 of ``curve`` has no threshold for ``policy`` (call when :func:`choose` gave -1)."""
    relevant = int(curve.relevant[0])
    if relevant == 0:
        return "the labelled queries list no relevant ids"
    if curve.thresholds.size == 0:
        return f"none of the {relevant} relevant ids was scored (are the ids those of the vectors?)"
    recall = curve.recall(policy.average)[0]
    if policy.kind == "target_recall":
        missing = (
            f": {n_unscored} of {relevant} relevant ids were never scored (not in the vectors, "
            "or in another segment's documents)"
            if n_unscored
            else ""
        )
        return (
            f"no threshold reaches {policy.average} recall {policy.value:g}; the most is "
            f"{recall.max():.3f}{missing}"
        )
    precision = curve.precision(policy.average)[0]
    best = int(precision.argmax())
    return (
        f"no threshold reaches {policy.average} precision {policy.value:g} (the best is "
        f"{precision[best]:.3f}, at recall {recall[best]:.3f}): the scores of relevant and "
        "irrelevant documents overlap too much; use a reranker or a fixed top-k instead of a "
        "threshold"
        if policy.kind == "target_precision"
        else "no relevant document scores above any irrelevant one often enough to matter"
    )
