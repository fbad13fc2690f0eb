"""Reading tree-sitter JavaScript/TypeScript nodes: numbers, names, score-like expressions.

Pure functions over :class:`tree_sitter.Node`, used by :mod:`calibrator.inventory.js_scan`.
"""

from __future__ import annotations

from tree_sitter import Node

from calibrator.inventory.findings import Direction, Metric
from calibrator.inventory.names import is_score_like, metric_of, words
from calibrator.inventory.vocabulary import NOT_SCORE_ATTRIBUTES

COMPARISONS = {
    ">": Direction.ABOVE,
    ">=": Direction.ABOVE,
    "<": Direction.BELOW,
    "<=": Direction.BELOW,
}


FLIP = {Direction.ABOVE: Direction.BELOW, Direction.BELOW: Direction.ABOVE}


PASS_THROUGH = frozenset({"abs", "Number", "parseFloat", "toFixed", "max", "min", "round"})


def walk(root: Node) -> list[Node]:
    """Every named node under ``root`` (itself included), in source order."""
    out: list[Node] = []
    pending = [root]
    while pending:
        node = pending.pop()
        out.append(node)
        pending.extend(reversed(node.named_children))
    return out


def first_error_line(root: Node) -> int:
    """The 1-based line of the first syntax error (or missing node) in the tree."""
    for node in walk(root):
        if node.type == "ERROR" or node.is_missing:
            return node.start_point[0] + 1
    return root.start_point[0] + 1


def text_of(node: Node | None) -> str:
    """The node's source text (``""`` for no node)."""
    return node.text.decode(errors="replace") if node is not None and node.text else ""


def number(node: Node | None) -> tuple[Node, float] | None:
    """The literal node and value of ``0.8``, ``-0.8`` or ``(0.8)``; ``None`` otherwise."""
    if node is None:
        return None
    if node.type == "number":
        try:
            return node, float(text_of(node).replace("_", ""))
        except ValueError:
            return None
    if node.type == "unary_expression" and text_of(node.child_by_field_name("operator")) == "-":
        inner = number(node.child_by_field_name("argument"))
        return (inner[0], -inner[1]) if inner else None
    if node.type == "parenthesized_expression" and node.named_child_count == 1:
        return number(node.named_children[0])
    return None


def name_of(node: Node | None) -> str:
    """The identifier a target or key names (``this.cutoff`` gives ``cutoff``)."""
    if node is None:
        return ""
    if node.type == "member_expression":
        return text_of(node.child_by_field_name("property"))
    if node.type == "string":
        return text_of(node).strip("\"'`")
    return text_of(node) if "identifier" in node.type else ""


def score_of(node: Node | None) -> tuple[str, Metric] | None:  # noqa: C901, PLR0911, PLR0912
    """The identifier and metric when ``node`` computes a score, like the Python reader."""
    if node is None:
        return None
    kind = node.type
    identifier = ""
    if kind in ("identifier", "property_identifier"):
        identifier = text_of(node)
    elif kind == "member_expression":
        identifier = text_of(node.child_by_field_name("property"))
        if identifier in NOT_SCORE_ATTRIBUTES or identifier == "length":
            return None
    elif kind == "subscript_expression":
        index = node.child_by_field_name("index")
        if index is not None and index.type == "string":
            identifier = text_of(index).strip("\"'`")
        else:
            return score_of(node.child_by_field_name("object"))
    elif kind == "call_expression":
        function = node.child_by_field_name("function")
        identifier = name_of(function) if function is not None else ""
        if identifier in PASS_THROUGH:
            args = node.child_by_field_name("arguments")
            inner = args.named_children[0] if args and args.named_child_count else None
            if inner is None and function is not None and function.type == "member_expression":
                inner = function.child_by_field_name("object")
            return score_of(inner)
    elif kind in ("parenthesized_expression", "non_null_expression", "as_expression"):
        return score_of(node.named_children[0]) if node.named_child_count else None
    elif kind == "binary_expression":
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        operator = text_of(node.child_by_field_name("operator"))
        if operator == "-" and (number(left) or (None, 0.0))[1] == 1.0:
            scored = score_of(right)
            if scored is not None:
                flipped = {Metric.DISTANCE: Metric.SIMILARITY, Metric.SIMILARITY: Metric.DISTANCE}
                return scored[0], flipped.get(scored[1], scored[1])
            return None
        scored_left, scored_right = score_of(left), score_of(right)
        if scored_left is not None and scored_right is not None and operator in ("-", "/"):
            return None  # a change of score (`a.score - b.score`) or a ratio of two scores
        return scored_left or scored_right
    if identifier and is_score_like(identifier):
        return identifier, metric_of(words(identifier))
    return None


