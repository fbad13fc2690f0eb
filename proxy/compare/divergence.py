"""How far apart two ranked result lists are: pure functions over ids and scores.

All functions take the old side's and the new side's ids best first (and optionally their
scores, higher is closer) and never fail on empty, short or unequal lists. They are the
numbers the proxy exports per compared query:

- :func:`overlap_at_k` and :func:`jaccard_at_k`: set agreement of the two top-k lists;
- :func:`rbo_ext`: extrapolated rank-biased overlap (Webber, Moffat and Zobel 2010, eq. 32),
  with tied scores handled as in their section 4.3 (a tie that spans depth d is wholly in the
  prefix, and agreement is ``2 X_d / (|S_:d| + |L_:d|)``);
- :func:`kendall_tau`: Kendall's tau-b over the ids both lists share;
- :func:`compare`: all of the above for one query, as a :class:`Comparison`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise


@dataclass(frozen=True, slots=True)
class Comparison:
    """The divergence figures of one compared query (None where a figure is undefined)."""

    overlap: float
    jaccard: float
    rbo: float
    kendall_tau: float | None
    top1_agree: bool | None
    shared: int


def overlap_at_k(a: Sequence[str], b: Sequence[str], k: int) -> float:
    """Share of the top-k ids the two lists have in common: ``|A_k & B_k| / min(k, longer)``.

    Both lists empty: 1.0 (they agree that nothing matches).
    """
    return _overlap(set(a[:k]), set(b[:k]), k)


def jaccard_at_k(a: Sequence[str], b: Sequence[str], k: int) -> float:
    """Jaccard index of the two top-k id sets; both empty: 1.0."""
    return _jaccard(set(a[:k]), set(b[:k]))


def _overlap(sa: set[str], sb: set[str], k: int) -> float:
    depth = min(k, max(len(sa), len(sb)))
    return 1.0 if depth == 0 else len(sa & sb) / depth


def _jaccard(sa: set[str], sb: set[str]) -> float:
    union = len(sa | sb)
    return 1.0 if union == 0 else len(sa & sb) / union


def _tie_ends(n: int, scores: Sequence[float] | None) -> list[int]:
    """For each rank i (0-based), the exclusive end of the tie group containing it."""
    if scores is None:
        return list(range(1, n + 1))
    ends = [0] * n
    i = 0
    while i < n:
        j = i + 1
        while j < n and scores[j] == scores[i]:
            j += 1
        for t in range(i, j):
            ends[t] = j
        i = j
    return ends


def rbo_ext(
    a: Sequence[str],
    b: Sequence[str],
    p: float = 0.9,
    a_scores: Sequence[float] | None = None,
    b_scores: Sequence[float] | None = None,
) -> float:
    """Extrapolated rank-biased overlap of two ranked lists, in [0, 1].

    Lists may differ in length (eq. 32 of Webber et al. 2010: the short list's unseen tail is
    assumed to agree at the rate seen at its end). With scores, tied items count as one group:
    at any depth inside a tie, the whole tie is in the prefix. Both empty: 1.0; one empty: 0.0.
    Duplicate ids are counted once (their first position).
    """
    if not 0.0 < p < 1.0:
        msg = f"p must be in (0, 1), got {p}"
        raise ValueError(msg)
    a, a_scores = _dedupe(a, a_scores)
    b, b_scores = _dedupe(b, b_scores)
    if not a and not b:
        return 1.0
    if not a or not b:
        return 0.0
    swap = len(a) > len(b)
    short, long_ = (b, a) if swap else (a, b)
    short_scores, long_scores = (b_scores, a_scores) if swap else (a_scores, b_scores)
    if not _has_ties(short_scores) and not _has_ties(long_scores):
        return _rbo_untied(short, long_, p)
    return _rbo_tied(short, long_, p, short_scores, long_scores)


def _rbo_tied(
    short: Sequence[str],
    long_: Sequence[str],
    p: float,
    short_scores: Sequence[float] | None,
    long_scores: Sequence[float] | None,
) -> float:
    """:func:`rbo_ext`'s general loop: a tie spanning depth d wholly in the prefix."""
    s, length = len(short), len(long_)
    short_end = _tie_ends(s, short_scores)
    long_end = _tie_ends(length, long_scores)

    seen_short: set[str] = set()
    seen_long: set[str] = set()
    overlap = 0  # |seen_short & seen_long|
    pos_s = pos_l = 0
    total = 0.0
    weight = 1.0 - p  # (1-p) p^(d-1) at depth d
    x_s = 0
    agreement = 0.0
    for d in range(1, length + 1):
        if d <= s:
            target_s = short_end[d - 1]
            while pos_s < target_s:
                item = short[pos_s]
                seen_short.add(item)
                if item in seen_long:
                    overlap += 1
                pos_s += 1
        target_l = long_end[d - 1]
        while pos_l < target_l:
            item = long_[pos_l]
            seen_long.add(item)
            if item in seen_short:
                overlap += 1
            pos_l += 1
        if d <= s:
            agreement = 2.0 * overlap / (len(seen_short) + len(seen_long))
            if d == s:
                x_s = overlap
        else:
            # beyond the short list: what is seen plus the assumed agreement of its tail
            agreement = (overlap - x_s) / len(seen_long) + x_s / s
        total += weight * agreement
        weight *= p
    # extrapolation: agreement at the last depth persists to infinity
    total += agreement * p**length
    return min(1.0, max(0.0, total))


