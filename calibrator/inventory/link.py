"""The project-wide linking: from where a number is written to where it meets a score.

Every file's :class:`~calibrator.inventory.facts.FileFacts` are joined into one graph whose
edges say "this slot takes its value from that one": assignments, keyword arguments,
positional arguments paired with the callee's parameters (:func:`~.facts.bind_call`),
``self.x = x``, class fields and constructor parameters, attributes shared along class bases,
and ``obj.x`` read anywhere standing for every class's ``x``.

Evidence that a slot is a threshold starts where it is compared with a score (a
:class:`~.facts.Use`) or where its own name says so (``similarity_cutoff``), and flows back
along the edges to every slot that supplies its value. Each number written for a slot
(:class:`~.facts.Value`) is then judged by its own name and by that evidence, and reported
where it is written: the place a person would change it. Evidence from a classifier's,
detector's or QA model's score, a fuzzy string ratio or a keyword-search rank marks the slot as
not a similarity threshold instead.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from typing import NamedTuple

from calibrator.inventory.facts import (
    CONTEXTS_THAT_RULE,
    DOCSTRING,
    HANDED_OTHER,
    HANDED_SIMILARITY,
    NOT_SIMILARITY,
    Call,
    FileFacts,
    Mentions,
    Origin,
    Signature,
    Use,
    Value,
    bind_calls,
    classify,
    slot_name,
)
from calibrator.inventory.findings import Direction, Finding, Kind, Metric
from calibrator.inventory.names import (
    is_score_like,
    path_words,
    plausible,
    specific,
    threshold_name,
    words,
)
from calibrator.inventory.vocabulary import (
    COSINE_WORDS,
    DEFAULTS_MODULE_WORDS,
    LIMIT_WORDS,
    MODEL_CONTEXTS,
    MODEL_NAMES,
    SIMILARITY_OF_MODEL_WORDS,
    SPECIFIC_WORDS,
    THRESHOLD_WORDS,
    TOLERANCE_WORDS,
    VETO_WORDS,
)

USE_CONFIDENCE = 0.8
"""A number that reaches a comparison with a similarity (by its name) of unknown origin."""
GENERIC_USE_CONFIDENCE = 0.65
"""A number that reaches a comparison with a score named only ``score`` or ``distance``."""
SIMILARITY_USE_CONFIDENCE = 0.85
"""A number that reaches a comparison with a score known to come from a similarity search."""
NAME_SEED = 0.78
"""Evidence a threshold name passes on to the values that flow into it (a comparison wins)."""
HOP_DECAY = 0.005
"""Evidence weakens a little with each hop, so that the nearest comparison or name decides."""
BRIDGED = 0.7
"""Evidence that reaches a class's attribute through ``obj.x`` read elsewhere (medium)."""
DESCRIBED = 0.6
"""Evidence against from a parameter's docstring (``score_threshold: Minimum BM25 score``):
below :data:`BRIDGED`, so that it reaches what callers pass the parameter, not every class's
attribute of that name (a scene detector's documented ``threshold`` is no clip matcher's)."""
LOW = 0.3
MAX_HOPS = 8
MATCHING = 0.05
"""The least a tolerance compared with a similarity or distance must be to be its cutoff
rather than a float-equality slack."""


class Evidence(NamedTuple):
    """Why a slot is (or is not) a threshold: how sure, what it keeps, and where it was seen."""

    confidence: float
    direction: Direction
    metric: Metric
    origin: Origin
    where: str
    hops: int = 0
    place: tuple[str, int] | None = None  # the comparison's file and line
    climbed: str = ""  # the subclass it reached a base class from
    named: bool = False  # came through a threshold-named slot (`similarity_threshold=x`)
    scale: float = 1.0  # the compared score's scale: 100 for a percentage
    complement: bool = False  # compared as `1 - x` with a similarity (SemDeDup's `1 - eps`)
    keyed: bool = False  # came through a bare mapping key (`k:threshold`), which any mapping writes
    contextual: bool = False  # a score's origin said only by the words around its comparison


