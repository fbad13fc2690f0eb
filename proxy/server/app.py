"""The sidecar's aiohttp applications and the state they share.

- :func:`create_app` is the client-facing proxy: every request is answered by the primary;
  configured search routes are also mirrored (see :mod:`proxy.shadow.mirror`).
- :func:`create_ops_app` serves ``/metrics``, ``/healthz`` and ``/readyz`` on their own address,
  so that probes and scrapes never collide with the search service's own paths.
- :func:`create_admin_app` (in :mod:`proxy.admin.api`) is the token-protected admin API.

All three share one :class:`Sidecar`, created by :func:`create_app` and started in its
``cleanup_ctx``: upstream sessions (one pool each), background tasks, the lag monitor, the
example store. What a config reload may change lives in a :class:`Runtime` that is swapped
atomically; a request keeps the runtime it started with.
"""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass

import aiohttp
from aiohttp import web
from prometheus_client import CollectorRegistry
from prometheus_client.aiohttp import make_aiohttp_handler

from proxy.compare.examples import ExampleStore
from proxy.config.schema import Config
from proxy.embeddings.query_embedder import EmbedderMetrics, QueryEmbedder
from proxy.flip.audit import AuditLog
from proxy.flip.modes import ModeController, canary_key
from proxy.flip.promotion import Promoter
from proxy.gate.monitor import GateMonitor
from proxy.jsondoc import parse_json_body
from proxy.logs import get_logger
from proxy.metrics import FlipMetrics, ProxyMetrics
from proxy.search.routes import RouteTable
from proxy.search.sides import SIDE_HEADER, answer_from_new, answer_with_mirror
from proxy.server.overload import LoopLagMonitor
from proxy.shadow.mirror import SHADOW_HEADER, Mirror, ShadowJob
from proxy.shadow.rewrite import ShadowRewriter
from proxy.tasks import BackgroundTasks
from proxy.thresholds.watch import ThresholdMetrics, ThresholdsInForce, ThresholdsWatcher
from proxy.upstream.forward import (
    UpstreamClient,
    forward_streamed,
    make_client,
    upstream_headers,
)

log = get_logger("app")


@dataclass(frozen=True, slots=True)
class Runtime:
    """What one config makes of the request path; replaced whole on reload."""

    config: Config
    table: RouteTable
    mirror: Mirror


