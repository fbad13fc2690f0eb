"""Numbers written for a name in Python, and the flows between names, as linker facts.

The part of the Python scanner (:mod:`.python_scan`) that turns assignments, parameter
defaults, keyword and positional arguments, dict keys and config fallbacks into
:class:`~calibrator.inventory.facts.Value` facts (a number written for a slot) and flows
(a slot taking its value from others), and calls into :class:`~calibrator.inventory.facts.Call`
facts for the linker to pair with parameters.
"""

from __future__ import annotations

import ast
import re

from calibrator.inventory.facts import (
    NOT_SIMILARITY,
    Call,
    FactsBuilder,
    Origin,
    Value,
    classify,
    described,
    origin_of_context,
    slot_name,
)
from calibrator.inventory.findings import Kind, Metric
from calibrator.inventory.names import names_embedding_model, says_threshold, threshold_name, words
from calibrator.inventory.python_bindings import parameters
from calibrator.inventory.python_exprs import (
    FIELD_CALLS,
    call_name,
    is_integer,
    literal_node,
    number,
    numeric_string,
    root_name,
)
from calibrator.inventory.python_imports import Imports
from calibrator.inventory.python_origin import handed_score, returned_values
from calibrator.inventory.python_scopes import Scope
from calibrator.inventory.vocabulary import (
    DENSE_WORDS,
    METRIC_KEY_WORDS,
    SIMILARITY_NAMES,
    SIMILARITY_SEARCH_CALLS,
)

_DENSE_SAID = SIMILARITY_NAMES | DENSE_WORDS | {"distance", "distances", "vector", "vectors"}
"""Words of a comment or a docstring entry that say it bounds what embeddings score too: one
naming a BM25 score and a cosine says nothing against either, nor does a `fuzzy similarity`."""


