"""Reading Python expressions: numbers, score-like expressions, and what a condition keeps.

Pure functions over :mod:`ast` nodes, used by :mod:`calibrator.inventory.python_scan`.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from calibrator.inventory.findings import Direction, Metric
from calibrator.inventory.names import is_score_like, metric_of, words
from calibrator.inventory.python_walk import walk
from calibrator.inventory.vocabulary import NOT_SCORE_ATTRIBUTES

_PASS_THROUGH_CALLS = frozenset(
    {"float", "abs", "round", "max", "min", "mean", "median", "item", "amax", "amin", "tolist",
     "array", "asarray", "tensor", "as_tensor"}
)  # fmt: skip
CONVERSIONS = frozenset(
    {"float", "round", "item", "tolist", "squeeze", "cpu", "numpy", "detach", "asarray"}
)
"""Calls that change a number's type or place, not what it is (``float(a @ b)``, ``x.item()``)."""
_NOT_SCORE_CALLS = frozenset(
    {"len", "sum", "count", "numel", "size", "sorted", "list", "range", "enumerate", "type"}
)
_TRANSPARENT_ATTRIBUTES = frozenset({"value", "data", "real", "values", "T"})


def number(node: ast.expr | None) -> float | None:
    """The value of a numeric literal (``0.8``, ``-1``, ``+.5``); ``None`` for anything else.

    Booleans are not numbers here.
    """
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        return None
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        inner = number(node.operand)
        if inner is None:
            return None
        return -inner if isinstance(node.op, ast.USub) else inner
    return None


def is_integer(node: ast.expr) -> bool:
    """Whether a numeric literal is written as an integer (``3``, ``-1``), not ``3.0``."""
    if isinstance(node, ast.UnaryOp):
        return is_integer(node.operand)
    return isinstance(node, ast.Constant) and type(node.value) is int


FIELD_CALLS = frozenset(
    {"Field", "field", "PrivateAttr", "FloatField", "DecimalField", "Column", "mapped_column",
     "Option", "Argument", "Query", "Body", "Form", "Number", "Magnitude", "Float", "ib"}
)  # fmt: skip
"""Calls whose ``default=`` (or first argument) is a field's default: pydantic, dataclasses,
attrs (``attr.ib(default=0.5)``), Django and SQLAlchemy model fields
(``models.FloatField(default=0.18)``), HoloViz param and traitlets parameters
(``param.Number(default=0.3)``, ``Float(0.5)``), and a command's or an endpoint's parameters
(``typer.Option(0.95, "--semantic-threshold")``, FastAPI's ``Query(0.5)``)."""


def literal_node(node: ast.expr | None) -> ast.expr | None:
    """The numeric literal a value expression stands for, seeing through ``Field(default=x)``.

    Pydantic's ``Field(0.8, ...)`` / ``Field(default=0.8)``, dataclasses'
    ``field(default=0.8)`` and ORM columns (:data:`FIELD_CALLS`) are how libraries declare
    defaults of model fields.
    """
    if node is None:
        return None
    if number(node) is not None:
        return node
    if isinstance(node, ast.Call) and call_name(node) in FIELD_CALLS:
        for keyword in node.keywords:
            if keyword.arg == "default" and number(keyword.value) is not None:
                return keyword.value
        if node.args and number(node.args[0]) is not None:
            return node.args[0]
    return None


def call_name(node: ast.Call) -> str:
    """The called name: ``f`` for ``f(...)``, ``m`` for ``obj.m(...)``, else ``""``."""
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def record_field(expr: ast.expr) -> tuple[ast.expr | None, str] | None:
    """The record and the string key of a read of one field: ``hit["score"]``, ``h.get("sim")``.

    ``(None, key)`` for a ``get`` that is no method; ``None`` for anything else (an attribute,
    a key that is not a string).
    """
    if isinstance(expr, ast.Subscript):
        record: ast.expr | None = expr.value
        key = expr.slice
    elif isinstance(expr, ast.Call) and call_name(expr) == "get" and expr.args:
        record = expr.func.value if isinstance(expr.func, ast.Attribute) else None
        key = expr.args[0]
    else:
        return None
    if isinstance(key, ast.Constant) and isinstance(key.value, str):
        return record, key.value
    return None


