"""The sidecar's assembly: every long-lived part built once, started and stopped together.

:func:`create_app` builds the client-facing proxy application around a :class:`Sidecar`, which
owns the long-lived state of a running sidecar and hands each application only what it uses:

- the request path gets a :class:`~proxy.search.handler.SearchPath` (route table, admission,
  rewriter and mirror of the config in force, the mode, the upstream clients, its metrics);
- the ops listener (:mod:`proxy.server.ops`) gets the registry and the readiness check;
- the admin API (:mod:`proxy.admin.api`) gets :class:`~proxy.admin.api.AdminDeps`;
- with ``[embeddings_api]``, the application's embeddings calls under its path prefix get an
  :class:`~proxy.embeddings.passthrough.EmbeddingsApi`, which fills the query memory that the
  rewriter reads for learned query text (docs/query-text.md).

Everything starts in the proxy application's ``cleanup_ctx`` (:meth:`Sidecar.lifecycle`):
upstream clients (two pools each), background tasks (loop lag, examples writer, thresholds
watch, gate, mode follower, collection warm-up), and stops there in reverse. What a config
reload may change is one :class:`~proxy.search.handler.Runtime`, swapped atomically; a request
keeps the runtime it started with.
"""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator, Mapping

from aiohttp import web
from prometheus_client import CollectorRegistry

from proxy.admin.api import AdminDeps, create_admin_app
from proxy.compare.examples import ExampleStore
from proxy.compare.record import Recorder
from proxy.config.schema import Config
from proxy.embeddings.memory import QueryMemory
from proxy.embeddings.passthrough import EmbeddingsApi
from proxy.embeddings.query_embedder import EmbedderMetrics, QueryEmbedder
from proxy.flip.audit import AuditLog
from proxy.flip.modes import ModeController, canary_key
from proxy.flip.promotion import Promoter
from proxy.gate.monitor import GateMonitor
from proxy.health.coverage import CoverageChecker
from proxy.metrics import (
    FlipMetrics,
    ProxyMetrics,
    QueryTextMetrics,
    ReviewMetrics,
    TranslationMetrics,
)
from proxy.review.capture import TextCapture
from proxy.review.store import ReviewStore
from proxy.search.handler import Runtime, SearchPath
from proxy.search.routes import RouteTable
from proxy.server.limits import ClientLimits
from proxy.server.ops import Readiness, create_ops_app
from proxy.server.overload import LoopLagMonitor
from proxy.shadow.admit import Admission
from proxy.shadow.mirror import Mirror
from proxy.shadow.rewrite import ShadowRewriter
from proxy.shadow.translate import MapInForce, ThresholdTranslator
from proxy.tasks import BackgroundTasks
from proxy.thresholds.watch import ThresholdMetrics, ThresholdsInForce, ThresholdsWatcher
from proxy.upstream.client import UpstreamClient, make_client
from proxy.upstream.headers import relay_headers


