"""Python through its syntax tree: literal comparisons here, everything else as facts.

Reported directly (with the line and column of the number as written):

- ``comparison``: a score-like expression compared with a number (``node.score >= 0.8``,
  chained too), with what the comparison keeps and where the score comes from: a search
  result or a cosine counts, a classifier's, detector's or QA model's score, a fuzzy string
  ratio, a keyword-search rank and ``clf.score(X, y)`` do not. A zero floor (``score > 0``)
  counts only on a score known to come from a similarity search;
- ``sql``: comparisons inside SQL strings (pgvector ``<=>`` distances and the like) and
  pandas-style ``.query("score > 0.8")`` strings.

Every number written for a name (constant, parameter default, keyword argument, dict key,
config or environment fallback, class field, ``self.x``) becomes a
:class:`~calibrator.inventory.facts.Value`; every name compared with a score a
:class:`~calibrator.inventory.facts.Use`; assignments and arguments become flows. The linker
(:mod:`calibrator.inventory.link`) joins them across files. ``assert`` statements are skipped
unless tests are included. A file whose text mentions no score or threshold word is not parsed.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
import warnings
from bisect import bisect_left
from collections.abc import Callable, Iterator

from calibrator.inventory.config_scan import scan_embedded_json
from calibrator.inventory.facts import (
    DOCSTRING,
    NOT_SIMILARITY,
    FactsBuilder,
    FileScan,
    Origin,
    Signature,
    Use,
    classify,
    described,
    origin_of_context,
    slot_name,
)
from calibrator.inventory.findings import Direction, Finding, Kind, Metric, ScanError
from calibrator.inventory.names import (
    NATURAL_DIRECTION,
    LowerText,
    is_score_like,
    metric_of,
    says_threshold,
    specific,
    threshold_name,
    words,
)
from calibrator.inventory.python_bindings import own_nodes, parameters
from calibrator.inventory.python_compare import judge_literal, outcome_name, per_item
from calibrator.inventory.python_exprs import (
    CONVERSIONS,
    FIELD_CALLS,
    OPPOSITE,
    ScoreExpr,
    call_name,
    condition_direction,
    is_integer,
    kept_direction,
    literal_node,
    number,
    numeric_string,
    record_field,
    root_name,
    score_expr,
    value_name,
)
from calibrator.inventory.python_imports import Imports
from calibrator.inventory.python_origin import (
    DEFERRED,
    DEPTH,
    follow,
    from_search,
    handed_score,
    imported_callee,
    percent_scale,
    returned_values,
    returns_origin,
    self_product,
    traced_origin,
)
from calibrator.inventory.python_origin import origin as score_origin
from calibrator.inventory.python_scopes import PASS_THROUGH, Scope, class_of
from calibrator.inventory.python_values import (
    UI_EVENTS,
    Values,
    described_origin,
    description,
    generic_threshold,
    said_origin,
)
from calibrator.inventory.python_walk import Visitor, statements, walk
from calibrator.inventory.sql_scan import POSITIONAL, Bound, read_sql
from calibrator.inventory.sql_tokens import looks_like_sql
from calibrator.inventory.vocabulary import (
    COMPUTING_WORDS,
    DISTANCE_WORDS,
    PAIRWISE_DISTANCES,
    SCORE_WORDS,
    SEARCH_SOURCES,
    SETTINGS_WORDS,
)

_QUERY_METHODS = frozenset({"query", "filter", "where", "eval"})
QUERY_RUNNERS = frozenset(
    {"execute", "executemany", "fetch", "fetchrow", "fetchval", "fetchall", "fetchone", "sql",
     "query", "exec_driver_sql", "read_sql", "read_sql_query"}
)  # fmt: skip
"""Calls that run a query with its arguments by position (DB-API, asyncpg, DuckDB, pandas)."""
TRIGRAM_FUNCTIONS = frozenset({"similarity", "word_similarity", "strict_word_similarity"})
"""PostgreSQL's pg_trgm functions: a bare ``similarity(...)`` in SQL is a trigram overlap."""
RADIUS_ARGUMENTS = {
    "range_search": (1, "thresh", Direction.UNKNOWN, Metric.UNKNOWN),
    "community_detection": (1, "threshold", Direction.ABOVE, Metric.SIMILARITY),
    "self_deduplicate": (0, "threshold", Direction.ABOVE, Metric.SIMILARITY),
}
"""Library calls that take a similarity's cutoff by position or keyword: faiss's
``range_search(x, thresh)`` (a similarity or a distance, by the index), sentence-transformers'
``util.community_detection(embeddings, threshold)`` (a cosine, kept above), semhash's
``SemHash.from_records(r).self_deduplicate(threshold=0.9)`` (a cosine: duplicates above)."""
SCORE_KEYWORDS: dict[str, dict[str, tuple[Direction, Metric]]] = {
    "mine_hard_negatives": {
        "max_score": (Direction.BELOW, Metric.SIMILARITY),
        "min_score": (Direction.ABOVE, Metric.SIMILARITY),
        "absolute_margin": (Direction.BELOW, Metric.SIMILARITY),
        "relative_margin": (Direction.BELOW, Metric.SIMILARITY),
    },
}
"""Library calls that compare keyword arguments with their model's similarities:
sentence-transformers' ``util.mine_hard_negatives(..., max_score=0.8, relative_margin=0.05)``
keeps candidate negatives scored at most ``max_score`` (at least ``min_score``), and a margin
below the positive's score."""
CLUSTERING_CALLS = frozenset({"DBSCAN", "dbscan", "OPTICS", "HDBSCAN", "AgglomerativeClustering"})
"""Density clustering (scikit-learn, hdbscan), whose radius bounds the distance of neighbours,
and agglomerative clustering, whose ``distance_threshold`` bounds the linkage distance of
the clusters it merges."""
CLUSTERING_RADII = frozenset({"eps", "max_eps", "cluster_selection_epsilon", "distance_threshold"})
"""The keyword arguments of :data:`CLUSTERING_CALLS` that are a radius or a merge cutoff."""
TREE_CUTS = frozenset({"fcluster", "fclusterdata"})
"""SciPy's cuts of a hierarchical clustering: ``t`` (the second argument) is the greatest
distance within a cluster where ``criterion="distance"``."""
BEST_OF = frozenset({"min", "max", "amin", "amax", "nanmin", "nanmax"})
"""Calls that pick the best of several scores (``min(distances)``, ``np.max(sims)``)."""


def scan_python(source: str, path: str, *, include_tests: bool = False) -> FileScan:
    r"""Findings and facts of one Python file; a syntax error is returned, never raised.

    The compiler's warnings about the scanned code (``"\s"``, an invalid escape sequence in
    someone's regular expression) are not ours to show, and where warnings are errors (``-W
    error``, a test run) they would make a readable file unreadable: they are silenced here.
    """
    text = LowerText(source)
    speaks = text.speaks_of_scores()
    if not (speaks or text.has_fraction()):
        return FileScan()  # no vocabulary word, no number below one: nothing to find
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            tree = _parse(source, path)
        except (SyntaxError, ValueError) as e:
            line = getattr(e, "lineno", None)
            error = ScanError(path, f"syntax error: {getattr(e, 'msg', e)}", line)
            return FileScan(errors=(error,))
        scanner = _Scanner(source, text, path, tree, include_tests=include_tests, light=not speaks)
        scanner.visit(tree)
    scanner.facts.annotated = scanner.imports.annotated
    scanned = FileScan(tuple(scanner.findings), (), scanner.facts.build())
    # the scanner's handlers are its own bound methods: a reference cycle that would keep the
    # syntax tree alive until the cycle collector ran (off while a batch is scanned)
    scanner.handlers.clear()
    return scanned


_TYPE_PARAMETERS = re.compile(
    r"^(?P<head>[ \t]*(?:async[ \t]+)?(?:def|class)[ \t]+\w+)"
    r"\[[^\]\n]*(?:\][^\]\n]*)*?\](?=[ \t]*[(:])"
    r"|^(?P<alias>[ \t]*)type[ \t]+(?P<name>\w+)(?:\[[^\]\n]*\])?[ \t]*=",
    re.MULTILINE,
)
"""Python 3.12's type parameters (``def first[T](xs: list[T])``, ``class Box[T]:``) and type
aliases (``type Vector = list[float]``), which an older parser cannot read."""


def _parse(source: str, path: str) -> ast.Module:
    """The file's syntax tree; newer syntax this Python cannot read is taken out first.

    Type parameters and ``type`` aliases carry no numbers: without them (the same lines, so
    every finding keeps its place) the rest of the file is read. Other newer syntax (3.12's
    nested f-string quotes) stays a syntax error, reported with its line.
    """
    try:
        return ast.parse(source, filename=path)
    except SyntaxError:
        older = _TYPE_PARAMETERS.sub(_older, source)
        if older == source:
            raise
        return ast.parse(older, filename=path)


def _documented(node: ast.FunctionDef | ast.AsyncFunctionDef, name: str) -> tuple[str, ...]:
    """What a function's docstring says of a generically named threshold parameter.

    ``threshold (float): Similarity measure in the range -1->1`` (Google style),
    ``threshold : float`` with its description below (NumPy), ``:param threshold: ...``
    (Sphinx): the entry's similarity or distance words, as a class's name would be
    context; so are those of a line of prose naming it (``Its similarity score >=
    ``auto_accept_threshold``, or``). Nothing for a name that says its metric already, nor
    for an entry that speaks of a string, keyword or model score (``minimum fuzzy ratio``)
    or of a share of them (``similarity percentile``).
    """
    doc = _docstring_naming(node, name) if generic_threshold(name) else None
    if doc is None:
        return ()
    mention = re.compile(rf"\b{re.escape(name)}\b")
    prose = [line for line in doc.splitlines() if mention.search(line)]
    return described(words(" ".join((_doc_entry(doc, name), *prose))))


def _documented_origin(node: ast.FunctionDef | ast.AsyncFunctionDef, name: str) -> Origin | None:
    """What a threshold parameter's docstring entry says it bounds, where not a similarity.

    ``score_threshold: Minimum BM25 score to include`` (a keyword search's, handed on to a
    crawler's URL seeding), ``threshold (float): minimum fuzzy ratio`` (a string ratio's): as
    an option's ``help=`` says (``described_origin``), for whatever callers pass it. An entry
    that also speaks of a similarity, embeddings or a distance says nothing here.
    """
    doc = _docstring_naming(node, name) if threshold_name(name).strength > 0 else None
    return said_origin(_doc_entry(doc, name)) if doc else None


def _docstring_naming(node: ast.FunctionDef | ast.AsyncFunctionDef, name: str) -> str | None:
    """A function's docstring as written, where it names ``name`` (a parameter's entry or prose)."""
    doc = ast.get_docstring(node, clean=False)
    return doc if doc is not None and name in doc else None


def _doc_entry(doc: str, name: str) -> str:
    """A parameter's entry in a docstring: its line and the more indented lines after it."""
    lines = doc.splitlines()
    for at, line in enumerate(lines):
        text = line.strip()
        if not (
            re.match(rf"{re.escape(name)}\s*(\(|:)", text)
            or re.match(rf":param\s+(\w+\s+)?{re.escape(name)}\s*:", text)
        ):
            continue
        indent = len(line) - len(line.lstrip())
        entry = [text]
        for following in lines[at + 1 : at + 4]:
            if not following.strip() or len(following) - len(following.lstrip()) <= indent:
                break
            entry.append(following.strip())
        return " ".join(entry)
    return ""


def _older(match: re.Match[str]) -> str:
    if match.group("head") is not None:
        return match.group("head")
    return f"{match.group('alias')}{match.group('name')} ="


_BUILDS_MODELS = (
    "lassif", "nli", "NLI", "ntail", "ecogni", "fuzz", "Fuzz", "difflib", "evenshtein", "jaro",
    "Jaro", "jellyfish", "textdistance", "editdistance", "inhash", "MinHash", "imhash",
    "datasketch",
)  # fmt: skip
"""Text without which no class of a file builds a classifier or imports a string library in
a method (``Scope.child_class`` looks no further); plain ``in`` tests, faster than a regex."""