def root_name(node: ast.expr) -> str | None:
    """The leftmost name of an attribute chain or call (``qdrant`` in ``qdrant.a.b()``)."""
    while True:
        if isinstance(node, ast.Name):
            return node.id
        if isinstance(node, ast.Attribute):
            node = node.value
        elif isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Subscript):
            node = node.value
        else:
            return None


@dataclass(frozen=True, slots=True)
class ScoreExpr:
    """A score-like expression: the identifier that made it so, and the metric it implies."""

    identifier: str
    metric: Metric


def score_expr(node: ast.expr) -> ScoreExpr | None:  # noqa: C901, PLR0911, PLR0912
    """Whether ``node`` computes a score (similarity, distance, relevance), and which.

    Names, attributes (``node.score``), string keys (``hit["_distance"]``, ``hit.get("score")``),
    indexing (``scores[i]``), calls named for scores (``cosine_similarity(a, b)``,
    ``x.similarity(y)``) and arithmetic on them (``1 - distance`` is a similarity) count;
    ``len(scores)``, ``scores.shape`` and threshold names (``self.min_score``) do not.
    """
    if isinstance(node, ast.Name):
        return _named(node.id)
    if isinstance(node, ast.Attribute):
        if node.attr in NOT_SCORE_ATTRIBUTES:
            return None
        if node.attr in _TRANSPARENT_ATTRIBUTES:
            return score_expr(node.value)
        return _named(node.attr)
    if isinstance(node, ast.Subscript):
        key = node.slice
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            return _named(key.value)
        return score_expr(node.value)
    if isinstance(node, ast.Call):
        name = call_name(node)
        got = node.args[0] if name == "get" and node.args else None
        if isinstance(got, ast.Constant) and isinstance(got.value, str):
            return _named(got.value)  # `hit.get("similarity", 0)` reads as `hit["similarity"]`
        if got is not None and isinstance(node.func, ast.Attribute):
            return score_expr(node.func.value)  # `cosine_map.get(mid, 0.0)`: `cosine_map[mid]`
        if name in _NOT_SCORE_CALLS:
            return None
        if name in _PASS_THROUGH_CALLS:
            if node.args:
                # `max(0.0, min(1.0, similarity + boost))`: the clamped score, wherever it is
                found = (score_expr(a) for a in node.args if number(a) is None)
                return next((f for f in found if f is not None), None)
            func = node.func
            return score_expr(func.value) if isinstance(func, ast.Attribute) else None
        return _named(name)
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.Sub) and number(node.left) == 1.0:
            inner = score_expr(node.right)
            if inner is not None and inner.metric is Metric.DISTANCE:
                return ScoreExpr(inner.identifier, Metric.SIMILARITY)
            if inner is not None and inner.metric is Metric.SIMILARITY:
                return ScoreExpr(inner.identifier, Metric.DISTANCE)
            return inner
        left, right = score_expr(node.left), score_expr(node.right)
        if left is not None and right is not None and isinstance(node.op, ast.Sub | ast.Div):
            # `new_score - old_score`: a change of score, compared with a tolerance;
            # `result.score / existing.score`: a ratio of two scores, whatever their scale
            return None
        return left or right
    return None


def _named(identifier: str) -> ScoreExpr | None:
    if is_score_like(identifier):
        return ScoreExpr(identifier, metric_of(words(identifier)))
    return None


OPPOSITE = {Direction.ABOVE: Direction.BELOW, Direction.BELOW: Direction.ABOVE}
"""The direction a condition keeps when negated (or a similarity read as a distance)."""


def condition_direction(op: ast.cmpop, score_on_left: bool) -> Direction | None:
    """``above`` when the condition holds for scores above the value; ``None`` for ==, in."""
    if isinstance(op, (ast.Gt, ast.GtE)):
        direction = Direction.ABOVE
    elif isinstance(op, (ast.Lt, ast.LtE)):
        direction = Direction.BELOW
    else:
        return None
    return direction if score_on_left else OPPOSITE[direction]


