"""Which text produced which vector: the texts of the application's embeddings calls, bounded.

:class:`QueryMemory` holds, for each text the application embedded through the sidecar
(:mod:`proxy.embeddings.passthrough`), the vector its provider returned; a search route with
``query_text = { learned = true }`` asks it for the text of a query vector
(:meth:`QueryMemory.recall`). Vectors are found by a locality key and checked by cosine
(:mod:`proxy.embeddings.vector_key`), so the floats may have changed on the way.

Bounds, all enforced at every insertion, oldest first:

- ``max_entries`` texts;
- ``max_bytes``: the estimated memory of texts, float16 vectors and their bookkeeping
  (:func:`entry_bytes`);
- ``ttl_s`` after its embeddings call a text is forgotten (:meth:`QueryMemory.expire`, which
  the sidecar also runs every few seconds, so that an idle sidecar holds no old text);
- :data:`MAX_BUCKET` texts per locality key, so that a lookup's cost stays bounded.

A text embedded again replaces its entry (and its clock restarts). Texts stay in this process's
memory only: never logged, never written anywhere.
"""

from __future__ import annotations

import math
import sys
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from proxy.embeddings.vector_key import cosine, locality_key, norm, pack, probe_keys, unpack

ENTRY_OVERHEAD: Final = 520
"""Bytes an entry costs beyond its text and vector bytes: the entry object, its key, its places
in two dicts and a bucket list. Measured with tracemalloc on CPython 3.11: 430 to 475 bytes
from 1,000 to 44,000 entries (hash tables grow by doubling); tests/proxy/embeddings/
test_memory.py checks the estimate stays above what is allocated."""


MAX_BUCKET: Final = 8
"""Most texts kept under one locality key (the oldest goes first): a lookup checks at most
this many vectors per key it probes, whatever the texts (near-duplicates share a key)."""


@dataclass(slots=True, eq=False)  # found in buckets by identity
class _Entry:
    text: str
    key: int
    blob: bytes
    stored_norm: float
    dimension: int
    expires: float
    size: int


def entry_bytes(text: str, dimension: int) -> int:
    """The memory one entry is counted for: its text, its float16 vector, the bookkeeping."""
    return sys.getsizeof(text) + sys.getsizeof(b"") + 2 * dimension + ENTRY_OVERHEAD


class QueryMemory:
    """Texts by their embeddings' vectors, bounded in entries, bytes and time (module docstring)."""

    def __init__(
        self,
        *,
        max_entries: int,
        max_bytes: int,
        ttl_s: float,
        min_cosine: float,
        clock: Callable[[], float] = time.monotonic,
        on_evict: Callable[[str, int], None] | None = None,
    ) -> None:
        """``on_evict(reason, count)`` is told of texts forgotten (``capacity`` or ``expired``)."""
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.ttl_s = ttl_s
        self.min_cosine = min_cosine
        self.clock = clock
        self.on_evict = on_evict
        self._by_text: OrderedDict[str, _Entry] = OrderedDict()  # oldest first
        self._buckets: dict[int, list[_Entry]] = {}
        self._bytes = 0

    def __len__(self) -> int:
        """How many texts are remembered."""
        return len(self._by_text)

    @property
    def bytes(self) -> int:
        """The estimated memory held (:func:`entry_bytes` summed)."""
        return self._bytes

    def remember(self, text: str, vector: Sequence[float]) -> bool:
        """Remember that ``text`` gave ``vector``; False (nothing kept) for an unusable vector.

        Unusable: empty, not finite, all zeros, or alone larger than ``max_bytes``.
        """
        if not vector or not math.isfinite(norm(vector)):
            return False
        size = entry_bytes(text, len(vector))
        if size > self.max_bytes:
            return False
        blob, stored_norm = pack(vector)
        if stored_norm == 0:
            return False
        now = self.clock()
        self.expire(now)
        old = self._by_text.get(text)
        if old is not None:
            self._drop(old)
        entry = _Entry(
            text, locality_key(vector), blob, stored_norm, len(vector), now + self.ttl_s, size
        )
        self._by_text[text] = entry
        bucket = self._buckets.setdefault(entry.key, [])
        bucket.append(entry)
        self._bytes += size
        evicted = 0
        if len(bucket) > MAX_BUCKET:  # many texts of one key: keep the lookup's cost bounded
            self._drop(bucket[0])
            evicted += 1
        while len(self._by_text) > self.max_entries or self._bytes > self.max_bytes:
            self._drop(next(iter(self._by_text.values())))
            evicted += 1
        if evicted and self.on_evict is not None:
            self.on_evict("capacity", evicted)
        return True

    def recall(self, vector: Sequence[float]) -> str | None:
        """The text whose remembered vector is closest to ``vector``, at ``min_cosine`` or more.

        None when no remembered vector is that close (or the vector is empty or zero).
        """
        self.expire()
        if not vector or not self._by_text:
            return None
        vector_norm = norm(vector)
        if not vector_norm or not math.isfinite(vector_norm):
            return None
        best, best_cosine = None, self.min_cosine
        for key in probe_keys(vector, vector_norm):
            for entry in self._buckets.get(key, ()):
                if entry.dimension != len(vector):
                    continue
                similarity = cosine(vector, vector_norm, unpack(entry.blob), entry.stored_norm)
                if similarity >= best_cosine:
                    best, best_cosine = entry.text, similarity
        return best

    def expire(self, now: float | None = None) -> int:
        """Forget every text older than ``ttl_s``; returns how many were forgotten."""
        now = self.clock() if now is None else now
        expired = 0
        while self._by_text:
            oldest = next(iter(self._by_text.values()))
            if oldest.expires > now:
                break
            self._drop(oldest)
            expired += 1
        if expired and self.on_evict is not None:
            self.on_evict("expired", expired)
        return expired

    def clear(self) -> None:
        """Forget everything."""
        self._by_text.clear()
        self._buckets.clear()
        self._bytes = 0

    def _drop(self, entry: _Entry) -> None:
        del self._by_text[entry.text]
        bucket = self._buckets[entry.key]
        bucket.remove(entry)
        if not bucket:
            del self._buckets[entry.key]
        self._bytes -= entry.size
