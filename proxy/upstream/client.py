"""One client per upstream (``old``, ``new``): its base URL, its connection pools, its timeouts.

Each upstream gets two pools of its own, so that one slow upstream never starves the other:
an aiohttp session for streamed passthrough (any method, any size) and the lean
:class:`~proxy.upstream.http1.Http1Pool` for search routes (small buffered JSON exchanges,
the hot path). Its own headers (``headers_env``, read from the environment once) are prepared
for the header policy (:mod:`proxy.upstream.headers`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

import aiohttp
from yarl import URL

from proxy.config.schema import Upstream
from proxy.upstream.headers import UpstreamHeaders
from proxy.upstream.http1 import Http1Pool


@dataclass(slots=True)
class UpstreamClient:
    """One upstream: its base URL, its own connection pools, its timeouts and headers."""

    name: str
    base: str
    session: aiohttp.ClientSession  # passthrough: streaming, any method
    pool: Http1Pool  # search routes: small buffered JSON exchanges, the hot path
    timeout: aiohttp.ClientTimeout
    headers: UpstreamHeaders  # its own headers (API keys), added to every request

    def url(self, raw_path: str) -> URL:
        """The upstream URL for a raw (already encoded) path with query string."""
        return URL(self.base + raw_path, encoded=True)

    async def close(self) -> None:
        """Close both pools."""
        await self.pool.close()
        await self.session.close()


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
        headers=UpstreamHeaders.of(extra),
    )
