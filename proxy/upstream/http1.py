"""A lean HTTP/1.1 client for the search path: keep-alive pools on asyncio protocols.

Search requests are small JSON bodies with small JSON answers, sent twice per mirrored query
(primary and shadow). aiohttp's general-purpose client spends most of the proxy's CPU on them
(request and response objects, timers, payload machinery); this client writes each request
in one buffer and parses the answer with httptools (llhttp, the parser Node.js uses), which
measured 2.8x the throughput of a bare aiohttp mirror on the same machine (bench/). Bodies
are buffered whole; everything else (streaming, upgrades, HEAD) stays on aiohttp.

Contract of :meth:`Http1Pool.request`: the answer's status, reason, raw headers (in order,
repeats kept) and whole body (de-chunked); or :class:`UpstreamError` whose ``kind`` is
``unreachable`` (no connection), ``timeout``, ``protocol`` (a malformed or cut answer) or
``too_large`` (the body passed ``max_body_bytes``: the connection is aborted as soon as the
announced Content-Length, or the bytes read, pass it, so no more of it is read or kept). A
request on a reused keep-alive connection that the server had closed is retried once on a
fresh connection when no byte of an answer arrived (search is read-only); nothing else is
ever retried.

Memory: a connection holds an answer only while it reads it. Once complete, the answer
belongs to its caller and the connection, back in the pool, keeps none of it; a closed
connection drops its parser and transport at once, so that nothing waits for the cyclic
garbage collector (which :mod:`proxy.server.serve` runs rarely) to free it.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import ssl
import typing
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

import httptools

ErrorKind = Literal["unreachable", "timeout", "protocol", "too_large"]
Header = tuple[bytes, bytes]


class UpstreamError(Exception):
    """A request got no usable answer; ``kind`` says why."""

    def __init__(self, kind: ErrorKind, message: str, *, retryable: bool = False) -> None:
        """``retryable``: the connection was reused and died before any answer byte."""
        super().__init__(message)
        self.kind: ErrorKind = kind
        self.retryable = retryable


@dataclass(frozen=True, slots=True)
class Answer:
    """An upstream's whole answer."""

    status: int
    reason: str
    headers: list[Header]
    body: bytes


