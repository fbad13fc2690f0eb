"""Label-free threshold mapping: the new model's threshold at the old one's score quantile.

Given an old threshold ``t_old`` and both models' vectors of the same sample, the proposal is
``t_new = F_new^-1(F_old(t_old))`` where F is the distribution of scores over every (query,
document) pair of the sample. In tail form, which is what can be computed exactly without
scoring every pair twice: ``t_old`` accepts ``K`` pairs of the old model; ``t_new`` is the
``K``-th highest score of the new model, so both accept the same share of pairs.

It needs no labels, so it also works where nobody labelled anything; it keeps the old
threshold's *volume*, not its quality (a better model may deserve a different volume), which
is why the calibrator prints it beside the labelled calibration rather than instead of it.
The interval comes from resampling queries: ``K`` and the new scores move together.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]
_CELLS = 2_000_000  # resamples x pairs per block of running counts: bounded memory


def kth_highest(
    scores: npt.ArrayLike,
    query: npt.ArrayLike,
    weights: Floats,
    k: Floats,
) -> Floats:
    """Per row r of ``weights``: the score at which the weighted count of pairs reaches ``k[r]``.

    ``scores[i]`` belongs to query ``query[i]``, which counts ``weights[r, query[i]]`` times in
    replicate r. NaN where ``k[r] <= 0`` (nothing to accept) or where the pairs given do not
    reach ``k[r]`` (the caller holds too few candidates).
    """
    s = np.asarray(scores, dtype=np.float64)
    q = np.asarray(query, dtype=np.int64)
    out = np.full(weights.shape[0], np.nan)
    # Replicate weights average 1, so the k-th weighted pair lies near the k-th pair: work on
    # a prefix somewhat longer than the largest k, then on one a few times longer, and go to
    # the full list only if needed (the rows that reach k on a prefix read the same there).
    largest = max(float(np.max(k, initial=0.0)), 0.0)
    prefixes = {min(len(s), int(share * largest) + 1024) for share in (1.5, 4)}
    order = _best_first(s, min(prefixes))
    pending = np.flatnonzero(np.asarray(k) > 0)
    for length in sorted({*prefixes, len(s)}):
        if not len(pending):
            break
        if len(order) < length:  # the prefix fell short: sort a longer one
            order = _best_first(s, length)
        s_sorted, q_sorted = s[order[:length]], q[order[:length]]
        short: list[npt.NDArray[np.intp]] = []
        step = max(1, _CELLS // max(length, 1))
        for a in range(0, len(pending), step):
            rows = pending[a : a + step]
            # each row's running weighted count; where it first reaches k (a sorted search)
            reached = np.cumsum(weights[rows][:, q_sorted], axis=1)
            at = np.count_nonzero(reached < (k[rows] - 1e-9)[:, None], axis=1)
            hit = at < length
            out[rows[hit]] = s_sorted[at[hit]]
            short.append(rows[~hit])
        pending = np.concatenate(short)
    return out


def _best_first(scores: Floats, length: int) -> npt.NDArray[np.intp]:
    """The first ``length`` positions of a stable sort of ``scores``, highest first.

    Only the scores reaching the ``length``-th highest are sorted (all of them with their
    ties, so the order is that of the whole stable sort).
    """
    if length >= len(scores):
        order: npt.NDArray[np.intp] = np.argsort(-scores, kind="stable")
        return order
    if length == 0:
        return np.zeros(0, np.intp)
    kth = np.partition(scores, len(scores) - length)[len(scores) - length]
    near = np.flatnonzero(scores >= kth)
    return near[np.argsort(-scores[near], kind="stable")][:length]


def tail_share(accepted: float, total_pairs: float) -> float:
    """The share of all pairs a threshold accepts (0 when there are no pairs)."""
    return 0.0 if total_pairs <= 0 else min(1.0, accepted / total_pairs)
