"""Where a Python score comes from: a search, a cosine, a classifier, a fuzzy ratio, a count.

:func:`origin` follows a score expression back through its function's assignments, loops and
comprehensions (``for i, score in results`` then ``results = self.ann.search(...)``), through
the functions of the same module that it calls (what ``self._text_similarity(a, b)`` returns),
to the call that produced it, and judges that call by the words of its name and receiver.
"""

from __future__ import annotations

import ast

from calibrator.inventory.facts import (
    HANDED_OTHER,
    HANDED_SIMILARITY,
    NOT_SIMILARITY,
    Origin,
    classify,
)
from calibrator.inventory.names import words
from calibrator.inventory.python_bindings import Definition
from calibrator.inventory.python_exprs import (
    call_name,
    number,
    reads_scores,
    record_field,
    score_expr,
)
from calibrator.inventory.python_lexical import compares_words, word_lengths
from calibrator.inventory.python_scopes import PASS_THROUGH, Scope
from calibrator.inventory.python_walk import walk
from calibrator.inventory.vocabulary import (
    COSINE_WORDS,
    SCORE_WORDS,
    SEARCH_SOURCES,
    SIMILARITY_SOURCES,
    SPECIFIC_WORDS,
    VECTOR_WORDS,
)

DEPTH = 8
"""How many steps (bindings, calls) a score is followed back."""

ACCESSORS = frozenset(
    {"get", "item", "tolist", "cpu", "numpy", "detach", "flatten", "squeeze", "ravel", "copy"}
)
"""Methods that read a value out of what they are called on (``hit.get("_score", 0)``), and
so share its origin."""

DEFERRED = frozenset({"to_thread", "run_in_executor", "run_sync", "submit"})
"""Calls that run the function they are given elsewhere (a thread, an executor) and return
what it returns: ``loop.run_in_executor(None, model.predict, x)`` is the model's."""

COROUTINE_RUNNERS = frozenset(
    {"run", "run_until_complete", "run_async", "run_sync", "run_coroutine_threadsafe", "wait_for"}
)
"""Calls that run the coroutine they are given and return its result (``asyncio.run``, a
project's ``run_async`` bridge from synchronous code)."""

AGGREGATES = frozenset({"sum", "fsum", "mean", "nanmean", "average", "median", "fmean"})
"""Calls that sum or average what they are given: a mean of similarities is a similarity."""

READ_THROUGH = PASS_THROUGH | ACCESSORS | AGGREGATES
"""Calls whose result is what they are given or called on: no step back when followed."""


def origin(scope: Scope, expr: ast.expr) -> Origin:
    """Where a score comes from: follow names back to the call that computed them.

    Unknown origins take the scope's context: thresholds inside a detector's or a
    classifier's class apply to that model's scores. A similarity computed in a lexical
    scorer (a ``_LexicalScorer``'s cosine of TF-IDF vectors) is a keyword score.
    """
    return traced_origin(scope, expr)[0]


def traced_origin(scope: Scope, expr: ast.expr) -> tuple[Origin, bool]:
    """:func:`origin`, and whether the code shows it.

    ``False``: the origin is only the words of the score's context (or unknown).
    """
    found = follow(scope, expr, DEPTH, set(), getattr(expr, "lineno", 0))
    shown = found is not Origin.UNKNOWN
    if not shown or (found is Origin.SIMILARITY and scope.context_origin is Origin.KEYWORD):
        return scope.context_origin, shown
    return found, shown


def handed_score(scope: Scope, expr: ast.expr) -> str | None:
    """The slot an argument that holds a score comes from: a similarity's or another's.

    ``results[0].score`` after a vector search, ``score`` of ``for hit, score in
    index.query(q)``: :data:`HANDED_SIMILARITY`, the callee's parameter holds a similarity
    whatever its module's words; so do a search's hits themselves (``candidates`` after
    ``candidates = self.search(q)``), whose scores the callee reads, and a score named a
    similarity's where nothing shows another's (``self.similarity_score``). :data:`HANDED_OTHER` for
    any other score, named so (``toxicity_score``, ``max_prob``, ``item["confidence"]``) or
    computed by a call named for one (``judge.grade(claims)``): a caller handing one keeps the
    parameter from being taken for a similarity. ``None``: nothing named a score.
    """
    if type(expr) in _NO_SCORES:
        return None
    found, shown = scope.context_origin, False
    if score_expr(expr) is not None:
        found, shown = traced_origin(scope, expr)
        if shown and found is Origin.SIMILARITY:
            return HANDED_SIMILARITY
    named = _handed_name(expr)
    said = words(named) if named is not None else ()
    if set(said) & HANDED_WORDS:
        # a score named a similarity's (`_tier(self.similarity_score)`) is one, unless the
        # code or the context shows another's; a bare `sim` or `similarities` may be any
        similar = {"score", "scores"} & set(said) and classify(said) is Origin.SIMILARITY
        return HANDED_SIMILARITY if similar and found not in NOT_SIMILARITY else HANDED_OTHER
    if isinstance(expr, ast.Call) and classify(words(call_name(expr))) in NOT_SIMILARITY:
        return HANDED_OTHER  # `verdict(judge.grade(claims), bar)`: a model's grade
    hits = expr.value if isinstance(expr, ast.Subscript) else expr  # `results[:k]`
    if isinstance(hits, ast.Name) and _searched(scope, hits):
        return HANDED_SIMILARITY  # a search's hits (`route(q, candidates=candidates)`)
    return None


