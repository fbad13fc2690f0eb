"""What counts as score-like and threshold-like, and the threshold keywords of known libraries.

Identifiers are split into lower-case words (``minRelevanceScore`` and ``MIN_RELEVANCE_SCORE``
both give ``min relevance score``) and judged by their words, so one vocabulary serves
Python, JavaScript, config keys and SQL columns alike.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property, lru_cache
from itertools import accumulate, pairwise
from pathlib import PurePosixPath

from calibrator.inventory import vocabulary
from calibrator.inventory.findings import Direction, Metric
from calibrator.inventory.vocabulary import (
    CONTEXT_WORDS,
    DISTANCE_WORDS,
    EMBEDDING_MODEL_NAMES,
    GRADED_WORDS,
    KEYWORD_SOURCES,
    KNOWN_KEYWORDS,
    LIBRARY_MODULES,
    LIMIT_WORDS,
    OUTCOME_WORDS,
    SCORE_WORDS,
    SIMILARITY_WORDS,
    SPECIFIC_WORDS,
    STRING_SOURCES,
    THRESHOLD_WORDS,
    VETO_WORDS,
)

_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+\d*|[A-Z]+\d*|\d+")
_LETTERS_DIGITS = re.compile(r"([a-z]+)(\d+)")
_DIGIT_WORDS = frozenset(
    word
    for words_of_a_kind in vars(vocabulary).values()
    if isinstance(words_of_a_kind, frozenset)
    for word in words_of_a_kind
    if isinstance(word, str) and _LETTERS_DIGITS.fullmatch(word)
)
"""Vocabulary words that end in digits (``f1``, ``bm25``, ``r2``): kept whole, where other
letters-and-digits parts are split (``gpt4`` gives ``gpt 4``)."""


_FUSED = re.compile(
    r"(min|max|minimum|maximum|sim|similarity|score|relevance|distance|dist|cos|cosine)"
    r"(score|scores|sim|similarity|relevance|distance|dist|threshold|thresh|cutoff)"
)


@lru_cache(maxsize=8192)
def path_words(path: str) -> tuple[str, ...]:
    """The words of a file's folders and name without its suffix: its place as context.

    ``library/sensitive_data_detection/actions.py`` gives ``library sensitive data detection
    actions``: thresholds written there are about what the place says.
    """
    where = PurePosixPath(path)
    return tuple(w for part in (*where.parent.parts, where.stem) for w in words(part))


@lru_cache(maxsize=65536)
def words(identifier: str) -> tuple[str, ...]:
    """The lower-case words of a snake_case, kebab-case, dotted or camelCase identifier.

    Fused words of the vocabulary are split too: ``minscore`` gives ``min score``,
    ``simthreshold`` gives ``sim threshold``. Digits are a word of their own (``gpt4`` gives
    ``gpt 4``), except in the vocabulary's own words (``f1_score`` gives ``f1 score``).
    """
    out: list[str] = []
    for part in _CAMEL.findall(identifier):
        lower = part.lower()
        numbered = _LETTERS_DIGITS.fullmatch(lower)
        if numbered is not None and lower not in _DIGIT_WORDS:
            lower, digits = numbered.groups()
        else:
            digits = ""
        fused = _FUSED.fullmatch(lower)
        if fused is None:
            out.append(lower)
        else:
            out.extend(fused.groups())
        if digits:
            out.append(digits)
    return tuple(out)


def metric_of(name_words: tuple[str, ...]) -> Metric:
    """Distance when a distance word appears, similarity for other score words."""
    if any(w in DISTANCE_WORDS for w in name_words):
        return Metric.DISTANCE
    if any(w in SIMILARITY_WORDS for w in name_words):
        return Metric.SIMILARITY
    return Metric.UNKNOWN


def names_embedding_model(key: str) -> bool:
    """Whether a key names an embedding model (``"BAAI/bge-small-en-v1.5"``, a CLAP checkpoint)."""
    lower = key.lower()
    return any(part in lower for part in EMBEDDING_MODEL_NAMES)


def says_threshold(identifier: str) -> bool:
    """Whether a name says it holds a threshold (``quality_threshold``), whatever it bounds.

    Looser than :func:`threshold_name`'s strength, which is nothing for a name that says no
    similarity: what such a getter returns still goes where code may show it compared.
    """
    return any(w in THRESHOLD_WORDS for w in words(identifier))


def is_score_like(identifier: str) -> bool:
    """A name for a score itself (``node.score``, ``cos_sim``), not for a threshold on it."""
    name_words = words(identifier)
    if not any(w in SCORE_WORDS for w in name_words):
        return False
    if any(w in THRESHOLD_WORDS or w in LIMIT_WORDS for w in name_words):
        return False
    if name_words[0] in ("min", "max") or any(
        word in ("min", "max") and following in SCORE_WORDS
        for word, following in pairwise(name_words)
    ):
        return False  # `min_score`, `fallback_min_cosine()`: a bound on the score it names
    if identifier.isupper() and name_words[-1] in BOUNDS:
        return False  # a constant `SIMILARITY_MIN` bounds scores (a computed `sims_max` is one)
    scaled = {w for before, w in pairwise(name_words) if w in _PERCENT and before in SCORE_WORDS}
    return not any(
        (w in VETO_WORDS and w not in _RANKED and w not in scaled) or w in OUTCOME_WORDS
        for w in name_words
    )


_PERCENT = frozenset({"percent", "percentage", "pct"})
"""Words that veto a score's name (``sample_percentage``) unless they follow a score's word:
``similarity_percentage`` is a similarity, on a scale of a hundred."""

BOUNDS = frozenset({"min", "max", "minimum", "maximum"})
"""Words that make a score's name a bound on it, first or last (``min_score``, ``SIM_MAX``)."""

