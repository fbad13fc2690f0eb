"""The sidecar's life-cycle: assemble the parts, start and stop them, serve, reload the config.

Owns the long-lived state of a running sidecar (:class:`~proxy.server.app.Sidecar`: upstream
clients, background tasks, the loop-lag monitor, the calibrator worker child), the ops listener
and ``embedshift serve``. Only :mod:`proxy.commands` imports it.

May import: proxy.admin, proxy.search, proxy.shadow, proxy.compare, proxy.flip, proxy.gate,
proxy.review, proxy.health,
proxy.thresholds, proxy.embeddings, proxy.upstream, proxy.config, proxy.errors, proxy.logs,
proxy.metrics, proxy.tasks.
"""
