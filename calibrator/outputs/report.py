"""The calibration report: PNG plots, an HTML page and a JSON file with the same figures.

Per scope (``global`` and each segment):

* ``curve-<scope>.png``: micro and macro precision and recall against the threshold (exact
  values of the step curve at 400 evenly spaced thresholds and at the chosen one), the chosen
  threshold, the quantile mapping's proposal, and, shaded, the range below which some query's
  candidates were not all scored (figures there are bounds, not exact);
* ``scores-<scope>.png``: the score distributions of relevant pairs and of a uniform sample of
  irrelevant pairs, for the new model and, when given, the old one;
* with the old model: ``quality-<scope>.png``, each quality figure's new - old with its paired
  interval (and both sides' values), and ``map-<scope>.png``, the old-to-new score map with
  its band, the anchor, the identity and the quantile mapping's proposal.

``report.json`` holds every plotted number (and the held-out check, when run);
``index.html`` shows the plots and the tables.
Plots use matplotlib's ``Figure`` with the Agg canvas (no pyplot, no display, no global
state). Each file is written atomically.
"""

from __future__ import annotations

import html
import io
import json
import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from calibrator.calibration.calibrate import Calibration, ScopeResult
from calibrator.calibration.compare import ScopeComparison
from calibrator.calibration.holdout import HeldOut
from calibrator.maths.sweep import pair_curve
from calibrator.outputs.publish import write_atomic
from proxy.thresholds.document import ThresholdsDocument, segment_to_dict

Floats = npt.NDArray[np.float64]
_POINTS = 400
_BINS = 60