class Graph:
    """The joined facts of a whole scan."""

    def __init__(self, files: Iterable[FileFacts]) -> None:
        """Join the facts of every file into one graph of flows."""
        self.values: list[Value] = []
        self.sources: dict[str, set[str]] = defaultdict(set)
        self.positional_names: dict[str, str] = {}
        self.up: dict[str, set[str]] = defaultdict(set)  # a class attribute to its base's
        self.down: dict[str, set[str]] = defaultdict(set)  # a base's attribute to a subclass's
        self.lineage: dict[str, set[str]] = defaultdict(set)  # a class to its bases, all the way
        self.descendants: dict[str, set[str]] = defaultdict(set)  # a class to its subclasses
        uses: list[Use] = []
        calls: list[Call] = []
        signatures: dict[str, list[Signature]] = defaultdict(list)
        bases: list[tuple[str, str]] = []
        inherited: set[str] = set()
        returns: dict[str, set[Origin]] = defaultdict(set)
        annotated: set[str] = set()
        forwards: list[tuple[str, str, tuple[str, ...]]] = []
        self.compared: list[tuple[str, int, int, str]] = []
        for facts in _with_returned_objects(_own_constants(list(files)), annotated):
            self.compared.extend(facts.compared)
            self.values.extend(facts.values)
            uses.extend(facts.uses)
            for function, returned in facts.returns:
                returns[function].add(returned)
            calls.extend(facts.calls)
            annotated.update(facts.annotated)
            bases.extend(facts.bases)
            inherited.update(facts.inherited)
            forwards.extend(facts.forwards)
            for signature in facts.signatures:
                signatures[signature.callee].append(signature)
            for target, source in facts.flows:
                self.sources[target].add(source)
        # `config.threshold` read through a parameter annotated with a class of the package
        # (`config: FaceConfig`) is that class's field; where nothing in the scan writes that
        # field (`trigger: Trigger`, a union of classes; a base's field), any class's
        written = {v.node for v in self.values if v.node[:2] == "a:"}
        written |= {t for t in self.sources if t[:2] == "a:"}
        uses = [use._replace(node=_owned(use.node, annotated, written)) for use in uses]
        self.uses = [_imported_origin(use, returns) for use in uses]
        self.returns = returns
        # functions the scan defines: their own bodies say what their parameters do
        self.defined = set(signatures) | {
            v.node[2:].rpartition(".")[0].rpartition(".")[2] for v in self.values
            if v.kind is Kind.DEFAULT and v.node.startswith("p:")
        }  # fmt: skip
        self.searched: dict[tuple[str, str], None] = {}  # in the order the calls came
        for call in calls:
            for target, source in bind_calls(call, signatures.get(call.callee, [])):
                self.sources[target].add(source)
                if source.startswith("c:"):
                    self.positional_names.setdefault(source, slot_name(target))
            if call.callee not in signatures and _searches(call.callee):
                # `store.asimilar_search_with_scores(text, k, self._score_threshold)`: a search
                # outside the scan, handed a threshold by position
                self.searched.update(
                    ((source, call.callee), None)
                    for sources in call.args
                    for source in sources
                    if threshold_name(slot_name(source)).strength > 0
                )
        self.sources = defaultdict(
            set,
            {
                t: {_owned(s, annotated, written) for s in found}
                for t, found in self.sources.items()
            },
        )
        self._forward_keywords(forwards)
        self._share_attributes(bases)
        self._inherit_constructors(bases, inherited)
        self.uses = [self._handed(use) for use in self.uses]

    def _handed(self, use: Use) -> Use:
        """A parameter's comparison, where its callers hand it similarities: a similarity's.

        ``top_score >= HIGH`` in ``def _confidence(top_score)``, which the module calls as
        ``_confidence(results[0].score)``: the call shows what the comparison compares, where
        the function's own code could not; unless another caller hands it another score (a
        shared helper). A method's parameter is reached through a call by name too
        (``p:method.x`` flows to ``p:Class.method.x``).
        """
        if use.param is None:
            return use
        if self.handed_to(use.param) == {HANDED_SIMILARITY}:
            return use._replace(origin=Origin.SIMILARITY, contextual=False)
        return use

    def handed_to(self, param: str) -> set[str]:
        """What kinds of score a parameter's callers hand it (:data:`HANDED_SIMILARITY`, ...)."""
        handed: set[str] = set()
        pending, seen = [param], {param}
        while pending:
            found = self.sources.get(pending.pop(), set())
            handed |= found & {HANDED_SIMILARITY, HANDED_OTHER}
            onward = {s for s in found if s.startswith("p:")} - seen
            seen |= onward
            pending.extend(onward)
        return handed

    def _forward_keywords(self, forwards: list[tuple[str, str, tuple[str, ...]]]) -> None:
        """What callers pass a function taking ``**kwargs`` goes where it hands them on.

        ``Guard.from_documents(docs, threshold=0.55)`` of a ``from_documents(cls, documents,
        **kwargs)`` that returns ``cls(index=index, **kwargs)``: the keyword is ``Guard``'s
        parameter, unless the function has a parameter of that name itself; through any
        number of such functions.
        """
        if not forwards:
            return
        handed: dict[str, list[tuple[str, frozenset[str]]]] = defaultdict(list)
        for function, callee, parameters in forwards:
            handed[function].append((callee, frozenset(parameters)))
        pending = [t for t in self.sources if t.startswith("p:")]
        seen = set(pending)
        while pending:
            target = pending.pop()
            function, _, parameter = target[2:].rpartition(".")
            for callee, own in handed.get(function, ()):
                if parameter in own:
                    continue
                forwarded = f"p:{callee}.{parameter}"
                self.sources[forwarded].add(target)
                if forwarded not in seen:
                    seen.add(forwarded)
                    pending.append(forwarded)

    def _inherit_constructors(self, bases: list[tuple[str, str]], inherited: set[str]) -> None:
        """What a class without ``__init__`` is constructed with goes to its base's constructor.

        ``DiseaseParser(synonym_merge_threshold=0.7)`` through ``super().__init__`` of a
        ``JsonLinesParser`` that defines none reaches ``OntologyParser``'s parameter, however
        many such classes lie between.
        """
        parents = {owner: base for owner, base in bases if owner in inherited}
        if not parents:
            return
        passed = [t for t in self.sources if t.startswith("p:")]
        for target in passed:
            owner, _, parameter = target[2:].partition(".")
            seen = {owner}
            while owner in parents and parents[owner] not in seen:
                base = parents[owner]
                self.sources[f"p:{base}.{parameter}"].add(f"p:{owner}.{parameter}")
                seen.add(base)
                owner = base

    def _share_attributes(self, bases: list[tuple[str, str]]) -> None:
        attributes: dict[str, set[str]] = defaultdict(set)
        slots = {v.node for v in self.values} | {u.node for u in self.uses} | set(self.sources)
        slots |= {s for sources in self.sources.values() for s in sources}
        for slot in slots:
            if slot.startswith("a:") and not slot.startswith("a:*.") and not slot.endswith("*"):
                owner, _, attribute = slot[2:].rpartition(".")
                attributes[owner].add(attribute)
        for owner, names in attributes.items():
            for name in names:  # `settings.minscore` read anywhere stands for every class's
                self.sources[f"a:*.{name}"].add(f"a:{owner}.{name}")
        for slot in slots:
            if slot.startswith("r:") and not slot.startswith("r:*.") and "." in slot:
                # `obj.get_threshold(c)` stands for every class's method of that name
                self.sources[f"r:*.{slot.rpartition('.')[2]}"].add(slot)
            elif slot.startswith("a:") and slot.endswith("*"):
                self._read_by_name(slot, attributes)
        self._read_as_attributes(slots)
        self._family(bases)
        for owner, base in bases:  # a subclass's use reaches the base's default, and back
            for name in attributes.get(owner, set()) | attributes.get(base, set()):
                self.up[f"a:{owner}.{name}"].add(f"a:{base}.{name}")
                self.down[f"a:{base}.{name}"].add(f"a:{owner}.{name}")

    def _family(self, bases: list[tuple[str, str]]) -> None:
        """Each class's bases and subclasses, however far (by name, as the scan knows them)."""
        parents: dict[str, set[str]] = defaultdict(set)
        for owner, base in bases:
            parents[owner].add(base)
        for owner in list(parents):
            pending, seen = list(parents[owner]), set()
            while pending:
                base = pending.pop()
                if base in seen or base == owner:
                    continue
                seen.add(base)
                pending.extend(parents.get(base, ()))
            self.lineage[owner] = seen
            for base in seen:
                self.descendants[base].add(owner)

    def _passed(self, slot: str, climbed: str) -> Iterable[str]:
        """What feeds ``slot``, less other subclasses' arguments where evidence climbed.

        Evidence that climbed from ``MatcherA``'s ``self.threshold`` to its base's constructor
        parameter goes on to what ``MatcherA`` passes (``super().__init__(threshold)``), not to
        what its siblings pass for their own comparisons.
        """
        sources = self.sources.get(slot, ())
        if not climbed or not slot.startswith(("p:", "a:")):
            return sources
        base = slot[2:].partition(".")[0]
        siblings = self.descendants.get(base, set()) - self.lineage.get(climbed, set())
        siblings.discard(climbed)
        return [
            s for s in sources if not (s.startswith("p:") and s[2:].partition(".")[0] in siblings)
        ]

    def _read_by_name(self, pattern: str, attributes: dict[str, set[str]]) -> None:
        """``getattr(self, f"threshold_{category}")``: each field of the class with that prefix.

        Without a prefix (``getattr(self, category, 0.85)``), any field, where the class is
        named for thresholds (``ThresholdsConfig``); elsewhere a name read that way may be any
        setting.
        """
        owner, _, prefix = pattern[2:-1].rpartition(".")
        if not prefix and not set(words(owner)) & THRESHOLD_WORDS:
            return
        for name in attributes.get(owner, set()):
            if name.startswith(prefix):
                self.sources[pattern].add(f"a:{owner}.{name}")

    def _read_as_attributes(self, slots: set[str]) -> None:
        """Names read through an object: a module's constant, a config file's key.

        ``config.BOUNDARY_THRESHOLD`` is the module's constant; ``settings.retrieval.threshold``
        or ``trigger.threshold`` reads a config file's ``threshold`` key, and
        ``CONFIG.vector_threshold`` a settings key written ``VECTOR_THRESHOLD`` (as an
        environment variable is read into a settings object's field).
        """
        for slot in slots:
            if slot.startswith("g:") and "@" not in slot and slot[2:].isupper():
                self.sources[f"a:*.{slot[2:]}"].add(slot)
        for value in self.values:
            if value.kind is Kind.CONFIG or _default_settings(value):
                key = value.node[2:]
                self.sources[f"a:*.{key}"].add(value.node)
                if key.isupper():
                    self.sources[f"a:*.{key.lower()}"].add(value.node)

    def seeds(self) -> list[tuple[str, Evidence, bool]]:
        """Where evidence starts: comparisons with scores (for or against), threshold names."""
        found: list[tuple[str, Evidence, bool]] = []
        for use in self.uses:
            where = f"{use.score} on {use.path}:{use.line}"
            if use.origin in NOT_SIMILARITY:
                sure = DESCRIBED if use.score == DOCSTRING else 1.0
                seed = Evidence(
                    sure, use.direction, use.metric, use.origin, where, contextual=use.contextual
                )
                found.append((use.node, seed, False))
                continue
            if use.origin is Origin.SIMILARITY:
                confidence = SIMILARITY_USE_CONFIDENCE
            elif specific(use.score):
                confidence = USE_CONFIDENCE
            else:
                confidence = GENERIC_USE_CONFIDENCE
            seen = Evidence(
                confidence,
                use.direction,
                use.metric,
                use.origin,
                where,
                0,
                (use.path, use.line),
                scale=use.scale,
                complement=use.complement,
            )
            found.append((use.node, seen, True))
        for slot, callee in self.searched:
            seed = Evidence(NAME_SEED, Direction.UNKNOWN, Metric.UNKNOWN, Origin.SIMILARITY,
                            f"'{callee}'")  # fmt: skip
            found.append((slot, seed, True))
        found.extend(self._model_parameters())
        # parameters and keys that take a value on, or are given one (`f(score_threshold=0.3)`)
        targets = dict.fromkeys([*self.sources, *(v.node for v in self.values)])
        for target in targets:
            if not target.startswith(("p:", "k:")):
                continue  # attributes and variables only store a value; a parameter takes it on
            verdict = threshold_name(slot_name(target))
            if verdict.strength >= NAME_SEED:
                where = f"{slot_name(target)!r}"
                origin = _called_origin(target, self.defined)
                seed = Evidence(NAME_SEED, verdict.direction, verdict.metric, origin, where)
                found.append((target, seed, True))
        return found

    def _model_parameters(self) -> Iterator[tuple[str, Evidence, bool]]:
        """Evidence against what is passed to a model's class (a classifier's ``threshold``).

        ``BanTopics(topics, threshold=threshold)``, where ``BanTopics`` builds a zero-shot
        classifier: the caller's default is that model's threshold too.
        """
        for value in self.values:
            node = value.node
            # a class's own parameter (its __init__'s: `p:BanTopics.threshold`)
            if value.origin is Origin.MODEL and node.startswith("p:") and node.count(".") == 1:
                if not node[2:3].isupper():
                    continue
                where = f"{value.name} of a model on {value.path}:{value.line}"
                seed = Evidence(1.0, Direction.UNKNOWN, Metric.UNKNOWN, Origin.MODEL, where)
                yield node, seed, False

    def evidence(self) -> tuple[dict[str, Evidence], dict[str, Evidence]]:
        """For each slot, the best evidence that it is a threshold, and any that it is not."""
        positive: dict[str, Evidence] = {}
        negative: dict[str, Evidence] = {}
        pending: deque[tuple[str, Evidence, bool]] = deque(self.seeds())
        while pending:
            slot, found, good = pending.popleft()
            best = positive if good else negative
            kept = best.get(slot)
            if kept is not None and _rank(kept, good=good) >= _rank(found, good=good):
                continue
            best[slot] = found
            if found.hops >= MAX_HOPS:
                continue
            bridged = slot.startswith("a:*.")
            if bridged and found.confidence < BRIDGED:
                continue  # `obj.radius` near a bare `dist`: too weak to name every class's radius
            onward = _hop(found, bridged=bridged)
            # evidence that came through a threshold-named slot (`similarity_threshold=x`)
            # follows whatever feeds it, as a name passed on would, however far
            named = (
                found.named
                or found.where.startswith("'")
                or threshold_name(slot_name(slot)).strength >= NAME_SEED
            )
            if named and not onward.named:
                onward = onward._replace(named=True)
            if slot.startswith("k:") and not onward.keyed and len(words(slot[2:])) == 1:
                onward = onward._replace(keyed=True)
            name = slot_name(slot)
            for source in self._passed(slot, found.climbed):
                # a running best score compared with scores is no threshold, but whatever is
                # passed as `min_relevance_score=relevance` is one, whatever it is called, and
                # so is a parameter's value passed by its own name (`low_score=0.3`), or by a
                # constant of that name (`candidate_cos: float = CANDIDATE_COS`), and a module's
                # constant passed as a threshold (`average_linkage(m, CLUSTER_DISTANCE)`) or
                # a parameter's default, whatever it is called
                source_name = slot_name(source)
                if (
                    named
                    or source_name.lower() == name.lower()
                    or not is_score_like(source_name)
                    # an environment variable (`_env_float("APP_LINK_COS", 0.6)`) or a
                    # settings object's constant (`getattr(settings, "SEARCH_SIMILARITY",
                    # 0.7)`), or a module's constant set from another: no running best
                    or (source.startswith(("k:", "a:")) and source_name.isupper())
                    # what a function returns in place of a setting (`cfg.similarity or
                    # default_similarity(model)`): numbers it returns, no running best
                    or source.startswith("r:")
                    or (
                        slot.startswith("g:")
                        and name.isupper()
                        and source.startswith("g:")
                        and source_name.isupper()
                    )
                    or (
                        source.startswith("g:")
                        and source_name.isupper()
                        and (
                            threshold_name(name).strength > 0
                            # `t = DUP_MIN_COSINE.get(kind)`: a constant named a bound
                            or threshold_name(source_name).strength > 0
                            # a parameter's default or argument (`similarity: float =
                            # DEFAULT_SIMILARITY`): a module's constant is no running best
                            or slot.startswith("p:")
                        )
                    )
                ):
                    # no hop from a shared constant to a module's own (`g:NAME@i`)
                    own = source.startswith(slot) and source[len(slot) : len(slot) + 1] == "@"
                    pending.append((source, found if own else onward, good))
            # along class bases: up from a subclass, or down from where it was used, but not
            # up and down again (siblings under `BaseEstimator` share no thresholds)
            climbed = found.climbed or slot[2:].rpartition(".")[0]
            pending.extend((base, onward._replace(climbed=climbed), good) for base in self.up[slot])
            if not found.climbed:
                pending.extend((sub, onward, good) for sub in self.down[slot])
        return positive, negative