class Values:
    """Mixed into the scanner, which provides ``scope``, ``facts``, ``imports`` and the text."""

    path: str
    lines: list[str]
    facts: FactsBuilder
    imports: Imports

    @property
    def scope(self) -> Scope:
        """The innermost scope (provided by the scanner)."""
        raise NotImplementedError

    def _assigned(self, target: ast.expr, value: ast.expr) -> None:
        if isinstance(target, (ast.Tuple, ast.List)):
            if isinstance(value, (ast.Tuple, ast.List)) and len(value.elts) == len(target.elts):
                for inner_target, inner_value in zip(target.elts, value.elts, strict=True):
                    self._assigned(inner_target, inner_value)
            elif isinstance(value, ast.Call):
                for index, inner_target in enumerate(target.elts):
                    self._returned_setting(self.scope.target_slot(inner_target), value, f"#{index}")
            return
        slot = self.scope.target_slot(target)
        if slot is None:
            return
        slot = self._binding(target, slot)
        self._parameters_fallback(value)
        if isinstance(value, ast.Call):
            self._returned_setting(slot, value, "")
        name = slot.rsplit(".", 1)[-1].rsplit(":", 1)[-1]
        if self._accumulates(target, value):
            return  # `max_certainty = 0.5`, then `max(max_certainty, score)`: a start
        self._written(slot, value, self._kind(slot, name), name, self.scope.words)
        own = self.scope.own_key_slot(target) if isinstance(target, ast.Subscript) else None
        if own is not None:  # `row["threshold"] = t`, read back in this function: its own
            self._written(own, value, self._kind(own, name), name, self.scope.words)

    def _binding(self, target: ast.expr, slot: str) -> str:
        """The slot an assignment writes: its own where it is the only one some read sees.

        That own slot feeds the name's function-wide one, for the reads that may see others.
        """
        own = self.scope.binding_slot(target) if isinstance(target, ast.Name) else None
        if own is None:
            return slot
        self.facts.flow(slot, [own])
        return own

    def _parameters_fallback(self, value: ast.expr) -> None:
        """``similarity_threshold or self._config.threshold``: the setting a parameter defaults to.

        Where a parameter is not given (``None``, or anything false), the function reads a
        setting in its place: the same threshold, so what the parameter's name says of it goes
        to that setting too (``x if x is not None else cfg.x`` likewise).
        """
        if isinstance(value, ast.BoolOp) and isinstance(value.op, ast.Or):
            given, fallbacks = value.values[0], value.values[1:]
        elif isinstance(value, ast.IfExp) and _tests_none(value.test, value.body):
            given, fallbacks = value.body, [value.orelse]
        elif isinstance(value, ast.IfExp) and _tests_none(value.test, value.orelse, none=True):
            given, fallbacks = value.orelse, [value.body]
        else:
            return
        if not self.scope.is_parameter(given):
            return
        parameter = self.scope.sources(given)
        for fallback in fallbacks:
            if literal_node(fallback) is None:
                for slot in parameter:
                    self.facts.flow(slot, self.scope.sources(fallback))

    def _kind(self, slot: str, name: str) -> Kind:
        """What an assignment of a number to ``slot`` writes: a constant or a default."""
        if self.scope.kind == "class" or slot.startswith("a:"):
            return Kind.CONSTANT if name.isupper() else Kind.DEFAULT
        if slot.startswith("p:"):
            return Kind.DEFAULT  # a parameter's fallback: `if threshold is None: threshold = 0.1`
        return Kind.CONSTANT

    def _accumulates(self, target: ast.expr, value: ast.expr) -> bool:
        """Whether a function's local is later the best of itself and more (``max(best, s)``).

        Its first number is where a running best starts, a floor of what is returned, not a
        cutoff: nothing is dropped at it. (A best kept only from scores that beat it, ``if s >
        best: best = s``, starts from a cutoff, see ``_seeded_best``; so does a threshold
        adjusted from itself, ``threshold = threshold - 0.05``.)
        """
        scope = self.scope
        if not (
            scope.kind == "function"
            and isinstance(target, ast.Name)
            and literal_node(value) is not None
        ):
            return False
        line = target.lineno
        return any(
            at > line
            and isinstance(v, ast.Call)
            and call_name(v) in ("max", "min")
            and any(isinstance(a, ast.Name) and a.id == target.id for a in v.args)
            for at, v in scope.assigned().get(target.id, [])
        )

    def _returned_setting(self, slot: str | None, call: ast.Call, part: str) -> None:
        """``thresholds, ttl = _load_cache_policy()``: a threshold-named slot takes what it returns.

        ``part``: ``#0`` for the first of a returned tuple, ``""`` for what is returned whole.
        """
        if slot is None or not says_threshold(slot_name(slot)):
            return
        name = call_name(call)
        passed = [s for s in self.scope.sources(call) if not s.startswith("r:")]
        if not name.lstrip("_")[:1].islower() or name in FIELD_CALLS or passed:
            return  # a class builds an object; a field, getter or conversion passes its own on
        self.facts.flow(slot, [f"{r}{part}" for r in self.scope.returned_slots(call.func)])

    def _written(
        self,
        slot: str,
        value: ast.expr,
        kind: Kind,
        name: str,
        context: tuple[str, ...],
        scope: Scope | None = None,
        call: ast.Call | None = None,
        origin: Origin | None = None,
    ) -> None:
        """A value expression written for ``slot``: numbers become values, names flows.

        ``origin``: what the number is about when its place says so (a mapping's section).
        """
        scope = scope or self.scope
        value = _unconverted(value)
        literal = literal_node(value)
        if literal is not None:
            if isinstance(value, ast.Call):  # `Field(default=0.65, description="Min similarity")`
                context = (*context, *description(value, name))
                origin = origin or described_origin(value)
            self._value(slot, literal, kind, name, context, call, origin)
            return
        if isinstance(value, ast.IfExp):
            self._written(slot, value.body, kind, name, context, scope, call, origin)
            self._written(slot, value.orelse, kind, name, context, scope, call, origin)
            self._fallback(slot, value.orelse, scope)
            return
        taken = self._numbers_it_may_take(value, scope)
        if taken:
            self._values(slot, taken, kind, name, context, call, origin)
            self.facts.flow(slot, scope.sources(value))
            return
        if isinstance(value, ast.BoolOp):
            for inner in value.values:
                self._written(slot, inner, kind, name, context, scope, call, origin)
            for inner in value.values[1:]:
                self._fallback(slot, inner, scope)
            return
        if _table(value):
            assert isinstance(value, (ast.List, ast.Tuple, ast.Set, ast.Dict))
            self._written_table(slot, value, kind, name, context, scope, call, origin)
            return
        start = widget_start(value)
        if start is not None:  # `threshold = st.slider("Threshold", 0.0, 1.0, 0.3)`
            self._written(slot, start, Kind.DEFAULT, name, context, scope)
            return
        self.facts.flow(slot, scope.sources(value))

    def _values(
        self,
        slot: str,
        literals: list[ast.expr],
        kind: Kind,
        name: str,
        context: tuple[str, ...],
        call: ast.Call | None,
        origin: Origin | None,
    ) -> None:
        """Each of several numbers a value may take, written for ``slot``."""
        for literal in literals:
            self._value(slot, literal, kind, name, context, call, origin)

    def _fallback(self, slot: str, value: ast.expr, scope: Scope) -> None:
        """A call given in place of a setting: ``cfg.similarity or default_similarity(model)``.

        What the function returns is the setting's default, whatever the function's name.
        """
        if isinstance(value, ast.Call) and not scope.sources(value):
            self.facts.flow(slot, scope.returned_slots(value.func))

    def _numbers_it_may_take(self, value: ast.expr, scope: Scope) -> list[ast.expr]:
        """The numbers a computed value takes in some cases, written inside it.

        ``CALIBRATED_THRESHOLDS.get(self.embedding_model, 0.92)``: what the table gives a key
        it lacks; ``min(threshold, 0.3)``, ``max(FAISS_THRESHOLD * 0.5, 0.10)``: a cap or
        floor on a threshold, the threshold whenever it wins; ``_parse_float(_first(env,
        "RAG_MIN_SCORE", 0.5), 0.5)``: each default the module's own helpers may return.
        """
        fallback = _table_fallback(value)
        if fallback is not None:
            return [fallback]
        bounded = _bounded(value)
        if bounded is not None and any(
            says_threshold(slot_name(source)) for source in scope.sources(bounded[1])
        ):
            return [bounded[0]]
        return _defaults_handed(value, scope)

    def _written_table(
        self,
        slot: str,
        value: ast.List | ast.Tuple | ast.Set | ast.Dict,
        kind: Kind,
        name: str,
        context: tuple[str, ...],
        scope: Scope,
        call: ast.Call | None,
        origin: Origin | None,
    ) -> None:
        """A table of thresholds or a list of levels: each number is one.

        ``{"VGG-Face": {"cosine": 0.68, ...}}``, ``thresholds=[0.9, 0.8, 0.7]``; a number
        under a key that names a metric (``"euclidean"``) has that key's words as context.
        """
        if not isinstance(value, ast.Dict):
            for inner in value.elts:
                self._written(slot, inner, kind, name, context, scope, call, origin)
            return
        if _keyed_by_embedding_models(value):
            # `{"all-MiniLM-L6-v2": 0.23, "BAAI/bge-small-en-v1.5": 0.21}`: a threshold per
            # embedding model is about that model's similarities
            context = (*context, "embedding")
        for key, inner in zip(value.keys, value.values, strict=True):
            # `{"cosine": 0.68, "euclidean": 10}`: each key says what its number bounds; so
            # does a kind of scorer (`{"embedding": 0.5, "fuzzy": 0.8, "bm25": 3}`)
            keyed = (*context, *_key_words(key))
            scorer = _scorer_key(key)
            if scorer is Origin.SIMILARITY:
                keyed = (*keyed, "embedding")
            # (a model's name in a key is as often an embedding model's: `"openai-clip"`)
            about = origin or (scorer if scorer in (Origin.STRING, Origin.KEYWORD) else None)
            self._written(slot, inner, kind, name, keyed, scope, call, about)

    def _wired(self, node: ast.Call) -> None:
        """A UI event that calls a function with its input widgets' values, in order.

        ``button.click(find_duplicates, inputs=[threshold_slider], outputs=[gallery])``
        (Gradio): ``find_duplicates``'s first parameter takes the slider's value.
        """
        fn = next((k.value for k in node.keywords if k.arg == "fn"), None)
        inputs = next((k.value for k in node.keywords if k.arg == "inputs"), None)
        rest = list(node.args)
        if fn is None and rest:
            fn = rest.pop(0)
        if inputs is None and rest:
            inputs = rest[0]
        if isinstance(inputs, (ast.Name, ast.Attribute)):
            inputs = ast.List(elts=[inputs], ctx=ast.Load())
        if not isinstance(fn, (ast.Name, ast.Attribute)) or not isinstance(
            inputs, (ast.List, ast.Tuple)
        ):
            return
        args = tuple(tuple(self.scope.sources(element)) for element in inputs.elts)
        if any(args):
            if isinstance(fn, ast.Name):
                callee, owner = fn.id, None
            else:  # `self.find_duplicates`: this class's method
                receiver = fn.value
                on_self = isinstance(receiver, ast.Name) and receiver.id == "self"
                callee, owner = fn.attr, self.scope.class_name if on_self else None
            self.facts.calls.append(Call(callee, args, owner))

    def _value(
        self,
        slot: str,
        literal: ast.expr,
        kind: Kind,
        name: str,
        context: tuple[str, ...],
        call: ast.Call | None = None,
        origin: Origin | None = None,
    ) -> None:
        amount = number(literal)
        assert amount is not None
        line = literal.lineno
        context = (*context, *self._commented(line, name))
        origin = origin or self._comment_origin(line, name)
        self.facts.values.append(
            Value(
                slot,
                self.path,
                line,
                literal.col_offset + 1,
                amount,
                kind,
                name,
                self._snippet(line),
                context,
                self.imports.library(call, name),
                origin=self._origin(call) if origin is None else origin,
                integer=is_integer(literal),
            )
        )

    def _origin(self, call: ast.Call | None) -> Origin:
        """What a written number is about: the scope's context, or a string library's call.

        ``get_close_matches(word, names, cutoff=0.5)`` (difflib) and ``process.extractOne(q,
        choices, score_cutoff=80)`` (rapidfuzz) compare string ratios with what they are given;
        a call whose own name says string or keyword matching (``JaroWinklerLevel(col, 0.88)``)
        too.
        """
        lexical = self._lexical_call(call) if call is not None else None
        if lexical is not None:
            return lexical
        if call is not None and set(words(call_name(call))) & SIMILARITY_SEARCH_CALLS:
            return Origin.UNKNOWN  # `similarity_search(v, threshold=0.4)` in a metrics module
        return self.scope.context_origin

    def _lexical_call(self, call: ast.Call) -> Origin | None:
        """``STRING`` or ``KEYWORD`` for a call of a string or keyword matcher, else ``None``.

        A call of an imported string library (``get_close_matches``, ``process.extractOne``)
        or one whose own name says string or keyword matching (``JaroWinklerLevel(col, 0.88)``,
        ``BM25Retriever(k1=1.2)``).
        """
        root = root_name(call.func)
        if root in self.imports.string_names or (root and classify(words(root)) is Origin.STRING):
            return Origin.STRING  # `difflib.get_close_matches`, imported in a function too
        called = classify(words(call_name(call)))
        return called if called in (Origin.STRING, Origin.KEYWORD) else None

    def _positional(self, callee: str, node: ast.Call, context: tuple[str, ...]) -> None:
        args: list[tuple[str, ...]] = []
        useful = False
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                break
            literal = literal_node(arg)
            if literal is not None:
                slot = f"c:{self.path}:{literal.lineno}:{literal.col_offset + 1}"
                self._value(slot, literal, Kind.KEYWORD, "", context, node)
                args.append((slot,))
                useful = True
                continue
            sources = tuple(self.scope.sources(arg))
            handed = handed_score(self.scope, arg)
            if handed is not None:
                sources = (*sources, handed)
            useful = useful or bool(sources)
            args.append(sources)
        if useful:
            func = node.func
            on_self = (
                isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Name)
                and func.value.id in ("self", "cls")
            )
            owner = self.scope.class_name if on_self else None
            self.facts.calls.append(Call(callee, tuple(args), owner))

    def _commented(self, line: int, name: str) -> tuple[str, ...]:
        """What the comments at a generic threshold say it bounds, as a docstring entry would.

        The comment closing its line (``THRESHOLD = 0.8  # cosine of two faces``) and the
        block of comment lines right above it (``#: Cosine floor for a confident match``).
        """
        if not generic_threshold(name) or not 0 < line <= len(self.lines):
            return ()
        notes = [self.lines[line - 1].partition("#")[2]]
        above = line - 2
        while above >= 0 and self.lines[above].lstrip().startswith("#"):
            notes.append(self.lines[above].lstrip().lstrip("#:"))
            above -= 1
        said = description_words(" ".join(notes))
        # a distance alone in a comment may be any (`Distance from neutral below which...`)
        return said if set(said) - {"distance", "distances"} else ()

    def _comment_origin(self, line: int, name: str) -> Origin | None:
        """What the comment closing a threshold's line says it bounds, where not a similarity.

        ``score_threshold: float = 0.1  # Minimum BM25 relevance score``: a keyword search's,
        as a field's ``description`` would say. Only that line's own comment, and not where it
        also speaks of a similarity, embeddings or a distance: comment blocks above a
        threshold weigh a fuzzy ratio against the cosine they bound.
        """
        if threshold_name(name).strength <= 0 or not 0 < line <= len(self.lines):
            return None
        return said_origin(self.lines[line - 1].partition("#")[2])

    def _snippet(self, line: int) -> str:
        return self.lines[line - 1].strip()[:160] if 0 < line <= len(self.lines) else ""


