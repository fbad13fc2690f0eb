"""One client request, top to bottom: match, segment, mode, answer with its mirror.

:meth:`SearchPath.handle` is the proxy's only request handler.

1. **Match** (:class:`~proxy.search.routes.RouteTable`): a request that is no configured search
   (or a HEAD) is forwarded to the old index and streamed back (passthrough), in every mode.
2. **Segment**: read where the route says (header, path parameter, JSON pointer); a value that
   is no configured segment is ``other``.
3. **Mode** (:class:`~proxy.flip.modes.Assignment`, read once per request): in canary and
   flipped modes the new index may answer this search. Its request is built as a mirror's
   would be (:meth:`~proxy.shadow.rewrite.ShadowRewriter.prepare`: path and collections mapped,
   query re-embedded by the new model), on the client's path since the client waits for it;
   when it cannot be built (no query text, the embeddings API failed) the old index answers
   instead, counted in ``embedshift_primary_fallbacks_total{route,reason}``: a client never
   gets an error for it. Its thresholds are translated for the new model
   (:mod:`proxy.shadow.translate`); one that cannot be is such a fallback too
   (``threshold_untranslated``), unless the route's ``untranslatable = "as_sent"``. When it
   failed for a reason the mirror to the new index would meet too (no query text, the
   embedding refused), no mirror is built: its outcome is counted at once, and the embeddings
   API is asked once, not twice.
4. **Answer with mirror**: admission decides whether the other index gets a mirror
   (:mod:`proxy.shadow.admit`); the mirror starts first, then the answering index is asked
   (:func:`~proxy.upstream.forward.forward_search`) and its answer handed to the mirror, which
   compares both in the background (:mod:`proxy.shadow.mirror`, :mod:`proxy.compare.record`).
   The client gets the answering index's answer as it came, except on a route with
   ``response_scores = "old_scale"``: the new index's scores are then mapped to the old
   model's scale (header ``X-Embedshift-Score-Scale``), the mirror comparing the raw answer.

What a config makes of this path is one :class:`Runtime`, swapped whole on reload; a request
keeps the runtime and the mode it started with.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Mapping
from dataclasses import dataclass

from aiohttp import web
from prometheus_client import Counter

from proxy.config.schema import Config
from proxy.flip.modes import ModeController
from proxy.jsondoc import parse_json_body
from proxy.metrics import ProxyMetrics, RouteSegmentMetrics
from proxy.search.routes import CompiledRoute, RouteTable
from proxy.shadow.admit import Admission
from proxy.shadow.job import ShadowJob
from proxy.shadow.mirror import Mirror
from proxy.shadow.rewrite import ShadowRewriter
from proxy.shadow.translate import SCALE_HEADER
from proxy.upstream.client import UpstreamClient
from proxy.upstream.forward import PrimaryAnswer, forward_search, forward_streamed
from proxy.upstream.headers import forwarded
from proxy.upstream.http1 import Header

SAME_FOR_THE_MIRROR = frozenset({"no_query_text", "embed_error"})
"""Reasons the new index's request could not be built that the mirror's would meet too: the
old index answers, and the shadow outcome is counted without building (and embedding) again."""
SIDE_HEADER = "X-Embedshift-Side"
"""Response header naming the side that answered and the mode's generation
(``[modes].side_header``): ``old;gen=4``."""


@dataclass(frozen=True, slots=True)
class Runtime:
    """What one config makes of the request path; replaced whole on reload."""

    config: Config
    table: RouteTable
    admission: Admission
    rewriter: ShadowRewriter
    mirror: Mirror


class SearchPath:
    """What a client request needs, and nothing else: the handler's dependencies."""

    def __init__(
        self,
        runtime: Runtime,
        modes: ModeController,
        metrics: ProxyMetrics,
        fallbacks: Counter,
    ) -> None:
        """``fallbacks`` counts searches meant for new that old answered (route, reason).

        :attr:`runtime` is swapped on reload and :attr:`clients` set when the sidecar starts.
        """
        self.runtime = runtime
        self.modes = modes
        self.metrics = metrics
        self.fallbacks = fallbacks
        self.clients: Mapping[str, UpstreamClient] = {}

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Answer one client request (module docstring, steps 1 to 4)."""
        runtime = self.runtime  # a request keeps the runtime it started with
        assignment = self.modes.current  # ... and the mode: changes apply to later requests
        body = await request.read()
        old = self.clients["old"]
        found = runtime.table.match(request.method, request.path)
        if found is None or request.method == "HEAD":
            return await self._passthrough(request, old, body, found)
        compiled, params = found
        route = compiled.route
        parsed = parse_json_body(body) if route.segment is not None and route.segment.json else None
        segment = runtime.table.segment_of(compiled, request.headers, params, parsed)
        bound = self.metrics.for_route(route.name, segment)
        headers = forwarded(request)
        unbuildable: str | None = None
        if assignment.fraction > 0.0 and assignment.new_answers(request.headers, body):
            answered = await self._from_new(
                request, runtime, compiled, params, segment, bound, body, headers
            )
            if not isinstance(answered, str):
                if runtime.config.modes.side_header:
                    answered.headers[SIDE_HEADER] = f"new;gen={assignment.state.generation}"
                return answered
            if answered in SAME_FOR_THE_MIRROR:
                unbuildable = answered
        mirror = None
        if runtime.admission.admit(bound, request.headers, body):
            if unbuildable is not None:  # the mirror's request would fail alike: not asked twice
                bound.outcomes[unbuildable].inc()
            else:
                mirror = ShadowJob.build(
                    request,
                    self.clients["new"],
                    to_new=True,
                    mirrored=True,
                    route=route,
                    adapter=compiled.adapter,
                    segment=segment,
                    new_path=compiled.shadow_path(params, request.raw_path),
                    body=body,
                    headers=headers,
                )
        waiting = None if mirror is None else runtime.mirror.start(mirror, bound)
        response, _ = await self._answer(
            request, old, request.raw_path, body, headers, route.name, waiting
        )
        if runtime.config.modes.side_header:
            response.headers[SIDE_HEADER] = f"old;gen={assignment.state.generation}"
        return response

    async def _passthrough(
        self,
        request: web.Request,
        old: UpstreamClient,
        body: bytes,
        found: tuple[CompiledRoute, dict[str, str]] | None,
    ) -> web.StreamResponse:
        """Step 1: anything but a search goes to old, streamed back."""
        start = time.perf_counter()
        response = await forward_streamed(request, old, body, forwarded(request))
        route_name = "passthrough" if found is None else found[0].name
        metrics = self.metrics
        metrics.upstream_duration_for(old.name, route_name).observe(time.perf_counter() - start)
        metrics.client_requests_for(route_name, response.status).inc()
        return response

    async def _from_new(
        self,
        request: web.Request,
        runtime: Runtime,
        compiled: CompiledRoute,
        params: dict[str, str],
        segment: str,
        bound: RouteSegmentMetrics,
        body: bytes,
        headers: list[Header],
    ) -> web.StreamResponse | str:
        """Step 3: the new index's answer, old mirrored; the reason when it cannot be built."""
        route = compiled.route
        new_path = compiled.shadow_path(params, request.raw_path)
        to_new = ShadowJob.build(
            request,
            self.clients["new"],
            to_new=True,
            mirrored=False,
            route=route,
            adapter=compiled.adapter,
            segment=segment,
            new_path=new_path,
            body=body,
            headers=headers,
        )
        prepared = await runtime.rewriter.prepare(to_new, answers=True)
        if isinstance(prepared, str):
            self.fallbacks.labels(route.name, prepared).inc()
            return prepared
        waiting = None
        if runtime.admission.admit(bound, request.headers, body):
            to_old = ShadowJob.build(
                request,
                self.clients["old"],
                to_new=False,
                mirrored=True,
                route=route,
                adapter=compiled.adapter,
                segment=segment,
                new_path=new_path,
                body=body,
                headers=headers,
            )
            to_old = dataclasses.replace(to_old, thresholds=prepared.thresholds)
            waiting = runtime.mirror.start(to_old, bound)
        response, answer = await self._answer(
            request,
            prepared.upstream,
            prepared.path,
            prepared.body,
            prepared.headers,  # without the client's credentials for old
            route.name,
            waiting,
        )
        if answer is not None:
            runtime.rewriter.answered(prepared, answer.status)
            if route.response_scores == "old_scale" and 200 <= answer.status < 300:
                self._old_scale(runtime, prepared, response, answer.body)
        return response

    @staticmethod
    def _old_scale(
        runtime: Runtime, prepared: ShadowJob, response: web.StreamResponse, body: bytes
    ) -> None:
        """The new index's answer with its scores in the old model's scale, and the header."""
        rescaled, scale = runtime.rewriter.translator.answer(prepared, body)
        if rescaled is not None and isinstance(response, web.Response):
            for name in ("Content-Encoding", "Content-Length"):
                response.headers.popall(name, None)
            response.body = rescaled
        response.headers[SCALE_HEADER] = scale

    async def _answer(
        self,
        request: web.Request,
        answering: UpstreamClient,
        path: str,
        body: bytes,
        headers: list[Header],
        route: str,
        mirror: asyncio.Future[PrimaryAnswer | None] | None,
    ) -> tuple[web.StreamResponse, PrimaryAnswer | None]:
        """Step 4: ask ``answering``; its answer (None on failure) goes to the mirror, if any.

        Whichever mode, this is the one path a search's answer takes.
        """
        answer: PrimaryAnswer | None = None
        try:
            response, answer = await forward_search(request, answering, body, headers, path)
        finally:
            if mirror is not None and not mirror.done():
                mirror.set_result(answer)
        if answer is not None:
            self.metrics.upstream_duration_for(answering.name, route).observe(answer.duration_s)
        self.metrics.client_requests_for(route, response.status).inc()
        return response, answer
