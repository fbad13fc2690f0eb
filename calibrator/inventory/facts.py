"""What a scanner tells the linker about one file: values, uses, flows, calls and signatures.

A threshold is a number written in one place (a literal, a default, a keyword argument, a
config fallback, a field default) and compared with a similarity or distance somewhere else,
often in another module. Scanners (Python, JavaScript) describe each file in these
language-neutral facts; :mod:`calibrator.inventory.link` joins the facts of every file.

Facts name *slots* by strings, the same in every file:

- ``p:CALLABLE.PARAM``: a parameter of a function, method or class constructor (fields of a
  dataclass or pydantic model are constructor parameters too);
- ``a:CLASS.ATTR``: an attribute set or read through ``self``/``this`` in a class;
  ``a:*.ATTR`` the same attribute read through any other object (``settings.minscore``);
- ``g:NAME``: a module-level name (constants are shared by name across modules);
- ``k:KEY``: a key of a config mapping, dict literal or environment variable;
- ``l:PATH:LINE:NAME``: a local of the function defined at ``LINE``;
- ``c:PATH:LINE:COL``: a literal passed as a positional argument;
- ``d:PATH:LINE:COL:KEY``: the fallback of one read of a bare key (``cfg.get("threshold",
  0.7)``), which is that read's, not every mapping's.

Plain immutable data (named tuples: worker processes hand facts back by pickling, and tuples
unpickle fastest).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple

from calibrator.inventory.findings import Direction, Finding, Kind, Metric, ScanError
from calibrator.inventory.vocabulary import (
    DOC_VETO_WORDS,
    DOCUMENTED_METRIC_WORDS,
    EVALUATION_CONTEXTS,
    KEYWORD_SOURCES,
    LEXICAL_CONTEXTS,
    MODEL_CONTEXTS,
    MODEL_SOURCES,
    OUTCOME_WORDS,
    RETRIEVAL_CONTEXTS,
    SIMILARITY_SOURCES,
    SPARSE_PARTNERS,
    STRING_SOURCES,
)


class Origin(StrEnum):
    """Where a compared score comes from, as far as the code shows."""

    SIMILARITY = "similarity"  # a search result, a cosine, a dot product, a vector store
    MODEL = "model"  # a classifier, detector, QA or evaluation score
    EVALUATION = "evaluation"  # an evaluation metric's score (an LLM judge's grade, a pass bar)
    STRING = "string"  # a string-distance ratio (fuzzy matching, edit distance)
    KEYWORD = "keyword"  # a keyword-search rank (BM25, full-text search)
    COUNT = "count"  # a ratio of counts (`len(hits) / len(children)`)
    OTHER = "other"  # an outcome, rate or likelihood (`run.success_score`, `loop_likelihood`)
    UNKNOWN = "unknown"  # a score-like name with nothing known about its source


NOT_SIMILARITY = frozenset(set(Origin) - {Origin.SIMILARITY, Origin.UNKNOWN})
"""Origins that say a compared score is no embedding similarity."""

CONTEXTS_THAT_RULE = frozenset({Origin.MODEL, Origin.STRING, Origin.KEYWORD})
"""What a module, class or function serves (a detector, a fuzzy matcher, a TF-IDF index)
when it overrules what a number's own name says there; an inner class keeps it."""


class Value(NamedTuple):
    """A number written for a slot: where it is, and what its own name says.

    ``context`` holds the words of the enclosing class and function (and, for a keyword
    argument, of the called name): a bare ``threshold`` inside ``SemanticSplitter`` counts.
    """

    node: str
    path: str
    line: int
    column: int | None  # None in config files, which are located by line
    value: float
    kind: Kind
    name: str
    snippet: str
    context: tuple[str, ...] = ()
    library: str | None = None
    language: str = "python"
    origin: Origin = Origin.UNKNOWN  # set when the code around the number says what it is for
    integer: bool = False  # written without a decimal point (`3`, not `3.0`)
    unread: bool = False  # a parameter's default that nothing reads (the body, its attribute)


