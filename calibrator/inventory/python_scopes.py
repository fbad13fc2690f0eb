"""Python naming scopes: which slot a name means, and what feeds a value.

A :class:`Scope` is a module, class, function or lambda. Seen from one, a name is a parameter
(``p:f.x``), a local (``l:path:line:x``), a class attribute (``a:C.x``) or a module name
(``g:x``), following Python's rules (class bodies are not visible from their methods).
:meth:`Scope.sources` gives the slots an expression takes its value from;
:meth:`Scope.assigned` what each name is bound to, for :mod:`.python_origin`.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from functools import lru_cache

from calibrator.inventory.facts import CONTEXTS_THAT_RULE, Origin, origin_of_context
from calibrator.inventory.names import path_words, says_threshold, threshold_name, words
from calibrator.inventory.python_bindings import (
    Definition,
    assignments,
    class_targets,
    definitions_of,
    parameters,
    statement_bindings,
)
from calibrator.inventory.python_exprs import (
    FIELD_CALLS,
    call_name,
    reads_scores,
    score_expr,
    value_name,
)
from calibrator.inventory.python_imports import Imports
from calibrator.inventory.python_reaching import sole_bindings
from calibrator.inventory.python_records import Records
from calibrator.inventory.python_walk import statements, walk
from calibrator.inventory.vocabulary import (
    CLASSIFIER_CALLS,
    DENSE_MODULE_WORDS,
    DENSE_WORDS,
    EMBEDDERS,
    EMBEDDING_MODELS,
    EMBEDDING_WORDS,
    GENERIC_TASKS,
    MODEL_CONTEXTS,
    SIMILARITY_NAMES,
    SIMILARITY_SEARCH_CALLS,
    SIMILARITY_SOURCES,
    STRING_SOURCES,
)

GETTERS = frozenset({"get", "pop", "getenv", "setdefault", "getini"})
PASS_THROUGH = frozenset(
    {"float", "int", "str", "abs", "round", "max", "min", "Decimal", "enumerate", "zip", "list",
     "sorted", "reversed", "tuple", "iter", "next", "dict", "items", "values", "clip", "clamp"}
)  # fmt: skip


@dataclass
class Scope:
    """One naming scope, and the way to its enclosing ones."""

    kind: str  # module, class, function, lambda
    path: str
    node: ast.AST
    imports: Imports
    parent: Scope | None = None
    callee: str = ""  # the name parameters are shared under: function, or class for __init__
    class_name: str | None = None  # the class whose `self` this scope sees
    base: str | None = None  # that class's first base, for super()
    params: frozenset[str] = frozenset()
    bound: frozenset[str] | None = frozenset()  # None: a function's, found on first use
    words: tuple[str, ...] = ()
    context_origin: Origin = Origin.UNKNOWN
    module_names: frozenset[str] = frozenset()
    definitions: dict[str, list[Definition]] = field(default_factory=dict, repr=False)
    _assigned: dict[str, list[tuple[int, ast.expr]]] | None = field(default=None, repr=False)
    _record_keys: frozenset[str] | None = field(default=None, repr=False)
    _sole: dict[int, ast.Name] | None = field(default=None, repr=False)
    _sole_targets: frozenset[int] = frozenset()
    module_records: Records | None = field(default=None, repr=False)  # on the module scope
    own: str = ""  # a method's own parameter slots (`Class.method`); else the callee's
    imported: frozenset[str] = frozenset()  # names a function imports in its own body
    # names bound to what a search returns (`hits = store.search(q)`), with their first line
    searched: dict[str, int] | None = field(default=None, repr=False)

    # -- building ------------------------------------------------------------------------
    @classmethod
    def module(cls, tree: ast.Module, path: str, imports: Imports) -> Scope:
        """The module scope: module-level names and names imported from other modules.

        Its folders and file name are context as a class's name is: thresholds written in
        ``library/sensitive_data_detection/actions.py`` apply to a detector's scores.
        """
        names = set(imports.imported) | statement_bindings(tree)[0]
        place = path_words(path)
        origin = origin_of_context(place, evaluation=True)
        if (
            origin is Origin.MODEL
            and set(place) & MODEL_CONTEXTS <= GENERIC_TASKS
            and _embeds(_named_in(tree), EMBEDDERS | SIMILARITY_SEARCH_CALLS)
        ):  # `classification/dedup.py` calling `store.find_similar`: as a class, below
            origin = Origin.UNKNOWN
        tfidf = {n for n in imports.lexical_names if "tfidf" in words(n)}
        if (
            origin is Origin.UNKNOWN
            and tfidf
            and tfidf & _names_used(tree)  # walked only where a TF-IDF builder is imported
            and not _embeds(_named_in(tree), DENSE_MODULE_WORDS)
        ):  # a module that scores by `TfidfVectorizer` and nothing dense: its cosines are lexical
            origin = Origin.KEYWORD
        return cls(
            "module",
            path,
            tree,
            imports,
            context_origin=origin,
            module_names=frozenset(names),
            definitions=definitions_of(tree),
        )

    def child_class(self, node: ast.ClassDef) -> Scope:
        """The scope of a class body."""
        base = next(
            (b.id if isinstance(b, ast.Name) else b.attr for b in node.bases
             if isinstance(b, (ast.Name, ast.Attribute))),
            None,
        )  # fmt: skip
        context = (*self.words, *words(node.name))
        # the specific before the general: a model's or a string ratio's class (by its words,
        # its module's path or an outer class, or the string library it uses), then an
        # evaluation metric's or an agent's (by its own name or base, then by its module's)
        origin = origin_of_context(context)
        # a `HybridFuzzyMatcher` (in `hybrid_fuzzy_matcher.py`) scoring `fuzz.WRatio` and
        # `util.cos_sim` of embeddings: each comparison says which score it bounds
        if origin is Origin.STRING and _embeds(_names_used(node)):
            return self._class_scope(node, base, context, Origin.UNKNOWN)
        if origin is Origin.UNKNOWN and self.context_origin in CONTEXTS_THAT_RULE:
            origin = self.context_origin
        if origin is Origin.UNKNOWN and self.imports.string_names:
            used = _names_used(node)
            # `FuzzyMatcher` beside a `SemanticSimilarityChecker`: each comparison says
            if used & self.imports.string_names and not _embeds(used, SEMANTIC_WORDS):
                origin = Origin.STRING
        if origin is Origin.UNKNOWN and self.imports.builds_models:
            origin = _built_model(node)
        own = (*words(node.name), *(words(base) if base else ()))
        if origin is Origin.UNKNOWN:
            origin = origin_of_context(own, evaluation=True)
        if origin is Origin.UNKNOWN and not (
            self.context_origin is Origin.EVALUATION and set(own) & SIMILARITY_NAMES
        ):  # a `SimilarityEvaluator` in `evaluation.py` bounds similarities
            origin = self.context_origin
        if (
            origin is Origin.MODEL
            and set(context).union(own) & MODEL_CONTEXTS <= GENERIC_TASKS
            and _embeds(_named_in(node), EMBEDDERS | SIMILARITY_SEARCH_CALLS)
        ):  # a `SlotClassifier(embedder)`, a `ConflictDetector` or a dedup checker calling
            # `store.find_similar` ranks by embeddings
            origin = Origin.UNKNOWN
        return self._class_scope(node, base, context, origin)

    def _class_scope(
        self, node: ast.ClassDef, base: str | None, context: tuple[str, ...], origin: Origin
    ) -> Scope:
        return Scope(
            "class", self.path, node, self.imports, self, node.name, node.name, base,
            bound=frozenset(n for s in node.body for n in class_targets(s)),
            words=context, context_origin=origin, module_names=self.module_names,
            definitions=self.definitions,
        )  # fmt: skip

    def child_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> Scope:
        """The scope of a function or method body."""
        in_class = self.kind == "class"
        callee = self.callee if in_class and node.name == "__init__" else node.name
        own = f"{self.class_name}.{node.name}" if in_class and callee == node.name else callee
        params = frozenset(name for name, _, _ in parameters(node.args))
        context = (*self.words, *words(node.name))
        origin = self.context_origin
        if origin is Origin.UNKNOWN:
            origin = origin_of_context(words(node.name))
        if origin is Origin.UNKNOWN and (self.imports.lexical_names or self.imports.string_names):
            origin = self._library_context(node)
        return Scope(
            "function", self.path, node, self.imports, self, callee,
            self.class_name, self.base, params, None, context, origin, self.module_names,
            self.definitions, own=own,
        )  # fmt: skip

    def _library_context(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> Origin:
        """What a function's use of a TF-IDF builder or a string library makes its scores.

        Its names are walked once for both.
        """
        used = _names_used(node)
        if used & self.imports.lexical_names and not _embeds(_named_in(node), DENSE_WORDS):
            # clusters TF-IDF vectors (`TfidfVectorizer(...)`), and no `self.embeddings`
            return Origin.KEYWORD
        # a `main` aligning paragraphs by `difflib.SequenceMatcher(...).ratio()`, as a class
        # does; a `RegexSplitter` splits texts, it does not compare them
        ratios = {n for n in used & self.imports.string_names if set(words(n)) & RATIO_WORDS}
        if ratios and not _embeds(used, SEMANTIC_WORDS):
            return Origin.STRING
        return Origin.UNKNOWN

    def child_lambda(self, node: ast.Lambda) -> Scope:
        """The scope of a lambda: its parameters are locals nobody else passes."""
        params = frozenset(name for name, _, _ in parameters(node.args))
        return Scope(
            "lambda", self.path, node, self.imports, self, "", self.class_name, self.base,
            frozenset(), params, self.words, self.context_origin, self.module_names,
            self.definitions,
        )  # fmt: skip

    def local_names(self) -> frozenset[str]:
        """Names bound in this scope's own statements, less its parameters and globals.

        Computed on first use: most functions never need it.
        """
        if self.bound is None:
            bound, declared, imported = statement_bindings(self.node)
            self.bound = frozenset(bound) - self.params - declared
            self.imported = frozenset(imported) - self.params - self.bound
        return self.bound

    # -- names -------------------------------------------------------------------------
    def resolve(self, name: str) -> str | None:
        """The slot a name read in this scope refers to, or ``None`` (builtins, unknowns)."""
        scope: Scope | None = self
        while scope is not None:
            if scope.kind in ("function", "lambda"):
                line = getattr(scope.node, "lineno", 0)
                if name in scope.params:
                    return f"p:{scope.own or scope.callee}.{name}"
                if name in scope.local_names():
                    return f"l:{self.path}:{line}:{name}"
                if name in scope.imported:  # a module's constant, imported where it is used
                    return f"g:{name}"
            elif scope.kind == "class" and scope is self and name in scope.local_names():
                return f"a:{scope.class_name}.{name}"
            scope = scope.parent
        return f"g:{name}" if name in self.module_names else None

    def resolve_read(self, node: ast.Name) -> str | None:
        """The slot a read of a name takes its value from (:meth:`resolve`'s, in general).

        Where a function binds the name more than once and only one assignment can reach this
        read, that assignment's own slot.
        """
        slot = self.resolve(node.id)
        if self.kind != "function" or slot is None or not slot.startswith("l:"):
            return slot
        target = self._sole_bindings().get(id(node))
        return slot if target is None else _binding_slot(slot, target)

    def binding_slot(self, target: ast.Name) -> str | None:
        """The own slot of an assignment that is the only one some read sees, or ``None``.

        It feeds the function-wide slot as well, for the reads that may see others.
        """
        if self.kind != "function":
            return None
        self._sole_bindings()
        if id(target) not in self._sole_targets:
            return None
        slot = self.resolve(target.id)
        return _binding_slot(slot, target) if slot is not None and slot.startswith("l:") else None

    def _sole_bindings(self) -> dict[int, ast.Name]:
        if self._sole is None:
            self._sole = sole_bindings(self.node)
            self._sole_targets = frozenset(id(t) for t in self._sole.values())
        return self._sole

    def own_key_slot(self, node: ast.Subscript) -> str | None:
        """The slot of a key of a record this function builds itself, or ``None``.

        ``point["threshold"] = t`` on a local, then ``best["threshold"]`` read from a local in
        the same function (``best = max(curve, ...)``): a key of the function's own records,
        not every mapping's of that name (a sweep's row is not a config file's setting). What
        it writes still goes to the shared key as well (a record returned and read elsewhere).
        """
        key = node.slice
        if not (
            isinstance(key, ast.Constant)
            and isinstance(key.value, str)
            and isinstance(node.value, ast.Name)
            and ":" not in key.value
        ):
            return None
        scope = self.function_scope()
        if scope is None or scope.kind != "function":
            return None
        name = node.value.id
        if name in scope.params or name not in scope.local_names():
            return None
        if key.value not in scope.record_keys():
            return None
        line = getattr(scope.node, "lineno", 0)
        return f"l:{self.path}#keys:{line}:{key.value}"

    def record_keys(self) -> frozenset[str]:
        """The keys this function writes on records of its own (``row["score"] = s``)."""
        if self._record_keys is None:
            keys = set()
            for node in statements(self.node):
                targets = (
                    node.targets
                    if isinstance(node, ast.Assign)
                    else [node.target]
                    if isinstance(node, ast.AugAssign | ast.AnnAssign)
                    else []
                )
                for target in targets:
                    if (
                        isinstance(target, ast.Subscript)
                        and isinstance(target.value, ast.Name)
                        and target.value.id not in self.params
                        and isinstance(target.slice, ast.Constant)
                        and isinstance(target.slice.value, str)
                    ):
                        keys.add(target.slice.value)
            self._record_keys = frozenset(keys)
        return self._record_keys

    def target_slot(self, target: ast.expr) -> str | None:
        """The slot an assignment target writes: local, parameter, attribute, key or global."""
        if isinstance(target, ast.Name):
            if self.kind == "class":
                return f"a:{self.class_name}.{target.id}"
            if self.kind == "module":
                return f"g:{target.id}"
            return self.resolve(target.id)
        if isinstance(target, ast.Attribute):
            return self._attribute_slot(target)
        if isinstance(target, ast.Subscript):
            key = target.slice
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                return f"k:{key.value}"
        return None

    def _attribute_slot(self, node: ast.Attribute) -> str:
        owner = node.value
        if (
            isinstance(owner, ast.Name)
            and self.class_name
            and (owner.id in ("self", "cls") or self._own_instance(owner.id))
        ):
            return f"a:{self.class_name}.{node.attr}"
        if isinstance(owner, ast.Name):
            annotated = self._annotated_class(owner.id)
            if annotated is not None:  # `config: FaceConfig`, then `config.strict_threshold`
                return f"a:{annotated}.{node.attr}"
            made = self._made_by(owner.id)
            if made is not None and made in self.imports.own_classes:
                self.imports.annotated.add(made)  # `cfg = FaceConfig(...)`: its field
                return f"a:{made}.{node.attr}"
            if made is not None:  # `sel = select_threshold(...)`: the class it returns
                return f"a:{made}().{node.attr}"
        return f"a:*.{node.attr}"

    def _instance_class(self, expr: ast.expr) -> str | None:
        """The package's class ``expr`` is an instance of, where the code shows it.

        ``self``; a parameter annotated with the class; a name bound once, in its function or
        at module level, to a call of the class (``EMBEDDINGGEMMA = Profile(name=...)``).
        """
        if not isinstance(expr, ast.Name):
            return None
        if expr.id == "self":
            return self.class_name
        annotated = self._annotated_class(expr.id)
        if annotated is not None:
            return annotated
        value = self._bound_once(expr.id)
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Name):
            made = self.imports.aliases.get(value.func.id, value.func.id)
            return made if made in self.imports.own_classes else None
        return None

    def _bound_once(self, name: str) -> ast.expr | None:
        """What ``name`` is bound to in the nearest function (or module) that binds it, once."""
        scope = self.function_scope()
        while scope is not None:
            bound = scope.assigned().get(name, [])
            if bound:
                return bound[0][1] if len(bound) == 1 else None
            scope = scope.parent.function_scope() if scope.parent is not None else None
        return None

    def _made_by(self, name: str) -> str | None:
        """The function or class a local of the enclosing function is the result of.

        ``selection = select_threshold(scores)``, bound once: ``selection.threshold`` is a
        field of what that function returns (the linker reads its return annotation), not
        every class's ``threshold``.
        """
        scope = self.function_scope()
        if scope is None or scope.kind != "function" or name in scope.params:
            return None
        bound = scope.assigned().get(name, [])
        if len(bound) != 1:
            return None
        value = bound[0][1]
        if isinstance(value, ast.Await):
            value = value.value
        if not isinstance(value, ast.Call) or not isinstance(value.func, ast.Name):
            return None
        return self.imports.aliases.get(value.func.id, value.func.id)

    def _annotated_class(self, name: str) -> str | None:
        """The class of this package a parameter of the enclosing function is annotated with.

        ``def match(faces, config: FaceConfig)``: ``config.strict_threshold`` is that class's
        field, not any class's attribute of that name. A class from elsewhere (a library's
        ``DictConfig``) says nothing of where its attributes are written.
        """
        owner = class_of(self._annotation(name))
        if owner is None or owner not in self.imports.own_classes:
            return None
        self.imports.annotated.add(owner)  # the linker checks the class has fields
        return owner

    def _annotation(self, name: str) -> ast.expr | None:
        """The annotation of a parameter of the enclosing function, if it is one."""
        scope = self.function_scope()
        if scope is None or scope.kind != "function" or name not in scope.params:
            return None
        function = scope.node
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return None
        arguments = function.args
        for argument in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs):
            if argument.arg == name:
                return argument.annotation
        return None

    def annotation_words(self, name: str) -> tuple[str, ...]:
        """The words of the class a parameter of the enclosing function is annotated with.

        ``def score(chunk, scorer: BM25)``: ``scorer.search(q)`` is a keyword index's search.
        """
        owner = class_of(self._annotation(name))
        return words(owner) if owner else ()

    def _own_instance(self, name: str) -> bool:
        """Whether ``name`` is bound to a new instance of this class in a method of it.

        ``obj = cls.__new__(cls)`` or ``obj = cls(...)`` in a loader (``from_disk``) that then
        sets ``obj.tau = meta.get("tau", 0.05)``: the class's own attribute, as ``self.tau``.
        """
        scope = self.function_scope()
        if scope is None or scope.kind != "function":
            return False
        for _, value in scope.assigned().get(name, []):
            if not isinstance(value, ast.Call):
                continue
            func, args = value.func, value.args
            if isinstance(func, ast.Name) and func.id in ("cls", self.class_name):
                return True
            if (
                isinstance(func, ast.Attribute)
                and func.attr == "__new__"
                and args
                and isinstance(args[0], ast.Name)
                and args[0].id in ("cls", self.class_name)
            ):
                return True
        return False

    def callee_of(self, call: ast.Call) -> str | None:
        """The name a call's parameters are shared under (``super().__init__``: the base).

        A copy with fields changed (``replace(PROFILE, gate=0.52)``, ``cfg._replace(k=5)``)
        hands them to the class the copied object was made by, where that shows.
        """
        func = call.func
        copied = _copied(call)
        if copied is not None:
            made = self._instance_class(copied)
            if made is not None:
                return made
        if isinstance(func, ast.Name):
            if func.id == "cls" and self.class_name:
                return self.class_name
            # `from .use_cases import process_orphans as process_orphans_use_case`
            return self.imports.aliases.get(func.id, func.id)
        if isinstance(func, ast.Attribute):
            owner = func.value
            if (
                func.attr == "__init__"
                and isinstance(owner, ast.Call)
                and isinstance(owner.func, ast.Name)
                and owner.func.id == "super"
            ):
                return self.base
            return func.attr
        return None

    def getter(self, call: ast.Call) -> tuple[str, ast.expr | None] | None:
        """The slot a getter reads and the default it falls back to (``None``: no default)."""
        own = self._own_reader(call)
        if own is not None:
            return own
        key = self.getter_key(call)
        return (key, getter_default(call)) if key is not None else None

    def fallback_slot(self, call: ast.Call, slot: str) -> str:
        """Where the default of a getter reading ``slot`` is written: that read's own place.

        ``value.get("threshold", 0.7)`` falls back to 0.7 at this read only: what every other
        mapping with a bare ``"threshold"`` key holds, or what reads it, says nothing of this
        0.7. A key that says what it bounds (``"similarity_threshold"``) is one setting
        wherever the package writes and reads it, and an environment variable's default
        (``os.getenv("SIM_MIN", "0.7")``) the variable's: they stay shared.
        """
        if not slot.startswith("k:") or len(words(slot[2:])) > 1 or _environment(call):
            return slot
        return f"d:{self.path}:{call.lineno}:{call.col_offset}:{slot[2:]}"

    def _own_reader(self, call: ast.Call) -> tuple[str, ast.expr] | None:
        """A call of the module's own reader of settings, with its key and default.

        ``_parse_float_field(raw, "dedup_threshold", 0.92, "defaults.dedup_threshold")``, whose
        body reads ``raw.get(key, default)``: the key and the default are the arguments in
        the places of the parameters it hands to ``get`` (or ``getenv``), whatever its name;
        ``self._read(raw, "min_score", 0.35)`` for a method of the caller's class.
        """
        func = call.func
        method = False
        if isinstance(func, ast.Name):
            name = func.id
        elif isinstance(func, ast.Attribute) and value_name(func.value) in ("self", "cls"):
            name, method = func.attr, True
        else:
            return None
        found = self.definitions.get(name, [])
        if len(found) != 1 or len(call.args) < 2 or (found[0][0] is not None) != method:
            return None
        places = reader_places(found[0][1])
        if places is None:
            return None
        at_key, at_default = (place - method for place in places)
        key = call.args[at_key] if 0 <= at_key < len(call.args) else None
        if (
            at_default < len(call.args)
            and isinstance(key, ast.Constant)
            and isinstance(key.value, str)
            and _KEY.fullmatch(key.value)
        ):
            return f"k:{key.value}", call.args[at_default]
        return None

    def getter_key(self, call: ast.Call) -> str | None:
        """The slot a getter reads: ``k:KEY``, ``a:*.x`` or ``a:Class.*``.

        ``k:KEY`` for ``cfg.get("KEY", d)`` and environment readers (``os.getenv``, a
        project's ``_env_float``); ``a:*.x`` for ``getattr``, and ``a:Class.*`` (any field of
        the caller's own class) for ``getattr(self, name)``. The module's own readers of
        settings are :meth:`getter`'s.
        """
        name = call_name(call)
        args = call.args
        if _sectioned(call):  # `cfg.getfloat("rag", "similarity_threshold", fallback=0.72)`
            option = args[1]
            assert isinstance(option, ast.Constant)
            assert isinstance(option.value, str)
            return f"k:{option.value}"
        # `_get_config_value(config, "semantic_threshold", default=0.15)`, and an imported
        # `get(cfg, "semantic_link.threshold", 0.75)`
        keyed = _keyed_default(call)
        path = keyed[0] if keyed is not None else _path_key(call, name)
        if path is not None:
            return f"k:{path}"
        # `os.getenv`, and a project's own `_env_float("BOUNDARY_THRESHOLD", 0.5)`
        if args and (name in GETTERS or "env" in words(name)):
            key = args[0]
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                return f"k:{key.value}"
        if name == "getattr" and len(args) >= 2:
            key = args[1]
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                return f"a:*.{key.value}"
            owner = args[0]
            if isinstance(owner, ast.Name) and owner.id in ("self", "cls") and self.class_name:
                # `getattr(self, f"threshold_{category}", 0.0)`: the fields of that prefix;
                # `getattr(self, category, 0.85)`: any field
                first = key.values[0] if isinstance(key, ast.JoinedStr) and key.values else None
                prefix = first.value if isinstance(first, ast.Constant) else ""
                prefix = prefix if isinstance(prefix, str) else ""
                return f"a:{self.class_name}.{prefix}*"
        return None

    def sources(self, expr: ast.expr) -> list[str]:  # noqa: C901, PLR0911, PLR0912
        """The slots whose values an expression passes on (``x``, ``self.t``, ``cfg.get``)."""
        if isinstance(expr, ast.Name):
            slot = self.resolve_read(expr)
            return [slot] if slot else []
        if isinstance(expr, ast.Attribute):
            return [self._attribute_slot(expr)]
        if isinstance(expr, ast.Subscript):
            key = expr.slice
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                own = self.own_key_slot(expr)
                return [own] if own is not None else [f"k:{key.value}"]
            return self.sources(expr.value)  # `thresholds[model][metric]`: the table's
        if isinstance(expr, ast.Call):
            getter = self.getter(expr)
            if getter is not None:
                slot, default = getter
                own = self.fallback_slot(expr, slot)
                return [
                    slot,
                    *([own] if own != slot else []),
                    *(self.sources(default) if default is not None else []),
                ]
            name = call_name(expr)
            found = []
            if name == "get" and isinstance(expr.func, ast.Attribute):
                found = self.sources(expr.func.value)  # `thresholds.get(model, {}).get(metric)`
            if name in GETTERS and len(expr.args) >= 2:  # `os.getenv(ENV_NAME, str(DEFAULT))`
                return found + self.sources(expr.args[-1])
            if found:
                return found
            if name in PASS_THROUGH:
                return [s for a in expr.args for s in self.sources(a)]
            if name in FIELD_CALLS:
                given = [k.value for k in expr.keywords if k.arg == "default"] + expr.args[:1]
                return self.sources(given[0]) if given else []
            if threshold_name(name).strength > 0 or says_threshold(name):
                # `_get_dedup_threshold(n)`, `_load_quality_threshold()`: what it returns
                return self.returned_slots(expr.func)
            if not expr.args and not expr.keywords:
                # `floor = _chunk_fallback_min_cosine()`: a function of nothing returns a
                # setting (a constant, the environment's), whatever it is called
                return self.returned_slots(expr.func)
            return []
        if isinstance(expr, ast.IfExp):
            return self.sources(expr.body) + self.sources(expr.orelse)
        if isinstance(expr, ast.BoolOp):
            return [s for v in expr.values for s in self.sources(v)]
        if isinstance(expr, ast.BinOp):
            if any(score_expr(side) is not None and not self.is_parameter(side)
                   for side in (expr.left, expr.right)):  # fmt: skip
                return []  # arithmetic on a score gives a score, not a threshold
            if isinstance(expr.op, (ast.Add, ast.Sub)):  # `t - SLACK`, `1 - threshold`
                main = expr.right if isinstance(expr.left, ast.Constant) else expr.left
                return self.sources(main)
            if isinstance(expr.op, (ast.Div, ast.FloorDiv)):
                return self.sources(expr.left)  # `2.0 * HAMMING / bits`: the divisor scales
            return self.sources(expr.left) + self.sources(expr.right)
        if isinstance(expr, ast.UnaryOp):
            return self.sources(expr.operand)
        if isinstance(expr, ast.NamedExpr):
            return self.sources(expr.value)
        if isinstance(expr, ast.Dict):  # `{**DEFAULT_THRESHOLDS, **configured}`: both merged
            return [s for k, v in zip(expr.keys, expr.values, strict=True) if k is None
                    for s in self.sources(v)]  # fmt: skip
        return []

    def returned_slots(self, func: ast.expr) -> list[str]:
        """The slot of what a called function returns: ``r:f``, ``r:Class.m``, ``r:*.m``.

        A module's function by name, a method of the caller's own class (``_set_threshold`` in
        two classes are two slots), or a method of another object, which stands for every
        class's method of that name (``self._thresholds.get_threshold_for_category(cat)``).
        """
        if isinstance(func, ast.Name):
            return [f"r:{func.id}"]
        if not isinstance(func, ast.Attribute):
            return []
        if isinstance(func.value, ast.Name) and func.value.id in ("self", "cls"):
            return [f"r:{self.class_name}.{func.attr}"] if self.class_name else []
        return [f"r:*.{func.attr}"]

    def is_parameter(self, expr: ast.expr) -> bool:
        """Whether ``expr`` names a parameter: a setting, not a score computed here.

        ``max_distance = 1.0 - similarity`` with ``similarity=0.95`` passes the setting on, and
        ``if cosine < low_score: continue`` with ``low_score=0.63`` is a cutoff (a running
        best score is a local, not a parameter).
        """
        return isinstance(expr, ast.Name) and (self.resolve(expr.id) or "").startswith("p:")

    # -- what a function computes --------------------------------------------------------
    def module_scope(self) -> Scope:
        """The scope of the module this scope is in."""
        module = self
        while module.parent is not None:
            module = module.parent
        return module

    def records(self) -> Records:
        """The module's record classes and where its functions build them (computed once)."""
        module = self.module_scope()
        if module.module_records is None:
            module.module_records = Records(module.node, module.definitions)
        return module.module_records

    def function_scope(self) -> Scope | None:
        """The nearest function (or the module) around this scope, past classes and lambdas."""
        scope: Scope | None = self
        while scope is not None and scope.kind not in ("function", "module"):
            scope = scope.parent
        return scope

    def assigned(self) -> dict[str, list[tuple[int, ast.expr]]]:
        """The expressions each name of this scope is bound to (computed once, on demand)."""
        if self._assigned is None:
            self._assigned = assignments(self.node)
        return self._assigned

    def latest_binding(self, name: str, line: int) -> ast.expr | None:
        """What ``name`` was last bound to in its function at or before ``line``, if anything."""
        scope = self.function_scope()
        if scope is None:
            return None
        before = [value for at, value in scope.assigned().get(name, []) if at <= line]
        return before[-1] if before else None

    def counted(self, name: str, line: int) -> bool:
        """Whether ``name``, as read at ``line``, is bound from counts (``len(a) / len(b)``).

        Its latest binding before ``line`` decides: ``scores = 1 - distances`` compared, then
        ``scores = csr_matrix(..., shape=(len(ids), n))`` later, is no ratio of counts; nor is
        a mean or a sum of scores (``sum(similarity_scores) / len(similarity_scores)``,
        ``sum(r["score"] for r in results)``).
        """
        latest = self.latest_binding(name, line)
        if latest is None:
            return False
        if any(
            isinstance(c, ast.BinOp) and isinstance(c.op, ast.Div) and reads_scores(c.left)
            for c in walk(latest)
        ):
            return False  # `sum(similarities) / len(similarities)`: a mean of scores
        return any(
            isinstance(c, ast.Call)
            and isinstance(c.func, ast.Name)
            and (c.func.id == "len" or (c.func.id == "sum" and not reads_scores(c)))
            for c in walk(latest)
        )


RATIO_WORDS = STRING_SOURCES - {"regex", "regexp"}
"""Words of a string library's names that compare strings (``difflib``, ``fuzz``)."""


def _built_model(node: ast.ClassDef) -> Origin:
    """A class whose ``__init__`` builds a classifier and no embedding model serves the model.

    ``pipeline(task="zero-shot-classification")``, ``get_model_for_classification(...)`` or an
    NLI model built there: the class's thresholds bound that model's scores (a topic ban's
    label score, an entailment probability). Its imports of a string library inside methods
    count too (``from rapidfuzz import distance`` in ``__post_init__``): a string ratio's.
    """
    called: set[str] = set()
    for statement in node.body:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)) and statement.name in (
            "__init__", "__post_init__", "setup", "load", "_load_model",
        ):  # fmt: skip
            for inner in walk(statement):
                if isinstance(inner, ast.ImportFrom) and set(words(inner.module or "")) & (
                    STRING_SOURCES
                ):
                    return Origin.STRING
                if isinstance(inner, ast.Call):
                    called.update(_call_words(inner))
    if called & CLASSIFIER_CALLS and not called & (SIMILARITY_SOURCES | EMBEDDING_MODELS):
        return Origin.MODEL
    return Origin.UNKNOWN


