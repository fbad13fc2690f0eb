"""The ops listener: ``/metrics``, ``/healthz`` and ``/readyz``, on an address of their own.

Probes and scrapes never collide with the search service's own paths, and keep answering while
the proxy listener drains on SIGTERM.

- ``/metrics``: every family of the registry (Prometheus text format).
- ``/healthz``: 200 while the process serves, with its uptime.
- ``/readyz``: 200 while the upstreams clients depend on answer HTTP; else 503 naming them.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

import aiohttp
from aiohttp import web
from prometheus_client import CollectorRegistry
from prometheus_client.aiohttp import make_aiohttp_handler

from proxy.flip.modes import ModeController
from proxy.upstream.client import UpstreamClient
from proxy.upstream.forward import describe_failure

READY_CACHE_S = 1.0


class Readiness:
    """Which upstreams clients depend on do not answer (cached for :data:`READY_CACHE_S`).

    Old serves passthrough in every mode; new answers searches in canary and flipped, so
    there it must answer too.
    """

    def __init__(self, clients: Mapping[str, UpstreamClient], modes: ModeController) -> None:
        """``clients`` is the sidecar's own mapping, filled when it starts."""
        self.clients = clients
        self.modes = modes
        self.checked_at = 0.0
        self._unready: list[str] = []
        self.failures: dict[str, str] = {}  # upstream name: why it did not answer, last check

    async def unready(self) -> list[str]:
        """The names of the needed upstreams that do not answer; empty means ready."""
        now = time.monotonic()
        if now - self.checked_at < READY_CACHE_S:
            return self._unready
        self.checked_at = now
        needed = ["old"] if self.modes.state.new_share == 0 else ["old", "new"]
        self._unready = [name for name in needed if not await self._answers(name)]
        return self._unready

    async def _answers(self, name: str) -> bool:
        failure = await self.failure(name)
        if failure is None:
            self.failures.pop(name, None)
            return True
        self.failures[name] = failure
        return False

    async def failure(self, name: str) -> str | None:
        """Why upstream ``name`` does not answer HTTP, as a person reads it; None if it does."""
        client = self.clients.get(name)
        if client is None:
            return f"no {name} upstream is configured"
        try:
            async with client.session.get(
                client.url("/"), timeout=aiohttp.ClientTimeout(total=1.0), allow_redirects=False
            ) as response:
                await response.read()
        except (aiohttp.ClientError, OSError, TimeoutError) as e:
            return describe_failure(client, e)
        return None


def create_ops_app(
    registry: CollectorRegistry, readiness: Readiness, started_at: float
) -> web.Application:
    """The ops application (module docstring)."""
    app = web.Application()
    app.router.add_get("/metrics", make_aiohttp_handler(registry))

    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok", "uptime_s": round(time.time() - started_at, 1)})

    async def readyz(_request: web.Request) -> web.Response:
        unready = await readiness.unready()
        if not unready:
            return web.json_response({"status": "ready"})
        body = {
            "status": "upstream unreachable",
            "upstream": unready[0],
            "upstreams": unready,
            "detail": readiness.failures.get(unready[0], ""),
        }
        return web.json_response(body, status=503)

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    return app
