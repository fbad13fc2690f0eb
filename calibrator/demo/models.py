"""The demo's two text embedding models: bag-of-words models of two different geometries.

Every word of the generated vocabulary has a *meaning*, a unit vector in a small latent space
(:class:`Vocabulary`). A model maps each word into its own space (a random isometry of the
latent space plus model-specific noise, so the two models agree on meaning but not exactly)
and embeds a text as the normalised sum of its words' vectors, each word weighted by the
square root of its count. Words it has never seen get a vector of their own derived from a
hash, as a real model embeds any text.

- The **old** model (256 dimensions) is isotropic: unrelated texts score around 0 and scores
  spread over most of [-1, 1], like the MiniLM-era models many stacks were tuned on.
- The **new** model (384 dimensions) adds one strong direction shared by every word before
  normalising, which is what makes models such as e5 score unrelated texts around 0.7 and
  squeeze every score into a narrow high band. Ranks barely move (an added constant keeps
  the order of sums); thresholds do.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

Matrix = npt.NDArray[np.float32]
LATENT_DIM = 32
OLD_DIM = 256
NEW_DIM = 384
OLD_NOISE = 0.2
NEW_NOISE = 0.2
NEW_SHARED = 0.75  # weight of the direction every word shares in the new model


def unit_rows(matrix: npt.NDArray[Any]) -> Matrix:
    """Rows scaled to unit length (all-zero rows stay zero)."""
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    out: Matrix = (matrix / np.where(norms == 0, 1.0, norms)).astype(np.float32)
    return out


def tokens(text: str) -> list[str]:
    """A text's words, lower-cased, split on white space."""
    return text.lower().split()


@dataclass(frozen=True)
class Vocabulary:
    """The words and their meanings (unit latent vectors, one row per word)."""

    words: tuple[str, ...]
    meanings: Matrix

    def index(self) -> dict[str, int]:
        """Word -> row."""
        return {w: i for i, w in enumerate(self.words)}


@dataclass(frozen=True)
class TextModel:
    """One embedding model: a vector per known word, sums of them per text."""

    name: str
    table: Matrix
    rows: Mapping[str, int]
    shared: Matrix  # the model's shared direction times its weight (zeros for none)
    noise: float

    @property
    def dim(self) -> int:
        """The vector dimension."""
        return int(self.table.shape[1])

    def _unknown(self, word: str) -> Matrix:
        seed = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "big")
        meaning = np.random.default_rng(seed).standard_normal(self.dim) / np.sqrt(self.dim)
        out: Matrix = (meaning + self.shared).astype(np.float32)
        return out

    def embed(self, texts: Sequence[str]) -> Matrix:
        """Unit vectors of ``texts``, one row each (a text with no word gets the zero vector)."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            counts: dict[str, int] = {}
            for word in tokens(text):
                counts[word] = counts.get(word, 0) + 1
            known = [(self.rows[w], c) for w, c in counts.items() if w in self.rows]
            if known:
                rows, weights = zip(*known, strict=True)
                out[i] = np.sqrt(np.array(weights, dtype=np.float32)) @ self.table[list(rows)]
            for word, count in counts.items():
                if word not in self.rows:
                    out[i] += np.sqrt(count) * self._unknown(word)
        return unit_rows(out)


def _model(
    name: str, vocab: Vocabulary, dim: int, noise: float, shared: float, seed: int
) -> TextModel:
    rng = np.random.default_rng(seed)
    isometry = np.linalg.qr(rng.standard_normal((dim, LATENT_DIM)))[0]  # orthonormal columns
    own = rng.standard_normal((len(vocab.words), dim)) / np.sqrt(dim)
    direction = unit_rows(rng.standard_normal((1, dim)))[0] * shared
    table = vocab.meanings @ isometry.T + noise * own + direction
    return TextModel(name, table.astype(np.float32), vocab.index(), direction, noise)


def make_models(vocab: Vocabulary, seed: int) -> tuple[TextModel, TextModel]:
    """The old (isotropic) and the new (e5-like, narrow high band) model of ``vocab``."""
    old = _model("demo-old-minilm-like", vocab, OLD_DIM, OLD_NOISE, 0.0, seed * 7919 + 1)
    new = _model("demo-new-e5-like", vocab, NEW_DIM, NEW_NOISE, NEW_SHARED, seed * 7919 + 2)
    return old, new