def _rank(found: Evidence, *, good: bool) -> tuple[bool, float]:
    """Which of two pieces of evidence a slot keeps: the greater rank.

    For a threshold, one seen with a similarity first (it overrules what a class's context
    says, as in ``_overruled``), then the surer.
    """
    return (good and found.origin is Origin.SIMILARITY, found.confidence)


def _searches(callee: str) -> bool:
    """Whether a call's name says it searches (``similarity_search``, ``aretrieve``)."""
    return classify(words(callee)) is Origin.SIMILARITY


def _called_origin(slot: str, defined: set[str]) -> Origin:
    """A library's search call's threshold-named parameter (``query_points(score_threshold=t)``).

    A call named for a search (``search``, ``query_points``, ``similarity_search``) to code
    outside the scan compares what it is passed as its ``score_threshold`` with the
    similarities it finds. A function the scan defines (``s2_title_search``, which compares its
    threshold with a title's word overlap) is known by what its body does, not by its name.
    """
    callee = slot[2:].rpartition(".")[0]
    if callee in defined or "." in callee:
        return Origin.UNKNOWN
    return Origin.SIMILARITY if classify(words(callee)) is Origin.SIMILARITY else Origin.UNKNOWN


def _imported_origin(use: Use, returns: Mapping[str, set[Origin]]) -> Use:
    """A use whose score an imported function returns, with what that function returns.

    What the function's own module shows it returns beats what its name or the caller's
    context say (``strings_similarity`` returning a word-set ratio is no embedding
    similarity). Functions are known by name, as calls are bound: a name whose definitions
    disagree, or that no scanned module defines, leaves the use as it was.
    """
    if use.callee is None:
        return use
    found = returns.get(use.callee, set())
    return use._replace(origin=next(iter(found))) if len(found) == 1 else use