_THRESHOLD_TEXTS = ("thresh", "cutoff")
"""A function that returns a setting to a threshold-named caller says so somewhere
(``task_thresholds``): only such functions' returns are recorded (``_returned_settings``)."""
OPTION_NAME_KEYS = ("name", "dest", "option", "param", "parameter", "flag", "arg", "argument")
"""Keys that name an option in a record that declares it with a ``default``."""
PROBABILITY_WORDS = frozenset({"prob", "probs", "proba", "probability", "probabilities", "logits"})
"""Names of a model's outputs: a product of them is a sum of probabilities, no similarity."""
REDUCTIONS = ("max", "min", "amax", "amin", "nanmax", "nanmin")
"""Calls that pick one of several similarities: still a similarity."""
_ORM_LOOKUP = re.compile(r"([A-Za-z_][A-Za-z0-9_]*?)__(lt|lte|gt|gte)")
"""A keyword that compares a model field in an ORM query (``distance__lte``)."""
_FLIPPED = {Metric.SIMILARITY: Metric.DISTANCE, Metric.DISTANCE: Metric.SIMILARITY}
"""What a score's metric becomes when a setting is compared as its complement (``1 - eps``)."""
_FILTER_OPS: dict[object, ast.cmpop] = {
    ">": ast.Gt(), ">=": ast.GtE(), "<": ast.Lt(), "<=": ast.LtE()
}  # fmt: skip
"""The operators of a filter written as a tuple (``("score", ">=", 0.8)``)."""
_ORM_OPS: dict[str, ast.cmpop] = {
    "lt": ast.Lt(),
    "lte": ast.LtE(),
    "gt": ast.Gt(),
    "gte": ast.GtE(),
}


_LIBRARY_KEYWORD = 0.55
"""How strongly a keyword's name, with the called name's words, must say threshold before a
retrieval library's keyword counts as compared with a similarity (a bare ``threshold`` passed
to a ``Semantic...`` class does)."""


_ZIP_STEPS = 4
"""Steps from a loop's records back to the ``zip`` that built them (a slice, ``sorted``, a name)."""
_ORDERINGS = frozenset({"sorted", "list", "reversed", "tuple"})
"""Calls that give the records they are handed, in some order."""
_FITS = frozenset({"fit", "fit_predict"})
"""The calls that fit a clustering to its data."""
_EMBEDDED = frozenset({"embedding", "embeddings", "emb", "embs", "centroid", "centroids"})
"""Words of what a clustering is fitted on that say embeddings in the model's own space."""
_PROJECTED = frozenset(
    {"umap", "tsne", "pca", "reduced", "projected", "projection", "coords", "2d"}
)
"""Words of a 2-D (or reduced) projection of embeddings: its distances are not the model's."""
_ARRAY_MODULES = frozenset({"np", "numpy", "torch", "math", "jnp"})
"""Modules whose reductions take the array as an argument (``np.max(sims)``), not a receiver."""