_RANKED = frozenset({"top", "best", "batch", "chunk", "row"})
"""Words that veto a threshold name (``top_k``, ``batch_size``) but not a score
(``top_similarity``, ``batch_similarities``, ``chunk_scores``)."""


@dataclass(frozen=True, slots=True)
class ThresholdName:
    """How strongly a name says "threshold", and what it says about direction and metric."""

    strength: float  # 0 (not a threshold) .. 1 (a known library keyword)
    metric: Metric
    direction: Direction
    library: str | None = None


NOT_A_THRESHOLD = ThresholdName(0.0, Metric.UNKNOWN, Direction.UNKNOWN)


_NAMING_TEXTS = ("thr", "cut", "score", "sim", "cos", "dist", "relevan", "certainty")
"""Text that every name :func:`threshold_name` gives a strength holds: each word of
``THRESHOLD_WORDS`` and ``SCORE_WORDS`` (and so each known keyword) holds one of these."""


def may_name_a_threshold(identifier: str) -> bool:
    """Whether :func:`threshold_name` can give ``identifier`` any strength (a quick no).

    Without one of :data:`_NAMING_TEXTS` in its lower case, no word of the name is a word of
    a threshold or a score, and no known keyword ends it. A config file's keys are tested
    this way first: a tokenizer's vocabulary is hundreds of thousands of keys with numbers.
    """
    lower = identifier.lower()
    return any(text in lower for text in _NAMING_TEXTS)


NATURAL_DIRECTION = {Metric.SIMILARITY: Direction.ABOVE, Metric.DISTANCE: Direction.BELOW}
"""What a cutoff on each metric keeps when nothing else says: similarities above it,
distances below it."""


@lru_cache(maxsize=16384)
def threshold_name(identifier: str, context: tuple[str, ...] = ()) -> ThresholdName:  # noqa: PLR0911
    """Judge a constant, parameter, keyword or config key name.

    ``context`` holds the words of the enclosing class, function or config section: a bare
    ``threshold`` inside ``SemanticSplitter`` or ``[retrieval]`` counts more than elsewhere.
    """
    name_words = words(identifier)
    if not name_words:
        return NOT_A_THRESHOLD
    snake = "_".join(name_words)
    vetoed = any(w in VETO_WORDS or w in GRADED_WORDS for w in name_words)
    # `rouge_match_threshold` ends like a library's keyword, but for another score, and
    # `trgm_similarity_threshold` for a string similarity; a `recall_relevance_threshold`
    # still names an embedding similarity (recalled memories' relevance)
    kind = any(w in STRING_SOURCES or w in KEYWORD_SOURCES for w in name_words)  # `trgm`
    suffix_vetoed = kind or (vetoed and not any(w in SPECIFIC_WORDS for w in name_words))
    for known, (metric, direction, library) in KNOWN_KEYWORDS.items():
        if snake == known or (snake.endswith("_" + known) and not suffix_vetoed):
            return ThresholdName(1.0, metric, direction, library)
    if vetoed:
        return NOT_A_THRESHOLD
    has_threshold = any(w in THRESHOLD_WORDS for w in name_words if w != "cut") or (
        "cut" in name_words and "off" in name_words
    )
    has_score = any(w in SCORE_WORDS for w in name_words)
    # `min_similarity`, and `SIMILARITY_MIN` / `score_max` (the bound written last)
    bound = _bound_word(name_words, kind=kind)
    metric = metric_of(name_words)
    if bound is not None and has_score:
        direction = Direction.ABOVE if bound.startswith("min") else Direction.BELOW
        if NATURAL_DIRECTION.get(metric, direction) is not direction:
            # a minimum distance or a maximum similarity: a spread or dedup knob more often
            # than a retrieval cutoff; reported as low unless a comparison says more
            return ThresholdName(0.45, metric, direction)
        return ThresholdName(0.8, metric, direction)
    if not has_threshold:
        return _limit(name_words, metric) if has_score else NOT_A_THRESHOLD
    direction = NATURAL_DIRECTION.get(metric, Direction.UNKNOWN)
    if has_score:
        return ThresholdName(0.85, metric, direction)
    if any(w in CONTEXT_WORDS or w in SCORE_WORDS for w in context):
        context_metric = metric_of(context)
        context_direction = NATURAL_DIRECTION.get(context_metric, Direction.UNKNOWN)
        return ThresholdName(0.55, context_metric, context_direction)
    return ThresholdName(0.3, Metric.UNKNOWN, Direction.UNKNOWN)


