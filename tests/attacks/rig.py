"""What the attack tests share: loopback backends served from a thread, and raw HTTP helpers.

The sidecar under attack is always a real ``python -m proxy serve`` process
(:class:`tests.support.sidecar.Sidecar`); the backends it talks to are aiohttp applications
served by :class:`ThreadServer` on a loopback port from a thread of the test process (so that a
synchronous test can drive the sidecar with blocking calls while the backends keep answering),
or :class:`~tests.support.backends.FakeQdrant` processes.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import urllib.error
import urllib.request
from types import TracebackType
from typing import Any, Self

from aiohttp import web

from tests.support.components import free_port


class ThreadServer:
    """An aiohttp application on ``127.0.0.1:<free port>``, served from a thread of its own."""

    def __init__(self, app: web.Application) -> None:
        """Nothing runs until :meth:`__enter__`."""
        self.app = app
        self.port = free_port()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    @property
    def url(self) -> str:
        """Base URL of the server."""
        return f"http://127.0.0.1:{self.port}"

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._serve())
        self._loop.close()

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        runner = web.AppRunner(self.app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", self.port).start()
        self._ready.set()
        await self._stop.wait()
        await runner.cleanup()

    def __enter__(self) -> Self:
        """Start serving; returns once the port listens."""
        self._thread.start()
        if not self._ready.wait(10):
            msg = "the backend did not start"
            raise RuntimeError(msg)
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        """Stop serving and join the thread."""
        stop = self._stop
        if stop is not None:
            self._loop.call_soon_threadsafe(stop.set)
        self._thread.join(10)


def post(
    url: str, body: bytes | dict[str, Any], headers: dict[str, str] | None = None
) -> tuple[int, bytes, dict[str, str]]:
    """POST ``body`` (a dict is sent as JSON): (status, answer body, answer headers)."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(
        url, data=data, headers={"Content-Type": "application/json", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, answer.read(), dict(answer.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read(), dict(e.headers)


def raw_exchange(port: int, request: bytes, timeout_s: float = 10.0) -> bytes:
    """Send ``request`` as raw bytes on a new connection; everything read until it closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout_s) as sock:
        sock.sendall(request)
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


def nested(depth: int) -> bytes:
    """A JSON body ``{"a": {"a": ... 1 ...}}`` nested ``depth`` objects deep."""
    return b'{"a":' * depth + b"1" + b"}" * depth


class RawBackend:
    """An HTTP/1.1 server on loopback that answers every request with ``answer``, byte for byte.

    For answers aiohttp would not write (no ``Date``, no ``Server``, a chunked body with
    ``Connection: keep-alive``): a thread reads each request (header, Content-Length body) and
    writes the bytes given, keeping the connection open.
    """

    def __init__(self, answer: bytes) -> None:
        """Nothing runs until :meth:`__enter__`."""
        self.answer = answer
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self._threads: list[threading.Thread] = []
        self._accept = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        """Base URL of the server."""
        return f"http://127.0.0.1:{self.port}"

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            thread = threading.Thread(target=self._answer, args=(conn,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _answer(self, conn: socket.socket) -> None:
        buffer = b""
        with conn:
            while True:
                while b"\r\n\r\n" not in buffer:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buffer += chunk
                head, _, buffer = buffer.partition(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value.strip())
                while len(buffer) < length:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buffer += chunk
                buffer = buffer[length:]
                conn.sendall(self.answer)

    def __enter__(self) -> Self:
        """Start accepting."""
        self._accept.start()
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        """Stop accepting (open connections end with the test process)."""
        self.sock.close()