class Sidecar:
    """The long-lived state of a running sidecar."""

    def __init__(
        self,
        config: Config,
        registry: CollectorRegistry,
        env: Mapping[str, str] | None = None,
        source: str = "config.toml",
    ) -> None:
        """Nothing starts here; :meth:`lifecycle` opens clients and starts tasks."""
        self.env = os.environ if env is None else env
        self.source = source
        self.registry = registry
        self.started_at = time.time()
        self.metrics = ProxyMetrics(registry)
        self.limits = ClientLimits(config.proxy, registry)  # the proxy listener's connections
        self.tasks = BackgroundTasks()
        self.shadow_tasks = BackgroundTasks()
        # read at scrape time: exact, whatever order tasks finish in
        self.metrics.shadow_in_flight.set_function(lambda: len(self.shadow_tasks))
        self.lag = LoopLagMonitor(config.shadow.max_loop_lag_s, self.metrics.loop_lag)
        self.examples = ExampleStore(config.examples, on_drop=self.metrics.examples_dropped.inc)
        self.reviews = ReviewStore(config.review.path, ReviewMetrics(registry))
        self.clients: dict[str, UpstreamClient] = {}  # filled when the sidecar starts
        embed_metrics = EmbedderMetrics(registry)  # registered either way: series at zero
        self.embedder = (
            QueryEmbedder(config.embedding, embed_metrics, self.env)
            if config.embedding is not None
            else None
        )
        self.text_metrics = QueryTextMetrics(registry)  # registered either way: series at zero
        self.memory, self.embeddings_api = self._embeddings_api(config)
        self.thresholds = ThresholdsInForce()
        self.translation_metrics = TranslationMetrics(registry)
        self.threshold_watcher = ThresholdsWatcher(
            lambda: self.runtime.config, ThresholdMetrics(registry), self._set_thresholds
        )
        # the mode in force, the gate and automatic promotion: see those modules
        self.flip_metrics = FlipMetrics(registry)
        self.audit = AuditLog(config.modes.state_path)
        self.modes = ModeController(self.audit, self.flip_metrics, canary_key(config))
        # the new index's coverage: old result ids looked up by id (proxy/health/coverage.py)
        self.coverage = CoverageChecker(lambda: self.runtime.config.gate, self.clients.get)
        self.search = SearchPath(
            self._runtime(config), self.modes, self.metrics, self.flip_metrics.fallbacks
        )
        self.search.clients = self.clients
        self.threshold_watcher.check()  # old thresholds (and a document) in force from the start
        self.gate = GateMonitor(
            lambda: self.runtime.config,
            self.metrics.gate_counters(),
            self.flip_metrics,
            lambda: self.thresholds,
            reviews=self.reviews.tallies,
        )
        self.promoter = Promoter(self.modes, config.promotion)
        self.readiness = Readiness(self.clients, self.modes)

    def _runtime(self, config: Config) -> Runtime:
        table = RouteTable(config, self.source)
        rewriter = ShadowRewriter(
            [(c.route, c.adapter) for c in table.routes],
            self.embedder,
            self.clients.get,
            self.memory,
            self.text_metrics,
            translator=ThresholdTranslator(self._map_for, self.translation_metrics),
        )
        recorder = Recorder(
            config.comparison, self.examples, lambda: self.thresholds, coverage=self.coverage.offer
        )
        recorder.capture = TextCapture(config.review) if config.review.store_text else None
        self.metrics.prime([r.name for r in config.routes], list(config.segments.names))
        self.translation_metrics.prime([r.name for r in config.routes], list(config.segments.names))
        for route in config.routes:
            if route.query_text is not None and route.query_text.learned:
                for segment in [*config.segments.names, "other"]:
                    self.text_metrics.learned_for(route.name, segment)
        return Runtime(
            config=config,
            table=table,
            admission=Admission(config.shadow, self.lag, self.shadow_tasks),
            rewriter=rewriter,
            mirror=Mirror(config.shadow, self.metrics, self.shadow_tasks, rewriter, recorder),
        )

    def _embeddings_api(self, config: Config) -> tuple[QueryMemory | None, EmbeddingsApi | None]:
        """The query memory and the passthrough that fills it, with ``[embeddings_api]``."""
        section = config.embeddings_api
        if section is None:
            return None, None
        metrics = self.text_metrics
        memory = QueryMemory(
            max_entries=section.max_entries,
            max_bytes=section.max_bytes,
            ttl_s=section.ttl_s,
            min_cosine=section.min_cosine,
            on_evict=lambda reason, n: metrics.forgotten.labels(reason).inc(n),
        )
        metrics.entries.set_function(lambda: len(memory))
        metrics.bytes.set_function(lambda: memory.bytes)
        api = EmbeddingsApi(section, self.clients, memory, metrics, self.metrics, self.embedder)
        return memory, api

    def _set_thresholds(self, in_force: ThresholdsInForce) -> None:
        self.thresholds = in_force

    def _map_for(self, segment: str) -> MapInForce | None:
        """The old-to-new score map in force for ``segment`` (request thresholds, answers)."""
        document = self.thresholds.document
        score_map = None if document is None else document.map_for(segment)
        return (
            None
            if score_map is None or document is None
            else MapInForce(score_map, document.version)
        )

    @property
    def runtime(self) -> Runtime:
        """What the config in force makes of the request path."""
        return self.search.runtime

    @property
    def config(self) -> Config:
        """The config in force."""
        return self.search.runtime.config

    def reload(self, config: Config) -> list[str]:
        """Swap in a new, already validated config; returns the keys that need a restart."""
        old = self.config
        ignored = [
            key
            for key, before, after in (
                ("[proxy].listen", old.proxy.listen, config.proxy.listen),
                ("[metrics].listen", old.metrics.listen, config.metrics.listen),
                ("[admin].listen", old.admin.listen, config.admin.listen),
                ("[upstreams]", old.upstreams, config.upstreams),
                ("[examples]", old.examples, config.examples),
                ("[review].path", old.review.path, config.review.path),
                ("[embedding]", old.embedding, config.embedding),
                ("[embeddings_api]", old.embeddings_api, config.embeddings_api),
                ("[modes].state_path", old.modes.state_path, config.modes.state_path),
            )
            if before != after
        ]
        self.lag.max_lag_s = config.shadow.max_loop_lag_s
        self.limits.settings = config.proxy
        self.search.runtime = self._runtime(config)
        self.threshold_watcher.check()
        self.modes.set_key(canary_key(config))
        self.promoter.settings = config.promotion
        return ignored

    async def lifecycle(self, _app: web.Application) -> AsyncIterator[None]:
        """cleanup_ctx: open upstream pools and start background work; undo it on shutdown."""
        config = self.config
        self.clients.update(
            {name: make_client(name, up, self.env) for name, up in config.upstreams.items()}
        )
        lag_task = self.tasks.spawn(self.lag.run(), name="loop-lag")
        examples_task = self.tasks.spawn(self.examples.run(), name="examples-writer")
        if config.review.enabled:  # votes cast through other processes sharing the file
            self.tasks.spawn(self.reviews.follow(config.gate.interval_s), name="reviews-follow")
        self.tasks.spawn(self.threshold_watcher.run(), name="thresholds-watch")
        self.tasks.spawn(self.gate.run(self.promoter.observe), name="gate")
        self.tasks.spawn(
            self.modes.follow(lambda: self.config.modes.poll_interval_s), name="modes-follow"
        )
        self.tasks.spawn(self.runtime.rewriter.warm(), name="collections-warmup")
        if self.embeddings_api is not None:
            self.tasks.spawn(self.embeddings_api.forget_expired(), name="query-memory-expiry")
        yield
        lag_task.cancel()
        examples_task.cancel()
        await self.shadow_tasks.cancel_all()
        await self.tasks.cancel_all()
        if self.embeddings_api is not None:
            await self.embeddings_api.close()
            self.embeddings_api.memory.clear()
        self.examples.close()
        self.reviews.close()
        await self.gate.close()
        await self.coverage.close()
        self.audit.close()
        if self.embedder is not None:
            await self.embedder.close()
        for client in self.clients.values():
            await client.close()

    def admin_deps(self) -> AdminDeps:
        """What the admin API acts on."""
        return AdminDeps(
            config=lambda: self.config,
            env=self.env,
            examples=self.examples,
            modes=self.modes,
            audit=self.audit,
            gate=self.gate,
            promoter=self.promoter,
            thresholds=lambda: self.thresholds,
            reviews=self.reviews,
        )

    def admin_app(self) -> web.Application:
        """The admin application acting on this sidecar."""
        return create_admin_app(self.admin_deps())

    def ops_app(self) -> web.Application:
        """``/metrics``, ``/healthz`` and ``/readyz`` of this sidecar."""
        return create_ops_app(self.registry, self.readiness, self.started_at)


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
    if sidecar.embeddings_api is not None and config.embeddings_api is not None:
        prefix = config.embeddings_api.path_prefix  # before the catch-all: matched first
        app.router.add_route("*", prefix, sidecar.embeddings_api.handle)
        app.router.add_route("*", prefix + "/{tail:.*}", sidecar.embeddings_api.handle)
    app.router.add_route("*", "/{tail:.*}", sidecar.search.handle)
    app.on_response_prepare.append(relay_headers)  # no Server, Date the upstream did not send
    return app