def _bound_word(name_words: tuple[str, ...], *, kind: bool) -> str | None:
    """The bound a name puts on a score: ``min_similarity``, ``SIMILARITY_MIN``, ``score_max``.

    Written first or last, or inside the name before a score word (``dup_min_cosine``,
    ``faq_min_score``), unless the name says whose score that is (``kind``: a keyword search's
    ``fts_fast_path_min_score``, ``bm25_min_score``).
    """
    bound = next((w for w in (name_words[0], name_words[-1]) if w in BOUNDS), None)
    if bound is None and not kind:
        pairs = pairwise(name_words)
        bound = next((w for w, after in pairs if w in BOUNDS and after in SCORE_WORDS), None)
    return bound


def _limit(name_words: tuple[str, ...], metric: Metric) -> ThresholdName:
    """A score's floor, cap or ceiling: a threshold if a comparison says so (low alone)."""
    if any(w in LIMIT_WORDS for w in name_words):
        return ThresholdName(0.45, metric, Direction.UNKNOWN)
    return NOT_A_THRESHOLD


def plausible(value: float, metric: Metric) -> bool:
    """Whether a value could be a calibrated cutoff rather than a range bound or a switch.

    0 and 1 (and -1) bound cosine similarities and relevance scores, or turn filtering off;
    tiny values are float-equality epsilons; similarities beyond [-1, 1] are not cosines (dot
    products, LLM grades, BM25); 2 and 4 bound the cosine and squared L2 distances of unit
    vectors.
    """
    if value == 1.0 and metric is Metric.DISTANCE:  # a cosine or L2 distance's mid-range
        return True
    if value in (0.0, 1.0, -1.0) or abs(value) < 1e-4:  # bounds, switches and epsilons
        return False
    if metric is Metric.SIMILARITY:
        return -1.0 < value < 1.0
    if metric is Metric.DISTANCE:  # 2 and 4 bound cosine and squared L2 distances of unit vectors
        return 0.0 < value < 4.0 and value != 2.0
    return -1.0 < value < 1.0


@lru_cache(maxsize=4096)
def library_of_module(module: str) -> str | None:
    """The library an imported module belongs to, if known."""
    for prefix, library in LIBRARY_MODULES.items():
        if module == prefix or module.startswith((prefix + ".", prefix + "/")):
            return library
        if prefix.endswith("/") and module.startswith(prefix):
            return library
    return None


_INTERESTING = (
    "score", "simil", "distanc", "_dist", "dist_", "dists", "maxdist", "mindist", "relevan",
    "cosin", "cos_", "_cos", "cossim", "thresh", "cutoff", "certainty", "<=>", "<->", "<#>",
    " @ ", "dbscan", "community_detection", "range_search", "self_deduplicate",
)  # fmt: skip
"""What marks a line as one that can hold a threshold or a score: the vocabulary's words,
pgvector's operators, a matrix product (``a @ b``: dot products, spaced as PEP 8 writes
it; a decorator's ``@`` starts its line with no space after), a density clustering
(``DBSCAN(eps=...)``, ``HDBSCAN``: its radius is a distance between the vectors it clusters),
and the library calls that take a similarity's cutoff by position
(``util.community_detection(embeddings, 0.75)``)."""


_ANCHORS = ("dist", "cos")
_GROUPED: tuple[tuple[str, tuple[str, ...]], ...] = (
    *((word, ()) for word in _INTERESTING if not any(a in word for a in _ANCHORS)),
    *((a, tuple(word for word in _INTERESTING if a in word)) for a in _ANCHORS),
)
""":data:`_INTERESTING` under the text every word of a group holds (``dist`` for ``_dist``,
``dists``, ``maxdist``...; a lone word is its own): where that text is missing, one search
instead of one per word of the group."""


def interesting_lines(text: str) -> list[int]:
    """Prefix counts of lines holding a vocabulary word or a number below one.

    ``counts[j] - counts[i]`` is the number of such lines among lines ``i + 1`` to ``j``
    (1-based): a function whose lines have none cannot hold a threshold or pass one on by a
    threshold-like name, and its body is not walked. Plain substring searches that skip to
    the next line once a line is marked: this runs on every parsed file.
    """
    return LowerText(text).interesting_lines()


