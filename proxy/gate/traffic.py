"""The gate's criteria on live traffic (pure): shadow errors, abstain flips, latency, floors.

- ``shadow_error_rate``, ``shadow_timeout_rate``: shares of shadow requests sent. They fail
  only when the lower Wilson bound is above the cap (significantly more than allowed); a few
  errors in a small window decide nothing, so otherwise they pass.
- ``new_empty_rate``: compared queries (both thresholds known) where the new side keeps no
  result at its threshold and the old side keeps some (``new_empty``), net of the opposite
  flips (``old_empty``): the share of queries the swap leaves without an answer. Two models
  at thresholds of equal recall reshuffle which queries keep something (SciFact: 5.5 % of
  queries emptied, 3.2 % filled; docs/gate.md), by an amount that depends on the models and
  the data; the calibrator measures it on the labelled queries at the same thresholds
  (``quality.abstain``, :class:`ExpectedEmpty`). The criterion fails only when the live net
  share is significantly above what the models alone explain plus ``max_new_empty_rate``
  (the margin): its lower bound above ``max(0, expected upper bound) + margin``, both bounds
  one-sided at ``confidence`` (a net the new model fills on the labels allows no less than
  0: live traffic dilutes it towards 0). Without a published expectation, or one measured at
  other thresholds than those in force, the margin is over 0 (the reason says so). Like the
  shadow rates it passes otherwise: whether the thresholded answers are as good is labelled
  quality's question. ``old_empty_rate`` is ``reported``: often an improvement, never a
  failure. Both are ``skipped`` when no threshold is configured.
- ``latency``: both sides' latency histograms over the window (search routes; the same for
  every segment). With ``bar = max(max_latency_ratio x old p99, old p99 + latency_slack_s)``,
  the share of new answers slower than ``bar`` should be at most 1 % (the old side's own share
  above its p99). It fails when that share's lower bound is above 1 %: a slowdown shown over
  the whole window, not one p99 reading against another; an increase below
  ``latency_slack_s`` never fails.
- ``rbo_floor``, ``overlap_floor``: absolute floors on mean RBO and overlap@k, only when
  ``min_rbo`` / ``min_overlap`` are set (pass when the lower bound is at or above the floor,
  fail when the upper bound is below it).
"""

from __future__ import annotations

from proxy.config.schema import GateSection
from proxy.gate.criterion import Criterion
from proxy.gate.figures import Latency, SegmentFigures
from proxy.gate.stats import count_above, histogram_quantile, mean_bounds, share_bounds, total_of
from proxy.thresholds.expected import ExpectedEmpty

TAIL = 0.01
"""The share of answers above the old side's p99: what the new side may have above the bar."""


def operational_rate(
    name: str, count: float, total: float, cap: float, of: str, confidence: float
) -> Criterion:
    """A share that fails only when significantly above ``cap`` (module docstring)."""
    bounds = share_bounds(count, total, confidence)
    if bounds is None:
        return Criterion(name, "unavailable", None, cap, f"not available: no {of} in the window")
    share, low, high = bounds
    text = (
        f"{_num(count)} of {_num(total)} {of} ({share:.4f}, {confidence:.0%} bounds "
        f"[{low:.4f}, {high:.4f}])"
    )
    if low > cap:
        return Criterion(name, "fail", share, cap, f"{text}: significantly above the cap {cap}")
    return Criterion(name, "pass", share, cap, f"{text}: not significantly above the cap {cap}")


def abstain(
    figures: SegmentFigures,
    settings: GateSection,
    *,
    configured: bool,
    expected: ExpectedEmpty | None = None,
) -> tuple[Criterion, Criterion]:
    """``new_empty_rate`` (judged, against ``expected`` when it applies) and ``old_empty_rate``."""
    margin = settings.max_new_empty_rate
    if not configured:
        why = (
            "a side has no threshold for this segment (old: [thresholds].old, new: "
            "the calibrated document), so no side keeps nothing by threshold"
        )
        return (
            Criterion("new_empty_rate", "skipped", None, margin, why),
            Criterion("old_empty_rate", "skipped", None, None, why),
        )
    n = figures.threshold_queries
    both = "compared queries with both thresholds"
    if n <= 0:
        reason = (
            "not available: no compared query had both thresholds (old in [thresholds], new "
            "from the calibrated document) in the window"
        )
        return (
            Criterion("new_empty_rate", "unavailable", None, margin, reason),
            Criterion("old_empty_rate", "reported", None, None, reason),
        )
    old_share = figures.old_empty / n
    old = Criterion(
        "old_empty_rate",
        "reported",
        old_share,
        None,
        f"{_num(figures.old_empty)} of {_num(n)} {both}: the old side kept nothing and the new "
        "side something (reported: never a failure, it offsets new_empty)",
    )
    # each query: +1 the new side empties it, -1 it fills it, 0 neither (sums of squares: the
    # counts themselves, so the bounds need no per-query record)
    bounds = mean_bounds(
        figures.new_empty - figures.old_empty,
        figures.new_empty + figures.old_empty,
        n,
        settings.confidence,
    )
    if bounds is None:
        reason = "not available: fewer than two compared queries with both thresholds"
        return Criterion("new_empty_rate", "unavailable", None, margin, reason), old
    net, low, high = bounds
    text = (
        f"net {net:.3f} emptied live ({_num(figures.new_empty)} of {_num(n)} {both} emptied by "
        f"the new side, {_num(figures.old_empty)} filled; {settings.confidence:.0%} bounds "
        f"[{low:.3f}, {high:.3f}])"
    )
    allowed, explained = _allowance(expected, margin, settings.confidence)
    text = f"{text}; {explained}"
    if low > allowed:
        reason = (
            f"{text}: the lower bound {low:.3f} is above {allowed:.3f}, significantly more "
            "emptied than the models explain: is the new index complete, and does its "
            "threshold suit live queries?"
        )
        return Criterion("new_empty_rate", "fail", net, allowed, reason), old
    reason = f"{text}: not significantly above {allowed:.3f}"
    return Criterion("new_empty_rate", "pass", net, allowed, reason), old


