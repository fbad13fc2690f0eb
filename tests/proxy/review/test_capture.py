"""The texts kept for review: the query's from its header or JSON, each result's from the answer."""

from __future__ import annotations

import json

from proxy.adapters import adapter_for
from proxy.config import parse_config
from proxy.config.where import Where
from proxy.review.capture import TextCapture, clip
from tests.support.compared import Search

BASE = '[upstreams.old]\nurl = "http://a"\n[upstreams.new]\nurl = "http://b"\n'
EMBEDDING = '[embedding]\nbase_url = "http://e/v1"\nmodel = "m"\n'


def search(route_keys: str, review: str = "", **kwargs) -> tuple[TextCapture, Search]:
    """A capture and a search of a Chroma route with ``route_keys``."""
    config = parse_config(
        BASE + EMBEDDING + f"[review]\nstore_text = true\n{review}"
        '[[routes]]\nname = "c"\npath = "/q"\nadapter = "chroma"\n' + route_keys
    )
    route = config.routes[0]
    return TextCapture(config.review), Search(route, adapter_for(route, Where("t", "")), **kwargs)


def answer(*documents: list[str | None]) -> bytes:
    """A Chroma answer holding ``documents``, one list per query."""
    ids = [[f"d{i}" for i in range(len(row))] for row in documents]
    distances = [[0.1] * len(row) for row in documents]
    return json.dumps({"ids": ids, "distances": distances, "documents": list(documents)}).encode()


def test_query_text_from_the_header_and_documents_from_both_answers():
    """The header's text, percent-decoded; each side's documents in rank order."""
    capture, compared = search(
        'query_text = { header = "X-Query-Text" }\ndocument_text = "documents"\n',
        request_headers={"X-Query-Text": "what%20is%20RBO%3F"},
    )
    texts = capture.texts(compared, answer(["o1", None]), answer(["n1", "n2"]), 1)
    assert texts is not None
    assert (texts[0].query, texts[0].old, texts[0].new) == (
        "what is RBO?",
        ("o1", None),
        ("n1", "n2"),
    )


def test_query_text_from_the_body_for_a_batch():
    """A JSON pointer with * gives one text per query of a batch."""
    capture, compared = search(
        'query_text = { json = "/texts" }\n',
        body=json.dumps(
            {"texts": ["first", "second"], "query_embeddings": [[0.1], [0.2]]}
        ).encode(),
    )
    texts = capture.texts(compared, answer([], []), answer([], []), 2)
    assert [t.query for t in texts or []] == ["first", "second"]
    assert [t.old for t in texts or []] == [(), ()]


def test_long_texts_are_cut():
    """Longer than max_text_chars: cut, the last character an ellipsis."""
    capture, compared = search('document_text = "documents"\n', review="max_text_chars = 16\n")
    texts = capture.texts(compared, answer(["x" * 40]), answer(["short"]), 1)
    assert texts is not None
    assert texts[0].old == ("x" * 15 + "…",)
    assert texts[0].new == ("short",)
    assert clip(None, 16) is None


def test_nothing_to_keep_gives_none_and_unreadable_parts_are_left_out():
    """No text configured: None. An answer that is not JSON: that side's texts are empty."""
    capture, compared = search("")
    assert capture.texts(compared, answer(["a"]), answer(["b"]), 1) is None
    capture, compared = search('document_text = "documents"\n')
    texts = capture.texts(compared, b"not json", answer(["b"]), 1)
    assert texts is not None
    assert (texts[0].old, texts[0].new) == ((), ("b",))
