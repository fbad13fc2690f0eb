"""The demo's terminal view (rich): the live frame while it runs, the summary at the end.

Plain functions from data to renderables; :mod:`calibrator.demo.run` owns the ``rich.live.Live``
that shows them. Nothing here reads the network or the clock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from calibrator.demo.corpus import SEGMENTS
from calibrator.demo.observe import Reading, Window, window
from calibrator.demo.traffic import TrafficStats

_VERDICT_STYLE = {"pass": "bold green", "fail": "bold red", "inconclusive": "yellow"}


@dataclass(frozen=True)
class Frame:
    """Everything one live frame shows."""

    seed: int
    elapsed_s: float
    metrics_url: str
    latest: Reading
    earlier: Reading
    traffic: TrafficStats
    events: Sequence[tuple[float, str]]


def _num(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _mode(status: Mapping[str, Any] | None) -> str:
    if status is None:
        return "starting"
    mode = status["mode"]
    shown = f"canary {mode['percent']:g}%" if mode["mode"] == "canary" else mode["mode"]
    return f"{shown} (generation {mode['generation']})"


def _verdict(name: str | None) -> Text:
    return Text(name or "-", style=_VERDICT_STYLE.get(name or "", ""))


def segment_table(latest: Reading, windows: Mapping[str, Window]) -> Table:
    """Per segment: divergence over the recent window, thresholds, acceptance, gate."""
    seconds = next(iter(windows.values())).seconds if windows else 0.0
    table = Table(title=f"per segment (means over the last {seconds:.0f} s)", title_justify="left")
    for header in ("segment", "compared", "RBO", "overlap@10", "threshold old", "new",
                   "accepted/query old", "new", "abstain flips", "gate"):  # fmt: skip
        table.add_column(header, justify="left" if header in ("segment", "gate") else "right")
    gate = (latest.status or {}).get("gate", {}).get("segments", {})
    for segment in SEGMENTS:
        w = windows[segment]
        thresholds = latest.thresholds.get(segment, {})
        table.add_row(
            segment,
            f"{latest.counts(segment).get('compared'):,.0f}",
            _num(w.rbo),
            _num(w.overlap),
            _num(thresholds.get("old")),
            _num(thresholds.get("new")),
            _num(w.accepted_old, 1),
            _num(w.accepted_new, 1),
            _percent(w.flip_rate),
            _verdict(gate.get(segment, {}).get("verdict")),
        )
    return table


def _reasons(latest: Reading) -> Text:
    gate = (latest.status or {}).get("gate", {}).get("segments", {})
    text = Text()
    for segment in SEGMENTS:
        verdict = gate.get(segment, {})
        if verdict.get("verdict") in (None, "pass"):
            continue
        first = (verdict.get("reasons") or ["no reason given"])[0]
        text.append(f"  {segment}: ", style="bold")
        text.append(f"{verdict['verdict']}: {first}\n")
    return text or Text("  every segment passes\n", style="green")


def _outcomes(latest: Reading) -> str:
    totals: dict[str, float] = {}
    for segment in SEGMENTS:
        for outcome, value in latest.counts(segment).outcomes.items():
            totals[outcome] = totals.get(outcome, 0.0) + value
    shown = [f"{name} {int(v):,}" for name, v in sorted(totals.items(), key=lambda x: -x[1]) if v]
    return " · ".join(shown) or "none yet"


def live_view(frame: Frame) -> RenderableType:
    """One frame of the live view."""
    latest, stats = frame.latest, frame.traffic
    windows = {s: window(frame.earlier, latest, s) for s in SEGMENTS}
    header = Text.assemble(
        ("embedshift demo", "bold"),
        f" · seed {frame.seed} · {frame.elapsed_s:5.1f} s · mode: ",
        (_mode(latest.status), "bold cyan"),
        f" · metrics {frame.metrics_url}",
    )
    p50 = stats.p50_ms()
    traffic = Text(
        f"traffic: {stats.sent:,} sent · {stats.ok:,} ok · {stats.errors:,} errors · answered by "
        f"old {stats.by_side.get('old', 0):,} / new {stats.by_side.get('new', 0):,}"
        + ("" if p50 is None else f" · p50 {p50:.1f} ms")
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
        traffic,
        thresholds,
        segment_table(latest, windows),
        Text("gate:", style="bold"),
        _reasons(latest),
        Text("shadow outcomes: " + _outcomes(latest)),
        events,
    )


def _figures(figures: Mapping[str, Any] | None) -> str:
    if figures is None:
        return "-"
    precision = figures["precision"]
    shown = "-" if precision is None else f"{precision:.2f}"
    return f"P {shown} R {figures['recall']:.2f}"


def summary_view(summary: Mapping[str, Any]) -> RenderableType:
    """The final summary as tables."""
    table = Table(title="before and after, per segment (labelled queries)", title_justify="left")
    for header in ("segment", "old thr", "new thr", "old model @ old", "new model @ old",
                   "new model @ new", "RBO", "overlap", "gate"):  # fmt: skip
        table.add_column(header, justify="left" if header == "segment" else "right")
    for name, s in summary["segments"].items():
        divergence = s.get("divergence", {})
        table.add_row(
            name,
            _num(s["old_threshold"]),
            _num(s["new_threshold"]),
            _figures(s["old_model_at_old_threshold"]),
            _figures(s["new_model_at_old_threshold"]),
            _figures(s["new_model_at_new_threshold"]),
            _num(divergence.get("rbo_mean")),
            _num(divergence.get("overlap_mean")),
            _verdict(s.get("gate", {}).get("verdict")),
        )
    timeline = Text("timeline: ", style="bold")
    for key, value in summary.get("timeline", {}).items():
        if value is not None:
            timeline.append(f"{key.replace('_s', '').replace('_', ' ')} {value:.1f} s · ")
    changes = Text("mode changes:\n", style="bold")
    for change in summary["mode_changes"]:
        verdicts = ", ".join(f"{k} {v}" for k, v in change["gate_verdicts"].items())
        changes.append(
            f"  {change['from']} -> {change['to']} by {change['by']}"
            f"{' (forced)' if change['forced'] else ''}; gate: {verdicts}\n"
        )
    final = Text.assemble(
        ("final mode: ", "bold"),
        (str(summary["final_mode"]), "bold green" if summary["reached_flipped"] else "bold red"),
    )
    return Group(table, timeline, changes, final)
