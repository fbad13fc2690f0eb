"""The ``embedshift demo`` command line: its arguments and its handler.

Registering the command (:mod:`calibrator.commands`) imports only this module; the demo itself
(:mod:`calibrator.demo.run`, with numpy, faiss and rich) is imported by the handler.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from proxy.errors import ConfigError

SCENARIO_NAMES = ("healthy", "broken-index")  # calibrator.demo.scenario.SCENARIOS, no numpy


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``embedshift demo``."""
    add = parser.add_argument
    add("--duration", type=float, default=60.0, metavar="S", help="stop after S seconds at most "
        "(default 60; it ends sooner once flipped, refused or rolled back)")  # fmt: skip
    add(
        "--json",
        action="store_true",
        help="no live view; print the summary as JSON (every field: docs/demo.md)",
    )
    add("--report", type=Path, metavar="DIR", help="write the calibrator's report here")
    add("--seed", type=int, default=7, help="seed of the generated corpus (default 7)")
    add("--workdir", type=Path, metavar="DIR", help="keep the run's files and its summary.json "
        "here (default: a temp directory, removed at the end)")  # fmt: skip
    add("--rate", type=float, default=150.0, metavar="RPS", help="search requests per second "
        "(default 150)")  # fmt: skip
    add("--scenario", choices=SCENARIO_NAMES, default="healthy", help="healthy (default): a "
        "good new index, the gate passes and promotion flips; broken-index: the new index "
        "misses a quarter of the corpus, the gate fails on index health and nothing is "
        "promoted (exit status 1)")  # fmt: skip


def demo_command(args: argparse.Namespace) -> int:
    """``embedshift demo``: check the options, run the demo; its exit status."""
    from calibrator.demo.run import Options, run_demo

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
            scenario=args.scenario,
        )
    )
