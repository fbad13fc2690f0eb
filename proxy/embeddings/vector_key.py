"""Recognising a vector after its floats went through other hands: a locality key and a check.

Between the application's embeddings call and its search, a query vector's floats change a
little: JSON printed and parsed again (shortest repr, fixed decimals, ``-0.0`` as ``0``),
float32 casts (base64 answers, numpy), an engine client's own serialisation, even float16 or
rounding to a few decimals. Its direction does not: the same vector comes back within a cosine
of 1 - 1e-5 (four decimals on a 768-d unit vector: about 1 - 3e-7). So a vector is found in
two steps:

1. :func:`locality_key`: the signs of its first :data:`KEY_COMPONENTS` components (and its
   dimension) as one integer. A sign changes only when a component is about zero, so
   :func:`probe_keys` also gives the keys with the signs of near-zero components flipped
   (``|x| <= NEAR_ZERO * ||v||``, the :data:`MAX_FLIPPED` smallest): rounding to three
   decimals cannot move a component farther than that.
2. :func:`cosine` against the few vectors remembered under those keys; a match needs the
   memory's ``min_cosine`` (0.9999 by default).

Remembered vectors are kept as float16 (:func:`pack`), scaled by their largest component: half
the bytes of float32, and the cosine they give is within 1e-7 of the exact one.

Pure functions over sequences of floats: no numpy (the sidecar does not load it).
"""

from __future__ import annotations

import math
import operator
import struct
from collections.abc import Sequence
from itertools import combinations
from typing import Final

KEY_COMPONENTS: Final = 32
"""Sign bits in a key: 2^32 buckets, so even a skewed model's 100,000 vectors rarely share one."""
NEAR_ZERO: Final = 1e-3
"""A component this close to zero (relative to the vector's norm) may have either sign."""
MAX_FLIPPED: Final = 6
"""At most this many near-zero components are tried both ways (64 keys)."""


def norm(vector: Sequence[float]) -> float:
    """The Euclidean norm (inf or nan when a component is)."""
    return math.hypot(*vector)


def locality_key(vector: Sequence[float]) -> int:
    """The vector's dimension and the signs of its first :data:`KEY_COMPONENTS` components."""
    bits = 0
    for i, x in enumerate(vector[:KEY_COMPONENTS]):
        if x < 0:
            bits |= 1 << i
    return len(vector) << KEY_COMPONENTS | bits


def probe_keys(vector: Sequence[float], vector_norm: float) -> list[int]:
    """The keys under which the vector may have been remembered, its own first.

    Its own key, then every combination of flipped signs of its near-zero leading components
    (at most :data:`MAX_FLIPPED` of them, the smallest first).
    """
    key = locality_key(vector)
    limit = NEAR_ZERO * vector_norm
    near = sorted((abs(x), i) for i, x in enumerate(vector[:KEY_COMPONENTS]) if abs(x) <= limit)[
        :MAX_FLIPPED
    ]
    keys = [key]
    positions = [i for _, i in near]
    for count in range(1, len(positions) + 1):
        for flipped in combinations(positions, count):
            mask = 0
            for i in flipped:
                mask |= 1 << i
            keys.append(key ^ mask)
    return keys


def pack(vector: Sequence[float]) -> tuple[bytes, float]:
    """The vector as float16 bytes, scaled so that its largest component is 1, and their norm.

    Cosine ignores the scale, which keeps any vector in float16's range.
    """
    largest = max(map(abs, vector), default=0.0)
    scale = 1.0 / largest if largest > 0 and math.isfinite(largest) else 1.0
    blob = struct.pack(f"<{len(vector)}e", *[x * scale for x in vector])
    return blob, norm(unpack(blob))


def unpack(blob: bytes) -> tuple[float, ...]:
    """The floats of :func:`pack`'s bytes."""
    return struct.unpack(f"<{len(blob) // 2}e", blob)


def cosine(
    vector: Sequence[float], vector_norm: float, stored: Sequence[float], stored_norm: float
) -> float:
    """Cosine similarity of two vectors of one dimension, given their norms (0 if either is 0)."""
    if vector_norm == 0 or stored_norm == 0:
        return 0.0
    dot: float = sum(map(operator.mul, vector, stored))
    return dot / (vector_norm * stored_norm)
