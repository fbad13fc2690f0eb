"""The calibration report: PNG plots, an HTML page and a JSON file with the same figures.

Per scope (``global`` and each segment):

* ``curve-<scope>.png``: micro and macro precision and recall against the threshold (exact
  values of the step curve at 400 evenly spaced thresholds and at the chosen one), the chosen
  threshold, the quantile mapping's proposal, and, shaded, the range below which some query's
  candidates were not all scored (figures there are bounds, not exact);
* ``scores-<scope>.png``: the score distributions of relevant pairs and of a uniform sample of
  irrelevant pairs, for the new model and, when given, the old one.

``report.json`` holds every plotted number; ``index.html`` shows the plots and the table.
Plots use matplotlib's ``Figure`` with the Agg canvas (no pyplot, no display, no global
state). Each file is written atomically.
"""

from __future__ import annotations

import html
import io
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from calibrator.calibration.calibrate import Calibration, ScopeResult
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
    ax.legend(fontsize="small", loc="best")
    fig.tight_layout()
    return _png(fig)


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
        ax.legend(fontsize="small")
    fig.tight_layout()
    return _png(fig)


def _row(name: str, entry: dict[str, Any]) -> str:
    cells = [name, entry["threshold"], entry["precision"], entry["recall"], entry["n_queries"]]
    shown = [
        html.escape(f"{c:.4f}" if isinstance(c, float) else str("-" if c is None else c))
        for c in cells
    ]
    status = html.escape(entry["status"] + (f": {entry['reason']}" if entry["reason"] else ""))
    return "<tr>" + "".join(f"<td>{c}</td>" for c in shown) + f"<td>{status}</td></tr>"


def write_report(cal: Calibration, doc: ThresholdsDocument, directory: str | Path) -> Path:
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
        figures[name] = {
            "entry": segment_to_dict(result.entry),
            "policy": result.policy.to_dict(),
            "exact_above": None if not np.isfinite(result.exact_above) else result.exact_above,
            "curve": points,
            "distributions": hist,
            "images": [f"curve-{base}.png", f"scores-{base}.png"],
        }
    data = {"version": doc.version, "model": doc.model.name, "scopes": figures}
    write_atomic(d / "report.json", (json.dumps(data, indent=1) + "\n").encode())
    rows = "".join(_row(n, f["entry"]) for n, f in figures.items())
    images = "".join(
        f"<h2>{html.escape(n)}</h2>" + "".join(f'<img src="{i}" alt="{i}">' for i in f["images"])
        for n, f in figures.items()
    )
    page = (
        "<!doctype html><meta charset='utf-8'><title>embedshift calibration</title>"
        f"<h1>Thresholds version {doc.version} for {html.escape(doc.model.name)}</h1>"
        "<table border='1' cellpadding='4'><tr><th>scope</th><th>threshold</th>"
        "<th>precision</th><th>recall</th><th>queries</th><th>status</th></tr>"
        f"{rows}</table><p>Every plotted number is in <a href='report.json'>report.json</a>."
        f"</p>{images}\n"
    )
    write_atomic(d / "index.html", page.encode())
    return d / "index.html"
