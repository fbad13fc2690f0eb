"""The demo's corpus: segments of generated texts, labelled queries, and both embeddings.

Everything derives from one seed in about a second. Each segment (``docs``, ``code``,
``faq``) has topics; each topic has sub-topics; each sub-topic has a few documents. A word
means something close to its sub-topic, its topic, its segment's general vocabulary, or the
function words every segment shares (:class:`~calibrator.demo.models.Vocabulary`). A document
draws its words from those pools in its segment's proportions (:class:`SegmentStyle`), and so
does a query, written for one sub-topic: the documents of that sub-topic are its relevant
ones. The segments differ the way real content does: code is terse and precise, the FAQ chatty
and full of function words, so each segment's scores sit differently in both models and one
global threshold cannot suit them all.

Point ids are integers, as Qdrant's are (strings in the calibrator's files).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from calibrator.demo.models import LATENT_DIM, Matrix, TextModel, Vocabulary, make_models, unit_rows

Vector = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
_SYLLABLES = (
    "ka", "lo", "mi", "nu", "pe", "ri", "so", "ta", "ve", "zu", "bra", "cel", "dor", "fin",
    "gal", "hex", "jun", "kor", "lum", "mar", "nex", "orb", "pix", "quo", "ryn", "sal", "tor",
)  # fmt: skip
FUNCTION_WORDS = 30
GENERAL_WORDS = 80
TOPIC_WORDS = 10
SUBTOPIC_WORDS = 6


@dataclass(frozen=True)
class SegmentStyle:
    """How a segment writes: shares of sub-topic, topic, general and function words."""

    name: str
    doc_mix: tuple[float, float, float, float]
    query_mix: tuple[float, float, float, float]
    doc_words: int
    query_words: tuple[int, int]


STYLES = (
    SegmentStyle("docs", (0.35, 0.25, 0.25, 0.15), (0.5, 0.2, 0.15, 0.15), 22, (5, 10)),
    SegmentStyle("code", (0.45, 0.30, 0.20, 0.05), (0.7, 0.15, 0.05, 0.10), 16, (4, 8)),
    SegmentStyle("faq", (0.30, 0.20, 0.30, 0.20), (0.50, 0.15, 0.20, 0.15), 26, (6, 12)),
)
SEGMENTS = tuple(s.name for s in STYLES)


@dataclass(frozen=True)
class Shape:
    """How big the corpus is."""

    topics: int = 24
    subtopics: int = 8
    docs_per_subtopic: int = 4
    query_share: float = 0.9  # share of sub-topics that get a labelled query
    topic_spread: float = 1.2  # how far a topic's words stray from its centre
    subtopic_spread: float = 1.8  # how far sub-topics stray from their topic's centre
    word_spread: float = 0.5  # how far a sub-topic's words stray from its centre


@dataclass(frozen=True, slots=True)
class Query:
    """A labelled query: its id, segment, text and relevant point ids."""

    id: str
    segment: str
    text: str
    relevant: tuple[int, ...]


@dataclass(frozen=True)
class Corpus:
    """Documents (point id = row) and labelled queries, with the vocabulary behind them."""

    seed: int
    vocab: Vocabulary
    texts: tuple[str, ...]
    segments: tuple[str, ...]
    queries: tuple[Query, ...]

    def rows_of(self, segment: str) -> Ints:
        """Point ids (rows) of ``segment``'s documents."""
        rows: Ints = np.flatnonzero(np.array(self.segments) == segment)
        return rows


@dataclass(frozen=True)
class Embedded:
    """A corpus with its documents and queries embedded by both models."""

    corpus: Corpus
    old: TextModel
    new: TextModel
    old_docs: Matrix
    new_docs: Matrix
    old_queries: Matrix
    new_queries: Matrix


class _Builder:
    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.words: list[str] = []
        self.meanings: list[Vector] = []

    def word(self, meaning: Vector) -> int:
        n, parts = len(self.words), []
        while True:
            n, digit = divmod(n, len(_SYLLABLES))
            parts.append(_SYLLABLES[digit])
            if n == 0 and len(parts) >= 2:
                break
        self.words.append("".join(parts))
        self.meanings.append(meaning / np.linalg.norm(meaning))
        return len(self.words) - 1

    def near(self, centre: Vector, spread: float) -> Vector:
        out: Vector = centre + spread * self.rng.standard_normal(LATENT_DIM) / np.sqrt(LATENT_DIM)
        return out

    def text(self, pools: Sequence[list[int]], mix: Sequence[float], n: int) -> str:
        kinds = self.rng.choice(len(pools), size=n, p=np.asarray(mix) / sum(mix))
        return " ".join(self.words[pools[k][self.rng.integers(len(pools[k]))]] for k in kinds)


def generate(seed: int = 7, shape: Shape | None = None) -> Corpus:
    """The corpus of ``seed`` (see the module docstring)."""
    shape = shape or Shape()
    rng = np.random.default_rng(seed)
    b = _Builder(rng)
    function_centre = rng.standard_normal(LATENT_DIM)
    function = [b.word(b.near(function_centre, 1.0)) for _ in range(FUNCTION_WORDS)]
    texts: list[str] = []
    segments: list[str] = []
    queries: list[Query] = []
    for style in STYLES:
        general = [b.word(rng.standard_normal(LATENT_DIM)) for _ in range(GENERAL_WORDS)]
        for _ in range(shape.topics):
            centre = rng.standard_normal(LATENT_DIM)
            centre /= np.linalg.norm(centre)
            topic = [b.word(b.near(centre, shape.topic_spread)) for _ in range(TOPIC_WORDS)]
            for _ in range(shape.subtopics):
                sub_centre = b.near(centre, shape.subtopic_spread)
                sub_centre /= np.linalg.norm(sub_centre)
                sub = [b.word(b.near(sub_centre, shape.word_spread)) for _ in range(SUBTOPIC_WORDS)]
                pools = (sub, topic, general, function)
                first = len(texts)
                for _ in range(shape.docs_per_subtopic):
                    n = max(6, round(rng.normal(style.doc_words, 4)))
                    texts.append(b.text(pools, style.doc_mix, n))
                    segments.append(style.name)
                if rng.random() < shape.query_share:
                    low, high = style.query_words
                    text = b.text(pools, style.query_mix, int(rng.integers(low, high + 1)))
                    number = sum(q.segment == style.name for q in queries) + 1
                    relevant = tuple(range(first, len(texts)))
                    queries.append(Query(f"{style.name}-q{number:03d}", style.name, text, relevant))
    holding = np.zeros(len(b.words))
    index = {w: i for i, w in enumerate(b.words)}
    for text in texts:
        holding[[index[w] for w in set(text.split())]] += 1
    vocab = Vocabulary(tuple(b.words), unit_rows(np.array(b.meanings)), holding / len(texts))
    return Corpus(seed, vocab, tuple(texts), tuple(segments), tuple(queries))


def embed(corpus: Corpus) -> Embedded:
    """Both models' vectors of every document and query of ``corpus``."""
    old, new = make_models(corpus.vocab, corpus.seed)
    query_texts = [q.text for q in corpus.queries]
    return Embedded(
        corpus=corpus,
        old=old,
        new=new,
        old_docs=old.embed(corpus.texts),
        new_docs=new.embed(corpus.texts),
        old_queries=old.embed(query_texts),
        new_queries=new.embed(query_texts),
    )
