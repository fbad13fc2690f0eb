"""Bootstrap over queries: replicate weights and percentile intervals.

Queries, not pairs, are the unit that was sampled (a query's documents are not independent),
so each replicate draws ``n`` queries with replacement: a row of multinomial counts. Curves
under those weights come from :func:`calibrator.maths.sweep.curve_sums`.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Interval = tuple[float, float]


def replicate_weights(n_queries: int, replicates: int, seed: int = 0) -> npt.NDArray[np.float64]:
    """``(replicates, n_queries)`` counts: how often each query is drawn in each replicate."""
    if n_queries == 0 or replicates == 0:
        return np.zeros((replicates, n_queries))
    rng = np.random.default_rng(seed)
    drawn = rng.integers(0, n_queries, size=(replicates, n_queries))
    cells = (np.arange(replicates)[:, None] * n_queries + drawn).ravel()
    counts = np.bincount(cells, minlength=replicates * n_queries)
    return counts.reshape(replicates, n_queries).astype(np.float64)


def with_point(weights: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """The weights with a first row of ones (the point estimate) on top."""
    return np.vstack([np.ones((1, weights.shape[1])), weights])


def percentile_interval(
    values: npt.ArrayLike, confidence: float, min_share: float = 0.5
) -> Interval | None:
    """The central ``confidence`` interval of the finite ``values`` (NaN: replicate had none).

    None when fewer than ``min_share`` of the replicates have a value: an interval over the
    few that do would look more certain than the evidence is.
    """
    v = np.asarray(values, dtype=np.float64)
    finite = v[np.isfinite(v)]
    if v.size == 0 or finite.size < min_share * v.size:
        return None
    tail = (1.0 - confidence) / 2.0 * 100.0
    low, high = np.percentile(finite, [tail, 100.0 - tail])
    return (float(low), float(high))