class Use(NamedTuple):
    """A slot compared with a score: what the comparison keeps, the metric, the score's origin."""

    node: str
    direction: Direction
    metric: Metric
    origin: Origin
    path: str
    line: int
    score: str
    callee: str | None = None  # the imported function the score comes from, origin unknown here
    scale: float = 1.0  # 100 for a similarity computed as a percentage (`cosine(a, b) * 100`)
    complement: bool = False  # compared as `1 - x` (`S >= 1 - eps`): a distance, however small
    contextual: bool = False  # the origin is only the enclosing module's, class's or function's
    # the parameter compared, where the code shows no origin: what callers hand it tells
    param: str | None = None


HANDED_SIMILARITY = "s:similarity"
"""The slot a similarity handed to a callee comes from (``_confidence(results[0].score)``,
``relevant(text, score)`` in a loop over a search's hits): among a parameter's sources, it
says what comparing that parameter compares."""
DOCSTRING = "its docstring"
"""The score of a :class:`Use` that a parameter's docstring entry names (``score_threshold:
Minimum BM25 score to include``), where the code shows none: what callers pass it."""
HANDED_OTHER = "s:other"
"""The slot any other score handed to a callee comes from (a classifier's, or one whose code
shows no origin): a shared helper (``risk_score(score, threshold)``) handed a similarity by
one caller and a toxicity by ten compares no similarity as such."""


class Call(NamedTuple):
    """The positional arguments of a call: per position, the slots that supply its value."""

    callee: str
    args: tuple[tuple[str, ...], ...]
    owner: str | None = None  # the caller's class, for `self.method(...)`


class Signature(NamedTuple):
    """A callable's positional parameters, in order (without ``self`` and ``cls``)."""

    callee: str
    params: tuple[str, ...]
    owner: str | None = None  # the class a method belongs to


@dataclass(frozen=True, slots=True)
class FileFacts:
    """Everything one file contributes to the project-wide linking."""

    values: tuple[Value, ...] = ()
    uses: tuple[Use, ...] = ()
    flows: tuple[tuple[str, str], ...] = ()  # (target, source): target's value comes from source
    calls: tuple[Call, ...] = ()
    signatures: tuple[Signature, ...] = ()
    bases: tuple[tuple[str, str], ...] = ()  # (class, base class)
    inherited: tuple[str, ...] = ()  # classes without an __init__: their bases' constructor
    returns: tuple[tuple[str, Origin], ...] = ()  # (module-level function, what it returns)
    # (path, line, column, imported function): a number compared with that function's result
    compared: tuple[tuple[str, int, int, str], ...] = ()
    # classes of the package that parameters are annotated with (`config: FaceConfig`) and
    # whose attributes are read through them (as `a:FaceConfig.x`)
    annotated: tuple[str, ...] = ()
    # (module-level function, the package's class its return annotation names): what
    # `sel = select_threshold(...)` holds, read as `sel.threshold` (`a:select_threshold().x`)
    made: tuple[tuple[str, str], ...] = ()
    # (function, callee, the function's own parameters): a function taking `**kwargs` hands
    # them on (`return cls(index=index, **kwargs)`), so a keyword its callers pass that is
    # none of its own parameters is the callee's (`Guard.from_documents(threshold=0.55)`)
    forwards: tuple[tuple[str, str, tuple[str, ...]], ...] = ()

    def worth_linking(self) -> bool:
        """Whether the file brings the linking anything of its own to join.

        Calls, signatures and class bases alone (no number, comparison, flow, return or
        forwarding) lead to no number nor comparison: workers do not send such a file back.
        One place to list them, so that a new kind of fact is not dropped on the way.
        """
        return bool(
            self.values
            or self.uses
            or self.flows
            or self.compared
            or self.returns
            or self.made
            or self.forwards
        )


@dataclass(frozen=True, slots=True)
class Mentions:
    """What files' text names, which a whole scan is judged by (:func:`link.link`)."""

    embeddings: bool = False  # anything of vocabulary.EMBEDDING_TEXTS
    string_matching: bool = False  # a string-similarity library (vocabulary.STRING_LIBRARY_TEXTS)

    def __or__(self, other: Mentions) -> Mentions:
        """What either names."""
        return Mentions(
            self.embeddings or other.embeddings, self.string_matching or other.string_matching
        )

    @property
    def only_strings(self) -> bool:
        """Whether the only similarities named are strings' (``book_match``'s Jaro-Winkler)."""
        return self.string_matching and not self.embeddings


