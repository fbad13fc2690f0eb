"""Python through its syntax tree: comparisons, threshold keywords, constants and defaults.

What is reported (each with the line and column of the number as written):

- ``comparison``: a score-like expression compared with a number (``node.score >= 0.8``,
  chained too); compared with a *name* bound to a number (module constant, class attribute,
  ``self.x`` field, parameter default, local variable), the finding is the binding itself,
  reported as ``constant`` or ``default`` with the comparison as its reason;
- ``keyword``: threshold keyword arguments and dict keys (``score_threshold=0.8``,
  ``search_kwargs={"score_threshold": 0.8}``, ``kwargs.get("similarity_cutoff", 0.7)``);
- ``constant`` / ``default``: assignments, fields and parameter defaults with threshold names;
- ``sql``: comparisons inside SQL strings (pgvector ``<=>`` distances and the like) and
  pandas-style ``.query("score > 0.8")`` strings.

A file whose text mentions no score or threshold word is not parsed at all.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import Any

from calibrator.inventory.findings import Direction, Finding, Kind, Metric, ScanError
from calibrator.inventory.names import (
    INTERESTING,
    USAGE_CONFIDENCE,
    Usage,
    plausible,
    raise_compared,
    threshold_name,
    words,
)
from calibrator.inventory.python_bindings import Binding, Bindings, collect_bindings
from calibrator.inventory.python_exprs import (
    call_name,
    condition_direction,
    kept_direction,
    literal_node,
    number,
    numeric_string,
    score_expr,
    value_name,
)
from calibrator.inventory.python_imports import Imports
from calibrator.inventory.sql_scan import scan_sql_text
from calibrator.inventory.sql_tokens import looks_like_sql

_GETTERS = frozenset({"get", "pop", "getattr", "getenv", "setdefault"})
_QUERY_METHODS = frozenset({"query", "filter", "where", "eval"})


def scan_python(source: str, path: str) -> tuple[list[Finding], list[ScanError]]:
    """Every threshold in one Python file; a syntax error is returned, never raised."""
    if not INTERESTING.search(source):
        return [], []
    try:
        tree = ast.parse(source, filename=path)
    except (SyntaxError, ValueError) as e:
        line = getattr(e, "lineno", None)
        return [], [ScanError(path, f"syntax error: {getattr(e, 'msg', e)}", line)]
    scanner = _Scanner(source, path, collect_bindings(tree))
    scanner.visit(tree)
    return scanner.finish(), []


class _Scanner(ast.NodeVisitor):
    def __init__(self, source: str, path: str, bindings: Bindings) -> None:
        self.lines = source.splitlines()
        self.path = path
        self.bindings = bindings
        self.stack: list[ast.AST] = []
        self.context: list[str] = []
        self.class_names: list[str] = []
        self.function_nodes: list[ast.FunctionDef | ast.AsyncFunctionDef] = []
        self.imports = Imports()
        self.findings: list[Finding] = []
        self.compared: dict[str, Usage] = {}  # name -> usage
        self.handlers: dict[type[ast.AST], Callable[[Any], None]] = {
            ast.Import: self.visit_Import,
            ast.ImportFrom: self.visit_ImportFrom,
            ast.ClassDef: self.visit_ClassDef,
            ast.FunctionDef: self.visit_FunctionDef,
            ast.AsyncFunctionDef: self.visit_FunctionDef,
            ast.Assign: self.visit_Assign,
            ast.AnnAssign: self.visit_AnnAssign,
            ast.Compare: self.visit_Compare,
            ast.Call: self.visit_Call,
            ast.Dict: self.visit_Dict,
            ast.Constant: self.visit_Constant,
        }

    # -- traversal ---------------------------------------------------------------------
    def visit(self, node: ast.AST) -> None:
        """Dispatch on the node's type (a dict lookup: this runs for every node)."""
        handler = self.handlers.get(type(node))
        if handler is None:
            self.generic_visit(node)
        else:
            handler(node)

    def generic_visit(self, node: ast.AST) -> None:
        """Visit children with the parent on :attr:`stack`, skipping ``ctx`` markers."""
        self.stack.append(node)
        for name in node._fields:
            if name == "ctx":
                continue
            value = getattr(node, name, None)
            if isinstance(value, list):
                for item in value:
                    if isinstance(item, ast.AST):
                        self.visit(item)
            elif isinstance(value, ast.AST):
                self.visit(value)
        self.stack.pop()

    def visit_Import(self, node: ast.Import) -> None:
        self.imports.record(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        self.imports.record(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.context.append(node.name)
        self.class_names.append(node.name)
        self.generic_visit(node)
        self.class_names.pop()
        self.context.pop()

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.context.append(node.name)
        self.function_nodes.append(node)
        args = node.args
        positional = [*args.posonlyargs, *args.args]
        pairs = list(
            zip(positional[len(positional) - len(args.defaults) :], args.defaults, strict=True)
        )
        pairs += [
            (a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is not None
        ]
        for arg, default in pairs:
            self._named_value(arg.arg, default, Kind.DEFAULT)
        self.generic_visit(node)
        self.function_nodes.pop()
        self.context.pop()

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            self._assigned(target, node.value)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self._assigned(node.target, node.value)
        self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> None:
        sides = [node.left, *node.comparators]
        for left, op, right in zip(sides[:-1], node.ops, sides[1:], strict=True):
            for score_side, value_side, on_left in ((left, right, True), (right, left, False)):
                score = score_expr(score_side)
                if score is None or score_expr(value_side) is not None:
                    continue
                if isinstance(score_side, ast.Name) and self.bindings.counted(
                    score_side.id, self.function_nodes[-1] if self.function_nodes else None
                ):
                    continue
                condition = condition_direction(op, on_left)
                if condition is None:
                    continue
                parents = [node, *reversed(self.stack)][1:]
                kept = kept_direction(condition, parents)
                self._compared(value_side, kept, score.metric, score.identifier, node.lineno)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        name = call_name(node)
        for keyword in node.keywords:
            if keyword.arg is not None:
                self._named_value(keyword.arg, keyword.value, Kind.KEYWORD, node)
        if name in _GETTERS and len(node.args) >= 2:
            key, default = node.args[-2], node.args[-1]
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                self._named_value(key.value, numeric_string(default), Kind.DEFAULT, node)
        if name in _QUERY_METHODS and node.args:
            self._query_string(node.args[0])
        self.generic_visit(node)

    def visit_Dict(self, node: ast.Dict) -> None:
        call = next((p for p in reversed(self.stack) if isinstance(p, ast.Call)), None)
        for key, value in zip(node.keys, node.values, strict=True):
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                self._named_value(key.value, value, Kind.KEYWORD, call)
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str) and looks_like_sql(node.value):
            parent = self.stack[-1] if self.stack else None
            if not isinstance(parent, ast.Expr):  # docstrings and bare strings are prose
                self._sql(node.value, node.lineno)

    # -- findings ----------------------------------------------------------------------
    def _assigned(self, target: ast.expr, value: ast.expr | None) -> None:
        if isinstance(target, ast.Name):
            name = target.id
        elif isinstance(target, ast.Attribute):
            name = target.attr
        else:
            return
        in_class_body = bool(self.stack) and isinstance(self.stack[-1], ast.ClassDef)
        kind = Kind.DEFAULT if in_class_body and not name.isupper() else Kind.CONSTANT
        self._named_value(name, value, kind)

    def _named_value(
        self, name: str, value: ast.expr | None, kind: Kind, call: ast.Call | None = None
    ) -> None:
        literal = literal_node(value)
        if literal is None:
            return
        verdict = threshold_name(name, tuple(w for c in self.context for w in words(c)))
        if verdict.strength <= 0:
            return
        amount = number(literal)
        assert amount is not None
        confidence = verdict.strength
        if not plausible(amount, verdict.metric):
            confidence = min(confidence, 0.3)
        library = self._library(call, name)
        self._add(
            literal,
            amount,
            kind,
            verdict.direction,
            verdict.metric,
            confidence,
            name,
            library,
            f"threshold name {name!r}",
        )

    def _compared(
        self, value_side: ast.expr, kept: Direction, metric: Metric, score: str, line: int
    ) -> None:
        literal = literal_node(value_side)
        if literal is not None:
            amount = number(literal)
            assert amount is not None
            confidence = 0.9 if plausible(amount, metric) else 0.3
            self._add(
                literal,
                amount,
                Kind.COMPARISON,
                kept,
                metric,
                confidence,
                None,
                self._library(None, score),
                f"{score} compared with a number",
            )
            return
        binding = self._resolve(value_side)
        name = value_name(value_side)
        if name is not None:
            self.compared.setdefault(name, (kept, metric, line))
        if binding is None:
            return
        amount = binding.value
        confidence = USAGE_CONFIDENCE if plausible(amount, metric) else 0.3
        self._add(
            binding.literal,
            amount,
            binding.kind,
            kept,
            metric,
            confidence,
            binding.name,
            None,
            f"{binding.name} compared with {score} on line {line}",
        )

    def _resolve(self, node: ast.expr) -> Binding | None:
        function = self.function_nodes[-1] if self.function_nodes else None
        class_name = self.class_names[-1] if self.class_names else None
        return self.bindings.resolve(node, function, class_name)

    def _query_string(self, node: ast.expr) -> None:
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
            return
        try:
            expression = ast.parse(node.value.strip(), mode="eval")
        except SyntaxError:
            self._sql(node.value, node.lineno)
            return
        for inner in ast.walk(expression):
            if isinstance(inner, ast.Compare):
                ast.increment_lineno(inner, node.lineno - 1)
                self.visit_Compare(inner)

    def _sql(self, text: str, line: int) -> None:
        for finding in scan_sql_text(text, self.path, first_line=line, language="python"):
            self.findings.append(finding)

    def _library(self, call: ast.Call | None, name: str) -> str | None:
        return self.imports.library(call, name)

    def _add(
        self,
        literal: ast.expr,
        value: float,
        kind: Kind,
        direction: Direction,
        metric: Metric,
        confidence: float,
        name: str | None,
        library: str | None,
        reason: str,
    ) -> None:
        line = literal.lineno
        snippet = self.lines[line - 1].strip()[:160] if 0 < line <= len(self.lines) else ""
        self.findings.append(
            Finding(
                self.path,
                line,
                value,
                kind,
                direction,
                metric,
                confidence,
                snippet,
                name=name,
                library=library,
                reason=reason,
                column=literal.col_offset + 1,
            )
        )

    def finish(self) -> list[Finding]:
        """The findings, with weak names raised where the file compares them with a score."""
        return raise_compared(self.findings, self.compared)
