"""The OpenAI ``/v1/embeddings`` wire format: the request body and the checks on an answer.

A request is ``{"model", "input": [texts], "input_type"?, "dimensions"?}``. An answer is
``{"data": [{"index": i, "embedding": [floats]}, ...], "usage": {"prompt_tokens": n}}``; it
is accepted only when it holds exactly one vector per input, the indexes are ``0..n-1`` each
once (in any order: they are put back in input order), every vector has the same dimension
(the expected one when given) and every number is finite. Anything else raises
:class:`InvalidAnswerError`, which is retryable: a server that answers wrongly once may answer
rightly next time, and a caller that keeps getting it stops after its retries.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from proxy.errors import RetryableEmbeddingError

_MAX_LISTED = 5


class InvalidAnswerError(RetryableEmbeddingError):
    """An answer broke the contract (count, indexes, dimension, non-finite numbers).

    ``positions`` are the input positions the problem was found at, when it is about
    particular inputs (a NaN in vector 3 gives ``(3,)``), so a caller can name those inputs.
    """

    def __init__(self, message: str, positions: tuple[int, ...] = ()) -> None:
        """Record the message and the input positions concerned."""
        super().__init__(message)
        self.positions = positions


@dataclass(frozen=True, slots=True)
class EmbeddingRequest:
    """One call: the texts to embed and the options sent with them."""

    model: str
    inputs: tuple[str, ...]
    input_type: str | None = None
    dimensions: int | None = None

    def body(self) -> bytes:
        """The JSON body of the call (UTF-8)."""
        doc: dict[str, Any] = {"model": self.model, "input": list(self.inputs)}
        if self.input_type is not None:
            doc["input_type"] = self.input_type
        if self.dimensions is not None:
            doc["dimensions"] = self.dimensions
        return json.dumps(doc, ensure_ascii=False).encode()


@dataclass(frozen=True, slots=True)
class EmbeddingResult:
    """A checked answer: one vector per input, in input order, and the tokens counted."""

    vectors: list[list[float]]
    prompt_tokens: int | None
    dimension: int


def _listed(positions: Sequence[int]) -> str:
    shown = ", ".join(str(p) for p in positions[:_MAX_LISTED])
    more = len(positions) - _MAX_LISTED
    return shown + (f" and {more} more" if more > 0 else "")


def _vector(item: Any, position: int) -> list[float]:
    embedding = item.get("embedding") if isinstance(item, dict) else None
    if not isinstance(embedding, list) or not embedding:
        raise InvalidAnswerError(
            f"answer item {position} has no embedding list (base64 answers are not supported)"
        )
    return embedding


def _finite_numbers(vector: list[float], position: int) -> bool:
    """True when every item is a finite number; raises when one is not a number at all.

    ``sum`` runs in C and is non-finite whenever an item is NaN or infinite, so the
    per-item check runs only on suspicion (or on a sum that overflowed legitimately).
    """
    try:
        total = sum(vector)
    except TypeError as e:
        raise InvalidAnswerError(
            f"answer item {position} holds something other than numbers", (position,)
        ) from e
    return math.isfinite(total) or all(math.isfinite(x) for x in vector)


def _indexed(data: list[Any], n_inputs: int) -> list[list[float]]:
    if len(data) != n_inputs:
        raise InvalidAnswerError(f"answer has {len(data)} vectors for {n_inputs} inputs")
    ordered: list[list[float] | None] = [None] * n_inputs
    for position, item in enumerate(data):
        index = item.get("index") if isinstance(item, dict) else None
        if type(index) is not int or not 0 <= index < n_inputs:
            raise InvalidAnswerError(
                f"answer item {position} has index {index!r}, expected 0..{n_inputs - 1}"
            )
        if ordered[index] is not None:
            raise InvalidAnswerError(f"answer has index {index} twice", (index,))
        ordered[index] = _vector(item, position)
    return [v for v in ordered if v is not None]


def parse_answer(
    raw: bytes, n_inputs: int, expected_dimension: int | None = None
) -> EmbeddingResult:
    """Check an answer body against the request it answers; vectors come back in input order.

    Raises :class:`InvalidAnswerError` naming what is wrong (and the positions concerned).
    """
    try:
        doc = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as e:
        raise InvalidAnswerError(f"answer is not JSON: {e}") from e
    data = doc.get("data") if isinstance(doc, dict) else None
    if not isinstance(data, list):
        raise InvalidAnswerError("answer has no 'data' list")
    vectors = _indexed(data, n_inputs)
    dimension = expected_dimension if expected_dimension is not None else len(vectors[0])
    wrong = [i for i, v in enumerate(vectors) if len(v) != dimension]
    if wrong:
        first = len(vectors[wrong[0]])
        raise InvalidAnswerError(
            f"answer has vectors of dimension {first} where {dimension} was expected "
            f"(inputs {_listed(wrong)})",
            tuple(wrong),
        )
    bad = [i for i, v in enumerate(vectors) if not _finite_numbers(v, i)]
    if bad:
        raise InvalidAnswerError(
            f"answer has non-finite numbers (NaN or infinity) in vectors {_listed(bad)}",
            tuple(bad),
        )
    usage = doc.get("usage")
    tokens = usage.get("prompt_tokens") if isinstance(usage, dict) else None
    return EmbeddingResult(
        vectors=vectors,
        prompt_tokens=tokens if type(tokens) is int else None,
        dimension=dimension,
    )