def _searched(scope: Scope, name: ast.Name) -> bool:
    """Whether ``name`` was bound to what a search returns (``hits = store.search(q)``).

    As the scanner noted it in the function's assignments (this is asked of every name handed
    to a call: following bindings back for each would cost more than the rest of the call).
    """
    around = scope.function_scope()
    line = around.searched.get(name.id) if around is not None and around.searched else None
    return line is not None and line <= name.lineno


_NO_SCORES = frozenset({ast.Constant, ast.JoinedStr, ast.Lambda, ast.Dict, ast.List, ast.Tuple})
"""Arguments that hand no score (``"text"``, ``f"..."``, literals of collections)."""
_UNWRAPPED = frozenset({"float", "abs", "round", "max", "min"})
"""Calls that hand on the score they are given (``float(hit.score)``)."""
HANDED_WORDS = SCORE_WORDS | {"score", "scores", "conf", "confidence", "prob", "probability"}
"""Words of an argument that hands its callee a score of some kind."""


def _handed_name(expr: ast.expr) -> str | None:
    """The name an argument is read by: ``x``, ``hit.score``, ``row["score"]``, ``max(sims)``."""
    while isinstance(expr, ast.Call) and expr.args and call_name(expr) in _UNWRAPPED:
        expr = expr.args[0]
    if isinstance(expr, ast.Subscript) and isinstance(expr.slice, ast.Constant):
        key = expr.slice.value
        return key if isinstance(key, str) else _handed_name(expr.value)
    if isinstance(expr, ast.Subscript):
        return _handed_name(expr.value)
    if isinstance(expr, ast.Attribute):
        return expr.attr
    return expr.id if isinstance(expr, ast.Name) else None


def returns_origin(scope: Scope, function: ast.FunctionDef | ast.AsyncFunctionDef) -> Origin:
    """What a function returns, as far as its own module shows (``scope``: its body's scope).

    Exported with the file's facts, so that a score read from this function in another module
    (``strings_similarity(a, b)``, a word-set ratio in ``utils.py``) gets its origin at link time.
    """
    return _returned(scope, function, DEPTH, set())


def returned_values(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.expr]:
    """What a function's ``return`` statements return, its ``except`` stand-ins last."""
    main, stand_ins = _returns(function)
    return [r.value for r in (*main, *stand_ins) if r.value is not None]


def from_search(scope: Scope, expr: ast.expr, depth: int = 4) -> bool:
    """Whether ``expr`` reads a search's hits (``score`` in ``results = self.ann.search(q)``).

    Followed back through the names it reads, ``depth`` bindings deep, each binding once and
    read from the line above it (``results = [... for r in results]`` reads the search's);
    a cosine computed here (``cosine_similarity(a, b)``) is no search.
    """
    around = scope.function_scope()
    if around is None:
        return False
    bound = around.assigned()
    pending: list[tuple[ast.expr, int]] = [(expr, getattr(expr, "lineno", 0))]
    seen: set[int] = set()
    for _ in range(depth):
        following: list[tuple[ast.expr, int]] = []
        for part, line in pending:
            for node in walk(part):
                if isinstance(node, ast.Call) and set(words(call_name(node))) & SEARCH_SOURCES:
                    return True
                if isinstance(node, ast.Name):
                    bindings = bound.get(node.id, [])
                    before = [b for b in bindings if b[0] <= line] or bindings
                    if before and id(before[-1][1]) not in seen:
                        seen.add(id(before[-1][1]))
                        following.append((before[-1][1], before[-1][0] - 1))
        pending = following
    return False


def imported_callee(scope: Scope, expr: ast.expr) -> str | None:
    """The imported function ``expr`` is the result of, directly or through one local name.

    ``strings_similarity(a, b)``, or ``sim`` bound to an expression whose one imported call is
    ``strings_similarity`` (``sim, best = max((strings_similarity(t, x), t) for t in ts)``),
    through up to three bindings (``_, score = similar[0]`` after ``similar = find_similar(q)``):
    its name, for the linker to look up what it returns.
    """
    around = scope.function_scope()
    line = getattr(expr, "lineno", 0)
    for _ in range(3):  # `score` from `_, _, score = similar[0]` from `similar = f(...)`
        name = expr
        while isinstance(name, (ast.Subscript, ast.Attribute)):
            name = name.value
        if not isinstance(name, ast.Name) or around is None:
            break
        bindings = around.assigned().get(name.id, [])
        before = [b for b in bindings if b[0] <= line]
        if not before:
            return None
        line, expr = before[-1]
    imported = {
        node.func.id
        for node in walk(expr)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in scope.imports.imported
    }
    return imported.pop() if len(imported) == 1 else None


