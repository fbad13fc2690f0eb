"""The demo's two text embedding models: bag-of-words models of two different geometries.

Every word of the generated vocabulary has a *meaning*, a unit vector in a small latent space
(:class:`Vocabulary`). A model (:class:`Geometry`) embeds a text as the normalised sum of its
words' vectors, each weighted by the square root of its count. A word's vector is the model's
own reading of its meaning (below), plus model-specific noise, plus the model's shared
direction, mapped into the model's dimension by a random isometry. Words it has never seen get
a vector of their own derived from a hash, as a real model embeds any text.

The two models agree on what words mean, but not on how near two meanings are, the way two
real models trained on different data do:

- each *reads* meanings through its own random linear map of the latent space, ``I + warp *
  G`` with ``G`` Gaussian (renormalised): exact word matches score the same in both, but which
  neighbouring topic ranks next differs. Between the two demo models the top 10 of a query
  share about 55 % of their ids (overlap@10 0.54-0.58, RBO 0.62-0.67 per segment), as
  all-MiniLM-L6-v2 and all-mpnet-base-v2 share 0.52-0.59 on SciFact and Cranfield; the
  relevant documents are in both lists, the rest of each list is each model's own;
- the **old** model (256 dimensions) is isotropic: unrelated texts score around 0 and scores
  spread over most of [-1, 1], like the MiniLM-era models many stacks were tuned on; it
  weights every word alike;
- the **new** model (384 dimensions) adds one strong direction shared by every word before
  normalising, which is what makes models such as e5 score unrelated texts around 0.7 and
  squeeze every score into a narrow high band (thresholds move); and it has learnt that
  frequent words say little: each word's vector is weighted by its inverse document frequency
  to the power ``idf_power`` (:attr:`Vocabulary.document_share`). So it ranks better on the
  labels (nDCG@10 up by 0.03-0.06 per segment), as a newer model should.
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


@dataclass(frozen=True)
class Geometry:
    """How one model maps words to vectors (module docstring)."""

    name: str
    dim: int
    noise: float  # weight of the model's own random vector per word
    shared: float  # weight of the direction every word shares (0: isotropic)
    warp: float  # how far the model's reading of meanings strays from the latent space
    idf_power: float  # words weighted by inverse document frequency to this power (0: alike)


OLD = Geometry("demo-old-minilm-like", 256, noise=0.2, shared=0.0, warp=1.0, idf_power=0.0)
NEW = Geometry("demo-new-e5-like", 384, noise=0.2, shared=0.75, warp=1.0, idf_power=0.5)


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
    """The words, their meanings (unit latent vectors, one row per word) and how common each is.

    ``document_share``: the share of the corpus' documents holding each word (what a model
    trained on such text learns about how much a word says).
    """

    words: tuple[str, ...]
    meanings: Matrix
    document_share: npt.NDArray[np.float64]

    def index(self) -> dict[str, int]:
        """Word -> row."""
        return {w: i for i, w in enumerate(self.words)}

    def idf(self) -> npt.NDArray[np.float64]:
        """Each word's inverse document frequency, ``1 + ln(1 / share)`` (at least 1)."""
        out: npt.NDArray[np.float64] = 1.0 + np.log(1.0 / np.clip(self.document_share, 1e-6, 1))
        return out


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


def build_model(geometry: Geometry, vocab: Vocabulary, seed: int) -> TextModel:
    """The model of ``geometry`` over ``vocab``; ``seed`` decides its random parts."""
    rng = np.random.default_rng(seed)
    dim = geometry.dim
    isometry = np.linalg.qr(rng.standard_normal((dim, LATENT_DIM)))[0]  # orthonormal columns
    own = rng.standard_normal((len(vocab.words), dim)) / np.sqrt(dim)
    direction = unit_rows(rng.standard_normal((1, dim)))[0] * geometry.shared
    reading = np.eye(LATENT_DIM) + geometry.warp * rng.standard_normal(
        (LATENT_DIM, LATENT_DIM)
    ) / np.sqrt(LATENT_DIM)
    meanings = unit_rows(vocab.meanings.astype(np.float64) @ reading).astype(np.float64)
    weights = vocab.idf() ** geometry.idf_power
    table = (meanings @ isometry.T + geometry.noise * own + direction) * weights[:, None]
    return TextModel(
        geometry.name, table.astype(np.float32), vocab.index(), direction, geometry.noise
    )


def make_models(vocab: Vocabulary, seed: int) -> tuple[TextModel, TextModel]:
    """The old (isotropic) and the new (e5-like, narrow high band, better) model of ``vocab``."""
    return build_model(OLD, vocab, seed * 7919 + 1), build_model(NEW, vocab, seed * 7919 + 2)
