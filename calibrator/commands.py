"""The calibrator's subcommands, registered through the ``embedshift.commands`` entry points.

Each ``register_*`` only declares arguments: the modules that do the work (and numpy, faiss)
are imported inside the handlers, so ``embedshift serve`` never loads them.
"""

from __future__ import annotations

from typing import Any


def register_calibrate(subparsers: Any) -> None:
    """``embedshift calibrate``: thresholds for the new model from labelled samples."""
    parser = subparsers.add_parser(
        "calibrate", help="calibrate per-segment thresholds (not yet built)"
    )
    parser.set_defaults(handler=_not_yet)


def _not_yet(_args: Any) -> int:
    from proxy.errors import EmbedshiftError

    raise EmbedshiftError("calibrate is not built yet")


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
    from calibrator.sample import add_arguments, run

    parser = subparsers.add_parser(
        "sample",
        help="a stratified, reproducible random sample of a JSONL file (streaming)",
    )
    add_arguments(parser)
    parser.set_defaults(handler=run)
