"""``embedshift serve``: run the sidecar until SIGTERM, reloading its config on SIGHUP.

Start-up validates the whole config first (exit status 2 on a bad file, before anything
listens). SIGTERM or SIGINT stops accepting connections, lets in-flight client requests finish
for up to ``[proxy].drain_timeout_s``, cancels background work and exits 0. SIGHUP re-reads the
config file: a valid file is swapped in atomically (listen addresses and upstreams need a
restart, and the log says so); a bad one is logged and the running config stays.
"""

from __future__ import annotations

import asyncio
import gc
import signal
from pathlib import Path

from aiohttp import web
from prometheus_client import CollectorRegistry

from proxy.config import load_config
from proxy.config.schema import Config, parse_listen
from proxy.errors import ConfigError
from proxy.logs import configure_logging, get_logger
from proxy.server.app import SIDECAR, Sidecar, create_app
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


async def start_sites(config: Config, app: web.Application) -> list[web.AppRunner]:
    """Start the proxy, ops and admin listeners; returns their runners (to clean up)."""
    sidecar = app[SIDECAR]
    runners: list[web.AppRunner] = []
    for name, application, listen in (
        ("proxy", app, config.proxy.listen),
        ("ops", sidecar.ops_app(), config.metrics.listen),
        ("admin", sidecar.admin_app(), config.admin.listen),
    ):
        runner = web.AppRunner(
            application,
            handle_signals=False,
            access_log=None,
            shutdown_timeout=config.proxy.drain_timeout_s,
        )
        await runner.setup()
        host, port = parse_listen(listen)
        try:
            reuse_port = name == "proxy" and config.proxy.reuse_port
            await web.TCPSite(
                runner, host, port, reuse_address=True, reuse_port=reuse_port or None
            ).start()
        except OSError as e:
            for started in reversed(runners):
                await started.cleanup()
            await runner.cleanup()
            raise ConfigError(f"cannot listen on {listen} for {name}: {e.strerror or e}") from e
        runners.append(runner)
        log.info("listening", listener=name, address=listen)
    return runners


async def serve(config_path: Path, config: Config) -> None:
    """Run until SIGTERM/SIGINT; reload on SIGHUP."""
    registry = CollectorRegistry()
    app = create_app(config, registry, source=str(config_path))
    sidecar = app[SIDECAR]
    runners = await start_sites(config, app)
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
    loop = asyncio.get_running_loop()
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
        ignored = sidecar.reload(config)
    except ConfigError as e:
        sidecar.metrics.config_reloads.labels("error").inc()
        log.error("config_reload_failed", error=str(e), kept="the running config")
        return
    sidecar.metrics.config_reloads.labels("ok").inc()
    log.info("config_reloaded", needs_restart=ignored)


def run(config_path: Path) -> int:
    """Validate the config, configure logging, and serve; returns the exit status."""
    config = load_config(config_path)
    configure_logging(config.logging.level, config.logging.format)
    loop_name = install_event_loop_policy()
    log.info("event_loop", loop=loop_name)
    asyncio.run(serve(config_path, config))
    return 0
