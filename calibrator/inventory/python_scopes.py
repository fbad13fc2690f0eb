"""Python naming scopes: which slot a name means, what feeds a value, where a score comes from.

A :class:`Scope` is a module, class, function or lambda. Seen from one, a name is a parameter
(``p:f.x``), a local (``l:path:line:x``), a class attribute (``a:C.x``) or a module name
(``g:x``), following Python's rules (class bodies are not visible from their methods).
:meth:`Scope.sources` gives the slots an expression takes its value from;
:meth:`Scope.origin` follows a score back through the function's assignments and loops to the
call that produced it (a search, a cosine, a classifier, a fuzzy ratio).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from calibrator.inventory.facts import Origin
from calibrator.inventory.names import words
from calibrator.inventory.python_exprs import call_name, score_expr
from calibrator.inventory.python_imports import Imports
from calibrator.inventory.vocabulary import (
    KEYWORD_SOURCES,
    MODEL_CONTEXTS,
    MODEL_SOURCES,
    OUTCOME_WORDS,
    SIMILARITY_SOURCES,
    STRING_SOURCES,
)

GETTERS = frozenset({"get", "pop", "getenv", "setdefault"})
PASS_THROUGH = frozenset(
    {"float", "int", "abs", "round", "max", "min", "Decimal", "enumerate", "zip", "list",
     "sorted", "reversed", "tuple", "iter", "next", "dict", "items", "values"}
)  # fmt: skip
FIELD_CALLS = frozenset({"Field", "field", "PrivateAttr"})
_ORIGIN_DEPTH = 6

Function = ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
Definition = tuple[ast.ClassDef | None, ast.FunctionDef | ast.AsyncFunctionDef]
"""A function of the module, with the class it is a method of."""


def _definitions(tree: ast.Module) -> dict[str, list[Definition]]:
    """Every function and method of a module by name (statements only: cheap)."""
    found: dict[str, list[Definition]] = {}
    pending: list[tuple[ast.ClassDef | None, ast.stmt]] = [(None, s) for s in tree.body]
    while pending:
        owner, statement = pending.pop()
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found.setdefault(statement.name, []).append((owner, statement))
        elif isinstance(statement, ast.ClassDef):
            pending.extend((statement, s) for s in statement.body)
        else:
            for name in ("body", "orelse", "finalbody"):
                pending.extend((owner, s) for s in getattr(statement, name, ()))
    return found


def parameters(args: ast.arguments) -> list[tuple[str, ast.expr | None, bool]]:
    """Each parameter with its default (or ``None``) and whether it can be passed by position.

    Python puts defaults on the last positional parameters: ``def f(a, b=1, *, c=2)`` gives
    ``a`` without a default, ``b`` with ``1``, and keyword-only ``c`` with ``2``.
    """
    positional = [*args.posonlyargs, *args.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults))
    defaults += list(args.defaults)
    out = [(a.arg, d, True) for a, d in zip(positional, defaults, strict=True)]
    out += [(a.arg, d, False) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True)]
    return out


def _target_names(target: ast.expr) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [n for elt in target.elts for n in _target_names(elt)]
    if isinstance(target, ast.Starred):
        return _target_names(target.value)
    return []


def _own_nodes(root: ast.AST) -> list[ast.AST]:
    """Nodes of a scope's body, not entering nested functions, lambdas or classes."""
    out: list[ast.AST] = []
    pending: list[ast.AST] = list(ast.iter_child_nodes(root))
    while pending:
        node = pending.pop()
        out.append(node)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        pending.extend(ast.iter_child_nodes(node))
    return out


