"""JavaScript and TypeScript through tree-sitter: the same facts as Python.

Reported directly: comparisons of a score-like expression with a number (``h.score >= 0.8``,
``cosineSimilarity(a, b) < 0.61``) with what they keep, and SQL in string and template
literals. As facts for the linker: numbers written for a name (``const MIN_SCORE = 0.75``,
class fields, ``this.x = ...``, parameter defaults, destructured option defaults
``{ minScore = 0.7 } = {}``, object keys ``{ scoreThreshold: 0.8 }``, ``process.env`` fallbacks),
names compared with a score, assignments and call arguments. Destructured options and object
keys share ``k:`` slots, so ``search(q, { minScore: 0.5 })`` reaches the function that reads
``minScore``. The grammars come from the ``tree-sitter-javascript`` and
``tree-sitter-typescript`` wheels: no network, no build.
"""

from __future__ import annotations

from functools import cache
from pathlib import PurePath

from tree_sitter import Language, Node, Parser

from calibrator.inventory.facts import FactsBuilder, FileScan, Origin, Signature, Use
from calibrator.inventory.findings import Direction, Finding, Kind, Metric, ScanError
from calibrator.inventory.js_exprs import (
    COMPARISONS,
    FLIP,
    first_error_line,
    grades,
    kept_direction,
    name_of,
    number,
    score_of,
    text_of,
    walk,
)
from calibrator.inventory.js_values import CLASSES, FUNCTIONS, JsScope, JsValues, declared
from calibrator.inventory.names import interesting, plausible, words
from calibrator.inventory.sql_scan import scan_sql_text
from calibrator.inventory.sql_tokens import looks_like_sql
from calibrator.inventory.vocabulary import SIMILARITY_SOURCES

JS_SUFFIXES = frozenset({".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts", ".tsx"})
MINIFIED_LINE = 110
"""Average characters per line above which a script is minified (GitHub Linguist's rule)."""
COMPARISON_CONFIDENCE = 0.9
ZERO_FLOOR_CONFIDENCE = 0.6
LOW = 0.3


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


def minified(source: str) -> bool:
    """Whether a script is a bundler's or minifier's output, whatever its name says.

    Such files hold other projects' code under one-letter names (``o = 1.1``) that would be
    joined by name with unrelated comparisons (``dist < o``); nobody edits a threshold there.
    """
    return len(source) > MINIFIED_LINE * (source.count("\n") + 1)


def scan_js(source: str, path: str) -> FileScan:
    """Findings and facts of one JavaScript or TypeScript file; parse errors are returned.

    Minified bundles (:func:`minified`) are skipped like those named ``*.min.js``.
    """
    if not interesting(source) or minified(source):
        return FileScan()
    tree = _parser(PurePath(path).suffix.lower()).parse(source.encode())
    if tree.root_node.has_error:
        line = first_error_line(tree.root_node)
        return FileScan(errors=(ScanError(path, "syntax error", line),))
    scanner = _Scanner(source, path, tree.root_node)
    scanner.visit(tree.root_node)
    return FileScan(tuple(scanner.findings), (), scanner.facts.build())