class _Scanner(Visitor, Values):
    def __init__(
        self,
        source: str,
        text: LowerText,
        path: str,
        tree: ast.Module,
        *,
        include_tests: bool,
        light: bool,
    ) -> None:
        self.lines = source.splitlines()
        self.text = text
        self.marked = self.text.interesting_lines()
        self._threshold_lines: list[int] | None = None
        # a file that never speaks of scores only matters for what other files read from it:
        # its constants, fields, defaults and attributes, not its functions' insides
        self.light = light
        self.path = path
        self.include_tests = include_tests
        self.imports = Imports()
        self.imports.scan(tree, path)
        self.imports.builds_models = any(word in source for word in _BUILDS_MODELS)
        if "Tfidf" in source:  # imported lazily, inside the function that builds the vectors
            self.imports.scan_lazy_lexical(tree)
        self.module = Scope.module(tree, path, self.imports)
        self._search_pairs: dict[int, dict[str, int]] = {}
        self.scopes: list[Scope] = [self.module]
        self.findings: list[Finding] = []
        self.facts = FactsBuilder()
        super().__init__(
            {
                ast.ClassDef: self.visit_class,
                ast.FunctionDef: self.visit_function,
                ast.AsyncFunctionDef: self.visit_function,
                ast.Lambda: self.visit_lambda,
                ast.Assign: self.visit_assign,
                ast.AnnAssign: self.visit_ann_assign,
                ast.For: self.visit_for,
                ast.Compare: self.visit_compare,
                ast.BinOp: self.visit_binop,
                ast.Call: self.visit_call,
                ast.Dict: self.visit_dict,
                ast.Constant: self.visit_constant,
                ast.Assert: self.visit_assert,
                ast.Tuple: self.visit_tuple,
                ast.ImportFrom: self.visit_import_from,
            }
        )

    @property
    def scope(self) -> Scope:
        return self.scopes[-1]

    def visit_assert(self, node: ast.Assert) -> None:
        if self.include_tests:
            self.generic_visit(node)

    def visit_import_from(self, node: ast.ImportFrom) -> None:
        """A function's own ``from m import check as quality_check``: calls name ``check``."""
        if node.col_offset > 0:
            self.imports.aliases.update((a.asname, a.name) for a in node.names if a.asname)

    def visit_class(self, node: ast.ClassDef) -> None:
        scope = self.scope.child_class(node)
        for base in node.bases:
            base_name = base.id if isinstance(base, ast.Name) else getattr(base, "attr", None)
            if base_name and base_name not in ("object", "BaseModel", "ABC", "Generic"):
                self.facts.bases.append((node.name, base_name))
        if node.bases and not _constructs(node):
            self.facts.inherited.append(node.name)  # `Parser(threshold=0.7)` reaches the base's
        fields: list[str] = []
        for statement in node.body:
            if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
                fields.append(statement.target.id)
                self.facts.flow(
                    f"a:{node.name}.{statement.target.id}", [f"p:{node.name}.{statement.target.id}"]
                )
        has_init = any(
            isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and s.name == "__init__"
            for s in node.body
        )
        if fields and not has_init:  # a dataclass, pydantic model or NamedTuple
            self.facts.signatures.append(Signature(node.name, tuple(fields), node.name))
        self.scopes.append(scope)
        self.generic_visit(node)
        self.scopes.pop()

    def _returns(
        self, scope: Scope, node: ast.FunctionDef | ast.AsyncFunctionDef, *, plain: bool
    ) -> None:
        """Export what a module-level function returns, when its module shows it.

        The score it returns, where its body is read closely (not ``plain``); the class of
        the package its return annotation names, always (``-> ThresholdSelection``).
        """
        made = class_of(node.returns)
        if made is not None and made in self.imports.own_classes:
            self.facts.made.append((node.name, made))
        if plain:
            return
        returned = returns_origin(scope, node)
        if returned is not Origin.UNKNOWN:
            self.facts.returns.append((node.name, returned))

    def visit_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        outer = self.scope
        scope = outer.child_function(node)
        params = parameters(node.args)
        positional = [name for name, _, is_positional in params if is_positional]
        owner = outer.class_name if outer.kind == "class" else None
        if owner is not None and not _is_static(node) and positional:
            positional = positional[1:]  # self or cls
        if positional:  # a call can only pass something by position to a parameter
            self.facts.signatures.append(Signature(scope.callee, tuple(positional), owner))
        marked = self.marked
        first, last = node.lineno, node.end_lineno or node.lineno
        plain = marked[min(last, len(marked) - 1)] == marked[first - 1]
        if outer.kind == "module":
            self._returns(scope, node, plain=plain)
        self._returned_to_callers(node, scope, owner, plain=plain)
        self._parameters(node, scope, params)
        self._forwarded(node, scope)
        names = {name for name, _, _ in params}
        for decorator in node.decorator_list:
            self.visit(decorator)
            if self._command_option(decorator, scope, names):
                plain = False  # the body passes the option's value on
        if plain:
            return  # no vocabulary word and no decimal in it: nothing to find or pass on
        self.scopes.append(scope)
        self.stack.append(node)  # the block its statements sit in (a ladder of early returns)
        for statement in node.body:
            if not self.light or isinstance(statement, (ast.Assign, ast.AnnAssign)):
                self.visit(statement)
        self.stack.pop()
        self.scopes.pop()

    def _command_option(self, decorator: ast.expr, scope: Scope, params: set[str]) -> bool:
        """``@click.option("--tolerance", default=0.6)`` over ``def main(..., tolerance)``.

        click hands an option's value to the parameter of the command it decorates: the
        option's default is that parameter's value, wherever the command passes it on.
        Whether the decorator is such an option with a number for its default.
        """
        if not isinstance(decorator, ast.Call):
            return False
        option = _option(decorator)
        if option is None or option[0] not in params or literal_node(option[1]) is None:
            return False
        name, default = option
        slot = f"p:{scope.callee}.{name}"
        self._written(slot, default, Kind.DEFAULT, name, scope.words, call=decorator)
        return True

    def _returned_to_callers(
        self,
        node: ast.FunctionDef | ast.AsyncFunctionDef,
        scope: Scope,
        owner: str | None,
        *,
        plain: bool,
    ) -> None:
        """What a function returns, where its callers hold it: a threshold getter, a property.

        ``threshold = _get_dedup_threshold(n)``: what it returns is what the caller holds
        (``def get_threshold(model): ... return 0.20``: a number it returns is written for it);
        ``policy.effective_floor`` reads what the property returns (``DEFAULT_FLOOR if
        self.floor is None else self.floor``), as it would an attribute written there, even
        where the property's lines hold no word of the vocabulary (``plain``).
        """
        returned = f"r:{owner}.{node.name}" if owner else f"r:{node.name}"
        if not plain and (threshold_name(node.name).strength > 0 or says_threshold(node.name)):
            for value in returned_values(node):
                self._written(returned, value, Kind.DEFAULT, node.name, scope.words, scope)
        elif not plain:
            if self._mentions_threshold(node):
                self._returned_settings(node, scope, returned)
            values = returned_values(node)
            if _takes_nothing(node, owner) or _a_table(values):
                for value in values:
                    if not isinstance(value, ast.Tuple):
                        self._written(returned, value, Kind.DEFAULT, node.name, scope.words, scope)
        if owner is not None and _is_property(node):
            for value in returned_values(node):
                slot = f"a:{owner}.{node.name}"
                self._written(slot, value, Kind.DEFAULT, node.name, scope.words, scope)

    def _mentions_threshold(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
        """Whether a line of the function says threshold or cutoff (found once per file)."""
        if self._threshold_lines is None:
            self._threshold_lines = self.text.lines_holding(_THRESHOLD_TEXTS)
        found = self._threshold_lines
        at = bisect_left(found, node.lineno)
        return at < len(found) and found[at] <= (node.end_lineno or node.lineno)

    def _returned_settings(
        self, node: ast.FunctionDef | ast.AsyncFunctionDef, scope: Scope, returned: str
    ) -> None:
        """What any function returns by name, for a caller that binds a threshold to it.

        ``return merged, ttl`` in ``_load_cache_policy``: ``thresholds, ttl =
        _load_cache_policy()`` holds ``merged`` (``r:_load_cache_policy#0``), whatever the
        function is called. A module's constant or a local it built only: a parameter or an
        attribute handed back says nothing new, and a number a function returns is no setting
        unless its name says so (``get_threshold``, above).
        """
        values = returned_values(node)
        keyed = _keyed_positions(values)
        for value in values:
            parts = value.elts if isinstance(value, ast.Tuple) else [value]
            for index, part in enumerate(parts):
                if isinstance(part, ast.Name | ast.Dict):
                    slot = f"{returned}#{index}" if isinstance(value, ast.Tuple) else returned
                    sources = [s for s in scope.sources(part) if s[:2] in ("l:", "g:")]
                    self.facts.flow(slot, sources)
                elif index in keyed and isinstance(value, ast.Tuple) and number(part) is not None:
                    # `return False, 5, 0.55` where another return reads the setting there
                    slot = f"{returned}#{index}"
                    self._written(slot, part, Kind.DEFAULT, keyed[index], scope.words, scope)

    def _parameters(
        self,
        node: ast.FunctionDef | ast.AsyncFunctionDef,
        scope: Scope,
        params: list[tuple[str, ast.expr | None, bool]],
    ) -> None:
        """A function's parameters: their defaults, and a method's own slots.

        A method's parameters are its own (``p:Class.method.x``): what its class does with
        them says nothing of another class's method of the same name (ten vector stores'
        ``search_text_memories``, and a legacy adapter's stand-in score), though a call by
        name (``p:method.x``) reaches them all.
        """
        outer = scope.parent
        assert outer is not None
        for index, (name, default, _) in enumerate(params):
            slot = f"p:{scope.own}.{name}"
            if scope.own != scope.callee and (index or _is_static(node)):
                self.facts.flow(slot, [f"p:{scope.callee}.{name}"])
            if isinstance(default, ast.Dict):  # `cluster_params={"threshold": 0.5, ...}`
                self.visit(default)
            about = _documented_origin(node, name)
            if about is not None:  # `score_threshold: Minimum BM25 score to include`
                self.facts.uses.append(
                    Use(slot, Direction.UNKNOWN, Metric.UNKNOWN, about, self.path,
                        node.lineno, DOCSTRING, contextual=True)
                )  # fmt: skip
            if default is not None:
                written = len(self.facts.values)
                # read in the outer scope, about what the function serves (`TfidfVectorizer`)
                self.scopes.append(scope)
                context = (*scope.words, *_documented(node, name))
                self._written(slot, default, Kind.DEFAULT, name, context, outer)
                self.scopes.pop()
                if (
                    len(self.facts.values) > written
                    and (threshold_name(name).strength > 0 or is_score_like(name))
                    and _unread(node, name, outer.node, self._read_by_class)
                ):
                    values = self.facts.values
                    values[written:] = [v._replace(unread=True) for v in values[written:]]

    def _read_by_class(self, owner: ast.ClassDef) -> frozenset[str]:
        """The attribute names a class reads, itself or through the bases the module defines.

        A mixin's method (``self._low_confidence_threshold`` in ``_ResultPanelMixin``) reads
        what the class it is mixed into keeps.
        """
        classes = {c.name: c for c in walk(self.module.node) if isinstance(c, ast.ClassDef)}
        pending: list[ast.ClassDef] = [owner]
        seen: set[str] = set()
        read: set[str] = set()
        while pending:
            cls = pending.pop()
            if cls.name in seen:
                continue
            seen.add(cls.name)
            read.update(
                node.attr
                for node in walk(cls)
                if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load)
            )
            bases = (b.id for b in cls.bases if isinstance(b, ast.Name))
            pending.extend(classes[b] for b in bases if b in classes)
        return frozenset(read)

    def _deferred(self, node: ast.Call, name: str, context: tuple[str, ...]) -> None:
        """``asyncio.to_thread(check, a, b, THRESHOLD)``: ``check`` is called with the rest.

        So are ``executor.submit(f, *args)`` and ``loop.run_in_executor(pool, f, *args)``:
        the arguments after the function are its positional ones.
        """
        at = 1 if name == "run_in_executor" else 0
        if len(node.args) <= at or isinstance(node.args[at], ast.Starred):
            return
        call = ast.Call(func=node.args[at], args=node.args[at + 1 :], keywords=[])
        callee = self.scope.callee_of(ast.copy_location(call, node))
        if not callee:
            return
        if call.args:
            self._positional(callee, call, context)
        for keyword in node.keywords:  # `asyncio.to_thread(f, threshold=t)` passes it to `f`
            if keyword.arg is not None:
                slot = f"p:{callee}.{keyword.arg}"
                self._keyword_written(slot, keyword, context, node)

    def _keyword_written(
        self, slot: str, keyword: ast.keyword, context: tuple[str, ...], call: ast.Call
    ) -> None:
        """What a keyword argument hands its callee's parameter: a value, and any score.

        ``route(q, candidates=candidates)`` after ``candidates = self.search(q)`` hands the
        parameter a search's hits (:func:`handed_score`), as a positional argument would.
        """
        assert keyword.arg is not None
        self._written(slot, keyword.value, Kind.KEYWORD, keyword.arg, context, call=call)
        handed = handed_score(self.scope, keyword.value)
        if handed is not None:
            self.facts.flow(slot, [handed])

    def visit_lambda(self, node: ast.Lambda) -> None:
        self.scopes.append(self.scope.child_lambda(node))
        self.visit(node.body)
        self.scopes.pop()

    def visit_assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            self._assigned(target, node.value)
        self._note_search(node)
        self.generic_visit(node)

    def _note_search(self, node: ast.Assign) -> None:
        """``hits = store.search(q)``: the names bound to a search's result, for its callees."""
        call = node.value.value if isinstance(node.value, ast.Await) else node.value
        if not isinstance(call, ast.Call) or not set(words(call_name(call))) & SEARCH_SOURCES:
            return
        scope = self.scope.function_scope()
        if scope is None:
            return
        for target in node.targets:
            if isinstance(target, ast.Name):
                if scope.searched is None:
                    scope.searched = {}
                scope.searched.setdefault(target.id, target.lineno)

    def visit_ann_assign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self._assigned(node.target, node.value)
        self.generic_visit(node)

    def visit_for(self, node: ast.For) -> None:
        """``for threshold in [0.3, 0.45, 0.6]: verify(a, b, threshold=threshold)``: each one.

        The loop's name holds each number of a literal list in turn, as a name assigned them
        one after another would.
        """
        if (
            isinstance(node.target, ast.Name)
            and isinstance(node.iter, (ast.List, ast.Tuple))
            and node.iter.elts
            and all(literal_node(e) is not None for e in node.iter.elts)
        ):
            self._assigned(node.target, node.iter)
        self.generic_visit(node)

    def visit_call(self, node: ast.Call) -> None:
        callee = self.scope.callee_of(node)
        context = (*self.scope.words, *words(callee or ""))
        self._keywords(node, callee, context)
        option = _option(node)
        if option is not None:  # `add_argument("--min-score", type=float, default=0.5)`
            name, default = option
            helped = (*context, *description(node, name))  # `help="cosine cutoff"`
            about = described_origin(node)  # `help="Minimum detection score"`
            for slot in (f"k:{name}", f"a:*.{name}"):  # and read back as `args.min_score`
                self._written(slot, default, Kind.DEFAULT, name, helped, call=node, origin=about)
        name = call_name(node)
        getter = self.scope.getter(node)
        fallback = getter[1] if getter is not None else None
        if getter is not None and fallback is not None:
            slot = self.scope.fallback_slot(node, getter[0])
            self._written(slot, numeric_string(fallback), Kind.DEFAULT, getter[0][2:], context)
        elif callee and node.args and name not in PASS_THROUGH:
            self._positional(callee, node, context)
        if name.lstrip("_") in DEFERRED:  # and a project's `self._run_sync(fn, ...)`
            self._deferred(node, name.lstrip("_"), context)
        self._known_call(node, name)
        self._lexical_arguments(node)
        self.generic_visit(node)

    def _keywords(self, node: ast.Call, callee: str | None, context: tuple[str, ...]) -> None:
        """What a call's keywords hand its callee, and the ORM lookups among them."""
        for keyword in node.keywords:
            if keyword.arg is None and isinstance(keyword.value, ast.Dict):
                for key, value in zip(keyword.value.keys, keyword.value.values, strict=True):
                    # `Q(**{f"{distance_col}__lte": max_distance})`: a lookup built by name
                    lookup = self._static_text(key) if key is not None else None
                    if lookup is not None and _ORM_LOOKUP.fullmatch(lookup):
                        self._orm_lookup(lookup, value)
            elif keyword.arg is None and isinstance(keyword.value, ast.Name) and callee:
                self._splatted(node, callee, keyword.value, context)
            elif keyword.arg is not None and _ORM_LOOKUP.fullmatch(keyword.arg):
                self._orm_lookup(keyword.arg, keyword.value)
            elif keyword.arg is not None and callee and callee not in FIELD_CALLS:
                slot = f"p:{callee}.{keyword.arg}"
                self._keyword_written(slot, keyword, context, node)
                # a callee taking `**kwargs` reads it back as `kwargs["init_threshold"]`
                self.facts.flow(f"k:{keyword.arg}", self.scope.sources(keyword.value))
                self._library_keyword(node, keyword.arg, slot, callee)

    def _forwarded(self, node: ast.FunctionDef | ast.AsyncFunctionDef, scope: Scope) -> None:
        """``cls(index=index, **kwargs)`` in ``def from_documents(cls, documents, **kwargs)``.

        The function's own ``**`` parameter handed on: a keyword its callers pass that names
        none of its own parameters reaches the callee's parameter of that name (walked
        whatever the function's lines say: a factory's speak of nothing).
        """
        kwarg = node.args.kwarg
        if kwarg is None:
            return
        own: tuple[str, ...] | None = None
        for inner in own_nodes(node):
            if isinstance(inner, ast.Call) and any(
                k.arg is None and isinstance(k.value, ast.Name) and k.value.id == kwarg.arg
                for k in inner.keywords
            ):
                callee = scope.callee_of(inner)
                if callee and callee != scope.callee:
                    own = own or tuple(name for name, _, _ in parameters(node.args))
                    self.facts.forwards.append((scope.callee, callee, own))

    def _splatted(
        self, node: ast.Call, callee: str, name: ast.Name, context: tuple[str, ...]
    ) -> None:
        """``TokenMesh(**defaults)`` after ``defaults = dict(dedup_threshold=0.92, ...)``.

        A preset's settings, built as a mapping and splatted into the call: each key is the
        keyword of that name, what it holds the callee's parameter's value.
        """
        if callee in FIELD_CALLS:
            return
        bound = self._latest_binding(name)
        if isinstance(bound, ast.Call) and call_name(bound) == "dict" and not bound.args:
            pairs = [(k.arg, k.value) for k in bound.keywords if k.arg is not None]
        elif isinstance(bound, ast.Dict):
            pairs = [
                (k.value, v)
                for k, v in zip(bound.keys, bound.values, strict=True)
                if isinstance(k, ast.Constant)
                and isinstance(k.value, str)
                and k.value.isidentifier()
            ]
        else:
            return
        for key, value in pairs:
            self._written(f"p:{callee}.{key}", value, Kind.KEYWORD, key, context, call=node)

    def _library_keyword(self, node: ast.Call, keyword: str, slot: str, callee: str) -> None:
        """``SemanticDoubleMergingSplitterNodeParser(initial_threshold=initial)``: a library's.

        A threshold keyword handed to a retrieval library's class or function (one the file
        imports from llama-index, LangChain, a vector store's client), whose name or the
        called one says it works by similarity (``Semantic...``), is compared inside the
        library with that similarity: what the caller passes there is such a cutoff. Not the
        caller's own words: a retriever handing its ``threshold`` to ``default_to_dict``
        serializes it.
        """
        if root_name(node.func) not in self.scope.imports.names:
            return
        name = threshold_name(keyword, words(callee))
        if name.strength < _LIBRARY_KEYWORD:
            return
        metric = Metric.SIMILARITY if name.metric is Metric.UNKNOWN else name.metric
        direction = name.direction
        if direction is Direction.UNKNOWN:  # a similarity's cutoff keeps what reaches it
            direction = Direction.ABOVE if metric is Metric.SIMILARITY else Direction.BELOW
        use = Use(
            slot, direction, metric, Origin.SIMILARITY, self.path, node.lineno,
            f"{call_name(node)}({keyword})",
        )  # fmt: skip
        self.facts.uses.append(use)

    def _lexical_arguments(self, node: ast.Call) -> None:
        """``get_close_matches(w, names, cutoff=cutoff)``: what a string matcher is handed.

        A setting passed by keyword to a string or keyword matcher bounds its ratios: evidence
        against its being a similarity's cutoff, as a number written there is.
        """
        if not node.keywords:
            return
        origin = self._lexical_call(node)
        if origin is None:
            return
        for keyword in node.keywords:
            if keyword.arg is None or literal_node(keyword.value) is not None:
                continue
            for slot in self.scope.sources(keyword.value):
                use = Use(
                    slot, Direction.UNKNOWN, Metric.UNKNOWN, origin, self.path, node.lineno,
                    f"{call_name(node)}({keyword.arg})",
                )  # fmt: skip
                self.facts.uses.append(use)

    def _known_call(self, node: ast.Call, name: str) -> None:
        """Calls whose meaning is known by name: UI events, SQL, range searches, clustering."""
        if name in UI_EVENTS:
            self._wired(node)
        if name in _QUERY_METHODS and node.args:
            self._query_string(node.args[0])
        if name in QUERY_RUNNERS and len(node.args) >= 2:
            self._run_query(node)
        if name in RADIUS_ARGUMENTS:
            self._radius(node, *RADIUS_ARGUMENTS[name])
        for keyword, (direction, metric) in SCORE_KEYWORDS.get(name, {}).items():
            self._radius(node, len(node.args), keyword, direction, metric)  # by keyword only
        if name in CLUSTERING_CALLS:
            self._clustering_radius(node)
        if name in _FITS and node.args:
            self._fitted_on_embeddings(node)
        if name in TREE_CUTS:
            self._tree_cut(node)

    def _radius(
        self, node: ast.Call, place: int, keyword: str, direction: Direction, metric: Metric
    ) -> None:
        """``index.range_search(x, threshold)``: faiss keeps what is within the radius.

        The radius is compared with the index's similarities (inner product) or distances (L2)
        by the library; the direction and metric depend on the index (and are known for
        ``community_detection``'s cosine). Given by position or by keyword (``thresh=t``).
        """
        by_keyword = [k.value for k in node.keywords if k.arg == keyword]
        given = [*by_keyword, *node.args[place : place + 1]]
        if not given:
            return
        radius = given[0]
        literal = literal_node(radius)
        callee = self.scope.callee_of(node)
        if literal is not None and by_keyword and callee:
            slots = [f"p:{callee}.{keyword}"]  # where the keyword's number is written
        elif literal is not None:
            slots = [f"c:{self.path}:{literal.lineno}:{literal.col_offset + 1}"]
        else:
            slots = self.scope.sources(radius)
        for slot in slots:
            use = Use(
                slot, direction, metric, Origin.SIMILARITY, self.path, node.lineno,
                call_name(node),
            )  # fmt: skip
            self.facts.uses.append(use)

    def _clustering_radius(self, node: ast.Call) -> None:
        """``DBSCAN(eps=eps, metric="cosine")``: the radius is a cosine distance between vectors.

        So is ``AgglomerativeClustering(distance_threshold=t, metric="cosine")``'s cutoff (the
        ``affinity`` of older scikit-learn releases names the metric too).

        Density clustering by cosine distance runs on embeddings (a 2-D projection is
        clustered by euclidean distance): points within ``eps`` of each other are neighbours,
        so ``eps`` is a distance cutoff of the model's, wherever it is written. So is one over a
        ``"precomputed"`` matrix in a module that computes cosine distances.
        """
        metric = _clustering_metric(node)
        if not isinstance(metric, ast.Constant):
            return
        # `metric="precomputed"` over a matrix the module builds from cosine distances
        precomputed = metric.value == "precomputed" and "cosine" in self.text.lower
        if metric.value not in ("cosine", "angular") and not precomputed:
            return
        for keyword in node.keywords:
            if keyword.arg in CLUSTERING_RADII:
                self._distance_cutoff(node, keyword.value, keyword.arg)

    def _fitted_on_embeddings(self, fit: ast.Call) -> None:
        """``DBSCAN(eps=eps).fit_predict(np.array(list(centroids.values())))``: a radius.

        A density clustering left at its euclidean metric, fitted on what names embeddings or
        their centroids (not a 2-D projection of them: ``umap_embedding``, ``coords``), keeps
        neighbours within ``eps`` of each other in the model's own space: a distance cutoff of
        the model's, as with ``metric="cosine"``. The clustering is called on the spot or was
        bound to the name fitted (``clusterer = DBSCAN(...)``, then ``clusterer.fit(X)``).
        """
        receiver = fit.func.value if isinstance(fit.func, ast.Attribute) else None
        if isinstance(receiver, ast.Name):
            receiver = self._latest_binding(receiver)
        if not (isinstance(receiver, ast.Call) and call_name(receiver) in CLUSTERING_CALLS):
            return
        if _clustering_metric(receiver) is not None:
            return  # a metric said: `_clustering_radius` judged it
        named = set(words(ast.unparse(fit.args[0])))
        if not named & _EMBEDDED or named & _PROJECTED:
            return
        for keyword in receiver.keywords:
            if keyword.arg in CLUSTERING_RADII:
                self._distance_cutoff(receiver, keyword.value, keyword.arg)

    def _tree_cut(self, node: ast.Call) -> None:
        """``fcluster(linkage(pdist(X, "cosine")), t=0.1, criterion="distance")``: a cutoff.

        Members of a flat cluster cut from the tree are within ``t`` of each other; with the
        tree built from cosine distances (a ``"cosine"`` metric in the same function, or
        ``fclusterdata``'s own), ``t`` is a distance cutoff of the model's.
        """
        given = {k.arg: k.value for k in node.keywords}
        t = given.get("t", node.args[1] if len(node.args) > 1 else None)
        criterion = given.get("criterion", node.args[2] if len(node.args) > 2 else None)
        if t is None or not (isinstance(criterion, ast.Constant) and criterion.value == "distance"):
            return
        function = self.scope.function_scope()
        body = function.node if function is not None else node
        if any(
            isinstance(c, ast.Constant) and c.value in ("cosine", "angular") for c in walk(body)
        ):
            self._distance_cutoff(node, t, "t")

    def _distance_cutoff(self, node: ast.Call, radius: ast.expr, argument: str) -> None:
        """A clustering call's ``radius``, a cosine distance cutoff, as a use of what gives it."""
        # in a module that clusters TF-IDF vectors, the cosine distances are term weights'
        lexical = self.scope.context_origin in (Origin.KEYWORD, Origin.STRING)
        origin = self.scope.context_origin if lexical else Origin.SIMILARITY
        direction, metric = Direction.BELOW, Metric.DISTANCE
        similarity = self._complement(radius)
        if similarity is not None:  # `eps=1 - threshold`: the threshold is a similarity
            radius, direction, metric = similarity, Direction.ABOVE, Metric.SIMILARITY
        literal = literal_node(radius)
        if literal is not None:  # this call's own radius, not every call's `eps`
            slot = f"c:{self.path}:{literal.lineno}:{literal.col_offset + 1}"
            self._value(slot, literal, Kind.KEYWORD, argument, self.scope.words, node)
            slots = [slot]
        else:
            slots = self.scope.sources(radius)
        for slot in slots:
            use = Use(
                slot, direction, metric, origin, self.path, node.lineno,
                f"{call_name(node)}({argument})",
            )  # fmt: skip
            self.facts.uses.append(use)

    def _complement(self, expr: ast.expr) -> ast.expr | None:
        """``x`` of ``1 - x``, written there or bound to the name read there (else ``None``)."""
        expr = self._bound_value(expr)
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Sub) and number(expr.left) == 1:
            return expr.right
        return None

    def _complemented_setting(self, value: ast.expr) -> ast.Name | ast.Attribute | None:
        """``eps`` of ``1 - eps`` (there or bound): a setting compared as a complement."""
        inner = self._complement(value) if isinstance(value, ast.BinOp) else None
        return inner if isinstance(inner, ast.Name | ast.Attribute) else None

    def visit_dict(self, node: ast.Dict) -> None:
        call = next((p for p in reversed(self.stack) if isinstance(p, ast.Call)), None)
        section = self._section(node)
        for key, value in zip(node.keys, node.values, strict=True):
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                slot = f"k:{key.value}"
                self._written(
                    slot, value, Kind.KEYWORD, key.value, self.scope.words, call=call,
                    origin=section,
                )  # fmt: skip
        declared = _declared_option(node) or _schema_property(node, self.stack)
        if declared is not None:  # `{"name": "threshold", "type": float, "default": 0.8}`
            name, default = declared
            for slot in (f"k:{name}", f"a:*.{name}"):  # read back as `args.threshold`
                self._written(slot, default, Kind.DEFAULT, name, self.scope.words)
        self.generic_visit(node)

    def _section(self, node: ast.Dict) -> Origin | None:
        """What the key a mapping sits under says its settings are for, as a config section's.

        ``{"last_name_levenshtein": {"threshold": 0.6}}``: that threshold bounds an edit
        distance's ratio; ``{"bm25": {"min_score": 2.0}}`` a keyword rank. ``None``: the key
        says nothing (``"dense"``), or the mapping sits under no key.
        """
        key = _parent_key(node, self.stack)
        if key is None:
            return None
        origin = origin_of_context(words(key))
        return origin if origin in NOT_SIMILARITY else None

    def visit_constant(self, node: ast.Constant) -> None:
        if not isinstance(node.value, str):
            return
        parent = self.stack[-1] if self.stack else None
        if isinstance(parent, ast.Expr):  # docstrings and bare strings are prose
            return
        if looks_like_sql(node.value):
            self._sql(written_text(node, self.lines), node.lineno)
        elif node.value.lstrip()[:1] in ("{", "["):
            # each number on its part's line; as one line where the parts split a JSON string
            written = written_text(node, self.lines)
            found = scan_embedded_json(written, self.path, node.lineno)
            if not found and written != node.value:
                found = scan_embedded_json(node.value, self.path, node.lineno)
            self.facts.values.extend(found)

    def visit_compare(self, node: ast.Compare) -> None:
        sides = [node.left, *node.comparators]
        for left, op, right in zip(sides[:-1], node.ops, sides[1:], strict=True):
            for score_side, value_side, on_left in ((left, right, True), (right, left, False)):
                self._compared(node, op, score_side, value_side, on_left=on_left)
        self.generic_visit(node)

    def visit_binop(self, node: ast.BinOp) -> None:
        """``sigmoid((sim - scenario.threshold) / softness)``: a soft cutoff on a similarity.

        A threshold-named setting taken from a similarity is where the score stands against
        it: on the model's scale, as in a comparison, whatever follows.
        """
        right = node.right
        if isinstance(node.op, ast.Sub) and isinstance(right, (ast.Name, ast.Attribute)):
            slots = self._threshold_slots(right)
            score = score_expr(node.left) if slots else None
            if score is not None:
                found, shown = traced_origin(self.scope, node.left)
                if shown and found is Origin.SIMILARITY:
                    kept = NATURAL_DIRECTION.get(score.metric, Direction.UNKNOWN)
                    for slot in slots:
                        self.facts.uses.append(
                            Use(slot, kept, score.metric, found, self.path, node.lineno,
                                score.identifier)
                        )  # fmt: skip
        self.generic_visit(node)

    def _set_from_a_setting(self, expr: ast.expr) -> bool:
        """``self.gallery_dupe_cos``, set from a setting: no second score.

        An attribute named like a score (``dupe_cos``) that the constructor takes from a
        literal, a parameter or a config getter (``float(cfg.get("gallery_dupe_cos", 0.995))``)
        is a bound that scores are compared with; so is one another method takes from a
        parameter with a default (``def pre_train(self, min_similarity_zeroshot=0.8)``): a
        running best is set from a score computed there, not from a setting's default.
        """
        if not (
            isinstance(expr, ast.Attribute)
            and isinstance(expr.value, ast.Name)
            and expr.value.id == "self"
        ):
            return False
        owner = next((s.node for s in reversed(self.scopes) if s.kind == "class"), None)
        methods = [
            s for s in getattr(owner, "body", [])
            if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))
        ]  # fmt: skip
        return any(self._sets_from_setting(method, expr.attr) for method in methods)

    def _static_text(self, expr: ast.expr, depth: int = 1) -> str | None:
        """A string key's text; an f-string's with what each name it formats was set to.

        ``f"{distance_col_name}__lte"`` after ``distance_col_name = f"distance_{i}"`` reads
        ``distance_i__lte``; a name set to nothing known stands for itself.
        """

        def formatted(value: ast.expr) -> str:
            if not isinstance(value, ast.Name):
                return "x"
            bound = self._latest_binding(value) if depth > 0 else None
            text = self._static_text(bound, depth - 1) if bound is not None else None
            return text if text is not None else value.id

        return _query_text(expr, formatted)

    def _read_from_a_setting(self, expr: ast.expr) -> bool:
        """``similarity``, after ``similarity = getattr(settings, "SEARCH_SIMILARITY", 0.7)``.

        A local named like a score that was read from a getter with a fallback (a config
        mapping, the environment, a settings object) is the bound scores are compared with;
        not a record's score with a stand-in for a missing one (``hit.get("score", 0)``).
        """
        if not isinstance(expr, ast.Name):
            return False
        bound = self._latest_binding(expr)
        bound = _converted_from(bound) if bound is not None else None
        if not isinstance(bound, ast.Call):
            return False
        getter = self.scope.getter(bound)
        fallback = number(numeric_string(getter[1])) if getter and getter[1] else None
        return fallback is not None and fallback != 0.0

    def _sets_from_setting(self, method: ast.FunctionDef | ast.AsyncFunctionDef, attr: str) -> bool:
        """Whether ``method`` sets ``self.attr`` from a setting.

        A parameter (one with a default, outside the constructor); in the constructor, a
        literal or a config getter too.
        """
        init = method.name == "__init__"
        params = {
            name for name, default, _ in parameters(method.args)
            if init or literal_node(default) is not None
        }  # fmt: skip
        for node in walk(method):
            if isinstance(node, ast.Assign):
                targets, value = node.targets, node.value
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                targets, value = [node.target], node.value
            else:
                continue
            if not any(
                isinstance(t, ast.Attribute) and t.attr == attr and root_name(t) == "self"
                for t in targets
            ):
                continue
            while (
                isinstance(value, ast.Call) and call_name(value) in ("float", "int") and value.args
            ):
                value = value.args[0]
            if (isinstance(value, ast.Name) and value.id in params) or (
                init
                and (
                    literal_node(value) is not None
                    or (isinstance(value, ast.Call) and self.scope.getter(value) is not None)
                )
            ):
                return True
        return False

    def _seeded_best(self, best: ast.expr, score: ast.expr, line: int) -> bool:
        """Whether a running best score starts from a threshold (``best_sim = threshold``).

        ``best_cosine_sim = threshold`` before a loop keeping ``cosine_sim > best_cosine_sim``
        and then ``best_cosine_sim = cosine_sim``: no match below the threshold, so the
        comparison bounds scores with it. A running best that starts from another score is no
        cutoff, nor is the score the best is taken from.
        """
        if not (isinstance(best, ast.Name) and isinstance(score, ast.Name)):
            return False
        scope = self.scope.function_scope()
        bindings = scope.assigned().get(best.id, []) if scope is not None else []
        if not bindings or bindings[0][0] >= line:
            return False
        if not any(isinstance(v, ast.Name) and v.id == score.id for _, v in bindings[1:]):
            return False  # not a running best of this score
        first = bindings[0][1]
        if literal_node(first) is not None:
            return True
        return isinstance(first, (ast.Name, ast.Attribute)) and score_expr(first) is None

    def _bound_score(self, expr: ast.expr) -> ScoreExpr | None:
        """``max_similarity`` bound from ``np.max(np.dot(a, b))``: a score, not a bound.

        A ``min_``/``max_`` name is read as a threshold's (``max_distance``) unless it was
        computed here from a similarity (the best of several, as often as not). So is a sum
        with such a score (``top + bonus >= gate`` after ``top = max(r.score for r in hits)``).
        """
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
            return self._bound_score(expr.left) or self._bound_score(expr.right)
        if not isinstance(expr, ast.Name):
            return None
        best = self._best_of_scores(expr)
        if best is not None:
            return best
        metric = metric_of(words(expr.id))
        if metric is Metric.UNKNOWN:
            return (
                self._element_of_scores(expr)
                or self._zipped_element(expr)
                or self._read_field(expr)
                or self._searched_scores(expr)
            )
        if score_origin(self.scope, expr) is not Origin.SIMILARITY:
            return None
        return ScoreExpr(expr.id, metric)

    def _score_of(self, score_side: ast.expr, value_side: ast.expr) -> ScoreExpr | None:
        """The score on one side of a comparison, if it holds one.

        A constant is the setting, whatever its name, where the other side is read at run
        time: in ``max_sim > self.HIGH_CONFIDENCE_SIMILARITY``, after ``max_sim =
        features.get("max_similarity", 0.0)``, the score is the measured ``max_sim``.
        """
        if _constant(score_side) and not (_constant(value_side) or literal_node(value_side)):
            return None
        if _constant(value_side):
            measured = self._measured(score_side)
            if measured is not None:
                return measured
        score = score_expr(score_side) or self._bound_score(score_side)
        if score is None and literal_node(value_side) is not None:
            score = self._computed_binding(score_side)
        if score is None and isinstance(value_side, (ast.Name, ast.Attribute, ast.Constant)):
            score = self._computed_element(score_side) or self._hit_by_position(score_side)
        return score

    def _measured(self, expr: ast.expr) -> ScoreExpr | None:
        """``max_sim`` after ``max_sim = features.get("max_similarity", 0.0)``: a measured score.

        A local named for a score, with a bound word or not, read from a record's field (a
        features mapping, a row, a hit): not from settings (``cfg.get("min_score")``, kwargs).
        """
        if not isinstance(expr, ast.Name) or not set(words(expr.id)) & SCORE_WORDS:
            return None
        bound = self._latest_binding(expr)
        bound = _converted_from(bound) if bound is not None else None
        read = record_field(bound) if bound is not None else None
        if read is None:
            return None
        record, key = read
        name = value_name(record) if record is not None else None
        if not (
            name
            and set(words(key)) & SCORE_WORDS
            and not set(words(name)) & (SETTINGS_WORDS | _ARGUMENT_WORDS)
        ):
            return None
        return ScoreExpr(expr.id, metric_of(words(key)))

    def _hit_by_position(self, expr: ast.expr) -> ScoreExpr | None:
        """``results[0][1] < 0.95`` after ``results = self._hnsw_search(q, k)``: a hit's score.

        A field of a search's hit read by its position (an ``(id, score)`` row), compared with
        a number or a setting, is the score the search ranked it by.
        """
        if not (
            isinstance(expr, ast.Subscript)
            and isinstance(expr.slice, ast.Constant)
            and type(expr.slice.value) is int
            and expr.slice.value > 0  # `hits[0]` is the best hit, not a field of one
            and isinstance(expr.value, (ast.Name, ast.Subscript))
        ):
            return None
        if not from_search(self.scope, expr.value):
            return None
        return ScoreExpr(ast.unparse(expr), Metric.SIMILARITY)

    def _computed_element(self, expr: ast.expr) -> ScoreExpr | None:
        """``row[best] >= confidence`` after ``row = closest[i, :]``, ``closest = cdist(a, b)``.

        An element of a matrix of similarities computed here, reached through the names its
        rows and columns are bound to, is a similarity by any name, against a number or a
        setting alike (a setting, not arithmetic: ``wz <= self.min_curvature * wMw`` is an
        optimiser's relative test). So is the best of a row (``s[i].max()``, ``np.max(s[i])``).
        """
        shown = ast.unparse(expr)
        expr = _reduced(expr)
        if not isinstance(expr, ast.Subscript):
            return None
        for _, bound in self._indexed_back(expr, 4):
            if bound is not None and _computed_similarity(bound):
                return ScoreExpr(shown, _computed_metric(bound))
            if not isinstance(bound, ast.Subscript):
                return None
        return None

    def _indexed_back(
        self, expr: ast.expr, steps: int
    ) -> Iterator[tuple[ast.Name, ast.expr | None]]:
        """Each name ``expr`` indexes and what it was bound to, followed back ``steps`` times.

        ``row[best]`` after ``row = closest[i, :]``: ``row`` and ``closest[i, :]``, then
        ``closest`` and what it was computed by; it stops at a name bound to nothing here.
        """
        for _ in range(steps):
            while isinstance(expr, ast.Subscript):
                expr = expr.value
            if not isinstance(expr, ast.Name):
                return
            bound = self._latest_binding(expr)
            yield expr, bound
            if bound is None:
                return
            expr = bound

    def _computed_binding(self, expr: ast.expr) -> ScoreExpr | None:
        """``weight = float(np.dot(a, b))``, then ``weight > 0.15``: a similarity by any name.

        Only against a number: a setting scaled by what was computed (``wz <= self.min_curvature
        * wMw``) is an optimiser's relative test. A ``cosine_distance(a, b)`` is a distance.
        """
        if not isinstance(expr, ast.Name):
            return None
        bound = self._latest_binding(expr)
        if bound is not None and self._score_margin(bound):
            return ScoreExpr(expr.id, Metric.SIMILARITY)
        if bound is None or not _computed_similarity(bound):
            return None
        return ScoreExpr(expr.id, _computed_metric(bound))

    def _score_margin(self, bound: ast.expr, hops: int = 1) -> bool:
        """``gap = hits[0]["score"] - hits[1]["score"]``: the margin between two similarities.

        A difference of two similarity scores (rounded or converted, or a name bound to one:
        ``gap_rounded = round(gap, 3)``) is on the model's scale, and so is the number it is
        compared with: how clear the best match must be.
        """
        while (
            isinstance(bound, ast.Call)
            and call_name(bound) in (*CONVERSIONS, "abs")
            and len(bound.args) >= 1
        ):
            bound = bound.args[0]
        if isinstance(bound, ast.Name) and hops > 0:
            again = self._latest_binding(bound)
            return again is not None and self._score_margin(again, hops - 1)
        if not (isinstance(bound, ast.BinOp) and isinstance(bound.op, ast.Sub)):
            return False
        sides = [score_expr(side) for side in (bound.left, bound.right)]
        return all(
            side is not None and side.metric is Metric.SIMILARITY for side in sides
        ) and ast.dump(bound.left) != ast.dump(bound.right)

    def _best_of_scores(self, name: ast.Name) -> ScoreExpr | None:
        """``min_dist = min(distances)``, ``closest = np.max(sims)``: the best of scores.

        Of a generator too: ``top = max(r.score for r in ranked)``.

        The lowest of the distances (the highest of the similarities) a search gave is a score
        of the nearest hit, whatever the name it is bound to says.
        """
        call = self._latest_binding(name)
        if not isinstance(call, ast.Call) or call_name(call) not in BEST_OF:
            return None
        if call.args:
            scores = call.args[0]
        elif isinstance(call.func, ast.Attribute):
            scores = call.func.value  # `sims.max()`
        else:
            return None
        if isinstance(scores, (ast.GeneratorExp, ast.ListComp)):
            scores = scores.elt  # `top = max(r.score for r in ranked)`: the best hit's score
        return score_expr(scores)

    def _element_of_scores(self, name: ast.Name) -> ScoreExpr | None:
        """``x`` in ``[x >= self.threshold for x in scores]``: an element of scores.

        Of the scores a function is handed (a parameter), or of similarities computed here
        (``for i, s in enumerate(sims)`` after ``sims = _embedding_similarities(pairs)``);
        other scores computed here (``[m.quality_score for m in memories]``) are not.
        """
        bound = self._latest_binding(name)
        if bound is None:
            return None
        return self._handed_or_computed(bound)

    def _read_field(self, name: ast.Name) -> ScoreExpr | None:
        """``raw`` after ``raw = top["score"]``: one record's score field, under another name.

        Compared as ``top["score"]`` itself would be; a field of many scores
        (``hit.similarities``) is not one score.
        """
        bound = self._latest_binding(name)
        field = _field_name(bound) if bound is not None else None
        if field is None or field.lower().endswith("s"):
            return None
        assert bound is not None
        record = bound.func if isinstance(bound, ast.Call) else bound
        assert isinstance(record, (ast.Subscript, ast.Attribute))
        if not (self._handed_record(record.value) or from_search(self.scope, record.value)):
            return None  # `exposure_score(img).score`: a measure computed here, not a hit's
        return score_expr(bound)

    def _searched_scores(self, name: ast.Name) -> ScoreExpr | None:
        """``Dq`` of ``Dq, Iq = index.search(Q, k)``: the scores a search returns first.

        A vector index's search (faiss's, and the clients shaped like it) returns the scores
        (or distances) and the ids as a pair, scores first, whatever the names.
        """
        around = self.scope.function_scope()
        if around is None:
            return None
        found = self._search_pairs.get(id(around.node))
        if found is None:
            found = self._search_pairs[id(around.node)] = _search_pairs(around.node)
        line = found.get(name.id)
        return ScoreExpr(name.id, Metric.UNKNOWN) if line and line <= name.lineno else None

    def _handed_record(self, record: ast.expr) -> bool:
        """Whether ``record`` is one of what the function is handed (``top = results[0]``)."""
        return any(self.scope.is_parameter(name) for name, _ in self._indexed_back(record, 3))

    def _handed_or_computed(self, scores: ast.expr) -> ScoreExpr | None:
        """The score ``scores`` names, if a parameter's or similarities computed here.

        What names no score is not followed back to a search.
        """
        score = score_expr(scores)
        if score is not None and (
            self.scope.is_parameter(scores) or score_origin(self.scope, scores) is Origin.SIMILARITY
        ):
            return score
        return None

    def _zipped_element(self, name: ast.Name) -> ScoreExpr | None:
        """``s`` of ``for s, doc in ranked[:k]`` after ``ranked = sorted(zip(sims, docs))``.

        A loop's target unpacked from records that ``zip`` built is the zipped iterable at its
        place, through ``sorted``, ``list``, slices and the names the records are bound to: of
        the scores a function is handed or of similarities computed here, as an element is.
        """
        for loop in reversed(self.stack):
            if not (
                isinstance(loop, (ast.For, ast.AsyncFor, ast.comprehension))
                and isinstance(loop.target, ast.Tuple)
            ):
                continue
            names = [e.id if isinstance(e, ast.Name) else "" for e in loop.target.elts]
            if name.id not in names:
                continue
            at, records = names.index(name.id), self._built_from(loop.iter)
            if not (
                isinstance(records, ast.Call)
                and call_name(records) == "zip"
                and len(records.args) == len(names)
                and not any(isinstance(a, ast.Starred) for a in records.args)
            ):
                return None
            score = self._handed_or_computed(records.args[at])
            return ScoreExpr(name.id, score.metric) if score is not None else None
        return None

    def _built_from(self, records: ast.expr) -> ast.expr | None:
        """What a loop's records were made by: back through slices, ``sorted`` and names."""
        anchor: ast.expr | None = records
        for _ in range(_ZIP_STEPS):
            if isinstance(anchor, ast.Subscript) and isinstance(anchor.slice, ast.Slice):
                anchor = anchor.value
            elif isinstance(anchor, ast.Call) and call_name(anchor) in _ORDERINGS:
                anchor = anchor.args[0] if anchor.args else None
            elif isinstance(anchor, ast.Name):
                anchor = self._latest_binding(ast.copy_location(ast.Name(anchor.id), records))
            else:
                break
        return anchor

    def _latest_binding(self, name: ast.Name) -> ast.expr | None:
        """What ``name`` was last bound to in its function before it is read here, if anything."""
        return self.scope.latest_binding(name.id, name.lineno)

    def visit_tuple(self, node: ast.Tuple) -> None:
        """``("cosine_sim_score", ">=", 1.0 - self.eps)``: a filter, as a comparison.

        pyarrow's and pandas' ``read_parquet(filters=[...])`` (and the query builders that
        copy them) take a column, an operator and a value: a comparison of that column.
        """
        elts = node.elts
        if len(elts) == len(("column", "operator", "value")):
            column, operator, value = elts
            op = _FILTER_OPS.get(operator.value) if isinstance(operator, ast.Constant) else None
            named = isinstance(column, ast.Constant) and isinstance(column.value, str)
            if op is not None and named:
                assert isinstance(column, ast.Constant)
                field = ast.copy_location(ast.Name(str(column.value), ast.Load()), column)
                compare = ast.copy_location(ast.Compare(field, [op], [value]), node)
                self._compared(compare, op, field, value, on_left=True)
        self.generic_visit(node)

    def _orm_lookup(self, lookup: str, value: ast.expr) -> None:
        """``filter(distance__lte=max_distance)``: an ORM's comparison of a field, as ``<=``.

        Django's lookups (and Tortoise's, Peewee's): ``field__lt``, ``__lte``, ``__gt``,
        ``__gte``; a comparison with a score when the field's name is one.
        """
        match = _ORM_LOOKUP.fullmatch(lookup)
        assert match is not None
        field = ast.copy_location(ast.Name(match.group(1), ast.Load()), value)
        op = _ORM_OPS[match.group(2)]
        node = ast.copy_location(ast.Compare(field, [op], [value]), value)
        self._compared(node, op, field, value, on_left=True)

    # -- comparisons -------------------------------------------------------------------
    def _compared(
        self,
        node: ast.Compare,
        op: ast.cmpop,
        score_side: ast.expr,
        value_side: ast.expr,
        *,
        on_left: bool,
    ) -> None:
        if isinstance(value_side, (ast.BoolOp, ast.IfExp)):
            # `score >= (similarity_threshold or 0.95)`: each alternative is compared
            parts = (
                value_side.values
                if isinstance(value_side, ast.BoolOp)
                else [value_side.body, value_side.orelse]
            )
            for part in parts:
                self._compared(node, op, score_side, part, on_left=on_left)
            return
        score = self._score_of(score_side, value_side)
        if score is None:
            self._compared_with_unscored(node, op, score_side, value_side, on_left=on_left)
            return
        # `score < nvembed_threshold * positive_score`: the setting, relative to a score
        value_side = self._relative_setting(value_side) or value_side
        if self._second_score(value_side, score_side, node.lineno):
            return  # two scores compared (a running best), unless one is a setting
        condition = condition_direction(op, on_left)
        if condition is None:
            return
        parents = [node, *reversed(self.stack)][1:]
        kept = kept_direction(condition, parents)
        counted = isinstance(score_side, ast.Name) and self.scope.counted(
            score_side.id, node.lineno
        )
        origin, shown = (Origin.COUNT, True) if counted else traced_origin(self.scope, score_side)
        if origin is Origin.UNKNOWN:
            origin = _origin_by_name(score.identifier)
        literal = literal_node(value_side)
        if counted and literal is not None:
            return  # a ratio of counts compared with a number: nothing to recalibrate
        if literal is None:
            contextual = origin is self.scope.context_origin and not shown
            # `top_score >= HIGH` in `def _confidence(top_score)`: its callers may show more
            param = None if shown or counted else self._compared_parameter(score_side)
            self._compared_setting(
                node, score_side, value_side, score, kept, origin, contextual=contextual,
                param=param,
            )  # fmt: skip
            return
        amount = number(literal)
        assert amount is not None
        searched = (
            amount == 0.0
            and not self._clamped_at_zero(score_side)
            and (
                (per_item(parents, score_side) and len(node.ops) == 1)
                or from_search(self.scope, score_side)
            )
        )
        scale = (
            percent_scale(self.scope, score_side)
            if amount > 1.0
            and score.metric is Metric.SIMILARITY
            and (origin is Origin.SIMILARITY or specific(score.identifier))
            else 1.0
        )
        confidence, reason = judge_literal(
            amount, literal, score, origin, parents, score_side, searched=searched, scale=scale
        )
        self._finding(literal, amount, kept, score.metric, confidence, reason)
        if origin not in NOT_SIMILARITY:
            self._compared_for_the_linker(literal, score_side, shown=shown)

    def _clamped_at_zero(self, score: ast.expr) -> bool:
        """``relevance = max(0.0, min(1.0, r))`` then ``if relevance <= 0.0``: the clamp's test.

        A score bound just before to ``max(0, ...)`` or ``np.clip(x, 0, ...)`` is at zero where
        the clamp put it: comparing it with zero drops nothing the model decided.
        """
        call = self._latest_binding(score) if isinstance(score, ast.Name) else None
        if not isinstance(call, ast.Call):
            return False
        name = call_name(call)
        if name == "max":
            return any(number(a) == 0.0 for a in call.args)
        return name == "clip" and len(call.args) >= 2 and number(call.args[1]) == 0.0

    def _second_score(self, value: ast.expr, score: ast.expr, line: int) -> bool:
        """Whether ``value`` is a score too (a running best), not a setting named like one."""
        return (
            score_expr(value) is not None
            and not self.scope.is_parameter(value)
            and not _configured(value)
            and not self._set_from_a_setting(value)
            and not self._read_from_a_setting(value)
            and not self._seeded_best(value, score, line)
        )

    def _relative_setting(self, value: ast.expr) -> ast.expr | None:
        """``threshold`` in ``score < threshold * positive_score`` or ``pos_sim - margin``.

        A threshold-named setting scaling or shifting another score is a cutoff relative to
        that score, on the same model's scale; arithmetic of scores alone is not.
        """
        if not (isinstance(value, ast.BinOp) and isinstance(value.op, (ast.Mult, ast.Sub))):
            return None
        for setting, other in ((value.left, value.right), (value.right, value.left)):
            if isinstance(value.op, ast.Sub) and setting is value.left:
                continue  # `threshold - score` is no cutoff on score
            if score_expr(other) is None or score_expr(setting) is not None:
                continue
            if any(says_threshold(slot_name(s)) for s in self.scope.sources(setting)):
                return setting
        return None

    def _compared_setting(
        self,
        node: ast.Compare,
        score_side: ast.expr,
        value_side: ast.expr,
        score: ScoreExpr,
        kept: Direction,
        origin: Origin,
        *,
        contextual: bool,
        param: str | None = None,
    ) -> None:
        """A score compared with a setting (not a number written there): the setting's use.

        ``contextual``: the score's origin is only the words of the code around it; ``param``:
        the function's parameter the score is, for the linker to ask what callers hand it.

        ``cosine_sim_score >= 1.0 - self.eps`` keeps a distance of at most ``eps``; not a
        collinearity test (``abs(cos) >= 1 - eps``: parallel either way, within slack).
        """
        callee = imported_callee(self.scope, score_side)
        inner = self._complemented_setting(value_side)
        absolute = isinstance(score_side, ast.Call) and call_name(score_side) in ("abs", "fabs")
        complement = inner is not None and score.metric in _FLIPPED and not absolute
        if complement:
            assert inner is not None
            value_side, kept = inner, OPPOSITE.get(kept, kept)
        metric = _FLIPPED[score.metric] if complement else score.metric
        scale = percent_scale(self.scope, score_side)
        for slot in self.scope.sources(value_side):
            use = Use(
                slot, kept, metric, origin, self.path, node.lineno, score.identifier, callee,
                scale, complement, contextual, param,
            )  # fmt: skip
            self.facts.uses.append(use)

    def _compared_parameter(self, score: ast.expr) -> str | None:
        """The slot of the enclosing function's parameter the score is, or is read from.

        ``top_score`` of ``def _confidence(top_score)``; ``candidates`` of ``def route(self,
        q, candidates)``, where ``score = top.get("score", 0)`` after ``top = candidates[0]``.
        """
        if isinstance(score, ast.Name):
            slot = self.scope.resolve(score.id)
            if slot is not None and slot.startswith("p:"):
                return slot
            score = self._latest_binding(score) or score
        while isinstance(score, ast.BoolOp) and score.values:  # `top.get("score") or 0.0`
            score = score.values[0]
        if isinstance(score, ast.Call) and call_name(score) == "get":
            score = score.func
        if not isinstance(score, (ast.Attribute, ast.Subscript)):
            return None
        for name, _ in self._indexed_back(score.value, 3):
            slot = self.scope.resolve(name.id)
            if slot is not None and slot.startswith("p:"):
                return slot
        return None

    def _compared_for_the_linker(
        self, literal: ast.expr, score_side: ast.expr, *, shown: bool
    ) -> None:
        """A number compared with what other modules show better: for the linker to judge.

        ``score > 0.85`` after ``_, score = find_similar(q)[0]``: what ``find_similar``'s own
        module shows it returns (a word overlap) beats its name. ``score < 0.65`` in ``def
        is_noise(text, score)``, where the code shows nothing of ``score``: what its callers
        hand it (an OCR line's ``line.score``).
        """
        place = (self.path, literal.lineno, literal.col_offset + 1)
        callee = imported_callee(self.scope, score_side)
        if callee is not None:
            self.facts.compared.append((*place, callee))
        param = None if shown else self._compared_parameter(score_side)
        if param is not None:
            self.facts.compared.append((*place, param))

    def _compared_with_unscored(
        self, node: ast.Compare, op: ast.cmpop, other: ast.expr, value: ast.expr, *, on_left: bool
    ) -> None:
        """A setting compared with something not named as a score: an outcome, or followed."""
        if not self._compared_with_outcome(node, other, value):
            self._compared_unnamed(node, op, other, value, on_left=on_left)

    def _compared_with_outcome(self, node: ast.Compare, other: ast.expr, value: ast.expr) -> bool:
        """``run.success_score < score_threshold``: a threshold name bounding no similarity.

        Recorded as evidence against the slot, so that its name alone does not report it;
        whether ``other`` was such an outcome.
        """
        name = outcome_name(other)
        origin = Origin.OTHER
        if name is None and isinstance(other, ast.Call):
            # `jaccard(tokens, seen) >= similarity_threshold`: a word-set or string ratio, by
            # its name or where it comes from (`SequenceMatcher(None, a, b).ratio()`)
            origin = classify(words(call_name(other)))
            if origin not in (Origin.STRING, Origin.KEYWORD):
                origin = traced_origin(self.scope, other)[0]
            name = call_name(other) if origin in (Origin.STRING, Origin.KEYWORD) else None
        if name is None:
            return False
        # any name of a bound (`min_similarity`, `min_score`), not only a threshold's
        bounds = [s for s in self.scope.sources(value) if threshold_name(slot_name(s)).strength > 0]
        for slot in bounds:
            self.facts.uses.append(
                Use(slot, Direction.UNKNOWN, Metric.UNKNOWN, origin, self.path, node.lineno, name)
            )
        return True

    def _compared_unnamed(
        self, node: ast.Compare, op: ast.cmpop, other: ast.expr, value: ast.expr, *, on_left: bool
    ) -> None:
        """``raw < self.vector_threshold``: a threshold name bounding what ``raw`` was bound to.

        Whatever its name, the other side is followed back to where it was computed: a
        similarity (``raw = await self.vector_scorer.score(a, b)``) is evidence for the slot,
        a count, a model's score or a string ratio (``cv = self._sentence_length_cv(text)``)
        evidence against; what only the surrounding class says is no evidence either way.
        Similarities computed in the comparison itself (``(V @ t) >= AGREES``), or in what the
        compared name was last bound to (``S = E @ E.T`` before ``S >= candidate_cos``), make
        any constant, parameter or attribute they are compared with a cutoff, whatever its name;
        for the latter, only one compared bare: a setting scaled by what was computed
        (``wz <= self.min_curvature * wMw``, ``g @ d >= -10.0 * EPS * n``) is a relative test of
        an optimiser, not a similarity's cutoff. One compared as a complement (``S >= 1 - eps``,
        SemDeDup's) is the greatest distance kept.
        """
        inner = self._complemented_setting(value)
        complement = inner is not None
        if inner is not None:
            value = inner
        slots = self._threshold_slots(value)
        bare = isinstance(value, ast.Name | ast.Attribute)
        bound = self._latest_binding(other) if bare and isinstance(other, ast.Name) else None
        computed = _computed_similarity(other) or (
            bound is not None and (_computed_similarity(bound) or self._computed_upstream(bound))
        )
        measured = bare and self._measured_here(other)
        if not slots and not computed and not measured:
            return
        found = follow(self.scope, other, DEPTH, set(), node.lineno)
        if computed or measured:
            # `(V @ t) >= AGREES`: similarities computed here, whatever bounds them; so is
            # `min_dist > eps` after `for min_dist, ... in candidates`, a distance found here
            slots = [s for s in self.scope.sources(value) if s[:2] in ("g:", "p:", "a:")]
        if found is Origin.SIMILARITY:
            condition = condition_direction(op, on_left)
            if condition is None:
                return
            kept = kept_direction(condition, [node, *reversed(self.stack)][1:])
            if complement:  # a similarity at least 1 - eps: a distance at most eps
                kept = OPPOSITE.get(kept, kept)
        elif found in NOT_SIMILARITY:
            kept = Direction.UNKNOWN
        else:
            return
        metric = Metric.UNKNOWN
        if found is Origin.SIMILARITY:
            metric = _unnamed_metric(
                other, complement=complement, measured=measured, computed=computed
            )
        shown = value_name(other) or ast.unparse(other)[:40]
        for slot in slots:
            use = Use(
                slot, kept, metric, found, self.path, node.lineno, shown, complement=complement
            )
            self.facts.uses.append(use)

    def _computed_upstream(self, bound: ast.expr, steps: int = 3) -> bool:
        """Whether ``bound`` reads a product of embeddings computed a few bindings back.

        ``tv = float(topv[i].item())`` after ``topv, _ = logits.max(dim=1)`` and ``logits =
        img_feats @ text_feats.T``, compared with ``params.min_top``: that setting bounds a
        similarity, whatever its name. Conversions, the best of several (``max``), an element
        and a difference of two such (``topv[i] - secondv[i]``, the margin over the runner-up)
        are the similarity still.
        """
        for _ in range(steps):
            bound = _read_out(bound)
            if _computed_similarity(bound):
                return True
            found = self._latest_binding(bound) if isinstance(bound, ast.Name) else None
            if found is None:
                return False
            bound = found
        return False

    def _measured_here(self, other: ast.expr) -> bool:
        """``min_dist`` bound in this function: a score found here, not a setting.

        A name of a setting (``min_similarity``) says it bounds scores; a local of that shape
        (``for min_dist, ref, label in candidates``) holds one, and what it is compared with
        is followed back to see whether it is a similarity's.
        """
        return (
            isinstance(other, ast.Name)
            and bool(set(words(other.id)) & SCORE_WORDS)
            and (self.scope.resolve(other.id) or "").startswith("l:")
        )

    def _threshold_slots(self, value: ast.expr) -> list[str]:
        """The threshold-named settings ``value`` reads (``self.vector_threshold``)."""
        return [s for s in self.scope.sources(value) if says_threshold(slot_name(s))]

    # -- strings -----------------------------------------------------------------------
    def _query_string(self, node: ast.expr) -> None:
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
            return
        try:
            expression = ast.parse(node.value.strip(), mode="eval")
        except SyntaxError:
            self._sql(written_text(node, self.lines), node.lineno)
            return
        for inner in walk(expression):
            if isinstance(inner, ast.Compare):
                ast.increment_lineno(inner, node.lineno - 1)
                self.visit_compare(inner)

    def _sql(self, text: str, line: int) -> None:
        findings, bounds = read_sql(text, self.path, first_line=line, language="python")
        self.findings.extend(findings)
        for bound in bounds:  # `WHERE score >= $threshold`, run with `{"threshold": 0.95}`
            if not bound.name.startswith(POSITIONAL):  # by position: see _run_query
                self._bound_use(f"k:{bound.name}", bound)

    def _bound_use(self, slot: str, bound: Bound, *, computed: bool = False) -> None:
        """What a query's parameter compared with a score is handed, as a use of ``slot``.

        ``computed``: the query computes the score from vectors (:func:`_vector_bound`).
        """
        vector = computed or bound.score.startswith("pgvector")  # `1 - (e <=> $1) > :min`
        origin = Origin.SIMILARITY if vector else Origin.UNKNOWN
        self.facts.uses.append(
            Use(slot, bound.direction, bound.metric, origin, self.path, bound.line,
                bound.score.split()[0])
        )  # fmt: skip

    def _run_query(self, node: ast.Call) -> None:
        """``conn.execute(sql, [embedding, threshold])``: arguments by position to ``?``/``$2``.

        The query is a string (or f-string) written there or bound to the name passed; its
        arguments a list or tuple written there or so bound (``params = [...]``), or the
        call's further arguments (asyncpg's ``fetch(sql, vector, threshold)``). Each argument
        compared with a score in the query is a use of what gives it
        (``raw_threshold = threshold * 2.0 - 1.0``: the parameter ``threshold``).
        """
        text = _query_text(self._bound_value(node.args[0]))
        if text is None or not looks_like_sql(text):
            return
        _, bounds = read_sql(text, self.path, first_line=node.lineno, language="python")
        positional = [b for b in bounds if b.name.startswith(POSITIONAL) and _vector_bound(b)]
        if not positional:
            return
        given = self._bound_value(node.args[1]) if len(node.args) == 2 else None
        if isinstance(given, (ast.List, ast.Tuple)):
            arguments = list(given.elts)
        else:
            arguments = list(node.args[1:])
        for bound in positional:
            index = int(bound.name[len(POSITIONAL) :])
            if 0 <= index < len(arguments):
                # pg_trgm's `similarity(a, b)` compares trigrams: no vectors' score
                computed = bound.score.split()[0].lower() not in TRIGRAM_FUNCTIONS
                for slot in self.scope.sources(arguments[index]):
                    self._bound_use(slot, bound._replace(line=node.lineno), computed=computed)

    def _bound_value(self, expr: ast.expr) -> ast.expr:
        """``expr``, or what the name ``expr`` was last bound to in its function."""
        if isinstance(expr, ast.Name):
            bound = self._latest_binding(expr)
            return bound if bound is not None else expr
        return expr

    # -- output ------------------------------------------------------------------------
    def _finding(
        self,
        literal: ast.expr,
        value: float,
        direction: Direction,
        metric: Metric,
        confidence: float,
        reason: str,
    ) -> None:
        self.findings.append(
            Finding(
                self.path,
                literal.lineno,
                value,
                Kind.COMPARISON,
                direction,
                metric,
                confidence,
                self._snippet(literal.lineno),
                library=self.imports.only_library(),
                reason=reason,
                column=literal.col_offset + 1,
            )
        )