def _allowance(
    expected: ExpectedEmpty | None, margin: float, confidence: float
) -> tuple[float, str]:
    """The net share live may reach before it fails, and the words that explain it."""
    if expected is None:
        return margin, (
            "no expected abstain flips are published (embedshift calibrate with --old-vectors "
            f"and --old-threshold publishes them), so the margin {margin:g} is over 0"
        )
    mismatch = expected.mismatch()
    if mismatch is not None:
        return margin, f"{mismatch}, so the margin {margin:g} is over 0"
    flips = expected.flips
    found = mean_bounds(
        flips.new_empty - flips.old_empty,
        flips.new_empty + flips.old_empty,
        flips.n_queries,
        confidence,
    )
    upper = flips.net if found is None else found[2]
    whose = ", the global entry's" if expected.borrowed else ""
    allowed = max(0.0, upper) + margin
    return allowed, (
        f"the models alone explain {flips.net:.3f} on the labelled sample ({flips.new_empty} "
        f"emptied, {flips.old_empty} filled of {flips.n_queries} labelled queries{whose}; "
        f"upper bound {upper:.3f}), margin {margin:g}"
    )


def latency(figures: Latency, settings: GateSection) -> Criterion:
    """``latency`` (module docstring)."""
    name = "latency"
    old_p99 = histogram_quantile(1 - TAIL, figures.old)
    n_new = total_of(figures.new)
    if old_p99 is None or n_new <= 0:
        missing = "old" if old_p99 is None else "new"
        return Criterion(name, "unavailable", None, TAIL, f"no {missing} latency in the window")
    bar = max(settings.max_latency_ratio * old_p99, old_p99 + settings.latency_slack_s)
    slow = count_above(bar, figures.new)
    bounds = share_bounds(slow, n_new, settings.confidence)
    assert bounds is not None
    share, low, _ = bounds
    new_p99 = histogram_quantile(1 - TAIL, figures.new)
    shown = "-" if new_p99 is None else f"{new_p99 * 1000:.1f} ms"
    text = (
        f"{share:.2%} of {_num(n_new)} new answers slower than {bar * 1000:.1f} ms (old p99 "
        f"{old_p99 * 1000:.1f} ms x {settings.max_latency_ratio:g}, at least "
        f"+{settings.latency_slack_s * 1000:g} ms; new p99 {shown}), "
        f"{settings.confidence:.0%} lower bound {low:.2%}"
    )
    if low > TAIL:
        return Criterion(name, "fail", share, TAIL, f"{text}: significantly above {TAIL:.0%}")
    return Criterion(name, "pass", share, TAIL, f"{text}: not significantly above {TAIL:.0%}")


def floors(figures: SegmentFigures, settings: GateSection) -> list[Criterion]:
    """``rbo_floor`` and ``overlap_floor``, each only when its floor is set."""
    out = []
    for name, label, total, squares, floor in (
        ("rbo_floor", "RBO", figures.rbo_sum, figures.rbo_squares, settings.min_rbo),
        ("overlap_floor", "overlap@k", figures.overlap_sum, figures.overlap_squares,
         settings.min_overlap),
    ):  # fmt: skip
        if floor is None:
            continue
        bounds = mean_bounds(total, squares, figures.queries, settings.confidence)
        if bounds is None:
            out.append(Criterion(name, "unavailable", None, floor, "no compared query"))
            continue
        mean, low, high = bounds
        text = f"mean {label} {mean:.3f}, {settings.confidence:.0%} bounds [{low:.3f}, {high:.3f}]"
        if low >= floor:
            out.append(Criterion(name, "pass", low, floor, f"{text} >= {floor}"))
        elif high < floor:
            out.append(Criterion(name, "fail", low, floor, f"{text}: below the floor {floor}"))
        else:
            reason = f"{text} straddle the floor {floor}: more compared queries needed"
            out.append(Criterion(name, "uncertain", low, floor, reason))
    return out


def _num(value: float) -> str:
    return str(round(value)) if abs(value - round(value)) < 1e-9 else f"{value:.1f}"
