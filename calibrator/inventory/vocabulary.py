"""The inventory's vocabulary: the words and names that mark scores, thresholds and libraries.

Plain data, judged by :mod:`calibrator.inventory.names`; extend it here when a library or a
house naming style is missed.
"""

from __future__ import annotations

from calibrator.inventory.findings import Direction, Metric

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
SPECIFIC_WORDS = frozenset(
    {"similarity", "similarities", "sim", "sims", "cosine", "cos", "relevance", "relevancy",
     "certainty"}
)  # fmt: skip
"""Score words that name an embedding similarity; ``score`` and ``distance`` alone are said of
many other things (a model's evaluation, a geometric distance)."""
COSINE_WORDS = frozenset({"similarity", "similarities", "sim", "sims", "cosine", "cos"})
"""Score words that name an embedding similarity and nothing a judge grades (``relevance``
is both)."""
SCORE_WORDS = SIMILARITY_WORDS | DISTANCE_WORDS
DOCUMENTED_METRIC_WORDS = frozenset(
    {"similarity", "similarities", "cosine", "distance", "distances", "embedding", "embeddings",
     "similar"}
)  # fmt: skip
"""Words of a parameter's docstring entry that say what its generic ``threshold`` bounds."""
DOC_VETO_WORDS = frozenset(
    {"percentile", "percentiles", "percent", "percentage", "quantile", "fraction", "ratio",
     "proportion", "share", "weight", "count"}
)  # fmt: skip
"""Words of a docstring entry that make a threshold a share or a weight of similarities, not
a cutoff on one (``Similarity percentile measure``)."""
METRIC_KEY_WORDS = frozenset(
    {"cosine", "euclidean", "angular", "dot", "manhattan", "normalized", "normalised", "norm"}
)  # fmt: skip
"""Words of a table's key that say which metric its number bounds (``"euclidean"``); an
``l2`` in the key (``"euclidean_l2"``, unit vectors) is found in its text, as identifiers split
it into ``l`` and ``2``."""
THRESHOLD_WORDS = frozenset(
    {"threshold", "thresholds", "thresh", "thres", "thr", "cutoff", "cutoffs", "cut"}
)
"""Words that make a name a threshold (``cut`` only counts as ``cut off``)."""
LIMIT_WORDS = frozenset({"floor", "cap", "ceiling"})
"""Words that make a score's name a limit: a threshold where it is compared with the score
(``CLOSET_DISTANCE_CAP``), a clamp where it is not (``max(_SCORE_FLOOR, raw)``)."""

CONTEXT_WORDS = frozenset(
    {
        "retrieval",
        "retriever",
        "retrieve",
        "search",
        "rag",
        "vector",
        "vectorstore",
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
        "iou",
        "ratio",
        "fraction",
        "proportion",
        "percentile",
        "gain",
        "improvement",
        "sign",
        "percent",
        "percentage",
        "pct",
        "std",
        "deviation",
        "interquartile",
        "gradient",
        "lambda",
        "mult",
        "temperature",
        "eta",
        "epsilon",
        "eps",
        "tol",
        "tolerance",
        "p",
        "geo",
        "radius",
        "lon",
        "lat",
        "edit",
        "levenshtein",
        "fuzzy",
        "trgm",
        "trigram",
        "bm25",
        "rrf",
        "mmr",
        "rank",
        "position",
        "page",
        "time",
        "age",
        "delta",
        "diff",
        "accuracy",
        "acc",
        "f1",
        "auc",
        "roc",
        "precision",
        "recall",
        "loss",
        "r2",
        "mse",
        "rmse",
        "mae",
        "error",
        "bleu",
        "rouge",
        "perplexity",
        "proba",
        "prob",
        "probability",
        "logit",
        "logits",
        "likelihood",
        "pvalue",
        "seconds",
        "ms",
        "density",
        "entropy",
        "importance",
        "boost",
        "success",
        "quality",
        "rating",
        "reward",
        "feedback",
        "grade",
        "vote",
        "votes",
    }
)
"""Words that rule a name out: sizes, counts, indices, model knobs and the like."""

GRADED_WORDS = frozenset(
    {"coherence", "completeness", "fluency", "factuality", "faithfulness", "groundedness",
     "hallucination", "toxicity", "trustworthiness", "complexity", "difficulty", "urgency",
     "priority", "popularity"}
)  # fmt: skip
"""What an LLM judge, a guardrail or a ranking heuristic grades: a setting's name that says
one (``min_coherence_score``, ``toxicity_threshold``) bounds no similarity. Only the name's own
words: a ``Groundedness`` metric may still compare embeddings with its ``threshold``."""

