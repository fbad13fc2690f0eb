"""Chroma v2 query: answers, request rewriting, and collection UUIDs resolved by name."""

from __future__ import annotations

import json

import pytest

from proxy.adapters.chroma import ChromaAdapter
from proxy.errors import AdapterError, UnparseableResponseError, UnresolvedCollectionError

BASE = "/api/v2/tenants/default_tenant/databases/default_database/collections"
OLD_ID = "6d5e7b1c-0000-4000-8000-000000000001"
NEW_ID = "6d5e7b1c-0000-4000-8000-000000000002"

# As Chroma 1.5 answers POST .../collections/{id}/query (the server's QueryResponse).
ANSWER = {
    "ids": [["d1", "d2", "d3"], ["d9"]],
    "distances": [[0.1, 0.25, 0.5], [0.75]],
    "documents": [["a", "b", "c"], ["z"]],
    "metadatas": [[None, None, None], [None]],
    "embeddings": None,
    "uris": None,
    "include": ["distances", "documents", "metadatas"],
}


class Lookup:
    """A CollectionLookup over fixed name -> id tables per side, counting its calls."""

    def __init__(self, primary, shadow):
        """Name -> id tables of the primary and the shadow."""
        self.tables = {"primary": primary, "shadow": shadow}
        self.calls = []

    async def get_json(self, side, path):
        """Chroma's GET collection by name: 200 with the id, or 404."""
        self.calls.append((side, path))
        name = path.rsplit("/", 1)[1]
        found = self.tables[side].get(name)
        if found is None:
            return 404, {"error": "NotFoundError", "message": f"Collection [{name}] does not exist"}
        return 200, {"id": found, "name": name, "configuration_json": {}}


def test_batch_answer_gives_one_list_per_query_vector():
    """Each inner list is one query; distances become 1 - d."""
    lists = ChromaAdapter().rankings(ANSWER)
    assert [r.ids for r in lists] == [("d1", "d2", "d3"), ("d9",)]
    assert lists[0].scores == pytest.approx((0.9, 0.75, 0.5))
    assert lists[1].scores == pytest.approx((0.25,))


def test_empty_results_are_empty_lists():
    """A query over an empty collection answers empty inner lists."""
    lists = ChromaAdapter().rankings({"ids": [[]], "distances": [[]]})
    assert [r.ids for r in lists] == [()]


def test_an_answer_without_distances_is_read_by_ids_alone():
    """``"distances": null`` (the query left them out of include): each list's ids, no scores."""
    lists = ChromaAdapter().rankings({"ids": [["a", "b"], [7]], "distances": None})
    assert [(r.ids, r.scores) for r in lists] == [(("a", "b"), ()), (("7",), ())]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"error": "InvalidArgumentError", "message": "bad"}, "no 'ids'"),
        ({"ids": [["a", None]], "distances": None}, "id must be a string or number"),
        ({"ids": [["a", "b"]], "distances": [[0.1]]}, "has 2 ids but"),
        ({"ids": [["a"]], "distances": [["x"]]}, "finite number"),
    ],
)
def test_error_and_malformed_answers_are_unparseable(body, message):
    """An error body, a bad id or mismatched lists say what is wrong."""
    with pytest.raises(UnparseableResponseError, match=message):
        ChromaAdapter().rankings(body)


def test_query_embeddings_are_replaced_in_order():
    """Each query vector is replaced by the new one; other fields are kept."""
    adapter = ChromaAdapter()
    body = json.dumps(
        {"query_embeddings": [[0.1, 0.2], [0.3, 0.4]], "n_results": 10, "include": ["distances"]}
    ).encode()
    doc = adapter.parse_request(body)
    shape = adapter.query_vectors(doc)
    assert (shape.queries, shape.with_vector) == (2, (0, 1))
    out = json.loads(
        adapter.dump_request(adapter.rewrite(doc, {0: [1.0, 0.0, 0.0], 1: [0.0, 1.0, 0.0]}, {}))
    )
    assert out == {
        "query_embeddings": [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]],
        "n_results": 10,
        "include": ["distances"],
    }


def test_a_request_that_is_not_json_is_an_adapter_error():
    """A body that is not JSON cannot be rewritten."""
    with pytest.raises(AdapterError, match="not JSON"):
        ChromaAdapter().parse_request(b"\x00garbage")


async def test_old_uuid_maps_to_the_new_collections_uuid():
    """The old name resolves on the primary, the new on the shadow; the path gets the new id."""
    adapter = ChromaAdapter()
    lookup = Lookup({"old": OLD_ID}, {"new": NEW_ID})
    path = await adapter.shadow_path(f"{BASE}/{OLD_ID}/query", {"old": "new"}, lookup)
    assert path == f"{BASE}/{NEW_ID}/query"
    again = await adapter.shadow_path(f"{BASE}/{OLD_ID}/query", {"old": "new"}, lookup)
    assert again == path
    assert lookup.calls == [("primary", f"{BASE}/old"), ("shadow", f"{BASE}/new")]
    unknown = await adapter.shadow_path(f"{BASE}/some-other-id/query", {"old": "new"}, lookup)
    assert unknown == f"{BASE}/some-other-id/query"


async def test_a_404_from_the_shadow_resolves_again(monkeypatch):
    """A recreated collection (new UUID, shadow answers 404) is resolved again on next use."""
    adapter = ChromaAdapter()
    lookup = Lookup({"old": OLD_ID}, {"new": NEW_ID})
    await adapter.warm({"old": "new"}, lookup)
    assert len(lookup.calls) == 2
    lookup.tables["shadow"]["new"] = "recreated-id"
    path = f"{BASE}/{NEW_ID}/query"
    monkeypatch.setattr("proxy.adapters.chroma.RETRY_AFTER_S", 0.0)
    adapter.shadow_answered(path, 404)
    assert await adapter.shadow_path(f"{BASE}/{OLD_ID}/query", {"old": "new"}, lookup) == (
        f"{BASE}/recreated-id/query"
    )
    assert len(lookup.calls) == 4


async def test_a_missing_new_collection_is_an_adapter_error_not_retried_at_once():
    """A name the shadow does not know fails, and the failure is remembered for a while."""
    adapter = ChromaAdapter()
    lookup = Lookup({"old": OLD_ID}, {})
    for _ in range(3):
        with pytest.raises(AdapterError, match="'new' not found on the shadow"):
            await adapter.shadow_path(f"{BASE}/{OLD_ID}/query", {"old": "new"}, lookup)
    assert len(lookup.calls) == 2


async def test_an_unresolvable_entry_stops_only_its_own_collection():
    """Map a->a2 (both exist) and b->b2 (b2 missing): a maps, b is unresolved, others pass."""
    adapter = ChromaAdapter()
    lookup = Lookup({"a": "id-a", "b": "id-b"}, {"a2": "id-a2"})
    mapping = {"a": "a2", "b": "b2"}
    assert await adapter.shadow_path(f"{BASE}/id-a/query", mapping, lookup) == f"{BASE}/id-a2/query"
    with pytest.raises(UnresolvedCollectionError, match="'b2' not found on the shadow"):
        await adapter.shadow_path(f"{BASE}/id-b/query", mapping, lookup)
    assert await adapter.shadow_path(f"{BASE}/id-c/query", mapping, lookup) == f"{BASE}/id-c/query"
    with pytest.raises(AdapterError, match="not mirrored until it resolves"):
        await adapter.warm(mapping, lookup)
