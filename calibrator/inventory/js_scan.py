"""JavaScript and TypeScript through tree-sitter: the same patterns as Python.

Comparisons of score-like expressions with numbers or with names bound to numbers
(``const MIN_SCORE = 0.75``, class fields, ``this.x = ...``, parameter defaults), threshold
keys in object literals (``{ score_threshold: 0.8 }``, ``{ minScore: 0.7 }``), threshold-named
constants and defaults, and SQL in string and template literals. The grammars come from the
``tree-sitter-javascript`` and ``tree-sitter-typescript`` wheels: no network, no build.
"""

from __future__ import annotations

from functools import cache
from pathlib import PurePath

from tree_sitter import Language, Node, Parser

from calibrator.inventory.findings import Direction, Finding, Kind, Metric, ScanError
from calibrator.inventory.names import (
    NOT_SCORE_ATTRIBUTES,
    is_score_like,
    library_of_module,
    metric_of,
    plausible,
    threshold_name,
    words,
)
from calibrator.inventory.python_scan import INTERESTING, USAGE_CONFIDENCE
from calibrator.inventory.sql_scan import looks_like_sql, scan_sql_text

JS_SUFFIXES = frozenset({".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts", ".tsx"})
_COMPARISONS = {
    ">": Direction.ABOVE,
    ">=": Direction.ABOVE,
    "<": Direction.BELOW,
    "<=": Direction.BELOW,
}
_FLIP = {Direction.ABOVE: Direction.BELOW, Direction.BELOW: Direction.ABOVE}
_PASS_THROUGH = frozenset({"abs", "Number", "parseFloat", "toFixed", "max", "min", "round"})
_NAMED_VALUES = {
    "variable_declarator": ("name", "value", Kind.CONSTANT),
    "public_field_definition": ("name", "value", Kind.DEFAULT),
    "field_definition": ("property", "value", Kind.DEFAULT),
    "required_parameter": ("pattern", "value", Kind.DEFAULT),
    "optional_parameter": ("pattern", "value", Kind.DEFAULT),
    "assignment_pattern": ("left", "right", Kind.DEFAULT),
    "assignment_expression": ("left", "right", Kind.DEFAULT),
    "pair": ("key", "value", Kind.KEYWORD),
}


@cache
def _parser(suffix: str) -> Parser:
    if suffix in (".ts", ".mts", ".cts", ".tsx"):
        import tree_sitter_typescript

        grammar = (
            tree_sitter_typescript.language_tsx()
            if suffix == ".tsx"
            else tree_sitter_typescript.language_typescript()
        )
    else:
        import tree_sitter_javascript

        grammar = tree_sitter_javascript.language()
    return Parser(Language(grammar))


def scan_js(source: str, path: str) -> tuple[list[Finding], list[ScanError]]:
    """Every threshold in one JavaScript or TypeScript file; parse errors are returned."""
    if not INTERESTING.search(source):
        return [], []
    data = source.encode()
    tree = _parser(PurePath(path).suffix.lower()).parse(data)
    if tree.root_node.has_error:
        line = _first_error_line(tree.root_node)
        return [], [ScanError(path, "syntax error", line)]
    scanner = _Scanner(source, path)
    nodes = list(_walk(tree.root_node))
    for node in nodes:
        scanner.bind(node)
    for node in nodes:
        scanner.visit(node)
    return scanner.finish(), []


def _walk(root: Node) -> list[Node]:
    out: list[Node] = []
    pending = [root]
    while pending:
        node = pending.pop()
        out.append(node)
        pending.extend(reversed(node.named_children))
    return out


def _first_error_line(root: Node) -> int:
    for node in _walk(root):
        if node.type == "ERROR" or node.is_missing:
            return node.start_point[0] + 1
    return root.start_point[0] + 1


def _text(node: Node | None) -> str:
    return node.text.decode(errors="replace") if node is not None and node.text else ""