SIMILARITY_SOURCES = frozenset(
    {
        "search",
        "batchsearch",
        "query",
        "similar",
        "similarity",
        "similarities",
        "sim",
        "cos",
        "cosine",
        "dot",
        "matmul",
        "inner",
        "knn",
        "kneighbors",
        "nearest",
        "neighbors",
        "neighbours",
        "ann",
        "retrieve",
        "retriever",
        "lookup",
        "embed",
        "embedding",
        "embeddings",
        "encode",
        "vector",
        "vectors",
        "vectorstore",
        "distance",
        "distances",
        "cdist",
        "pdist",
        "semantic",
    }
)
"""Words in the name of a call whose result is a similarity or distance between embeddings."""
SEARCH_SOURCES = frozenset(
    {"search", "batchsearch", "query", "knn", "kneighbors", "nearest", "neighbors", "neighbours",
     "ann", "retrieve", "retriever", "lookup"}
)  # fmt: skip
"""Of those, the words of a search: its results are ranked hits (``self.ann.search(q)``)."""

MODEL_SOURCES = frozenset(
    {
        "pipeline",
        "predict",
        "proba",
        "classify",
        "classifier",
        "detect",
        "detector",
        "generate",
        "transcribe",
        "ner",
        "qa",
        "answer",
        "sentiment",
        "moderate",
        "evaluate",
        "judge",
        "grade",
        "llm",
        "gpt",
        "openai",
        "anthropic",
        "chat",
        "completion",
        "completions",
        "prompt",
        "structured",
        "rerank",
        "reranker",
        "rerankers",
        "reranking",
        "nli",
        "entailment",
    }
)
"""Words in the name of a call whose scores come from a model's prediction, not embeddings (a
reranker is a cross-encoder or an LLM: its scores stay when the embedding model changes)."""

STRING_SOURCES = frozenset(
    {
        "fuzz",
        "fuzzy",
        "rapidfuzz",
        "fuzzywuzzy",
        "thefuzz",
        "levenshtein",
        "lev",
        "grapheme",
        "jaro",
        "winkler",
        "jaccard",
        "ratio",
        "wratio",
        "difflib",
        "editdistance",
        "hamming",
        "jellyfish",
        "textdistance",
        "rouge",
        "bleu",
        "trgm",
        "trigram",
        "ngram",
        "phonetic",
        "soundex",
        "minhash",
        "simhash",
        "datasketch",
        "regex",
        "regexp",
    }
)
"""Words of string-similarity calls and libraries: edit distances, fuzzy ratios and n-gram
overlaps (ROUGE, BLEU, Postgres's pg_trgm trigram similarity, ArangoDB's ``NGRAM_SIMILARITY``),
sounds-alike codes (Soundex), and pattern matching (a regex layer's rule score)."""

MODEL_CONTEXTS = frozenset(
    {
        "detection",
        "detector",
        "yolo",
        "bytetrack",
        "tagging",
        "tagger",
        "question",
        "questions",
        "answering",
        "qa",
        "label",
        "labels",
        "classifier",
        "classification",
        "ner",
        "sentiment",
        "aesthetic",
        "aesthetics",
        "motion",
        "nsfw",
        "langid",
        "toxic",
        "toxicity",
        "moderation",
        "pii",
        "injection",
        "caption",
        "captioning",
        "ocr",
        "speech",
        "audio",
        "vad",
        "voice",
        "microphone",
        "transcription",
        "segmentation",
        "extraction",
        "reward",
        "openpose",
        "keypoint",
        "keypoints",
    }
)
"""Words of a class or function whose thresholds apply to a model's outputs (detection,
question answering, classification, a pose estimator's keypoints), not to embedding
similarities."""

EVALUATION_CONTEXTS = frozenset(
    {"metric", "metrics", "evaluator", "evaluators", "evaluation", "evals", "eval", "grader",
     "judge", "agent", "agents", "llm", "benchmark", "benchmarks"}
)  # fmt: skip
"""Words of a module's folders or file, a class's name or its base's, that make it an evaluation
metric (``class FaithfulnessMetric(BaseMetric)``, ``ragas/metrics/``): a threshold there is a
pass bar on the metric's score, unless that score is seen to be an embedding similarity (an
evaluator of semantic similarity compares a cosine)."""

MODEL_NAMES = frozenset({"confidence", "conf", "det", "rerank", "reranker", "reranking"})
"""Words of a threshold's own name that say it bounds a model's confidence, probability or
reranking score (``min_rerank_score``)."""

KEY_COLUMNS = ("key", "name", "setting", "param", "parameter", "option", "k")
"""Columns that name a setting in a key/value settings table."""
VALUE_COLUMNS = ("value", "val", "v", "setting_value", "numeric_value", "float_value")
"""Columns that hold a setting's value in a key/value settings table."""

