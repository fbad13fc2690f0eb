"""Running the gate: evaluated every ``[gate].interval_s``, published as metrics, on demand.

:class:`GateMonitor` gets the window's figures from this process's counters
(:mod:`proxy.gate.window`) or, with ``[gate].prometheus_url``, from Prometheus
(:mod:`proxy.gate.prometheus`), judges every segment (:func:`proxy.gate.verdict.evaluate`) and sets
``embedshift_gate_verdict`` and ``embedshift_gate_criterion``. The admin API asks for a fresh
:class:`GateReport` before a change (:meth:`GateMonitor.evaluate`); automatic promotion gets
each periodic one.

Segments judged: every configured segment (one without traffic is inconclusive: no data is
never a pass), plus ``other`` when no segment is configured or when ``other`` saw search
requests in the window.

What each segment is judged against besides its live figures (:class:`~proxy.gate.verdict.
Evidence`) comes from the thresholds document in force (labelled quality of the segment itself,
never another's; expected divergence, score band and abstain flips, the global entry's when the
segment has none) and the review page's tallies when review is on. Without segments
configured, ``other`` is all the traffic and reads the document's global entry.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
from prometheus_client.registry import Collector

from proxy.config.schema import OTHER, Config
from proxy.gate.figures import Latency, SegmentFigures
from proxy.gate.prometheus import GateSourceError, PrometheusFigures
from proxy.gate.review import ReviewCounts
from proxy.gate.verdict import VERDICT_VALUES, Criterion, Evidence, Verdict, evaluate
from proxy.gate.window import (
    CounterWindow,
    figures_between,
    latency_between,
    segments_seen,
    take_snapshot,
)
from proxy.logs import get_logger
from proxy.metrics import FlipMetrics
from proxy.thresholds.expected import ExpectedEmpty, expected_empty
from proxy.thresholds.watch import ThresholdsInForce

log = get_logger("gate")


@dataclass(frozen=True, slots=True)
class GateReport:
    """Every segment's verdict at one evaluation."""

    at: float
    source: str
    window_s: float
    verdicts: tuple[Verdict, ...]
    latency: Latency
    error: str | None = None

    @property
    def passes(self) -> bool:
        """Whether every judged segment passes (and at least one was judged)."""
        return bool(self.verdicts) and all(v.verdict == "pass" for v in self.verdicts)

    @property
    def failing(self) -> list[str]:
        """The segments whose verdict is fail."""
        return [v.segment for v in self.verdicts if v.verdict == "fail"]

    def as_json(self) -> dict[str, Any]:
        """The report as ``GET /admin/gate`` returns it (and the audit log keeps it)."""
        return {
            "at": self.at,
            "source": self.source,
            "window_s": self.window_s,
            "passes": self.passes,
            "error": self.error,
            "latency_p99_s": {"old": self.latency.old_p99_s, "new": self.latency.new_p99_s},
            "segments": {v.segment: v.as_json() for v in self.verdicts},
        }


