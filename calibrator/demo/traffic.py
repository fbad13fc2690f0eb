"""The demo's clients: labelled queries sent through the sidecar at a steady rate.

Each request is what an application on the old model sends: ``POST
/collections/{segment}/points/search`` with the old model's query vector, ``limit`` 10, the
segment in ``X-Segment`` and the query's text, percent-encoded, in ``X-Query-Text`` (the
sidecar re-embeds it with the new model for the new index). Queries are drawn at random from
the labelled ones; requests start on a fixed schedule, at most ``concurrency`` at once (a
start that finds them all busy is skipped and counted, so a slow sidecar is never flooded).

The sidecar adds ``X-Embedshift-Side: old|new;gen=N`` to each answer (``[modes].side_header``):
:class:`TrafficStats` counts which index answered.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
from dataclasses import dataclass, field
from urllib.parse import quote

import aiohttp

from calibrator.demo.corpus import Embedded

SIDE_HEADER = "X-Embedshift-Side"


@dataclass(frozen=True, slots=True)
class Request:
    """One prepared search request."""

    path: str
    body: bytes
    headers: dict[str, str]


@dataclass
class TrafficStats:
    """What the clients saw."""

    sent: int = 0
    ok: int = 0
    errors: int = 0
    skipped: int = 0
    by_side: dict[str, int] = field(default_factory=lambda: {"old": 0, "new": 0})
    latency_s: list[float] = field(default_factory=list)

    def p50_ms(self) -> float | None:
        """Median client latency in milliseconds (None before any answer)."""
        if not self.latency_s:
            return None
        ordered = sorted(self.latency_s[-2000:])
        return 1000 * ordered[len(ordered) // 2]


def requests_of(embedded: Embedded) -> list[Request]:
    """Every labelled query as a search request of the old model."""
    out = []
    for query, vector in zip(embedded.corpus.queries, embedded.old_queries, strict=True):
        body = {"vector": [round(float(v), 6) for v in vector], "limit": 10}
        out.append(
            Request(
                path=f"/collections/{query.segment}/points/search",
                body=json.dumps(body, separators=(",", ":")).encode(),
                headers={
                    "Content-Type": "application/json",
                    "X-Segment": query.segment,
                    "X-Query-Text": quote(query.text),
                },
            )
        )
    return out


class Traffic:
    """Sends ``requests`` to ``base_url`` at ``rate`` per second until stopped."""

    def __init__(
        self,
        base_url: str,
        requests: list[Request],
        rate: float,
        concurrency: int = 32,
        seed: int = 0,
    ) -> None:
        """Nothing is sent until :meth:`run`."""
        self.base_url = base_url.rstrip("/")
        self.requests = requests
        self.rate = rate
        self.slots = asyncio.Semaphore(concurrency)
        self.random = random.Random(seed)
        self.stats = TrafficStats()

    async def _one(self, session: aiohttp.ClientSession, request: Request) -> None:
        started = time.perf_counter()
        try:
            async with session.post(
                self.base_url + request.path, data=request.body, headers=request.headers
            ) as response:
                await response.read()
                side = response.headers.get(SIDE_HEADER, "old").partition(";")[0]
                ok = response.status == 200
        except (aiohttp.ClientError, OSError, TimeoutError):
            ok, side = False, ""
        finally:
            self.slots.release()
        if ok:
            self.stats.ok += 1
            self.stats.by_side[side] = self.stats.by_side.get(side, 0) + 1
            self.stats.latency_s.append(time.perf_counter() - started)
            del self.stats.latency_s[:-4000]
        else:
            self.stats.errors += 1

    async def run(self, stop: asyncio.Event) -> None:
        """Send until ``stop`` is set, then wait for the requests in flight."""
        timeout = aiohttp.ClientTimeout(total=10.0)
        tasks: set[asyncio.Task[None]] = set()
        async with aiohttp.ClientSession(timeout=timeout) as session:
            interval = 1.0 / self.rate
            next_at = time.monotonic()
            while not stop.is_set():
                now = time.monotonic()
                while next_at <= now:
                    next_at += interval
                    if self.slots.locked():
                        self.stats.skipped += 1
                        continue
                    await self.slots.acquire()
                    request = self.requests[self.random.randrange(len(self.requests))]
                    task = asyncio.create_task(self._one(session, request))
                    tasks.add(task)
                    task.add_done_callback(tasks.discard)
                    self.stats.sent += 1
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), max(0.0, next_at - time.monotonic()))
            if tasks:
                await asyncio.wait(tasks, timeout=10.0)