NOT_SCORE_ATTRIBUTES = frozenset({"shape", "ndim", "size", "dtype", "bits", "numel", "device"})

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
    "self_deduplicate": "semhash",
    "mine_hard_negatives": "sentence-transformers",
}
"""Call names that identify a library even without an import in the same file."""

KEYWORD_SOURCES = frozenset(
    {"keyword", "fulltext", "fts", "bm25", "lexical", "tfidf", "sparse", "tokens", "rrf"}
)
CLASSIFIER_CALLS = frozenset(
    {"classification", "classifier", "classify", "nli", "entailment", "ner", "recognizer", "scorer"}
)
"""Words of the calls (or a ``pipeline``'s task) that build a classifier, an NLI or an
entity-recognition model."""

EMBEDDING_MODELS = frozenset({"sentence", "embedder", "embedders", "biencoder"})
"""Words of the calls that build an embedding model (``SentenceTransformer("...")``) beside
the similarity sources' ``embed``, ``encode`` and ``embedding``."""

EMBEDDING_MODEL_NAMES = frozenset(
    {"embed", "minilm", "mpnet", "bge-", "/e5-", "e5-small", "e5-base", "e5-large", "gte-",
     "sentence-transformers", "ada-002", "voyage", "instructor", "simcse", "labse",
     "distiluse", "nomic", "jina", "arctic", "mxbai", "clip", "clap", "facenet", "arcface"}
)  # fmt: skip
"""Parts of the names of embedding models and their families, as a table's keys spell them
(``"sentence-transformers/all-MiniLM-L6-v2"``, ``"text-embedding-3-small"``): a table of
thresholds keyed by them holds each model's similarity cutoff."""

EMBEDDING_WORDS = frozenset({"embedding", "embeddings", "embed", "embeds", "embedded"})
"""Words of names that hold or make embeddings: a class using them besides a string library
compares embeddings too (a class using only the string library computes its ratios)."""

EMBEDDERS = EMBEDDING_WORDS | {"embedder", "embedders"}
"""Words of names that hold an embedding model or its vectors."""

VECTOR_WORDS = EMBEDDING_WORDS | {"emb", "embs", "vector", "vectors", "vec", "vecs"}
"""Words of the names an embedding vector is read by (``p["embedding"]``, ``doc.vector``): a
dot product of two such is a similarity computed there."""

DENSE_WORDS = EMBEDDING_WORDS | {"encoder", "encoders", "sbert", "dense", "retrieval", "retriever"}
"""Words of names that speak of dense retrieval beside a TF-IDF or BM25 builder."""

DENSE_MODULE_WORDS = DENSE_WORDS | EMBEDDING_MODELS | {"encode", "neural", "vectors"}
"""Words of any name in a module that say it handles dense vectors too, beside the TF-IDF
vectorizer it imports (``sentence_transformer.encode``, ``event_groups_from_vectors``)."""

GENERIC_TASKS = frozenset(
    {"classifier", "classification", "detector", "detection", "extraction", "label", "labels"}
)
"""Model words that say what a class does, not which model's scores it reads: a classifier or
a detector that handles embeddings compares them (an aesthetics or NSFW filter reads a model's
score of them)."""

SIMILARITY_OF_MODEL_WORDS = SPECIFIC_WORDS - {"relevance", "relevancy", "certainty"}
"""Words that make a setting named for a model's context a similarity of that model's
embeddings (``min_speech_sim`` compared with ``speech_sim`` in a speech module), not the
model's confidence."""

PAIRWISE_DISTANCES = frozenset({"cdist", "pdist"})
"""Names of calls that compute the distances between two sets of vectors (scipy's and torch's
``cdist(a, b, "cosine")``)."""

COMPUTING_WORDS = (
    frozenset({"cosine", "cos", "dot", "inner", "similarity", "sim"}) | PAIRWISE_DISTANCES
)
"""Words of a call that computes similarities (or distances) from two arguments (``np.dot(a,
b)``, ``cos_sim(e, k)``, ``cdist(a, b)``): what it is compared with in place is a cutoff."""

SIMILARITY_NAMES = frozenset(
    {"similarity", "semantic", "cosine", "embedding", "embeddings", "clip", "clap"}
)
"""Words of an evaluator's name that say it scores by embedding similarity (llama-index's
``SemanticSimilarityEvaluator``, a ``ClapJudge`` of audio-text CLAP scores): its pass bar is a
similarity threshold."""

SIMILARITY_SEARCH_CALLS = frozenset(
    {"similarity", "similar", "semantic", "cosine", "vector", "knn", "embedding", "embeddings"}
)
"""Words of a call that searches by embedding similarity (``similarity_search(v,
threshold=0.4)``, ``find_similar``): a cutoff passed to it is the embeddings', whatever the
module it is written in is about (ESG metrics, a speech model)."""

