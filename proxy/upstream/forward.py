"""Forwarding a client's request to an upstream and answering with the upstream's response.

Method, path, query string and body go upstream unchanged, headers under the header policy
(:mod:`proxy.upstream.headers`); the upstream's status, headers and body come back unchanged
(hop-by-hop headers dropped, no decompression, no re-encoding). Two ways:

- :func:`forward_search`: a search route's request on the fast pool, the whole answer
  buffered (the mirror compares it), then sent to the client;
- :func:`forward_streamed`: everything else on the aiohttp session, the answer streamed back
  as it arrives.

An unreachable upstream gives 502 and a slow one 504, each with a small JSON body naming the
upstream: never a hang.
"""

from __future__ import annotations

import io
import json
import os
import socket
import time
from dataclasses import dataclass

import aiohttp
from aiohttp import web

from proxy.upstream.client import UpstreamClient
from proxy.upstream.headers import as_multidict, for_upstream, mark_relayed, response_headers
from proxy.upstream.http1 import Header, UpstreamError

STREAM_CHUNK = 64 * 1024
LARGE_BODY = 1024 * 1024  # aiohttp warns about raw bytes bodies above 1 MiB


@dataclass(frozen=True, slots=True)
class PrimaryAnswer:
    """What the answering upstream said to a buffered (search) request."""

    status: int
    body: bytes
    duration_s: float


async def forward_search(
    request: web.Request,
    client: UpstreamClient,
    body: bytes,
    headers: list[Header],
    raw_path: str | None = None,
) -> tuple[web.StreamResponse, PrimaryAnswer | None]:
    """Forward a search on the fast pool and answer with the whole response.

    ``headers`` are the client's under the policy (:func:`~proxy.upstream.headers.forwarded`);
    the upstream's own are added here. ``raw_path`` (with query string) replaces the client's:
    a search rewritten for the new index.
    """
    start = time.perf_counter()
    target = (request.raw_path if raw_path is None else raw_path).encode()
    try:
        answer = await client.pool.request(
            request.method,
            target,
            for_upstream(headers, client.headers),
            body,
            client.timeout.total or 30.0,
        )
    except UpstreamError as e:
        if e.kind == "timeout":
            return _timeout(client), None
        cause = e.__cause__ if isinstance(e.__cause__, OSError) else e
        return _unreachable(client, cause), None
    response = web.Response(
        status=answer.status,
        reason=answer.reason or None,
        body=answer.body,
        headers=response_headers(answer.headers),
    )
    mark_relayed(response, answer.headers)
    if _chunked(answer.headers) and request.version >= aiohttp.HttpVersion11:
        response.enable_chunked_encoding()  # the upstream's framing, not a Content-Length
    return response, PrimaryAnswer(answer.status, answer.body, time.perf_counter() - start)


async def forward_streamed(
    request: web.Request,
    client: UpstreamClient,
    body: bytes,
    headers: list[Header],
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
            headers=as_multidict(for_upstream(headers, client.headers)),
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
            mark_relayed(response, upstream.raw_headers)
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


def error_response(status: int, error: str, upstream: str, detail: str) -> web.Response:
    """A small JSON error naming the upstream (502 unreachable, 504 too slow)."""
    body = {"error": error, "upstream": upstream, "detail": detail}
    return web.Response(
        status=status,
        body=json.dumps(body).encode(),
        content_type="application/json",
        headers={"X-Embedshift-Error": error},
    )


def payload(body: bytes) -> bytes | io.BytesIO | None:
    """Large bodies go as a stream so that aiohttp writes them without blocking the loop."""
    if not body:
        return None
    return io.BytesIO(body) if len(body) > LARGE_BODY else body


def _chunked(raw: list[Header]) -> bool:
    return any(k.lower() == b"transfer-encoding" and b"chunked" in v.lower() for k, v in raw)


def _has_body(request: web.Request, status: int) -> bool:
    return request.method != "HEAD" and status not in (204, 304) and status >= 200


def _timeout(client: UpstreamClient) -> web.Response:
    return error_response(
        504, "upstream_timeout", client.name, f"no complete answer within {client.timeout.total} s"
    )


def _unreachable(client: UpstreamClient, e: BaseException) -> web.Response:
    return error_response(502, "upstream_unreachable", client.name, describe_failure(client, e))


def describe_failure(client: UpstreamClient, e: BaseException) -> str:
    """What went wrong, as a person reads it: which upstream, its URL, and why.

    ``cannot connect to old upstream http://127.0.0.1:9200: connection refused``, never
    aiohttp's ``ClientConnectorError: ... ssl:default [...]``.
    """
    where = f"{client.name} upstream {client.base}"
    if isinstance(e, aiohttp.ClientConnectorError):
        e = e.os_error
    if isinstance(e, TimeoutError):
        return f"no connection to {where} within {client.timeout.connect} s"
    if isinstance(e, aiohttp.ServerDisconnectedError):
        return f"{where} closed the connection without answering"
    if isinstance(e, OSError):
        # asyncio's strerror is "Connect call failed ('127.0.0.1', 9200)": the errno says it
        errno = e.errno if isinstance(e.errno, int) and e.errno > 0 else None
        if errno is not None and not isinstance(e, socket.gaierror):
            reason = os.strerror(errno)
        else:
            reason = e.strerror or str(e) or type(e).__name__
        return f"cannot connect to {where}: {reason[:1].lower()}{reason[1:]}"
    return f"{where} failed: {e or type(e).__name__}"