class _Connection(asyncio.Protocol):
    """One keep-alive connection; one request at a time."""

    def __init__(self, pool: Http1Pool) -> None:
        self.pool: Http1Pool | None = pool
        self.transport: asyncio.Transport | None = None
        self.parser: httptools.HttpResponseParser | None = httptools.HttpResponseParser(self)
        self.waiter: asyncio.Future[Answer] | None = None
        self.reason = b""
        self.headers: list[Header] = []
        self.body: list[bytes] = []
        self.body_size = 0
        self.max_body = 0  # 0: no bound
        self.got_bytes = False
        self.headers_done = False
        self.closed = False
        self.reused = False

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports do not subclass asyncio.Transport: trust the protocol contract
        self.transport = typing.cast("asyncio.Transport", transport)

    def data_received(self, data: bytes) -> None:
        self.got_bytes = True
        if self.parser is None:
            return
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._fail(UpstreamError("protocol", "the upstream switched protocols on a search"))
        except httptools.HttpParserError as e:
            self._fail(UpstreamError("protocol", f"malformed answer: {e}"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.pool is not None:
            self.pool.forget(self)
        if self.waiter is not None and not self.waiter.done():
            if self.headers_done and not self._has_framing():
                self.on_message_complete()  # the answer was delimited by the close
            else:
                detail = f": {exc}" if exc else ""
                self._fail(
                    UpstreamError(
                        "protocol",
                        f"connection closed before a complete answer{detail}",
                        retryable=self.reused and not self.got_bytes,
                    )
                )
        # no cycle left for the garbage collector: parser -> self, transport <-> self
        self.parser = self.transport = self.pool = self.waiter = None
        self.headers, self.body = [], []

    # httptools callbacks
    def on_status(self, reason: bytes) -> None:
        self.reason += reason

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        self.headers_done = True
        if self.max_body:
            for name, value in self.headers:
                if name.lower() == b"content-length" and value.strip().isdigit():
                    if int(value) > self.max_body:
                        self._too_large(int(value))
                    return

    def on_body(self, body: bytes) -> None:
        if self.waiter is None:  # failed already: the rest of the chunk is dropped
            return
        self.body_size += len(body)
        if self.max_body and self.body_size > self.max_body:
            self._too_large(self.body_size)
            return
        self.body.append(body)

    def _too_large(self, size: int) -> None:
        self.body = []
        self._fail(
            UpstreamError("too_large", f"answer of {size} bytes or more, above {self.max_body}")
        )

    def on_message_complete(self) -> None:
        parser = self.parser
        if parser is None or self.waiter is None:  # failed already (too large): nothing to do
            return
        status = parser.get_status_code()
        if 100 <= status < 200:  # an interim answer (100 Continue, 103 Early Hints): skip it
            self.reason, self.headers, self.body, self.headers_done = b"", [], [], False
            self.body_size = 0
            return
        answer = Answer(status, self.reason.decode("latin-1"), self.headers, b"".join(self.body))
        # the answer is the caller's now: an idle connection keeps none of it
        self.headers, self.body = [], []
        keep = parser.should_keep_alive() and not self.closed
        waiter, self.waiter = self.waiter, None
        if keep and self.pool is not None:
            self.pool.release(self)
        elif self.transport is not None:
            self.transport.close()
        if waiter is not None and not waiter.done():
            waiter.set_result(answer)

    # helpers
    def _has_framing(self) -> bool:
        names = {name.lower() for name, _ in self.headers}
        return b"content-length" in names or b"transfer-encoding" in names

    def _fail(self, error: UpstreamError) -> None:
        if self.transport is not None:
            self.transport.abort()
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(error)
        self.waiter = None

    def send(self, data: bytes, waiter: asyncio.Future[Answer], max_body: int = 0) -> None:
        self.reason, self.headers, self.body = b"", [], []
        self.got_bytes = self.headers_done = False
        self.body_size, self.max_body = 0, max_body
        self.waiter = waiter
        assert self.transport is not None
        self.transport.write(data)

    def abort(self) -> None:
        self.closed = True
        if self.pool is not None:
            self.pool.forget(self)
        if self.transport is not None:
            self.transport.abort()


class Http1Pool:
    """Keep-alive connections to one upstream, at most ``max_connections`` open at once."""

    def __init__(self, base_url: str, max_connections: int, connect_timeout_s: float) -> None:
        """``base_url``: ``http://host:port`` or ``https://...`` (a path prefix is kept)."""
        parts = urlsplit(base_url)
        self.secure = parts.scheme == "https"
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or (443 if self.secure else 80)
        self.prefix = parts.path.rstrip("/").encode()
        default = (self.secure and self.port == 443) or (not self.secure and self.port == 80)
        port = b"" if default else b":%d" % self.port
        self.host_header = (parts.hostname or "").encode() + port
        self.max_connections = max_connections
        self.connect_timeout_s = connect_timeout_s
        self._ssl = ssl.create_default_context() if self.secure else None
        self._idle: collections.deque[_Connection] = collections.deque()
        self._open: set[_Connection] = set()
        self._connecting = 0  # slots taken by connections being opened
        self._waiters: collections.deque[asyncio.Future[_Connection | None]] = collections.deque()

    def release(self, conn: _Connection) -> None:
        """A connection finished its answer and can serve the next request."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                conn.reused = True
                waiter.set_result(conn)
                return
        self._idle.append(conn)

    def forget(self, conn: _Connection) -> None:
        """A connection closed: it no longer counts, and a waiter may open a new one."""
        if conn in self._open:
            self._open.discard(conn)
            with contextlib.suppress(ValueError):
                self._idle.remove(conn)
            self._wake_one()

    def _wake_one(self) -> None:
        """A slot freed up: the first waiter opens its own connection."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    async def _acquire(self) -> _Connection:
        while self._idle:
            conn = self._idle.pop()  # most recently used: least likely to have timed out
            if not conn.closed:
                conn.reused = True
                return conn
        if len(self._open) + self._connecting >= self.max_connections:
            waiter: asyncio.Future[_Connection | None] = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            conn_or_none = await waiter
            if conn_or_none is not None:
                return conn_or_none
        return await self._connect()

    async def _connect(self) -> _Connection:
        self._connecting += 1
        try:
            conn = await self._open_connection()
        except BaseException:
            self._connecting -= 1
            self._wake_one()
            raise
        self._connecting -= 1
        self._open.add(conn)
        return conn

    async def _open_connection(self) -> _Connection:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self.connect_timeout_s):
                _, conn = await loop.create_connection(
                    lambda: _Connection(self),
                    self.host,
                    self.port,
                    ssl=self._ssl,
                    server_hostname=self.host if self.secure else None,
                )
        except TimeoutError as e:
            msg = f"no connection to {self.host}:{self.port} within {self.connect_timeout_s} s"
            raise UpstreamError("unreachable", msg) from e
        except OSError as e:
            msg = f"cannot connect to {self.host}:{self.port}: {e.strerror or e}"
            raise UpstreamError("unreachable", msg) from e
        return conn

    def encode(self, method: str, target: bytes, headers: list[Header], body: bytes) -> bytes:
        """The request as one buffer: request line, Host, headers, Content-Length, body."""
        lines = [
            method.encode("ascii"), b" ", self.prefix, target, b" HTTP/1.1\r\nHost: ",
            self.host_header, b"\r\n",
        ]  # fmt: skip
        for name, value in headers:
            lines += (name, b": ", value, b"\r\n")
        lines += (b"Content-Length: ", str(len(body)).encode(), b"\r\n\r\n", body)
        return b"".join(lines)

    async def request(
        self,
        method: str,
        target: bytes,
        headers: list[Header],
        body: bytes,
        timeout_s: float,
        max_body_bytes: int = 0,
    ) -> Answer:
        """Send one request (``target``: raw path and query) and read the whole answer.

        ``max_body_bytes`` (0: no bound) bounds the answer's body: kind ``too_large`` past it.
        """
        data = self.encode(method, target, headers, body)
        try:
            async with asyncio.timeout(timeout_s):
                try:
                    return await self._exchange(data, max_body_bytes)
                except UpstreamError as e:
                    if not e.retryable:
                        raise
                    return await self._exchange(data, max_body_bytes)
        except TimeoutError as e:
            msg = f"no complete answer from {self.host}:{self.port} within {timeout_s} s"
            raise UpstreamError("timeout", msg) from e

    async def _exchange(self, data: bytes, max_body: int) -> Answer:
        conn = await self._acquire()
        waiter: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        try:
            conn.send(data, waiter, max_body)
            return await waiter
        except BaseException:
            if not waiter.done() or waiter.cancelled() or waiter.exception() is not None:
                conn.abort()  # never reuse a connection with an answer half read
            raise

    async def close(self) -> None:
        """Close every connection."""
        for conn in list(self._open):
            conn.abort()
        self._open.clear()
        self._idle.clear()
        for waiter in self._waiters:
            if not waiter.done():
                waiter.cancel()