RETRIEVAL_CONTEXTS = SIMILARITY_NAMES | {
    "memory", "memories", "retrieval", "retriever", "retrievers", "search", "vector",
    "vectorstore", "vectorstores", "rag", "knowledge", "cache",
}  # fmt: skip
"""Words that put an evaluator's or an agent's module in the retrieval business (an agent's
memory, a similarity evaluator): its thresholds are not an LLM's grades."""

LEXICAL_CONTEXTS = frozenset({"tfidf", "bm25", "bm25s", "fulltext", "lexical", "sparse"})
"""Words of a module's path or a class's name that serve a lexical index (a TF-IDF matcher's
cosine compares term weights: the embedding model is not in it)."""
"""Words of calls whose scores are keyword-search ranks (BM25, full text), not embeddings."""

OUTCOME_WORDS = frozenset(
    {"success", "failure", "quality", "rating", "reward", "feedback", "grade", "vote", "votes",
     "likelihood", "probability", "prob", "proba", "accuracy", "loss", "error", "rate",
     "perplexity", "bleu", "rouge", "f1", "precision", "auc", "count", "confidence",
     "y", "pred", "preds", "prediction", "predictions", "logit", "logits",
     "trust", "trustworthiness", "toxicity", "faithfulness", "hallucination", "groundedness",
     "factuality", "coherence", "fluency", "safety", "complexity", "difficulty", "importance",
     "priority", "urgency", "risk", "popularity", "freshness", "recency", "hotness",
     "truth", "truthfulness", "correlation", "corr", "r2", "rsquared", "mse", "rmse", "mae",
     "mape", "health"}
)  # fmt: skip
"""Words of an outcome, rate or evaluation figure (not ``recall``: a memory layer's recall
retrieves; a recall metric's names are vetoed anyway) (an LLM judge's or a guardrail's grades
included: ``trustworthiness_score``, ``toxicity``; a query's ``complexity_score``, a memory's
``importance``, a context's ``hotness``, a claim's ``truth_score``, a table's ``corr()``, a
regression's ``r2_score`` or ``rmse``, a system's ``health_score``): what
such a name holds is no similarity, and a threshold compared with it (or computed by a call
named so) is no similarity threshold."""

SETTINGS_WORDS = frozenset(
    {"config", "configs", "cfg", "conf", "settings", "setting", "options", "opts", "params"}
)
"""Words of an object that holds settings (``retrieval_config.relevance_score``)."""
DEFAULTS_MODULE_WORDS = frozenset({"defaults", "default", "settings", "config", "configs", "conf"})
"""Words of a module's path that make its dicts settings (``settings/defaults.py``); narrower
than :data:`SETTINGS_WORDS`, since a module named ``params`` or ``options`` holds many dicts
that are no settings object's."""
SPARSE_PARTNERS = frozenset(
    {"vector", "vectors", "vec", "embedding", "embeddings", "embed", "encoder", "encoding",
     "index", "retriever", "retrieval", "search", "splade", "model", "matrix", "scorer",
     "clustering", "cluster", "clusterer"}
)  # fmt: skip
"""Words that make ``sparse`` mean sparse vectors (a lexical index), not a sparse selection
(``_select_sparse_frames``)."""
TOLERANCE_WORDS = frozenset({"tol", "tolerance", "eps", "epsilon", "atol", "rtol"})
"""Names of numerical tolerances: compared with a score (``abs(cos - 1) < eps``), still no
cutoff that a new embedding model moves."""
EMBEDDING_TEXTS = (
    "embed", "vector", "cosine", "faiss", "encoder", "clip", "hnsw", "knn", "qdrant", "chroma",
    "pinecone", "weaviate", "milvus", "lancedb", "sentence_transformers", "sentence-transformers",
    "similarity_search", "minilm", "mpnet", "semantic_", "_semantic",
)  # fmt: skip
"""Lower-cased text that says a file may deal with embeddings (``np.dot`` of ``vectors``, a
vector store and its ``similarity_search``, a CLIP or MiniLM model, a ``semantic_threshold``):
wide on purpose, since a scan with none of it anywhere has no embedding similarity to cut.
Not ``semantic`` alone, which prose says of anything (``AND semantics``)."""
STRING_LIBRARY_TEXTS = (
    "rapidfuzz", "fuzzywuzzy", "thefuzz", "jellyfish", "levenshtein", "difflib", "jaro",
    "textdistance", "editdistance",
)  # fmt: skip
"""Lower-cased text of string-similarity libraries and algorithms: a scan that names one and
nothing of :data:`EMBEDDING_TEXTS` compares string similarities."""