def _constant(expr: ast.expr) -> bool:
    """A constant by its name: ``HIGH_SIM``, ``self.COLD_START_SIMILARITY``, ``config.MIN``."""
    name = value_name(expr)
    return name is not None and name.isupper()


_ARGUMENT_WORDS = frozenset({"kwargs", "args", "arguments", "payload", "request", "body", "data"})
"""Words of mappings that hand a function its settings (``kwargs.get("min_score")``)."""


def _configured(expr: ast.expr) -> bool:
    """A setting: a constant (``_HIGH_SIM``, ``self.HIGH_SIM``) or read from a configuration object.

    A setting named like a score (``relevance_score: float = 0.2`` in a config class,
    ``retrieval_config.relevance_score``) is the bound it is compared with, not a second score.
    """
    if _constant(expr):
        return True
    while isinstance(expr, ast.Attribute):
        expr = expr.value
        name = expr.attr if isinstance(expr, ast.Attribute) else getattr(expr, "id", "")
        if set(words(name)) & SETTINGS_WORDS:
            return True
    return False


def _is_static(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in node.decorator_list)


def _is_property(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """``@property``, ``@cached_property``, ``@functools.cached_property``."""
    return any(
        (d.id if isinstance(d, ast.Name) else d.attr if isinstance(d, ast.Attribute) else "")
        in ("property", "cached_property")
        for d in node.decorator_list
    )


def _unread(
    function: ast.FunctionDef | ast.AsyncFunctionDef,
    name: str,
    owner: ast.AST,
    read: Callable[[ast.ClassDef], frozenset[str]],
) -> bool:
    """Whether nothing reads a parameter: not its body, nor the private attribute it is kept in.

    ``similarity_threshold: Not used currently`` in a function that never reads it, or kept
    as ``self._similarity_threshold`` that neither the class nor a base the module defines (a
    mixin) reads, changes nothing. A stub's body (``...``, ``pass``, ``raise
    NotImplementedError``: a signature for others to implement) and a body calling
    ``locals()`` or ``vars()`` read everything. ``read``: the attributes a class reads.
    """
    body = function.body
    if all(isinstance(s, (ast.Expr, ast.Pass, ast.Raise)) for s in body):
        return False
    kept: set[str] = set()
    for statement in body:
        for node in walk(statement):
            if isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Load):
                if not _kept_private(statement, name, kept):
                    return False
            elif isinstance(node, ast.Call) and call_name(node) in ("locals", "vars"):
                return False
    if not kept or not isinstance(owner, ast.ClassDef):
        return True
    return not kept & read(owner)