@dataclass(frozen=True, slots=True)
class FileScan:
    """What scanning one file gives: findings it could tell alone, errors, and facts."""

    findings: tuple[Finding, ...] = ()
    errors: tuple[ScanError, ...] = ()
    facts: FileFacts = FileFacts()
    mentions: Mentions = Mentions()


@dataclass
class FactsBuilder:
    """Collects one file's facts while a scanner walks it."""

    values: list[Value] = field(default_factory=list)
    uses: list[Use] = field(default_factory=list)
    flows: list[tuple[str, str]] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    signatures: list[Signature] = field(default_factory=list)
    bases: list[tuple[str, str]] = field(default_factory=list)
    inherited: list[str] = field(default_factory=list)
    returns: list[tuple[str, Origin]] = field(default_factory=list)
    compared: list[tuple[str, int, int, str]] = field(default_factory=list)
    annotated: set[str] = field(default_factory=set)
    made: list[tuple[str, str]] = field(default_factory=list)
    forwards: list[tuple[str, str, tuple[str, ...]]] = field(default_factory=list)

    def flow(self, target: str, sources: tuple[str, ...] | list[str]) -> None:
        """Record that ``target`` takes its value from each of ``sources``."""
        for source in sources:
            if source != target:
                self.flows.append((target, source))

    def build(self) -> FileFacts:  # noqa: C901 - two reachability walks and the filters
        """The collected facts, frozen, without the flows that can never matter.

        A flow matters when its target can learn it is a threshold (the target is not a local
        of this file, or is compared with a score, or passes its value on to one that can) and
        its source can hold a number (a value is written to it, it is not a local of this file,
        or a flow brings it one). Most assignments in a file are neither: dropping them here
        keeps the linking, and the pickling from worker processes, small.
        """
        learns = {u.node for u in self.uses}
        learns.update(s for call in self.calls for sources in call.args for s in sources)
        learns.update(s for t, s in self.flows if not t.startswith("l:"))
        feeds: dict[str, list[str]] = defaultdict(list)
        for target, source in self.flows:
            feeds[target].append(source)
        pending = list(learns)
        while pending:
            for source in feeds.get(pending.pop(), ()):
                if source not in learns:
                    learns.add(source)
                    pending.append(source)
        holds = {v.node for v in self.values}
        fed: dict[str, list[str]] = defaultdict(list)
        for target, source in self.flows:
            fed[source].append(target)
        pending = [s for s in fed if s in holds or not s.startswith("l:")]
        while pending:
            for target in fed.get(pending.pop(), ()):
                if target not in holds:
                    holds.add(target)
                    pending.append(target)

        def can_hold(slot: str) -> bool:
            return slot in holds or not slot.startswith("l:")

        flows = tuple(
            (t, s) for t, s in self.flows if (t in learns or not t.startswith("l:")) and can_hold(s)
        )
        calls = []
        for call in self.calls:
            args = tuple(tuple(s for s in sources if can_hold(s)) for sources in call.args)
            if any(args):
                calls.append(call._replace(args=args))
        values = tuple(v for v in self.values if v.node in learns or not v.node.startswith("l:"))
        uses = tuple(u for u in self.uses if can_hold(u.node))
        return FileFacts(
            values,
            uses,
            flows,
            tuple(calls),
            tuple(self.signatures),
            tuple(self.bases),
            tuple(self.inherited),
            tuple(self.returns),
            tuple(self.compared),
            tuple(sorted(self.annotated)),
            tuple(self.made),
            tuple(self.forwards),
        )


