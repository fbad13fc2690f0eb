"""The queue: distinct divergent queries per segment, blind until voted."""

from __future__ import annotations

from proxy.review.queue import blind, candidates, item_key
from proxy.review.store import Assignment


def example(segment, sha, rbo, query=None, index=0):
    """A stored example as ExampleStore.query gives it (old ids a*, new ids b*)."""
    return {
        "route": "search",
        "segment": segment,
        "request_sha256": sha,
        "query_index": index,
        "rbo": rbo,
        "overlap_at_k": 0.5,
        "query_text": query,
        "results": [
            {"rank": 1, "old": {"id": "a1", "score": 0.9, "text": "A one"},
             "new": {"id": "b1", "score": 0.7, "text": "B one"}},
            {"rank": 2, "old": {"id": "a2", "score": 0.8}, "new": None},
        ],
    }  # fmt: skip


def test_distinct_queries_per_segment_in_the_order_given():
    """A query kept twice is offered once; each segment stops at per_segment."""
    found = [
        example("docs", "s1", 0.1),
        example("docs", "s1", 0.1),  # the same query kept twice
        example("code", "s2", 0.2),
        example("docs", "s3", 0.3),
        example("docs", "s4", 0.4),
        example("docs", "s1", 0.5, index=1),  # another query of the same request
    ]
    chosen = candidates(found, per_segment=3)
    assert [(c.segment, c.rbo) for c in chosen] == [
        ("code", 0.2),
        ("docs", 0.1),
        ("docs", 0.3),
        ("docs", 0.4),
    ]


def test_the_query_text_tells_requests_with_one_body_apart():
    """Two requests with one body but different header texts are two queries."""
    assert item_key("r", "s", "sha", 0, "one") != item_key("r", "s", "sha", 0, "two")
    assert item_key("r", "s", "sha", 0, None) == item_key("r", "s", "sha", 0, None)


def test_blind_items_follow_the_assignment_and_hide_scores():
    """The new list is on the assigned side; no score; the vote (and side) once voted."""
    candidate = candidates([example("docs", "s1", 0.1, "why?")], 5)[0]
    left_new = blind(candidate, Assignment("left"))
    assert [r["id"] for r in left_new["left"]] == ["b1"]
    assert [r["id"] for r in left_new["right"]] == ["a1", "a2"]
    assert left_new["right"][1] == {"rank": 2, "id": "a2", "text": None}
    assert "score" not in repr(left_new)
    assert left_new["vote"] is None
    right_new = blind(candidate, Assignment("right", "same", 12.5))
    assert [r["id"] for r in right_new["right"]] == ["b1"]
    assert right_new["vote"] == {"choice": "same", "new_side": "right", "voted_at": 12.5}
    assert right_new["query"] == "why?"
