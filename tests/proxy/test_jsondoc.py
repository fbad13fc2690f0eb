"""Bodies as JSON: gzip answers are still compared, and nesting is bounded."""

from __future__ import annotations

import gzip
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from proxy.jsondoc import MAX_DEPTH, JsonTooDeepError, loads, parse_json_body, too_deep


def test_gzip_body_is_inflated_and_garbage_is_none():
    """A gzip JSON body parses like the plain one; a broken gzip stream gives None."""
    doc = {"results": [{"hits": [{"document": {"id": "a"}, "vector_distance": 0.1}]}]}
    raw = json.dumps(doc).encode()
    assert parse_json_body(gzip.compress(raw)) == doc
    assert parse_json_body(gzip.compress(raw)[:-12] + b"\x00" * 4) is None
    assert parse_json_body(raw) == doc


def depth(doc: object) -> int:
    """How deep arrays and objects nest in ``doc`` (a scalar is 0)."""
    if isinstance(doc, dict):
        return 1 + max((depth(v) for v in doc.values()), default=0)
    if isinstance(doc, list):
        return 1 + max((depth(v) for v in doc), default=0)
    return 0


documents = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet='[]{}"\\ab'),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=40,
)


@given(documents)
def test_the_depth_check_agrees_with_the_parsed_document(doc):
    """Brackets and escaped quotes inside strings never count; deeper than the bound is caught."""
    text = json.dumps(doc).encode()
    for limit in (1, 2, 3, 5):
        assert too_deep(text, limit) == (depth(doc) > limit)


def test_the_bound_is_128_levels():
    """128 levels parse; 129 and more raise JsonTooDeepError (a ValueError), not RecursionError."""
    assert MAX_DEPTH == 128
    assert depth(loads(b"[" * 128 + b"]" * 128)) == 128
    for deep in (129, 1000, 100_000):
        with pytest.raises(JsonTooDeepError, match="deeper than 128"):
            loads(b"[" * deep + b"]" * deep)
        assert parse_json_body(b'{"a": ' * deep + b"1" + b"}" * deep) is None
