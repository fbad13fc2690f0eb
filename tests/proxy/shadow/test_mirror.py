"""The shadow path: mirrored in the background, isolated from clients, compared and counted."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import math

import aiohttp
import pytest
import rbo as rbo_reference
from prometheus_client import CollectorRegistry

from proxy.server.app import SIDECAR, create_app
from tests.support.backends import FakeQdrant
from tests.support.config import make_config

SEARCH = "/collections/docs/points/search"
QUERY = json.dumps({"vector": [0.1, 0.2, 0.3], "limit": 10}).encode()


class Rig:
    """Two fake backends and the proxy in front of them, with a registry to read."""

    def __init__(self, old, new, old_server, new_server, proxy_server, registry):
        """Keep the parts; the sidecar is the proxy app's."""
        self.old, self.new = old, new
        self.old_server, self.new_server, self.proxy_server = old_server, new_server, proxy_server
        self.registry = registry
        self.sidecar = proxy_server.app[SIDECAR]

    async def search(self, session, segment="docs", body=QUERY, path=SEARCH, headers=None):
        """One search through the proxy: (status, body)."""
        hdrs = {"X-Segment": segment, **(headers or {})}
        async with session.post(self.proxy_server.make_url(path), data=body, headers=hdrs) as r:
            return r.status, await r.read()

    async def settle(self):
        """Wait until every shadow task has finished (no timing: completion)."""
        assert await self.sidecar.shadow_tasks.wait_idle(10.0)

    def outcome(self, outcome, segment="docs", route="search"):
        """The shadow-outcome counter's value."""
        value = self.registry.get_sample_value(
            "embedshift_shadow_requests_total",
            {"route": route, "segment": segment, "outcome": outcome},
        )
        return value or 0.0

    def hist(self, name, suffix, segment="docs"):
        """A histogram's _sum or _count."""
        return self.registry.get_sample_value(
            f"{name}_{suffix}", {"route": "search", "segment": segment}
        )


@pytest.fixture
def rig_factory(aiohttp_server, dead_port_factory):
    """Builds a Rig: backends as given (or default), the new one possibly down."""

    async def make(old=None, new=None, extra="", new_down=False, routes=None):
        old = old or FakeQdrant(marker="old")
        new = new or FakeQdrant(marker="new")
        old_server = await aiohttp_server(old.app())
        new_server = None
        if new_down:
            new_url = f"http://127.0.0.1:{dead_port_factory()}"
        else:
            new_server = await aiohttp_server(new.app())
            new_url = str(new_server.make_url(""))
        config = make_config(str(old_server.make_url("")), new_url, extra=extra, routes=routes)
        registry = CollectorRegistry()
        proxy_server = await aiohttp_server(create_app(config, registry))
        return Rig(old, new, old_server, new_server, proxy_server, registry)

    return make


def tau_bucket(rig, segment, le):
    """Cumulative count of the Kendall-tau histogram at bucket ``le``."""
    return rig.registry.get_sample_value(
        "embedshift_kendall_tau_bucket", {"route": "search", "segment": segment, "le": le}
    )


async def _direct(rig):
    """The old backend's own answer to QUERY."""
    async with (
        aiohttp.ClientSession() as session,
        session.post(rig.old_server.make_url(SEARCH), data=QUERY) as r,
    ):
        return await r.read()


@pytest.mark.parametrize(
    ("case", "outcome"),
    [
        ("down", "shadow_error"),
        ("status500", "shadow_error"),
        ("garbage", "unparseable"),
        ("slow", "shadow_timeout"),
    ],
)
async def test_shadow_failures_never_reach_clients(rig_factory, case, outcome):
    """Shadow down, failing, answering garbage or too slowly: clients get the primary's answer."""
    new = FakeQdrant(
        status=500 if case == "status500" else 200,
        garbage=case == "garbage",
        delay_s=5.0 if case == "slow" else 0.0,
    )
    rig = await rig_factory(new=new, new_down=case == "down", extra="[shadow]\ntimeout_s = 0.5\n")
    expected = await _direct(rig)
    async with aiohttp.ClientSession() as session:
        for _ in range(5):
            status, body = await rig.search(session)
            assert status == 200
            assert body == expected
    if case == "slow":
        # the clients were answered while every shadow request was still waiting on the backend
        assert len(rig.sidecar.shadow_tasks) >= 1
        assert rig.outcome("shadow_timeout") < 5
    await rig.settle()
    assert rig.outcome(outcome) == 5
    assert rig.outcome("compared") == 0