def _statement_bindings(root: ast.AST) -> tuple[set[str], set[str]]:  # noqa: C901, PLR0912 - one branch per statement kind
    """Names a function's statements bind, and those it declares global or nonlocal.

    Statements only (assignments, loops, ``with``, ``except``), not expressions, and not
    nested functions or classes: this runs for every function, so it stays cheap.
    """
    bound: set[str] = set()
    declared: set[str] = set()
    pending: list[ast.stmt] = list(getattr(root, "body", []))
    while pending:
        statement = pending.pop()
        kind = type(statement)
        if kind is ast.Assign:
            for target in statement.targets:  # type: ignore[attr-defined]
                bound.update(_target_names(target))
        elif kind in (ast.AnnAssign, ast.AugAssign, ast.For, ast.AsyncFor):
            bound.update(_target_names(statement.target))  # type: ignore[attr-defined]
        elif kind in (ast.With, ast.AsyncWith):
            for item in statement.items:  # type: ignore[attr-defined]
                if item.optional_vars is not None:
                    bound.update(_target_names(item.optional_vars))
        elif kind in (ast.Global, ast.Nonlocal):
            declared.update(statement.names)  # type: ignore[attr-defined]
        elif kind in (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef):
            continue
        for name in ("body", "orelse", "finalbody"):
            pending.extend(getattr(statement, name, ()))
        for handler in getattr(statement, "handlers", ()):
            if handler.name:
                bound.add(handler.name)
            pending.extend(handler.body)
        for case in getattr(statement, "cases", ()):
            pending.extend(case.body)
    return bound, declared


def _assignments(root: ast.AST) -> dict[str, list[tuple[int, ast.expr]]]:  # noqa: C901 - one branch per binding kind
    """Each name a scope binds, with the lines and expressions that give it its value.

    For loop and comprehension targets, the iterated expression; for tuple unpacking of a
    tuple, the matching element. Sorted by line.
    """
    found: dict[str, list[tuple[int, ast.expr]]] = {}
    for node in _own_nodes(root):
        pairs: list[tuple[ast.expr, ast.expr]] = []
        if isinstance(node, ast.Assign):
            pairs = [(t, node.value) for t in node.targets]
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign, ast.NamedExpr)) and node.value:
            pairs = [(node.target, node.value)]
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
            pairs = [(node.target, node.iter)]
        elif isinstance(node, ast.withitem) and node.optional_vars is not None:
            pairs = [(node.optional_vars, node.context_expr)]
        for target, value in pairs:
            if (
                isinstance(target, (ast.Tuple, ast.List))
                and isinstance(value, (ast.Tuple, ast.List))
                and len(target.elts) == len(value.elts)
            ):
                for t, v in zip(target.elts, value.elts, strict=True):
                    for name in _target_names(t):
                        found.setdefault(name, []).append((v.lineno, v))
                continue
            for name in _target_names(target):
                found.setdefault(name, []).append((value.lineno, value))
    for bindings in found.values():
        bindings.sort(key=lambda pair: pair[0])
    return found


