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

from dataclasses import dataclass, field
from functools import cache
from pathlib import PurePath

from tree_sitter import Language, Node, Parser

from calibrator.inventory.facts import Call, FactsBuilder, FileScan, Origin, Signature, Use, Value
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
from calibrator.inventory.names import interesting, library_of_module, plausible, words
from calibrator.inventory.sql_scan import scan_sql_text
from calibrator.inventory.sql_tokens import looks_like_sql
from calibrator.inventory.vocabulary import MODEL_CONTEXTS, SIMILARITY_SOURCES, STRING_SOURCES

JS_SUFFIXES = frozenset({".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts", ".tsx"})
_FUNCTIONS = frozenset(
    {"function_declaration", "function_expression", "function", "arrow_function",
     "method_definition", "generator_function_declaration", "generator_function"}
)  # fmt: skip
_CLASSES = frozenset({"class_declaration", "class", "abstract_class_declaration"})
_NUMERIC_CALLS = frozenset({"Number", "parseFloat", "parseInt"})
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


def scan_js(source: str, path: str) -> FileScan:
    """Findings and facts of one JavaScript or TypeScript file; parse errors are returned."""
    if not interesting(source):
        return FileScan()
    tree = _parser(PurePath(path).suffix.lower()).parse(source.encode())
    if tree.root_node.has_error:
        line = first_error_line(tree.root_node)
        return FileScan(errors=(ScanError(path, "syntax error", line),))
    scanner = _Scanner(source, path, tree.root_node)
    scanner.visit(tree.root_node)
    return FileScan(tuple(scanner.findings), (), scanner.facts.build())


@dataclass
class _Scope:
    kind: str  # module, class, function
    names: dict[str, str] = field(default_factory=dict)  # name -> slot
    callee: str = ""
    class_name: str | None = None
    base: str | None = None
    words: tuple[str, ...] = ()


def _declared(body: Node | None) -> list[str]:
    """Names declared with const/let/var in a body, not inside nested functions."""
    out: list[str] = []
    pending = [body] if body is not None else []
    while pending:
        node = pending.pop()
        if node.type == "variable_declarator":
            target = node.child_by_field_name("name")
            if target is not None and target.type == "identifier":
                out.append(text_of(target))
        pending.extend(
            c for c in node.named_children if c.type not in _FUNCTIONS and c.type not in _CLASSES
        )
    return out


