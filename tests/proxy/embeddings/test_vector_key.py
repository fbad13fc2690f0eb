"""The locality key and the cosine check: what survives a vector's trip between two calls."""

from __future__ import annotations

import math
import random

from hypothesis import given
from hypothesis import strategies as st

from proxy.embeddings.vector_key import (
    KEY_COMPONENTS,
    MAX_FLIPPED,
    cosine,
    locality_key,
    norm,
    pack,
    probe_keys,
    unpack,
)


def unit(rng: random.Random, dim: int) -> list[float]:
    """A random unit vector."""
    v = [rng.gauss(0, 1) for _ in range(dim)]
    n = norm(v)
    return [x / n for x in v]


def test_the_key_is_the_dimension_and_leading_signs():
    """Bit i is set when component i is negative; components past the first 32 do not count."""
    v = [1.0, -1.0, 2.0, -0.5] + [1.0] * 40
    assert locality_key(v) == (len(v) << KEY_COMPONENTS) | 0b1010
    assert locality_key([*v[:KEY_COMPONENTS], *([-1.0] * 12)]) == locality_key(v)
    assert locality_key(v[:40]) != locality_key(v)  # another dimension, another key


def test_near_zero_components_are_probed_both_ways():
    """A component about zero may have either sign after rounding: both keys are probed."""
    v = [0.5, 1e-6, -0.5, -2e-6, *([0.3] * 40)]
    keys = probe_keys(v, norm(v))
    assert keys[0] == locality_key(v)
    flipped = [[0.5, -1e-6, -0.5, -2e-6], [0.5, 1e-6, -0.5, 2e-6], [0.5, -1e-6, -0.5, 2e-6]]
    for head in flipped:
        assert locality_key([*head, *v[4:]]) in keys
    assert len(keys) == 4


def test_at_most_the_smallest_components_are_flipped():
    """Many near-zero components: only the MAX_FLIPPED smallest are probed (64 keys)."""
    v = [1e-9 * (i + 1) for i in range(KEY_COMPONENTS)] + [1.0] * 10
    assert len(probe_keys(v, norm(v))) == 2**MAX_FLIPPED


@given(st.integers(min_value=0, max_value=2**32), st.sampled_from([3, 4, 6]))
def test_rounding_never_loses_the_key(seed, decimals):
    """Rounded to 3 to 6 decimals (a sign may turn into 0 or -0): its key is still probed."""
    rng = random.Random(seed)
    v = unit(rng, 384)
    v[rng.randrange(KEY_COMPONENTS)] = rng.choice([-1, 1]) * 10 ** -(decimals + 1)
    rounded = [round(x, decimals) for x in v]
    assert locality_key(v) in probe_keys(rounded, norm(rounded))


@given(st.integers(min_value=0, max_value=2**32))
def test_float16_storage_keeps_the_cosine(seed):
    """A vector against its own float16 copy: cosine within 1e-6 of 1, whatever its scale."""
    rng = random.Random(seed)
    v = [x * rng.choice([1e-3, 1.0, 1e4]) for x in unit(rng, 768)]
    blob, stored_norm = pack(v)
    assert len(blob) == 2 * 768
    assert cosine(v, norm(v), unpack(blob), stored_norm) > 1 - 1e-6


def test_cosine_of_different_vectors_is_theirs():
    """Orthogonal vectors: 0; opposite: -1; a zero vector: 0."""
    a, b = [1.0, 0.0], [0.0, 2.0]
    assert cosine(a, 1.0, b, 2.0) == 0.0
    assert math.isclose(cosine(a, 1.0, [-3.0, 0.0], 3.0), -1.0)
    assert cosine(a, 1.0, [0.0, 0.0], 0.0) == 0.0
