"""The gate's index-health criteria (pure): is the new index complete and consistent?

A new index breaks in ways divergence alone cannot tell from a model change: a re-embed that
stopped at 75 %, vectors joined to the wrong ids, queries and documents embedded by different
models (or one side not normalised), the wrong collection mapped. Three criteria catch them:

- ``new_index_coverage``: the old side's result ids, looked up by id in the new index
  (:mod:`proxy.health.coverage`), must be present: the lower Wilson bound of the share found
  is at least ``min_coverage`` (0.99) to pass; its upper bound below it fails. A route whose
  adapter has no get-by-id call is ``skipped``, said so.
- ``expected_divergence``: the calibrator measured how much the two models alone disagree on
  its labelled queries (``divergence``: mean RBO and overlap@k). Live mean RBO may be lower (a
  larger index than the calibrator's pool, other queries) but not collapse: it fails when its
  upper bound is below ``divergence_margin`` (one half) of the expected RBO, and passes when its
  lower bound is at or above that. A shuffled id join gives RBO near 0; a healthy swap keeps
  well above half of what the models explain (docs/gate.md has the measured figures).
- ``score_sanity``: the new side's top-1 scores against the band the calibrator saw for the
  new model on its labelled queries (1st to 99th percentile). It fails when significantly
  more than ``max_score_outside_band`` (one half) lie outside: then queries and documents are
  not in one space.
"""

from __future__ import annotations

from proxy.config.schema import GateSection
from proxy.gate.criterion import Criterion
from proxy.gate.figures import SegmentFigures
from proxy.gate.stats import mean_bounds, share_bounds
from proxy.thresholds.evidence import Divergence, ScoreBand

NOT_PUBLISHED = "(embedshift calibrate with --old-vectors publishes it)"


def coverage(figures: SegmentFigures, settings: GateSection) -> Criterion:
    """``new_index_coverage`` (module docstring)."""
    name, floor = "new_index_coverage", settings.min_coverage
    if floor <= 0 or settings.coverage_rate <= 0:
        why = "min_coverage is 0" if floor <= 0 else "id lookups are off (coverage_rate = 0)"
        return Criterion(name, "skipped", None, floor, why)
    looked = figures.ids_present + figures.ids_missing
    failed = f"; {_num(figures.lookups_failed)} lookups failed" if figures.lookups_failed else ""
    bounds = share_bounds(figures.ids_present, looked, settings.confidence)
    if bounds is None:
        if figures.lookups_unsupported > 0:
            reason = (
                "the route's adapter has no get-by-id call (the generic adapter), "
                "so the new index's coverage is not checked"
            )
            return Criterion(name, "skipped", None, floor, reason)
        reason = f"not available: no id looked up in the new index in the window{failed}"
        return Criterion(name, "unavailable", None, floor, reason)
    share, low, high = bounds
    text = (
        f"{share:.3f} of {_num(looked)} ids the old index returned are in the new index "
        f"({settings.confidence:.0%} bounds [{low:.3f}, {high:.3f}]){failed}"
    )
    if low >= floor:
        return Criterion(name, "pass", share, floor, f"{text} >= {floor}")
    if high < floor:
        reason = f"{text}: below min_coverage {floor}: is the new index complete?"
        return Criterion(name, "fail", share, floor, reason)
    reason = f"{text} straddle min_coverage {floor}: more lookups needed"
    return Criterion(name, "uncertain", share, floor, reason)


def expected_divergence(  # noqa: PLR0911 - one return per outcome
    figures: SegmentFigures, expected: Divergence | None, settings: GateSection, rbo_p: float
) -> Criterion:
    """``expected_divergence`` (module docstring); ``rbo_p``: the live RBO's persistence."""
    name, margin = "expected_divergence", settings.divergence_margin
    if margin <= 0:
        return Criterion(name, "skipped", None, None, "divergence_margin is 0")
    if expected is None:
        reason = f"not available: no expected divergence is published {NOT_PUBLISHED}"
        return Criterion(name, "unavailable", None, None, reason)
    floor = margin * expected.rbo.mean
    chance = expected.k / max(expected.n_documents, 1)
    if floor <= chance:
        reason = (
            f"the models alone explain RBO {expected.rbo.mean:.3f}, too close to "
            "unrelated lists for divergence to tell a broken index"
        )
        return Criterion(name, "skipped", None, floor, reason)
    bounds = mean_bounds(figures.rbo_sum, figures.rbo_squares, figures.queries, settings.confidence)
    if bounds is None:
        return Criterion(name, "unavailable", None, floor, "not available: no compared query")
    mean, low, high = bounds
    live_overlap = figures.overlap_sum / figures.queries
    text = (
        f"live RBO {mean:.3f} ({settings.confidence:.0%} bounds [{low:.3f}, {high:.3f}]), the "
        f"models alone explain {expected.rbo.mean:.3f} (overlap@{expected.k} live "
        f"{live_overlap:.3f}, expected {expected.overlap.mean:.3f}; measured on "
        f"{expected.n_queries} labelled queries over {expected.n_documents} documents)"
    )
    if abs(expected.rbo_p - rbo_p) > 1e-9:
        text += f" [RBO persistence differs: calibrator {expected.rbo_p}, live {rbo_p}]"
    if low >= floor:
        return Criterion(name, "pass", mean, floor, f"{text}: at least {margin:g} of it")
    if high < floor:
        reason = (
            f"{text}: below {margin:g} of it ({floor:.3f}): is the new index complete and "
            "joined to the right ids?"
        )
        return Criterion(name, "fail", mean, floor, reason)
    reason = f"{text}: bounds straddle {margin:g} of it ({floor:.3f}): more compared queries needed"
    return Criterion(name, "uncertain", mean, floor, reason)


def score_sanity(
    figures: SegmentFigures, band: ScoreBand | None, settings: GateSection
) -> Criterion:
    """``score_sanity`` (module docstring)."""
    name, cap = "score_sanity", settings.max_score_outside_band
    if cap >= 1:
        return Criterion(name, "skipped", None, cap, "max_score_outside_band is 1")
    if band is None:
        reason = f"not available: no score band of the new model is published {NOT_PUBLISHED}"
        return Criterion(name, "unavailable", None, cap, reason)
    outside = figures.band_below + figures.band_above
    checked = outside + figures.band_within
    bounds = share_bounds(outside, checked, settings.confidence)
    if bounds is None:
        reason = "not available: no new top-1 score was checked against the band in the window"
        return Criterion(name, "unavailable", None, cap, reason)
    share, low, high = bounds
    text = (
        f"{_num(figures.band_below)} below and {_num(figures.band_above)} above of "
        f"{_num(checked)} new top-1 scores outside [{band.top1.p01:.3f}, {band.top1.p99:.3f}] "
        f"(the calibrator's 1st to 99th percentile on {band.n_queries} labelled queries): "
        f"share {share:.3f}, {settings.confidence:.0%} bounds [{low:.3f}, {high:.3f}]"
    )
    if high <= cap:
        return Criterion(name, "pass", share, cap, f"{text} <= {cap}")
    if low > cap:
        reason = (
            f"{text}: above {cap}: are queries and documents embedded by the same model, "
            "and normalised alike?"
        )
        return Criterion(name, "fail", share, cap, reason)
    return Criterion(name, "uncertain", share, cap, f"{text} straddle {cap}: more queries needed")


def _num(value: float) -> str:
    return str(round(value)) if abs(value - round(value)) < 1e-9 else f"{value:.1f}"