def _kept_private(statement: ast.stmt, name: str, kept: set[str]) -> bool:
    """``self._x = name``: the parameter only kept in a private attribute (noted in ``kept``)."""
    if not (isinstance(statement, ast.Assign) and len(statement.targets) == 1):
        return False
    target, value = statement.targets[0], statement.value
    if not (isinstance(value, ast.Name) and value.id == name):
        return False
    if (
        isinstance(target, ast.Attribute)
        and isinstance(target.value, ast.Name)
        and target.value.id == "self"
        and target.attr.startswith("_")
    ):
        kept.add(target.attr)
        return True
    return False


def _option(call: ast.Call) -> tuple[str, ast.expr] | None:
    """A command-line option's name and default, when the call defines one with a default.

    ``parser.add_argument("-t", "--min-score", default=0.5)`` (argparse) or
    ``click.option("--similarity_threshold", default=0.9)``: ``min_score``, as the parsed
    arguments and the command's keyword arguments call it. A UI widget's state key and its
    starting value too (Streamlit's ``st.slider("...", value=0.65, key="para_threshold")``,
    read back as ``st.session_state["para_threshold"]``), and a pytest plugin's ini option
    (``parser.addini("semantic_assert_threshold", default="0.85")``, a number in a string).
    """
    keyed = {k.arg: k.value for k in call.keywords if k.arg in ("key", "value")}
    state = keyed.get("key")
    if "value" in keyed and isinstance(state, ast.Constant) and isinstance(state.value, str):
        return state.value, keyed["value"]
    default = next((k.value for k in call.keywords if k.arg == "default"), None)
    first = call.args[0] if call.args else None
    if (
        default is not None
        and call_name(call) == "addini"
        and isinstance(first, ast.Constant)
        and isinstance(first.value, str)
    ):
        return first.value, numeric_string(default)
    flags = [a.value for a in call.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
    long = [f for f in flags if f.startswith("--") and len(f) > 2]
    if default is None or not long:
        return None
    return long[-1][2:].replace("-", "_"), default


def _declared_option(node: ast.Dict) -> tuple[str, ast.expr] | None:
    """An option declared as a record: its name and default, read back as ``args.name``.

    ``{"name": "threshold", "nickname": "t", "type": float, "default": 0.8}`` in a command's
    table of arguments, as ``add_argument("--threshold", default=0.8)`` would declare it.
    """
    fields = _string_fields(node)
    default = fields.get("default")
    named = next((fields[k] for k in OPTION_NAME_KEYS if k in fields), None)
    if (
        default is None
        or literal_node(default) is None
        or not isinstance(named, ast.Constant)
        or not isinstance(named.value, str)
    ):
        return None
    name = named.value.lstrip("-").replace("-", "_")
    return (name, default) if name.isidentifier() else None


def _schema_property(node: ast.Dict, stack: list[ast.AST]) -> tuple[str, ast.expr] | None:
    """A JSON Schema property's name and default: a tool's argument, read back by that name.

    ``"properties": {"threshold": {"type": "number", "description": "...", "default": 0.7}}``
    in an MCP tool's ``inputSchema``: the handler reads ``arguments.get("threshold", 0.7)``.
    """
    fields = _string_fields(node)
    default, kind = fields.get("default"), fields.get("type")
    if (
        default is None
        or literal_node(default) is None
        or not (isinstance(kind, ast.Constant) and kind.value in ("number", "integer"))
    ):
        return None
    name = _parent_key(node, stack)
    return (name, default) if name is not None and name.isidentifier() else None


def _string_fields(node: ast.Dict) -> dict[str, ast.expr]:
    """A mapping literal's values by their string keys (``{"default": 0.8}``)."""
    return {
        key.value: value
        for key, value in zip(node.keys, node.values, strict=True)
        if isinstance(key, ast.Constant) and isinstance(key.value, str)
    }


def _parent_key(node: ast.Dict, stack: list[ast.AST]) -> str | None:
    """The string key a mapping sits under in the mapping around it (``{"bm25": {...}}``)."""
    parent = stack[-1] if stack else None
    if not isinstance(parent, ast.Dict):
        return None
    for key, value in zip(parent.keys, parent.values, strict=True):
        if value is node and isinstance(key, ast.Constant) and isinstance(key.value, str):
            return key.value
    return None


def _constructs(node: ast.ClassDef) -> bool:
    """Whether a class has a constructor of its own: ``__init__``, or fields (a dataclass)."""
    return any(
        isinstance(s, ast.AnnAssign)
        or (isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and s.name == "__init__")
        for s in node.body
    )


def _origin_by_name(identifier: str) -> Origin:
    """What a score of unknown origin is by its own name, if that says no similarity.

    ``matches.score_lev``: an edit distance's ratio; ``nli_score``: an entailment model's.
    """
    named = words(identifier)
    if classify(named) is Origin.STRING:
        return Origin.STRING
    return Origin.MODEL if {"nli", "entailment"} & set(named) else Origin.UNKNOWN


def _unnamed_metric(other: ast.expr, *, complement: bool, measured: bool, computed: bool) -> Metric:
    """What a similarity compared with an unnamed setting measures.

    Its complement (``S >= 1 - eps``) is a distance; a local found here says its metric by
    its name (``min_dist``); a product or a cosine computed here (``computed``), or their
    best, is a similarity.
    """
    if complement:
        return Metric.DISTANCE
    if measured and isinstance(other, ast.Name):
        return metric_of(words(other.id))
    return Metric.SIMILARITY if computed else Metric.UNKNOWN


def _computed_similarity(expr: ast.expr) -> bool:
    """Whether ``expr`` computes similarities here: ``V @ t``, ``np.dot(a, b)``, ``cos_sim(a, b)``.

    What such a comparison bounds is a similarity cutoff whatever its name (``AGREES``,
    ``diversity``); a value followed back further is judged by its name first. A vector's
    squared length (``v @ v``, ``np.dot(c, c)``) computes none, as when followed.
    """
    if self_product(expr):
        return False
    if isinstance(expr, ast.BinOp):
        # `probs @ _OUTDOOR` sums a classifier's probabilities over a mask
        operands = {w for side in (expr.left, expr.right) for w in words(ast.unparse(side))}
        return isinstance(expr.op, ast.MatMult) and not operands & PROBABILITY_WORDS
    if isinstance(expr, ast.Call) and call_name(expr) in (*CONVERSIONS, *REDUCTIONS):
        # `float(embs[i] @ embs[j])`, `(a @ b).item()`: the product converted; the best of
        # the products (`(oc @ theme).max()`) is one of them
        func = expr.func
        inner = [*expr.args, *([func.value] if isinstance(func, ast.Attribute) else [])]
        return any(_computed_similarity(a) for a in inner)
    if isinstance(expr, ast.Call) and len(expr.args) >= 2:
        return bool(set(words(call_name(expr))) & COMPUTING_WORDS)
    return False


def _clustering_metric(call: ast.Call) -> ast.expr | None:
    """The metric a clustering is given (``metric=``, or older scikit-learn's ``affinity=``)."""
    return next((k.value for k in call.keywords if k.arg in ("metric", "affinity")), None)


def _read_out(expr: ast.expr) -> ast.expr:
    """What ``expr`` reads its number from: ``topv`` of ``float(topv[i].item())``.

    Through elements, conversions and reductions (``logits.max(dim=1)``, ``np.max(sims)``),
    and the left side of a difference (a margin over a runner-up: ``top1 - top2``).
    """
    while True:
        if isinstance(expr, ast.Subscript):
            expr = expr.value
        elif isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Sub):
            expr = expr.left
        else:
            reduced = _reduced(expr)
            if reduced is expr:
                return expr
            expr = reduced


