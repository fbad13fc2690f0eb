"""The calibrator's subcommands, registered through the ``embedshift.commands`` entry points.

Each ``register_*`` only declares arguments: the modules that do the work (and numpy, faiss)
are imported inside the handlers, so ``embedshift serve`` never loads them.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register_calibrate(subparsers: Any) -> None:
    """``embedshift calibrate``: thresholds for the new model from labelled samples."""
    parser = subparsers.add_parser(
        "calibrate",
        help="calibrate per-segment thresholds from labelled samples and publish them",
        description="Calibrate per-segment similarity thresholds for the new model from "
        "labelled queries and publish them as a versioned thresholds document. Options "
        "override the config's [calibrator] section. Exit status: 0 published, 3 published "
        "but some segment has no threshold that meets the policy, 1 failed (nothing "
        "published), 2 bad options or config.",
    )
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
    parser.set_defaults(handler=_calibrate)


def _calibrate(args: argparse.Namespace) -> int:
    from calibrator.run.command import calibrate_command

    return calibrate_command(args)


def register_inventory(subparsers: Any) -> None:
    """``embedshift inventory PATH... [--db URL]...``: find hardcoded similarity thresholds."""
    from calibrator.inventory.command import add_arguments

    parser = subparsers.add_parser(
        "inventory",
        help="find hardcoded similarity thresholds in code, config and databases",
        description="Find every place a similarity score is compared with, or configured "
        "as, a fixed value: Python, JavaScript/TypeScript, TOML/YAML/JSON/INI/.env, SQL "
        "files and live databases.",
    )
    add_arguments(parser)
    parser.set_defaults(handler=_inventory)


def _inventory(args: Any) -> int:
    from calibrator.inventory.command import run

    return run(args)


def register_reembed(subparsers: Any) -> None:
    """``embedshift reembed --source chunks.jsonl --model M --output out.jsonl``: resumable."""
    from calibrator.reembed.command import add_reembed_arguments, run_reembed_command

    parser = subparsers.add_parser(
        "reembed",
        help="re-embed a corpus through an OpenAI-compatible API, resumably",
        description="Embed every chunk of a JSONL source with the new model. Resumable "
        "exactly after any crash (rerun the same command), rate-limited, retried, "
        "shardable (--shard I/N) for a Kubernetes Indexed Job.",
    )
    add_reembed_arguments(parser)
    parser.set_defaults(handler=run_reembed_command)


def register_merge(subparsers: Any) -> None:
    """``embedshift merge --source chunks.jsonl --parts part-*.jsonl --output all.jsonl``."""
    from calibrator.reembed.command import add_merge_arguments, run_merge_command

    parser = subparsers.add_parser(
        "merge",
        help="merge sharded reembed outputs, checking they cover the source exactly once",
    )
    add_merge_arguments(parser)
    parser.set_defaults(handler=run_merge_command)


def register_sample(subparsers: Any) -> None:
    """``embedshift sample --source chunks.jsonl --by segment --size 1000 --seed 42``."""
    from calibrator.sample.stratified import add_arguments, run

    parser = subparsers.add_parser(
        "sample",
        help="a stratified, reproducible random sample of a JSONL file (streaming)",
    )
    add_arguments(parser)
    parser.set_defaults(handler=run)


def register_demo(subparsers: Any) -> None:
    """``embedshift demo``: the whole migration on loopback, offline, in about a minute."""
    parser = subparsers.add_parser(
        "demo",
        help="run the whole migration on an embedded default (offline, about a minute)",
        description="Two search backends over a generated corpus embedded in two geometries, "
        "the sidecar in front of them (embedshift serve, with its calibrator worker), labelled "
        "traffic, the gate and automatic promotion, shown live; then a summary. Exit status: "
        "0 flipped, 1 did not reach flipped in time, 130 interrupted.",
    )
    add = parser.add_argument
    add("--duration", type=float, default=60.0, metavar="S", help="stop after S seconds at most "
        "(default 60; it ends sooner, once flipped)")  # fmt: skip
    add("--json", action="store_true", help="no live view; print the summary as JSON")
    add("--report", type=Path, metavar="DIR", help="write the calibrator's report here")
    add("--seed", type=int, default=7, help="seed of the generated corpus (default 7)")
    add("--workdir", type=Path, metavar="DIR", help="keep the run's files here (default: a "
        "temp directory, removed at the end)")  # fmt: skip
    add("--rate", type=float, default=150.0, metavar="RPS", help="search requests per second "
        "(default 150)")  # fmt: skip
    parser.set_defaults(handler=_demo)


def _demo(args: argparse.Namespace) -> int:
    from calibrator.demo.run import Options, run_demo
    from proxy.errors import ConfigError

    if args.duration <= 0 or args.rate <= 0:
        raise ConfigError("--duration and --rate must be positive")
    return run_demo(
        Options(
            duration_s=args.duration,
            json=args.json,
            report_dir=args.report,
            seed=args.seed,
            workdir=args.workdir,
            rate=args.rate,
        )
    )