def _has_ties(scores: Sequence[float] | None) -> bool:
    """Whether two neighbouring scores are equal (a tie group of two or more)."""
    return scores is not None and any(x == y for x, y in pairwise(scores))


def _rbo_untied(short: Sequence[str], long_: Sequence[str], p: float) -> float:
    """:func:`rbo_ext` of two non-empty lists of distinct ids without ties, ``short`` no longer.

    The general loop with every tie group of one item: the prefixes at depth d hold d items
    each, so agreement is ``X_d / d`` (the common case, on every compared query).
    """
    s, length = len(short), len(long_)
    seen_short: set[str] = set()
    seen_long: set[str] = set()
    overlap = x_s = 0
    total, weight, agreement = 0.0, 1.0 - p, 0.0
    for d in range(1, length + 1):
        item = long_[d - 1]
        if d <= s:
            mine = short[d - 1]
            seen_short.add(mine)
            overlap += mine in seen_long
            seen_long.add(item)
            overlap += item in seen_short
            agreement = overlap / d
            if d == s:
                x_s = overlap
        else:
            seen_long.add(item)
            overlap += item in seen_short
            agreement = (overlap - x_s) / d + x_s / s
        total += weight * agreement
        weight *= p
    total += agreement * p**length
    return min(1.0, max(0.0, total))


def _dedupe(
    ids: Sequence[str], scores: Sequence[float] | None
) -> tuple[Sequence[str], Sequence[float] | None]:
    if len(set(ids)) == len(ids):
        return ids, scores
    keep = [i for i, x in enumerate(ids) if x not in ids[:i]]
    return [ids[i] for i in keep], (None if scores is None else [scores[i] for i in keep])


def _tied_ranks(ids: Sequence[str], scores: Sequence[float] | None) -> dict[str, float]:
    """Rank of each id (1-based); with scores, tied ids share their average rank."""
    ends = _tie_ends(len(ids), scores)
    ranks: dict[str, float] = {}
    i = 0
    while i < len(ids):
        j = ends[i]
        avg = (i + 1 + j) / 2.0
        for t in range(i, j):
            ranks.setdefault(ids[t], avg)
        i = j
    return ranks


def kendall_tau(
    a: Sequence[str],
    b: Sequence[str],
    a_scores: Sequence[float] | None = None,
    b_scores: Sequence[float] | None = None,
) -> float | None:
    """Kendall's tau-b between the two orders of the ids both lists contain.

    None when fewer than two ids are shared or one side ranks them all equal.
    """
    if not _has_ties(a_scores) and not _has_ties(b_scores):
        return _kendall_untied(a, b)
    return _kendall_tied(a, b, a_scores, b_scores)


def _kendall_tied(
    a: Sequence[str],
    b: Sequence[str],
    a_scores: Sequence[float] | None,
    b_scores: Sequence[float] | None,
) -> float | None:
    """:func:`kendall_tau`'s general count: tau-b over tied ranks, pair by pair."""
    ra, rb = _tied_ranks(a, a_scores), _tied_ranks(b, b_scores)
    shared = [x for x in ra if x in rb]
    n = len(shared)
    if n < 2:
        return None
    concordant = discordant = ties_a = ties_b = 0
    for i in range(n):
        xa, xb = ra[shared[i]], rb[shared[i]]
        for j in range(i + 1, n):
            da = xa - ra[shared[j]]
            db = xb - rb[shared[j]]
            if da == 0 and db == 0:
                ties_a += 1
                ties_b += 1
            elif da == 0:
                ties_a += 1
            elif db == 0:
                ties_b += 1
            elif (da > 0) == (db > 0):
                concordant += 1
            else:
                discordant += 1
    pairs = n * (n - 1) // 2
    denominator = math.sqrt((pairs - ties_a) * (pairs - ties_b))
    if denominator == 0:
        return None
    return (concordant - discordant) / denominator


def _kendall_untied(a: Sequence[str], b: Sequence[str]) -> float | None:
    """:func:`kendall_tau` when neither side has tied scores: ``1 - 2 * inversions / pairs``.

    Each id at its first position on each side; the shared ids in ``a``'s order, their
    positions in ``b`` counted for inversions (discordant pairs).
    """
    in_b: dict[str, int] = {}
    for position, x in enumerate(b):
        in_b.setdefault(x, position)
    placed: dict[str, int] = {}
    for x in a:
        if x in in_b:
            placed.setdefault(x, in_b[x])
    order = list(placed.values())
    n = len(order)
    if n < 2:
        return None
    inversions = sum(1 for i in range(n) for j in range(i + 1, n) if order[i] > order[j])
    pairs = n * (n - 1) // 2
    return (pairs - 2 * inversions) / pairs


def compare(
    old_ids: Sequence[str],
    new_ids: Sequence[str],
    k: int,
    p: float,
    old_scores: Sequence[float] | None = None,
    new_scores: Sequence[float] | None = None,
) -> Comparison:
    """All divergence figures of one query, over each side's top k."""
    a, b = old_ids[:k], new_ids[:k]
    sa = None if old_scores is None else old_scores[:k]
    sb = None if new_scores is None else new_scores[:k]
    set_a, set_b = set(a), set(b)  # built once for the three figures
    return Comparison(
        overlap=_overlap(set_a, set_b, k),
        jaccard=_jaccard(set_a, set_b),
        rbo=rbo_ext(a, b, p, sa, sb),
        kendall_tau=kendall_tau(a, b, sa, sb),
        top1_agree=(a[0] == b[0]) if a and b else None,
        shared=len(set_a & set_b),
    )
