"""The command lines of a run: ``embedshift calibrate`` and ``embedshift worker``.

Their arguments are declared here, and ``calibrate``'s handler: it runs one calibration with
progress on stderr (:mod:`calibrator.progress`) and prints the outcome on stdout
(:mod:`calibrator.run.summary`: per scope its threshold, precision and recall with intervals,
status and reason, and the comparison with the old model; then the held-out check). Exit
status 0 when the document was published, 3 when it was published but some scope has no
threshold meeting its policy (its threshold is null), and through :mod:`proxy.cli` 1 or 2 on
errors (nothing published). Registering a command imports this module, so it imports only the
standard library and :mod:`proxy` at module level; the run is imported by the handler.
"""

from __future__ import annotations

import argparse
from pathlib import Path

EXIT_NO_THRESHOLD = 3


def add_calibrate_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``embedshift calibrate`` (they override the config's)."""
    add = parser.add_argument
    add("--config", "-c", type=Path, help="config file ([calibrator], [embedding], [thresholds])")
    add("--eval", action="append", type=Path, metavar="EVAL.jsonl", help="eval set (repeatable)")
    add(
        "--qrels",
        action="append",
        metavar="[SEGMENT=]QRELS.tsv",
        help="qrels import (repeatable, several per segment add up)",
    )
    add(
        "--queries",
        action="append",
        metavar="[SEGMENT=]QUERIES.jsonl",
        help="{id, text} of the qrels queries (repeatable; texts are needed for the API only)",
    )
    add(
        "--vectors",
        action="append",
        metavar="[SEGMENT=]DIR",
        help="precomputed new-model vectors: one DIR, or SEGMENT=DIR for each segment (its own "
        "documents and ids)",
    )
    add("--chunks", type=Path, metavar="CHUNKS.jsonl", help="chunk sample to embed via the API")
    add("--doc-segments", type=Path, metavar="TSV", help="doc_id<TAB>segment lines")
    add(
        "--old-vectors",
        action="append",
        metavar="[SEGMENT=]DIR",
        help="old-model vectors of the same sample, in the form of --vectors",
    )
    add("--old-threshold", type=float, metavar="T", help="the old model's threshold in use")
    add(
        "--holdout",
        action="append",
        metavar="SEGMENT=QRELS.tsv|SHARE",
        help="held-out labelled queries to check the published thresholds and map on: a qrels "
        "file, or the share of the segment's labelled queries to hold out (repeatable)",
    )
    add(
        "--check-at",
        metavar="T,T,...",
        help="old thresholds at which the held-out check compares old and mapped new "
        "(default: the old thresholds in force)",
    )
    add("--k", type=int, metavar="K", help="depth of nDCG, recall, overlap and RBO (10)")
    add("--rbo-p", type=float, metavar="P", help="RBO persistence (0.9, or [comparison].rbo_p)")
    add(
        "--quality-bootstrap",
        type=int,
        metavar="N",
        help="query resamples of the paired quality intervals (1000)",
    )
    add(
        "--preserve",
        choices=("recall", "precision"),
        help="what the old-to-new score map keeps (recall)",
    )
    add(
        "--policy",
        action="append",
        metavar="[SEGMENT:]KIND=X",
        help="target_recall=R, target_precision=P or max_f_beta=B (default target_recall=0.9); "
        "target_recall=old or target_precision=old: what the old model keeps at its threshold; "
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


def calibrate_command(args: argparse.Namespace) -> int:
    """The handler of ``embedshift calibrate`` (see the module docstring for exit statuses)."""
    from calibrator.progress import progress_display
    from calibrator.run.execute import run_job
    from calibrator.run.job import job_from_args
    from calibrator.run.summary import summary
    from proxy.logs import configure_logging  # structlog and rich: 80 ms no other command needs

    configure_logging("warning" if args.quiet else "info")
    job = job_from_args(args)
    with progress_display(args.quiet) as progress:
        result = run_job(job, progress)
    print(summary(result))  # noqa: T201 - the command's output
    scopes = [result.calibration.global_, *result.calibration.segments.values()]
    return EXIT_NO_THRESHOLD if any(r.entry.threshold is None for r in scopes) else 0
