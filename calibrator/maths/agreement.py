"""Overlap@k and RBO of many pairs of ranked lists at once, as the proxy computes each pair.

The calibrator compares the old and the new model's top k on every labelled query with the
proxy's own :func:`proxy.compare.divergence.compare`, one query at a time. Most pairs are the
plain case: both lists hold k distinct documents and no two neighbouring scores tie. There,
:func:`plain_lists` says which rows are plain and :func:`overlap_and_rbo` computes their
figures for every row at once, with the proxy's arithmetic in the proxy's order (agreement
``X_d / d`` at each depth, the weights ``(1 - p) p^(d-1)`` by repeated multiplication, summed
depth by depth, then the extrapolated tail), so the figures are the very same floats; the
other rows (ties, short lists) are left to the proxy's function.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]


def plain_lists(rows: Ints, scores: npt.NDArray[np.floating[Any]], k: int) -> Bools:
    """Per row: its first ``k`` entries are k distinct ids (``>= 0``) with no tied neighbours.

    ``rows``/``scores`` are ``(lists, width)``, best first, -1 padding past a list's end.
    """
    n = rows.shape[0]
    if k <= 0 or rows.shape[1] < k:
        return np.zeros(n, np.bool_)
    ids, values = rows[:, :k], scores[:, :k]
    full = (ids >= 0).all(axis=1)
    untied = ~(values[:, 1:] == values[:, :-1]).any(axis=1)
    ordered = np.sort(ids, axis=1)
    distinct = ~(ordered[:, 1:] == ordered[:, :-1]).any(axis=1)
    plain: Bools = full & untied & distinct
    return plain


def overlap_and_rbo(a: Ints, b: Ints, p: float) -> tuple[Floats, Floats]:
    """Per row, overlap@k and extrapolated RBO of lists ``a[i]`` and ``b[i]`` (``(n, k)``).

    Every row of both must be plain (:func:`plain_lists`): k distinct ids, untied.
    """
    n, k = a.shape
    if k == 0:
        return np.ones(n), np.ones(n)
    # X_d, the ids the two prefixes of depth d share: a match of a[i] and b[j] counts from
    # depth max(i, j) + 1 on
    match = a[:, :, None] == b[:, None, :]
    at, i, j = np.nonzero(match)
    first = np.maximum(i, j)
    per_depth = np.zeros((n, k), np.int64)
    np.add.at(per_depth, (at, first), 1)
    shared = np.cumsum(per_depth, axis=1)
    total = np.zeros(n)
    weight = 1.0 - p
    agreement = np.zeros(n)
    for d in range(1, k + 1):
        agreement = shared[:, d - 1] / d
        total += weight * agreement
        weight *= p
    total += agreement * p**k
    rbo = np.minimum(1.0, np.maximum(0.0, total))
    overlap = shared[:, k - 1] / k
    return overlap, rbo