class GateMonitor:
    """The gate of one sidecar."""

    def __init__(
        self,
        config: Callable[[], Config],
        counters: Sequence[Collector],
        metrics: FlipMetrics,
        thresholds: Callable[[], ThresholdsInForce],
        clock: Callable[[], float] = time.time,
        reviews: Callable[[], Mapping[str, ReviewCounts]] | None = None,
    ) -> None:
        """Read the config through ``config()`` (reloads apply); figures from ``counters``.

        ``counters``: the families :mod:`proxy.gate.window` reads
        (:meth:`ProxyMetrics.gate_counters`); ``thresholds()``: the thresholds in force;
        ``reviews()``: the review page's tallies per segment (None: no review store).
        """
        self.config = config
        self.counters = counters
        self.metrics = metrics
        self.thresholds = thresholds
        self.reviews = reviews
        self.clock = clock
        self.window = CounterWindow(config().gate.window_s, clock())
        self.last: GateReport | None = None
        self._session: aiohttp.ClientSession | None = None

    async def evaluate(self, *, keep: bool = False) -> GateReport:
        """A fresh report; ``keep`` adds this moment's snapshot to the window (periodic runs)."""
        config = self.config()
        settings = config.gate
        now = self.clock()
        self.window.window_s = settings.window_s
        in_force = self.thresholds()
        if settings.prometheus_url is None:
            snapshot = await asyncio.to_thread(take_snapshot, self.counters, now)
            if keep:
                self.window.push(snapshot)
            start = self.window.span()[0]
            seen = segments_seen(start, snapshot)
            names = self._segments(config, seen)
            latency = latency_between(start, snapshot)
            verdicts = tuple(
                evaluate(
                    s,
                    figures_between(start, snapshot, s),
                    latency,
                    self._evidence(config, in_force, s),
                    settings,
                    thresholds_configured=_both_thresholds(in_force, s),
                )
                for s in names
            )
            report = GateReport(now, "local", settings.window_s, verdicts, latency)
        else:
            report = await self._from_prometheus(config, now, in_force)
        self._publish(report)
        self.last = report
        return report

    def _evidence(self, config: Config, in_force: ThresholdsInForce, segment: str) -> Evidence:
        """What ``segment`` is judged against besides its live figures."""
        doc = in_force.document
        key = None if segment == OTHER and not config.segments.names else segment
        review_on = config.review.enabled and self.reviews is not None
        tallies = self.reviews() if review_on and self.reviews is not None else {}
        return Evidence(
            document=doc is not None,
            quality=None if doc is None else doc.quality_for(key),
            divergence=None if doc is None else doc.divergence_for(key),
            band=None if doc is None else doc.score_band_for(key),
            abstain=_expected_empty(in_force, key, segment),
            rbo_p=config.comparison.rbo_p,
            review_enabled=review_on,
            reviews=tallies.get(segment),
        )

    async def _from_prometheus(
        self, config: Config, now: float, in_force: ThresholdsInForce
    ) -> GateReport:
        settings = config.gate
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        try:
            at, figures, latency, seen = await PrometheusFigures(self._session, settings).read(now)
        except GateSourceError as e:
            names = self._segments(config, set())
            reason = f"figures unavailable: {e}"
            verdicts = tuple(Verdict(s, "inconclusive", (reason,), ()) for s in names)
            return GateReport(now, "prometheus", settings.window_s, verdicts, Latency(), str(e))
        names = self._segments(config, seen)
        verdicts = tuple(
            evaluate(
                s,
                figures.get(s, SegmentFigures()),
                latency,
                self._evidence(config, in_force, s),
                settings,
                thresholds_configured=_both_thresholds(in_force, s),
            )
            for s in names
        )
        return GateReport(at, "prometheus", settings.window_s, verdicts, latency)

    @staticmethod
    def _segments(config: Config, seen: set[str]) -> list[str]:
        names = list(config.segments.names)
        if not names or OTHER in seen:
            names.append(OTHER)
        return names

    def _publish(self, report: GateReport) -> None:
        for verdict in report.verdicts:
            self.metrics.verdict.labels(verdict.segment).set(VERDICT_VALUES[verdict.verdict])
            shown: list[Criterion] = [
                Criterion("compared_queries", "pass", verdict.figures.queries, None, ""),
                *verdict.criteria,
            ]
            if report.error is not None:
                shown = []
            for criterion in shown:
                if criterion.value is None:
                    with contextlib.suppress(KeyError):
                        self.metrics.criterion.remove(verdict.segment, criterion.name)
                else:
                    self.metrics.criterion.labels(verdict.segment, criterion.name).set(
                        criterion.value
                    )

    async def run(self, on_report: Callable[[GateReport], Awaitable[None]]) -> None:
        """Evaluate every ``interval_s`` until cancelled; a failed round is logged and survived."""
        while True:
            try:
                report = await self.evaluate(keep=True)
                await on_report(report)
            except asyncio.CancelledError:
                raise
            except Exception as e:
                log.error("gate_round_failed", error=repr(e))
            await asyncio.sleep(self.config().gate.interval_s)

    async def close(self) -> None:
        """Close the Prometheus session, if one was opened."""
        if self._session is not None:
            await self._session.close()


def _expected_empty(
    in_force: ThresholdsInForce, key: str | None, segment: str
) -> ExpectedEmpty | None:
    """The segment's expected abstain flips (else the global entry's), with the live thresholds.

    ``key``: the segment's name in the document (None: its global entry).
    """
    doc = in_force.document
    if doc is None:
        return None
    return expected_empty(doc, key, (in_force.old_for(segment), in_force.new_for(segment)))


def _both_thresholds(in_force: ThresholdsInForce, segment: str) -> bool:
    """Whether both sides have a threshold for ``segment`` (abstain flips can be counted)."""
    return in_force.old_for(segment) is not None and in_force.new_for(segment) is not None
