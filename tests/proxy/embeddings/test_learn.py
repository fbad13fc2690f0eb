"""What an embeddings call teaches: its texts, and the vector its answer gives each one."""

from __future__ import annotations

import base64
import gzip
import json
from array import array

import pytest

from proxy.embeddings.learn import answer_vectors, request_texts


def request(**doc):
    """An embeddings request body."""
    return json.dumps({"model": "m", **doc}).encode()


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (request(input="one"), ("one",)),
        (request(input=["a", "b"], encoding_format="base64"), ("a", "b")),
        (request(input=[1, 2, 3]), "tokens"),
        (request(input=[[1, 2], [3]]), "tokens"),
        (request(input=[]), "no_text"),
        (request(input=["a", 1]), "no_text"),
        (request(model="m"), "no_text"),
        (request(input=[str(i) for i in range(5)]), "too_many_inputs"),
        (b"{not json", "not_json"),
        (b"[1, 2]", "not_json"),
        (gzip.compress(request(input="zipped")), ("zipped",)),
    ],
    ids=[
        "string",
        "array",
        "token ids",
        "token arrays",
        "empty",
        "mixed",
        "no input",
        "too many",
        "not json",
        "not an object",
        "gzip",
    ],
)
def test_request_texts(body, expected):
    """Texts in order; otherwise the reason nothing is learned."""
    assert request_texts(body, max_inputs=4) == expected


def b64(values):
    """Little-endian float32 as base64, as OpenAI encodes an embedding."""
    return base64.b64encode(array("f", values).tobytes()).decode()


def test_answers_in_floats_and_base64_in_index_order():
    """Items are placed by index, either encoding; base64 gives the float32 values."""
    answer = {
        "data": [
            {"index": 1, "embedding": b64([0.5, -0.25])},
            {"index": 0, "embedding": [0.1, 2]},
        ]
    }
    assert answer_vectors(json.dumps(answer).encode(), 2) == [[0.1, 2.0], [0.5, -0.25]]
    zipped = gzip.compress(json.dumps(answer).encode())
    assert answer_vectors(zipped, 2) == [[0.1, 2.0], [0.5, -0.25]]


@pytest.mark.parametrize(
    "answer",
    [
        {"data": [{"index": 0, "embedding": [0.1]}]},  # one short
        {"data": [{"index": 0, "embedding": [0.1]}, {"index": 0, "embedding": [0.2]}]},
        {"data": [{"index": 0, "embedding": [0.1]}, {"index": 5, "embedding": [0.2]}]},
        {"data": [{"index": 0, "embedding": "not base64!"}, {"index": 1, "embedding": [1]}]},
        {"data": [{"index": 0, "embedding": [True]}, {"index": 1, "embedding": [1]}]},
        {"data": [{"index": 0, "embedding": b64([float("nan")])}, {"index": 1, "embedding": [1]}]},
        {"error": {"message": "nope"}},
        [],
    ],
    ids=["count", "duplicate", "index", "base64", "boolean", "nan", "error", "array"],
)
def test_unreadable_answers(answer):
    """An answer of another shape teaches nothing."""
    assert answer_vectors(json.dumps(answer).encode(), 2) == "unreadable_answer"