def _overruled(good: Evidence | None, bad: Evidence | None, value: Value, name: str) -> bool:
    """Whether what the code does says this is not a similarity threshold.

    Written inside a class or function that computes string ratios or serves a detector,
    classifier or QA model, or named for a model's confidence: never. A model's, a string
    ratio's or a keyword-search score seen compared with the slot overrules everything but a
    comparison with a known similarity; a ratio of counts overrules a name, and so does an
    outcome's (``confidence``), unless the name says similarity and is seen compared with it
    (``sigmoid_prob >= self.enhance_similarity_threshold``: a similarity transformed); an
    evaluation metric's score does not overrule a name that says similarity or cosine.
    """
    named = set(words(name))
    # a setting named a similarity of a model's embeddings and compared with one by name
    # (`speech_sim >= self.config.min_speech_sim`), in a speech module or not: no confidence
    # of that model
    model_similarity = bool(
        named & SIMILARITY_OF_MODEL_WORDS
        and not named & MODEL_NAMES
        and good is not None
        and good.place is not None
        and set(words(good.where)) & SIMILARITY_OF_MODEL_WORDS
    )
    # a setting named a similarity in a model's class or module (`similarity_threshold` of a
    # speaker matcher's config, in a voice module) bounds embeddings' similarities: a model's
    # confidence is never called one; unless a model's score is seen compared with it. A
    # config file's section for a model (`generate_qa_from_examples_mapper`) shows no code:
    # its name is all there is, and it names the model
    named_similarity = bool(
        value.kind is not Kind.CONFIG
        and named & SIMILARITY_OF_MODEL_WORDS
        and not named & MODEL_NAMES
        and not (bad is not None and bad.origin is Origin.MODEL and not bad.contextual)
    )
    if value.origin in CONTEXTS_THAT_RULE and not (
        value.origin is Origin.MODEL and (model_similarity or named_similarity)
    ):
        # unless code that compares it with a known similarity says otherwise: a model's
        # class compares embeddings too (`cosine_sim >= threshold` beside its classifier);
        # a string or keyword module's "similarities" are its library's own (a cosine of
        # TF-IDF vectors) unless the comparison is in another module
        # (`matcher.find_match(entity, entities, threshold=0.5)` in an extractor's module)
        return _shared_key(value) or not (
            good is not None
            and good.origin is Origin.SIMILARITY
            and (
                value.kind is Kind.KEYWORD
                or value.origin is Origin.MODEL
                or (good.place is not None and good.place[0] != value.path)
            )
        )
    if good is not None and good.origin is Origin.SIMILARITY:
        # what the code does beats the name (`bi_encoder_confidence_threshold`); but a
        # similarity reached only through a key any mapping writes (`{"threshold": t}` in a
        # report, read back as `cfg.get("threshold")`) is weaker than a judge's or an
        # evaluation's score compared with the value nearer, without such a key
        return bool(
            good.keyed
            and bad is not None
            and not bad.keyed
            and bad.origin in NOT_SIMILARITY
            and bad.hops < good.hops
        )
    if named & (MODEL_NAMES | MODEL_CONTEXTS) and not (
        (good is not None and good.metric is Metric.DISTANCE)
        or model_similarity
        or _names_a_similarity_last(name)
    ):
        return True  # a model's confidence or output (`min_langid_score`), unless a distance
    if value.origin is Origin.EVALUATION:
        # an evaluation metric's pass bar, not seen compared with a similarity; unless code
        # elsewhere compares it with one by name (an agent's `min_similarity` handed to the
        # engine's `similarity >= min_similarity`), or its own name says a cosine (`cos_min`
        # of a retrieval evaluation: the embeddings' cosine it bounds, not a judge's grade)
        return not (
            (
                good is not None
                and good.place is not None
                and good.place[0] != value.path
                and bool(set(words(good.where)) & SIMILARITY_OF_MODEL_WORDS)
            )
            or bool(named & {"cos", "cosine"})
        )
    if bad is not None and bad.origin in (Origin.COUNT, Origin.OTHER):
        said = bad.origin is Origin.OTHER and bool(named & SPECIFIC_WORDS)
        return good is None or (good.where.startswith("'") and not said)
    # an evaluation kit's pass bar named a similarity (`REFALIGN_SIMILARITY_THRESHOLD`)
    # bounds the embedding similarity its metric computes, not a judge's grade
    return (
        bad is not None
        and not (bad.origin is Origin.EVALUATION and bool(named & COSINE_WORDS))
        and not (bad.contextual and named_similarity)
    )