def _call_words(call: ast.Call) -> tuple[str, ...]:
    """The words of a call's name, and of the ``task=`` it is given (a ``pipeline``'s)."""
    found = words(call_name(call))
    for keyword in call.keywords:
        if keyword.arg == "task" and isinstance(keyword.value, ast.Constant):
            found = (*found, *words(str(keyword.value.value)))
    return found


SEMANTIC_WORDS = EMBEDDING_WORDS | {"semantic"}
"""Words of the names a class uses that say it compares meanings too, beside string ratios."""


def _embeds(names: set[str], said: frozenset[str] = EMBEDDING_WORDS) -> bool:
    """Whether code handles embeddings as well as string ratios or TF-IDF vectors.

    ``TempTopic`` matches phrases with ``fuzz.token_set_ratio`` in one method and compares
    topic embeddings by cosine in another: the string library does not make its cosine a
    string ratio. A pipeline that builds a ``TFIDFLabelMapper`` beside an ``SBERTRetrieval``
    (``said``: :data:`DENSE_WORDS`) is no TF-IDF clustering either.
    """
    return any(said.intersection(words(name)) for name in names)


def _names_used(node: ast.AST) -> set[str]:
    """The names a class's or function's code reads or binds (``fuzz``, ``TfidfVectorizer``)."""
    return {n.id for n in walk(node) if isinstance(n, ast.Name)}


