"""The primary path: forward a client request to an upstream and answer with its response.

Method, path, query string, body and end-to-end headers go upstream unchanged (hop-by-hop
headers are dropped, ``X-Forwarded-For``/``-Host``/``-Proto`` added); the upstream's status,
headers and body come back unchanged (hop-by-hop headers dropped, no decompression, no
re-encoding). An unreachable upstream gives 502 and a slow one 504, each with a small JSON
body naming the upstream: never a hang.
"""

from __future__ import annotations

import io
import json
import os
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import aiohttp
from aiohttp import web
from multidict import CIMultiDict
from yarl import URL

from proxy.config.schema import Upstream
from proxy.upstream.http1 import Header, Http1Pool, UpstreamError

# RFC 9110 section 7.6.1, plus the proxy-auth pair; Host is set for the upstream by aiohttp.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)
STREAM_CHUNK = 64 * 1024
LARGE_BODY = 1024 * 1024  # aiohttp warns about raw bytes bodies above 1 MiB


@dataclass(slots=True)
class UpstreamClient:
    """One upstream: its base URL, its own connection pool and its timeouts."""

    name: str
    base: str
    session: aiohttp.ClientSession  # passthrough: streaming, any method
    pool: Http1Pool  # search routes: small buffered JSON exchanges, the hot path
    timeout: aiohttp.ClientTimeout
    extra_headers: Mapping[str, str]

    def url(self, raw_path: str) -> URL:
        """The upstream URL for a raw (already encoded) path with query string."""
        return URL(self.base + raw_path, encoded=True)


def make_session(upstream: Upstream) -> aiohttp.ClientSession:
    """A client session with its own keep-alive pool, passing bytes through untouched."""
    connector = aiohttp.TCPConnector(
        limit=upstream.max_connections, limit_per_host=upstream.max_connections, ttl_dns_cache=300
    )
    return aiohttp.ClientSession(
        connector=connector,
        auto_decompress=False,
        skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding", "Content-Type"),
        cookie_jar=aiohttp.DummyCookieJar(),
    )


def make_client(
    name: str, upstream: Upstream, env: Mapping[str, str] | None = None
) -> UpstreamClient:
    """An :class:`UpstreamClient` for ``upstream``; header secrets read from ``env``."""
    environ = os.environ if env is None else env
    extra = {h: environ[v] for h, v in upstream.headers_env.items() if v in environ}
    return UpstreamClient(
        name=name,
        base=upstream.url.rstrip("/"),
        session=make_session(upstream),
        pool=Http1Pool(upstream.url, upstream.max_connections, upstream.connect_timeout_s),
        timeout=aiohttp.ClientTimeout(total=upstream.timeout_s, connect=upstream.connect_timeout_s),
        extra_headers=extra,
    )


def upstream_headers(request: web.Request) -> CIMultiDict[str]:
    """The client's end-to-end headers plus the X-Forwarded-* trio."""
    headers: CIMultiDict[str] = CIMultiDict()
    connection_tokens = {
        t.strip().lower() for t in request.headers.get("Connection", "").split(",") if t.strip()
    }
    for key, value in request.headers.items():
        lower = key.lower()
        if lower in HOP_BY_HOP or lower in connection_tokens:
            continue
        headers.add(key, value)
    peer = request.remote or ""
    previous = request.headers.get("X-Forwarded-For")
    headers["X-Forwarded-For"] = f"{previous}, {peer}" if previous else peer
    if "X-Forwarded-Host" not in headers and request.host:
        headers["X-Forwarded-Host"] = request.host
    if "X-Forwarded-Proto" not in headers:
        headers["X-Forwarded-Proto"] = request.scheme
    return headers


_HOP_BY_HOP_BYTES = frozenset(h.encode() for h in HOP_BY_HOP) | {b"expect"}


def search_headers(request: web.Request, extra: Mapping[str, str]) -> list[Header]:
    """The client's end-to-end headers as bytes, X-Forwarded-* and ``extra`` added.

    The fast twin of :func:`upstream_headers` for the search path: Host and Content-Length
    are written by the pool, ``Expect`` is dropped because the body is already here.
    """
    raw = request.raw_headers
    tokens: frozenset[bytes] = frozenset()
    forwarded_for = b""
    has_host = has_proto = False
    out: list[Header] = []
    for name, value in raw:
        lower = name.lower()
        if lower == b"connection":
            tokens = frozenset(t.strip().lower() for t in value.split(b",") if t.strip())
    for name, value in raw:
        lower = name.lower()
        if lower in _HOP_BY_HOP_BYTES or lower in tokens:
            continue
        if lower == b"x-forwarded-for":
            forwarded_for = value + b", "
            continue
        has_host = has_host or lower == b"x-forwarded-host"
        has_proto = has_proto or lower == b"x-forwarded-proto"
        out.append((name, value))
    peer = (request.remote or "").encode()
    out.append((b"X-Forwarded-For", forwarded_for + peer))
    if not has_host and request.host:
        out.append((b"X-Forwarded-Host", request.host.encode("latin-1")))
    if not has_proto:
        out.append((b"X-Forwarded-Proto", request.scheme.encode()))
    for extra_name, extra_value in extra.items():
        out.append((extra_name.encode("latin-1"), extra_value.encode("latin-1")))
    return out