def bind_calls(call: Call, signatures: list[Signature]) -> Iterator[tuple[str, str]]:
    """Pair a call's positional arguments with the callee's parameters, as flows.

    The one place where arguments meet parameters, for every language: the n-th positional
    argument supplies the n-th parameter (``f(a, b)`` against ``def f(x, y)``). Callees are
    known by name only, so a ``self.m(...)`` call binds to its own class's ``m`` when there is
    one, and a position binds only where every candidate names it alike (many classes have a
    ``search`` method, with different parameters). Surplus arguments (``*args``) and unnamed
    (destructured) parameters are dropped.
    """
    own = [s for s in signatures if call.owner is not None and s.owner == call.owner]
    candidates = own or signatures
    # `self.m(...)` in a class with its own `m` passes to that method's own parameters
    prefix = f"{call.owner}.{call.callee}" if own and call.callee != call.owner else call.callee
    for position, sources in enumerate(call.args):
        names = {s.params[position] for s in candidates if position < len(s.params)}
        if len(names) != 1:
            continue
        param = names.pop()
        if not param:
            continue
        target = f"p:{prefix}.{param}"
        for source in sources:
            yield target, source


def slot_name(node: str) -> str:
    """The identifier a slot is named by: ``minscore`` for ``p:addbatch.minscore``."""
    if node.startswith(("l:", "c:", "d:")):
        return node.rsplit(":", 1)[1]
    rest = node[2:]
    if node.startswith(("p:", "a:")):
        return rest.rsplit(".", 1)[-1]
    if node.startswith("g:"):
        return rest.partition("@")[0]  # a module's own constant (`g:NAME@3`, link._own_constants)
    return rest


def _lexical(present: set[str], lexical_words: frozenset[str]) -> bool:
    """Whether the words say lexical scoring: ``bm25``, ``tfidf``, or ``sparse`` vectors.

    ``TfIdfClassifier`` says ``tf`` and ``idf``: TF-IDF, however it is cased. A reciprocal
    rank fusion (``rrf``, ``_reciprocal_rank_fusion``) scores ranks, not the model's scale.
    """
    found = present & lexical_words
    if "idf" in present and "tf" in present:
        found |= {"tfidf"} & lexical_words
    if "rank" in present and "fusion" in present:
        found |= {"rrf"} & lexical_words
    return bool(found) and (found != {"sparse"} or bool(present & SPARSE_PARTNERS))


def classify(name_words: tuple[str, ...] | list[str]) -> Origin:
    """The origin the words of a call's name (or receiver) say: string, keyword, similarity...

    An asynchronous twin says what its name without the ``a`` says (``aretrieve``,
    ``asimilar_search_with_scores``).
    """
    present = set(name_words)
    present |= {w[1:] for w in name_words if w[:1] == "a" and w[1:] in SIMILARITY_SOURCES}
    if present & STRING_SOURCES:
        return Origin.STRING
    if _lexical(present, KEYWORD_SOURCES):
        return Origin.KEYWORD
    if present & SIMILARITY_SOURCES:
        return Origin.SIMILARITY
    if present & MODEL_SOURCES:
        return Origin.MODEL
    if present & OUTCOME_WORDS:
        return Origin.OTHER
    return Origin.UNKNOWN


def described(found: tuple[str, ...]) -> tuple[str, ...]:
    """The similarity or distance words of a threshold's description, as its context.

    ``found``: the words of a docstring's entry, a field's ``description``, an option's
    ``help``. Nothing for one that speaks of a string, keyword or model score, or of a share
    or a weight of similarities (``Similarity percentile``).
    """
    if origin_of_context(found) is not Origin.UNKNOWN or set(found) & DOC_VETO_WORDS:
        return ()
    return tuple(w for w in found if w in DOCUMENTED_METRIC_WORDS)


def origin_of_context(context: tuple[str, ...], *, evaluation: bool = False) -> Origin:
    """What the words of a module's path, a class, a function or a config section say.

    Thresholds written in ``library/sensitive_data_detection/actions.py``, in a class
    ``ImageAestheticsFilter`` or under ``process.image_aesthetics_filter`` bound a model's
    scores. ``evaluation``: the words are a module's path or a class's own name and base's,
    where an evaluation metric is named (a function named ``eval`` is not one).
    """
    present = set(context)
    if present & STRING_SOURCES:
        return Origin.STRING
    if _lexical(present, LEXICAL_CONTEXTS):
        return Origin.KEYWORD
    if present & MODEL_CONTEXTS:
        return Origin.MODEL
    if evaluation and present & EVALUATION_CONTEXTS and not present & RETRIEVAL_CONTEXTS:
        return Origin.EVALUATION  # an agent's grade, not its memory's similarity
    return Origin.UNKNOWN
