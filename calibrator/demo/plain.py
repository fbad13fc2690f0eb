"""The demo as plain lines of at most 80 columns: for pipes, logs and narrow terminals.

Where the terminal view (:mod:`calibrator.demo.view`) would wrap a table, the demo prints
these instead: while it runs, each event once and a status line every few seconds
(:class:`PlainProgress`); at the end, the summary segment by segment (:func:`summary_lines`).
Every line is wrapped at :data:`WIDTH` with a hanging indent, so nothing is cut.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from calibrator.demo.corpus import SEGMENTS
from calibrator.demo.view import Frame, figures_text, milestones, mode_of, num

WIDTH = 80
STATUS_EVERY_S = 5.0
LABEL = 19  # the width of a summary line's label column


def wrapped(text: str, indent: int = 0, hanging: int = 4) -> list[str]:
    """``text`` wrapped at :data:`WIDTH`: first line indented ``indent``, the rest more."""
    return textwrap.wrap(
        text,
        WIDTH,
        initial_indent=" " * indent,
        subsequent_indent=" " * (indent + hanging),
        break_on_hyphens=False,
    ) or [""]


def _field(label: str, text: str) -> list[str]:
    """``  label              text``, the text wrapped under itself."""
    lines = textwrap.wrap(
        text,
        WIDTH,
        initial_indent=f"  {label:<{LABEL}}",
        subsequent_indent=" " * (LABEL + 2),
        break_on_hyphens=False,
    )
    return lines or [f"  {label}"]


@dataclass
class PlainProgress:
    """What a run prints as it goes: new events, and a status line every few seconds."""

    events_shown: int = 0
    last_status_at: float | None = None
    lines: list[str] = field(default_factory=list)

    def tick(self, frame: Frame) -> list[str]:
        """The lines to print for ``frame`` (none when nothing is new)."""
        out: list[str] = []
        for at, message in frame.events[self.events_shown :]:
            out += wrapped(f"{at:5.1f} s  {message}", indent=2, hanging=9)
        self.events_shown = len(frame.events)
        due = self.last_status_at is None or frame.elapsed_s - self.last_status_at >= (
            STATUS_EVERY_S
        )
        if due and frame.latest.status is not None:
            self.last_status_at = frame.elapsed_s
            out += wrapped(f"{frame.elapsed_s:5.1f} s  {status_line(frame)}", indent=2, hanging=9)
        return out


def status_line(frame: Frame) -> str:
    """``mode shadow · 1,410 compared · gate: docs pass, code inconclusive, faq pass``."""
    latest = frame.latest
    compared = sum(latest.counts(s).get("compared") for s in SEGMENTS)
    verdicts = latest.verdicts()
    gate = ", ".join(f"{s} {verdicts.get(s, {}).get('verdict', '-')}" for s in SEGMENTS)
    mode = mode_of(latest.status).split(" (")[0]
    return f"mode {mode} · {compared:,.0f} compared · gate: {gate}"


def _segment_lines(name: str, s: Mapping[str, Any]) -> list[str]:
    out = [f"{name}: {s['labelled_queries']} labelled queries, {s['documents']} documents"]
    out += _field(
        "thresholds",
        f"old {num(s['old_threshold'])} (one global value), "
        f"new {num(s['new_threshold'])} (this segment's)",
    )
    out += _field("old model at old", f"{figures_text(s['old_model_at_old_threshold'])} "
                  "(the stack today)")  # fmt: skip
    out += _field("new model at old", f"{figures_text(s['new_model_at_old_threshold'])} "
                  "(flipped without recalibrating)")  # fmt: skip
    out += _field("new model at new", f"{figures_text(s['new_model_at_new_threshold'])} (after)")
    calibrator = s.get("calibrator") or {}
    ndcg = calibrator.get("ndcg_at_10")
    if ndcg is not None:
        low, high = ndcg["interval"]
        out += _field(
            "nDCG@10",
            f"{ndcg['old']:.3f} -> {ndcg['new']:.3f}, {ndcg['diff']:+.3f} "
            f"({ndcg['confidence']:.0%} interval {low:+.3f} to {high:+.3f})",
        )
    live = s.get("divergence") or {}
    if live:
        out += _field(
            "live divergence",
            f"RBO {num(live.get('rbo_mean'))}, overlap@10 {num(live.get('overlap_mean'))} "
            f"({live.get('compared', 0):,} compared queries)",
        )
    expected = calibrator.get("expected_divergence")
    if expected:
        out += _field(
            "expected",
            f"RBO {num(expected.get('rbo'))}, overlap@10 {num(expected.get('overlap'))} "
            "(measured by the calibrator)",
        )
    gate = s.get("gate") or {}
    out += _field("gate", str(gate.get("verdict") or "-"))
    if gate.get("verdict") not in (None, "pass"):
        for reason in gate.get("reasons") or []:
            out += wrapped(reason, indent=4, hanging=2)
    return out


def summary_lines(summary: Mapping[str, Any]) -> list[str]:
    """The summary as lines of at most :data:`WIDTH` columns."""
    out = [
        f"embedshift demo: seed {summary['seed']}, scenario {summary['scenario']}",
        "",
        "per segment, on its labelled queries (P precision, R recall):",
    ]
    for name, s in summary["segments"].items():
        out += _segment_lines(name, s)
    out.append("")
    out += wrapped("timeline: " + ", ".join(milestones(summary)))
    traffic = summary.get("traffic")
    if traffic is not None:
        out += wrapped(
            f"traffic: {traffic['sent']:,} sent, {traffic['ok']:,} ok, {traffic['errors']:,} "
            f"errors, answered by old {traffic['answered_by'].get('old', 0):,} / new "
            f"{traffic['answered_by'].get('new', 0):,}"
        )
    if summary["mode_changes"]:
        out.append("mode changes:")
        for change in summary["mode_changes"]:
            verdicts = ", ".join(f"{k} {v}" for k, v in change["gate_verdicts"].items())
            forced = " (forced)" if change["forced"] else ""
            out += wrapped(
                f"{change['from']} -> {change['to']} by {change['by']}{forced}; gate: {verdicts}",
                indent=2,
            )
    out.append(f"outcome: {summary['outcome']} (final mode {summary['final_mode']})")
    out += wrapped(summary["why"], indent=2, hanging=0)
    return out