class Sidecar:
    """The long-lived state of a running sidecar."""

    def __init__(
        self,
        config: Config,
        registry: CollectorRegistry,
        env: Mapping[str, str] | None = None,
        source: str = "config.toml",
    ) -> None:
        """Nothing starts here; :meth:`lifecycle` opens sessions and tasks."""
        self.env = os.environ if env is None else env
        self.source = source
        self.registry = registry
        self.metrics = ProxyMetrics(registry)
        self.tasks = BackgroundTasks()
        self.shadow_tasks = BackgroundTasks()
        # read at scrape time: exact, whatever order tasks finish in
        self.metrics.shadow_in_flight.set_function(lambda: len(self.shadow_tasks))
        self.lag = LoopLagMonitor(config.shadow.max_loop_lag_s, self.metrics.loop_lag)
        self.examples = ExampleStore(config.examples, on_drop=self.metrics.examples_dropped.inc)
        self.clients: dict[str, UpstreamClient] = {}
        self.embed_metrics = EmbedderMetrics(registry)
        self.embedder = (
            QueryEmbedder(config.embedding, self.embed_metrics, self.env)
            if config.embedding is not None
            else None
        )
        self.threshold_metrics = ThresholdMetrics(registry)
        self.thresholds = ThresholdsInForce()
        self.threshold_watcher = ThresholdsWatcher(
            lambda: self.runtime.config, self.threshold_metrics, self._set_thresholds
        )
        self.runtime = self._runtime(config)
        self.threshold_watcher.check()  # old thresholds (and a document) in force from the start
        self.started_at = time.time()
        # the mode in force, the gate and automatic promotion: see those modules
        self.flip_metrics = FlipMetrics(registry)
        self.audit = AuditLog(config.modes.state_path)
        self.modes = ModeController(self.audit, self.flip_metrics, canary_key(config))
        self.gate = GateMonitor(
            lambda: self.runtime.config,
            self.metrics.gate_counters(),
            self.flip_metrics,
            lambda: self.thresholds.active,
        )
        self.promoter = Promoter(self.modes, config.promotion)
        self._ready_checked = 0.0
        self._unready: list[str] = []

    def _runtime(self, config: Config) -> Runtime:
        table = RouteTable(config, self.source)
        # a lambda: self.clients is replaced when the sidecar starts
        rewriter = ShadowRewriter(table, self.embedder, lambda name: self.clients.get(name))  # noqa: PLW0108
        mirror = Mirror(
            config.shadow,
            config.comparison,
            self.metrics,
            self.lag,
            self.shadow_tasks,
            self.examples,
            rewriter,
            lambda: self.thresholds,
        )
        self.metrics.prime([r.name for r in config.routes], list(config.segments.names))
        return Runtime(config, table, mirror)

    def _set_thresholds(self, in_force: ThresholdsInForce) -> None:
        self.thresholds = in_force

    @property
    def config(self) -> Config:
        """The config in force."""
        return self.runtime.config

    def reload(self, config: Config) -> list[str]:
        """Swap in a new, already validated config; returns the keys that need a restart."""
        old = self.runtime.config
        ignored = [
            key
            for key, before, after in (
                ("[proxy].listen", old.proxy.listen, config.proxy.listen),
                ("[metrics].listen", old.metrics.listen, config.metrics.listen),
                ("[admin].listen", old.admin.listen, config.admin.listen),
                ("[upstreams]", old.upstreams, config.upstreams),
                ("[examples]", old.examples, config.examples),
                ("[embedding]", old.embedding, config.embedding),
                ("[modes].state_path", old.modes.state_path, config.modes.state_path),
            )
            if before != after
        ]
        self.lag.max_lag_s = config.shadow.max_loop_lag_s
        self.runtime = self._runtime(config)
        self.threshold_watcher.check()
        self.modes.set_key(canary_key(config))
        self.promoter.settings = config.promotion
        return ignored

    async def lifecycle(self, _app: web.Application) -> AsyncIterator[None]:
        """cleanup_ctx: open upstream pools and start background work; undo it on shutdown."""
        config = self.runtime.config
        self.clients = {
            name: make_client(name, up, self.env) for name, up in config.upstreams.items()
        }
        lag_task = self.tasks.spawn(self.lag.run(), name="loop-lag")
        examples_task = self.tasks.spawn(self.examples.run(), name="examples-writer")
        self.tasks.spawn(self.threshold_watcher.run(), name="thresholds-watch")
        self.tasks.spawn(self.gate.run(self.promoter.observe), name="gate")
        self.tasks.spawn(
            self.modes.follow(lambda: self.runtime.config.modes.poll_interval_s),
            name="modes-follow",
        )
        if self.runtime.mirror.rewriter is not None:
            self.tasks.spawn(self.runtime.mirror.rewriter.warm(), name="collections-warmup")
        yield
        lag_task.cancel()
        examples_task.cancel()
        await self.shadow_tasks.cancel_all()
        await self.tasks.cancel_all()
        self.examples.close()
        await self.gate.close()
        self.audit.close()
        if self.embedder is not None:
            await self.embedder.close()
        for client in self.clients.values():
            await client.pool.close()
            await client.session.close()

    async def ready(self) -> list[str]:
        """The upstreams clients depend on that do not answer HTTP (cached for a second).

        Old serves passthrough in every mode; new answers searches in canary and flipped, so
        there it must answer too. An empty list means ready.
        """
        now = time.monotonic()
        if now - self._ready_checked < 1.0:
            return self._unready
        self._ready_checked = now
        needed = ["old"] if self.modes.state.new_share == 0 else ["old", "new"]
        self._unready = [name for name in needed if not await self._answers(name)]
        return self._unready

    async def _answers(self, name: str) -> bool:
        client = self.clients.get(name)
        if client is None:
            return False
        try:
            async with client.session.get(
                client.url("/"), timeout=aiohttp.ClientTimeout(total=1.0), allow_redirects=False
            ) as response:
                await response.read()
        except (aiohttp.ClientError, OSError, TimeoutError):
            return False
        return True


