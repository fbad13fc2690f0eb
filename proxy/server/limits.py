"""Slow and numerous clients: header and body read timeouts, and a cap on client connections.

aiohttp's server waits for a request's headers and body as long as the client likes (its only
bound is the keep-alive timeout, and only between requests), so 1,000 connections that send a
header byte every few seconds are held until the process runs out of files (slowloris). The
listeners of :mod:`proxy.server.serve` use :class:`GuardedSite`, whose connections follow the
rules of nginx and Envoy:

- ``[proxy].client_header_timeout_s``: the whole header of a request must arrive within this
  time, from the connection's start or the first byte of a keep-alive connection's next request
  (nginx's ``client_header_timeout``, HAProxy's ``timeout http-request``);
- ``[proxy].client_body_timeout_s``: while a body is read, at most this long between two reads
  (nginx's ``client_body_timeout``);
- either one passed: ``408 Request Timeout`` and the connection is closed, as nginx and HAProxy
  answer (``embedshift_client_timeouts_total{phase}``);
- aiohttp's own answers (400 to a request it cannot parse) carry no ``Server`` header, as
  relayed answers carry none the upstream did not send;
- ``[proxy].max_client_connections``: past it a new connection is closed at once, before any
  byte is read, as Envoy's ``global_downstream_max_connections`` does
  (``embedshift_client_connections_refused_total``); the connections open are the gauge
  ``embedshift_client_connections``.

The handler subclasses aiohttp's ``RequestHandler`` (one per connection) and reads two of its
fields: ``_request_count`` (grows when a request's headers are parsed) and ``_messages`` (that
request's body stream). aiohttp is pinned below 4 (pyproject.toml); tests/attacks/ cover both.
"""

from __future__ import annotations

import asyncio
import typing
from typing import Any

from aiohttp import web
from aiohttp.web_protocol import RequestHandler
from prometheus_client import CollectorRegistry, Counter, Gauge

from proxy.config.schema import ProxySection

TIMEOUT_ANSWER = (
    b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Type: text/plain\r\n"
    b"Content-Length: 16\r\n\r\nrequest timeout\n"
)


class ClientLimits:
    """The limits of one listener, its counters, and the connections it holds now."""

    def __init__(self, settings: ProxySection, registry: CollectorRegistry) -> None:
        """``settings`` is read when each connection opens (a reload applies to later ones)."""
        self.settings = settings
        self.open = 0
        self.connections = Gauge(
            "embedshift_client_connections",
            "Client connections open on the proxy listener now.",
            registry=registry,
        )
        self.connections.set_function(lambda: self.open)
        self.refused = Counter(
            "embedshift_client_connections_refused",
            "Client connections closed at once: [proxy].max_client_connections were open.",
            registry=registry,
        )
        self.timeouts = Counter(
            "embedshift_client_timeouts",
            "Client requests answered 408 and closed: header (client_header_timeout_s) or body "
            "(client_body_timeout_s) not read in time.",
            ("phase",),
            registry=registry,
        )
        for phase in ("header", "body"):
            self.timeouts.labels(phase)

    def handler(self, server: web.Server) -> RequestHandler:
        """A connection's handler (what aiohttp's ``Server()`` makes), with the limits."""
        kwargs: dict[str, Any] = server._kwargs  # noqa: SLF001 - the handler's settings
        return GuardedHandler(server, limits=self, loop=server._loop, **kwargs)  # noqa: SLF001


class GuardedHandler(RequestHandler):
    """aiohttp's per-connection handler, with read timeouts and the connection cap."""

    __slots__ = ("_limits", "_payload", "_phase", "_refused", "_timer")

    def __init__(self, manager: web.Server, *, limits: ClientLimits, **kwargs: Any) -> None:
        """``kwargs`` are aiohttp's own handler settings."""
        super().__init__(manager, **kwargs)
        self._limits = limits
        self._timer: asyncio.TimerHandle | None = None
        self._phase = "idle"  # idle, header, body
        self._refused = False
        self._payload: Any = None  # the body being read (aiohttp's StreamReader)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Refuse past the cap; else start waiting for the first request's header."""
        limits = self._limits
        if limits.open >= limits.settings.max_client_connections:
            self._refused = True
            limits.refused.inc()
            typing.cast("asyncio.Transport", transport).abort()
            return
        limits.open += 1
        super().connection_made(transport)
        self._arm("header")

    def connection_lost(self, exc: BaseException | None) -> None:
        """Forget the connection."""
        if self._refused:
            return
        self._limits.open -= 1
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        """Parse as aiohttp does, then move the timer to the phase the connection is in."""
        before = self._request_count
        super().data_received(data)
        if self._request_count > before and self._messages:  # a request's header is complete
            self._payload = self._messages[-1][1]
            if self._payload.is_eof():
                self._disarm()
            else:
                self._arm("body")
        elif self._phase == "body":
            if self._payload is None or self._payload.is_eof():
                self._disarm()
            else:
                self._arm("body")  # a read happened: the body timeout starts again
        elif self._phase == "idle" and data:
            self._arm("header")  # a keep-alive connection's next request has begun

    def handle_error(
        self,
        request: Any,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        """The error answer aiohttp makes (400 for a request it cannot parse), minus ``Server``.

        Relayed answers lose it in :func:`proxy.upstream.headers.relay_headers`; these never
        reach the application, so they lose it here.
        """
        answer = super().handle_error(request, status, exc, message)
        if not isinstance(answer, web.Response):
            return answer
        unsigned = _Unsigned(status=answer.status, reason=answer.reason, body=answer.body)
        unsigned.headers.update(answer.headers)
        return unsigned

    def _arm(self, phase: str) -> None:
        settings = self._limits.settings
        if self._timer is not None:
            if phase == "header" and self._phase == "header":
                return  # the header's time runs from its first byte, not from each byte
            self._timer.cancel()
        header = phase == "header"
        delay = settings.client_header_timeout_s if header else settings.client_body_timeout_s
        self._phase = phase
        self._timer = self._loop.call_later(delay, self._expired)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._phase = "idle"
        self._payload = None

    def _expired(self) -> None:
        self._timer = None
        phase, self._phase = self._phase, "idle"
        transport = self.transport
        if transport is None or phase == "idle":
            return
        self._limits.timeouts.labels(phase).inc()
        transport.write(TIMEOUT_ANSWER)  # nothing is answered before the body is read whole
        self.force_close()


class _Unsigned(web.Response):
    """An answer of aiohttp's own (a request it could not parse) without its ``Server``."""

    async def _prepare_headers(self) -> None:
        await super()._prepare_headers()
        self.headers.popall("Server", None)


class GuardedSite(web.SockSite):
    """A listener on a bound socket whose connections get :class:`GuardedHandler`."""

    def __init__(self, runner: web.BaseRunner, sock: Any, limits: ClientLimits) -> None:
        """``sock`` is bound and listening already (:mod:`proxy.server.serve` binds first)."""
        super().__init__(runner, sock)
        self._limits = limits

    async def start(self) -> None:
        """Start as ``SockSite.start`` does, with the guarded handler factory."""
        await web.BaseSite.start(self)
        server = self._runner.server
        assert server is not None
        limits = self._limits
        self._server = await asyncio.get_running_loop().create_server(
            lambda: limits.handler(server), sock=self._sock, backlog=self._backlog
        )
