"""Request and answer bodies as JSON: parsing (gzip included) and JSON pointers.

One place for what the search path reads out of a JSON body: the segment (``{ json = ... }``),
a consistent-sampling or canary key, query texts to re-embed, both sides' answers to compare,
an admin API body. :func:`parse_json_body` never raises: a body that is not JSON is None, and
each caller decides what that means (segment ``other``, a random draw, outcome
``unparseable``); :func:`loads` is the same parse raising :class:`JsonTooDeepError` (a
ValueError) or ValueError.

Depth is bounded (:data:`MAX_DEPTH`, serde_json's recursion limit): Python's decoder recurses
once per nesting level, so a 2 KB body nested 1,000 deep raises RecursionError, and a document
that parses just below the interpreter's limit still breaks ``repr``, ``==`` or ``json.dumps``
later on. A body nested deeper than the bound is not JSON to embedshift: the request is
forwarded as it is and counted (segment ``other``, outcome ``unparseable``), and the admin API
answers 400. The check costs two byte counts for ordinary bodies (fewer brackets than the
bound cannot nest deeper), and C-speed passes over the bytes otherwise.

May import: nothing of proxy (stdlib only).
"""

from __future__ import annotations

import json
import zlib
from itertools import accumulate
from typing import Any

MAX_INFLATED_BYTES = 64 * 1024 * 1024
MAX_DEPTH = 128
"""Deepest nesting of arrays and objects read (serde_json's default recursion limit)."""
_STEP = tuple(1 if b in b"[{" else -1 if b in b"]}" else 0 for b in range(256))
_NOT_KEPT = bytes(b for b in range(256) if b not in b'"[]{}')


class JsonTooDeepError(ValueError):
    """A JSON text nests arrays and objects deeper than :data:`MAX_DEPTH`."""


def too_deep(text: bytes, limit: int = MAX_DEPTH) -> bool:
    """Whether the arrays and objects of ``text`` (JSON bytes) nest deeper than ``limit``.

    Brackets inside strings do not count. A text that is not JSON may be misjudged either way;
    the parser refuses it afterwards anyway.
    """
    if text.count(b"[") + text.count(b"{") <= limit:
        return False
    # escaped backslashes, then escaped quotes, go first: every quote left delimits a string;
    # then only quotes and brackets are kept, and strings (with brackets inside) dropped
    if b"\\" in text:
        text = text.replace(b"\\\\", b"").replace(b'\\"', b"")
    brackets = b"".join(text.translate(None, _NOT_KEPT).split(b'"')[::2])
    levels = accumulate(map(_STEP.__getitem__, brackets))  # C-speed: map, accumulate, max
    return max(levels, default=0) > limit


def loads(text: bytes | str) -> Any:
    """``json.loads`` with the depth bound: :class:`JsonTooDeepError` past :data:`MAX_DEPTH`."""
    raw = text.encode() if isinstance(text, str) else text
    if too_deep(raw):
        msg = f"JSON nested deeper than {MAX_DEPTH} levels"
        raise JsonTooDeepError(msg)
    try:
        return json.loads(raw)
    except RecursionError as e:  # a bound above the interpreter's own: never here by default
        raise JsonTooDeepError(str(e)) from e


def parse_json_body(body: bytes) -> Any:
    """A request or answer body as JSON, or None when it is empty or not JSON.

    A gzip body (its magic bytes: Typesense compresses when the client accepts it) is inflated
    first, up to :data:`MAX_INFLATED_BYTES`; answers are forwarded to clients untouched.
    """
    if not body:
        return None
    try:
        if body[:2] == b"\x1f\x8b":
            inflater = zlib.decompressobj(wbits=31)
            body = inflater.decompress(body, MAX_INFLATED_BYTES)
            if inflater.unconsumed_tail:
                return None
        return loads(body)
    except (ValueError, UnicodeDecodeError, zlib.error):
        return None


def _steps(pointer: str) -> list[str]:
    if pointer in ("", "/"):
        return []
    return [raw.replace("~1", "/").replace("~0", "~") for raw in pointer.lstrip("/").split("/")]


def json_pointer(doc: Any, pointer: str) -> Any:
    """Resolve an RFC 6901 JSON pointer in ``doc``; None when any step is missing."""
    node = doc
    for token in _steps(pointer):
        if isinstance(node, dict):
            if token not in node:
                return None
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return None
    return node


def pointer_values(doc: Any, pointer: str) -> list[Any]:
    """Every value a JSON pointer reaches, ``*`` standing for each element of an array."""
    nodes = [doc]
    for step in _steps(pointer):
        out: list[Any] = []
        for node in nodes:
            if step == "*" and isinstance(node, list):
                out.extend(node)
            elif isinstance(node, dict) and step in node:
                out.append(node[step])
            elif isinstance(node, list) and step.isdigit() and int(step) < len(node):
                out.append(node[int(step)])
        nodes = out
    return nodes
