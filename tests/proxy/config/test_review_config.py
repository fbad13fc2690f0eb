"""``[review]`` and a route's ``document_text``: defaults, bounds, adapters that read no text."""

from __future__ import annotations

import pytest

from proxy.config import parse_config
from proxy.errors import ConfigError

BASE = '[upstreams.old]\nurl = "http://a"\n[upstreams.new]\nurl = "http://b"\n'


def route(adapter: str, document_text: str, options: str = "") -> str:
    """One route of ``adapter`` naming ``document_text``."""
    return (
        f'[[routes]]\nname = "r"\npath = "/q"\nadapter = "{adapter}"\n'
        f'document_text = "{document_text}"\n{options}'
    )


def test_review_is_off_and_keeps_no_text_by_default():
    """Nothing is served, nothing of the users' text is kept, unless the operator says so."""
    review = parse_config(BASE).review
    assert review.enabled is False
    assert review.store_text is False
    assert review.path == "var/reviews.sqlite"
    assert review.queries_per_segment == 20


def test_review_section_is_read():
    """Every key of [review] is read."""
    text = BASE + (
        '[review]\nenabled = true\npath = "r.sqlite"\nstore_text = true\n'
        "queries_per_segment = 5\nmax_text_chars = 300\n"
    )
    review = parse_config(text).review
    assert (review.enabled, review.path, review.store_text) == (True, "r.sqlite", True)
    assert (review.queries_per_segment, review.max_text_chars) == (5, 300)


def test_review_bounds_are_checked():
    """Too short a text limit names the key."""
    with pytest.raises(ConfigError, match=r"\[review\]\.max_text_chars"):
        parse_config(BASE + "[review]\nmax_text_chars = 2\n")


@pytest.mark.parametrize(
    ("adapter", "field", "options"),
    [
        ("chroma", "documents", ""),
        ("qdrant", "text", ""),
        ("elasticsearch", "body.text", ""),
        ("typesense", "text", ""),
        ("pinecone", "text", ""),
        ("generic", "hits[*].text", 'options = { ids = "hits[*].id", scores = "hits[*].s" }\n'),
    ],
)
def test_document_text_is_accepted_where_the_adapter_reads_it(adapter, field, options):
    """Each adapter that reads result text takes the route's document_text."""
    config = parse_config(BASE + route(adapter, field, options))
    assert config.routes[0].document_text == field


def test_document_text_is_refused_where_the_adapter_reads_none():
    """A route of an adapter without text names the key and says what to do."""
    with pytest.raises(ConfigError, match=r"document_text.*milvus adapter reads no result text"):
        parse_config(BASE + route("milvus", "text"))