UI_EVENTS = frozenset({"click", "change", "submit", "release", "input", "upload", "then"})
"""Methods of a UI component that call a function with input widgets' values (Gradio's
``button.click(fn, inputs=[...])``)."""

WIDGET_WORDS = frozenset({"slider", "number", "spinbox", "knob"})
"""Words of an input widget's class or function (``st.number_input``, ``gr.Slider``,
``ipywidgets.FloatSlider``)."""

WIDGET_BOUNDS = frozenset({"min_value", "max_value", "minimum", "maximum", "min", "max", "step"})
"""Keyword arguments that bound an input widget's value."""


def widget_start(call: ast.expr) -> ast.expr | None:
    """The value a UI input widget starts at, which the name bound to it holds until moved.

    ``st.slider("Threshold", 0.0, 1.0, 0.3)`` and ``st.number_input(label, lo, hi, value)``
    (Streamlit: after the label, the third number), ``gr.Slider(0.8, 1.0, value=0.97)``
    (Gradio), ``FloatSlider(value=0.5, min=0, max=1)`` (ipywidgets): a ``value`` keyword of a
    widget, or of a call bounding it, else a slider's or number input's third number.
    """
    if not isinstance(call, ast.Call):
        return None
    named = set(words(call_name(call)))
    start = next((k.value for k in call.keywords if k.arg == "value"), None)
    if start is not None:
        bounded = any(k.arg in WIDGET_BOUNDS for k in call.keywords)
        return start if named & WIDGET_WORDS or bounded else None
    if not named & WIDGET_WORDS:
        return None
    numbers = [
        a for a in call.args if not (isinstance(a, ast.Constant) and isinstance(a.value, str))
    ]
    if len(numbers) >= 3 and all(literal_node(n) is not None for n in numbers[:3]):
        return numbers[2]
    return None