def _takes_nothing(node: ast.FunctionDef | ast.AsyncFunctionDef, owner: str | None) -> bool:
    """Whether a function is called with no arguments (a method: but its ``self``).

    What it returns is a constant or the environment's (``def _bridge_min(): return
    float(os.environ.get("BRIDGE_MIN", "0.55"))``): a setting, whatever it is called.
    """
    args = node.args
    every = [*args.posonlyargs, *args.args, *args.kwonlyargs]
    if owner is not None and every and not _is_static(node):
        every = every[1:]
    return not every and args.vararg is None and args.kwarg is None


def _a_table(values: list[ast.expr]) -> bool:
    """Whether a function returns only numbers: a table of settings by its arguments.

    ``def default_similarity(model): if model.startswith("hashing-"): return 0.3 ...; return
    0.75``: its callers hold one of those numbers, as they would a constant's.
    """
    return len(values) > 1 and all(
        (literal := literal_node(value)) is not None and not is_integer(literal) for value in values
    )


def _field_name(expr: ast.expr) -> str | None:
    """The field ``expr`` reads of one record: ``top["score"]``, ``hit.score``, ``h.get("sim")``."""
    if isinstance(expr, ast.Attribute):
        return expr.attr
    read = record_field(expr)
    return read[1] if read is not None else None