class _Scanner(JsValues):
    def __init__(self, source: str, path: str, root: Node) -> None:
        self.lines = source.splitlines()
        self.path = path
        self.findings: list[Finding] = []
        self.facts = FactsBuilder()
        self.libraries: set[str] = set()
        module = JsScope("module")
        for name in declared(root):
            module.names[name] = f"g:{name}"
        for node in root.named_children:
            if node.type == "import_statement":
                for spec in walk(node):
                    if spec.type in ("import_specifier", "namespace_import", "import_clause"):
                        for ident in spec.named_children:
                            if ident.type == "identifier":
                                module.names[text_of(ident)] = f"g:{text_of(ident)}"
        self.scopes = [module]

    # -- traversal ---------------------------------------------------------------------
    def visit(self, node: Node) -> None:  # noqa: C901, PLR0912 - one branch per node type
        kind = node.type
        if kind in FUNCTIONS:
            self._function(node)
            return
        if kind in CLASSES:
            self._class(node)
            return
        if kind == "variable_declarator":
            self._declarator(node)
        elif kind == "assignment_expression":
            target = self._target(node.child_by_field_name("left"))
            if target is not None:
                self._written(target, node.child_by_field_name("right"), Kind.DEFAULT)
        elif kind in ("public_field_definition", "field_definition"):
            name = name_of(node.child_by_field_name("name") or node.child_by_field_name("property"))
            if name and self.scope.class_name:
                self._written(
                    f"a:{self.scope.class_name}.{name}",
                    node.child_by_field_name("value"),
                    Kind.DEFAULT,
                )
        elif kind == "pair":
            key = name_of(node.child_by_field_name("key"))
            if key:
                self._written(f"k:{key}", node.child_by_field_name("value"), Kind.KEYWORD)
        elif kind in ("call_expression", "new_expression"):
            self._call(node)
        elif kind == "binary_expression":
            self._comparison(node)
        elif kind in ("string", "template_string"):
            self._string(node)
        for child in node.named_children:
            self.visit(child)

    def _class(self, node: Node) -> None:
        name = text_of(node.child_by_field_name("name"))
        base = None
        for child in node.named_children:
            if child.type == "class_heritage":
                extends = next((c for c in walk(child) if c.type == "extends_clause"), child)
                value = extends.child_by_field_name("value") or next(
                    iter(extends.named_children), None
                )
                base = name_of(value) or None
        if name and base:
            self.facts.bases.append((name, base))
        self.scopes.append(
            JsScope("class", {}, name, name or None, base, (*self.scope.words, *words(name)))
        )
        for child in node.named_children:
            self.visit(child)
        self.scopes.pop()

    def _function(self, node: Node) -> None:
        outer = self.scope
        name = text_of(node.child_by_field_name("name"))
        if not name and node.parent is not None and node.parent.type == "variable_declarator":
            name = text_of(node.parent.child_by_field_name("name"))
        callee = outer.class_name if name == "constructor" and outer.class_name else name
        scope = JsScope("function", {}, callee or "", outer.class_name, outer.base,
                       (*outer.words, *words(name)))  # fmt: skip
        line = node.start_point[0] + 1
        positional: list[str] = []
        params = node.child_by_field_name("parameters")
        single = node.child_by_field_name("parameter")  # `x => ...`
        for param in [single] if single is not None else params.named_children if params else []:
            if param.type == "rest_pattern":
                break
            positional.append(self._parameter(param, scope, line))
        if callee and positional:
            owner = outer.class_name if node.type == "method_definition" else None
            self.facts.signatures.append(Signature(callee, tuple(positional), owner))
        for local in declared(node.child_by_field_name("body")):
            scope.names.setdefault(local, f"l:{self.path}:{line}:{local}")
        self.scopes.append(scope)
        body = node.child_by_field_name("body")
        if body is not None:
            self.visit(body)
        self.scopes.pop()

    # -- comparisons and strings -------------------------------------------------------
    def _comparison(self, node: Node) -> None:
        condition = COMPARISONS.get(text_of(node.child_by_field_name("operator")))
        if condition is None:
            return
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        for score_side, value_side, on_left in ((left, right, True), (right, left, False)):
            score = score_of(score_side)
            if score is None or value_side is None or score_of(value_side) is not None:
                continue
            kept = kept_direction(condition if on_left else FLIP[condition], node)
            line = node.start_point[0] + 1
            origin = self._origin(score_side)
            found = number(value_side)
            if found is None:
                for slot in self._sources(value_side):
                    self.facts.uses.append(
                        Use(slot, kept, score[1], origin, self.path, line, score[0])
                    )
                continue
            confidence = COMPARISON_CONFIDENCE if plausible(found[1], score[1]) else LOW
            reason = f"{score[0]} compared with a number"
            if found[1] == 0.0 and origin is Origin.SIMILARITY and score[1] is not Metric.DISTANCE:
                # a distance is never below zero: `plane.distanceToPoint(p) < 0` is a side test
                confidence, reason = ZERO_FLOOR_CONFIDENCE, f"{score[0]} kept above zero"
            if origin in (Origin.MODEL, Origin.STRING) or (
                found[1] != 0.0 and not any(c in text_of(found[0]) for c in ".eE")
            ):
                confidence = LOW
            elif (
                origin is not Origin.SIMILARITY and score[1] is not Metric.DISTANCE and grades(node)
            ):
                confidence, reason = LOW, f"{score[0]} graded into labels"
            self._finding(found[0], found[1], kept, score[1], confidence, reason)

    def _origin(self, node: Node | None) -> Origin:
        if node is not None and node.type == "call_expression":
            called = words(name_of(node.child_by_field_name("function")))
            if set(called) & SIMILARITY_SOURCES:
                return Origin.SIMILARITY
        return self.context_origin()

    def _string(self, node: Node) -> None:
        parent = node.parent
        if parent is not None and (
            parent.type == "import_statement"
            or (parent.type == "arguments" and text_of(parent.prev_sibling) == "require")
        ):
            self._library(node)
            return
        text = text_of(node)[1:-1]  # without its quotes or backticks
        if looks_like_sql(text):
            line = node.start_point[0] + 1
            self.findings.extend(scan_sql_text(text, self.path, line, language="js"))

    def _finding(
        self,
        literal: Node,
        value: float,
        direction: Direction,
        metric: Metric,
        confidence: float,
        reason: str,
    ) -> None:
        row, column = literal.start_point
        library = next(iter(self.libraries)) if len(self.libraries) == 1 else None
        self.findings.append(
            Finding(self.path, row + 1, value, Kind.COMPARISON, direction, metric, confidence,
                    self._snippet(row), library=library, reason=reason, language="js",
                    column=column + 1)
        )  # fmt: skip
