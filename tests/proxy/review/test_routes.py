"""The review page's API on a real sidecar: blind items, votes kept per reviewer, tallies."""

from __future__ import annotations

import re

import aiohttp
import pytest

from proxy.review.routes import PUBLIC_PATHS

QUERIES = [("docs", f"what causes effect number {i}") for i in range(6)] + [
    ("code", f"how to call function {i}") for i in range(3)
]
BLIND_KEYS = {"item", "segment", "route", "rbo", "query", "left", "right", "vote"}


async def traffic(rig, session):
    """Every query of QUERIES once through the proxy, compared and kept."""
    for segment, text in QUERIES:
        await rig.search(session, text, segment)
    await rig.settle()


async def test_the_shell_loads_without_a_token_and_data_needs_one(make_review_rig):
    """HTML, CSS and JS load without a token under a strict CSP; every data call is 401."""
    rig = await make_review_rig()
    async with aiohttp.ClientSession() as session:
        for path in sorted(PUBLIC_PATHS):
            async with session.get(rig.admin.make_url(path)) as r:
                assert r.status == 200, path
                assert "script-src 'self'" in r.headers["Content-Security-Policy"]
                assert r.headers["Cache-Control"] == "no-store"
        for method, path in (
            ("GET", "/admin/review/queue"),
            ("POST", "/admin/review/votes"),
            ("GET", "/admin/review/tallies"),
            ("GET", "/admin/review/assets/other.js"),
        ):
            status, _ = await rig.call(session, method, path, {"item": "x"}, who=None)
            assert status == 401, path
        status, _ = await rig.call(session, "GET", "/admin/review/queue", who="mallory")
        assert status == 401


async def test_items_are_blind_until_voted(make_review_rig):
    """An item names no side and carries no score; texts and the query are there."""
    rig = await make_review_rig()
    async with aiohttp.ClientSession() as session:
        await traffic(rig, session)
        status, queue = await rig.call(session, "GET", "/admin/review/queue")
    assert status == 200
    assert queue["reviewer"] == "EMBEDSHIFT_ADMIN_TOKEN"
    assert queue["segments"] == ["code", "docs"]
    assert len(queue["items"]) == len(QUERIES)
    for item in queue["items"]:
        assert set(item) == BLIND_KEYS
        assert item["vote"] is None
        assert item["query"] in {text for _, text in QUERIES}
        for side in ("left", "right"):
            assert [set(r) for r in item[side]] == [{"rank", "id", "text"}] * 10
            assert all(r["text"] == f"passage {r['id']}" for r in item[side])
        raw = repr(item).lower()
        assert not re.search(r"\b(old|new)\b|score", raw), raw


async def test_sides_are_drawn_at_random_and_kept_per_reviewer(make_review_rig):
    """A reload shows the same arrangement; across many queries both arrangements occur."""
    rig = await make_review_rig("enabled = true\nstore_text = true\nqueries_per_segment = 50\n")
    many = [("docs", f"query {i}") for i in range(40)]
    async with aiohttp.ClientSession() as session:
        for segment, text in many:
            await rig.search(session, text, segment)
        await rig.settle()
        _, first = await rig.call(session, "GET", "/admin/review/queue")
        _, again = await rig.call(session, "GET", "/admin/review/queue")
    assert first["items"] == again["items"]
    assert len(first["items"]) == 40
    # the old index lists ids base..base+9 in order, the new one starts at base+4: the old list
    # is on the left where the left list starts with the lowest id of both
    lefts = sum(
        item["left"][0]["id"] == min(r["id"] for r in item["left"] + item["right"])
        for item in first["items"]
    )
    assert 5 <= lefts <= 35, lefts  # a fair coin: outside this range about once in 10^6


async def test_a_vote_is_kept_then_revealed_and_a_new_one_replaces_it(make_review_rig):
    """Vote for the side holding the new list: a win; change it: one vote, now a loss."""
    rig = await make_review_rig()
    async with aiohttp.ClientSession() as session:
        await traffic(rig, session)
        _, queue = await rig.call(session, "GET", "/admin/review/queue?segment=docs")
        item = queue["items"][0]
        assert {i["segment"] for i in queue["items"]} == {"docs"}
        new_side = rig.sidecar.reviews  # the server's secret, read directly for the test
        assignments = await new_side.assign("EMBEDSHIFT_ADMIN_TOKEN", [])
        assert assignments == {}
        status, kept = await rig.call(
            session, "POST", "/admin/review/votes", {"item": item["item"], "choice": "left"}
        )
        assert status == 200
        expected = "win" if kept["new_side"] == "left" else "loss"
        assert (kept["outcome"], kept["replaced"]) == (expected, None)
        status, changed = await rig.call(
            session, "POST", "/admin/review/votes", {"item": item["item"], "choice": "right"}
        )
        assert changed["replaced"] == "left"
        assert changed["outcome"] == ("loss" if expected == "win" else "win")
        _, tallies = await rig.call(session, "GET", "/admin/review/tallies")
        _, queue = await rig.call(session, "GET", "/admin/review/queue?segment=docs")
    docs = tallies["segments"]["docs"]
    assert docs["reviews"] == 1
    assert (docs["wins"], docs["losses"]) == ((0, 1) if expected == "win" else (1, 0))
    voted = next(i for i in queue["items"] if i["item"] == item["item"])
    assert voted["vote"]["choice"] == "right"
    assert voted["vote"]["new_side"] == kept["new_side"]


