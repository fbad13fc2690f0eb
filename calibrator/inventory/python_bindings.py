"""What a Python scope binds: parameters and their defaults, assigned names, functions.

Cheap walks over statements (not expressions), done for every function the scanner enters:
:func:`parameters` pairs parameters with their defaults, :func:`statement_bindings` gives the
names a function's statements bind, :func:`assignments` what each name is bound to (for
following a score back), :func:`definitions_of` every function and method of a module.
"""

from __future__ import annotations

import ast
from typing import Any

from calibrator.inventory.python_exprs import empty_display
from calibrator.inventory.python_walk import LEAVES, child_fields

Function = ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
Definition = tuple[ast.ClassDef | None, ast.FunctionDef | ast.AsyncFunctionDef]
"""A function of the module, with the class it is a method of."""


def definitions_of(tree: ast.Module) -> dict[str, list[Definition]]:
    """Every function and method of a module by name (statements only: cheap).

    A function defined inside another (``def _get(key, default)`` in a request handler) is
    known too, as a plain function: its name is resolved in the module as a whole.
    """
    found: dict[str, list[Definition]] = {}
    pending: list[tuple[ast.ClassDef | None, ast.stmt]] = [(None, s) for s in tree.body]
    while pending:
        owner, statement = pending.pop()
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found.setdefault(statement.name, []).append((owner, statement))
            pending.extend((None, s) for s in statement.body)
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


def target_names(target: ast.expr) -> list[str]:
    """The names an assignment target binds: ``a``, and ``a, b`` / ``[a, *b]`` unpacked."""
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [n for elt in target.elts for n in target_names(elt)]
    if isinstance(target, ast.Starred):
        return target_names(target.value)
    return []


def own_nodes(root: ast.AST) -> list[ast.AST]:
    """Nodes of a scope's body, not entering nested functions, lambdas or classes.

    Leaves (names, literals, markers) and fields that hold no nodes are left out
    (:mod:`python_walk`'s tables): what binds a name is a statement, a comprehension, a
    ``with`` item or a walrus, never a leaf. This runs for every scope of every file.
    """
    out: list[ast.AST] = []
    pending: list[ast.AST] = _children(root)
    scopes = SCOPES
    while pending:
        node = pending.pop()
        out.append(node)
        if type(node) not in scopes:
            pending.extend(_children(node))
    return out


def _children(node: ast.AST) -> list[ast.AST]:
    """A node's children that are not leaves, in field order (``ast.iter_child_nodes``')."""
    out: list[ast.AST] = []
    kind: type = type(node)
    for name in child_fields(kind):
        value: Any = getattr(node, name, None)
        out += [c for c in (value if type(value) is list else (value,)) if type(c) not in LEAVES]
    return out


SCOPES = frozenset({ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda})
"""Nodes that open a scope of their own: :func:`own_nodes` does not enter them."""


def statement_bindings(root: ast.AST) -> tuple[set[str], set[str], set[str]]:  # noqa: C901, PLR0912 - one branch per statement kind
    """Names a function's statements bind, declare global or nonlocal, and import.

    Imported: ``from ..config import DEDUP_THRESHOLD`` inside a method. Statements only
    (assignments, loops, ``with``, ``except``), not expressions, and not nested functions or
    classes: this runs for every function, so it stays cheap.
    """
    bound: set[str] = set()
    declared: set[str] = set()
    imported: set[str] = set()
    pending: list[ast.stmt] = list(getattr(root, "body", []))
    while pending:
        statement = pending.pop()
        kind = type(statement)
        if kind is ast.Assign:
            for target in statement.targets:  # type: ignore[attr-defined]
                bound.update(target_names(target))
        elif kind in (ast.AnnAssign, ast.AugAssign, ast.For, ast.AsyncFor):
            bound.update(target_names(statement.target))  # type: ignore[attr-defined]
        elif kind in (ast.With, ast.AsyncWith):
            for item in statement.items:  # type: ignore[attr-defined]
                if item.optional_vars is not None:
                    bound.update(target_names(item.optional_vars))
        elif kind in (ast.Global, ast.Nonlocal):
            declared.update(statement.names)  # type: ignore[attr-defined]
        elif kind is ast.ImportFrom:
            names = statement.names  # type: ignore[attr-defined]
            imported.update(a.asname or a.name for a in names if a.name != "*")
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
    return bound, declared, imported