def kept_direction(condition: Direction, node: Node) -> Direction:
    """What a comparison keeps: ``!`` and a rejecting ``if`` (continue, bare return) flip it."""
    direction = condition
    parent = node.parent
    while parent is not None:
        if (
            parent.type == "unary_expression"
            and text_of(parent.child_by_field_name("operator")) == "!"
        ):
            direction = FLIP[direction]
        elif parent.type in ("parenthesized_expression", "binary_expression"):
            pass
        elif parent.type == "if_statement":
            body = parent.child_by_field_name("consequence")
            first = body.named_children[0] if body and body.named_child_count else body
            if body is not None and body.type != "statement_block":
                first = body
            if first is not None and (
                first.type in ("continue_statement", "break_statement", "throw_statement")
                or (first.type == "return_statement" and first.named_child_count == 0)
            ):
                direction = FLIP[direction]
            break
        else:
            break
        parent = parent.parent
    return direction


LADDER = 3
"""Outcomes of a conditional chain that make it a grading ladder."""
_LABELS = frozenset({"string", "template_string", "member_expression", "identifier"})


def grades(node: Node) -> bool:
    """Whether a comparison is a rung of a grading ladder that only picks labels.

    ``score >= 0.7 ? "high" : score >= 0.4 ? "mid" : "low"``, or an ``if``/``else if`` chain
    whose branches only return or assign a label: a score turned into a level, nothing dropped.
    """
    rung = node.parent
    while rung is not None and rung.type in ("parenthesized_expression", "binary_expression"):
        rung = rung.parent
    if rung is None:
        return False
    if rung.type == "ternary_expression":
        while True:  # the top of `a ? "x" : b ? "y" : "z"`, or of `a ? "x" : (b ? "y" : "z")`
            above = rung.parent
            while above is not None and above.type == "parenthesized_expression":
                above = above.parent
            if not (
                above is not None
                and above.type == "ternary_expression"
                and _unwrapped(above.child_by_field_name("alternative")) == rung
            ):
                break
            rung = above
        return _ternary_outcomes(rung) >= LADDER
    if rung.type == "if_statement":
        top = rung
        while top.parent is not None and top.parent.type == "else_clause":
            above = top.parent.parent
            if above is None or above.type != "if_statement":
                break
            top = above
        outcomes = _if_outcomes(top)
        return outcomes is not None and outcomes >= LADDER
    return False


def _ternary_outcomes(node: Node) -> int:
    """The labels a chain of ``c ? "a" : c2 ? "b" : "c"`` picks from (0 if any is no label)."""
    count = 0
    while node.type == "ternary_expression":
        consequence = node.child_by_field_name("consequence")
        if consequence is None or consequence.type not in _LABELS:
            return 0
        count += 1
        alternative = _unwrapped(node.child_by_field_name("alternative"))
        if alternative is None:
            return 0
        node = alternative
    return count + 1 if node.type in _LABELS else 0


def _unwrapped(node: Node | None) -> Node | None:
    """``node`` without the parentheses around it: ``(b ? "y" : "z")`` is the ternary."""
    while node is not None and node.type == "parenthesized_expression" and node.named_child_count:
        node = node.named_children[0]
    return node


def _if_outcomes(node: Node) -> int | None:
    """The branches of an ``if``/``else if``/``else`` chain, if each only sets a label.

    A chain without ``else`` has one more outcome, what was set before it (``let tier =
    'low'; if (s >= 0.7) tier = 'high'; else if (s >= 0.5) tier = 'medium';``), as an
    ``if``/``elif`` chain in Python does.
    """
    count = 0
    current: Node | None = node
    while current is not None:
        body = current.child_by_field_name("consequence")
        if body is None or not _sets_label(body):
            return None
        count += 1
        alternative = current.child_by_field_name("alternative")
        if alternative is None:
            return count + 1
        inner = alternative.named_children[0] if alternative.named_child_count else None
        if inner is not None and inner.type == "if_statement":
            current = inner
        else:
            return count + 1 if inner is not None and _sets_label(inner) else None
    return count


def _sets_label(node: Node) -> bool:
    """A branch that only returns or assigns a label: ``return "TP";``, ``tier = "high";``."""
    if node.type == "statement_block":
        if node.named_child_count != 1:
            return False
        node = node.named_children[0]
    value = None
    if node.type == "return_statement" and node.named_child_count == 1:
        value = node.named_children[0]
    elif node.type == "expression_statement" and node.named_child_count == 1:
        inner = node.named_children[0]
        if inner.type == "assignment_expression":
            value = inner.child_by_field_name("right")
    return value is not None and value.type in _LABELS