def _names_a_similarity_last(name: str) -> bool:
    """Whether a name says what it bounds last, and that is a similarity.

    ``COLD_START_HIGH_CONFIDENCE_SIMILARITY``: the similarity a confident route needs, not a
    model's confidence (``similarity_confidence_threshold`` is a confidence).
    """
    kept = [w for w in words(name) if w not in THRESHOLD_WORDS and w not in LIMIT_WORDS]
    return bool(kept) and kept[-1] in SIMILARITY_OF_MODEL_WORDS


def _shared_key(value: Value) -> bool:
    """Whether a number is written under a bare key that every mapping shares (``"threshold"``).

    ``{"first_name_levenshtein": {"threshold": 0.6}}`` in a string matcher's weights: what
    reads some mapping's ``"threshold"`` elsewhere says nothing of this record's.
    """
    return value.node.startswith("k:") and len(words(value.node[2:])) == 1


def _raw_euclidean(value: Value, metric: Metric) -> bool:
    """A Euclidean distance between embeddings not normalised: any positive size, in units too.

    ``{"Facenet": {"euclidean": 10, "euclidean_l2": 0.80}}``: the first bounds raw L2
    distances, which grow with the embeddings' norms; the second, of unit vectors, stays below 2.
    """
    context = set(value.context)
    return (
        metric is Metric.DISTANCE
        and value.value > 0
        and "euclidean" in context
        and not context & {"l2", "norm", "normalized", "normalised"}
    )