def _number(node: Node | None) -> tuple[Node, float] | None:
    if node is None:
        return None
    if node.type == "number":
        try:
            return node, float(_text(node).replace("_", ""))
        except ValueError:
            return None
    if node.type == "unary_expression" and _text(node.child_by_field_name("operator")) == "-":
        inner = _number(node.child_by_field_name("argument"))
        return (inner[0], -inner[1]) if inner else None
    if node.type == "parenthesized_expression" and node.named_child_count == 1:
        return _number(node.named_children[0])
    return None


def _name(node: Node | None) -> str:
    """The identifier a target or key names (``this.cutoff`` gives ``cutoff``)."""
    if node is None:
        return ""
    if node.type == "member_expression":
        return _text(node.child_by_field_name("property"))
    if node.type == "string":
        return _text(node).strip("\"'`")
    return _text(node) if "identifier" in node.type else ""


def _score(node: Node | None) -> tuple[str, Metric] | None:  # noqa: C901, PLR0911, PLR0912
    if node is None:
        return None
    kind = node.type
    identifier = ""
    if kind in ("identifier", "property_identifier"):
        identifier = _text(node)
    elif kind == "member_expression":
        identifier = _text(node.child_by_field_name("property"))
        if identifier in NOT_SCORE_ATTRIBUTES or identifier == "length":
            return None
    elif kind == "subscript_expression":
        index = node.child_by_field_name("index")
        if index is not None and index.type == "string":
            identifier = _text(index).strip("\"'`")
        else:
            return _score(node.child_by_field_name("object"))
    elif kind == "call_expression":
        function = node.child_by_field_name("function")
        identifier = _name(function) if function is not None else ""
        if identifier in _PASS_THROUGH:
            args = node.child_by_field_name("arguments")
            inner = args.named_children[0] if args and args.named_child_count else None
            if inner is None and function is not None and function.type == "member_expression":
                inner = function.child_by_field_name("object")
            return _score(inner)
    elif kind in ("parenthesized_expression", "non_null_expression", "as_expression"):
        return _score(node.named_children[0]) if node.named_child_count else None
    elif kind == "binary_expression":
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        operator = _text(node.child_by_field_name("operator"))
        if operator == "-" and (_number(left) or (None, 0.0))[1] == 1.0:
            scored = _score(right)
            if scored is not None:
                flipped = {Metric.DISTANCE: Metric.SIMILARITY, Metric.SIMILARITY: Metric.DISTANCE}
                return scored[0], flipped.get(scored[1], scored[1])
            return None
        return _score(left) or _score(right)
    if identifier and is_score_like(identifier):
        return identifier, metric_of(words(identifier))
    return None


