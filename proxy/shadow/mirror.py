"""Mirroring search requests to the shadow upstream and comparing the two answers.

The first law: the client's path never awaits the shadow. :meth:`Mirror.admit` decides in a few
microseconds whether a request is mirrored (sampling, the proxy's own overload, the in-flight
bound, the rate cap, each a counted outcome when it says no); :meth:`Mirror.start` launches the
shadow request in a background task at once (so both sides run concurrently and their
latencies compare fairly) and returns a future that the client path fills with the primary's
answer when it has it. The task sends the shadow request on its own connection pool under a
hard timeout, waits for the primary's answer, parses both with the route's adapter, compares
them query by query and records the figures. Every exception there is caught, counted and
logged once per kind.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from asyncio_throttle.throttler import Throttler
from multidict import CIMultiDict

from proxy.adapters.base import Ranked
from proxy.compare.divergence import compare
from proxy.compare.examples import Example, ExampleStore
from proxy.config.schema import ComparisonSection, SampleKey, ShadowSection
from proxy.errors import AdapterError
from proxy.jsondoc import json_pointer, parse_json_body
from proxy.logs import OncePerKind, get_logger
from proxy.metrics import ProxyMetrics, RouteSegmentMetrics
from proxy.search.routes import CompiledRoute
from proxy.server.overload import LoopLagMonitor
from proxy.tasks import BackgroundTasks
from proxy.thresholds.watch import ThresholdsInForce, accepted
from proxy.upstream.forward import PrimaryAnswer, UpstreamClient, encode_headers
from proxy.upstream.http1 import UpstreamError

if TYPE_CHECKING:
    from proxy.shadow.rewrite import ShadowRewriter

log = get_logger("shadow")
SHADOW_HEADER = "X-Embedshift-Shadow"


class DroppingThrottler(Throttler):
    """asyncio-throttle's sliding-window limiter, with a non-waiting acquire.

    A mirror must never queue work it cannot afford: over the cap, the request is dropped
    (``dropped_rate_limited``) rather than delayed. The window log is asyncio-throttle's own.
    """

    def try_acquire(self) -> bool:
        """Take a slot if the window has one; never waits."""
        self.flush()  # type: ignore[no-untyped-call]
        if len(self._task_logs) < self.rate_limit:
            self._task_logs.append(time.monotonic())
            return True
        return False


def sample_hash(value: bytes) -> float:
    """A stable number in [0, 1) for consistent sampling of ``value``."""
    digest = hashlib.blake2b(value, digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2.0**64


def sample_key_bytes(key: SampleKey, headers: Mapping[str, str], body: bytes) -> bytes | None:
    """The bytes consistent sampling hashes, or None when the request lacks them."""
    if key.body:
        return body
    if key.header is not None:
        value = headers.get(key.header)
        return None if value is None else value.encode()
    if key.json is not None:
        found = json_pointer(parse_json_body(body), key.json)
        return None if found is None else repr(found).encode()
    return None


@dataclass(frozen=True, slots=True)
class ShadowJob:
    """Everything the background task needs about one mirrored request."""

    compiled: CompiledRoute
    segment: str
    method: str
    shadow_path: str
    body: bytes
    headers: CIMultiDict[str]
    shadow: UpstreamClient
    shadow_is_new: bool
    rewrite: bool = True  # False: send as the client sent it (the old side of a flipped search)


class Mirror:
    """Admission, launch and comparison of shadow requests."""

    def __init__(
        self,
        settings: ShadowSection,
        comparison: ComparisonSection,
        metrics: ProxyMetrics,
        lag: LoopLagMonitor,
        tasks: BackgroundTasks,
        examples: ExampleStore | None,
        rewriter: ShadowRewriter | None = None,
        thresholds: Callable[[], ThresholdsInForce] = ThresholdsInForce,
    ) -> None:
        """Bounds come from ``settings``; figures go to ``metrics`` and ``examples``.

        ``tasks`` holds only shadow tasks and outlives config reloads, so its size is the
        number of shadow requests in flight, whichever config started them.
        """
        self.settings = settings
        self.comparison = comparison
        self.metrics = metrics
        self.lag = lag
        self.tasks = tasks
        self.examples = examples
        self.thresholds = thresholds  # the thresholds in force, read once per compared query
        self.rewriter = rewriter  # builds the shadow request (re-embedding): proxy.shadow.rewrite
        self.throttler = DroppingThrottler(rate_limit=max(1, round(settings.max_rps)), period=1.0)
        self._once = OncePerKind()

    def admit(self, bound: RouteSegmentMetrics, headers: Mapping[str, str], body: bytes) -> bool:
        """Whether to mirror this request; when not, its outcome is counted here."""
        settings = self.settings
        if settings.sample_key is not None:
            key = sample_key_bytes(settings.sample_key, headers, body)
            draw = sample_hash(key) if key is not None else random.random()
        else:
            draw = random.random()
        if draw >= settings.sample_rate:
            bound.outcomes["sampled_out"].inc()
            return False
        if self.lag.overloaded:
            bound.outcomes["dropped_overload"].inc()
            return False
        if len(self.tasks) >= settings.max_in_flight:
            bound.outcomes["dropped_saturated"].inc()
            return False
        if not self.throttler.try_acquire():
            bound.outcomes["dropped_rate_limited"].inc()
            return False
        return True

    def start(
        self, job: ShadowJob, bound: RouteSegmentMetrics
    ) -> asyncio.Future[PrimaryAnswer | None]:
        """Launch the shadow side now; the caller sets the future to the primary's answer."""
        primary: asyncio.Future[PrimaryAnswer | None] = asyncio.get_running_loop().create_future()
        self.tasks.spawn(self._run(job, bound, primary), name=f"shadow:{job.compiled.name}")
        return primary

    async def _run(
        self,
        job: ShadowJob,
        bound: RouteSegmentMetrics,
        primary: asyncio.Future[PrimaryAnswer | None],
    ) -> None:
        try:
            outcome = await self._mirror_and_compare(job, bound, primary)
        except Exception as e:  # isolation: nothing on the shadow side may escape
            outcome = "shadow_error"
            self._log_once("shadow_internal_error", job, error=repr(e))
        finally:
            if not primary.done():
                primary.cancel()
        bound.outcomes[outcome].inc()

    async def _mirror_and_compare(
        self,
        job: ShadowJob,
        bound: RouteSegmentMetrics,
        primary: asyncio.Future[PrimaryAnswer | None],
    ) -> str:
        prepared = await self.prepare(job)
        if isinstance(prepared, str):  # an outcome: the shadow request cannot be built
            return prepared
        shadow_status, shadow_body, failure = await self._send(prepared)
        if self.rewriter is not None and failure is None and job.rewrite:
            self.rewriter.answered(prepared, shadow_status)
        answer = await primary
        if answer is None or not 200 <= answer.status < 300:
            return "primary_error"
        if failure is not None:
            return failure
        if not 200 <= shadow_status < 300:
            self._log_once("shadow_error", job, status=shadow_status)
            return "shadow_error"
        return self._compare(job, bound, answer.body, shadow_body)

    def _compare(
        self, job: ShadowJob, bound: RouteSegmentMetrics, primary_body: bytes, shadow_body: bytes
    ) -> str:
        """Parse both answers, record each query's figures; returns the outcome."""
        try:
            primary_lists = job.compiled.adapter.rankings(parse_json_body(primary_body))
            shadow_lists = job.compiled.adapter.rankings(parse_json_body(shadow_body))
        except AdapterError as e:
            self._log_once("unparseable", job, error=str(e))
            return "unparseable"
        if len(primary_lists) != len(shadow_lists):
            self._log_once(
                "unparseable", job, error=f"{len(primary_lists)} vs {len(shadow_lists)} query lists"
            )
            return "unparseable"
        old_lists, new_lists = (
            (primary_lists, shadow_lists) if job.shadow_is_new else (shadow_lists, primary_lists)
        )
        for index, (old, new) in enumerate(zip(old_lists, new_lists, strict=True)):
            self._record(job, bound, index, old, new)
        return "compared"

    async def _send(self, job: ShadowJob) -> tuple[int, bytes, str | None]:
        """Send the shadow request under the hard timeout: (status, body, failed outcome)."""
        shadow = job.shadow
        headers = encode_headers(job.headers)
        if shadow.extra_headers:
            headers += [
                (k.encode("latin-1"), v.encode("latin-1")) for k, v in shadow.extra_headers.items()
            ]
        start = time.perf_counter()
        try:
            answer = await shadow.pool.request(
                job.method, job.shadow_path.encode(), headers, job.body, self.settings.timeout_s
            )
        except UpstreamError as e:
            if e.kind == "timeout":
                self._log_once("shadow_timeout", job, timeout_s=self.settings.timeout_s)
                return 0, b"", "shadow_timeout"
            self._log_once("shadow_error", job, error=str(e))
            return 0, b"", "shadow_error"
        self.metrics.upstream_duration_for(shadow.name, job.compiled.name).observe(
            time.perf_counter() - start
        )
        return answer.status, answer.body, None

    def _record(
        self, job: ShadowJob, bound: RouteSegmentMetrics, index: int, old: Ranked, new: Ranked
    ) -> None:
        k = job.compiled.route.k
        result = compare(old.ids, new.ids, k, self.comparison.rbo_p, old.scores, new.scores)
        bound.overlap.observe(result.overlap)
        bound.overlap_squares.inc(result.overlap * result.overlap)
        bound.jaccard.observe(result.jaccard)
        bound.rbo.observe(result.rbo)
        bound.rbo_squares.inc(result.rbo * result.rbo)
        if result.kendall_tau is not None:
            bound.kendall_tau.observe(result.kendall_tau)
        if result.top1_agree:
            bound.top1_agree.inc()
        _observe_scores(bound.score_old_top1, bound.score_old_topk, old.scores, k)
        _observe_scores(bound.score_new_top1, bound.score_new_topk, new.scores, k)
        thresholds = self.thresholds()
        if thresholds.active:
            _observe_thresholds(bound, thresholds, job.segment, old.scores[:k], new.scores[:k])
        if self.examples is not None:
            self.examples.offer(
                Example(
                    route=job.compiled.name,
                    segment=job.segment,
                    query_index=index,
                    rbo=result.rbo,
                    overlap=result.overlap,
                    kendall_tau=result.kendall_tau,
                    request_body=job.body,
                    old_ids=old.ids[:k],
                    old_scores=old.scores[:k],
                    new_ids=new.ids[:k],
                    new_scores=new.scores[:k],
                )
            )

    async def prepare(self, job: ShadowJob) -> ShadowJob | str:
        """The shadow request to send, or an outcome name when it cannot be built.

        Vector routes get the query re-embedded by the new model, and collections the path
        template cannot map are mapped (:mod:`proxy.shadow.rewrite`).
        """
        if self.rewriter is None or not job.rewrite:
            return job
        return await self.rewriter.prepare(job)

    def _log_once(self, event: str, job: ShadowJob, **fields: Any) -> None:
        suppressed = self._once.should_log(f"{event}:{job.compiled.name}", time.monotonic())
        if suppressed is not None:
            log.warning(
                event,
                route=job.compiled.name,
                upstream=job.shadow.name,
                suppressed_since_last=suppressed,
                **fields,
            )


def _observe_thresholds(
    bound: RouteSegmentMetrics,
    thresholds: ThresholdsInForce,
    segment: str,
    old_scores: tuple[float, ...],
    new_scores: tuple[float, ...],
) -> None:
    """Accepted counts per side, and an abstain flip when exactly one side keeps nothing."""
    old_t, new_t = thresholds.old_for(segment), thresholds.new_for(segment)
    kept_old = kept_new = None
    if old_t is not None:
        kept_old = accepted(old_scores, old_t)
        bound.accepted_old.observe(kept_old)
    if new_t is not None:
        kept_new = accepted(new_scores, new_t)
        bound.accepted_new.observe(kept_new)
    if kept_old is not None and kept_new is not None and (kept_old == 0) != (kept_new == 0):
        (bound.flips_old_empty if kept_old == 0 else bound.flips_new_empty).inc()


def _observe_scores(top1: Any, topk: Any, scores: tuple[float, ...], k: int) -> None:
    if scores:
        top1.observe(scores[0])
    if len(scores) >= k:
        topk.observe(scores[k - 1])
