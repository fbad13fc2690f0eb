"""What ``embedshift calibrate`` prints: each scope's threshold and evidence, then the check.

Per scope (the global one, then each segment), one line with the threshold, precision and
recall (with their intervals), the number of queries and the status; beneath it, when the old
model was given, the quantile mapping, the comparison on the same labelled queries (each
quality figure on both sides, new - old and its paired interval; with both thresholds, the
abstain flips and the net share emptied, the gate's expected ``new_empty_rate``), the expected
divergence, the new model's top-1 score band and the score map at the checked thresholds.
With held-out queries, a last section gives their figures
(:mod:`calibrator.calibration.holdout`). Every figure is rounded to four decimals, as the
thresholds document's readers would show them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from calibrator.calibration.calibrate import ScopeResult
from calibrator.calibration.compare import ScopeComparison
from calibrator.calibration.evaluate import Outcome
from calibrator.calibration.holdout import HeldOut
from calibrator.run.execute import RunResult
from proxy.thresholds.fields import Interval

PAD = " " * 17


def num(value: float | None) -> str:
    """A figure with four decimals; ``-`` for none."""
    return "-" if value is None or not np.isfinite(value) else f"{value:.4f}"


def interval(value: Interval | None, signed: bool = False) -> str:
    """`` [low, high]`` (empty for none)."""
    if value is None:
        return ""
    form = "{:+.4f}" if signed else "{:.4f}"
    return f" [{form.format(value[0])}, {form.format(value[1])}]"


def _sd(values: np.ndarray) -> float:  # type: ignore[type-arg]
    return float(values.std(ddof=1)) if len(values) > 1 else 0.0


def _comparison(
    c: ScopeComparison, confidence: float, old_name: str, check_at: Sequence[float]
) -> list[str]:
    old_at = "top k, no threshold" if c.old_threshold is None else f"at {c.old_threshold:g}"
    new_at = "top k" if c.new_threshold is None else f"at {num(c.new_threshold)}"
    head = (
        f"{PAD}vs old {old_name} {old_at}, new {new_at}, {c.n_queries} queries "
        f"(new - old, {confidence:.0%} paired intervals):"
    )
    lines = [head]
    for name, d in c.quality.items():
        lines.append(
            f"{PAD}  {name:<23}{num(d.old)} -> {num(d.new)}  {d.diff:+.4f}"
            f"{interval(d.interval, signed=True)}"
        )
    if c.abstain is not None:
        a = c.abstain
        lines.append(
            f"{PAD}  abstain flips: new empty {a.new_empty}, old empty {a.old_empty} of "
            f"{a.n_queries} queries, net {a.net.diff:+.4f}{interval(a.net.interval, signed=True)}"
            " emptied by the new side"
        )
    if len(c.overlap):
        lines.append(
            f"{PAD}models' divergence at {c.k} over {c.n_documents} documents: overlap "
            f"{num(float(c.overlap.mean()))} (sd {num(_sd(c.overlap))}), RBO "
            f"{num(float(c.rbo.mean()))} (sd {num(_sd(c.rbo))})"
        )
    if c.top1_quantiles is not None:
        band = "  ".join(f"{q} {num(v)}" for q, v in c.top1_quantiles.items())
        lines.append(f"{PAD}new top-1 score: {band}")
    if c.map is not None:
        m = c.map
        anchor = "" if m.anchor is None else f", anchored {m.anchor[0]:g} -> {num(m.anchor[1])}"
        lines.append(
            f"{PAD}map (equal {m.preserve}) over old scores [{num(m.domain[0])}, "
            f"{num(m.domain[1])}]{anchor}, {len(m.old)} points:"
        )
        shown = []
        for value in check_at:
            if m.domain[0] <= value <= m.domain[1]:
                new = float(np.interp(value, m.old, m.new))
                bounds = (
                    float(np.interp(value, m.old, m.low)),
                    float(np.interp(value, m.old, m.high)),
                )
                shown.append(f"{value:g} -> {num(new)}{interval(bounds)}")
            else:
                shown.append(f"{value:g} -> outside")
        if shown:
            lines.append(f"{PAD}  " + "; ".join(shown))
    return lines


def describe(
    result: ScopeResult,
    confidence: float = 0.95,
    old_name: str = "old",
    check_at: Sequence[float] = (),
) -> str:
    """A scope's lines (see the module docstring)."""
    e = result.entry
    name = result.name or "(global)"
    text = (
        f"{name:<16} threshold {num(e.threshold)}{interval(e.intervals.threshold)}  "
        f"precision {num(e.precision)}{interval(e.intervals.precision)}  "
        f"recall {num(e.recall)}{interval(e.intervals.recall)}  "
        f"queries {e.n_queries}  {e.status}"
    )
    if not e.exact:
        text += " (inexact: raise top_n)"
    lines = [text]
    if e.reason:
        lines.append(f"{PAD[:-1]} {e.reason}")
    if result.mapping is not None and result.mapping.threshold is not None:
        m = result.mapping
        lines.append(
            f"{PAD}quantile mapping of old {m.old_threshold:g}: {m.threshold:.4f}"
            f"{interval(m.interval)} (same share of pairs, {m.tail_share:.2e})"
        )
    if result.comparison is not None:
        lines += _comparison(result.comparison, confidence, old_name, check_at)
    return "\n".join(lines)


