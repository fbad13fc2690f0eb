"""The votes' store: assignments kept, one vote per reviewer and query, tallies, a 0600 file."""

from __future__ import annotations

import stat

import pytest
from prometheus_client import CollectorRegistry

from proxy.metrics import ReviewMetrics
from proxy.review.store import Offered, ReviewStore, outcome_of
from proxy.review.tally import Tally

DOCS = [Offered(f"item{i}", "docs", "search") for i in range(4)]


@pytest.fixture
def store(tmp_path):
    """A store in a fresh folder, closed afterwards."""
    opened = ReviewStore(tmp_path / "var" / "reviews.sqlite")
    yield opened
    opened.close()


@pytest.mark.parametrize(
    ("choice", "new_side", "outcome"),
    [
        ("left", "left", "win"),
        ("right", "right", "win"),
        ("left", "right", "loss"),
        ("right", "left", "loss"),
        ("same", "left", "tie"),
        ("both_bad", "right", "both_bad"),
    ],
)
def test_what_a_choice_says_of_the_new_index(choice, new_side, outcome):
    """Picking the side that showed the new list is a win, the other side a loss."""
    assert outcome_of(choice, new_side) == outcome


async def test_the_file_is_created_private(store):
    """The votes name people: the file is 0600 (its folder made when missing)."""
    await store.assign("alice", DOCS[:1])
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600


async def test_a_file_others_could_read_is_narrowed(tmp_path):
    """An existing file with group or other bits is narrowed to 0600 when opened."""
    path = tmp_path / "reviews.sqlite"
    path.touch(mode=0o644)
    path.chmod(0o644)
    store = ReviewStore(path)
    try:
        await store.assign("alice", DOCS[:1])
    finally:
        store.close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


async def test_assignments_are_kept_and_per_reviewer(store):
    """A second offer gives the same sides; another reviewer gets draws of their own."""
    first = await store.assign("alice", DOCS)
    assert await store.assign("alice", DOCS) == first
    assert all(a.choice is None for a in first.values())
    many = [Offered(f"q{i}", "docs", "search") for i in range(60)]
    sides = {a.new_side for a in (await store.assign("bob", many)).values()}
    assert sides == {"left", "right"}  # 60 fair draws all alike: 2 in 10^18


async def test_one_vote_per_reviewer_and_query(store):
    """A new vote replaces the old one; tallies count votes in force; unknown items refused."""
    sides = await store.assign("alice", DOCS)
    new_side = sides["item0"].new_side
    other = "right" if new_side == "left" else "left"
    first = await store.vote("alice", "item0", new_side)
    assert (first.outcome, first.replaced) == ("win", None)
    second = await store.vote("alice", "item0", other)
    assert (second.outcome, second.replaced) == ("loss", new_side)
    await store.vote("alice", "item1", "same")
    assert store.tallies() == {"docs": Tally(losses=1, ties=1)}
    assert await store.vote("alice", "never-offered", "left") is None
    assert await store.vote("bob", "item0", "left") is None  # offered to alice, not to bob
    again = await store.assign("alice", DOCS[:1])
    assert again["item0"].choice == other


async def test_processes_sharing_the_file_see_each_others_votes(tmp_path):
    """Two stores on one file: a vote through one is in the other's tallies after refresh."""
    path = tmp_path / "reviews.sqlite"
    one, two = ReviewStore(path), ReviewStore(path)
    try:
        await one.assign("alice", DOCS)
        await one.vote("alice", "item2", "both_bad")
        assert two.tallies() == {}
        assert await two.refresh() == {"docs": Tally(both_bad=1)}
        assert two.tallies()["docs"].reviews == 1
    finally:
        one.close()
        two.close()


async def test_votes_are_counted_in_metrics(tmp_path):
    """Each vote counts once by outcome; the tally gauge holds the votes in force."""
    registry = CollectorRegistry()
    store = ReviewStore(tmp_path / "reviews.sqlite", ReviewMetrics(registry))
    try:
        sides = await store.assign("alice", DOCS)
        await store.vote("alice", "item0", sides["item0"].new_side)
        await store.vote("alice", "item0", "same")
    finally:
        store.close()

    def value(name, outcome):
        return registry.get_sample_value(name, {"segment": "docs", "outcome": outcome})

    assert value("embedshift_review_votes_total", "win") == 1
    assert value("embedshift_review_votes_total", "tie") == 1
    assert value("embedshift_review_tally", "win") == 0
    assert value("embedshift_review_tally", "tie") == 1


def test_tally_json_has_wilson_intervals():
    """Rates over every review, each with its Wilson interval; none without reviews."""
    doc = Tally(wins=8, losses=2).as_json()
    assert doc["reviews"] == 10
    assert doc["rates"]["win"]["rate"] == 0.8
    assert doc["rates"]["win"]["low"] == pytest.approx(0.4902, abs=1e-4)
    assert doc["rates"]["win"]["high"] == pytest.approx(0.9433, abs=1e-4)
    assert Tally().as_json()["rates"]["loss"] == {"rate": None, "low": 0.0, "high": 1.0}