def follow(scope: Scope, expr: ast.expr, depth: int, seen: set[str], line: int) -> Origin:  # noqa: PLR0911 - one branch per expression kind
    """Follow ``expr`` back to a call; a name to its latest binding before ``line``."""
    if depth <= 0:
        return Origin.UNKNOWN
    named = _field_origin(expr) or _record_field_origin(scope, expr, depth, seen)
    if named is not None:
        return named
    # a step back is a binding or a call; the parts of one expression are no step
    # (`max(0, 1 - distances[0])` is as near to its search as `distances`)
    if isinstance(expr, ast.Call):
        passed = call_name(expr).lstrip("_") in READ_THROUGH  # `self._clamp(x)` too
        return _call_origin(scope, expr, depth if passed else depth - 1, seen, line)
    if isinstance(expr, ast.Name):
        return _name_origin(scope, expr.id, depth - 1, seen, line)
    if isinstance(expr, (ast.Attribute, ast.Subscript, ast.Starred, ast.Await)):
        return follow(scope, expr.value, depth, seen, line)
    if isinstance(expr, ast.BinOp):
        return _binop_origin(scope, expr, depth, seen, line)
    if isinstance(expr, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
        return _comprehension_origin(scope, expr, depth, seen, line)
    for part in _alternatives(expr):  # the first part that shows one
        found = follow(scope, part, depth, seen, line)
        if found is not Origin.UNKNOWN:
            return found
    return Origin.UNKNOWN


def _record_field_origin(scope: Scope, expr: ast.expr, depth: int, seen: set[str]) -> Origin | None:
    """``h.match``, a field of the one record class of this module that declares it.

    What the arguments giving that field hold where the module's functions build the records
    (``Hit(i, path, ..., best_text.get(i))``), where all that show one agree (a judge's facet
    scores built from an LLM's answer in one place and a word overlap in another say nothing).
    Not ``self.x``: in the class's own methods, what the class is decides.
    """
    if not isinstance(expr, ast.Attribute) or (
        isinstance(expr.value, ast.Name) and expr.value.id in ("self", "cls")
    ):
        return None  # the class's own methods: what the class is decides
    records = scope.records()
    owners = records.fields.get(expr.attr, [])
    if len(owners) != 1:
        return None
    record = owners[0][0]
    module = scope.module_scope()
    found: set[Origin] = set()
    for owner, function, call in records.built(record)[:8]:
        argument = records.argument(call, record, expr.attr)
        key = f"arg:{id(argument)}"
        if argument is None or key in seen:
            continue
        seen.add(key)
        outer = module.child_class(owner) if owner is not None else module
        found.add(follow(outer.child_function(function), argument, depth - 1, seen, call.lineno))
    found.discard(Origin.UNKNOWN)
    return found.pop() if len(found) == 1 else None


def _field_origin(expr: ast.expr) -> Origin | None:
    """What the field read says: ``chunk.metadata["quality_score"]``, ``hit.get("rerank_score")``.

    A record's field named for another score (a quality, a reranker's, a keyword match's)
    holds that score, whatever search returned the record; ``None`` when the name says
    nothing but score (``hit["score"]``) or similarity: the record's origin decides.
    """
    read = record_field(expr) or _attribute_read(expr)
    if read is None:
        return None
    named = words(read[1])
    found = classify(named)
    if found is Origin.OTHER:  # a quality's score; a weight or a bare confidence is no score
        return found if {"score", "scores"} & set(named) else None
    return found if found in (Origin.MODEL, Origin.KEYWORD, Origin.STRING) else None


def _attribute_read(expr: ast.expr) -> tuple[ast.expr, str] | None:
    """A read of an attribute named for a score, as a record's field.

    ``record.confidence_score``, ``getattr(doc, "bm25_score", 0)``; not
    ``weights.lexical_weight``, a setting.
    """
    if isinstance(expr, ast.Attribute):
        read = expr.value, expr.attr
    elif (
        isinstance(expr, ast.Call)
        and isinstance(expr.func, ast.Name)
        and expr.func.id == "getattr"
        and len(expr.args) >= 2
        and isinstance(expr.args[1], ast.Constant)
        and isinstance(expr.args[1].value, str)
    ):
        read = expr.args[0], expr.args[1].value
    else:
        return None
    return read if SCORE_WORDS & set(words(read[1])) else None


def _alternatives(expr: ast.expr) -> list[ast.expr]:
    """The parts of an expression that may give it its origin, in the order to try them.

    Both sides of ``a if c else b``; the first of ``a or b``; the elements of
    ``(row["id"], content, score)``; a record's score (``{"id": i, "score": score}``), else
    its values.
    """
    if isinstance(expr, ast.IfExp):
        return [expr.body, expr.orelse]
    if isinstance(expr, ast.BoolOp):  # `hit.score or 0.0`: what it holds; the rest is a fallback
        return expr.values[:1]
    if isinstance(expr, (ast.Tuple, ast.List, ast.Set)):
        return expr.elts
    if isinstance(expr, ast.Dict):
        scored = [
            value
            for key, value in zip(expr.keys, expr.values, strict=True)
            if isinstance(key, ast.Constant) and set(words(str(key.value))) & SCORE_WORDS
        ]
        return scored or expr.values
    return []


def _binop_origin(scope: Scope, expr: ast.BinOp, depth: int, seen: set[str], line: int) -> Origin:
    """The origin of arithmetic: its left operand's, else its right's.

    A list repeated a number of times is that list (``scores + [0.0] * (k - len(scores))``
    pads scores: the count says nothing of them).
    """
    if isinstance(expr.op, ast.MatMult):
        if self_product(expr):
            return Origin.UNKNOWN  # `v @ v`: a squared length
        return Origin.SIMILARITY  # a matrix of dot products
    if isinstance(expr.op, ast.Mult):
        for side in (expr.left, expr.right):
            if isinstance(side, (ast.List, ast.Tuple)):
                return follow(scope, side, depth, seen, line)
    left = follow(scope, expr.left, depth, seen, line)
    if left is not Origin.UNKNOWN:
        return left
    right = follow(scope, expr.right, depth, seen, line)
    if isinstance(expr.op, ast.Div) and right is Origin.COUNT and reads_scores(expr.left):
        return Origin.UNKNOWN  # `sum(distances) / len(distances)`: a mean, not a count
    return right


def _name_origin(scope: Scope, name: str, depth: int, seen: set[str], line: int) -> Origin:
    """The origin of ``name`` as read at ``line``: its bindings before it, latest first.

    A word overlap or string ratio gives way to an embedding similarity bound in the other
    branch of the same ``if`` (``sim = matrix[i][j]`` when there are embeddings, else a word
    overlap); a later rebinding (``similarity = self._overlap_score(...)``) does not.

    A binding's value reads the names bound before it (``sims = sims * mask`` reads the
    earlier ``sims``), so each binding is followed once, and its value from the line above.
    """
    around = scope.function_scope()
    while around is not None:
        bindings = around.assigned().get(name, [])
        before = [b for b in bindings if b[0] <= line] or bindings
        for at, value in reversed(before):
            key = f"{name}@{id(around.node)}:{at}"
            if key in seen:
                continue
            seen.add(key)
            found = follow(around, value, depth, seen, at - 1)
            if found in _FALLBACKS:
                # `sim = matrix[i][j]` if there are embeddings, else a word overlap: the
                # embedding similarity decides, as it does for what a function returns
                other = _other_branch(around.node, name, at)
                if other is not None and (
                    _named_similarity(other)
                    or follow(around, other, depth, seen, at - 1) is Origin.SIMILARITY
                ):
                    return Origin.SIMILARITY
            if found is not Origin.UNKNOWN:
                return found
        if len(bindings) > 1 and all(number(value) is not None for _, value in bindings):
            return Origin.COUNT  # `base = 0.0`, `base += 0.4` per rule met: a tally of weights
        if bindings:
            break  # a name bound here is this scope's: the module's `result` is another
        annotated = _annotation_origin(around.node, name)
        if annotated is not None:
            return annotated
        around = around.parent.function_scope() if around.parent else None
    return Origin.UNKNOWN


def _named_similarity(expr: ast.expr) -> bool:
    """Whether a lookup's table says it holds similarities: ``embedding_scores[vector_id]``."""
    while isinstance(expr, (ast.Subscript, ast.Attribute)):
        expr = expr.value
    return isinstance(expr, ast.Name) and classify(words(expr.id)) is Origin.SIMILARITY


def _annotation_origin(function: ast.AST, name: str) -> Origin | None:
    """What a parameter's annotation says it holds, if ``name`` is an annotated parameter.

    ``results: Sequence[SearchResult]`` holds a search's hits, ``matches: list[FuzzyMatch]``
    a string matcher's; ``None`` when ``name`` is no parameter of ``function`` or has no
    annotation.
    """
    if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return None
    args = function.args
    for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs):
        if arg.arg == name and arg.annotation is not None:
            return classify(words(ast.unparse(arg.annotation)))
    return None


