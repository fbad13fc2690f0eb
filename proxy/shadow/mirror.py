"""Mirroring a search to the other index, off the client's path, and handing both answers over.

The first law: the client's path never awaits the shadow. Once a search is admitted
(:mod:`proxy.shadow.admit`), :meth:`Mirror.start` launches its mirror in a background task at
once (so both sides run concurrently and their latencies compare fairly) and returns a future
that the client's path fills with the answering side's answer when it has it. The task builds
the mirror's request (:mod:`proxy.shadow.rewrite`), sends it on the other upstream's own pool
under the hard timeout ``[shadow].timeout_s``, waits for the answering side's answer, and hands
both to the recorder (:mod:`proxy.compare.record`). Each mirror ends in exactly one outcome
(``embedshift_shadow_requests_total``); every exception on this side is caught, counted and
logged once per kind.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from proxy.compare.record import Recorder
from proxy.config.schema import ShadowSection
from proxy.errors import AdapterError
from proxy.logs import OncePerKind, get_logger
from proxy.metrics import ProxyMetrics, RouteSegmentMetrics
from proxy.shadow.job import ShadowJob
from proxy.shadow.rewrite import ShadowRewriter
from proxy.tasks import BackgroundTasks
from proxy.upstream.forward import PrimaryAnswer
from proxy.upstream.headers import for_upstream
from proxy.upstream.http1 import UpstreamError

log = get_logger("shadow")


class Mirror:
    """Launch, send and hand over the mirrors of one config."""

    def __init__(
        self,
        settings: ShadowSection,
        metrics: ProxyMetrics,
        tasks: BackgroundTasks,
        rewriter: ShadowRewriter,
        recorder: Recorder,
    ) -> None:
        """``tasks`` holds only mirrors and outlives config reloads.

        Its size is the number of mirrors in flight, whichever config started them (the
        in-flight bound of :class:`~proxy.shadow.admit.Admission` reads it).
        """
        self.settings = settings
        self.metrics = metrics
        self.tasks = tasks
        self.rewriter = rewriter
        self.recorder = recorder
        self._once = OncePerKind()

    def start(
        self, job: ShadowJob, bound: RouteSegmentMetrics
    ) -> asyncio.Future[PrimaryAnswer | None]:
        """Launch the mirror now; the caller sets the future to the answering side's answer."""
        answering: asyncio.Future[PrimaryAnswer | None] = asyncio.get_running_loop().create_future()
        self.tasks.spawn(self._run(job, bound, answering), name=f"shadow:{job.name}")
        return answering

    async def _run(
        self,
        job: ShadowJob,
        bound: RouteSegmentMetrics,
        answering: asyncio.Future[PrimaryAnswer | None],
    ) -> None:
        try:
            outcome = await self._mirror(job, bound, answering)
        except Exception as e:  # isolation: nothing on the shadow side may escape
            outcome = "shadow_error"
            self._log_once("shadow_internal_error", job, error=repr(e))
        finally:
            if not answering.done():
                answering.cancel()
        bound.outcomes[outcome].inc()

    async def _mirror(
        self,
        job: ShadowJob,
        bound: RouteSegmentMetrics,
        answering: asyncio.Future[PrimaryAnswer | None],
    ) -> str:
        """Send the mirror, wait for the answering side, compare; returns the outcome."""
        prepared = await self.rewriter.prepare(job)
        if isinstance(prepared, str):  # an outcome: the mirror's request cannot be built
            return prepared
        status, body, failure = await self._send(prepared)
        if failure is None:
            self.rewriter.answered(prepared, status)
        answer = await answering
        if answer is None or not 200 <= answer.status < 300:
            return "primary_error"
        if failure is not None:
            return failure
        if not 200 <= status < 300:
            self._log_once("shadow_error", job, status=status)
            return "shadow_error"
        old_body, new_body = (answer.body, body) if job.to_new else (body, answer.body)
        try:
            self.recorder.record(job, bound, old_body, new_body)
        except AdapterError as e:
            self._log_once("unparseable", job, error=str(e))
            return "unparseable"
        return "compared"

    async def _send(self, job: ShadowJob) -> tuple[int, bytes, str | None]:
        """Send the mirror under the hard timeout: (status, body, failed outcome)."""
        upstream = job.upstream
        start = time.perf_counter()
        try:
            answer = await upstream.pool.request(
                job.method,
                job.path.encode(),
                for_upstream(job.headers, upstream.headers),
                job.body,
                self.settings.timeout_s,
            )
        except UpstreamError as e:
            if e.kind == "timeout":
                self._log_once("shadow_timeout", job, timeout_s=self.settings.timeout_s)
                return 0, b"", "shadow_timeout"
            self._log_once("shadow_error", job, error=str(e))
            return 0, b"", "shadow_error"
        self.metrics.upstream_duration_for(upstream.name, job.name).observe(
            time.perf_counter() - start
        )
        return answer.status, answer.body, None

    def _log_once(self, event: str, job: ShadowJob, **fields: Any) -> None:
        suppressed = self._once.should_log(f"{event}:{job.name}", time.monotonic())
        if suppressed is not None:
            log.warning(
                event,
                route=job.name,
                upstream=job.upstream.name,
                suppressed_since_last=suppressed,
                **fields,
            )
