"""Names bound to numbers in a Python module: constants, class attributes, defaults, locals.

When a score is compared with a name (``if hit.score < MIN_SCORE``, ``> self.cutoff``), the
threshold lives where that name was given its number; :class:`Bindings` finds that place.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from calibrator.inventory.findings import Kind
from calibrator.inventory.python_exprs import literal_node, number

Function = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass(frozen=True, slots=True)
class Binding:
    """A name given a numeric value, and the literal node that holds the number."""

    name: str
    value: float
    literal: ast.expr
    kind: Kind


def _binding(name: str, value: ast.expr | None, kind: Kind) -> Binding | None:
    literal = literal_node(value)
    if literal is None:
        return None
    amount = number(literal)
    assert amount is not None
    return Binding(name, amount, literal, kind)


def _targets(statement: ast.stmt) -> list[tuple[ast.expr, ast.expr | None]]:
    if isinstance(statement, ast.Assign):
        return [(target, statement.value) for target in statement.targets]
    if isinstance(statement, ast.AnnAssign):
        return [(statement.target, statement.value)]
    return []


@dataclass
class Bindings:
    """Numeric bindings of one module, looked up as the scanner meets comparisons."""

    module: dict[str, Binding] = field(default_factory=dict)
    classes: dict[str, dict[str, Binding]] = field(default_factory=dict)
    _functions: dict[int, dict[str, Binding]] = field(default_factory=dict)
    _counted: dict[tuple[int, str], bool] = field(default_factory=dict)
    tree: ast.Module | None = None

    def resolve(
        self, node: ast.expr, function: Function | None, class_name: str | None
    ) -> Binding | None:
        """The binding of a name or attribute as seen from ``function`` in ``class_name``."""
        if isinstance(node, ast.Name):
            if function is not None:
                local = self._locals(function).get(node.id)
                if local is not None:
                    return local
            return self.module.get(node.id)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            owner = node.value.id
            if owner in ("self", "cls") and class_name is not None:
                return self.classes.get(class_name, {}).get(node.attr)
            return self.classes.get(owner, {}).get(node.attr)
        return None

    def counted(self, name: str, function: Function | None) -> bool:
        """Whether ``name`` is assigned in ``function`` from counts (``len(a) / len(b)``).

        Such a "score" is a ratio of counts, not a similarity: it does not move with the
        embedding model.
        """
        scope: ast.AST | None = function if function is not None else self.tree
        if scope is None:
            return False
        key = (id(scope), name)
        cached = self._counted.get(key)
        if cached is None:
            cached = any(
                isinstance(target, ast.Name)
                and target.id == name
                and value is not None
                and any(
                    isinstance(n, ast.Call)
                    and isinstance(n.func, ast.Name)
                    and n.func.id in ("len", "sum")
                    for n in ast.walk(value)
                )
                for statement in _own_statements(scope)
                for target, value in _targets(statement)
            )
            self._counted[key] = cached
        return cached

    def _locals(self, function: Function) -> dict[str, Binding]:
        cached = self._functions.get(id(function))
        if cached is not None:
            return cached
        found: dict[str, Binding] = {}
        args = function.args
        positional = [*args.posonlyargs, *args.args]
        pairs = list(
            zip(positional[len(positional) - len(args.defaults) :], args.defaults, strict=True)
        )
        pairs += [
            (a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is not None
        ]
        for arg, default in pairs:
            binding = _binding(arg.arg, default, Kind.DEFAULT)
            if binding is not None:
                found[arg.arg] = binding
        for statement in _own_statements(function):
            for target, value in _targets(statement):
                if isinstance(target, ast.Name) and target.id not in found:
                    binding = _binding(target.id, value, Kind.CONSTANT)
                    if binding is not None:
                        found[target.id] = binding
        self._functions[id(function)] = found
        return found


def _own_statements(function: Function | ast.Module | ast.AST) -> list[ast.stmt]:
    """The scope's statements at any depth, except inside nested functions and classes."""
    out: list[ast.stmt] = []
    pending: list[ast.stmt] = list(getattr(function, "body", []))
    while pending:
        statement = pending.pop()
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        out.append(statement)
        for name in ("body", "orelse", "finalbody"):
            pending.extend(getattr(statement, name, []))
        for handler in getattr(statement, "handlers", []):
            pending.extend(handler.body)
    return out


def collect_bindings(tree: ast.Module) -> Bindings:
    """Module constants, class attributes (body and ``self.x = ...``) of one module."""
    bindings = Bindings(tree=tree)
    pending: list[ast.stmt] = list(tree.body)
    while pending:
        statement = pending.pop()
        if isinstance(statement, (ast.If, ast.Try)):
            pending.extend(statement.body)
            pending.extend(statement.orelse)
            continue
        for target, value in _targets(statement):
            if isinstance(target, ast.Name):
                binding = _binding(target.id, value, Kind.CONSTANT)
                if binding is not None:
                    bindings.module.setdefault(target.id, binding)
    for node in _classes(tree):
        bindings.classes[node.name] = _class_bindings(node)
    return bindings


def _classes(tree: ast.Module) -> list[ast.ClassDef]:
    """Every class, at any depth: they sit in statement bodies, so expressions are skipped."""
    found: list[ast.ClassDef] = []
    statements: list[ast.stmt] = list(tree.body)
    while statements:
        statement = statements.pop()
        if isinstance(statement, ast.ClassDef):
            found.append(statement)
        for name in ("body", "orelse", "finalbody"):
            statements.extend(getattr(statement, name, []))
        for handler in getattr(statement, "handlers", []):
            statements.extend(handler.body)
        for case in getattr(statement, "cases", []):
            statements.extend(case.body)
    return found


def _class_bindings(node: ast.ClassDef) -> dict[str, Binding]:  # noqa: C901
    found: dict[str, Binding] = {}
    for statement in node.body:
        for target, value in _targets(statement):
            if isinstance(target, ast.Name):
                kind = Kind.CONSTANT if target.id.isupper() else Kind.DEFAULT
                binding = _binding(target.id, value, kind)
                if binding is not None:
                    found.setdefault(target.id, binding)
    for method in node.body:
        if not isinstance(method, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for statement in _own_statements(method):
            for target, value in _targets(statement):
                if (
                    isinstance(target, ast.Attribute)
                    and isinstance(target.value, ast.Name)
                    and target.value.id == "self"
                ):
                    binding = _binding(target.attr, value, Kind.DEFAULT)
                    if binding is not None:
                        found.setdefault(target.attr, binding)
    return found