def _other_branch(function: ast.AST, name: str, line: int) -> ast.expr | None:
    """What ``name`` is bound to in the other branch of the ``if`` that binds it at ``line``."""
    for node in walk(function):
        if not isinstance(node, ast.If) or not node.orelse:
            continue
        body, orelse = _bound_in(node.body, name), _bound_in(node.orelse, name)
        if body is not None and orelse is not None:
            if orelse[0] == line:
                return body[1]
            if body[0] == line:
                return orelse[1]
    return None


def _bound_in(statements: list[ast.stmt], name: str) -> tuple[int, ast.expr] | None:
    """The line and value of a plain ``name = value`` among ``statements``, if one."""
    for statement in statements:
        if (
            isinstance(statement, ast.Assign)
            and len(statement.targets) == 1
            and isinstance(statement.targets[0], ast.Name)
            and statement.targets[0].id == name
        ):
            return statement.value.lineno, statement.value
    return None


_FALLBACKS = frozenset({Origin.COUNT, Origin.STRING})
"""What a score is computed as where embeddings are missing: a word overlap, a string ratio."""


def _call_origin(scope: Scope, call: ast.Call, depth: int, seen: set[str], line: int) -> Origin:  # noqa: PLR0911 - model, count, defined here, pass-through, by name
    name = call_name(call)
    if name in ("score", "scores") and call.args:
        # `clf.score(X, y)` is a model's evaluation; `self.vector_scorer.score(a, b)` is what
        # its receiver's name says it compares, `self.score(a, b)` what this class's returns
        if isinstance(call.func, ast.Attribute) and (
            _receiver_origin(scope, call.func) is Origin.SIMILARITY
        ):
            return Origin.SIMILARITY
        found = _returned_origin(scope, call, depth, seen)
        return found if found is not Origin.UNKNOWN else Origin.MODEL
    counted = _count_or_length(call, name)
    if counted is not None:
        return counted
    found = _returned_origin(scope, call, depth, seen)
    if found is not Origin.UNKNOWN:
        return found
    if name in COROUTINE_RUNNERS and call.args and isinstance(call.args[0], ast.Call):
        # `run_async(do_search())`, `asyncio.run(index.search(q))`: what the coroutine returns
        return follow(scope, call.args[0], depth, seen, line)
    if name.lstrip("_") in DEFERRED:  # and a project's `self._run_sync(fn, ...)`
        return _deferred_origin(scope, call, depth, seen, line)
    func = call.func
    if name == "where" and len(call.args) == 3:  # `np.where(mask, dist, np.inf)`: one of two
        return _first_found(scope, call.args[1:], depth, seen, line)
    if name.lstrip("_") in READ_THROUGH or name in ("filter", "map"):
        # what it is given, else what it is called on (`scores.clip(0, 1)`); an accessor reads
        # what it is called on first, and a mapping's `get` never its key (`cosine_map.get(
        # (j, i), 0.0)`: the key's origin, a pair of positions, is not the value's)
        receiver = [func.value] if isinstance(func, ast.Attribute) else []
        given = call.args[1:] if name == "get" and receiver else call.args
        read = [*receiver, *given] if name in ACCESSORS else [*given, *receiver]
        return _first_found(scope, read, depth, seen, line)
    if any(compares_words(function) for _, function in _called(scope, func)[:3]):
        return Origin.STRING  # `self._score_label_similarity(column, prop)`: shared words
    return _by_name(scope, call, name, line)


