"""The search path's HTTP/1.1 pool against real loopback servers, down to the bytes."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import web

from proxy.upstream.http1 import Http1Pool, UpstreamError


class RawServer:
    """A loopback TCP server answering each request with scripted bytes."""

    def __init__(self, answers):
        """``answers``: a list of bytes (or callables of the request bytes) used in turn."""
        self.answers = list(answers)
        self.requests: list[bytes] = []
        self.connections = 0
        self.server: asyncio.Server | None = None
        self.handlers: set[asyncio.Task[None]] = set()
        self.writers: list[asyncio.StreamWriter] = []

    async def handle(self, reader, writer):
        """Read one request head (and its Content-Length body), answer, repeat."""
        self.connections += 1
        self.writers.append(writer)
        task = asyncio.current_task()
        assert task is not None
        self.handlers.add(task)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                body = await reader.readexactly(length)
                self.requests.append(head + body)
                answer = self.answers.pop(0)
                if callable(answer):
                    answer = await answer(writer)
                if answer is None:
                    writer.close()
                    return
                writer.write(answer)
                await writer.drain()
                if b"Connection: close" in answer or (
                    b"content-length" not in answer.lower() and b"chunked" not in answer
                ):
                    writer.close()
                    return
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    async def __aenter__(self):
        """Start listening on a free port."""
        self.server = await asyncio.start_server(self.handle, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc):
        """Stop."""
        assert self.server is not None
        self.server.close()
        for task in self.handlers:
            task.cancel()
        await asyncio.gather(*self.handlers, return_exceptions=True)
        for writer in self.writers:
            writer.close()
        await self.server.wait_closed()

    @property
    def url(self):
        """Base URL."""
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"


def ok(body=b'{"result": []}', extra=b""):
    """A 200 with Content-Length."""
    return (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        + extra
        + b"Content-Length: %d\r\n\r\n" % len(body)
        + body
    )


async def test_request_bytes_and_keep_alive():
    """One buffer per request with Host and Content-Length; the connection is reused."""
    async with RawServer([ok(), ok(b"second")]) as server:
        pool = Http1Pool(server.url, 4, 1.0)
        first = await pool.request("POST", b"/c/x/points/search?a=1", [(b"X-A", b"1")], b"{}", 2.0)
        second = await pool.request("POST", b"/again", [], b"", 2.0)
        await pool.close()
        host = server.url.removeprefix("http://").encode()
    assert first.status == 200
    assert first.reason == "OK"
    assert first.body == b'{"result": []}'
    assert (b"Content-Type", b"application/json") in first.headers
    assert second.body == b"second"
    assert server.connections == 1
    assert server.requests[0] == (
        b"POST /c/x/points/search?a=1 HTTP/1.1\r\nHost: "
        + host
        + b"\r\nX-A: 1\r\nContent-Length: 2\r\n\r\n{}"
    )


async def test_chunked_and_repeated_headers_and_interim_answers():
    """Chunked bodies are joined, repeated headers kept, 100 Continue skipped."""
    chunked = (
        b"HTTP/1.1 100 Continue\r\n\r\n"
        b"HTTP/1.1 201 Created\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
        b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
    )
    async with RawServer([chunked]) as server:
        pool = Http1Pool(server.url, 4, 1.0)
        answer = await pool.request("POST", b"/", [], b"x", 2.0)
        await pool.close()
    assert answer.status == 201
    assert answer.body == b"hello world"
    assert [v for k, v in answer.headers if k == b"Set-Cookie"] == [b"a=1", b"b=2"]


async def test_close_delimited_body():
    """An answer without length or chunking ends when the server closes: that is the body."""
    async with RawServer([b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nall of it"]) as server:
        pool = Http1Pool(server.url, 4, 1.0)
        answer = await pool.request("GET", b"/", [], b"", 2.0)
        await pool.close()
    assert answer.body == b"all of it"


async def test_stale_keep_alive_connection_is_retried_once():
    """A reused connection the server closed is replaced transparently (no answer byte seen)."""
    async with RawServer([ok(b"one"), None, ok(b"two")]) as server:
        pool = Http1Pool(server.url, 4, 1.0)
        assert (await pool.request("POST", b"/", [], b"", 2.0)).body == b"one"
        assert (await pool.request("POST", b"/", [], b"", 2.0)).body == b"two"
        await pool.close()
    assert server.connections == 2


async def test_unreachable_timeout_and_malformed(dead_port):
    """No listener: unreachable; silence: timeout; garbage: protocol. Each an UpstreamError."""
    pool = Http1Pool(f"http://127.0.0.1:{dead_port}", 4, 1.0)
    with pytest.raises(UpstreamError) as caught:
        await pool.request("GET", b"/", [], b"", 1.0)
    assert caught.value.kind == "unreachable"

    async def hang(_writer):
        await asyncio.sleep(10)

    async with RawServer([hang]) as server:
        pool = Http1Pool(server.url, 4, 1.0)
        with pytest.raises(UpstreamError) as caught:
            await pool.request("GET", b"/", [], b"", 0.3)
        assert caught.value.kind == "timeout"
        await pool.close()

    async with RawServer([b"NOT HTTP AT ALL\r\n\r\n"]) as server:
        pool = Http1Pool(server.url, 4, 1.0)
        with pytest.raises(UpstreamError) as caught:
            await pool.request("GET", b"/", [], b"", 2.0)
        assert caught.value.kind == "protocol"
        await pool.close()


async def test_connection_limit_queues_instead_of_opening_more(aiohttp_server):
    """With max_connections = 2, twenty concurrent requests share two connections."""
    peers = set()

    async def slow(request):
        peers.add(request.transport.get_extra_info("peername"))
        await asyncio.sleep(0.05)
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/", slow)
    server = await aiohttp_server(app)
    pool = Http1Pool(str(server.make_url("")), 2, 1.0)
    answers = await asyncio.gather(*(pool.request("POST", b"/", [], b"{}", 5.0) for _ in range(20)))
    await pool.close()
    assert all(a.status == 200 for a in answers)
    assert len(peers) == 2
