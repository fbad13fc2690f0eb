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

Answers are bounded (``[shadow].max_answer_bytes``): the mirrored index's answer is read up to
the bound and its connection closed past it, and an answering side's answer above it is not
read; either gives outcome ``answer_too_large``. Answers up to :data:`INLINE_PARSE_BYTES` are
read on the event loop (a few microseconds); larger ones are parsed into ranked lists in a
worker thread, so a large answer never stalls the client's path.

A mirror whose request cannot be built (outcome ``no_query_text``, ``unparseable``...) still
waits for the answering side: when that answered 4xx or 5xx (the client's request was wrong,
or the index failed) the outcome is ``primary_error``, as for every other mirror.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from typing import Any

from proxy.compare.record import Recorder, rank
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
INLINE_PARSE_BYTES = 256 * 1024
"""Answers (both sides together) up to this size are read on the event loop; larger, in a thread."""


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
            answer = await answering
            return "primary_error" if answer is None or not 200 <= answer.status < 300 else prepared
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
        noted = (  # the thresholds as translated, for the examples
            job
            if prepared.thresholds == job.thresholds
            else dataclasses.replace(job, thresholds=prepared.thresholds)
        )
        return await self._compare(noted, bound, answer.body, body)

    async def _compare(
        self, job: ShadowJob, bound: RouteSegmentMetrics, answered: bytes, mirrored: bytes
    ) -> str:
        """Read both answers and record the figures; returns the outcome."""
        if len(answered) > self.settings.max_answer_bytes:
            self._log_once("answer_too_large", job, side="answering", bytes=len(answered))
            return "answer_too_large"
        old_body, new_body = (answered, mirrored) if job.to_new else (mirrored, answered)
        del answered, mirrored
        try:
            if len(old_body) + len(new_body) <= INLINE_PARSE_BYTES:
                self.recorder.record(job, bound, old_body, new_body)
            else:
                lists = await asyncio.to_thread(rank, job, old_body, new_body)
                del old_body, new_body  # a large answer is freed as soon as it is read
                self.recorder.record_ranked(job, bound, lists)
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
                self.settings.max_answer_bytes,
            )
        except UpstreamError as e:
            if e.kind == "timeout":
                self._log_once("shadow_timeout", job, timeout_s=self.settings.timeout_s)
                return 0, b"", "shadow_timeout"
            if e.kind == "too_large":
                self._log_once("answer_too_large", job, side="mirrored", error=str(e))
                return 0, b"", "answer_too_large"
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
