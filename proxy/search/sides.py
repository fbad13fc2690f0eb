"""Answering a search from the new index (canary and flipped modes), the old one mirrored.

The request for the new index is built as the shadow request would be
(:meth:`proxy.shadow.mirror.Mirror.prepare`: collection map, shadow path, query re-embedded by the
new
model), on the client's path since the client waits for it. When it cannot be built (no query
text, the embeddings API failed) the old index answers instead, counted in
``embedshift_primary_fallbacks_total{route,reason}``: a client never gets an error for it.

The client's request goes to the old index unchanged as the mirror (``rewrite=False``,
``shadow_is_new=False``), under the same admission, bounds and timeout as any shadow request,
so the comparison goes on with the sides kept straight.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from proxy.metrics import RouteSegmentMetrics
from proxy.search.routes import CompiledRoute
from proxy.shadow.mirror import SHADOW_HEADER, ShadowJob
from proxy.upstream.forward import (
    PrimaryAnswer,
    UpstreamClient,
    forward_search,
    search_headers,
    upstream_headers,
)

if TYPE_CHECKING:
    from proxy.server.app import Runtime, Sidecar

SIDE_HEADER = "X-Embedshift-Side"
"""Response header naming the side that answered and the mode's generation
(``[modes].side_header``): ``old;gen=4``."""


async def answer_from_new(
    request: web.Request,
    sidecar: Sidecar,
    runtime: Runtime,
    compiled: CompiledRoute,
    params: dict[str, str],
    segment: str,
    bound: RouteSegmentMetrics,
    body: bytes,
) -> web.StreamResponse | None:
    """The new index's answer; None when its request cannot be built (old answers then)."""
    new, old = sidecar.clients["new"], sidecar.clients["old"]
    route = compiled.route
    job_headers = upstream_headers(request)
    to_new = ShadowJob(
        compiled=compiled,
        segment=segment,
        method=request.method,
        shadow_path=compiled.shadow_path(params, request.raw_path),
        body=body,
        headers=job_headers,
        shadow=new,
        shadow_is_new=True,
    )
    prepared = await runtime.mirror.prepare(to_new)
    if isinstance(prepared, str):
        sidecar.flip_metrics.fallbacks.labels(route.name, prepared).inc()
        return None
    mirror = None
    if runtime.mirror.admit(bound, request.headers, body):
        mirror_headers = job_headers.copy()
        mirror_headers[SHADOW_HEADER] = "1"
        mirror = ShadowJob(
            compiled=compiled,
            segment=segment,
            method=request.method,
            shadow_path=request.raw_path,
            body=body,
            headers=mirror_headers,
            shadow=old,
            shadow_is_new=False,
            rewrite=False,
        )
    response, answer = await answer_with_mirror(
        request,
        sidecar,
        runtime,
        bound,
        route.name,
        new,
        prepared.body,
        prepared.shadow_path,
        mirror,
    )
    if answer is not None and runtime.mirror.rewriter is not None:
        runtime.mirror.rewriter.answered(prepared, answer.status)
    return response


async def answer_with_mirror(
    request: web.Request,
    sidecar: Sidecar,
    runtime: Runtime,
    bound: RouteSegmentMetrics,
    route: str,
    answering: UpstreamClient,
    body: bytes,
    raw_path: str,
    mirror: ShadowJob | None,
) -> tuple[web.StreamResponse, PrimaryAnswer | None]:
    """Answer a search from ``answering`` while ``mirror`` (if admitted) runs beside it.

    The mirror starts first, so both sides run concurrently; it is handed the answer (or
    None on failure) to compare against, and the client never waits for it. Whichever mode,
    this is the one path a search's answer takes.
    """
    waiting = None if mirror is None else runtime.mirror.start(mirror, bound)
    answer: PrimaryAnswer | None = None
    try:
        headers = search_headers(request, answering.extra_headers)
        response, answer = await forward_search(request, answering, body, headers, raw_path)
    finally:
        if waiting is not None and not waiting.done():
            waiting.set_result(answer)
    if answer is not None:
        sidecar.metrics.upstream_duration_for(answering.name, route).observe(answer.duration_s)
    sidecar.metrics.client_requests_for(route, response.status).inc()
    return response, answer