async def test_designed_lists_give_known_metrics(rig_factory):
    """Identical lists: RBO 1; disjoint: 0; a known swap: the reference rbo_ext value."""
    old, new = FakeQdrant(), FakeQdrant()
    rig = await rig_factory(old=old, new=new)
    ids = list(range(10))
    cases = [
        ("docs", ids, ids),
        ("code", ids, list(range(100, 110))),
        ("other", ids, [1, 0, 2, 3, 4, 5, 6, 7, 9, 8]),
    ]
    async with aiohttp.ClientSession() as session:
        for segment, old_ids, new_ids in cases:
            old.ids, new.ids = old_ids, new_ids
            await rig.search(session, segment=segment)
            await rig.settle()
    assert rig.hist("embedshift_rbo", "sum", "docs") == pytest.approx(1.0)
    assert rig.hist("embedshift_overlap_at_k", "sum", "docs") == pytest.approx(1.0)
    assert tau_bucket(rig, "docs", "0.95") == 0  # tau = 1 (no _sum: the buckets go below 0)
    assert tau_bucket(rig, "docs", "1.0") == 1
    assert rig.hist("embedshift_rbo", "sum", "code") == pytest.approx(0.0)
    assert rig.hist("embedshift_overlap_at_k", "sum", "code") == pytest.approx(0.0)
    assert rig.hist("embedshift_kendall_tau", "count", "code") == 0  # undefined: nothing shared
    swapped = [str(i) for i in cases[2][2]]
    expected_rbo = rbo_reference.RankingSimilarity([str(i) for i in ids], swapped).rbo_ext(p=0.9)
    assert rig.hist("embedshift_rbo", "sum", "other") == pytest.approx(expected_rbo)
    # two discordant pairs of 45: tau = (43 - 2) / 45 = 0.911
    assert tau_bucket(rig, "other", "0.9") == 0
    assert tau_bucket(rig, "other", "0.95") == 1
    top1 = rig.registry.get_sample_value(
        "embedshift_top1_agreements_total", {"route": "search", "segment": "other"}
    )
    assert top1 == 0.0
    for segment in ("docs", "code", "other"):
        assert rig.outcome("compared", segment) == 1


async def test_scores_by_side_and_rank(rig_factory):
    """embedshift_score records rank-1 and rank-k scores of each side separately."""
    old = FakeQdrant(scores=[0.95 - 0.02 * i for i in range(10)])
    new = FakeQdrant(scores=[0.70 - 0.01 * i for i in range(10)])
    rig = await rig_factory(old=old, new=new)
    async with aiohttp.ClientSession() as session:
        await rig.search(session)
    await rig.settle()

    def score(side, rank):
        return rig.registry.get_sample_value(
            "embedshift_score_sum",
            {"route": "search", "segment": "docs", "side": side, "rank": rank},
        )

    assert score("old", "top1") == pytest.approx(0.95)
    assert score("old", "topk") == pytest.approx(0.95 - 0.18)
    assert score("new", "top1") == pytest.approx(0.70)
    assert score("new", "topk") == pytest.approx(0.61)


async def test_sampling_and_consistent_sampling(rig_factory):
    """sample_rate 0 mirrors nothing; with a sample key one key is always or never mirrored."""
    rig = await rig_factory(extra="[shadow]\nsample_rate = 0.0\n")
    async with aiohttp.ClientSession() as session:
        for _ in range(4):
            await rig.search(session)
    await rig.settle()
    assert rig.outcome("sampled_out") == 4
    assert rig.new.received == []

    rig = await rig_factory(
        extra='[shadow]\nsample_rate = 0.5\nsample_key = { header = "X-User" }\n'
    )
    decisions: dict[int, set[bool]] = {}
    async with aiohttp.ClientSession() as session:
        for user in range(40):
            for _ in range(3):
                before = len(rig.new.received)
                await rig.search(session, headers={"X-User": f"user-{user}"})
                await rig.settle()
                decisions.setdefault(user, set()).add(len(rig.new.received) > before)
    assert all(len(d) == 1 for d in decisions.values())  # never both
    mirrored = len([d for d in decisions.values() if True in d])
    assert 5 <= mirrored <= 35  # about half of 40 users (binomial, p=0.5: outside is ~1e-5)


async def test_saturation_drops_and_counts(rig_factory):
    """Beyond max_in_flight shadow requests, new ones are dropped, not queued."""
    held = asyncio.Event()  # the new index answers nothing until the test says so
    rig = await rig_factory(
        new=FakeQdrant(hold=held), extra="[shadow]\nmax_in_flight = 2\ntimeout_s = 60.0\n"
    )
    async with aiohttp.ClientSession() as session:
        for _ in range(6):
            status, _ = await rig.search(session)
            assert status == 200
    assert rig.outcome("dropped_saturated") == 4
    held.set()
    await rig.settle()
    assert rig.outcome("compared") == 2


async def test_rate_cap_drops_and_counts(rig_factory):
    """Beyond max_rps shadow requests per second, new ones are dropped and counted."""
    rig = await rig_factory(extra="[shadow]\nmax_rps = 1\n")
    async with aiohttp.ClientSession() as session:
        for _ in range(5):
            await rig.search(session)
    await rig.settle()
    assert rig.outcome("dropped_rate_limited") >= 1
    assert rig.outcome("dropped_rate_limited") + rig.outcome("compared") == 5