def assignments(root: ast.AST) -> dict[str, list[tuple[int, ast.expr]]]:  # noqa: C901, PLR0912 - one branch per binding kind
    """Each name a scope binds, with the lines and expressions that give it its value.

    For loop and comprehension targets, the iterated expression; for tuple unpacking of a
    tuple, the matching element; for a collection filled by ``similar.append((id, score))``
    (or made empty and filled item by item, ``sims[(j, i)] = s``), what is put in. Sorted by
    line.
    """
    found: dict[str, list[tuple[int, ast.expr]]] = {}
    stored: list[tuple[str, ast.expr]] = []  # `sims[(j, i)] = float(matrix[i][j])`
    for node in own_nodes(root):
        if type(node) not in _BINDING:
            continue  # most nodes are expressions: one set lookup, not a test per kind
        pairs: list[tuple[ast.expr, ast.expr]] = []
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            pairs = _filled(node.value)
        elif isinstance(node, ast.Assign):
            pairs = [(t, node.value) for t in node.targets]
            stored.extend(
                (t.value.id, node.value)
                for t in node.targets
                if isinstance(t, ast.Subscript)
                and isinstance(t.value, ast.Name)
                and not isinstance(node.value, (ast.Tuple, ast.List))  # one value per key
            )
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign, ast.NamedExpr)) and node.value:
            pairs = [(node.target, node.value)]
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
            pairs = [(node.target, node.iter)]
        elif isinstance(node, ast.withitem) and node.optional_vars is not None:
            pairs = [(node.optional_vars, node.context_expr)]
        iterated = isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension))
        for target, value in pairs:
            if _enumerated(target, value, found):
                continue
            if iterated and _zipped(target, value, found):
                continue
            if (
                isinstance(target, (ast.Tuple, ast.List))
                and isinstance(value, (ast.Tuple, ast.List))
                and len(target.elts) == len(value.elts)
            ):
                for t, v in zip(target.elts, value.elts, strict=True):
                    for name in target_names(t):
                        found.setdefault(name, []).append((v.lineno, v))
                continue
            for name in target_names(target):
                found.setdefault(name, []).append((value.lineno, value))
    for name, value in stored:
        # a mapping made empty here and filled item by item holds what it is filled with; one
        # bound to anything else, or not here (a parameter), is that
        made = found.get(name, [])
        if made and all(_empty(bound) for _, bound in made):
            made.append((value.lineno, value))
    for bindings in found.values():
        bindings.sort(key=lambda pair: pair[0])
    return found


_BINDING = frozenset(
    {ast.Expr, ast.Assign, ast.AnnAssign, ast.AugAssign, ast.NamedExpr, ast.For, ast.AsyncFor,
     ast.comprehension, ast.withitem}
)  # fmt: skip
"""The nodes :func:`assignments` reads: those that bind a name, and calls that fill one."""


def _empty(value: ast.expr) -> bool:
    """An empty collection: ``{}``, ``[]``, ``dict()``, ``defaultdict(float)``."""
    return empty_display(value) or (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Name)
        and value.func.id in ("dict", "list", "set", "defaultdict", "OrderedDict")
        and not value.keywords
        and (value.func.id == "defaultdict" or not value.args)
    )


FILLING = frozenset({"append", "appendleft", "add", "insert", "extend", "put", "put_nowait"})
"""Methods that put a value into the collection they are called on."""


def _filled(call: ast.Call) -> list[tuple[ast.expr, ast.expr]]:
    """``results.append(item)`` as a binding of ``results`` to ``item`` (the last argument)."""
    func = call.func
    if (
        isinstance(func, ast.Attribute)
        and func.attr in FILLING
        and isinstance(func.value, ast.Name)
        and call.args
    ):
        return [(func.value, call.args[-1])]
    return []


def _enumerated(
    target: ast.expr, value: ast.expr, found: dict[str, list[tuple[int, ast.expr]]]
) -> bool:
    """Bind ``for i, hit in enumerate(hits)``'s names, if ``target`` and ``value`` are that.

    ``i`` counts (``1.0 - i * 0.1`` is a rank, not a similarity), as ``len(hits)`` would;
    ``hit`` is an element of ``hits``.
    """
    if not (
        isinstance(target, (ast.Tuple, ast.List))
        and len(target.elts) == 2
        and isinstance(value, ast.Call)
        and isinstance(value.func, ast.Name)
        and value.func.id == "enumerate"
        and value.args
    ):
        return False
    count = ast.copy_location(ast.Call(ast.Name("len", ast.Load()), [], []), value)
    for name in target_names(target.elts[0]):
        found.setdefault(name, []).append((value.lineno, count))
    if not _zipped(target.elts[1], value.args[0], found):
        for name in target_names(target.elts[1]):
            found.setdefault(name, []).append((value.lineno, value.args[0]))
    return True


def _zipped(
    target: ast.expr, value: ast.expr, found: dict[str, list[tuple[int, ast.expr]]]
) -> bool:
    """Bind ``for i, j, score in zip(range(n), cols, best_scores)``'s names, one per iterable.

    Each name is an element of its own iterable (``score`` of ``best_scores``, a cosine's),
    not of all of them: ``i`` of ``range(n)`` counts, ``score`` does not. An unpacked
    element is bound the same way (``for i, (doc, score) in enumerate(zip(docs, sims))``).
    """
    if not (
        isinstance(target, (ast.Tuple, ast.List))
        and isinstance(value, ast.Call)
        and isinstance(value.func, ast.Name)
        and value.func.id == "zip"
        and len(value.args) == len(target.elts)
        and not any(isinstance(a, ast.Starred) for a in value.args)
        and not any(isinstance(t, ast.Starred) for t in target.elts)
    ):
        return False
    for element, iterable in zip(target.elts, value.args, strict=True):
        if _enumerated(element, iterable, found) or _zipped(element, iterable, found):
            continue
        for name in target_names(element):
            found.setdefault(name, []).append((iterable.lineno, iterable))
    return True


def class_targets(statement: ast.stmt) -> list[str]:
    """The names a class-body statement binds (fields and class attributes)."""
    if isinstance(statement, ast.Assign):
        return [n for t in statement.targets for n in target_names(t)]
    if isinstance(statement, ast.AnnAssign):
        return target_names(statement.target)
    return []