def _search_pairs(function: ast.AST) -> dict[str, int]:
    """The names bound first of a pair a search returns (``D, I = index.search(q, k)``).

    Each with the first line it is so bound on; found once per function.
    """
    found: dict[str, int] = {}
    for node in statements(function):
        if not (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Tuple)
            and len(node.targets[0].elts) == 2
            and isinstance(node.targets[0].elts[0], ast.Name)
            and isinstance(node.value, ast.Call)
        ):
            continue
        if set(words(call_name(node.value))) & SEARCH_SOURCES:
            name = node.targets[0].elts[0].id
            found[name] = min(found.get(name, node.lineno), node.lineno)
    return found


def _reduced(expr: ast.expr) -> ast.expr:
    """What a conversion or a reduction is taken of: ``s[i]`` of ``s[i].max()``, ``float(x)``.

    A method's receiver (``logits.max(dim=1)``, ``s.max(1)``), else the first argument
    (``float(x)``, ``np.max(s[i])``).
    """
    while isinstance(expr, ast.Call) and call_name(expr) in (*CONVERSIONS, *REDUCTIONS):
        func = expr.func
        if isinstance(func, ast.Attribute) and root_name(func) not in _ARRAY_MODULES:
            expr = func.value
        elif expr.args:
            expr = expr.args[0]
        else:
            break
    return expr