def _named_in(node: ast.AST) -> set[str]:
    """The names, parameters and attributes a class's code uses."""
    found: set[str] = set()
    for inner in walk(node):
        if isinstance(inner, ast.Name):
            found.add(inner.id)
        elif isinstance(inner, ast.arg):
            found.add(inner.arg)
        elif isinstance(inner, ast.Attribute):
            found.add(inner.attr)
    return found


def _copied(call: ast.Call) -> ast.expr | None:
    """What a call copies with fields changed: ``replace(obj, k=v)``, ``obj._replace(k=v)``."""
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr == "_replace":
        return func.value  # a named tuple's
    replaced = (isinstance(func, ast.Name) and func.id == "replace") or (
        isinstance(func, ast.Attribute)
        and func.attr == "replace"
        and isinstance(func.value, ast.Name)
        and func.value.id in ("dataclasses", "copy")
    )
    return call.args[0] if replaced and call.args and call.keywords else None


def class_of(annotation: ast.expr | None) -> str | None:
    """The class an annotation names: ``FaceConfig``, ``"FaceConfig"``, ``FaceConfig | None``."""
    if annotation is None:
        return None
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        return annotation.value.strip() or None
    if isinstance(annotation, ast.Subscript) and value_name(annotation.value) == "Optional":
        return class_of(annotation.slice)
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        for side in (annotation.left, annotation.right):
            if not (isinstance(side, ast.Constant) and side.value is None):
                return class_of(side)
    return value_name(annotation)  # `FaceConfig`, `config.FaceConfig`