LEVELS = 5
"""The most numbers a list of threshold levels holds; a longer one is a grid (histogram bins
``[0.0, 0.1, ..., 1.0]``, a sweep)."""


def _table(value: ast.expr) -> bool:
    """A collection of numbers only, nested or not: ``[0.9, 0.8]``, ``{"cosine": 0.68}``.

    Not a JSON schema (``{"type": "number", "minimum": 0.5}``): a string in it says it
    describes a value rather than holds one; nor a grid of more than ``LEVELS`` numbers.
    """
    if isinstance(value, ast.Dict):
        parts = [v for v in value.values if v is not None]
    elif isinstance(value, (ast.List, ast.Tuple, ast.Set)) and len(value.elts) <= LEVELS:
        parts = list(value.elts)
    else:
        return False
    return bool(parts) and all(literal_node(p) is not None or _table(p) for p in parts)


def _key_words(key: ast.expr | None) -> tuple[str, ...]:
    """The metric words of a table's key (``"euclidean_l2"``: euclidean, l2), else none."""
    if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
        return ()
    found = tuple(w for w in words(key.value) if w in METRIC_KEY_WORDS)
    return (*found, "l2") if "l2" in key.value.lower() else found


def _scorer_key(key: ast.expr | None) -> Origin:
    """The kind of score a table's key names (``"embedding"``, ``"bm25"``, ``"llm"``), if any."""
    if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
        return Origin.UNKNOWN
    return classify(words(key.value))


