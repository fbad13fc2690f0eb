"""Request and answer bodies as JSON: parsing (gzip included) and JSON pointers.

One place for what the search path reads out of a JSON body: the segment (``{ json = ... }``),
a consistent-sampling or canary key, query texts to re-embed, both sides' answers to compare.
:func:`parse_json_body` never raises: a body that is not JSON is None, and each caller decides
what that means (segment ``other``, a random draw, outcome ``unparseable``).

May import: nothing of proxy (stdlib only).
"""

from __future__ import annotations

import json
import zlib
from typing import Any

MAX_INFLATED_BYTES = 64 * 1024 * 1024


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
        return json.loads(body)
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
