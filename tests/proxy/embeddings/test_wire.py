"""The embeddings wire format: request bodies, and every check made on an answer."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from proxy.embeddings.wire import EmbeddingRequest, InvalidAnswerError, parse_answer
from proxy.errors import RetryableEmbeddingError


def answer(vectors, indexes=None, usage=None):
    """An answer body holding ``vectors`` at ``indexes`` (0.. by default)."""
    indexes = list(range(len(vectors))) if indexes is None else indexes
    doc = {
        "object": "list",
        "data": [{"index": i, "embedding": v} for i, v in zip(indexes, vectors, strict=True)],
    }
    if usage is not None:
        doc["usage"] = usage
    return json.dumps(doc).encode()


def test_request_body_carries_only_the_options_given():
    """Optional fields are sent only when set; non-ASCII text is sent as UTF-8."""
    bare = json.loads(EmbeddingRequest("m", ("a", "é")).body())
    assert bare == {"model": "m", "input": ["a", "é"]}
    full = json.loads(EmbeddingRequest("m", ("a",), input_type="passage", dimensions=256).body())
    assert full == {"model": "m", "input": ["a"], "input_type": "passage", "dimensions": 256}


@given(st.permutations(range(6)))
def test_vectors_come_back_in_input_order_whatever_the_answer_order(order):
    """An answer may list items in any order: the index field decides where each goes."""
    vectors = [[float(i), float(i) + 0.5] for i in order]
    result = parse_answer(answer(vectors, indexes=list(order)), 6)
    assert result.vectors == [[float(i), float(i) + 0.5] for i in range(6)]
    assert result.dimension == 2


def test_usage_prompt_tokens_is_read_and_optional():
    """prompt_tokens is reported when present and None when the server omits usage."""
    assert parse_answer(answer([[1.0]], usage={"prompt_tokens": 12}), 1).prompt_tokens == 12
    assert parse_answer(answer([[1.0]]), 1).prompt_tokens is None


@pytest.mark.parametrize(
    ("body", "n", "expected", "message", "positions"),
    [
        (answer([[1.0], [2.0]]), 3, None, "answer has 2 vectors for 3 inputs", ()),
        (answer([[1.0], [2.0]], indexes=[0, 0]), 2, None, "answer has index 0 twice", (0,)),
        (answer([[1.0], [2.0]], indexes=[0, 2]), 2, None, "item 1 has index 2, expected 0..1", ()),
        (answer([[1.0, 2.0], [3.0]]), 2, None, "vectors of dimension 1 where 2 was", (1,)),
        (answer([[1.0, 2.0], [3.0, 4.0]]), 2, 3, "dimension 2 where 3 was expected", (0, 1)),
        (b'{"data": [{"index": 0, "embedding": [NaN]}]}', 1, None, "non-finite", (0,)),
        (b'{"data": [{"index": 0, "embedding": [1, -Infinity]}]}', 1, None, "non-finite", (0,)),
        (answer([[1.0, "x"]]), 1, None, "holds something other than numbers", (0,)),
        (answer([[]]), 1, None, "item 0 has no embedding list", ()),
        (b'{"data": [{"index": 0, "embedding": "AAAA"}]}', 1, None, "base64", ()),
        (b"<html>oops</html>", 1, None, "answer is not JSON", ()),
        (b'{"object": "list"}', 1, None, "answer has no 'data' list", ()),
    ],
)
def test_answers_that_break_the_contract_are_retryable_errors(
    body, n, expected, message, positions
):
    """Each broken answer raises a retryable error naming what is wrong and where."""
    with pytest.raises(InvalidAnswerError, match=message) as caught:
        parse_answer(body, n, expected)
    assert isinstance(caught.value, RetryableEmbeddingError)
    assert caught.value.positions == positions


def test_many_bad_vectors_are_listed_briefly():
    """A message lists a few positions and counts the rest."""
    body = answer([[float("nan")]] * 9)
    with pytest.raises(InvalidAnswerError, match=r"vectors 0, 1, 2, 3, 4 and 4 more"):
        parse_answer(body, 9)


def test_huge_but_finite_numbers_are_accepted():
    """A sum that overflows is not mistaken for a non-finite component."""
    result = parse_answer(answer([[1e308, 1e308]]), 1)
    assert result.vectors == [[1e308, 1e308]]
