"""Which assignment a read of a rebound local takes its value from, where only one can.

A function that binds a name in two places (``threshold = ... else DEFAULT_RAG_THRESHOLD``
in one branch, ``threshold = ... else DEFAULT_FUZZ_THRESHOLD`` in the other) has one slot for
it (``l:path:line:name``): both constants reach both calls. Where a read can only see one
assignment (the same block or an enclosing one, earlier, with nothing binding the name
between), :func:`sole_bindings` pairs the read with that assignment, and the scanner gives
the assignment a slot of its own that feeds the function-wide one.

Conservative by construction: a loop forgets what its body rebinds (the next turn may see
it), an ``except`` handler and a ``match`` case forget what their statement binds, a lambda
or a nested function is not entered (they run later), any binding but a plain ``name =
value`` (unpacking, ``+=``, a loop target, ``with ... as``, ``del``) leaves the name with no
sole assignment until the next plain one, and a name a walrus binds anywhere has none.
"""

from __future__ import annotations

import ast
from collections import Counter

from calibrator.inventory.python_bindings import SCOPES, target_names
from calibrator.inventory.python_walk import walked_fields

Found = dict[int, ast.Name]
"""Reads by ``id``, with the target of the one assignment each sees."""
Reaching = dict[str, ast.Name | None]
"""Per rebound name, the target of the one assignment that reaches this point, or ``None``
(several, or another kind of binding)."""


def sole_bindings(root: ast.AST) -> Found:
    """Reads of rebound names, by ``id``, with the target of the one assignment each sees.

    Only names the function's own statements bind at least twice: one binding is the
    function-wide slot already. A name a walrus binds anywhere is left out.
    """
    counts: Counter[str] = Counter()
    for node in _own_statements(root):
        counts.update(_bound_by(node))
    rebound = frozenset(name for name, count in counts.items() if count > 1)
    if not rebound:
        return {}
    flow = _Flow(rebound)
    flow.block(getattr(root, "body", []), {})
    return {k: v for k, v in flow.found.items() if v.id not in flow.walrused}


class _Flow:
    """One pass over a function's statements in order, with what reaches each point."""

    def __init__(self, rebound: frozenset[str]) -> None:
        self.rebound = rebound
        self.found: Found = {}
        self.walrused: set[str] = set()

    def block(self, block: list[ast.stmt], reaching: Reaching) -> None:  # noqa: C901, PLR0912 - one branch per statement kind
        current = dict(reaching)
        for statement in block:
            target = _plain_target(statement)
            if target is not None and isinstance(statement, (ast.Assign, ast.AnnAssign)):
                self.reads(statement.value, current)
                if target.id in self.rebound:
                    current[target.id] = target
                continue
            bound = _all_bound(statement)
            if isinstance(statement, ast.If):
                self.reads(statement.test, current)
                self.block(statement.body, current)
                self.block(statement.orelse, current)
            elif isinstance(statement, (ast.For, ast.AsyncFor)):
                self.reads(statement.iter, current)
                turns = _forget(current, bound)  # the next turn sees what the body binds
                self.block(statement.body, turns)
                self.block(statement.orelse, turns)
            elif isinstance(statement, ast.While):
                turns = _forget(current, bound)
                self.reads(statement.test, turns)
                self.block(statement.body, turns)
                self.block(statement.orelse, turns)
            elif isinstance(statement, (ast.With, ast.AsyncWith)):
                for item in statement.items:
                    self.reads(item.context_expr, current)
                self.block(statement.body, _forget(current, set(_bound_by(statement))))
            elif isinstance(statement, (ast.Try, ast.TryStar)):
                self.block(statement.body, current)
                after = _forget(current, bound)  # a handler may start anywhere in the body
                for handler in statement.handlers:
                    self.block(handler.body, after)
                self.block(statement.orelse, after)
                self.block(statement.finalbody, after)
            elif isinstance(statement, ast.Match):
                self.reads(statement.subject, current)
                after = _forget(current, bound)
                for case in statement.cases:
                    self.block(case.body, after)
            elif type(statement) not in SCOPES:  # a nested function or class: runs later
                self.reads(statement, _forget(current, bound))
            current = _forget(current, bound & self.rebound)

    def reads(self, node: ast.AST | None, reaching: Reaching) -> None:
        """Pair each read of a rebound name under ``node`` with its sole assignment's target."""
        if node is None:
            return
        names, shadowed, walrused = _names_in(node)
        self.walrused.update(walrused)
        rebound = self.rebound
        for name in names:
            if name.id in rebound and name.id not in shadowed and type(name.ctx) is ast.Load:
                target = reaching.get(name.id)
                if target is not None:
                    self.found[id(name)] = target


