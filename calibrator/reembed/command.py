"""The ``reembed`` and ``merge`` command lines: their arguments.

Registering a subcommand (:mod:`calibrator.commands`) imports only this module (argparse and
pathlib), so ``embedshift serve`` never loads the batch tools; the handlers
(:func:`calibrator.reembed.run.reembed_command`, :func:`calibrator.reembed.merge.merge_command`)
are imported when they run.
"""

from __future__ import annotations

import argparse
from pathlib import Path

DEFAULT_KEY_ENV = "OPENAI_API_KEY"


def add_reembed_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``reembed`` options."""
    add = parser.add_argument
    add("--source", type=Path, required=True, help="chunks JSONL: {id, text, ...} per line")
    add("--output", type=Path, required=True, help="output .jsonl (or .npy with --format npy)")
    add("--model", required=True, help="model name sent to the API")
    add("--api-base", default="https://api.openai.com/v1", help="API base up to /v1")
    add("--api-key-env", help=f"variable holding the API key (default: {DEFAULT_KEY_ENV} if set)")
    add("--checkpoint", type=Path, help="checkpoint file (default: OUTPUT.checkpoint.json)")
    add("--batch-size", type=int, default=100, help="texts per API call (default: %(default)s)")
    add("--concurrency", type=int, default=4, help="calls in flight (default: %(default)s)")
    add("--max-rpm", type=float, help="requests per minute allowed by the provider")
    add("--max-tpm", type=float, help="tokens per minute allowed by the provider")
    add("--format", choices=["jsonl", "npy"], help="output format (default: from OUTPUT)")
    add("--shard", default="0/1", help="embed only shard I of N (0-based), e.g. 3/8")
    add("--template", default="{text}", help="text sent, e.g. 'passage: {text}' for e5")
    add("--input-type", help="input_type sent with each call (e.g. passage)")
    add("--dimensions", type=int, help="dimensions requested (models that can shorten)")
    add("--skip-invalid", action="store_true", help="bisect refused batches, log bad chunks")
    add("--failed", type=Path, help="failed-items JSONL (default: OUTPUT.failed.jsonl)")
    add("--timeout", type=float, default=60.0, help="seconds per call (default: %(default)s)")
    add("--max-attempts", type=int, default=8, help="attempts per call (default: %(default)s)")
    add("--price-per-million", type=float, help="USD per million tokens, to show the cost")
    add("--checkpoint-every", type=int, default=1, help="fewest batches between checkpoints")
    add(
        "--checkpoint-interval",
        type=float,
        default=1.0,
        help="fewest seconds between checkpoints (default: %(default)s; 0: every batch)",
    )
    add("--progress-interval", type=float, default=30.0, help="seconds between log lines")
    add("--dry-run", action="store_true", help="validate and estimate; call nothing")


def add_merge_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``merge`` options."""
    add = parser.add_argument
    add("--source", type=Path, required=True, help="the source JSONL the shards were cut from")
    add("--parts", type=Path, nargs="+", required=True, help="every shard's output")
    add("--output", type=Path, required=True, help="the merged output (.jsonl or .npy)")
