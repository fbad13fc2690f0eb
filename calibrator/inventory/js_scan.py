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
from calibrator.inventory.js_exprs import (
    COMPARISONS,
    FLIP,
    first_error_line,
    kept_direction,
    name_of,
    number,
    score_of,
    text_of,
    walk,
)
from calibrator.inventory.names import (
    INTERESTING,
    USAGE_CONFIDENCE,
    Usage,
    library_of_module,
    plausible,
    raise_compared,
    threshold_name,
    words,
)
from calibrator.inventory.sql_scan import scan_sql_text
from calibrator.inventory.sql_tokens import looks_like_sql

JS_SUFFIXES = frozenset({".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts", ".tsx"})
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
        line = first_error_line(tree.root_node)
        return [], [ScanError(path, "syntax error", line)]
    scanner = _Scanner(source, path)
    nodes = list(walk(tree.root_node))
    for node in nodes:
        scanner.bind(node)
    for node in nodes:
        scanner.visit(node)
    return scanner.finish(), []


class _Scanner:
    def __init__(self, source: str, path: str) -> None:
        self.lines = source.splitlines()
        self.path = path
        self.bindings: dict[str, tuple[Node, float, Kind]] = {}
        self.libraries: set[str] = set()
        self.findings: list[Finding] = []
        self.compared: dict[str, Usage] = {}

    def bind(self, node: Node) -> None:
        spec = _NAMED_VALUES.get(node.type)
        if node.type == "string" and node.parent is not None:
            parent = node.parent
            if parent.type == "import_statement" or (
                parent.type == "arguments" and text_of(parent.prev_sibling) == "require"
            ):
                library = library_of_module(text_of(node).strip("\"'`"))
                if library:
                    self.libraries.add(library)
        if spec is None or node.type == "pair":
            return
        found = number(node.child_by_field_name(spec[1]))
        name = name_of(node.child_by_field_name(spec[0]))
        if found is not None and name:
            self.bindings.setdefault(name, (found[0], found[1], spec[2]))

    def visit(self, node: Node) -> None:
        spec = _NAMED_VALUES.get(node.type)
        if spec is not None:
            self._named(node, *spec)
        elif node.type == "binary_expression":
            self._comparison(node)
        elif node.type in ("string", "template_string"):
            text = text_of(node)[1:-1]  # without its quotes or backticks
            if looks_like_sql(text):
                line = node.start_point[0] + 1
                self.findings.extend(scan_sql_text(text, self.path, line, language="js"))

    def _named(self, node: Node, name_field: str, value_field: str, kind: Kind) -> None:
        found = number(node.child_by_field_name(value_field))
        name = name_of(node.child_by_field_name(name_field))
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
                out.extend(words(text_of(parent.child_by_field_name("name"))))
            parent = parent.parent
        return tuple(out)

    def _comparison(self, node: Node) -> None:
        condition = COMPARISONS.get(text_of(node.child_by_field_name("operator")))
        if condition is None:
            return
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        for score_side, value_side, on_left in ((left, right, True), (right, left, False)):
            score = score_of(score_side)
            if score is None or value_side is None or score_of(value_side) is not None:
                continue
            direction = condition if on_left else FLIP[condition]
            kept = kept_direction(direction, node)
            line = node.start_point[0] + 1
            found = number(value_side)
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
            name = name_of(value_side)
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
        return raise_compared(self.findings, self.compared)