def encode_headers(headers: CIMultiDict[str]) -> list[Header]:
    """A header multidict as the byte pairs the pool writes (Host and lengths left out)."""
    return [
        (k.encode("latin-1"), v.encode("latin-1"))
        for k, v in headers.items()
        if k.lower() not in _SET_BY_POOL
    ]


_SET_BY_POOL = frozenset({"host", "content-length", "transfer-encoding", "expect"})


async def forward_search(
    request: web.Request,
    client: UpstreamClient,
    body: bytes,
    headers: list[Header],
    raw_path: str | None = None,
) -> tuple[web.StreamResponse, PrimaryAnswer | None]:
    """Forward a search on the fast pool and answer with the whole response.

    ``raw_path`` (with query string) replaces the client's: a search rewritten for the new index.
    """
    start = time.perf_counter()
    target = (request.raw_path if raw_path is None else raw_path).encode()
    try:
        answer = await client.pool.request(
            request.method, target, headers, body, client.timeout.total or 30.0
        )
    except UpstreamError as e:
        if e.kind == "timeout":
            return _timeout(client), None
        return error_response(502, "upstream_unreachable", client.name, str(e)), None
    response = web.Response(
        status=answer.status,
        reason=answer.reason or None,
        body=answer.body,
        headers=response_headers(answer.headers),
    )
    return response, PrimaryAnswer(answer.status, answer.body, time.perf_counter() - start)


def response_headers(raw: Iterable[tuple[bytes, bytes]]) -> CIMultiDict[str]:
    """The upstream's end-to-end response headers, repeated ones (Set-Cookie) kept."""
    headers: CIMultiDict[str] = CIMultiDict()
    pairs = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in raw]
    connection_tokens = {
        t.strip().lower()
        for k, v in pairs
        if k.lower() == "connection"
        for t in v.split(",")
        if t.strip()
    }
    for key, value in pairs:
        lower = key.lower()
        if lower in HOP_BY_HOP or lower in connection_tokens:
            continue
        headers.add(key, value)
    return headers


def error_response(status: int, error: str, upstream: str, detail: str) -> web.Response:
    """A small JSON error naming the upstream (502 unreachable, 504 too slow)."""
    body = {"error": error, "upstream": upstream, "detail": detail}
    return web.Response(
        status=status,
        body=json.dumps(body).encode(),
        content_type="application/json",
        headers={"X-Embedshift-Error": error},
    )


@dataclass(frozen=True, slots=True)
class PrimaryAnswer:
    """What the primary answered to a buffered (search) request."""

    status: int
    body: bytes
    duration_s: float


async def forward_streamed(
    request: web.Request,
    client: UpstreamClient,
    body: bytes,
    headers: CIMultiDict[str],
) -> web.StreamResponse:
    """Forward and stream the answer back as it arrives (every non-search request).

    A failure after the status line was sent cannot become a 502: the connection is cut, so
    the client sees a truncated answer, never a wrong one.
    """
    response: web.StreamResponse | None = None
    try:
        async with client.session.request(
            request.method,
            client.url(request.raw_path),
            data=payload(body),
            headers=_with_extra(headers, client),
            allow_redirects=False,
            timeout=client.timeout,
        ) as upstream:
            out_headers = response_headers(upstream.raw_headers)
            length = upstream.headers.get("Content-Length")
            if length is not None and upstream.status not in (204, 304):
                out_headers["Content-Length"] = length
            response = web.StreamResponse(
                status=upstream.status, reason=upstream.reason, headers=out_headers
            )
            if (
                length is None
                and request.version >= aiohttp.HttpVersion11
                and _has_body(request, upstream.status)
            ):
                response.enable_chunked_encoding()
            await response.prepare(request)
            if request.method != "HEAD":
                async for chunk in upstream.content.iter_chunked(STREAM_CHUNK):
                    await response.write(chunk)
            await response.write_eof()
            return response
    except TimeoutError:
        if response is not None and response.prepared:
            raise
        return _timeout(client)
    except (aiohttp.ClientError, OSError) as e:
        if response is not None and response.prepared:
            raise
        return _unreachable(client, e)


def payload(body: bytes) -> bytes | io.BytesIO | None:
    """Large bodies go as a stream so that aiohttp writes them without blocking the loop."""
    if not body:
        return None
    return io.BytesIO(body) if len(body) > LARGE_BODY else body


def _has_body(request: web.Request, status: int) -> bool:
    return request.method != "HEAD" and status not in (204, 304) and status >= 200


def _with_extra(headers: CIMultiDict[str], client: UpstreamClient) -> CIMultiDict[str]:
    if not client.extra_headers:
        return headers
    merged = headers.copy()
    for key, value in client.extra_headers.items():
        merged[key] = value
    return merged


def _timeout(client: UpstreamClient) -> web.Response:
    return error_response(
        504, "upstream_timeout", client.name, f"no complete answer within {client.timeout.total} s"
    )


def _unreachable(client: UpstreamClient, e: BaseException) -> web.Response:
    detail = f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
    return error_response(502, "upstream_unreachable", client.name, detail)