class LowerText:
    """A file's text in lower case with its lines' ends, for substring searches by line."""

    def __init__(self, text: str) -> None:
        """Lower-case ``text`` once; the searches below share it."""
        self.lower = text.lower()

    @cached_property
    def ends(self) -> list[int]:
        """Where each line ends (its end of line included): what a search's position is on."""
        return list(accumulate(map(len, self.lower.splitlines(keepends=True))))

    def speaks_of_scores(self) -> bool:
        """:func:`speaks_of_scores` of this text."""
        return _speaks_of_scores(self.lower)

    def has_fraction(self) -> bool:
        """:func:`has_fraction` of this text."""
        return has_fraction(self.lower)

    def lines_holding(self, parts: tuple[str, ...]) -> list[int]:
        """The 1-based numbers of the lines that hold any of ``parts``, in order."""
        lower, ends = self.lower, self.ends
        found = set()
        for part in parts:
            position = lower.find(part)
            while position != -1:
                found.add(bisect_right(ends, position) + 1)
                position = lower.find(part, position + 1)
        return sorted(found)

    def interesting_lines(self) -> list[int]:
        """:func:`interesting_lines` of this text."""
        lower, ends = self.lower, self.ends
        marked = bytearray(len(ends) + 2)
        last = len(ends)
        for anchor, group in _GROUPED:
            if group and anchor not in lower:
                continue
            for word in group or (anchor,):
                position = lower.find(word)
                while position != -1:
                    line = bisect_right(ends, position)
                    marked[line + 1] = 1
                    position = lower.find(word, ends[line]) if line < last else -1
        position = _sim_word(lower, 0)
        while position != -1:
            line = bisect_right(ends, position)
            marked[line + 1] = 1
            position = _sim_word(lower, ends[line]) if line < last else -1
        for start in _fractions(lower):
            marked[bisect_right(ends, start) + 1] = 1
        return list(accumulate(marked))


_POINT_DIGIT = re.compile(r"\.[0-9]")
_VERSION_TAIL = re.compile(r"[0-9]+\.[0-9]")
"""The rest of a version after its first point (``0.5.1``'s ``5.1``): no number of code."""


def _fractions(text: str) -> Iterator[int]:
    """Where numbers below one are written: ``0.8`` or ``.8``, not ``10.8``, ``v1.8`` nor ``0.5.1``.

    A point with a digit after it, and before it nothing of a name or a number (or a lone
    ``0`` with nothing of one before that), and after its digits no other point and digit (a
    version, only ever written in a string or a comment). Finding the points first is much
    faster than a pattern with a look-behind, which is tried at every position of a file.
    """
    for found in _POINT_DIGIT.finditer(text):
        start = found.start()
        before = text[start - 1] if start else " "
        if before == "0":
            before = text[start - 2] if start > 1 else " "
        if not (before.isalnum() or before in "_.") and not _VERSION_TAIL.match(text, start + 1):
            yield start


def has_fraction(text: str) -> bool:
    """Whether a number below one is written in ``text`` (``0.8``, ``.8``)."""
    return next(_fractions(text), -1) != -1


def interesting(text: str) -> bool:
    """Whether a source file can hold a finding: a vocabulary word, or a number below one.

    A file with neither (no ``score``, ``threshold``, ``distance``..., no ``0.8``) is not
    parsed. Plain substring tests on the lower-cased text, then one simple pattern: much
    faster than parsing, and this runs on every file.
    """
    return speaks_of_scores(text) or has_fraction(text)


def speaks_of_scores(text: str) -> bool:
    """Whether a text holds a word of the vocabulary (``score``, ``threshold``, ``cos_``...)."""
    return _speaks_of_scores(text.lower())


def _speaks_of_scores(lower: str) -> bool:
    for anchor, group in _GROUPED:
        if anchor in lower and (not group or any(word in lower for word in group)):
            return True
    return _sim_word(lower, 0) != -1


def _sim_word(lower: str, start: int) -> int:
    """Where ``sim`` next stands as a word or a name's part, from ``start`` (-1: nowhere).

    ``sims >= thr``, ``if sim < cut``, ``label_sim_min=``: not the ``sim`` of ``simple``,
    ``simulate`` or ``cossim`` (one search, where a pattern per spelling cost one each).
    """
    position = lower.find("sim", start)
    while position != -1:
        after = lower[position + 3 : position + 5]
        if not (position and lower[position - 1].isalpha()) and (
            not after[:1].isalpha() or (after[:1] == "s" and not after[1:2].isalpha())
        ):
            return position
        position = lower.find("sim", position + 3)
    return -1


def specific(identifier: str) -> bool:
    """Whether a score's name says embedding similarity (``cos_sim``), not just ``score``."""
    return any(w in SPECIFIC_WORDS for w in words(identifier))
