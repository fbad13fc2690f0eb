"""The command lines of a run: ``embedshift calibrate`` and ``embedshift worker``.

Their arguments are declared here, and ``calibrate``'s handler: it runs one calibration with
progress on stderr (:mod:`calibrator.progress`) and prints the outcome on stdout, one line per
scope with its threshold, precision and recall (with intervals), status and reason. Exit
status 0 when the document was published, 3 when it was published but some scope has no
threshold meeting its policy (its threshold is null), and through :mod:`proxy.cli` 1 or 2 on
errors (nothing published). Registering a command imports this module, so it imports only the
standard library and :mod:`proxy` at module level; the run is imported by the handler.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from proxy.logs import configure_logging
from proxy.thresholds.document import Interval

if TYPE_CHECKING:
    from calibrator.calibration.calibrate import ScopeResult
    from calibrator.run.execute import RunResult

EXIT_NO_THRESHOLD = 3


def add_calibrate_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``embedshift calibrate`` (they override the config's)."""
    add = parser.add_argument
    add("--config", "-c", type=Path, help="config file ([calibrator], [embedding], [thresholds])")
    add("--eval", action="append", type=Path, metavar="EVAL.jsonl", help="eval set (repeatable)")
    add("--qrels", action="append", metavar="[SEGMENT=]QRELS.tsv", help="qrels import (repeatable)")
    add("--queries", type=Path, metavar="QUERIES.jsonl", help="{id, text} of the qrels queries")
    add("--vectors", type=Path, metavar="DIR", help="precomputed new-model vectors")
    add("--chunks", type=Path, metavar="CHUNKS.jsonl", help="chunk sample to embed via the API")
    add("--doc-segments", type=Path, metavar="TSV", help="doc_id<TAB>segment lines")
    add("--old-vectors", type=Path, metavar="DIR", help="old-model vectors of the same sample")
    add("--old-threshold", type=float, metavar="T", help="the old model's threshold in use")
    add(
        "--policy",
        action="append",
        metavar="[SEGMENT:]KIND=X",
        help="target_recall=R, target_precision=P or max_f_beta=B (default target_recall=0.9); "
        "with SEGMENT: that segment only (repeatable)",
    )
    add("--average", choices=("micro", "macro"), help="average over pairs or per query")
    add("--min-queries", type=int, metavar="N", help="fewest labelled queries for a segment")
    add("--allow-fallback", action="store_true", help="accept segments losing their labels")
    add("--metric", choices=("cosine", "dot"), help="score metric (default cosine)")
    add("--top-n", type=int, metavar="N", help="candidates scored first per query (1000)")
    add("--bootstrap", type=int, metavar="N", help="query resamples for intervals (200)")
    add("--confidence", type=float, metavar="C", help="interval confidence (0.95)")
    add("--seed", type=int, help="bootstrap seed (0)")
    add("--out", type=Path, metavar="thresholds.json", help="where to publish")
    add("--report", type=Path, metavar="DIR", help="write PNG plots, HTML and JSON here")
    add("--quiet", "-q", action="store_true", help="no progress display")


def add_worker_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``embedshift worker`` (``python -m calibrator worker``)."""
    add = parser.add_argument
    add("--config", "-c", type=Path, default=Path("config.toml"), help="config file "
        "(default: %(default)s)")  # fmt: skip
    add("--interval", type=float, help="seconds between rounds (override)")
    add("--once", action="store_true", help="one round, then exit 0 or 1")


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def _interval(value: Interval | None) -> str:
    return "" if value is None else f" [{value[0]:.4f}, {value[1]:.4f}]"


def describe(result: ScopeResult) -> str:
    """One line for a scope: name, threshold, precision, recall, intervals, status, reason."""
    e = result.entry
    name = result.name or "(global)"
    text = (
        f"{name:<16} threshold {_num(e.threshold)}{_interval(e.intervals.threshold)}  "
        f"precision {_num(e.precision)}{_interval(e.intervals.precision)}  "
        f"recall {_num(e.recall)}{_interval(e.intervals.recall)}  "
        f"queries {e.n_queries}  {e.status}"
    )
    if not e.exact:
        text += " (inexact: raise top_n)"
    if e.reason:
        text += f"\n{'':<16} {e.reason}"
    if result.mapping is not None and result.mapping.threshold is not None:
        m = result.mapping
        text += (
            f"\n{'':<16} quantile mapping of old {m.old_threshold:g}: {m.threshold:.4f}"
            f"{_interval(m.interval)} (same share of pairs, {m.tail_share:.2e})"
        )
    return text


def summary(result: RunResult) -> str:
    """What the run published, for stdout."""
    cal, doc = result.calibration, result.document
    head = (
        f"published version {doc.version} for model {doc.model.name} "
        f"(policy {cal.settings.policy}, {result.duration_s:.1f} s)"
    )
    lines = [
        head,
        describe(cal.global_),
        *(describe(r) for r in cal.segments.values()),
    ]
    if result.report is not None:
        lines.append(f"report: {result.report}")
    return "\n".join(lines)


def calibrate_command(args: argparse.Namespace) -> int:
    """The handler of ``embedshift calibrate`` (see the module docstring for exit statuses)."""
    from calibrator.progress import progress_display
    from calibrator.run.execute import run_job
    from calibrator.run.job import job_from_args

    configure_logging("warning" if args.quiet else "info")
    job = job_from_args(args)
    with progress_display(args.quiet) as progress:
        result = run_job(job, progress)
    print(summary(result))  # noqa: T201 - the command's output
    scopes = [result.calibration.global_, *result.calibration.segments.values()]
    return EXIT_NO_THRESHOLD if any(r.entry.threshold is None for r in scopes) else 0
