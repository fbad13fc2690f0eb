"""Typesense multi_search: hits per search, vector_query rewriting inside its string."""

from __future__ import annotations

import json

import pytest

from proxy.adapters.typesense import TypesenseAdapter, parse_vector_query
from proxy.errors import AdapterError, UnparseableResponseError


class NoLookup:
    """A CollectionLookup that must not be used (Typesense resolves nothing)."""

    async def get_json(self, side, path):
        """Fail: nothing is looked up."""
        raise AssertionError((side, path))


NO_LOOKUP = NoLookup()


def hit(doc_id, distance):
    """One hit of a vector search."""
    return {"document": {"id": doc_id, "title": "t"}, "highlights": [], "vector_distance": distance}


# As Typesense 0.24 answers POST /multi_search (one result per search; an error in place).
ANSWER = {
    "results": [
        {
            "facet_counts": [],
            "found": 2,
            "hits": [hit("7", 0.1), hit("3", 0.3)],
            "out_of": 10,
            "page": 1,
        },
        {"found": 0, "hits": [], "out_of": 10, "page": 1},
    ]
}


def test_multi_search_gives_one_list_per_search():
    """Document ids in order; vector_distance becomes 1 - d; an empty search is empty."""
    lists = TypesenseAdapter().rankings(ANSWER)
    assert [r.ids for r in lists] == [("7", "3"), ()]
    assert lists[0].scores == pytest.approx((0.9, 0.7))


def test_single_search_answer():
    """GET /collections/x/documents/search answers one result."""
    lists = TypesenseAdapter().rankings({"found": 1, "hits": [hit("a", 0.2)]})
    assert [r.ids for r in lists] == [("a",)]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"results": [{"code": 404, "error": "Not found."}]},
            "search failed \\(404: Not found.\\)",
        ),
        (
            {"results": [{"hits": [{"document": {"id": "a"}, "text_match": 5}]}]},
            "no vector_distance",
        ),
        ({"message": "Forbidden - a valid `x-typesense-api-key` header must be sent."}, "hits"),
    ],
)
def test_errors_are_unparseable(body, message):
    """A failed search, a text-only search or an error body say what is wrong."""
    with pytest.raises(UnparseableResponseError, match=message):
        TypesenseAdapter().rankings(body)


@pytest.mark.parametrize(
    ("text", "head", "vector", "tail"),
    [
        ("vec:([0.5, -1, 2e-3], k: 10)", "vec:(", [0.5, -1.0, 0.002], ", k: 10)"),
        (
            "  emb : ( [1,2] ,k:3, distance_threshold:0.3 ) ",
            "  emb : ( ",
            [1.0, 2.0],
            " ,k:3, distance_threshold:0.3 ) ",
        ),
        ("vec:([], id: 42)", "vec:(", [], ", id: 42)"),
    ],
)
def test_vector_query_parses(text, head, vector, tail):
    """The vector is cut out of the string with everything around it kept verbatim."""
    assert parse_vector_query(text) == (head, vector, tail)


@pytest.mark.parametrize("text", ["vec:[1,2]", "vec:([1, x], k: 3)", "nothing"])
def test_bad_vector_query_is_an_adapter_error(text):
    """Malformed vector queries are refused, never half rewritten."""
    with pytest.raises(AdapterError):
        parse_vector_query(text)


def test_rewrite_changes_numbers_and_collections_only():
    """New numbers inside each vector_query, collections renamed, id-based search untouched."""
    adapter = TypesenseAdapter()
    doc = {
        "searches": [
            {
                "collection": "old",
                "q": "*",
                "vector_query": "vec:([0.1, 0.2], k: 10)",
                "per_page": 10,
            },
            {"collection": "old", "q": "*", "vector_query": "vec:([], id: 5)"},
            {"collection": "other", "q": "*", "vector_query": "vec:([0.3, 0.4], k: 10)"},
        ]
    }
    shape = adapter.query_vectors(doc)
    assert (shape.queries, shape.with_vector) == (3, (0, 2))
    out = json.loads(
        adapter.dump_request(
            adapter.rewrite(doc, {0: [1.0, 0.5, 0.25], 2: [0.0, 1.0, 0.0]}, {"old": "new"})
        )
    )
    assert out["searches"][0] == {
        "collection": "new",
        "q": "*",
        "vector_query": "vec:([1.0, 0.5, 0.25], k: 10)",
        "per_page": 10,
    }
    assert out["searches"][1] == {"collection": "new", "q": "*", "vector_query": "vec:([], id: 5)"}
    assert out["searches"][2]["vector_query"] == "vec:([0.0, 1.0, 0.0], k: 10)"
    assert out["searches"][2]["collection"] == "other"


async def test_collection_common_parameter_is_renamed():
    """A collection given in the query string (common params) is renamed too."""
    adapter = TypesenseAdapter()
    path = await adapter.shadow_path(
        "/multi_search?collection=old&per_page=10", {"old": "new"}, NO_LOOKUP
    )
    assert path == "/multi_search?collection=new&per_page=10"
    untouched = "/multi_search?per_page=10"
    assert await adapter.shadow_path(untouched, {"old": "new"}, NO_LOOKUP) == untouched
