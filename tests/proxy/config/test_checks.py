"""Checks across sections: which route path templates overlap (proxy/config/checks.py)."""

from __future__ import annotations

import pytest

from proxy.config.checks import templates_overlap


@pytest.mark.parametrize(
    ("a", "b", "overlap"),
    [
        ("/collections/{c}/points/search", "/collections/docs/points/search", True),
        ("/collections/{c}/points/search", "/collections/{x}/points/search", True),
        ("/collections/{c}/points/search", "/collections/{c}/points/query", False),
        ("/{index}/_search", "/{index}/_msearch", False),
        ("/{index}/_search", "/docs/_search", True),
        ("/a/{x}.json", "/a/{y}.xml", False),
        ("/a/{x}.json", "/a/v1.json", True),
        ("/a/{x}", "/a/b/c", False),
        ("/multi_search", "/multi_search/", True),
        ("/api/{v}:search", "/api/v1:search", True),
        ("/api/v{n}/search", "/api/{version}/search", True),
    ],
)
def test_templates_overlap_when_some_path_matches_both(a, b, overlap):
    """Literal segments must be equal; a parameter matches any one non-empty segment."""
    assert templates_overlap(a, b) is overlap
    assert templates_overlap(b, a) is overlap
