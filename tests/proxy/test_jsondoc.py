"""Answers compressed by the upstream (gzip) are still compared."""

from __future__ import annotations

import gzip
import json

from proxy.jsondoc import parse_json_body


def test_gzip_body_is_inflated_and_garbage_is_none():
    """A gzip JSON body parses like the plain one; a broken gzip stream gives None."""
    doc = {"results": [{"hits": [{"document": {"id": "a"}, "vector_distance": 0.1}]}]}
    raw = json.dumps(doc).encode()
    assert parse_json_body(gzip.compress(raw)) == doc
    assert parse_json_body(gzip.compress(raw)[:-12] + b"\x00" * 4) is None
    assert parse_json_body(raw) == doc