class _Scanner:
    def __init__(self, source: str, path: str, root: Node) -> None:
        self.lines = source.splitlines()
        self.path = path
        self.findings: list[Finding] = []
        self.facts = FactsBuilder()
        self.libraries: set[str] = set()
        module = _Scope("module")
        for name in _declared(root):
            module.names[name] = f"g:{name}"
        for node in root.named_children:
            if node.type == "import_statement":
                for spec in walk(node):
                    if spec.type in ("import_specifier", "namespace_import", "import_clause"):
                        for ident in spec.named_children:
                            if ident.type == "identifier":
                                module.names[text_of(ident)] = f"g:{text_of(ident)}"
        self.scopes = [module]

    @property
    def scope(self) -> _Scope:
        return self.scopes[-1]

    # -- traversal ---------------------------------------------------------------------
    def visit(self, node: Node) -> None:  # noqa: C901, PLR0912 - one branch per node type
        kind = node.type
        if kind in _FUNCTIONS:
            self._function(node)
            return
        if kind in _CLASSES:
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
            _Scope("class", {}, name, name or None, base, (*self.scope.words, *words(name)))
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
        scope = _Scope("function", {}, callee or "", outer.class_name, outer.base,
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
        for local in _declared(node.child_by_field_name("body")):
            scope.names.setdefault(local, f"l:{self.path}:{line}:{local}")
        self.scopes.append(scope)
        body = node.child_by_field_name("body")
        if body is not None:
            self.visit(body)
        self.scopes.pop()

    def _parameter(self, param: Node, scope: _Scope, line: int) -> str:  # noqa: C901 - JS and TS parameter shapes
        """Declare one parameter in ``scope``; its name for the signature ("" if none)."""
        pattern: Node | None = param
        default: Node | None = None
        if param.type in ("required_parameter", "optional_parameter"):
            pattern, default = (
                param.child_by_field_name("pattern"),
                param.child_by_field_name("value"),
            )
        elif param.type == "assignment_pattern":
            pattern, default = param.child_by_field_name("left"), param.child_by_field_name("right")
        if pattern is None:
            return ""
        if pattern.type == "object_pattern":  # destructured options share the keys' slots
            for item in pattern.named_children:
                key_node: Node | None = item
                item_default: Node | None = None
                if item.type == "object_assignment_pattern":
                    key_node, item_default = (
                        item.child_by_field_name("left"),
                        item.child_by_field_name("right"),
                    )
                elif item.type == "pair_pattern":
                    key_node = item.child_by_field_name("key")
                    value = item.child_by_field_name("value")
                    if value is not None and value.type == "assignment_pattern":
                        item_default = value.child_by_field_name("right")
                key = name_of(key_node)
                if key:
                    scope.names[key] = f"k:{key}"
                    if item_default is not None:
                        self._written(f"k:{key}", item_default, Kind.DEFAULT)
            return ""
        name = text_of(pattern) if pattern.type == "identifier" else ""
        if not name:
            return ""
        slot = f"p:{scope.callee}.{name}" if scope.callee else f"l:{self.path}:{line}:{name}"
        scope.names[name] = slot
        if default is not None:
            self._written(slot, default, Kind.DEFAULT)
        return name

    # -- values and flows --------------------------------------------------------------
    def _declarator(self, node: Node) -> None:
        target = node.child_by_field_name("name")
        if target is None or target.type != "identifier":
            return
        slot = self._resolve(text_of(target))
        if slot is not None:
            kind = Kind.CONSTANT
            self._written(slot, node.child_by_field_name("value"), kind)

    def _target(self, node: Node | None) -> str | None:
        if node is None:
            return None
        if node.type == "identifier":
            return self._resolve(text_of(node))
        if node.type in ("member_expression", "subscript_expression"):
            found = self._sources(node)
            return found[0] if found else None
        return None

    def _written(self, slot: str, value: Node | None, kind: Kind) -> None:  # noqa: C901 - literal, string, ternary, fallback, numeric call
        if value is None:
            return
        found = number(value)
        if found is None and value.type == "string":
            try:
                found = (value, float(text_of(value).strip("\"'`")))
            except ValueError:
                found = None
        if found is not None:
            self._value(slot, found[0], found[1], kind)
            return
        if value.type == "ternary_expression":
            self._written(slot, value.child_by_field_name("consequence"), kind)
            self._written(slot, value.child_by_field_name("alternative"), kind)
            return
        if value.type == "parenthesized_expression":
            for part in value.named_children:
                self._written(slot, part, kind)
            return
        if value.type == "binary_expression" and text_of(value.child_by_field_name("operator")) in (
            "??",
            "||",
        ):
            self._written(slot, value.child_by_field_name("left"), kind)
            self._written(slot, value.child_by_field_name("right"), kind)
            return
        if (
            value.type == "call_expression"
            and name_of(value.child_by_field_name("function")) in _NUMERIC_CALLS
        ):
            args = value.child_by_field_name("arguments")
            if args is not None and args.named_child_count:
                self._written(slot, args.named_children[0], kind)
            return
        self.facts.flow(slot, self._sources(value))

    def _value(self, slot: str, literal: Node, amount: float, kind: Kind) -> None:
        row, column = literal.start_point
        name = slot.rsplit(".", 1)[-1].rsplit(":", 1)[-1] if not slot.startswith("c:") else ""
        context = self.scope.words
        origin = self._origin(None)
        library = (
            next(iter(self.libraries))
            if len(self.libraries) == 1 and kind is Kind.KEYWORD
            else None
        )
        integer = not any(c in text_of(literal) for c in ".eE")
        self.facts.values.append(
            Value(slot, self.path, row + 1, column + 1, amount, kind, name, self._snippet(row),
                  context, library, "js", origin, integer)
        )  # fmt: skip

    def _resolve(self, name: str) -> str | None:
        for scope in reversed(self.scopes):
            slot = scope.names.get(name)
            if slot is not None:
                return slot
        return None

    def _sources(self, node: Node | None) -> list[str]:  # noqa: C901, PLR0911, PLR0912 - one branch per node type
        if node is None:
            return []
        kind = node.type
        if kind == "identifier":
            slot = self._resolve(text_of(node))
            return [slot] if slot else []
        if kind == "member_expression":
            owner = node.child_by_field_name("object")
            prop = text_of(node.child_by_field_name("property"))
            if owner is not None and owner.type == "this" and self.scope.class_name:
                return [f"a:{self.scope.class_name}.{prop}"]
            if owner is not None and text_of(owner) == "process.env":
                return [f"k:{prop}"]
            return [f"a:*.{prop}"]
        if kind == "subscript_expression":
            index = node.child_by_field_name("index")
            if index is not None and index.type == "string":
                return [f"k:{text_of(index).strip(chr(34) + chr(39) + '`')}"]
            return []
        if kind in (
            "parenthesized_expression",
            "non_null_expression",
            "as_expression",
            "await_expression",
        ):
            return self._sources(node.named_children[0] if node.named_child_count else None)
        if kind == "ternary_expression":
            return self._sources(node.child_by_field_name("consequence")) + self._sources(
                node.child_by_field_name("alternative")
            )
        if kind == "binary_expression":
            operator = text_of(node.child_by_field_name("operator"))
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            if operator in ("??", "||", "*", "/"):
                return self._sources(left) + self._sources(right)
            if operator in ("+", "-"):
                return self._sources(right if number(left) is not None else left)
            return []
        if (
            kind == "call_expression"
            and name_of(node.child_by_field_name("function")) in _NUMERIC_CALLS
        ):
            args = node.child_by_field_name("arguments")
            return self._sources(args.named_children[0]) if args and args.named_child_count else []
        return []

    def _call(self, node: Node) -> None:
        function = node.child_by_field_name("function") or node.child_by_field_name("constructor")
        if (
            function is not None
            and function.type == "identifier"
            and text_of(function) == "require"
        ):
            required = node.child_by_field_name("arguments")
            if required is not None and required.named_child_count:
                self._library(required.named_children[0])
        callee = (
            self.scope.base
            if function is not None and function.type == "super"
            else name_of(function)
        )
        args_node = node.child_by_field_name("arguments")
        if not callee or args_node is None:
            return
        args: list[tuple[str, ...]] = []
        useful = False
        for arg in args_node.named_children:
            if arg.type in ("spread_element", "comment"):
                break
            found = number(arg)
            if found is not None:
                row, column = found[0].start_point
                slot = f"c:{self.path}:{row + 1}:{column + 1}"
                self._value(slot, found[0], found[1], Kind.KEYWORD)
                args.append((slot,))
                useful = True
                continue
            sources = tuple(self._sources(arg))
            useful = useful or bool(sources)
            args.append(sources)
        if useful:
            on_this = (
                function is not None
                and function.type == "member_expression"
                and text_of(function.child_by_field_name("object")) == "this"
            )
            self.facts.calls.append(
                Call(callee, tuple(args), self.scope.class_name if on_this else None)
            )

    def _library(self, node: Node) -> None:
        library = library_of_module(text_of(node).strip("\"'`"))
        if library:
            self.libraries.add(library)

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
            if found[1] == 0.0 and origin is Origin.SIMILARITY:
                confidence, reason = ZERO_FLOOR_CONFIDENCE, f"{score[0]} kept above zero"
            if origin in (Origin.MODEL, Origin.STRING) or (
                found[1] != 0.0 and not any(c in text_of(found[0]) for c in ".eE")
            ):
                confidence = LOW
            self._finding(found[0], found[1], kept, score[1], confidence, reason)

    def _origin(self, node: Node | None) -> Origin:
        if node is not None and node.type == "call_expression":
            called = words(name_of(node.child_by_field_name("function")))
            if set(called) & SIMILARITY_SOURCES:
                return Origin.SIMILARITY
        context = set(self.scope.words)
        if context & STRING_SOURCES:
            return Origin.STRING
        return Origin.MODEL if context & MODEL_CONTEXTS else Origin.UNKNOWN

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

    def _snippet(self, row: int) -> str:
        return self.lines[row].strip()[:160] if row < len(self.lines) else ""

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
