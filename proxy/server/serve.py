"""``embedshift serve``: run the sidecar until SIGTERM, reloading its config on SIGHUP.

Start-up validates the whole config first, then what it names on this machine
(:mod:`proxy.server.preflight`: listen hosts, the state and examples files) and binds every
listener, all before the first log line: a bad file, a port in use or an unusable file is one
line ``embedshift: <file>: <key> ... (line N)`` and exit status 2. SIGTERM or SIGINT stops
accepting connections, lets in-flight client requests finish for up to
``[proxy].drain_timeout_s``, cancels background work and exits 0. SIGHUP re-reads the config
file: a valid file is swapped in atomically (listen addresses and upstreams need a restart,
and the log says so); a bad one, or one the running parts refuse, is logged in one line
(``config_reload_failed``), counted (``embedshift_config_reloads_total{result="error"}``),
and the running config stays.

Logs stay one JSON object per line when JSON is on: the standard library's loggers (aiohttp's
"Error handling request" included) and the event loop's unhandled errors are rendered by
structlog, their tracebacks inside the object.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import socket
import sys
from pathlib import Path
from typing import Any

import structlog
from aiohttp import web
from prometheus_client import CollectorRegistry

from proxy.config import load_config
from proxy.config.schema import Config
from proxy.config.where import Where
from proxy.errors import ConfigError
from proxy.logs import configure_logging, get_logger
from proxy.server import preflight
from proxy.server.app import SIDECAR, Sidecar, create_app
from proxy.server.limits import ClientLimits, GuardedSite
from proxy.server.worker_supervisor import WorkerSupervisor

log = get_logger("server")
GC_GEN0_THRESHOLD = 20_000  # CPython's default is 700 allocations


def install_event_loop_policy() -> str:
    """Use uvloop when installed (faster proxying); returns the loop's name."""
    try:
        import uvloop
    except ImportError:
        return "asyncio"
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    return "uvloop"


Bound = list[tuple[preflight.Listener, list[socket.socket]]]


async def start_sites(
    config: Config, app: web.Application, bound: Bound, limits: ClientLimits
) -> list[web.AppRunner]:
    """Serve the proxy, ops and admin applications on their bound sockets; returns the runners.

    The proxy listener's connections get the client limits (:mod:`proxy.server.limits`).
    """
    sidecar = app[SIDECAR]
    applications = {"proxy": app, "ops": sidecar.ops_app(), "admin": sidecar.admin_app()}
    runners: list[web.AppRunner] = []
    for listener, sockets in bound:
        runner = web.AppRunner(
            applications[listener.name],
            handle_signals=False,
            access_log=None,
            shutdown_timeout=config.proxy.drain_timeout_s,
        )
        await runner.setup()
        for sock in sockets:
            site = (
                GuardedSite(runner, sock, limits)
                if listener.name == "proxy"
                else web.SockSite(runner, sock)
            )
            await site.start()
        runners.append(runner)
        log.info("listening", listener=listener.name, address=listener.address)
    return runners


async def serve(config_path: Path, config: Config, bound: Bound) -> None:
    """Run until SIGTERM/SIGINT on the bound listeners; reload on SIGHUP."""
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(_loop_error)
    registry = CollectorRegistry()
    app = create_app(config, registry, source=str(config_path))
    sidecar = app[SIDECAR]
    runners = await start_sites(config, app, bound, sidecar.limits)
    # Everything allocated so far lives as long as the process: move it out of the collector's
    # sight, and collect the young generation less often, so that collections (pauses on the
    # request path) stay short and rare.
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_GEN0_THRESHOLD, *gc.get_threshold()[1:])
    if config.calibrator is not None and config.calibrator.worker_in_serve:
        supervisor = WorkerSupervisor(config_path, registry)
        sidecar.tasks.spawn(supervisor.run(), name="calibrator-worker")
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    loop.add_signal_handler(signal.SIGHUP, lambda: _reload(sidecar, config_path))
    log.info("started", config=str(config_path), routes=[r.name for r in config.routes])
    await _warn_unreachable(sidecar, config_path)
    await stop.wait()
    log.info("stopping", shadow_in_flight=len(sidecar.shadow_tasks))
    # the proxy listener first: it drains client requests while ops still answer probes
    for runner in runners:
        await runner.cleanup()
    log.info("stopped")


async def _warn_unreachable(sidecar: Sidecar, config_path: Path) -> None:
    """Say at start-up, once, which upstream does not answer and how to fix it."""
    effects = {
        "old": "clients get 502 and /readyz answers 503",
        "new": "every shadow request fails (outcome shadow_error)",
    }
    for name in sorted(sidecar.clients, key=lambda n: (n != "old", n)):
        failure = await sidecar.readiness.failure(name)
        if failure is None:
            continue
        log.warning(
            "upstream_unreachable",
            upstream=name,
            error=failure,
            fix=(
                f"start the search service at {sidecar.clients[name].base}, or set "
                f"[upstreams.{name}].url in {config_path}; until then "
                f"{effects.get(name, 'its requests fail')}"
            ),
        )


def _reload(sidecar: Sidecar, config_path: Path) -> None:
    try:
        config = load_config(config_path)
        preflight.check(config, Where(str(config_path), config_path.read_text("utf-8")))
        ignored = sidecar.reload(config)
    except Exception as e:  # a signal handler: whatever fails is one line, counted, survived
        sidecar.metrics.config_reloads.labels("error").inc()
        error = str(e) if isinstance(e, ConfigError) else f"{type(e).__name__}: {e}"
        log.error("config_reload_failed", error=error, kept="the running config")
        return
    sidecar.metrics.config_reloads.labels("ok").inc()
    log.info("config_reloaded", needs_restart=ignored)


def _loop_error(_loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """The event loop's unhandled errors, as one JSON log line each."""
    error = context.get("exception")
    log.error(
        "event_loop_error",
        message=context.get("message"),
        error=repr(error) if error is not None else None,
        exc_info=error if isinstance(error, BaseException) else None,
    )


def _stdlib_logs_as_json(fmt: str) -> None:
    """Render the standard library's log records (aiohttp's) as structlog's JSON lines."""
    if not (fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())):
        return
    formatter = structlog.stdlib.ProcessorFormatter(
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
        foreign_pre_chain=[
            structlog.stdlib.add_logger_name,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
        ],
    )
    for handler in logging.getLogger().handlers:
        handler.setFormatter(formatter)


def run(config_path: Path, config: Config) -> int:
    """Check the config, bind, configure logging, and serve; the exit status.

    ``config`` is the one ``serve`` loaded and validated from ``config_path`` before importing
    this module: it is not read and validated a second time.
    """
    where = Where(str(config_path), config_path.read_text("utf-8"))
    preflight.check(config, where)
    bound = preflight.bind_listeners(config, where)
    configure_logging(config.logging.level, config.logging.format)
    _stdlib_logs_as_json(config.logging.format)
    loop_name = install_event_loop_policy()
    log.info("event_loop", loop=loop_name)
    asyncio.run(serve(config_path, config, bound))
    return 0
