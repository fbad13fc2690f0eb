"""10,000 searches at 300/s through a real sidecar while its mode changes every second.

The backends (real processes) mark every result with their side. The sidecar adds
``X-Embedshift-Side: old|new;gen=N`` (``[modes].side_header``): the generation of the mode the
request captured when it started. The test checks, for every response:

- status 200 (no client error, whatever the mode did meanwhile);
- the body came from the side the header names;
- the generation is one the request could have started under: at least the last change the
  admin API had acknowledged before the request was sent, at most the last one asked for
  before its answer arrived;
- that generation's mode (from the audit log) names that side: shadow old, flipped new, a
  canary the same side for one user key every time.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import Counter, defaultdict

import aiohttp
import pytest

from tests.support.backends import start_backend, stop_process
from tests.support.sidecar import Sidecar, qdrant_config

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]
TOKEN = "flip-load-token"  # noqa: S105 - a test token
REQUESTS = 10_000
RATE = 300.0
CYCLE: list[dict[str, object]] = [
    {"mode": "flipped"},
    {"mode": "shadow"},
    {"mode": "canary", "percent": 50},
    {"mode": "flipped"},
    {"mode": "canary", "percent": 20},
    {"mode": "shadow"},
]


class Flipper:
    """Changes the mode every second; knows the last generation acknowledged and asked for."""

    def __init__(self, admin: str) -> None:
        """``admin``: base URL of the admin API."""
        self.admin = admin
        self.acknowledged = 0
        self.asked = 0
        self.accepted = 0

    async def run(self, session: aiohttp.ClientSession, stop: asyncio.Event) -> None:
        """Flip through :data:`CYCLE` until ``stop``."""
        headers = {"Authorization": f"Bearer {TOKEN}"}
        for change in itertools.cycle(CYCLE):
            try:
                await asyncio.wait_for(stop.wait(), 1.0)
            except TimeoutError:
                pass
            else:
                return
            self.asked = self.acknowledged + 1
            body = {**change, "force": True, "reason": "flip under load"}
            async with session.post(
                f"{self.admin}/admin/mode", json=body, headers=headers
            ) as response:
                answer = await response.json()
                assert response.status == 200, answer
            assert answer["mode"]["generation"] == self.asked
            self.acknowledged = self.asked
            self.accepted += 1


async def one_search(session, url, user, flipper, results):
    """A search; records (user, generation bounds, header, marker, status)."""
    low = flipper.acknowledged
    async with session.post(
        f"{url}/collections/docs/points/search",
        data=json.dumps({"vector": [0.1, 0.2], "limit": 10}),
        headers={"X-Segment": "docs", "X-User": user, "Content-Type": "application/json"},
    ) as response:
        body = await response.read()
        high = flipper.asked
        results.append(
            (user, low, high, response.headers.get("X-Embedshift-Side"), body, response.status)
        )


async def test_flip_back_and_forth_under_load(tmp_path):
    """No client error, and each answer came from the side its starting mode named."""
    old_url, old_proc = start_backend("old", tmp_path)
    new_url, new_proc = start_backend("new", tmp_path)
    extra = f"""
    [shadow]
    max_rps = 10000
    max_in_flight = 512
    max_loop_lag_s = 5.0
    [modes]
    state_path = "{tmp_path / "modes.sqlite"}"
    side_header = true
    canary_key = {{ header = "X-User" }}
    """
    sidecar = Sidecar(
        tmp_path, qdrant_config(old_url, new_url, extra), env={"EMBEDSHIFT_ADMIN_TOKEN": TOKEN}
    )
    admin = f"http://127.0.0.1:{sidecar.admin_port}"
    results: list[tuple[str, int, int, str, bytes, int]] = []
    try:
        await asyncio.to_thread(sidecar.start)
        flipper = Flipper(admin)
        stop = asyncio.Event()
        limit = asyncio.Semaphore(256)
        connector = aiohttp.TCPConnector(limit=256)
        async with aiohttp.ClientSession(connector=connector) as session:
            flips = asyncio.create_task(flipper.run(session, stop))

            async def paced(i):
                async with limit:
                    await one_search(session, sidecar.url, f"user-{i % 97}", flipper, results)

            start = time.monotonic()
            tasks = []
            for i in range(REQUESTS):
                delay = start + i / RATE - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.create_task(paced(i)))
            await asyncio.gather(*tasks)
            elapsed = time.monotonic() - start
            stop.set()
            await flips
            async with session.get(
                f"{admin}/admin/audit?limit=1000", headers={"Authorization": f"Bearer {TOKEN}"}
            ) as response:
                entries = (await response.json())["entries"]
        compared = await asyncio.to_thread(
            sidecar.metric,
            "embedshift_shadow_requests_total",
            route="search",
            segment="docs",
            outcome="compared",
        )
    finally:
        await asyncio.to_thread(sidecar.stop)
        stop_process(old_proc)
        stop_process(new_proc)

    assert len(results) == REQUESTS
    assert Counter(r[5] for r in results) == {200: REQUESTS}
    assert flipper.accepted >= 20, f"only {flipper.accepted} flips in {elapsed:.1f} s"
    check_sides(results, entries, flipper.accepted)
    assert compared is not None
    assert compared > REQUESTS / 2  # in every mode, the other side was mirrored and compared
    print(
        f"{REQUESTS} requests in {elapsed:.1f} s, {flipper.accepted} flips, {compared:.0f} compared"
    )


def check_sides(results, entries, accepted):
    """Every answer came from the side named by the generation it started under."""
    assert sorted(e["generation"] for e in entries) == list(range(1, accepted + 1))
    mode_of = {0: ("shadow", 0.0)} | {
        e["generation"]: (e["to_mode"], e["to_percent"]) for e in entries
    }
    canary_sides: dict[tuple[float, str], set[str]] = defaultdict(set)
    seen_generations = set()
    for user, low, high, header, body, _ in results:
        markers = {r["payload"]["m"] for r in json.loads(body)["result"]}
        side, _, gen_text = header.partition(";gen=")
        generation = int(gen_text)
        seen_generations.add(generation)
        assert markers == {side}, (header, markers)
        assert low <= generation <= high, (low, generation, high)
        mode, percent = mode_of[generation]
        if mode == "shadow":
            assert side == "old", (generation, header)
        elif mode == "flipped":
            assert side == "new", (generation, header)
        else:
            canary_sides[(percent, user)].add(side)
    assert len(seen_generations) >= 20
    assert all(len(sides) == 1 for sides in canary_sides.values()), canary_sides
    at_half = Counter(next(iter(s)) for (p, _), s in canary_sides.items() if p == 50.0)
    assert at_half["new"] > 0, at_half
    assert at_half["old"] > 0, at_half