def _keyed_by_embedding_models(table: ast.Dict) -> bool:
    """Whether most of a table's keys name embedding models (``"BAAI/bge-small-en-v1.5"``)."""
    keys = [k.value for k in table.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)]
    named = sum(names_embedding_model(key) for key in keys)
    return named > 0 and 2 * named >= len(keys)


DESCRIBING_KEYWORDS = ("description", "help", "title", "doc")
"""Keywords of a field or an option that describe it in prose."""


def generic_threshold(name: str) -> bool:
    """Whether a name says threshold and no metric: what its prose says, it bounds."""
    return says_threshold(name) and threshold_name(name).metric is Metric.UNKNOWN


def description(call: ast.Call, name: str) -> tuple[str, ...]:
    """What a field's or an option's description says a generic threshold bounds.

    ``Field(default=0.65, description="Min similarity threshold")``,
    ``add_argument("--threshold", default=0.8, help="cosine cutoff")``: as a docstring entry
    would (``facts.described``), for a name that says no metric of its own.
    """
    if not generic_threshold(name):
        return ()
    text = _describing_text(call)
    return description_words(text) if text else ()


def described_origin(call: ast.Call) -> Origin | None:
    """What a field's or an option's description says its number is about, if not a similarity.

    ``click.option("--min-score", default=0.3, help="Minimum detection score")``: a detector's.
    """
    # an option's own help, written for it alone: `similarity ... is Jaccard similarity`
    # says a string method however it is worded
    return said_origin(_describing_text(call), alone=True)


