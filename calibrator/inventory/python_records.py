"""A module's record classes (dataclasses, NamedTuples, models) and where it builds them.

``Hit(i, path, score, best_text.get(i))`` then ``h.match`` elsewhere: the field a read names
is given by the argument in its place (by keyword, or by the field's position), so what the
read holds is what that argument holds, not what the list of records is sorted by.
"""

from __future__ import annotations

import ast

from calibrator.inventory.python_bindings import Definition, own_nodes

Construction = tuple[ast.ClassDef | None, ast.FunctionDef | ast.AsyncFunctionDef, ast.Call]
"""A call building a record: the class of the method it is in (or ``None``), the function."""


class Records:
    """The record classes a module defines, by the fields they declare, and their builders."""

    def __init__(self, tree: ast.AST, definitions: dict[str, list[Definition]]) -> None:
        """Index the module's classes now; the calls building them when first asked."""
        self.definitions = definitions
        self.fields: dict[str, list[tuple[str, int]]] = {}
        self._built: dict[str, list[Construction]] | None = None
        for statement in getattr(tree, "body", []):
            if isinstance(statement, ast.ClassDef):
                for position, name in enumerate(_declared_fields(statement)):
                    self.fields.setdefault(name, []).append((statement.name, position))

    def argument(self, call: ast.Call, record: str, name: str) -> ast.expr | None:
        """The argument of a call building ``record`` that gives field ``name``."""
        for keyword in call.keywords:
            if keyword.arg == name:
                return keyword.value
        position = next((p for r, p in self.fields.get(name, []) if r == record), None)
        if position is None or any(isinstance(a, ast.Starred) for a in call.args):
            return None
        return call.args[position] if position < len(call.args) else None

    def built(self, record: str) -> list[Construction]:
        """The calls of this module's functions that build ``record`` (``Hit(...)``)."""
        if self._built is None:
            records = {r for owners in self.fields.values() for r, _ in owners}
            self._built = {}
            for definitions in self.definitions.values():
                for owner, function in definitions:
                    for node in own_nodes(function):
                        if (
                            isinstance(node, ast.Call)
                            and isinstance(node.func, ast.Name)
                            and node.func.id in records
                        ):
                            self._built.setdefault(node.func.id, []).append((owner, function, node))
        return self._built.get(record, [])


def _declared_fields(node: ast.ClassDef) -> list[str]:
    """The fields a class without ``__init__`` declares, in order (``name: T = default``).

    A class with its own ``__init__`` takes its arguments as that says, not as fields.
    """
    if any(
        isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and s.name == "__init__"
        for s in node.body
    ):
        return []
    return [
        s.target.id
        for s in node.body
        if isinstance(s, ast.AnnAssign)
        and isinstance(s.target, ast.Name)
        and not _class_variable(s.annotation)
    ]


def _class_variable(annotation: ast.expr) -> bool:
    """``ClassVar[float]``: no field."""
    head = annotation.value if isinstance(annotation, ast.Subscript) else annotation
    return (isinstance(head, ast.Name) and head.id == "ClassVar") or (
        isinstance(head, ast.Attribute) and head.attr == "ClassVar"
    )