def _default_settings(value: Value) -> bool:
    """A key of a dict in a settings module (``settings/defaults.py``), a config file's twin.

    ``DEFAULTS = {"extract": {"embedding_threshold": 0.80}}`` is loaded into the settings
    object that code reads as ``config.extract.embedding_threshold``.
    """
    if value.kind is not Kind.KEYWORD or value.node[:2] != "k:":
        return False
    return bool(set(path_words(value.path)) & DEFAULTS_MODULE_WORDS)


def _own_constants(files: list[FileFacts]) -> list[FileFacts]:
    """A module's constant, where other modules define one of the same name, is its own.

    ``DEFAULT_MIN_SCORE = 0.25`` in ``embedding.py`` and ``= 0.0`` in ``lexical.py``: each
    module's reads and defaults take its own (``g:NAME@i``), not what the other's compares;
    a module that only imports the name reads ``g:NAME``, which every definition feeds.
    """
    defined: dict[str, list[int]] = defaultdict(list)
    for i, facts in enumerate(files):
        names = {v.node for v in facts.values if v.node[:2] == "g:"}
        names |= {target for target, _ in facts.flows if target[:2] == "g:"}
        for name in names:
            defined[name].append(i)
    own: dict[int, set[str]] = defaultdict(set)
    for name, where in defined.items():
        if len(where) > 1:
            for i in where:
                own[i].add(name)
    return [
        _renamed(facts, own[i], f"@{i}") if i in own else facts for i, facts in enumerate(files)
    ]


