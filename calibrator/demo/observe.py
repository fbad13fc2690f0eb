"""What the demo shows is what the sidecar exports: ``/metrics`` and the admin API, read over HTTP.

:class:`Observer` reads, once per tick, the Prometheus exposition (cumulative per-segment
counters of compared queries, RBO and overlap@k sums, shadow outcomes, accepted counts,
abstain flips, the thresholds in force) and ``GET /admin/status`` (mode, gate verdicts and
reasons, automatic promotion); when the mode's generation moves, ``GET /admin/audit``; and
when a segment's verdict is ``fail`` (or when asked), ``GET /admin/gate``, whose criteria say
which fail.
Each :class:`Reading` is cumulative; the figures of a recent window are the difference of two
readings (:func:`window`), as a dashboard's ``rate()`` would compute them.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

_SUMS = {
    "embedshift_rbo_count": "compared",
    "embedshift_rbo_sum": "rbo",
    "embedshift_overlap_at_k_sum": "overlap",
    "embedshift_abstain_flips_total": "flips",
}


@dataclass
class Counts:
    """Cumulative figures of one segment (every route summed)."""

    values: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    outcomes: dict[str, float] = field(default_factory=lambda: defaultdict(float))

    def get(self, key: str) -> float:
        """A cumulative value (0 when never seen)."""
        return self.values.get(key, 0.0)


@dataclass
class Reading:
    """One look at the sidecar, ``at`` seconds after the demo started."""

    at: float
    segments: dict[str, Counts]
    thresholds: dict[str, dict[str, float | None]]
    version: int
    status: dict[str, Any] | None
    gate: dict[str, Any] | None = None  # GET /admin/gate, when read

    def counts(self, segment: str) -> Counts:
        """The counts of ``segment`` (all zero when it saw nothing)."""
        return self.segments.get(segment, Counts())

    def verdicts(self) -> dict[str, dict[str, Any]]:
        """Each segment's verdict and reasons (empty before the status is read)."""
        segments: dict[str, dict[str, Any]] = (
            (self.status or {}).get("gate", {}).get("segments", {})
        )
        return segments

    def failing(self) -> dict[str, dict[str, dict[str, Any]]]:
        """Segments whose verdict is ``fail``: each failing criterion as the gate reports it.

        ``{segment: {criterion: {"status", "value", "limit", "reason"}}}``, from ``GET
        /admin/gate`` when it was read; else from the status (segments only, no criteria).
        """
        if self.gate is None:
            return {s: {} for s, v in self.verdicts().items() if v.get("verdict") == "fail"}
        return {
            segment: {
                name: dict(c)
                for name, c in v.get("criteria", {}).items()
                if c.get("status") == "fail"
            }
            for segment, v in self.gate.get("segments", {}).items()
            if v.get("verdict") == "fail"
        }


@dataclass(frozen=True, slots=True)
class Window:
    """A segment's figures between two readings."""

    seconds: float
    compared: float
    rbo: float | None
    overlap: float | None
    accepted_old: float | None
    accepted_new: float | None
    flips: float
    flip_rate: float | None


def _mean(total: float, n: float) -> float | None:
    return total / n if n > 0 else None


def window(before: Reading, after: Reading, segment: str) -> Window:
    """What ``segment`` did between ``before`` and ``after``."""
    a, b = before.counts(segment), after.counts(segment)

    def delta(key: str) -> float:
        return b.get(key) - a.get(key)

    compared = delta("compared")
    with_both = min(delta("accepted_old_count"), delta("accepted_new_count"))
    return Window(
        seconds=after.at - before.at,
        compared=compared,
        rbo=_mean(delta("rbo"), compared),
        overlap=_mean(delta("overlap"), compared),
        accepted_old=_mean(delta("accepted_old_sum"), delta("accepted_old_count")),
        accepted_new=_mean(delta("accepted_new_sum"), delta("accepted_new_count")),
        flips=delta("flips"),
        flip_rate=_mean(delta("flips"), with_both),
    )


def parse_metrics(text: str, at: float) -> Reading:
    """A reading of the exposition ``text`` (status filled in by the caller)."""
    segments: dict[str, Counts] = defaultdict(Counts)
    thresholds: dict[str, dict[str, float | None]] = defaultdict(dict)
    version = 0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            name, labels, value = sample.name, sample.labels, sample.value
            segment = labels.get("segment")
            if name in _SUMS and segment is not None:
                segments[segment].values[_SUMS[name]] += value
            elif name == "embedshift_shadow_requests_total" and segment is not None:
                segments[segment].outcomes[labels["outcome"]] += value
            elif name in ("embedshift_accepted_results_sum", "embedshift_accepted_results_count"):
                kind = name.rsplit("_", 1)[1]
                segments[str(segment)].values[f"accepted_{labels['side']}_{kind}"] += value
            elif name == "embedshift_threshold" and segment is not None:
                thresholds[segment][labels["side"]] = None if math.isnan(value) else value
            elif name == "embedshift_thresholds_version":
                version = int(value)
    return Reading(at, dict(segments), dict(thresholds), version, None)


class Observer:
    """Reads the sidecar's metrics and admin API (the admin token is the demo's own)."""

    def __init__(self, metrics_url: str, admin_url: str, token: str, started: float) -> None:
        """``started``: the demo's start (``time.monotonic()``), the zero of ``Reading.at``."""
        self.metrics_url = metrics_url
        self.admin_url = admin_url.rstrip("/")
        self.headers = {"Authorization": f"Bearer {token}"}
        self.started = started
        self.audit: list[dict[str, Any]] = []
        self._generation = 0
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5.0))
        return self._session

    async def admin(self, path: str) -> dict[str, Any]:
        """``GET`` an admin endpoint's JSON (raises aiohttp.ClientError on failure)."""
        async with self._open().get(self.admin_url + path, headers=self.headers) as response:
            response.raise_for_status()
            doc: dict[str, Any] = await response.json()
            return doc

    async def admin_post(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """``POST`` JSON to an admin endpoint: (status, answer)."""
        async with self._open().post(
            self.admin_url + path, json=body, headers=self.headers
        ) as response:
            doc: dict[str, Any] = await response.json()
            return response.status, doc

    async def read(self, *, gate: bool = False) -> Reading:
        """Read the sidecar now.

        Metrics, status, the audit log (when the mode changed) and the gate's criteria (when
        a segment fails, or when ``gate`` asks).
        """
        async with self._open().get(self.metrics_url) as response:
            response.raise_for_status()
            text = await response.text()
        reading = parse_metrics(text, time.monotonic() - self.started)
        reading.status = await self.admin("/admin/status")
        if gate or reading.failing():
            reading.gate = await self.admin("/admin/gate")
        generation = int(reading.status["mode"]["generation"])
        if generation != self._generation:
            self.audit = list(reversed((await self.admin("/admin/audit"))["entries"]))
            self._generation = generation
        return reading

    async def close(self) -> None:
        """Close the HTTP session."""
        if self._session is not None:
            await self._session.close()
