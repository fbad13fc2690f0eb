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
