"""The ``embedshift`` command line (also ``python -m proxy``).

Subcommands are plug-ins found through the ``embedshift.commands`` entry-point group: each
entry names a ``register(subparsers)`` function that adds one subcommand and sets its
``handler``. That is how the calibrator's commands join without this lean package importing
:mod:`calibrator` (their modules import heavy libraries only inside their handlers).

A user mistake never shows a traceback: :class:`~proxy.errors.EmbedshiftError` is printed as
``embedshift: <message>`` and exits with its status (2 for config errors, 1 otherwise).

May import: proxy, proxy.commands, proxy.errors.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from importlib.metadata import entry_points
from typing import Any

from proxy import __version__
from proxy.errors import EmbedshiftError

Register = Callable[[Any], None]  # receives the subparsers action of argparse


def build_parser() -> argparse.ArgumentParser:
    """The parser with every installed subcommand."""
    parser = argparse.ArgumentParser(
        prog="embedshift",
        description="Shadow-compare search results across embedding models, recalibrate "
        "similarity thresholds, and flip traffic once old and new agree.",
    )
    parser.add_argument("--version", action="version", version=f"embedshift {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    found = sorted(entry_points(group="embedshift.commands"), key=lambda e: e.name)
    if not found:
        from proxy import commands  # not installed as a distribution: the proxy's own commands

        commands.register_serve(subparsers)
        commands.register_check_config(subparsers)
    for entry in found:
        register: Register = entry.load()
        register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        status: int = handler(args)
    except EmbedshiftError as e:
        print(f"embedshift: {e}", file=sys.stderr)  # noqa: T201 - the CLI's one error line
        return e.exit_status
    except KeyboardInterrupt:
        return 130
    return status
