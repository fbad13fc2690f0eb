"""Numbers written for a name in JavaScript and TypeScript, and the flows between names.

The part of the JavaScript scanner (:mod:`.js_scan`) that keeps the naming scopes
(:class:`JsScope`: parameters, ``const``/``let``/``var``, imports, destructured option keys)
and turns declarations, assignments, class fields, parameter defaults, object keys,
``process.env`` fallbacks and call arguments into linker facts, as the Python side does.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tree_sitter import Node

from calibrator.inventory.facts import Call, FactsBuilder, Origin, Value
from calibrator.inventory.findings import Kind
from calibrator.inventory.js_exprs import name_of, number, text_of
from calibrator.inventory.names import library_of_module
from calibrator.inventory.vocabulary import MODEL_CONTEXTS, STRING_SOURCES

FUNCTIONS = frozenset(
    {"function_declaration", "function_expression", "function", "arrow_function",
     "method_definition", "generator_function_declaration", "generator_function"}
)  # fmt: skip
CLASSES = frozenset({"class_declaration", "class", "abstract_class_declaration"})
_NUMERIC_CALLS = frozenset({"Number", "parseFloat", "parseInt"})


@dataclass
class JsScope:
    """One naming scope: what each name means, and the class and callee around it."""

    kind: str  # module, class, function
    names: dict[str, str] = field(default_factory=dict)  # name -> slot
    callee: str = ""
    class_name: str | None = None
    base: str | None = None
    words: tuple[str, ...] = ()


def declared(body: Node | None) -> list[str]:
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
            c for c in node.named_children if c.type not in FUNCTIONS and c.type not in CLASSES
        )
    return out


class JsValues:
    """Mixed into the scanner, which provides the scopes, the facts and the file's text."""

    path: str
    lines: list[str]
    facts: FactsBuilder
    libraries: set[str]
    scopes: list[JsScope]

    @property
    def scope(self) -> JsScope:
        """The innermost scope."""
        return self.scopes[-1]

    def context_origin(self) -> Origin:
        """What the enclosing class and function names say about scores compared here."""
        context = set(self.scope.words)
        if context & STRING_SOURCES:
            return Origin.STRING
        return Origin.MODEL if context & MODEL_CONTEXTS else Origin.UNKNOWN

    def _parameter(self, param: Node, scope: JsScope, line: int) -> str:  # noqa: C901 - JS and TS parameter shapes
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
        origin = self.context_origin()
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

    def _snippet(self, row: int) -> str:
        return self.lines[row].strip()[:160] if row < len(self.lines) else ""