def _computed_metric(expr: ast.expr) -> Metric:
    """A distance where a call computing ``expr`` says so (``cosine_distance``, ``cdist``)."""
    calls = [n for n in ast.walk(expr) if isinstance(n, ast.Call)]
    said = {w for call in calls for w in words(call_name(call))}
    return Metric.DISTANCE if said & (DISTANCE_WORDS | PAIRWISE_DISTANCES) else Metric.SIMILARITY


def _vector_bound(bound: Bound) -> bool:
    """Whether a query compares the parameter with vectors' scores it computes.

    pgvector's operators, a similarity or distance function or column (``vec_distance_cosine``,
    ``array_cosine_similarity``, sqlite-vec's ``distance``); not a stored ``relevance_score``
    whose meaning only the code that wrote it knows.
    """
    said = set(words(bound.score.split()[0]))
    return bound.score.startswith("pgvector") or bool(said & (COMPUTING_WORDS | {"distance"}))


def _query_text(expr: ast.expr, formatted: Callable[[ast.expr], str] = lambda _: "x") -> str | None:
    """A query's text: a string, or an f-string's literal parts and its values as ``x``.

    ``formatted`` reads a value otherwise (``_static_text``: a name as what it was set to).
    """
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return expr.value
    if isinstance(expr, ast.JoinedStr):
        return "".join(
            part.value
            if isinstance(part, ast.Constant) and isinstance(part.value, str)
            else formatted(part.value)
            if isinstance(part, ast.FormattedValue)
            else "x"
            for part in expr.values
        )
    return None


def written_text(node: ast.Constant, lines: list[str]) -> str:
    """A string written as parts over several lines, with a line break where each part's line is.

    ``("SELECT ... FROM t " "WHERE -(vec <#> $1) >= 0.6 ")``: one string to Python, but a
    number in it is on the line of its part, where a person changes it. The text as it is
    where it spans no more lines than it holds, or where its parts cannot be read back.
    """
    text = node.value
    assert isinstance(text, str)
    first, last = node.lineno, node.end_lineno or node.lineno
    if last - first <= text.count("\n") or last > len(lines):
        return text
    segment = [line.encode() for line in lines[first - 1 : last]]
    segment[-1] = segment[-1][: node.end_col_offset]
    segment[0] = segment[0][node.col_offset :]
    source = "(" + "\n".join(part.decode(errors="replace") for part in segment) + ")"
    try:
        parts: list[tuple[int, str]] = [
            (token.start[0], ast.literal_eval(token.string))
            for token in tokenize.generate_tokens(io.StringIO(source).readline)
            if token.type == tokenize.STRING
        ]
    except (tokenize.TokenError, SyntaxError, ValueError):
        return text
    if "".join(part for _, part in parts) != text:
        return text
    aligned, row = [], 1
    for start, part in parts:
        aligned.append("\n" * max(0, start - row))
        aligned.append(part)
        row = max(row, start) + part.count("\n")
    return "".join(aligned)


def _converted_from(expr: ast.expr) -> ast.expr:
    """What conversions are taken of: ``cfg.get("min_score")`` of ``float(cfg.get(...))``."""
    while isinstance(expr, ast.Call) and call_name(expr) in CONVERSIONS and expr.args:
        expr = expr.args[0]
    return expr


def _keyed_positions(values: list[ast.expr]) -> dict[int, str]:
    """The places of returned tuples that read a threshold-named setting, with its key.

    ``return (bool(cfg.get("enabled", True)), float(cfg.get("placement_similarity_threshold",
    0.55)))``: place 1 is that setting, and a number another ``return`` puts there (``return
    False, 0.55`` when the settings cannot be read) is its default too.
    """
    keyed: dict[int, str] = {}
    for value in values:
        if not isinstance(value, ast.Tuple):
            continue
        for index, part in enumerate(value.elts):
            read = record_field(_converted_from(part))
            if read is not None and says_threshold(read[1]):
                keyed.setdefault(index, read[1])
    return keyed