def _names_in(node: ast.AST) -> tuple[list[ast.Name], set[str], set[str]]:
    """The names under ``node``, those comprehensions bind for themselves, those walruses bind.

    Not inside a lambda: it runs later.
    """
    names: list[ast.Name] = []
    shadowed: set[str] = set()
    walrused: set[str] = set()
    pending: list[ast.AST] = [node]
    while pending:
        current = pending.pop()
        if isinstance(current, ast.Name):
            names.append(current)
            continue
        if isinstance(current, ast.Lambda):
            continue
        if isinstance(current, ast.comprehension):
            shadowed.update(target_names(current.target))
        elif isinstance(current, ast.NamedExpr):
            walrused.update(target_names(current.target))
        kind: type = type(current)
        for field in walked_fields(kind):
            value = getattr(current, field, None)
            if type(value) is list:
                pending.extend(v for v in value if isinstance(v, ast.AST))
            elif isinstance(value, ast.AST):
                pending.append(value)
    return names, shadowed, walrused


def _plain_target(statement: ast.stmt) -> ast.Name | None:
    """The name of ``name = value`` (or ``name: T = value``)."""
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
        target = statement.targets[0]
    elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
        target = statement.target
    else:
        return None
    return target if isinstance(target, ast.Name) else None


def _own_statements(root: ast.AST) -> list[ast.stmt]:
    """The statements under ``root`` (not itself), not entering nested functions or classes."""
    out: list[ast.stmt] = []
    pending: list[ast.stmt] = _held(root)
    while pending:
        statement = pending.pop()
        out.append(statement)
        if type(statement) not in SCOPES:
            pending.extend(_held(statement))
    return out


def _held(statement: ast.AST) -> list[ast.stmt]:
    held: list[ast.stmt] = []
    for name in ("body", "orelse", "finalbody"):
        block = getattr(statement, name, None)
        if type(block) is list:  # an `IfExp`'s body is an expression
            held.extend(block)
    for inner in (*getattr(statement, "handlers", ()), *getattr(statement, "cases", ())):
        held.extend(inner.body)
    return held


def _bound_by(statement: ast.stmt) -> list[str]:  # noqa: PLR0911 - one return per statement kind
    """The names one statement binds itself (not those of the statements it holds)."""
    if isinstance(statement, (ast.Assign, ast.Delete)):
        return [n for t in statement.targets for n in target_names(t)]
    if isinstance(statement, (ast.AnnAssign, ast.AugAssign, ast.For, ast.AsyncFor)):
        return target_names(statement.target)
    if isinstance(statement, (ast.With, ast.AsyncWith)):
        items = statement.items
        return [
            n for i in items if i.optional_vars is not None for n in target_names(i.optional_vars)
        ]
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [statement.name]
    if isinstance(statement, (ast.Import, ast.ImportFrom)):
        return [(a.asname or a.name).partition(".")[0] for a in statement.names]
    if isinstance(statement, (ast.Try, ast.TryStar)):
        return [h.name for h in statement.handlers if h.name]
    if isinstance(statement, ast.Match):  # `case Point(x=t)`, `case [t, *rest]`
        return [
            name
            for case in statement.cases
            for node in ast.walk(case.pattern)
            for name in (getattr(node, "name", None), getattr(node, "rest", None))
            if isinstance(name, str)
        ]
    return []


def _all_bound(statement: ast.stmt) -> set[str]:
    """Every name a statement and the statements it holds bind."""
    bound = set(_bound_by(statement))
    if type(statement) not in SCOPES:
        for inner in _own_statements(statement):
            bound.update(_bound_by(inner))
    return bound


def _forget(reaching: Reaching, names: set[str]) -> Reaching:
    if not names.intersection(reaching):
        return reaching
    out = dict(reaching)
    for name in names:
        out[name] = None
    return out