class _Scanner:
    def __init__(self, source: str, path: str) -> None:
        self.lines = source.splitlines()
        self.path = path
        self.bindings: dict[str, tuple[Node, float, Kind]] = {}
        self.libraries: set[str] = set()
        self.findings: list[Finding] = []
        self.compared: dict[str, tuple[Direction, Metric, int]] = {}

    def bind(self, node: Node) -> None:
        spec = _NAMED_VALUES.get(node.type)
        if node.type == "string" and node.parent is not None:
            parent = node.parent
            if parent.type == "import_statement" or (
                parent.type == "arguments" and _text(parent.prev_sibling) == "require"
            ):
                library = library_of_module(_text(node).strip("\"'`"))
                if library:
                    self.libraries.add(library)
        if spec is None or node.type == "pair":
            return
        found = _number(node.child_by_field_name(spec[1]))
        name = _name(node.child_by_field_name(spec[0]))
        if found is not None and name:
            self.bindings.setdefault(name, (found[0], found[1], spec[2]))

    def visit(self, node: Node) -> None:
        spec = _NAMED_VALUES.get(node.type)
        if spec is not None:
            self._named(node, *spec)
        elif node.type == "binary_expression":
            self._comparison(node)
        elif node.type in ("string", "template_string"):
            text = _text(node)[1:-1]  # without its quotes or backticks
            if looks_like_sql(text):
                line = node.start_point[0] + 1
                self.findings.extend(scan_sql_text(text, self.path, line, language="js"))

    def _named(self, node: Node, name_field: str, value_field: str, kind: Kind) -> None:
        found = _number(node.child_by_field_name(value_field))
        name = _name(node.child_by_field_name(name_field))
        if found is None or not name:
            return
        verdict = threshold_name(name, self._context(node))
        if verdict.strength <= 0:
            return
        confidence = verdict.strength if plausible(found[1], verdict.metric) else 0.3
        self._add(
            found[0],
            found[1],
            kind,
            verdict.direction,
            verdict.metric,
            confidence,
            name,
            verdict.library,
            f"threshold name {name!r}",
        )

    def _context(self, node: Node) -> tuple[str, ...]:
        out: list[str] = []
        parent = node.parent
        while parent is not None:
            if parent.type in (
                "class_declaration",
                "function_declaration",
                "method_definition",
                "class",
            ):
                out.extend(words(_text(parent.child_by_field_name("name"))))
            parent = parent.parent
        return tuple(out)

    def _comparison(self, node: Node) -> None:
        condition = _COMPARISONS.get(_text(node.child_by_field_name("operator")))
        if condition is None:
            return
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        for score_side, value_side, on_left in ((left, right, True), (right, left, False)):
            score = _score(score_side)
            if score is None or value_side is None or _score(value_side) is not None:
                continue
            direction = condition if on_left else _FLIP[condition]
            kept = _kept(direction, node)
            line = node.start_point[0] + 1
            found = _number(value_side)
            if found is not None:
                confidence = 0.9 if plausible(found[1], score[1]) else 0.3
                self._add(
                    found[0],
                    found[1],
                    Kind.COMPARISON,
                    kept,
                    score[1],
                    confidence,
                    None,
                    None,
                    f"{score[0]} compared with a number",
                )
                continue
            name = _name(value_side)
            if not name:
                continue
            self.compared.setdefault(name, (kept, score[1], line))
            binding = self.bindings.get(name)
            if binding is not None:
                confidence = USAGE_CONFIDENCE if plausible(binding[1], score[1]) else 0.3
                self._add(
                    binding[0],
                    binding[1],
                    binding[2],
                    kept,
                    score[1],
                    confidence,
                    name,
                    None,
                    f"{name} compared with {score[0]} on line {line}",
                )

    def _add(
        self,
        literal: Node,
        value: float,
        kind: Kind,
        direction: Direction,
        metric: Metric,
        confidence: float,
        name: str | None,
        library: str | None,
        reason: str,
    ) -> None:
        row, column = literal.start_point
        snippet = self.lines[row].strip()[:160] if row < len(self.lines) else ""
        if library is None and len(self.libraries) == 1 and kind is Kind.KEYWORD:
            library = next(iter(self.libraries))
        self.findings.append(
            Finding(
                self.path,
                row + 1,
                value,
                kind,
                direction,
                metric,
                confidence,
                snippet,
                name=name,
                library=library,
                reason=reason,
                language="js",
                column=column + 1,
            )
        )

    def finish(self) -> list[Finding]:
        """The findings, weak names raised where the file compares them with a score."""
        from dataclasses import replace

        out: list[Finding] = []
        for found in self.findings:
            finding = found
            usage = self.compared.get(finding.name or "")
            if (
                usage is not None
                and finding.confidence < USAGE_CONFIDENCE
                and plausible(finding.value, usage[1])
            ):
                direction = (
                    usage[0] if finding.direction is Direction.UNKNOWN else (finding.direction)
                )
                finding = replace(
                    finding,
                    confidence=USAGE_CONFIDENCE,
                    direction=direction,
                    reason=f"{finding.reason}, compared with a score",
                )
            out.append(finding)
        return out


def _kept(condition: Direction, node: Node) -> Direction:
    direction = condition
    parent = node.parent
    while parent is not None:
        if (
            parent.type == "unary_expression"
            and _text(parent.child_by_field_name("operator")) == "!"
        ):
            direction = _FLIP[direction]
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
                direction = _FLIP[direction]
            break
        else:
            break
        parent = parent.parent
    return direction