def _by_name(scope: Scope, call: ast.Call, name: str, line: int) -> Origin:
    """What a call's name says it computes (or the function a local holding one names).

    A similarity of vectors a vectorizer fitted on texts gave is a keyword score:
    ``cosine_similarity(vec.fit_transform(texts))`` compares term weights.
    """
    func = call.func
    found = _named_origin(scope, name, func)
    if found is Origin.UNKNOWN and isinstance(func, ast.Name):
        return _chosen_function(scope, func.id, line)
    if found is Origin.SIMILARITY and (
        any(_lexical_vectors(scope, a, line) for a in call.args) or _of_counters(scope, func)
    ):
        return Origin.KEYWORD
    return found


def _of_counters(scope: Scope, func: ast.expr) -> bool:
    """Whether a function of this module compares two ``Counter``s (bags of words or n-grams).

    ``def _cos(a: Counter, b: Counter)``: a cosine of term counts, no embedding's.
    """
    for _, function in _called(scope, func)[:3]:
        given = [*function.args.posonlyargs, *function.args.args]
        given = [a for a in given if a.arg not in ("self", "cls")][:2]
        if len(given) == 2 and all(
            a.annotation is not None and "counter" in words(ast.unparse(a.annotation))
            for a in given
        ):
            return True
    return False


VECTORIZING = frozenset({"fit_transform", "transform"})
"""Calls that turn texts into vectors by fitting on them (a TF-IDF, count or hashing
vectorizer's): an embedding model encodes, it is not fitted on the texts it compares."""
TEXT_WORDS = frozenset(
    {"text", "texts", "doc", "docs", "document", "documents", "corpus", "sentence", "sentences",
     "string", "strings", "title", "titles", "subject", "subjects", "description",
     "descriptions", "passages", "messages", "tokens", "words"}
)  # fmt: skip
"""Words of a name that holds texts (what a vectorizer is fitted on)."""
TERM_WEIGHTS = frozenset({"tfidf", "idf", "bm25"})
"""Words of what holds a text's term weights (``doc_tfidf``, ``self._idf[token]``)."""
SPARSE_MATRICES = frozenset({"csr", "csc", "spmatrix", "sparray"})
"""Words of scipy's sparse matrix types: term weights, where embeddings are dense arrays."""


def _lexical_vectors(scope: Scope, expr: ast.expr, line: int) -> bool:
    """Whether ``expr`` holds vectors a vectorizer fitted on texts gave (``tfidf_matrix``).

    ``vec.fit_transform(texts)``, on the spot or bound to a name before ``line``, a mapping of
    term weights (``self._doc_tfidf.get(name)``, ``{t: tf * idf[t] for ...}``), or a
    parameter annotated as a sparse matrix (``char_vector: csr_matrix``); what a projection
    fitted on embeddings gives (``umap.fit_transform(embeddings)``) is no such.
    """
    if isinstance(expr, ast.Subscript):
        expr = expr.value
    if isinstance(expr, ast.Name):
        bound = scope.latest_binding(expr.id, line)
        if bound is None:  # a parameter: `char_vector: csr_matrix` holds sparse term weights
            return bool(set(scope.annotation_words(expr.id)) & SPARSE_MATRICES)
        expr = bound
    if word_lengths(expr):
        return True
    hand_made = isinstance(expr, ast.DictComp) or (
        isinstance(expr, ast.Call) and call_name(expr) == "get"
    )  # a bag of words as a mapping: `{t: tf * self._idf[t] for ...}`, `doc_tfidf.get(name)`
    if hand_made and set(words(ast.unparse(expr))) & TERM_WEIGHTS:
        return True
    if not (isinstance(expr, ast.Call) and call_name(expr) in VECTORIZING and expr.args):
        return False
    given = expr.args[0]
    if isinstance(given, (ast.ListComp, ast.GeneratorExp)):
        return isinstance(given.elt, (ast.JoinedStr, ast.Constant)) or bool(
            set(words(ast.unparse(given.elt))) & TEXT_WORDS
        )
    return bool(set(words(ast.unparse(given))) & TEXT_WORDS)