def said_origin(text: str, *, alone: bool = False) -> Origin | None:
    """What a description says a number is about, where not a similarity.

    ``Minimum detection score`` (an option's help), ``Minimum BM25 score to include`` (a
    docstring entry or a comment): a detector's, a keyword search's. Unless ``alone`` (the
    text describes that number only), nothing where it also speaks of a similarity,
    embeddings or a distance (``cosine floor; BM25 hits apart``, ``fuzzy similarity``).
    """
    tokens = _description_tokens(text) if text.strip() else ()
    if not tokens or (not alone and set(tokens) & _DENSE_SAID):
        return None
    found = origin_of_context(tokens)
    return found if found in NOT_SIMILARITY else None


def _describing_text(call: ast.Call) -> str:
    return " ".join(
        k.value.value
        for k in call.keywords
        if k.arg in DESCRIBING_KEYWORDS
        and isinstance(k.value, ast.Constant)
        and isinstance(k.value.value, str)
    )


def _description_tokens(text: str) -> tuple[str, ...]:
    """A description's words, split as names are and as written (``MinHash`` both ways)."""
    # `MinHash similarity` says minhash, which its split words (`min`, `hash`) do not
    return tuple(dict.fromkeys((*words(text), *re.findall(r"[a-z]+", text.lower()))))


def description_words(text: str) -> tuple[str, ...]:
    """The similarity or distance words a description says (``facts.described``)."""
    return described(_description_tokens(text))


def _bounded(value: ast.expr) -> tuple[ast.expr, ast.expr] | None:
    """``min(threshold, 0.3)``: the number a setting is capped or floored by, and the setting.

    ``None`` when ``value`` is no such call: a clamp to a range (``max(0.5, min(0.99, t))``,
    ``max(0.0, t)``) validates, and ``max(bonus, 0.7)`` of ``bonus`` is a running best.
    """
    if not (isinstance(value, ast.Call) and call_name(value) in ("min", "max")):
        return None
    if len(value.args) != 2 or value.keywords:
        return None
    first, second = value.args
    bound, other = (first, second) if literal_node(first) is not None else (second, first)
    literal = literal_node(bound)
    if literal is None or literal_node(other) is not None or number(literal) in (0.0, 1.0):
        return None
    if isinstance(other, ast.Call) and call_name(other) in ("min", "max"):
        return None
    return literal, other