SIDECAR = web.AppKey("sidecar", Sidecar)


def create_app(
    config: Config,
    registry: CollectorRegistry,
    *,
    env: Mapping[str, str] | None = None,
    source: str = "config.toml",
) -> web.Application:
    """The client-facing proxy application (its Sidecar is at ``app[SIDECAR]``)."""
    app = web.Application(client_max_size=config.proxy.max_body_bytes)
    sidecar = Sidecar(config, registry, env, source)
    app[SIDECAR] = sidecar
    app.cleanup_ctx.append(sidecar.lifecycle)
    app.router.add_route("*", "/{tail:.*}", _handle)
    return app


async def _handle(request: web.Request) -> web.StreamResponse:
    sidecar = request.app[SIDECAR]
    runtime = sidecar.runtime  # a request keeps the runtime it started with
    assignment = sidecar.modes.current  # ... and the mode: changes apply to later requests
    metrics = sidecar.metrics
    body = await request.read()
    primary = sidecar.clients["old"]
    found = runtime.table.match(request.method, request.path)
    if found is None or request.method == "HEAD":
        start = time.perf_counter()
        response = await forward_streamed(request, primary, body, upstream_headers(request))
        route_name = "passthrough" if found is None else found[0].name
        metrics.upstream_duration_for(primary.name, route_name).observe(time.perf_counter() - start)
        metrics.client_requests_for(route_name, response.status).inc()
        return response

    compiled, params = found
    route = compiled.route
    parsed = parse_json_body(body) if route.segment is not None and route.segment.json else None
    segment = runtime.table.segment_of(compiled, request.headers, params, parsed)
    bound = metrics.for_route(route.name, segment)
    if assignment.fraction > 0.0 and assignment.new_answers(request.headers, body):
        answered = await answer_from_new(
            request, sidecar, runtime, compiled, params, segment, bound, body
        )
        if answered is not None:
            if runtime.config.modes.side_header:
                answered.headers[SIDE_HEADER] = f"new;gen={assignment.state.generation}"
            return answered
    mirror = None
    if runtime.mirror.admit(bound, request.headers, body):
        shadow_headers = upstream_headers(request)
        shadow_headers[SHADOW_HEADER] = "1"
        mirror = ShadowJob(
            compiled=compiled,
            segment=segment,
            method=request.method,
            shadow_path=compiled.shadow_path(params, request.raw_path),
            body=body,
            headers=shadow_headers,
            shadow=sidecar.clients["new"],
            shadow_is_new=True,
        )
    response, _ = await answer_with_mirror(
        request, sidecar, runtime, bound, route.name, primary, body, request.raw_path, mirror
    )
    if runtime.config.modes.side_header:
        response.headers[SIDE_HEADER] = f"old;gen={assignment.state.generation}"
    return response


def create_ops_app(sidecar: Sidecar) -> web.Application:
    """``/metrics``, ``/healthz`` (the process serves) and ``/readyz`` (the primary answers)."""
    app = web.Application()
    app.router.add_get("/metrics", make_aiohttp_handler(sidecar.registry))

    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response(
            {"status": "ok", "uptime_s": round(time.time() - sidecar.started_at, 1)}
        )

    async def readyz(_request: web.Request) -> web.Response:
        unready = await sidecar.ready()
        if not unready:
            return web.json_response({"status": "ready"})
        body = {"status": "upstream unreachable", "upstream": unready[0], "upstreams": unready}
        return web.json_response(body, status=503)

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    return app