def _classify(name_words: tuple[str, ...] | list[str]) -> Origin:
    present = set(name_words)
    if present & STRING_SOURCES:
        return Origin.STRING
    if present & KEYWORD_SOURCES:
        return Origin.KEYWORD
    if present & SIMILARITY_SOURCES:
        return Origin.SIMILARITY
    if present & MODEL_SOURCES:
        return Origin.MODEL
    if present & OUTCOME_WORDS:
        return Origin.OTHER
    return Origin.UNKNOWN


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
    _counted: frozenset[str] | None = field(default=None, repr=False)

    # -- building ------------------------------------------------------------------------
    @classmethod
    def module(cls, tree: ast.Module, path: str, imports: Imports) -> Scope:
        """The module scope: module-level names and names imported from other modules."""
        names = set(imports.imported) | _statement_bindings(tree)[0]
        return cls(
            "module",
            path,
            tree,
            imports,
            module_names=frozenset(names),
            definitions=_definitions(tree),
        )

    def child_class(self, node: ast.ClassDef) -> Scope:
        """The scope of a class body."""
        base = next(
            (b.id if isinstance(b, ast.Name) else b.attr for b in node.bases
             if isinstance(b, (ast.Name, ast.Attribute))),
            None,
        )  # fmt: skip
        context = (*self.words, *words(node.name))
        origin = self._context_origin(context)
        if origin is Origin.UNKNOWN and self.imports.string_names:
            used = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
            if used & self.imports.string_names:
                origin = Origin.STRING
        return Scope(
            "class", self.path, node, self.imports, self, node.name, node.name, base,
            bound=frozenset(n for s in node.body for n in _class_targets(s)),
            words=context, context_origin=origin, module_names=self.module_names,
            definitions=self.definitions,
        )  # fmt: skip

    def child_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> Scope:
        """The scope of a function or method body."""
        in_class = self.kind == "class"
        callee = self.callee if in_class and node.name == "__init__" else node.name
        params = frozenset(name for name, _, _ in parameters(node.args))
        context = (*self.words, *words(node.name))
        origin = self.context_origin
        if origin is Origin.UNKNOWN:
            origin = self._context_origin(words(node.name))
        return Scope(
            "function", self.path, node, self.imports, self, callee,
            self.class_name, self.base, params, None, context, origin, self.module_names,
            self.definitions,
        )  # fmt: skip

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
            bound, declared = _statement_bindings(self.node)
            self.bound = frozenset(bound) - self.params - declared
        return self.bound

    @staticmethod
    def _context_origin(context: tuple[str, ...]) -> Origin:
        present = set(context)
        if present & STRING_SOURCES:
            return Origin.STRING
        return Origin.MODEL if present & MODEL_CONTEXTS else Origin.UNKNOWN

    # -- names -------------------------------------------------------------------------
    def resolve(self, name: str) -> str | None:
        """The slot a name read in this scope refers to, or ``None`` (builtins, unknowns)."""
        scope: Scope | None = self
        while scope is not None:
            if scope.kind in ("function", "lambda"):
                line = getattr(scope.node, "lineno", 0)
                if name in scope.params:
                    return f"p:{scope.callee}.{name}"
                if name in scope.local_names():
                    return f"l:{self.path}:{line}:{name}"
            elif scope.kind == "class" and scope is self and name in scope.local_names():
                return f"a:{scope.class_name}.{name}"
            scope = scope.parent
        return f"g:{name}" if name in self.module_names else None

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
        if isinstance(owner, ast.Name) and owner.id in ("self", "cls") and self.class_name:
            return f"a:{self.class_name}.{node.attr}"
        return f"a:*.{node.attr}"

    def callee_of(self, call: ast.Call) -> str | None:
        """The name a call's parameters are shared under (``super().__init__``: the base)."""
        func = call.func
        if isinstance(func, ast.Name):
            return self.class_name if func.id == "cls" and self.class_name else func.id
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

    def getter_key(self, call: ast.Call) -> str | None:
        """``k:KEY`` for ``cfg.get("KEY", d)`` and ``os.getenv``; ``a:*.x`` for ``getattr``."""
        name = call_name(call)
        args = call.args
        if name in GETTERS and args:
            key = args[0]
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                return f"k:{key.value}"
        if name == "getattr" and len(args) >= 2:
            key = args[1]
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                return f"a:*.{key.value}"
        return None

    def sources(self, expr: ast.expr) -> list[str]:  # noqa: C901, PLR0911, PLR0912
        """The slots whose values an expression passes on (``x``, ``self.t``, ``cfg.get``)."""
        if isinstance(expr, ast.Name):
            slot = self.resolve(expr.id)
            return [slot] if slot else []
        if isinstance(expr, ast.Attribute):
            return [self._attribute_slot(expr)]
        if isinstance(expr, ast.Subscript):
            key = expr.slice
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                return [f"k:{key.value}"]
            return []
        if isinstance(expr, ast.Call):
            getter = self.getter_key(expr)
            if getter is not None:
                default = expr.args[-1] if len(expr.args) >= 2 else None
                return [getter, *(self.sources(default) if default is not None else [])]
            name = call_name(expr)
            if name in PASS_THROUGH:
                return [s for a in expr.args for s in self.sources(a)]
            if name in FIELD_CALLS:
                given = [k.value for k in expr.keywords if k.arg == "default"] + expr.args[:1]
                return self.sources(given[0]) if given else []
            return []
        if isinstance(expr, ast.IfExp):
            return self.sources(expr.body) + self.sources(expr.orelse)
        if isinstance(expr, ast.BoolOp):
            return [s for v in expr.values for s in self.sources(v)]
        if isinstance(expr, ast.BinOp):
            if score_expr(expr.left) is not None or score_expr(expr.right) is not None:
                return []  # arithmetic on a score gives a score, not a threshold
            if isinstance(expr.op, (ast.Add, ast.Sub)):  # `t - SLACK`, `1 - threshold`
                main = expr.right if isinstance(expr.left, ast.Constant) else expr.left
                return self.sources(main)
            return self.sources(expr.left) + self.sources(expr.right)
        if isinstance(expr, ast.UnaryOp):
            return self.sources(expr.operand)
        if isinstance(expr, ast.NamedExpr):
            return self.sources(expr.value)
        return []

    # -- what a function computes --------------------------------------------------------
    def function_scope(self) -> Scope | None:
        """The nearest function (or the module) around this scope, past classes and lambdas."""
        scope: Scope | None = self
        while scope is not None and scope.kind not in ("function", "module"):
            scope = scope.parent
        return scope

    def assigned(self) -> dict[str, list[tuple[int, ast.expr]]]:
        """The expressions each name of this scope is bound to (computed once, on demand)."""
        if self._assigned is None:
            self._assigned = _assignments(self.node)
        return self._assigned

    def counted(self, name: str) -> bool:
        """Whether ``name`` is bound here from counts (``len(a) / len(b)``): not a similarity."""
        scope = self.function_scope()
        return scope is not None and name in scope.counted_names()

    def counted_names(self) -> frozenset[str]:
        """Names this scope binds from ``len()`` or ``sum()`` (computed once, on demand)."""
        if self._counted is None:
            self._counted = frozenset(
                n
                for n, values in self.assigned().items()
                for _, v in values
                if any(
                    isinstance(c, ast.Call)
                    and isinstance(c.func, ast.Name)
                    and c.func.id in ("len", "sum")
                    for c in ast.walk(v)
                )
            )
        return self._counted

    def origin(self, expr: ast.expr) -> Origin:
        """Where a score comes from: follow names back to the call that computed them.

        Unknown origins take the scope's context: thresholds inside a detector's or a
        classifier's class apply to that model's scores.
        """
        found = self.follow(expr, _ORIGIN_DEPTH, set(), getattr(expr, "lineno", 0))
        return found if found is not Origin.UNKNOWN else self.context_origin

    def follow(self, expr: ast.expr, depth: int, seen: set[str], line: int) -> Origin:  # noqa: C901, PLR0911
        """Follow ``expr`` back to a call; a name to its latest binding before ``line``."""
        if depth <= 0:
            return Origin.UNKNOWN
        follow = depth - 1
        if isinstance(expr, ast.Call):
            return self._call_origin(expr, follow, seen, line)
        if isinstance(expr, ast.Name):
            if expr.id in seen:
                return Origin.UNKNOWN
            seen.add(expr.id)
            scope = self.function_scope()
            while scope is not None:
                bindings = scope.assigned().get(expr.id, [])
                before = [b for b in bindings if b[0] <= line] or bindings
                for at, value in reversed(before):
                    found = scope.follow(value, follow, seen, at)
                    if found is not Origin.UNKNOWN:
                        return found
                scope = scope.parent.function_scope() if scope.parent else None
            return Origin.UNKNOWN
        if isinstance(expr, (ast.Attribute, ast.Subscript, ast.Starred, ast.Await)):
            return self.follow(expr.value, follow, seen, line)
        if isinstance(expr, ast.BinOp):
            if isinstance(expr.op, ast.MatMult):
                return Origin.SIMILARITY  # a matrix of dot products
            left = self.follow(expr.left, follow, seen, line)
            return (
                left if left is not Origin.UNKNOWN else self.follow(expr.right, follow, seen, line)
            )
        if isinstance(expr, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
            return self.follow(expr.generators[0].iter, follow, seen, line)
        if isinstance(expr, ast.IfExp):
            body = self.follow(expr.body, follow, seen, line)
            return (
                body if body is not Origin.UNKNOWN else self.follow(expr.orelse, follow, seen, line)
            )
        return Origin.UNKNOWN

    def _returned_origin(self, call: ast.Call, depth: int, seen: set[str]) -> Origin:
        """The origin of what a function of this module returns, for ``f()`` and ``self.m()``.

        ``self._text_similarity(a, b)`` that returns a ratio of word counts is no embedding
        similarity, whatever its name says.
        """
        func = call.func
        if isinstance(func, ast.Name):
            candidates = [d for d in self.definitions.get(func.id, []) if d[0] is None]
        elif (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id in ("self", "cls")
        ):
            methods = [d for d in self.definitions.get(func.attr, []) if d[0] is not None]
            own = [d for d in methods if d[0] is not None and d[0].name == self.class_name]
            candidates = own or methods
        else:
            return Origin.UNKNOWN
        module = self
        while module.parent is not None:
            module = module.parent
        for owner, function in candidates[:3]:
            key = f"def:{id(function)}"
            if key in seen:
                continue
            seen.add(key)
            outer = module.child_class(owner) if owner is not None else module
            inner = outer.child_function(function)
            for returned in _returns(function):
                assert returned.value is not None
                found = inner.follow(returned.value, depth, seen, returned.lineno)
                if found is not Origin.UNKNOWN:
                    return found
        return Origin.UNKNOWN

    def _call_origin(self, call: ast.Call, depth: int, seen: set[str], line: int) -> Origin:  # noqa: C901, PLR0911 - model, pass-through, name, receiver
        name = call_name(call)
        if name in ("score", "scores") and call.args:
            return Origin.MODEL  # `clf.score(X, y)`: a model's evaluation
        if name in ("len", "count"):
            return Origin.COUNT
        found = self._returned_origin(call, depth, seen)
        if found is not Origin.UNKNOWN:
            return found
        func = call.func
        if name in PASS_THROUGH or name in ("filter", "map"):
            for arg in call.args:
                found = self.follow(arg, depth, seen, line)
                if found is not Origin.UNKNOWN:
                    return found
            if isinstance(func, ast.Attribute):
                return self.follow(func.value, depth, seen, line)
            return Origin.UNKNOWN
        found = _classify(words(name))
        if found is not Origin.UNKNOWN:
            return found
        chain: list[str] = []
        while isinstance(func, ast.Attribute):
            func = func.value
            if isinstance(func, ast.Attribute):
                chain.extend(words(func.attr))
            elif isinstance(func, ast.Name):
                chain.extend(words(func.id))
                if func.id in self.imports.string_names:
                    return Origin.STRING
        return _classify(chain)


def _returns(function: ast.AST) -> list[ast.Return]:
    """A function's ``return value`` statements, in source order (the main path first)."""
    found = [n for n in _own_nodes(function) if isinstance(n, ast.Return) and n.value is not None]
    return sorted(found, key=lambda n: n.lineno)


def _class_targets(statement: ast.stmt) -> list[str]:
    if isinstance(statement, ast.Assign):
        return [n for t in statement.targets for n in _target_names(t)]
    if isinstance(statement, ast.AnnAssign):
        return _target_names(statement.target)
    return []