def kept_direction(condition: Direction, parents: list[ast.AST]) -> Direction:
    """Which results survive: the condition's direction, flipped where it rejects.

    ``parents`` runs from the comparison's parent outwards. ``not`` flips; an ``if`` whose
    body starts with ``continue``, ``break``, ``raise``, a bare ``return`` or one of an empty
    collection (``return []``: nothing found) rejects what the condition matches, and so does
    a result named for what is dropped (``redundant = np.where(sim > t)``); comprehension
    filters and everything else keep it.
    """
    direction = condition
    for at, parent in enumerate(parents):
        if isinstance(parent, ast.Subscript):
            # `distances[distances > cut] = np.nan`: what the mask selects is blanked out
            outer = parents[at + 1] if at + 1 < len(parents) else None
            if _blanked(parent, outer):
                direction = OPPOSITE.get(direction, direction)
            break
        if isinstance(parent, ast.UnaryOp) and isinstance(parent.op, ast.Not):
            direction = OPPOSITE.get(direction, direction)
        elif isinstance(parent, (ast.BoolOp, ast.Call)):
            continue
        elif isinstance(parent, (ast.If, ast.While)):
            if _rejects(parent.body[0]):
                direction = OPPOSITE.get(direction, direction)
            break
        elif isinstance(parent, (ast.Assign, ast.AnnAssign)):
            targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
            if any(_DROPPED & set(words(value_name(t) or "")) for t in targets):
                direction = OPPOSITE.get(direction, direction)
            break
        else:
            break
    return direction


def _blanked(mask: ast.Subscript, statement: ast.AST | None) -> bool:
    """``x[mask] = np.nan`` (or ``None``, ``0``, ``-np.inf``): the masked entries are dropped."""
    if not (isinstance(statement, ast.Assign) and mask in statement.targets):
        return False
    value = statement.value
    if isinstance(value, ast.UnaryOp) and isinstance(value.op, ast.USub):
        value = value.operand
    if isinstance(value, ast.Constant):
        return value.value is None or value.value == 0
    if isinstance(value, ast.Call) and value.args:  # `float("nan")`, `float("-inf")`
        value = value.args[0]
        return isinstance(value, ast.Constant) and str(value.value).lstrip("+-") in ("nan", "inf")
    return value_name(value) in ("nan", "NaN", "NAN", "inf", "Inf", "NINF")


_DROPPED = frozenset(
    {"redundant", "duplicate", "duplicates", "dup", "dups", "drop", "dropped", "remove",
     "removed", "reject", "rejected", "discard", "discarded", "exclude", "excluded", "skip"}
)  # fmt: skip


def empty_display(value: ast.expr) -> bool:
    """An empty collection written out: ``[]``, ``()``, ``{}``."""
    if isinstance(value, (ast.List, ast.Tuple, ast.Set)):
        return not value.elts
    return isinstance(value, ast.Dict) and not value.keys


def _rejects(statement: ast.stmt) -> bool:
    """``continue``, ``break``, ``raise``, ``item.dropped = True``, or a return of nothing.

    A bare ``return``, ``return None``, or an empty collection (``return []``: nothing found).
    """
    if isinstance(statement, (ast.Continue, ast.Break, ast.Raise)):
        return True
    if isinstance(statement, ast.Return):
        value = statement.value
        if value is None:
            return True
        return empty_display(value) or (isinstance(value, ast.Constant) and value.value is None)
    if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Constant):
        return statement.value.value is True and any(
            _DROPPED & set(words(value_name(t) or "")) for t in statement.targets
        )
    return False


def value_name(node: ast.expr) -> str | None:
    """The name a value side refers to: ``x`` for ``x``, ``cutoff`` for ``self.cutoff``."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def numeric_string(node: ast.expr) -> ast.expr:
    """``"0.8"`` (as in ``os.getenv("MIN_SCORE", "0.8")``) as the number it holds."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        try:
            value = float(node.value)
        except ValueError:
            return node
        return ast.copy_location(ast.Constant(value), node)
    return node


def reads_scores(expr: ast.expr) -> bool:
    """Whether ``expr`` reads something named as scores (``sum(distances)``, ``r["score"]``)."""
    for node in walk(expr):
        name = node.id if isinstance(node, ast.Name) else getattr(node, "attr", None)
        if not isinstance(name, str) and isinstance(node, (ast.Subscript, ast.Call)):
            read = record_field(node)
            name = read[1] if read is not None else None
        if isinstance(name, str) and metric_of(words(name)) is not Metric.UNKNOWN:
            return True
    return False