def _table_fallback(value: ast.expr) -> ast.expr | None:
    """The number a lookup by a computed key falls back to: ``0.92`` of ``T.get(model, 0.92)``.

    Not a getter of a named key (``cfg.get("threshold", 0.7)``, the scope's own), nor a
    missing record's zero.
    """
    if not (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Attribute)
        and value.func.attr == "get"
        and len(value.args) == 2
        and not value.keywords
    ):
        return None
    key, default = value.args
    if isinstance(key, ast.Constant):
        return None
    literal = literal_node(default)
    return literal if literal is not None and number(literal) != 0.0 else None


def _tests_none(test: ast.expr, name: ast.expr, *, none: bool = False) -> bool:
    """Whether ``test`` is ``name is not None`` (``name is None`` where ``none``)."""
    return (
        isinstance(test, ast.Compare)
        and isinstance(name, ast.Name)
        and isinstance(test.left, ast.Name)
        and test.left.id == name.id
        and len(test.ops) == 1
        and isinstance(test.ops[0], ast.Is if none else ast.IsNot)
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value is None
    )


def _defaults_handed(value: ast.expr, scope: Scope, depth: int = 2) -> list[ast.expr]:
    """The numbers a call of the module's own function may return as they were handed to it.

    ``_parse_float(raw, 0.5)`` whose body returns ``default`` (or ``float(value)``), and
    ``_first(env, "KEY", "section.key", 0.5)`` whose body returns ``default if value is None
    else value``: the literal arguments in the places of the parameters it returns as is,
    through such calls nested in one another.
    """
    if depth <= 0 or not isinstance(value, ast.Call) or not isinstance(value.func, ast.Name):
        return []
    found = scope.definitions.get(value.func.id, [])
    if len(found) != 1 or found[0][0] is not None:
        return []
    function = found[0][1]
    returned = _returned_parameters(function)
    if not returned:
        return []
    positional = [name for name, _, by_position in parameters(function.args) if by_position]
    handed = [
        *((positional[i], a) for i, a in enumerate(value.args[: len(positional)])),
        *((k.arg, k.value) for k in value.keywords if k.arg is not None),
    ]
    literals: list[ast.expr] = []
    for name, argument in handed:
        if name not in returned:
            continue
        literal = literal_node(numeric_string(argument))
        if literal is not None:
            literals.append(literal)
        else:
            literals.extend(_defaults_handed(argument, scope, depth - 1))
    return literals


_CONVERTERS = frozenset({"float", "int", "str"})


def _unconverted(value: ast.expr) -> ast.expr:
    """A fallback or choice converted (``float(cfg.get("min_score") or 0.35)``): what it converts.

    Anything else as it is: a conversion of one value (``float(os.getenv("X", "0.8"))``) is
    read as it was.
    """
    converted = _converted(value)
    return converted if isinstance(converted, (ast.BoolOp, ast.IfExp)) else value


def _converted(value: ast.expr) -> ast.expr | None:
    """What a conversion converts (``x`` of ``float(x)``), or ``None`` for anything else."""
    if (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Name)
        and value.func.id in _CONVERTERS
        and len(value.args) == 1
        and not value.keywords
    ):
        return value.args[0]
    return None


def _returned_parameters(function: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    """The parameters a function returns as they were given (``default``, ``float(value)``)."""
    names = {name for name, _, _ in parameters(function.args)}
    found: set[str] = set()
    pending = returned_values(function)
    while pending:
        returned = pending.pop()
        if isinstance(returned, ast.IfExp):
            pending.extend((returned.body, returned.orelse))
        elif (converted := _converted(returned)) is not None:
            pending.append(converted)
        elif isinstance(returned, ast.Name) and returned.id in names:
            found.add(returned.id)
    return found
