"""The query vectors a search request carries, read through its route's adapter.

Adapters say *where* a request's query vectors are (:meth:`~proxy.adapters.base.Adapter.
query_vectors`) and write new ones there (:meth:`~proxy.adapters.base.Adapter.rewrite`), for
every engine and shape they know: a JSON array (Chroma, Qdrant, Elasticsearch, Milvus,
Pinecone, the generic adapter) or numbers inside a string (Typesense's ``vector_query``,
Weaviate's GraphQL). Reading the vectors back uses exactly that knowledge, so it holds for
every adapter without a reader of its own: query ``i``'s vector is replaced by a one-number
probe, both documents are serialised by the adapter, and the original text from the first
character where they differ back to the ``[`` before it, up to the ``]`` after it, is the
vector's array (its numbers hold no bracket). A query whose vector cannot be read so is left
out.
"""

from __future__ import annotations

from collections.abc import Sequence

from proxy.adapters.base import Adapter
from proxy.errors import AdapterError

_PROBE: tuple[float, ...] = (0.5,)


def query_vector_values(
    adapter: Adapter, body: bytes, indexes: Sequence[int]
) -> dict[int, list[float]]:
    """Query ``i``'s vector for each ``i`` of ``indexes`` that carries a readable one."""
    if not indexes:
        return {}
    try:
        original = adapter.dump_request(adapter.parse_request(body)).decode()
    except (AdapterError, UnicodeDecodeError):
        return {}
    found: dict[int, list[float]] = {}
    for index in indexes:
        try:
            probed = adapter.rewrite(adapter.parse_request(body), {index: _PROBE}, {})
            text = adapter.dump_request(probed).decode()
        except (AdapterError, UnicodeDecodeError, LookupError, TypeError):
            continue
        vector = _array_at_difference(original, text)
        if vector is not None:
            found[index] = vector
    return found


def _array_at_difference(original: str, probed: str) -> list[float] | None:
    """The numbers of the array of ``original`` in which it first differs from ``probed``."""
    if original == probed:
        return None  # the probe changed nothing (the vector was the probe itself)
    first = _common_prefix(original, probed)
    start = original.rfind("[", 0, first + 1)
    end = original.find("]", start + 1)
    if start < 0 or end < 0:
        return None
    numbers = original[start + 1 : end].split(",")
    try:
        vector = [float(x) for x in numbers]
    except ValueError:
        return None
    return vector


def _common_prefix(a: str, b: str) -> int:
    """The length of the longest common prefix (by bisection: slices compare at C speed)."""
    low, high = 0, min(len(a), len(b))
    while low < high:
        mid = (low + high + 1) // 2
        if a[:mid] == b[:mid]:
            low = mid
        else:
            high = mid - 1
    return low