def _chosen_function(scope: Scope, name: str, line: int) -> Origin:
    """What a local that holds a function calls: the first origin its options' names show.

    ``dist_fn = cosine_distances if metric == "cosine" else euclidean_distances``, then
    ``dist_fn(a, b)``: a distance between embeddings either way.
    """
    around = scope.function_scope()
    bindings = around.assigned().get(name) if around is not None else None
    if not bindings:
        return Origin.UNKNOWN
    before = [b for b in bindings if b[0] <= line] or bindings
    value = before[-1][1]
    options = [value.body, value.orelse] if isinstance(value, ast.IfExp) else [value]
    for option in options:
        if isinstance(option, ast.Name | ast.Attribute):
            named = option.id if isinstance(option, ast.Name) else option.attr
            found = _named_origin(scope, named, option)
            if found is not Origin.UNKNOWN:
                return found
    return Origin.UNKNOWN


def _first_found(
    scope: Scope, exprs: list[ast.expr], depth: int, seen: set[str], line: int
) -> Origin:
    """The origin of the first of ``exprs`` that shows one."""
    for expr in exprs:
        found = follow(scope, expr, depth, seen, line)
        if found is not Origin.UNKNOWN:
            return found
    return Origin.UNKNOWN


def _count_or_length(call: ast.Call, name: str) -> Origin | None:
    """What a count or a vector's length is, if the call computes one.

    A count: ``len(a)``, ``Counter(tokens)``, ``_sqlite_embedding_count(path)``, ``sum(1 for
    x in xs if ...)``; so is an
    intersection over union of boxes or masks (``_pairwise_iou(masks_a, masks_b)``), a ratio
    of pixel counts however it is computed (a product of masks), and an image's distance
    transform (``ndimage.distance_transform_edt``, pixels to the nearest edge). A length
    (``np.dot(c, c)``, ``xp_vector_norm(x)``) is no similarity, whatever "vector" says; a
    cosine given a norm (``_cosine_with_query_norm(q, q_norm, v)``) is one.
    """
    named = words(name)
    if name in ("len", "Counter") or {"count", "counts"} & {*named[:1], *named[-1:]}:
        return Origin.COUNT
    if name == "sum" and call.args and _counts_items(call.args[0]):
        return Origin.COUNT  # `sum(1 for ep in episodes if ep.pnl > 0)`
    if {"iou", "giou", "ious"} & set(named):
        return Origin.COUNT
    if {"distance", "transform"} <= set(named):
        return Origin.COUNT  # `ndimage.distance_transform_edt(ink)`: pixels to the nearest edge
    if self_product(call) or ({"norm", "norms"} & set(named) and not COSINE_WORDS & set(named)):
        return Origin.UNKNOWN  # but `_cosine_with_query_norm(q, norm, v)` is a cosine
    return None


def _counts_items(expr: ast.expr) -> bool:
    """Whether ``expr`` yields a number per item (``1 for x in xs if ...``): a count."""
    if not isinstance(expr, (ast.GeneratorExp, ast.ListComp)):
        return False
    element = expr.elt
    return isinstance(element, ast.Constant) and type(element.value) in (int, bool)


def self_product(expr: ast.expr) -> bool:
    """``v @ v``, ``np.dot(c, c)``, ``np.inner(v, v)``: a squared length, not a similarity."""
    if isinstance(expr, ast.BinOp):
        return isinstance(expr.op, ast.MatMult) and ast.dump(expr.left) == ast.dump(expr.right)
    return (
        isinstance(expr, ast.Call)
        and call_name(expr) in ("dot", "inner", "vdot")
        and len(expr.args) == 2
        and ast.dump(expr.args[0]) == ast.dump(expr.args[1])
    )


def _deferred_origin(scope: Scope, call: ast.Call, depth: int, seen: set[str], line: int) -> Origin:
    """What the function a thread or executor runs returns.

    ``await asyncio.to_thread(lambda: reranker.rerank(q, texts))`` is the reranker's, and
    ``loop.run_in_executor(None, store.similarity_search_with_score, q)`` a search's.
    """
    work = next((a for a in call.args if not isinstance(a, ast.Constant)), None)
    if isinstance(work, ast.Lambda):
        return follow(scope, work.body, depth, seen, line)
    if isinstance(work, (ast.Name, ast.Attribute)):
        return _named_origin(scope, work.id if isinstance(work, ast.Name) else work.attr, work)
    return Origin.UNKNOWN


