"""The proxy's own subcommands: ``serve`` and ``check-config``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def _config_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        "-c",
        type=Path,
        default=Path("config.toml"),
        help="config file (default: %(default)s)",
    )


def register_serve(subparsers: Any) -> None:
    """``embedshift serve --config config.toml``: run the sidecar daemon."""
    parser = subparsers.add_parser(
        "serve", help="run the sidecar: proxy, shadow, metrics, admin API"
    )
    _config_arg(parser)
    parser.set_defaults(handler=_serve)


def _serve(args: argparse.Namespace) -> int:
    from proxy.server import run

    return run(args.config)


def register_check_config(subparsers: Any) -> None:
    """``embedshift check-config --config config.toml``: validate a config and say so."""
    parser = subparsers.add_parser("check-config", help="validate a config file and exit")
    _config_arg(parser)
    parser.set_defaults(handler=_check_config)


def _check_config(args: argparse.Namespace) -> int:
    from proxy.config import load_config
    from proxy.routes import RouteTable

    config = load_config(args.config)
    RouteTable(config, str(args.config))
    routes = ", ".join(r.name for r in config.routes) or "none"
    print(f"{args.config}: ok ({len(config.routes)} search routes: {routes})")  # noqa: T201
    return 0
