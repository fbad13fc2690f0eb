"""``python -m calibrator worker --config config.toml``: the calibrator worker process.

Also ``python -m calibrator calibrate ...``, the same as ``embedshift calibrate``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from calibrator.commands import register_calibrate
from proxy.cli import main as cli_main


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the worker (or hand ``calibrate`` to the CLI)."""
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["calibrate"]:
        return cli_main(args)
    parser = argparse.ArgumentParser(prog="python -m calibrator")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    worker = commands.add_parser("worker", help="recalibrate whenever the inputs change")
    worker.add_argument("--config", "-c", type=Path, default=Path("config.toml"))
    worker.add_argument("--interval", type=float, help="seconds between rounds (override)")
    worker.add_argument("--once", action="store_true", help="one round, then exit 0 or 1")
    register_calibrate(commands)
    parsed = parser.parse_args(args)
    from calibrator.run.worker import main_worker

    return main_worker(parsed.config, parsed.interval, parsed.once)


if __name__ == "__main__":
    sys.exit(main())