def _named_origin(scope: Scope, name: str, func: ast.expr) -> Origin:
    """What a call's name says, else what its receiver says.

    A search of a keyword or fuzzy index (``index.bm25.search(terms)``) is that index's, and
    a function imported from a string-matching module (``from pkg.fuzzy import similarity``)
    returns a string ratio, whatever its name.
    """
    if isinstance(func, ast.Name) and func.id in scope.imports.string_names:
        return Origin.STRING
    found = classify(words(name))
    if found is Origin.UNKNOWN:
        return _receiver_origin(scope, func)
    if found is Origin.SIMILARITY:
        receiver = _receiver_origin(scope, func)
        if receiver in (Origin.KEYWORD, Origin.STRING):
            return receiver
        if receiver is Origin.MODEL and set(words(name)) & SIMILARITY_SOURCES == {"query"}:
            return receiver  # `llm_client.query_json(prompt)`: a model is asked, not searched
    return found


def _receiver_origin(scope: Scope, func: ast.expr) -> Origin:
    """What the objects a method is called on say: ``self.llm_gateway.ask`` is an LLM's.

    A parameter's annotation speaks for it: ``scorer.search(q)`` with ``scorer: BM25``. An
    object named ``inner`` is one wrapped (``self.inner.score(t)``), no inner product.
    """
    chain: list[str] = []
    while isinstance(func, ast.Attribute):
        func = func.value
        if isinstance(func, ast.Attribute):
            chain.extend(words(func.attr))
        elif isinstance(func, ast.Name):
            chain.extend(words(func.id))
            chain.extend(scope.annotation_words(func.id))  # `scorer: BM25`
            if func.id in scope.imports.string_names:
                return Origin.STRING
    return classify([w for w in chain if w != "inner"])


def _returned_origin(scope: Scope, call: ast.Call, depth: int, seen: set[str]) -> Origin:
    """The origin of what a function of this module returns, for ``f()`` and ``self.m()``.

    ``self._text_similarity(a, b)`` that returns a ratio of word counts is no embedding
    similarity, whatever its name says.
    """
    func = call.func
    if isinstance(func, ast.Name):
        nested = _nested_definition(scope, func.id)
        if nested is not None:  # `async def do_search(): ...` inside the caller
            key = f"def:{id(nested[1])}"
            if key not in seen:
                seen.add(key)
                found = _returned(nested[0].child_function(nested[1]), nested[1], depth, seen)
                if found is not Origin.UNKNOWN:
                    return found
    module = scope.module_scope()
    for owner, function in _called(scope, func)[:3]:
        key = f"def:{id(function)}"
        if key in seen:
            continue
        seen.add(key)
        outer = module.child_class(owner) if owner is not None else module
        inner = outer.child_function(function)
        found = _returned(inner, function, depth, seen)
        if found is not Origin.UNKNOWN:
            return found
    return Origin.UNKNOWN


def _called(scope: Scope, func: ast.expr) -> list[Definition]:
    """The module's definitions a call may run: ``f()``'s, ``self.m()``'s, ``entry.m()``'s.

    ``entry.matches_query(q)`` over the module's ``SpatialMemoryEntry`` objects: the one
    method so named, of a class the receiver's name says (``e.to_dict()`` may be any class's).
    """
    if isinstance(func, ast.Name):
        return [d for d in scope.definitions.get(func.id, []) if d[0] is None]
    if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)):
        return []
    if func.value.id in ("self", "cls"):
        methods = [d for d in scope.definitions.get(func.attr, []) if d[0] is not None]
        own = [d for d in methods if d[0] is not None and d[0].name == scope.class_name]
        return own or methods
    # a base class's stub (`assert False`, `raise NotImplementedError`) computes nothing
    candidates = [d for d in scope.definitions.get(func.attr, []) if not _stub(d[1])]
    owner = candidates[0][0] if len(candidates) == 1 else None
    if owner is None or not set(words(func.value.id)) & set(words(owner.name)):
        return []
    return candidates