def _renamed(facts: FileFacts, names: set[str], suffix: str) -> FileFacts:
    """``facts`` with each slot of ``names`` as its own (``g:NAME@i``), fed to the shared one."""

    def own(slot: str) -> str:
        return slot + suffix if slot in names else slot

    return replace(
        facts,
        values=tuple(v._replace(node=own(v.node)) for v in facts.values),
        uses=tuple(u._replace(node=own(u.node)) for u in facts.uses),
        flows=(
            *((own(t), own(s)) for t, s in facts.flows),
            *((name, name + suffix) for name in sorted(names)),
        ),
        calls=tuple(
            c._replace(args=tuple(tuple(own(s) for s in sources) for sources in c.args))
            for c in facts.calls
        ),
    )


def _with_returned_objects(files: list[FileFacts], annotated: set[str]) -> list[FileFacts]:
    """Each file's facts with ``a:f().x`` read as the field of what ``f`` returns."""
    made: dict[str, set[str]] = defaultdict(set)
    for facts in files:
        for function, owner in facts.made:
            made[function].add(owner)
    return [
        _returned_objects(facts, made, annotated)
        if any("()." in slot for slot in _slots(facts))
        else facts
        for facts in files
    ]


def _slots(facts: FileFacts) -> Iterator[str]:
    """Every slot a file's facts name."""
    yield from (v.node for v in facts.values)
    yield from (u.node for u in facts.uses)
    for target, source in facts.flows:
        yield target
        yield source
    yield from (s for call in facts.calls for sources in call.args for s in sources)


def _returned_objects(
    facts: FileFacts, made: dict[str, set[str]], annotated: set[str]
) -> FileFacts:
    """``a:f().x`` as the field ``x`` of the class ``f`` is annotated to return.

    ``selection = select_threshold_unsupervised(scores)`` then ``row[2] >=
    selection.threshold``: the ``threshold`` of a ``ThresholdSelection``, not of every class
    (the linker falls back to any class's where nothing writes that field, as for a parameter
    annotated with a class); a function without one such annotation returns anything.
    """

    def owned(slot: str) -> str:
        if slot[:2] != "a:" or "()." not in slot:
            return slot
        function, _, name = slot[2:].partition("().")
        owners = made.get(function, set())
        if len(owners) != 1:
            return f"a:*.{name}"
        (owner,) = owners
        annotated.add(owner)
        return f"a:{owner}.{name}"

    return replace(
        facts,
        values=tuple(v._replace(node=owned(v.node)) for v in facts.values),
        uses=tuple(u._replace(node=owned(u.node)) for u in facts.uses),
        flows=tuple((owned(t), owned(s)) for t, s in facts.flows),
        calls=tuple(
            c._replace(args=tuple(tuple(owned(s) for s in sources) for sources in c.args))
            for c in facts.calls
        ),
    )


def _owned(slot: str, annotated: set[str], written: set[str]) -> str:
    """``a:*.x`` for ``a:Owner.x`` of an annotated class where nothing writes that field."""
    if slot[:2] != "a:" or slot[:4] == "a:*." or slot in written:
        return slot
    owner, _, name = slot[2:].rpartition(".")
    return f"a:*.{name}" if owner in annotated and name not in ("", "*") else slot


def _vetoed(name: str) -> bool:
    return any(w in VETO_WORDS for w in words(name))


def _hop(found: Evidence, *, bridged: bool) -> Evidence:
    """The evidence one slot further back; weaker across ``obj.x``, which any class may own."""
    confidence = found.confidence - HOP_DECAY
    if bridged:
        confidence = min(confidence, BRIDGED)
    return found._replace(confidence=confidence, hops=found.hops + 1)


def link(
    files: Iterable[FileFacts], found: Iterable[Finding] = (), mentions: Mentions | None = None
) -> list[Finding]:
    """Every value judged a threshold (at any confidence), as findings where it is written.

    ``found``: the findings each file told alone; a number compared there with what an
    imported function returns is judged again by what that function's own module shows it
    returns (``find_similar`` computing a word overlap), and all of them are returned first.
    ``mentions``: what the scanned files name. Where they name a string-similarity library
    and nothing of embeddings, a similarity compared with a number is a string's.
    """
    graph = Graph(files)
    findings = _rejudged(list(found), graph)
    only_strings = mentions is not None and mentions.only_strings
    if only_strings:
        findings = [_of_strings(finding) for finding in findings]
    positive, negative = graph.evidence()
    for value in graph.values:
        finding = _judge(value, positive.get(value.node), negative.get(value.node), graph)
        if finding is not None:
            findings.append(_of_strings(finding) if only_strings else finding)
    return findings


def _of_strings(finding: Finding) -> Finding:
    """A finding in code that computes string similarities only, at low confidence."""
    if finding.confidence <= LOW:
        return finding
    reason = f"{finding.reason}; but the code names string similarities and no embeddings"
    return replace(finding, confidence=LOW, reason=reason)


def _rejudged(found: list[Finding], graph: Graph) -> list[Finding]:
    """Comparisons at low confidence where what is compared shows itself no similarity.

    An imported score function whose own module shows it returns another score; a helper's
    parameter (``def is_noise(text, score)``) that every caller hands another score (an OCR
    line's ``line.score``), where the helper's own code showed nothing.
    """
    against: dict[tuple[str, int, int], str] = {}
    for path, line, column, callee in graph.compared:
        if callee.startswith("p:"):
            if graph.handed_to(callee) == {HANDED_OTHER}:
                against[path, line, column] = f"its callers hand {slot_name(callee)} another score"
            continue
        returned = graph.returns.get(callee, set())
        if len(returned) == 1 and next(iter(returned)) in NOT_SIMILARITY:
            against[path, line, column] = f"{callee} returns a {next(iter(returned)).value} score"
    if not against:
        return found
    revised = []
    for finding in found:
        why = against.get((finding.path, finding.line or 0, finding.column or 0))
        if why is None or finding.confidence <= LOW:
            revised.append(finding)
            continue
        revised.append(replace(finding, confidence=LOW, reason=f"{finding.reason}; but {why}"))
    return revised


