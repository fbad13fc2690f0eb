"""What one embeddings call teaches: its input texts, and the vector its answer gave each one.

An OpenAI-compatible call (``POST .../embeddings``) sends ``{"input": "text" | ["text", ...],
"model": ..., "encoding_format": "float" | "base64"}`` and gets ``{"data": [{"index": i,
"embedding": [floats] | "base64 of little-endian float32"}, ...]}``. The official ``openai``
Python client asks for base64 unless told otherwise. Inputs given as token ids (integers, as
LangChain's OpenAI embeddings send by default) carry no text: nothing to learn.

Both functions return what they found, or the reason the call teaches nothing (one of
:data:`proxy.metrics.MEMORY_SKIP_REASONS`, the ``reason`` label of
``embedshift_query_memory_skipped_total``).
Pure functions: no I/O, nothing kept.
"""

from __future__ import annotations

import base64
import binascii
import math
import sys
from array import array
from typing import Any

from proxy.jsondoc import parse_json_body


def request_texts(body: bytes, max_inputs: int) -> tuple[str, ...] | str:
    """The input texts of an embeddings request, in order, or why it has none to learn."""
    doc = parse_json_body(body)
    if not isinstance(doc, dict):
        return "not_json"
    inputs = doc.get("input")
    if isinstance(inputs, str):
        texts: tuple[str, ...] = (inputs,)
    elif isinstance(inputs, list) and inputs and all(isinstance(t, str) for t in inputs):
        texts = tuple(inputs)
    elif isinstance(inputs, list) and inputs and all(_is_tokens(t) for t in inputs):
        return "tokens"
    else:
        return "no_text"
    if len(texts) > max_inputs:
        return "too_many_inputs"
    return texts


def answer_vectors(body: bytes, count: int) -> list[list[float]] | str:
    """One vector per input, in input order, from an embeddings answer; or ``unreadable_answer``.

    Items are placed by their ``index`` (an answer may list them in any order); an
    ``embedding`` is an array of numbers or base64 of little-endian float32.
    """
    doc = parse_json_body(body)
    data = doc.get("data") if isinstance(doc, dict) else None
    if not isinstance(data, list) or len(data) != count:
        return "unreadable_answer"
    vectors: list[list[float] | None] = [None] * count
    for position, item in enumerate(data):
        if not isinstance(item, dict):
            return "unreadable_answer"
        index = item.get("index", position)
        vector = _vector(item.get("embedding"))
        if (
            not isinstance(index, int)
            or isinstance(index, bool)
            or not 0 <= index < count
            or vectors[index] is not None
            or vector is None
        ):
            return "unreadable_answer"
        vectors[index] = vector
    return [v for v in vectors if v is not None]


def _vector(value: Any) -> list[float] | None:
    if isinstance(value, str):
        try:
            raw = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            return None
        if not raw or len(raw) % 4:
            return None
        floats = array("f")
        floats.frombytes(raw)
        if sys.byteorder == "big":
            floats.byteswap()
        out = floats.tolist()
    elif isinstance(value, list) and value:
        if all(type(x) is float for x in value):  # what JSON parsing gives, checked fast
            out = value
        elif all(type(x) is float or type(x) is int for x in value):
            out = [float(x) for x in value]
        else:
            return None
    else:
        return None
    return out if math.isfinite(math.hypot(*out)) else None


def _is_tokens(value: Any) -> bool:
    """An integer token id, or a non-empty array of them."""
    if isinstance(value, int) and not isinstance(value, bool):
        return True
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(t, int) and not isinstance(t, bool) for t in value)
    )
