"""The proxy's own subcommands: ``serve``, ``check-config``, ``status`` and ``flip``.

May import: proxy.server, proxy.admin, proxy.search, proxy.config.
"""

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
        "serve",
        help="run the sidecar: proxy, shadow, metrics, admin API",
        description="Run the sidecar in front of [upstreams.old]: answer every request from "
        "it, mirror searches to [upstreams.new] and compare, serve /metrics and the admin API, "
        "until SIGTERM (SIGHUP reloads the config).",
    )
    _config_arg(parser)
    parser.set_defaults(handler=_serve)


def _serve(args: argparse.Namespace) -> int:
    from proxy.config import load_config

    # a config that does not validate is reported before the server's libraries (aiohttp,
    # the admin API, the search routes) are imported: a third of a second less to say so
    config = load_config(args.config)
    from proxy.server.serve import run

    return run(args.config, config)


def register_check_config(subparsers: Any) -> None:
    """``embedshift check-config --config config.toml``: validate a config and say so."""
    parser = subparsers.add_parser(
        "check-config",
        help="validate a config file and exit",
        description="Validate a config file (every key, its type and its bounds) and its search "
        "routes, then exit: 0 valid, 2 with the file, key and what was expected.",
    )
    _config_arg(parser)
    parser.set_defaults(handler=_check_config)


def _check_config(args: argparse.Namespace) -> int:
    from proxy.config import load_config
    from proxy.config.where import Where
    from proxy.search.routes import RouteTable
    from proxy.server import preflight

    config = load_config(args.config)
    RouteTable(config, str(args.config))
    preflight.check(config, Where(str(args.config), args.config.read_text("utf-8")))
    routes = ", ".join(r.name for r in config.routes) or "none"
    print(f"{args.config}: ok ({len(config.routes)} search routes: {routes})")  # noqa: T201
    return 0


def _admin_args(parser: argparse.ArgumentParser) -> None:
    _config_arg(parser)
    parser.add_argument("--admin", help="admin API base URL (default: from [admin].listen)")
    parser.add_argument(
        "--token-env", help="variable holding the admin token (default: [admin].token_env)"
    )
    parser.add_argument("--json", action="store_true", help="print the API's JSON answer")


def register_status(subparsers: Any) -> None:
    """``embedshift status``: mode, gate verdicts and reasons, thresholds in force."""
    parser = subparsers.add_parser(
        "status",
        help="show the sidecar's mode, the gate's verdicts and the thresholds in force",
        description="Ask a running sidecar's admin API for its mode, the gate's verdict and "
        "reasons per segment, and the thresholds in force.",
    )
    _admin_args(parser)
    parser.add_argument(
        "--criteria",
        action="store_true",
        help="also list every criterion of every segment (status and what it measured)",
    )
    parser.set_defaults(handler=_status)


def _status(args: argparse.Namespace) -> int:
    import json

    from proxy.admin.client import AdminClient, format_status
    from proxy.config import load_config

    client = AdminClient.from_config(load_config(args.config), args.admin, args.token_env)
    status = client.call("GET", "/admin/status")
    text = (
        json.dumps(status, indent=2) if args.json else format_status(status, criteria=args.criteria)
    )
    print(text)  # noqa: T201
    return 0


def register_flip(subparsers: Any) -> None:
    """``embedshift flip --to new|old|canary [--percent N] [--force --reason ...]``."""
    parser = subparsers.add_parser(
        "flip",
        help="send search traffic to the new index (canary, flipped) or back to the old",
        description="Change a running sidecar's mode through its admin API: --to canary "
        "--percent N, --to new (flipped), --to old (rollback, never blocked). A change the gate "
        'refuses exits 1 with its reasons; --force --reason "..." overrides it.',
    )
    _admin_args(parser)
    parser.add_argument(
        "--to",
        required=True,
        choices=("new", "old", "canary"),
        help="new: flipped; old: shadow (rollback); canary: --percent of searches on new",
    )
    parser.add_argument("--percent", type=float, help="canary share of searches, 0 < N < 100")
    parser.add_argument("--reason", help="why (recorded in the audit log)")
    parser.add_argument(
        "--force", action="store_true", help="override a gate that does not pass (needs --reason)"
    )
    parser.set_defaults(handler=_flip)


def _flip(args: argparse.Namespace) -> int:
    import json

    from proxy.admin.client import AdminClient, flip_body
    from proxy.config import load_config

    body = flip_body(args.to, args.percent, args.reason, args.force)
    client = AdminClient.from_config(load_config(args.config), args.admin, args.token_env)
    answer = client.call("POST", "/admin/mode", body)
    if args.json:
        print(json.dumps(answer, indent=2))  # noqa: T201
        return 0
    mode = answer["mode"]
    shown = f"canary {mode['percent']:g}%" if mode["mode"] == "canary" else mode["mode"]
    done = "now" if answer["changed"] else "already"
    print(f"mode: {done} {shown} (generation {mode['generation']})")  # noqa: T201
    return 0
