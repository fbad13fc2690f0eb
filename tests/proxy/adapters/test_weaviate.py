"""Weaviate GraphQL Get/nearVector: answers per class, vectors rewritten inside the query text."""

from __future__ import annotations

import pytest

from proxy.adapters.weaviate import WeaviateAdapter, class_queries
from proxy.errors import AdapterError, UnparseableResponseError

QUERY = """
{
  Get {
    Article(nearVector: {vector: [0.1, -0.2, 3e-2], distance: 0.7}, limit: 10) {
      title  # "Get { Fake(nearVector: {vector: [9]}) }" in a comment is not a query
      _additional { id distance }
    }
    second: Article(where: {path: ["title"], operator: Equal, valueText: "vector: [1]"},
                    nearVector: {vector: $v}) {
      _additional { id certainty }
    }
    Paper(bm25: {query: "x"}) { _additional { id } }
  }
}
"""


def test_classes_are_found_with_their_vectors():
    """Literal, variable and no vector; strings and comments are not mistaken for queries."""
    found = class_queries(QUERY)
    assert [q.name.text for q in found] == ["Article", "Article", "Paper"]
    assert found[0].vector_span is not None
    assert QUERY[slice(*found[0].vector_span)] == "[0.1, -0.2, 3e-2]"
    assert found[1].variable == "v"
    assert found[2].vector_span is None
    assert found[2].variable is None


def test_rewrite_changes_vectors_and_class_names_only():
    """New numbers in the literal, the variable set, Article renamed, the rest verbatim."""
    adapter = WeaviateAdapter()
    doc = {"query": QUERY, "variables": {"v": [0.5, 0.5]}}
    shape = adapter.query_vectors(doc)
    assert (shape.queries, shape.with_vector) == (3, (0, 1))
    out = adapter.rewrite(doc, {0: [1.0, 2.0], 1: [3.0, 4.0]}, {"Article": "ArticleNew"})
    assert out["variables"] == {"v": [3.0, 4.0]}
    expected = QUERY.replace(
        "Article(nearVector: {vector: [0.1, -0.2, 3e-2]",
        "ArticleNew(nearVector: {vector: [1.0, 2.0]",
    ).replace("second: Article(", "second: ArticleNew(")
    assert out["query"] == expected


def test_answer_per_class_distance_and_certainty():
    """A distance becomes 1 - d; certainty is kept; one list per class in answer order."""
    body = {
        "data": {
            "Get": {
                "Article": [
                    {
                        "title": "a",
                        "_additional": {
                            "id": "00000000-0000-0000-0000-000000000001",
                            "distance": 0.1,
                        },
                    },
                    {
                        "title": "b",
                        "_additional": {
                            "id": "00000000-0000-0000-0000-000000000002",
                            "distance": 0.3,
                        },
                    },
                ],
                "second": [
                    {
                        "_additional": {
                            "id": "00000000-0000-0000-0000-000000000003",
                            "certainty": 0.95,
                        }
                    }
                ],
                "Paper": [],
            }
        }
    }
    lists = WeaviateAdapter().rankings(body)
    assert [len(r.ids) for r in lists] == [2, 1, 0]
    assert lists[0].scores == pytest.approx((0.9, 0.7))
    assert lists[1].scores == pytest.approx((0.95,))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {
                "data": {"Get": {"Article": None}},
                "errors": [
                    {
                        "locations": [{"column": 6, "line": 1}],
                        "message": 'Cannot query field "Nope" on type "GetObjectsObj".',
                        "path": None,
                    }
                ],
            },
            "GraphQL error",
        ),
        (
            {"data": {"Get": {"Article": [{"title": "a", "_additional": {"id": "x"}}]}}},
            "ask for _additional",
        ),
    ],
)
def test_errors_are_unparseable(body, message):
    """GraphQL errors and answers without a score say what is wrong."""
    with pytest.raises(UnparseableResponseError, match=message):
        WeaviateAdapter().rankings(body)


@pytest.mark.parametrize(
    "query",
    [
        "{ Aggregate { Article { meta { count } } } }",
        "{ Get { Article(nearVector: {vector: [1, 2] ) { x } } }",
        "{ Get { Article(nearVector:",
    ],
)
def test_malformed_or_foreign_queries_are_adapter_errors(query):
    """No Get block, unbalanced brackets, truncated text: refused, never half rewritten."""
    with pytest.raises(AdapterError):
        WeaviateAdapter().query_vectors({"query": query})