def _file_name(scope: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", scope or "global")


def curve_points(result: ScopeResult) -> dict[str, list[float]]:
    """The scope's curve, exactly, at evenly spaced thresholds and at the chosen one."""
    curve = pair_curve(result.pairs)
    t = curve.thresholds
    if t.size == 0:
        return {
            k: [] for k in ("threshold", "precision", "recall", "macro_precision", "macro_recall")
        }
    wanted = np.linspace(t[-1], t[0], _POINTS)
    if result.entry.threshold is not None:
        wanted = np.append(wanted, result.entry.threshold)
    wanted = np.unique(wanted)[::-1]
    # the curve at threshold x is its point at the lowest listed threshold still >= x
    at = np.searchsorted(-t, -wanted, side="right") - 1
    at = np.clip(at, 0, t.size - 1)
    return {
        "threshold": wanted.tolist(),
        "precision": curve.precision("micro")[0, at].tolist(),
        "recall": curve.recall("micro")[0, at].tolist(),
        "macro_precision": curve.precision("macro")[0, at].tolist(),
        "macro_recall": curve.recall("macro")[0, at].tolist(),
    }


def _histogram(values: Floats | None, edges: Floats) -> list[float] | None:
    if values is None:
        return None
    counts, _ = np.histogram(values, bins=edges, density=bool(len(values)))
    return [float(c) for c in counts]


def distributions(result: ScopeResult) -> dict[str, Any]:
    """Histograms (densities) of relevant and sampled irrelevant scores, new and old."""
    out: dict[str, Any] = {}
    for side, rel, irr in (
        ("new", result.relevant_scores, result.irrelevant_scores),
        ("old", result.old_relevant_scores, result.old_irrelevant_scores),
    ):
        if rel is None or irr is None:
            continue
        both = np.concatenate([rel, irr])
        lo, hi = (float(both.min()), float(both.max())) if both.size else (0.0, 1.0)
        edges = np.linspace(lo, hi if hi > lo else lo + 1.0, _BINS + 1)
        out[side] = {
            "edges": edges.tolist(),
            "relevant": _histogram(rel, edges),
            "irrelevant": _histogram(irr, edges),
            "n_relevant": int(rel.size),
            "n_irrelevant_sampled": int(irr.size),
        }
    return out


def _png(fig: Any) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()


def plot_curve(name: str, points: dict[str, list[float]], result: ScopeResult) -> bytes:
    """The precision/recall-against-threshold plot of one scope, as PNG bytes."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 4.2))
    ax = fig.subplots()
    t = points["threshold"]
    ax.plot(t, points["precision"], label="precision (micro)", color="tab:blue")
    ax.plot(t, points["recall"], label="recall (micro)", color="tab:orange")
    ax.plot(t, points["macro_precision"], "--", label="precision (macro)", color="tab:blue")
    ax.plot(t, points["macro_recall"], "--", label="recall (macro)", color="tab:orange")
    if result.entry.threshold is not None:
        ax.axvline(result.entry.threshold, color="black", lw=1, label="chosen threshold")
    if result.mapping is not None and result.mapping.threshold is not None:
        ax.axvline(result.mapping.threshold, color="grey", ls=":", label="quantile mapping")
    if t and result.exact_above > min(t):
        ax.axvspan(
            min(t), result.exact_above, color="grey", alpha=0.15, label="not every pair scored"
        )
    ax.set(xlabel="threshold", ylabel="share", ylim=(0, 1.02), title=f"{name}: {result.policy}")
    _legend(ax, loc="best")
    fig.tight_layout()
    return _png(fig)


def _legend(ax: Any, **kwargs: Any) -> None:
    """A small legend where it hides least (matplotlib's "best"), however long that search takes.

    matplotlib warns when its search for the best place takes over a second, which depends on
    how busy the machine is, not on the figure: that warning is not passed on.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message='Creating legend with loc="best" can be slow')
        ax.legend(fontsize="small", **kwargs)


def plot_scores(name: str, hist: dict[str, Any]) -> bytes:
    """The score-distribution plot of one scope (new model, and old when given), as PNG."""
    from matplotlib.figure import Figure

    sides = [s for s in ("old", "new") if s in hist]
    fig = Figure(figsize=(7, 3.2 * max(1, len(sides))))
    axes = fig.subplots(max(1, len(sides)), 1, squeeze=False)[:, 0]
    for ax, side in zip(axes, sides, strict=False):
        h = hist[side]
        edges = np.asarray(h["edges"])
        mids, width = (edges[:-1] + edges[1:]) / 2, edges[1] - edges[0]
        ax.bar(mids, h["irrelevant"], width=width, alpha=0.5, label="irrelevant (sample)")
        ax.bar(mids, h["relevant"], width=width, alpha=0.5, label="relevant")
        ax.set(xlabel=f"{side} model score", ylabel="density", title=f"{name}: {side} model")
        _legend(ax)
    fig.tight_layout()
    return _png(fig)


def comparison_figures(c: ScopeComparison) -> dict[str, Any]:
    """The comparison with the old model as JSON-ready numbers (report.json)."""

    def spread(values: Floats) -> dict[str, float]:
        sd = float(values.std(ddof=1)) if len(values) > 1 else 0.0
        return {"mean": float(values.mean()), "sd": sd} if len(values) else {}

    score_map = None
    if c.map is not None:
        m = c.map
        score_map = {
            "preserve": m.preserve,
            "anchor": None if m.anchor is None else list(m.anchor),
            "domain": list(m.domain),
            "old": m.old.tolist(),
            "new": m.new.tolist(),
            "low": m.low.tolist(),
            "high": m.high.tolist(),
            "max_error": m.max_error,
        }
    return {
        "k": c.k,
        "n_queries": c.n_queries,
        "old_threshold": c.old_threshold,
        "new_threshold": c.new_threshold,
        "quality": {
            name: {
                "old": d.old,
                "new": d.new,
                "diff": d.diff,
                "interval": None if d.interval is None else list(d.interval),
            }
            for name, d in c.quality.items()
        },
        "divergence": {
            "n_documents": c.n_documents,
            "overlap": spread(c.overlap),
            "rbo": spread(c.rbo),
        },
        "top1": c.top1_quantiles,
        "abstain": None
        if c.abstain is None
        else {
            "n_queries": c.abstain.n_queries,
            "new_empty": c.abstain.new_empty,
            "old_empty": c.abstain.old_empty,
            "net": c.abstain.net.diff,
            "interval": None if c.abstain.net.interval is None else list(c.abstain.net.interval),
        },
        "map": score_map,
    }


def plot_quality(name: str, figures: dict[str, Any]) -> bytes:
    """Each quality figure's new - old with its paired interval, as PNG bytes."""
    from matplotlib.figure import Figure

    quality = figures["quality"]
    names = list(quality)
    fig = Figure(figsize=(7, 0.7 + 0.55 * max(1, len(names))))
    ax = fig.subplots()
    for i, metric in enumerate(names):
        d = quality[metric]
        if d["interval"] is not None:
            ax.plot(d["interval"], [i, i], color="tab:blue", lw=3, solid_capstyle="butt")
        ax.plot([d["diff"]], [i], "o", color="black")
        ax.annotate(
            f"{d['old']:.3f} -> {d['new']:.3f}", (d["diff"], i), xytext=(0, 7),
            textcoords="offset points", ha="center", fontsize="small",
        )  # fmt: skip
    ax.axvline(0, color="grey", lw=1, ls=":")
    ax.set_yticks(range(len(names)), names)
    ax.set_ylim(len(names) - 0.4, -0.6)  # the first figure on top
    old_at = figures["old_threshold"]
    new_at = figures["new_threshold"]
    ax.set(
        xlabel="new - old (paired interval)",
        title=f"{name}: new at {_shown(new_at)} vs old at {_shown(old_at)}, "
        f"{figures['n_queries']} queries",
    )
    fig.tight_layout()
    return _png(fig)


def _shown(value: float | None) -> str:
    return "top k" if value is None else f"{value:.3f}"


def plot_map(name: str, figures: dict[str, Any], mapping: float | None) -> bytes:
    """The old-to-new score map with its band, anchor and identity, as PNG bytes."""
    from matplotlib.figure import Figure

    m = figures["map"]
    fig = Figure(figsize=(6, 5))
    ax = fig.subplots()
    ax.fill_between(m["old"], m["low"], m["high"], color="tab:blue", alpha=0.2, label="interval")
    ax.plot(m["old"], m["new"], color="tab:blue", label=f"map (equal {m['preserve']})")
    low, high = m["domain"]
    ax.plot([low, high], [low, high], color="grey", ls=":", lw=1, label="identity")
    if m["anchor"] is not None:
        ax.plot(*m["anchor"], "o", color="black", label="old threshold -> calibrated")
    if mapping is not None and figures["old_threshold"] is not None:
        ax.plot(figures["old_threshold"], mapping, "x", color="tab:red", label="quantile mapping")
    ax.set(xlabel="old model score", ylabel="new model score", title=f"{name}: old -> new")
    ax.legend(fontsize="small", loc="upper left")
    fig.tight_layout()
    return _png(fig)


def held_out_figures(checked: dict[str, HeldOut]) -> dict[str, Any]:
    """The held-out check as JSON-ready numbers."""

    def outcome(o: Any) -> dict[str, Any] | None:
        if o is None:
            return None
        return {"precision": o.precision, "recall": o.recall, "retrieved": o.retrieved,
                "relevant_retrieved": o.relevant_retrieved, "relevant": o.relevant}  # fmt: skip

    return {
        name: {
            "n_queries": h.n_queries,
            "new_threshold": h.new_threshold,
            "new": outcome(h.new),
            "old_threshold": h.old_threshold,
            "old": outcome(h.old),
            "checks": [
                {
                    "old_threshold": c.old_threshold,
                    "new_threshold": c.new_threshold,
                    "old": outcome(c.old),
                    "new": outcome(c.new),
                }
                for c in h.checks
            ],
        }
        for name, h in checked.items()
    }


def _held_out_table(held: dict[str, Any]) -> str:
    rows = []
    for name, h in held.items():
        for c in h["checks"]:
            new = c["new"]
            rows.append(
                _tr(
                    name,
                    c["old_threshold"],
                    c["old"]["precision"],
                    c["old"]["recall"],
                    c["new_threshold"],
                    new and new["precision"],
                    new and new["recall"],
                )
            )
    headers = ("segment", "old threshold", "old precision", "old recall", "new threshold",
               "new precision", "new recall")  # fmt: skip
    return _table("Held-out check of the map", headers, rows)


def _comparison_table(figures: dict[str, Any]) -> str:
    """New against old on each scope's labelled queries: thresholds, quality, abstain flips.

    Abstain flips: labelled queries where one side keeps nothing at its threshold and the other
    something (the new side empties ``new_empty``, fills ``old_empty``); the net share is what
    the gate's ``new_empty_rate`` expects live.
    """
    rows = []
    for name, f in figures.items():
        c = f.get("comparison")
        if c is None:
            continue
        metric = next(iter(c["quality"]), None)
        q = c["quality"].get(metric) if metric is not None else None
        quality = "-"
        if q is not None:
            quality = f"{metric} {q['old']:.3f} -> {q['new']:.3f} ({q['diff']:+.3f}"
            if q["interval"] is not None:
                quality += f", 95% [{q['interval'][0]:+.3f}, {q['interval'][1]:+.3f}]"
            quality += ")"
        a = c["abstain"]
        flips = "-"
        if a is not None:
            flips = (
                f"{a['new_empty']} emptied, {a['old_empty']} filled of {a['n_queries']}: "
                f"net {a['net']:+.3f}"
            )
            if a["interval"] is not None:
                flips += f" [{a['interval'][0]:+.3f}, {a['interval'][1]:+.3f}]"
        rbo = c["divergence"]["rbo"].get("mean")
        rbo_shown = None if rbo is None else f"{rbo:.3f}"
        rows.append(_tr(name, c["old_threshold"], c["new_threshold"], quality, rbo_shown, flips))
    headers = ("scope", "old threshold", "new threshold", "quality", "RBO", "abstain flips")
    return _table("New against old on the labelled queries", headers, rows)


def _row(name: str, entry: dict[str, Any]) -> str:
    status = entry["status"] + (f": {entry['reason']}" if entry["reason"] else "")
    return _tr(
        name, entry["threshold"], entry["precision"], entry["recall"], entry["n_queries"], status
    )


def _tr(*cells: object) -> str:
    """One table row: floats to 4 decimals, None as ``-``, everything escaped."""
    shown = (
        html.escape(f"{c:.4f}" if isinstance(c, float) else str("-" if c is None else c))
        for c in cells
    )
    return "<tr>" + "".join(f"<td>{c}</td>" for c in shown) + "</tr>"


def _table(heading: str, headers: tuple[str, ...], rows: list[str]) -> str:
    """A titled table of ``rows`` (:func:`_tr`), or nothing when there are none."""
    if not rows:
        return ""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    return (
        f"<h2>{html.escape(heading)}</h2><table border='1' cellpadding='4'><tr>{head}</tr>"
        f"{''.join(rows)}</table>"
    )


def write_report(
    cal: Calibration,
    doc: ThresholdsDocument,
    directory: str | Path,
    held_out: dict[str, HeldOut] | None = None,
) -> Path:
    """Write the report into ``directory``; returns the HTML page's path."""
    d = Path(directory)
    scopes = {"global": cal.global_, **cal.segments}
    figures: dict[str, Any] = {}
    for name, result in scopes.items():
        points = curve_points(result)
        hist = distributions(result)
        base = _file_name(name)
        write_atomic(d / f"curve-{base}.png", plot_curve(name, points, result))
        write_atomic(d / f"scores-{base}.png", plot_scores(name, hist))
        images = [f"curve-{base}.png", f"scores-{base}.png"]
        figures[name] = {
            "entry": segment_to_dict(result.entry),
            "policy": result.policy.to_dict(),
            "exact_above": None if not np.isfinite(result.exact_above) else result.exact_above,
            "curve": points,
            "distributions": hist,
            "images": images,
        }
        if result.comparison is not None:
            compared = comparison_figures(result.comparison)
            figures[name]["comparison"] = compared
            write_atomic(d / f"quality-{base}.png", plot_quality(name, compared))
            images.append(f"quality-{base}.png")
            if compared["map"] is not None:
                mapping = result.mapping.threshold if result.mapping is not None else None
                write_atomic(d / f"map-{base}.png", plot_map(name, compared, mapping))
                images.append(f"map-{base}.png")
    data: dict[str, Any] = {"version": doc.version, "model": doc.model.name, "scopes": figures}
    held = held_out_figures(held_out) if held_out else None
    if held is not None:
        data["held_out"] = held
    write_atomic(d / "report.json", (json.dumps(data, indent=1) + "\n").encode())
    rows = "".join(_row(n, f["entry"]) for n, f in figures.items())
    gallery = "".join(
        f"<h2>{html.escape(n)}</h2>" + "".join(f'<img src="{i}" alt="{i}">' for i in f["images"])
        for n, f in figures.items()
    )
    page = (
        "<!doctype html><meta charset='utf-8'><title>embedshift calibration</title>"
        f"<h1>Thresholds version {doc.version} for {html.escape(doc.model.name)}</h1>"
        "<table border='1' cellpadding='4'><tr><th>scope</th><th>threshold</th>"
        "<th>precision</th><th>recall</th><th>queries</th><th>status</th></tr>"
        f"{rows}</table><p>Every plotted number is in <a href='report.json'>report.json</a>."
        f"</p>{_comparison_table(figures)}{_held_out_table(held) if held else ''}{gallery}\n"
    )
    write_atomic(d / "index.html", page.encode())
    return d / "index.html"