def _stub(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Whether a function's body only documents, passes or fails (an abstract method's)."""
    for statement in function.body:
        if isinstance(statement, (ast.Pass, ast.Raise)):
            continue
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
            continue  # its docstring, or `...`
        if isinstance(statement, ast.Assert) and isinstance(statement.test, ast.Constant):
            continue  # `assert False`
        return False
    return True


def _nested_definition(
    scope: Scope, name: str
) -> tuple[Scope, ast.FunctionDef | ast.AsyncFunctionDef] | None:
    """A function ``name`` defined in the body of the function around ``scope``, and that scope."""
    outer = scope.function_scope()
    if outer is None or outer.kind != "function":
        return None
    pending = list(getattr(outer.node, "body", []))
    while pending:
        statement = pending.pop()
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if statement.name == name:
                return outer, statement
        elif not isinstance(statement, ast.ClassDef):
            for field in ("body", "orelse", "finalbody"):
                pending.extend(getattr(statement, field, ()))
            for handler in getattr(statement, "handlers", ()):
                pending.extend(handler.body)
    return None


def _returned(
    inner: Scope, function: ast.FunctionDef | ast.AsyncFunctionDef, depth: int, seen: set[str]
) -> Origin:
    """What ``function`` returns: an embedding similarity on any of its paths, else the first.

    A cosine of embeddings with a word-overlap fallback for memories without vectors is a
    similarity (its thresholds are the model's), whichever ``return`` comes first. What an
    ``except`` returns is an error's stand-in (``ChunkSimilarity(score=0.0)`` when the LLM that
    grades fails): it counts only when nothing else says.
    """
    first = Origin.UNKNOWN
    main, stand_ins = _returns(function)
    for returned in [*main, *stand_ins]:
        assert returned.value is not None
        found = follow(inner, returned.value, depth, seen, returned.lineno)
        if found is Origin.SIMILARITY and returned in main:
            return found
        if first is Origin.UNKNOWN:
            first = found
    return first


def _returns(function: ast.AST) -> tuple[list[ast.Return], list[ast.Return]]:
    """A function's ``return value`` statements, in source order, and those of its ``except``s.

    Statements only: a ``return`` is one, so expressions (most of a body's nodes) are never
    walked, nor nested functions and classes.
    """
    found: tuple[list[ast.Return], list[ast.Return]] = ([], [])
    pending: list[tuple[int, ast.stmt]] = [(0, s) for s in getattr(function, "body", ())]
    while pending:
        handled, statement = pending.pop()
        if isinstance(statement, ast.Return):
            if statement.value is not None:
                found[handled].append(statement)
        elif not isinstance(statement, _NEW_SCOPES):
            for name in _STATEMENT_LISTS:
                pending.extend((handled, s) for s in getattr(statement, name, ()))
            for handler in getattr(statement, "handlers", ()):
                pending.extend((1, s) for s in handler.body)
            for case in getattr(statement, "cases", ()):
                pending.extend((handled, s) for s in case.body)
    return sorted(found[0], key=lambda n: n.lineno), sorted(found[1], key=lambda n: n.lineno)


_NEW_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_STATEMENT_LISTS = ("body", "orelse", "finalbody")


def percent_scale(scope: Scope, expr: ast.expr, depth: int = 3) -> float:
    """100 when a score was made a percentage on its way (``cosine(a, b)[0][0] * 100``), else 1.

    Followed through the names it reads, back to their bindings in the function, ``depth``
    bindings deep (``adjusted = similarity * decay`` after ``similarity = cos * 100``).
    """
    around = scope.function_scope()
    line = getattr(expr, "lineno", 0)
    for node in walk(expr):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
            for side in (node.left, node.right):
                if isinstance(side, ast.Constant) and side.value in (100, 100.0):
                    return 100.0
        elif isinstance(node, ast.Name) and around is not None and depth > 0:
            bindings = [b for b in around.assigned().get(node.id, []) if b[0] < line]
            if bindings and percent_scale(around, bindings[-1][1], depth - 1) == 100.0:
                return 100.0
    return 1.0


def _comprehension_origin(
    scope: Scope,
    expr: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp,
    depth: int,
    seen: set[str],
    line: int,
) -> Origin:
    """The origin of a comprehension's elements: what is iterated, as a rule.

    ``h.score for h in hits`` is followed back through ``h``, unless each element says it is
    no similarity (``(tag, trigram_similarity(a, b)) for tag in tags``), or is a product of
    two embeddings of the items (``float(np.dot(c["embedding"], p["embedding"])) for p in
    picked``, whatever else the items hold: their rank, their quality), or, where the iterated
    says nothing, computes one (``(cid, _cosine(q, emb)) for cid, emb in vectors.items()``).
    """
    element = expr.value if isinstance(expr, ast.DictComp) else expr.elt
    found = follow(scope, element, depth, set(seen), line)
    if found in NOT_SIMILARITY:
        return found
    if found is Origin.SIMILARITY and _embedding_product(element):
        return found  # `np.dot(c["embedding"], p["embedding"]) for p in picked`: scored here
    iterated = follow(scope, expr.generators[0].iter, depth, seen, line)
    if iterated is Origin.UNKNOWN and found is Origin.SIMILARITY and _computes(element):
        return found
    return iterated


def _embedding_product(element: ast.expr) -> bool:
    """Whether an element is a dot product of two different embeddings it reads.

    ``np.dot(cand["embedding"], p.embedding)`` or ``a.vector @ b.vector``: both operands
    name an embedding or vector, and they are not the same (``v @ v`` is a squared length).
    """
    for node in walk(element):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult):
            operands = [node.left, node.right]
        elif isinstance(node, ast.Call) and call_name(node) in ("dot", "inner", "vdot"):
            operands = list(node.args)
        else:
            continue
        if (
            len(operands) == 2
            and not self_product(node)
            and all(_names_vectors(operand) for operand in operands)
        ):
            return True
    return False


def _names_vectors(expr: ast.expr) -> bool:
    """Whether an expression reads an embedding or vector (a key, attribute or name)."""
    for node in walk(expr):
        named = ""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            named = node.value
        elif isinstance(node, ast.Attribute):
            named = node.attr
        elif isinstance(node, ast.Name):
            named = node.id
        if set(words(named)) & VECTOR_WORDS:
            return True
    return False


def _computes(element: ast.expr) -> bool:
    """Whether an element calls a function named for a similarity (``_cosine(q, emb)``).

    Its own name, not its receiver's (``self.distance_measure.single_turn_ascore(...)``
    scores strings) nor a search's (``score_query(tokens, doc)`` is a word overlap).
    """
    return any(
        isinstance(node, ast.Call) and set(words(call_name(node))) & SPECIFIC_WORDS
        for node in walk(element)
    )