async def test_each_reviewer_has_one_vote_per_query(make_review_rig):
    """Two tokens vote on the same query: two reviews; neither may vote on an unseen query."""
    rig = await make_review_rig()
    async with aiohttp.ClientSession() as session:
        await traffic(rig, session)
        _, alice = await rig.call(session, "GET", "/admin/review/queue?segment=code")
        item = alice["items"][0]["item"]
        status, _ = await rig.call(
            session, "POST", "/admin/review/votes", {"item": item, "choice": "same"},
            who="bob",
        )  # fmt: skip
        assert status == 404  # never offered to bob
        _, bob = await rig.call(session, "GET", "/admin/review/queue", who="bob")
        assert bob["reviewer"] == "bob"
        for who in ("alice", "bob"):
            status, _ = await rig.call(
                session, "POST", "/admin/review/votes", {"item": item, "choice": "both_bad"},
                who=who,
            )  # fmt: skip
            assert status == 200
        _, tallies = await rig.call(session, "GET", "/admin/review/tallies")
    code = tallies["segments"]["code"]
    assert (code["reviews"], code["both_bad"]) == (2, 2)
    assert code["rates"]["both_bad"]["rate"] == 1.0
    assert code["criterion"]["status"] == "uncertain"  # 2 reviews, fewer than min_reviews
    assert rig.sidecar.reviews.tallies()["code"].reviews == 2
    assert (
        rig.registry.get_sample_value(
            "embedshift_review_tally", {"segment": "code", "outcome": "both_bad"}
        )
        == 2
    )
    assert (
        rig.registry.get_sample_value(
            "embedshift_review_votes_total", {"segment": "code", "outcome": "both_bad"}
        )
        == 2
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"nope", "the body must be a JSON object"),
        ({"item": "x"}, 'the body must be {"item"'),
        ({"item": "x", "choice": "left", "more": 1}, 'the body must be {"item"'),
        ({"item": 5, "choice": "left"}, "item must be an item id"),
        ({"item": "x", "choice": "better"}, "choice must be one of left, same, right, both_bad"),
    ],
)
async def test_bad_votes_get_400(make_review_rig, body, message):
    """Each malformed vote: 400 naming the problem."""
    rig = await make_review_rig()
    async with aiohttp.ClientSession() as session:
        status, answer = await rig.call(session, "POST", "/admin/review/votes", body)
    assert status == 400
    assert message in answer["error"]


async def test_review_off_serves_nothing(make_review_rig):
    """With [review].enabled = false the page and its API answer 404 saying how to turn it on."""
    rig = await make_review_rig("enabled = false\n")
    async with aiohttp.ClientSession() as session:
        for path in ("/admin/review", "/admin/review/queue", "/admin/review/tallies"):
            status, answer = await rig.call(session, "GET", path)
            assert status == 404
            assert "[review].enabled = true" in answer["error"]
    assert not (rig.folder / "reviews.sqlite").exists()


async def test_without_store_text_no_text_is_kept(make_review_rig):
    """store_text off: items hold ids only, no query text, and the examples file no text."""
    rig = await make_review_rig("enabled = true\n")
    async with aiohttp.ClientSession() as session:
        await traffic(rig, session)
        _, queue = await rig.call(session, "GET", "/admin/review/queue")
    assert queue["items"]
    for item in queue["items"]:
        assert item["query"] is None
        assert all(r["text"] is None for r in item["left"] + item["right"])
    data = (rig.folder / "examples.sqlite").read_bytes()
    assert b"passage" not in data
    assert b"what causes" not in data


async def test_texts_are_read_only_for_queries_that_enter_the_divergent_set(make_review_rig):
    """Once a segment's divergent set is full, a query no more divergent costs no text parse."""
    rig = await make_review_rig(examples="keep_most_divergent = 1\nkeep_uniform = 0\n")
    recorder = rig.sidecar.runtime.mirror.recorder
    calls = []
    real = recorder.capture.texts

    def counted(*args):
        calls.append(args[0].segment)
        return real(*args)

    recorder.capture.texts = counted
    async with aiohttp.ClientSession() as session:
        await rig.search(session, "the first query", "docs")
        await rig.settle()
        for i in range(3):  # every query here is exactly as divergent: none enters
            await rig.search(session, f"another query {i}", "docs")
        await rig.settle()
    assert calls == ["docs"]


async def test_votes_for_the_old_lists_fail_the_gate(make_review_rig):
    """Five reviewed queries, each vote for the old list: reviewed_preference fails the segment.

    (min_compared is lowered so that the few compared queries do not make the verdict
    inconclusive before the criteria are read.)
    """
    rig = await make_review_rig(gate="min_reviews = 5\nmin_compared = 2\n")
    async with aiohttp.ClientSession() as session:
        await traffic(rig, session)
        _, gate = await rig.call(session, "GET", "/admin/gate")
        before = gate["segments"]["docs"]["criteria"]["reviewed_preference"]
        assert before["status"] == "uncertain"
        _, queue = await rig.call(session, "GET", "/admin/review/queue?segment=docs")
        for item in queue["items"][:5]:
            _, kept = await rig.call(
                session, "POST", "/admin/review/votes", {"item": item["item"], "choice": "left"}
            )
            if kept["outcome"] == "win":  # left was the new list: vote for the other one
                body = {"item": item["item"], "choice": "right"}
                _, kept = await rig.call(session, "POST", "/admin/review/votes", body)
            assert kept["outcome"] == "loss"
        _, gate = await rig.call(session, "GET", "/admin/gate")
    docs = gate["segments"]["docs"]
    criterion = docs["criteria"]["reviewed_preference"]
    assert criterion["status"] == "fail", criterion
    assert "people prefer the old index" in criterion["reason"]
    assert docs["verdict"] == "fail"
    assert gate["segments"]["code"]["criteria"]["reviewed_preference"]["status"] == "uncertain"