async def test_overload_sheds_the_shadow_first(rig_factory):
    """When the event loop lags beyond its bound, searches are answered but not mirrored."""
    rig = await rig_factory()
    rig.sidecar.lag.max_lag_s = -1.0  # any lag at all counts as overload
    rig.sidecar.lag.observe(0.0)
    async with aiohttp.ClientSession() as session:
        status, _ = await rig.search(session)
    assert status == 200
    await rig.settle()
    assert rig.outcome("dropped_overload") == 1
    assert rig.new.received == []


async def test_shadow_request_shape(rig_factory):
    """Mirrors carry X-Embedshift-Shadow: 1, the same body, and the rewritten collection."""
    routes = """
[[routes]]
name = "search"
path = "/collections/{collection}/points/search"
adapter = "qdrant"
segment = { path = "collection" }
collection_map = { docs = "docs_mpnet" }
"""
    rig = await rig_factory(routes=routes)
    async with aiohttp.ClientSession() as session:
        await rig.search(session, path="/collections/docs/points/search?wait=true")
    await rig.settle()
    assert len(rig.new.received) == 1
    mirrored = rig.new.received[0]
    assert mirrored["path"] == "/collections/docs_mpnet/points/search?wait=true"
    assert mirrored["headers"]["X-Embedshift-Shadow"] == "1"
    assert mirrored["body"] == QUERY
    assert rig.old.received[0]["path"] == "/collections/docs/points/search?wait=true"
    assert "X-Embedshift-Shadow" not in rig.old.received[0]["headers"]
    for side in (rig.old, rig.new):  # the same X-Forwarded-* trio as on passthrough
        forwarded = side.received[0]["headers"]
        assert forwarded["X-Forwarded-For"] == "127.0.0.1"
        assert forwarded["X-Forwarded-Proto"] == "http"
        assert forwarded["X-Forwarded-Host"] == f"127.0.0.1:{rig.proxy_server.port}"
    assert rig.outcome("compared", segment="docs") == 1


async def test_writes_and_other_paths_are_never_mirrored(rig_factory):
    """Only configured search routes are mirrored: writes and other reads never are."""
    rig = await rig_factory()
    async with aiohttp.ClientSession() as session:
        for method, path in [
            ("PUT", "/collections/docs/points"),
            ("GET", "/collections/docs/points/search"),
            ("POST", "/collections/docs/points/delete"),
        ]:
            async with session.request(method, rig.proxy_server.make_url(path), data=b"{}") as r:
                assert r.status == 200
    await rig.settle()
    assert rig.new.received == []


async def test_segments_are_bounded(rig_factory):
    """A segment not listed in the config is reported as 'other'."""
    rig = await rig_factory()
    async with aiohttp.ClientSession() as session:
        await rig.search(session, segment="secret-customer-42")
        await rig.search(session, segment="code")
    await rig.settle()
    assert rig.outcome("compared", "other") == 1
    assert rig.outcome("compared", "code") == 1
    exposition = rig.registry.get_sample_value  # label values come only from config
    assert (
        exposition(
            "embedshift_shadow_requests_total",
            {"route": "search", "segment": "secret-customer-42", "outcome": "compared"},
        )
        is None
    )


async def test_primary_failure_is_not_compared(rig_factory):
    """When the primary answers an error, the shadow is not compared (outcome primary_error)."""
    rig = await rig_factory(old=FakeQdrant(status=500))
    async with aiohttp.ClientSession() as session:
        status, _ = await rig.search(session)
    assert status == 500
    await rig.settle()
    assert rig.outcome("primary_error") == 1


async def test_kept_examples_are_the_most_divergent(rig_factory):
    """The admin API lists the lowest-RBO queries first, both lists side by side, body hashed."""
    old, new = FakeQdrant(), FakeQdrant()
    rig = await rig_factory(old=old, new=new)
    from proxy.admin.api import create_admin_app

    deps = dataclasses.replace(rig.sidecar.admin_deps(), env={"EMBEDSHIFT_ADMIN_TOKEN": "s3cret"})
    admin = create_admin_app(deps)
    from aiohttp.test_utils import TestServer

    async with TestServer(admin) as admin_server, aiohttp.ClientSession() as session:
        for shift in (0, 5, 2, 9):
            old.ids, new.ids = list(range(10)), list(range(shift, shift + 10))
            body = json.dumps({"vector": [shift], "limit": 10}).encode()
            await rig.search(session, body=body)
            await rig.settle()
        url = admin_server.make_url("/admin/examples?segment=docs&limit=2")
        async with session.get(url) as r:
            assert r.status == 401
        async with session.get(url, headers={"Authorization": "Bearer s3cret"}) as r:
            assert r.status == 200
            listed = await r.json()
    examples = listed["examples"]
    assert [e["rbo"] for e in examples] == sorted(e["rbo"] for e in examples)
    assert len(examples) == 2
    worst = examples[0]
    assert worst["results"][0]["old"]["id"] == "0"
    assert worst["results"][0]["new"]["id"] == "9"
    assert "request_body" not in worst
    assert len(worst["request_sha256"]) == 64
    assert math.isclose(worst["overlap_at_k"], 0.1)
