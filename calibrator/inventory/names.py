"""What counts as score-like and threshold-like, and the threshold keywords of known libraries.

Identifiers are split into lower-case words (``minRelevanceScore`` and ``MIN_RELEVANCE_SCORE``
both give ``min relevance score``) and judged by their words, so one vocabulary serves
Python, JavaScript, config keys and SQL columns alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from calibrator.inventory.findings import Direction, Metric

_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")

SIMILARITY_WORDS = frozenset(
    {
        "similarity",
        "similarities",
        "sim",
        "sims",
        "cosine",
        "cos",
        "relevance",
        "relevancy",
        "certainty",
        "score",
        "scores",
    }
)
DISTANCE_WORDS = frozenset({"distance", "distances", "dist", "dists"})
SCORE_WORDS = SIMILARITY_WORDS | DISTANCE_WORDS
THRESHOLD_WORDS = frozenset({"threshold", "thresh", "cutoff", "cut"})
"""Words that make a name a threshold (``cut`` only counts as ``cut off``)."""

CONTEXT_WORDS = frozenset(
    {
        "retrieval",
        "retriever",
        "retrieve",
        "search",
        "rag",
        "vector",
        "vectorstore",
        "rerank",
        "reranker",
        "ranker",
        "semantic",
        "embedding",
        "embeddings",
        "match",
        "matching",
        "similar",
        "neighbor",
        "neighbors",
        "nearest",
        "cache",
        "dedup",
        "redundant",
    }
)
"""Words in an enclosing class, function or config section that make a bare ``threshold``
likely to be a similarity threshold."""

VETO_WORDS = frozenset(
    {
        "size",
        "memmap",
        "indexing",
        "index",
        "scan",
        "token",
        "tokens",
        "retry",
        "retries",
        "timeout",
        "batch",
        "count",
        "len",
        "length",
        "chunk",
        "bytes",
        "kb",
        "mb",
        "word",
        "words",
        "split",
        "row",
        "column",
        "char",
        "chars",
        "payload",
        "deleted",
        "large",
        "data",
        "convert",
        "duration",
        "parser",
        "dead",
        "num",
        "idx",
        "id",
        "ids",
        "col",
        "field",
        "name",
        "names",
        "key",
        "fn",
        "func",
        "function",
        "type",
        "kind",
        "metric",
        "strategy",
        "mode",
        "penalty",
        "weight",
        "weights",
        "offset",
        "multiplier",
        "budget",
        "limit",
        "top",
        "k",
        "shape",
        "ndim",
        "bits",
        "dtype",
        "step",
        "steps",
        "epoch",
        "best",
        "total",
        "cost",
        "ratio",
        "percentile",
        "std",
        "deviation",
        "interquartile",
        "gradient",
        "lambda",
        "mult",
        "temperature",
        "eta",
        "epsilon",
        "p",
        "geo",
        "radius",
        "lon",
        "lat",
        "edit",
        "levenshtein",
        "fuzzy",
        "bm25",
        "rrf",
        "rank",
        "position",
        "page",
        "time",
        "age",
        "delta",
        "diff",
    }
)
"""Words that rule a name out: sizes, counts, indices, model knobs and the like."""

KEY_COLUMNS = ("key", "name", "setting", "param", "parameter", "option", "k")
"""Columns that name a setting in a key/value settings table."""
VALUE_COLUMNS = ("value", "val", "v", "setting_value", "numeric_value", "float_value")
"""Columns that hold a setting's value in a key/value settings table."""

NOT_SCORE_ATTRIBUTES = frozenset({"shape", "ndim", "size", "dtype", "bits", "numel", "device"})


def words(identifier: str) -> tuple[str, ...]:
    """The lower-case words of a snake_case, kebab-case, dotted or camelCase identifier."""
    return tuple(part.lower() for part in _CAMEL.findall(identifier))


def metric_of(name_words: tuple[str, ...]) -> Metric:
    """Distance when a distance word appears, similarity for other score words."""
    if any(w in DISTANCE_WORDS for w in name_words):
        return Metric.DISTANCE
    if any(w in SIMILARITY_WORDS for w in name_words):
        return Metric.SIMILARITY
    return Metric.UNKNOWN


def is_score_like(identifier: str) -> bool:
    """A name for a score itself (``node.score``, ``cos_sim``), not for a threshold on it."""
    name_words = words(identifier)
    if not any(w in SCORE_WORDS for w in name_words):
        return False
    if any(w in THRESHOLD_WORDS for w in name_words) or name_words[:1] in (("min",), ("max",)):
        return False
    return not any(w in VETO_WORDS for w in name_words)


@dataclass(frozen=True, slots=True)
class ThresholdName:
    """How strongly a name says "threshold", and what it says about direction and metric."""

    strength: float  # 0 (not a threshold) .. 1 (a known library keyword)
    metric: Metric
    direction: Direction
    library: str | None = None


NOT_A_THRESHOLD = ThresholdName(0.0, Metric.UNKNOWN, Direction.UNKNOWN)

