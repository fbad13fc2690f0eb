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