def _environment(call: ast.Call) -> bool:
    """``os.getenv(...)``, ``os.environ.get(...)``, a project's ``_env_float(...)``."""
    func = call.func
    receiver = value_name(func.value) if isinstance(func, ast.Attribute) else ""
    name = call_name(call)
    return name == "getenv" or "env" in words(name) or "environ" in words(receiver or "")


SECTIONED_GETTERS = frozenset({"getfloat", "getint"})
"""``configparser``'s typed getters, which read an option of a section (and a project's
``_getfloat(section, option, default)`` around them)."""


def _sectioned(call: ast.Call) -> bool:
    """``cfg.getfloat("rag", "similarity_threshold", ...)``: a section, then an option."""
    args = call.args
    return (
        call_name(call).lstrip("_") in SECTIONED_GETTERS
        and len(args) >= 2
        and all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in args[:2])
    )


@lru_cache(maxsize=256)
def reader_places(node: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[int, int] | None:
    """Where a function's key and default parameters are, if it reads settings with them.

    ``def _parse_float_field(raw, key, default, label)`` whose body calls
    ``raw.get(key, default)`` (or ``os.getenv(key, default)``): ``(1, 2)``; ``def _get(key,
    default)`` returning ``stored.get(key) or os.environ.get(key) or default``: ``(0, 1)``.
    Its callers pass a key and its fallback as a getter's are passed. Cached: a module's
    calls of one reader ask for the same definition.
    """
    positional = [a.arg for a in (*node.args.posonlyargs, *node.args.args)]
    if len(positional) < 2:
        return None
    for inner in walk(node):
        if (
            isinstance(inner, ast.Call)
            and len(inner.args) == 2
            and call_name(inner) in ("get", "getenv")
            and all(isinstance(a, ast.Name) and a.id in positional for a in inner.args)
        ):
            key, default = inner.args
            assert isinstance(key, ast.Name)
            assert isinstance(default, ast.Name)
            return positional.index(key.id), positional.index(default.id)
        if isinstance(inner, ast.Return) and isinstance(inner.value, ast.BoolOp):
            places = _or_default(inner.value, positional)
            if places is not None:
                return places
    return None


def _or_default(chain: ast.BoolOp, positional: list[str]) -> tuple[int, int] | None:
    """``stored.get(key) or os.environ.get(key) or default``: the key's and default's places."""
    last = chain.values[-1]
    if not (isinstance(chain.op, ast.Or) and isinstance(last, ast.Name) and last.id in positional):
        return None
    for value in chain.values[:-1]:
        if (
            isinstance(value, ast.Call)
            and call_name(value) in ("get", "getenv")
            and value.args
            and isinstance(value.args[0], ast.Name)
            and value.args[0].id in positional
        ):
            return positional.index(value.args[0].id), positional.index(last.id)
    return None


def getter_default(call: ast.Call) -> ast.expr | None:
    """The default a getter falls back to: its last argument, or a section getter's third.

    ``cfg.get("KEY", 0.7)``, ``os.getenv("X", "0.8")``; ``cfg.getfloat(section, option,
    fallback=0.72)`` and ``_getfloat(section, option, 0.72)``.
    """
    if _sectioned(call):
        fallback = next((k.value for k in call.keywords if k.arg == "fallback"), None)
        return call.args[2] if len(call.args) > 2 else fallback
    keyed = _keyed_default(call)
    if keyed is not None:
        return keyed[1]
    return call.args[-1] if len(call.args) >= 2 else None


DEFAULT_KEYWORDS = frozenset({"default", "fallback", "default_value", "defaultValue"})
"""Keywords that give a reader of settings its fallback (``config("X", default=0.8)``)."""
_KEY = re.compile(r"[A-Za-z_][\w.]*")


def _path_key(call: ast.Call, name: str) -> str | None:
    """The key ``call`` reads a mapping by, with a fallback, all given by position.

    ``get(cfg, "semantic_link.threshold", 0.75)`` (a project's reader of nested settings,
    imported, whatever alias it goes by: ``cfg_get``) or pydash's ``get(obj, "a.b", 0.5)``:
    a reader named ``get``, three arguments, the second a key (an identifier, dotted or not),
    the first no string (``requests.get(url, ...)`` starts with its address).
    """
    args = call.args
    if len(args) != 3 or call.keywords or words(name)[-1:] != ("get",):
        return None
    key = args[1]
    if (
        isinstance(key, ast.Constant)
        and isinstance(key.value, str)
        and _KEY.fullmatch(key.value)
        and not (isinstance(args[0], ast.Constant) and isinstance(args[0].value, str))
    ):
        return key.value
    return None


def _keyed_default(call: ast.Call) -> tuple[str, ast.expr] | None:
    """The key and fallback of a reader of settings by key, whatever its name.

    ``_get_config_value(config, "semantic_threshold", default=0.15)``, python-decouple's
    ``config("SIMILARITY_THRESHOLD", default=0.8, cast=float)``, ``cfg.get("k", default=0.7)``:
    a string naming a key (an identifier, dotted or not) given by position, and a fallback by
    keyword. Command-line options (``"--threshold"``) are :func:`_option`'s.
    """
    default = next((k.value for k in call.keywords if k.arg in DEFAULT_KEYWORDS), None)
    if default is None:
        return None
    for arg in call.args:
        if (
            isinstance(arg, ast.Constant)
            and isinstance(arg.value, str)
            and _KEY.fullmatch(arg.value)
        ):
            return arg.value, default
    return None


def _binding_slot(slot: str, target: ast.Name) -> str:
    """``l:path:12:threshold`` as bound at line 52: ``l:path:12@52:8:threshold``."""
    head, _, name = slot.rpartition(":")
    return f"{head}@{target.lineno}:{target.col_offset}:{name}"
