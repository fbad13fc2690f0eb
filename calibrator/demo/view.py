"""The demo's terminal view (rich): the live frame while it runs, the summary at the end.

Plain functions from data to renderables; :mod:`calibrator.demo.run` owns the ``rich.live.Live``
that shows them, on a terminal wide enough for the tables (:func:`fits`); elsewhere (piped, or
a narrow terminal) it prints :mod:`calibrator.demo.plain`'s lines instead. Nothing here reads
the network or the clock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rich import box
from rich.console import Console, Group, RenderableType
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from calibrator.demo.corpus import SEGMENTS
from calibrator.demo.observe import Reading, Window, window
from calibrator.demo.traffic import TrafficStats

_VERDICT_STYLE = {"pass": "bold green", "fail": "bold red", "inconclusive": "yellow"}
_OUTCOME_STYLE = {"flipped": "bold green", "undecided": "bold yellow"}


@dataclass(frozen=True)
class Frame:
    """Everything one live frame shows."""

    seed: int
    scenario: str
    elapsed_s: float
    metrics_url: str
    latest: Reading
    earlier: Reading
    traffic: TrafficStats
    events: Sequence[tuple[float, str]]


def num(value: float | None, digits: int = 3) -> str:
    """``value`` with ``digits`` decimals; ``-`` for None."""
    return "-" if value is None else f"{value:.{digits}f}"


def percent(value: float | None) -> str:
    """``value`` as a percentage with one decimal; ``-`` for None."""
    return "-" if value is None else f"{100 * value:.1f}%"


def mode_of(status: Mapping[str, Any] | None) -> str:
    """``canary 10% (generation 1)``; ``starting`` before the first status."""
    if status is None:
        return "starting"
    mode = status["mode"]
    shown = f"canary {mode['percent']:g}%" if mode["mode"] == "canary" else mode["mode"]
    return f"{shown} (generation {mode['generation']})"


def _verdict(name: str | None) -> Text:
    return Text(name or "-", style=_VERDICT_STYLE.get(name or "", ""))


def fits(console: Console, renderable: RenderableType) -> bool:
    """Whether ``renderable`` shows on ``console`` without squeezing a table.

    ``renderable``: a table, or a group of tables and text; each table's natural width must
    be at most the console's (text wraps by itself).
    """
    parts = renderable.renderables if isinstance(renderable, Group) else [renderable]
    unbounded = console.options.update(max_width=1_000_000)
    return all(
        Measurement.get(console, unbounded, part).maximum <= console.width
        for part in parts
        if isinstance(part, Table)
    )


def segment_table(latest: Reading, windows: Mapping[str, Window]) -> Table:
    """The live table: one row per segment, each column saying what span it covers.

    Compared queries since the start; divergence, results kept per query and abstain flips
    over the recent window; thresholds and the gate's verdict now.
    """
    seconds = next(iter(windows.values())).seconds if windows else 0.0
    recent = f"{seconds:.0f} s"
    table = Table(
        title=f"per segment ('{recent}': over the last {recent}; compared: since the start; "
        "thresholds and gate: now)",
        title_justify="left",
        box=box.SIMPLE_HEAD,
    )
    for header in ("segment", "compared\ntotal", f"RBO\n{recent}", f"overlap@10\n{recent}",
                   "threshold\nold", "threshold\nnew", f"kept/query\nold, {recent}",
                   f"kept/query\nnew, {recent}", f"abstain\nflips, {recent}",
                   "gate\nnow"):  # fmt: skip
        left = header.startswith(("segment", "gate"))
        table.add_column(header, justify="left" if left else "right")
    verdicts = latest.verdicts()
    for segment in SEGMENTS:
        w = windows[segment]
        thresholds = latest.thresholds.get(segment, {})
        table.add_row(
            segment,
            f"{latest.counts(segment).get('compared'):,.0f}",
            num(w.rbo),
            num(w.overlap),
            num(thresholds.get("old")),
            num(thresholds.get("new")),
            num(w.accepted_old, 1),
            num(w.accepted_new, 1),
            percent(w.flip_rate),
            _verdict(verdicts.get(segment, {}).get("verdict")),
        )
    return table


def _reasons(latest: Reading) -> Text:
    verdicts = latest.verdicts()
    text = Text(no_wrap=True, overflow="ellipsis")
    for segment in SEGMENTS:
        verdict = verdicts.get(segment, {})
        if verdict.get("verdict") in (None, "pass"):
            continue
        text.append(f"  {segment}: ", style="bold")
        text.append(f"{verdict['verdict']}\n", style=_VERDICT_STYLE.get(verdict["verdict"], ""))
        for reason in verdict.get("reasons") or ["no reason given"]:
            text.append(f"    {reason}\n")
    return text or Text("  every segment passes\n", style="green")


def outcomes_text(latest: Reading) -> str:
    """Shadow outcomes summed over the segments, largest first."""
    totals: dict[str, float] = {}
    for segment in SEGMENTS:
        for outcome, value in latest.counts(segment).outcomes.items():
            totals[outcome] = totals.get(outcome, 0.0) + value
    shown = [f"{name} {int(v):,}" for name, v in sorted(totals.items(), key=lambda x: -x[1]) if v]
    return " · ".join(shown) or "none yet"


def traffic_text(stats: TrafficStats) -> str:
    """What the clients sent and saw, in one line."""
    p50 = stats.p50_ms()
    return (
        f"traffic: {stats.sent:,} sent · {stats.ok:,} ok · {stats.errors:,} errors · answered by "
        f"old {stats.by_side.get('old', 0):,} / new {stats.by_side.get('new', 0):,}"
        + ("" if p50 is None else f" · p50 {p50:.1f} ms")
    )


def live_view(frame: Frame) -> RenderableType:
    """One frame of the live view."""
    latest = frame.latest
    windows = {s: window(frame.earlier, latest, s) for s in SEGMENTS}
    header = Text.assemble(
        ("embedshift demo", "bold"),
        f" · seed {frame.seed} · {frame.scenario} · {frame.elapsed_s:5.1f} s · mode: ",
        (mode_of(latest.status), "bold cyan"),
        f" · metrics {frame.metrics_url}",
    )
    version = latest.version
    thresholds = Text(
        "thresholds: old: one global value from the config, tuned on the old model · new: "
        + (f"per segment, version {version} from the calibrator worker" if version else "none yet")
    )
    events = Text("events:\n", style="bold")
    for at, message in frame.events[-8:]:
        events.append(f"  {at:5.1f} s  ", style="dim")
        events.append(message + "\n", style="")
    return Group(
        header,
        Text(traffic_text(frame.traffic)),
        thresholds,
        segment_table(latest, windows),
        Text("gate (every reason of a segment that does not pass):", style="bold"),
        _reasons(latest),
        Text("shadow outcomes (total): " + outcomes_text(latest)),
        events,
    )


def figures_text(figures: Mapping[str, Any] | None) -> str:
    """``P 0.40 R 0.90``; ``-`` when there are none."""
    if figures is None:
        return "-"
    precision = figures["precision"]
    shown = "-" if precision is None else f"{precision:.2f}"
    return f"P {shown} R {figures['recall']:.2f}"


def ndcg_text(calibrator: Mapping[str, Any] | None) -> str:
    """``0.888 -> 0.932 (+0.044)``; ``-`` when nothing is published."""
    ndcg = (calibrator or {}).get("ndcg_at_10")
    if ndcg is None:
        return "-"
    return f"{ndcg['old']:.3f} -> {ndcg['new']:.3f} ({ndcg['diff']:+.3f})"


def _before_after(summary: Mapping[str, Any]) -> Table:
    table = Table(
        title="before and after, per segment (labelled queries; P precision, R recall)",
        title_justify="left",
    )
    for header in ("segment", "threshold\nold", "threshold\nnew", "old model\nat old",
                   "new model\nat old", "new model\nat new", "nDCG@10\nold -> new"):  # fmt: skip
        table.add_column(header, justify="left" if header == "segment" else "right")
    for name, s in summary["segments"].items():
        table.add_row(
            name,
            num(s["old_threshold"]),
            num(s["new_threshold"]),
            figures_text(s["old_model_at_old_threshold"]),
            figures_text(s["new_model_at_old_threshold"]),
            figures_text(s["new_model_at_new_threshold"]),
            ndcg_text(s["calibrator"]),
        )
    return table


def _divergence(summary: Mapping[str, Any]) -> Table:
    table = Table(
        title="divergence (live: the sidecar, whole run; expected: the calibrator) and gate",
        title_justify="left",
    )
    for header in ("segment", "compared", "RBO\nlive", "RBO\nexpected", "overlap@10\nlive",
                   "overlap@10\nexpected", "gate"):  # fmt: skip
        table.add_column(header, justify="left" if header in ("segment", "gate") else "right")
    for name, s in summary["segments"].items():
        live = s.get("divergence") or {}
        expected = (s.get("calibrator") or {}).get("expected_divergence") or {}
        table.add_row(
            name,
            f"{live.get('compared', 0):,}",
            num(live.get("rbo_mean")),
            num(expected.get("rbo")),
            num(live.get("overlap_mean")),
            num(expected.get("overlap")),
            _verdict((s.get("gate") or {}).get("verdict")),
        )
    return table


def milestones(summary: Mapping[str, Any]) -> list[str]:
    """``first figures 2.0 s``, ...: the milestones reached, in the order they were reached."""
    reached = [(v, k) for k, v in summary.get("timeline", {}).items() if v is not None]
    reached.sort(key=lambda pair: pair[0])  # stable: ties keep the order things happen in
    return [f"{k.removesuffix('_s').replace('_', ' ')} {v:.1f} s" for v, k in reached]


def summary_view(summary: Mapping[str, Any]) -> RenderableType:
    """The final summary: tables, every reason of a segment that does not pass, the outcome."""
    parts: list[RenderableType] = [_before_after(summary), _divergence(summary)]
    reasons = Text()
    for name, s in summary["segments"].items():
        gate = s.get("gate") or {}
        if gate.get("verdict") in (None, "pass"):
            continue
        reasons.append(f"{name}: {gate['verdict']}\n", style="bold")
        for reason in gate.get("reasons") or []:
            reasons.append(f"  {reason}\n")
    if reasons:
        parts.append(reasons)
    timeline = Text("timeline: ", style="bold")
    timeline.append(" · ".join(milestones(summary)))
    parts.append(timeline)
    if summary["mode_changes"]:
        changes = Text("mode changes:\n", style="bold")
        for change in summary["mode_changes"]:
            verdicts = ", ".join(f"{k} {v}" for k, v in change["gate_verdicts"].items())
            changes.append(
                f"  {change['from']} -> {change['to']} by {change['by']}"
                f"{' (forced)' if change['forced'] else ''}; gate: {verdicts}\n"
            )
        parts.append(changes)
    outcome = summary["outcome"]
    parts.append(
        Text.assemble(
            ("outcome: ", "bold"),
            (outcome, _OUTCOME_STYLE.get(outcome, "bold red")),
            f" (final mode {summary['final_mode']}): {summary['why']}",
        )
    )
    return Group(*parts)
