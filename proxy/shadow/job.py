"""A search request for one index other than the client's own: what the mirror (or canary) sends.

Three are made per search at most, all by :meth:`ShadowJob.build`:

- shadow mode, the mirror to the new index (``to_new``, ``mirrored``);
- canary and flipped modes, the request that the new index answers (``to_new``);
- and beside it the mirror to the old index (``mirrored``): the client's request as sent.

A job for the new index goes to the route's shadow path (template and collection map applied)
and is rewritten before it is sent (:mod:`proxy.shadow.rewrite`: query re-embedded, collections
renamed). A job for the old index is the client's path and body, unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from aiohttp import web

from proxy.adapters.base import Adapter
from proxy.adapters.scales import ThresholdChange
from proxy.config.schema import Route
from proxy.upstream.client import UpstreamClient
from proxy.upstream.headers import SHADOW_MARK, split_credentials
from proxy.upstream.http1 import Header


@dataclass(frozen=True, slots=True)
class ShadowJob:
    """Everything needed to send one search to another index and compare its answer."""

    route: Route
    adapter: Adapter
    segment: str
    method: str
    path: str  # raw path and query string
    body: bytes
    headers: list[Header]  # the client's under the header policy; the upstream's own added at send
    request_headers: Mapping[str, str]  # the client's as received (query text, look-ups)
    upstream: UpstreamClient
    to_new: bool
    new_path: str = ""  # the new index's path (template and map applied), whichever side this is
    credentials: tuple[Header, ...] = ()  # the client's, kept from the new index (look-ups on old)
    thresholds: tuple[ThresholdChange, ...] = ()  # what the new index's request translated

    @classmethod
    def build(
        cls,
        request: web.Request,
        upstream: UpstreamClient,
        *,
        to_new: bool,
        mirrored: bool,
        route: Route,
        adapter: Adapter,
        segment: str,
        new_path: str,
        body: bytes,
        headers: list[Header],
    ) -> ShadowJob:
        """The job sending ``request`` to ``upstream`` (module docstring).

        ``new_path`` is the path for the new index; ``headers`` the client's under the policy
        (:func:`proxy.upstream.headers.forwarded`), shared with the answering side: a mirror
        gets its own copy with the shadow mark. A job for the new index never carries the
        client's credentials for the old one (the route's ``credential_headers``).
        """
        credentials: tuple[Header, ...] = ()
        if to_new:
            headers, credentials = split_credentials(headers, route.credential_headers)
        return cls(
            route=route,
            adapter=adapter,
            segment=segment,
            method=request.method,
            path=new_path if to_new else request.raw_path,
            body=body,
            headers=[*headers, SHADOW_MARK] if mirrored else headers,
            request_headers=request.headers,
            upstream=upstream,
            to_new=to_new,
            new_path=new_path,
            credentials=credentials,
        )

    @property
    def name(self) -> str:
        """The route's name (metric label, log field)."""
        return self.route.name