def _doubt(
    value: Value,
    name: str,
    metric: Metric,
    good: Evidence | None,
    bad: Evidence | None,
    graph: Graph,
) -> str:
    """Why a value is no similarity cutoff after all (``""``: no reason to doubt it)."""
    if _overruled(good, bad, value, name):
        why = bad.origin if bad is not None and value.origin is Origin.UNKNOWN else value.origin
        return f"it is about a {why.value if why is not Origin.UNKNOWN else 'model'} score"
    scale = good.scale if good is not None else 1.0  # `similarity * 100 >= 40`
    raw = _raw_euclidean(value, metric)
    if value.integer and value.value != 0 and scale == 1.0 and not raw:
        return "similarities and distances are not counted in whole units"
    if not plausible(value.value / scale, metric) and not raw:
        return "the value bounds a range or turns filtering off"
    named = _named_otherwise(value, name, good)
    if named:
        return named
    # a key is shared by every mapping and file that names it: what one of them also puts
    # there (`{"threshold": pct}` in a report) says nothing of a config file's value
    holders = () if value.node.startswith("k:") else graph.sources.get(value.node, ())
    for source in holders:
        if slot_name(source) != name and _vetoed(slot_name(source)):
            # `t = mmr_threshold if ... else 0.5`: the slot holds a weight, a size, ...
            return f"it also holds {slot_name(source)}"
    return ""


def _named_otherwise(value: Value, name: str, good: Evidence | None) -> str:
    """A name that says what else the value is: a tolerance, or a ratio, size or weight.

    ``max_symbol_to_word_ratio`` compared with a plain ``score`` of unknown origin is a ratio
    of counts: only a comparison with a known similarity outweighs such a name.
    """
    similar = good is not None and good.origin is Origin.SIMILARITY
    # a numerical tolerance even near a cosine (sympy's collinearity `eps=1e-3`); a matching
    # tolerance bounds the distance it is compared with (`face_distance(a, b) <= tolerance`),
    # and so does one a similarity must reach the complement of (`sim >= 1 - eps`), however small
    complement = good is not None and good.complement and good.origin not in NOT_SIMILARITY
    matching = (similar and abs(value.value) >= MATCHING) or complement
    if set(words(name)) & TOLERANCE_WORDS and not matching:
        return f"{name} is a numerical tolerance"
    if (
        name
        and _vetoed(name)
        and threshold_name(name, value.context).strength <= 0
        and not (similar or complement)
    ):
        return f"{name} names a ratio, size or weight, not seen bounding a similarity"
    return ""


def _judge(
    value: Value, good: Evidence | None, bad: Evidence | None, graph: Graph
) -> Finding | None:
    shown = value.name or graph.positional_names.get(value.node, "")
    name = shown.rsplit(".", 1)[-1]  # a config key's own name (`retrieval.threshold`)
    own = threshold_name(name, value.context) if name else None
    strength = own.strength if own is not None else 0.0
    if good is None and strength <= 0:
        return None
    direction = own.direction if own is not None else Direction.UNKNOWN
    metric = own.metric if own is not None else Metric.UNKNOWN
    confidence = strength
    reason = ""
    if strength > 0:
        where = f"{value.language.upper()} key" if value.kind is Kind.CONFIG else "threshold name"
        reason = f"{where} {shown!r}"
    if good is not None:
        # what the value does where it is used says more than the name it was written under
        if good.where.startswith("'"):
            what = f"passed on as {good.where[1:-1]}"
        else:
            what = f"compared with {good.where}"
        reason = f"{reason}, {what}" if reason else what
        if good.direction is not Direction.UNKNOWN:
            direction = good.direction
        if good.metric is not Metric.UNKNOWN:
            metric = good.metric
        if good.keyed and good.origin is not Origin.SIMILARITY:
            confidence = max(confidence, min(good.confidence, LOW))
        else:
            confidence = max(confidence, good.confidence)
    # a comparison the value reaches is a read its own file could not see (a subclass's in
    # another module reading the attribute it is kept in)
    unread = value.unread and not (good is not None and good.place is not None)
    doubt = "nothing reads it" if unread else _doubt(value, name, metric, good, bad, graph)
    if doubt:
        confidence = min(confidence, LOW)
        reason = f"{reason}; but {doubt}"
    return Finding(
        value.path,
        value.line,
        value.value,
        value.kind,
        direction,
        metric,
        confidence,
        value.snippet,
        name=shown or None,
        library=value.library or (own.library if own is not None else None),
        reason=reason,
        language=value.language,
        column=value.column,
        related=good.place if good is not None and good.place != (value.path, value.line) else None,
    )