def _outcome(label: str, threshold: float | None, o: Outcome | None) -> str:
    if o is None:
        return f"{label} -"
    return f"{label} at {num(threshold)}: precision {num(o.precision)} recall {num(o.recall)}"


def _kept(outcome: Outcome, figure: str) -> float:
    return outcome.precision if figure == "P" else outcome.recall


def held_out_lines(checked: Mapping[str, HeldOut]) -> list[str]:
    """The held-out section."""
    lines = ["held out (queries not calibrated on):"]
    for name, h in checked.items():
        lines.append(
            f"{name:<16} {h.n_queries} queries  {_outcome('new', h.new_threshold, h.new)}  "
            f"{_outcome('old', h.old_threshold, h.old)}"
        )
        figure = "P" if h.preserve == "precision" else "R"
        if h.checks:
            lines.append(
                f"{PAD}{'old t':>7} {'old P':>7} {'old R':>7}  ->  {'new t':>7} {'new P':>7} "
                f"{'new R':>7}  {figure + ' diff':>7}"
            )
        for c in h.checks:
            if c.new is None or c.new_threshold is None:
                lines.append(
                    f"{PAD}{c.old_threshold:>7.2f} {num(c.old.precision):>7} "
                    f"{num(c.old.recall):>7}  ->  outside the map's domain"
                )
                continue
            lines.append(
                f"{PAD}{c.old_threshold:>7.2f} {num(c.old.precision):>7} {num(c.old.recall):>7}"
                f"  ->  {num(c.new_threshold):>7} {num(c.new.precision):>7} "
                f"{num(c.new.recall):>7}  {_kept(c.new, figure) - _kept(c.old, figure):>+7.4f}"
            )
    return lines


def summary(result: RunResult) -> str:
    """What the run published, for stdout."""
    cal, doc, check_at = result.calibration, result.document, result.check_at
    old_name = doc.global_.quality.old.model if doc.global_.quality is not None else "old"
    head = (
        f"published version {doc.version} for model {doc.model.name} "
        f"(policy {cal.global_.policy}, {result.duration_s:.1f} s)"
    )
    confidence = cal.settings.confidence
    lines = [head, describe(cal.global_, confidence, old_name, check_at)]
    lines += [describe(r, confidence, old_name, check_at) for r in cal.segments.values()]
    if result.held_out:
        lines += held_out_lines(result.held_out)
    if result.report is not None:
        lines.append(f"report: {result.report}")
    return "\n".join(lines)