KNOWN_KEYWORDS: dict[str, tuple[Metric, Direction, str | None]] = {
    "score_threshold": (Metric.SIMILARITY, Direction.ABOVE, None),
    "similarity_score_threshold": (Metric.SIMILARITY, Direction.ABOVE, None),
    "similarity_threshold": (Metric.SIMILARITY, Direction.ABOVE, None),
    "similarity_cutoff": (Metric.SIMILARITY, Direction.ABOVE, "llama-index"),
    "relevance_threshold": (Metric.SIMILARITY, Direction.ABOVE, None),
    "relevance_score_threshold": (Metric.SIMILARITY, Direction.ABOVE, None),
    "min_relevance_score": (Metric.SIMILARITY, Direction.ABOVE, "semantic-kernel"),
    "min_score": (Metric.SIMILARITY, Direction.ABOVE, None),
    "min_similarity": (Metric.SIMILARITY, Direction.ABOVE, None),
    "match_threshold": (Metric.SIMILARITY, Direction.ABOVE, "supabase"),
    "distance_threshold": (Metric.DISTANCE, Direction.BELOW, "redis"),
    "max_distance": (Metric.DISTANCE, Direction.BELOW, None),
    "certainty": (Metric.SIMILARITY, Direction.ABOVE, "weaviate"),
}
"""Keyword arguments and dict keys that are thresholds wherever they appear."""


def threshold_name(identifier: str, context: tuple[str, ...] = ()) -> ThresholdName:  # noqa: PLR0911
    """Judge a constant, parameter, keyword or config key name.

    ``context`` holds the words of the enclosing class, function or config section: a bare
    ``threshold`` inside ``SemanticSplitter`` or ``[retrieval]`` counts more than elsewhere.
    """
    name_words = words(identifier)
    if not name_words:
        return NOT_A_THRESHOLD
    snake = "_".join(name_words)
    for known, (metric, direction, library) in KNOWN_KEYWORDS.items():
        if snake == known or snake.endswith("_" + known):
            return ThresholdName(1.0, metric, direction, library)
    if any(w in VETO_WORDS for w in name_words):
        return NOT_A_THRESHOLD
    has_threshold = any(w in THRESHOLD_WORDS for w in name_words if w != "cut") or (
        "cut" in name_words and "off" in name_words
    )
    has_score = any(w in SCORE_WORDS for w in name_words)
    bound = name_words[0] if name_words[0] in ("min", "max", "minimum", "maximum") else None
    metric = metric_of(name_words)
    if bound is not None and has_score:
        direction = Direction.ABOVE if bound.startswith("min") else Direction.BELOW
        return ThresholdName(0.8, metric, direction)
    if not has_threshold:
        return NOT_A_THRESHOLD
    direction = {
        Metric.SIMILARITY: Direction.ABOVE,
        Metric.DISTANCE: Direction.BELOW,
    }.get(metric, Direction.UNKNOWN)
    if has_score:
        return ThresholdName(0.85, metric, direction)
    if any(w in CONTEXT_WORDS or w in SCORE_WORDS for w in context):
        context_metric = metric_of(context)
        context_direction = {
            Metric.SIMILARITY: Direction.ABOVE,
            Metric.DISTANCE: Direction.BELOW,
        }.get(context_metric, Direction.UNKNOWN)
        return ThresholdName(0.55, context_metric, context_direction)
    return ThresholdName(0.3, Metric.UNKNOWN, Direction.UNKNOWN)


def plausible(value: float, metric: Metric) -> bool:
    """Whether a value could be a calibrated cutoff rather than a range bound or a switch.

    0 and 1 (and -1) bound cosine similarities and relevance scores, or turn filtering off;
    tiny values are float-equality epsilons; similarities beyond [-1, 1] are not cosines (dot
    products, LLM grades, BM25).
    """
    if value in (0.0, 1.0, -1.0) or abs(value) < 1e-4:  # bounds, switches and epsilons
        return False
    if metric is Metric.SIMILARITY:
        return -1.0 < value < 1.0
    if metric is Metric.DISTANCE:
        return 0.0 < value <= 4.0
    return -1.0 < value < 1.0


LIBRARY_MODULES: dict[str, str] = {
    "langchain": "langchain",
    "langchain_core": "langchain",
    "langchain_community": "langchain",
    "llama_index": "llama-index",
    "haystack": "haystack",
    "qdrant_client": "qdrant-client",
    "chromadb": "chroma",
    "pinecone": "pinecone",
    "weaviate": "weaviate",
    "pgvector": "pgvector",
    "sentence_transformers": "sentence-transformers",
    "redisvl": "redis",
    "pymilvus": "milvus",
    "lancedb": "lancedb",
    "semantic_kernel": "semantic-kernel",
    "supabase": "supabase",
    "@langchain": "langchain",
    "langchain/": "langchain",
    "llamaindex": "llama-index",
    "@qdrant/js-client-rest": "qdrant-client",
    "@pinecone-database/pinecone": "pinecone",
    "@supabase/supabase-js": "supabase",
}
"""Imported module (first dotted part, or npm package prefix) to library name."""

LIBRARY_CALLS: dict[str, str] = {
    "SimilarityPostprocessor": "llama-index",
    "as_retriever": "langchain",
    "similarity_search_with_relevance_scores": "langchain",
    "EmbeddingsFilter": "langchain",
    "EmbeddingsRedundantFilter": "langchain",
    "query_points": "qdrant-client",
    "community_detection": "sentence-transformers",
    "paraphrase_mining": "sentence-transformers",
}
"""Call names that identify a library even without an import in the same file."""


def library_of_module(module: str) -> str | None:
    """The library an imported module belongs to, if known."""
    for prefix, library in LIBRARY_MODULES.items():
        if module == prefix or module.startswith((prefix + ".", prefix + "/")):
            return library
        if prefix.endswith("/") and module.startswith(prefix):
            return library
    return None
