"""Python through its syntax tree: literal comparisons here, everything else as facts.

Reported directly (with the line and column of the number as written):

- ``comparison``: a score-like expression compared with a number (``node.score >= 0.8``,
  chained too), with what the comparison keeps and where the score comes from: a search
  result or a cosine counts, a classifier's, detector's or QA model's score, a fuzzy string
  ratio, a keyword-search rank and ``clf.score(X, y)`` do not. A zero floor (``score > 0``)
  counts only on a score known to come from a similarity search;
- ``sql``: comparisons inside SQL strings (pgvector ``<=>`` distances and the like) and
  pandas-style ``.query("score > 0.8")`` strings.

Every number written for a name (constant, parameter default, keyword argument, dict key,
config or environment fallback, class field, ``self.x``) becomes a
:class:`~calibrator.inventory.facts.Value`; every name compared with a score a
:class:`~calibrator.inventory.facts.Use`; assignments and arguments become flows. The linker
(:mod:`calibrator.inventory.link`) joins them across files. ``assert`` statements are skipped
unless tests are included. A file whose text mentions no score or threshold word is not parsed.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from functools import cache
from typing import Any

from calibrator.inventory.facts import (
    Call,
    FactsBuilder,
    FileScan,
    Origin,
    Signature,
    Use,
    Value,
    slot_name,
)
from calibrator.inventory.findings import Direction, Finding, Kind, Metric, ScanError
from calibrator.inventory.names import (
    interesting,
    interesting_lines,
    plausible,
    speaks_of_scores,
    specific,
    words,
)
from calibrator.inventory.python_exprs import (
    call_name,
    condition_direction,
    is_integer,
    kept_direction,
    literal_node,
    number,
    numeric_string,
    score_expr,
    value_name,
)
from calibrator.inventory.python_imports import Imports
from calibrator.inventory.python_scopes import FIELD_CALLS, PASS_THROUGH, Scope, parameters
from calibrator.inventory.sql_scan import scan_sql_text
from calibrator.inventory.sql_tokens import looks_like_sql
from calibrator.inventory.vocabulary import OUTCOME_WORDS, THRESHOLD_WORDS

_QUERY_METHODS = frozenset({"query", "filter", "where", "eval"})
_LEAVES = frozenset(
    {ast.Name, ast.Load, ast.Store, ast.Del, ast.alias, ast.Pass, ast.Break, ast.Continue,
     ast.Import, ast.ImportFrom, ast.Global, ast.Nonlocal, type(None), str, int, float,
     bool, bytes, complex, type(...), ast.JoinedStr, ast.Raise}
)  # fmt: skip
# names and flags, and type annotations (`Optional[Dict[str, Any]]` holds no threshold; an
# annotated assignment's value is visited by its own handler)
_SCALAR_FIELDS = frozenset(
    {"id", "ctx", "attr", "arg", "name", "names", "module", "level", "kind", "type_comment",
     "is_async", "conversion", "n", "s", "tag", "annotation", "returns", "type_params"}
)  # fmt: skip


@cache
def _child_fields(kind: type) -> tuple[str, ...]:
    """The fields of a node type that can hold child nodes (names and flags cannot)."""
    fields: tuple[str, ...] = getattr(kind, "_fields", ())
    return tuple(f for f in fields if f not in _SCALAR_FIELDS)


COMPARISON_CONFIDENCE = 0.9
GENERIC_CONFIDENCE = 0.65
"""A comparison with a score named only ``score`` or ``distance``, of unknown origin."""
ZERO_FLOOR_CONFIDENCE = 0.6
LOW = 0.3


def scan_python(source: str, path: str, *, include_tests: bool = False) -> FileScan:
    """Findings and facts of one Python file; a syntax error is returned, never raised."""
    if not interesting(source):
        return FileScan()
    try:
        tree = ast.parse(source, filename=path)
    except (SyntaxError, ValueError) as e:
        line = getattr(e, "lineno", None)
        error = ScanError(path, f"syntax error: {getattr(e, 'msg', e)}", line)
        return FileScan(errors=(error,))
    scanner = _Scanner(source, path, tree, include_tests=include_tests)
    scanner.visit(tree)
    return FileScan(tuple(scanner.findings), (), scanner.facts.build())


class _Scanner(ast.NodeVisitor):
    def __init__(self, source: str, path: str, tree: ast.Module, *, include_tests: bool) -> None:
        self.lines = source.splitlines()
        self.marked = interesting_lines(source)
        # a file that never speaks of scores only matters for what other files read from it:
        # its constants, fields, defaults and attributes, not its functions' insides
        self.light = not speaks_of_scores(source)
        self.path = path
        self.include_tests = include_tests
        self.imports = Imports()
        self.imports.scan(tree)
        self.module = Scope.module(tree, path, self.imports)
        self.scopes: list[Scope] = [self.module]
        self.stack: list[ast.AST] = []
        self.findings: list[Finding] = []
        self.facts = FactsBuilder()
        self.handlers: dict[type, Callable[[Any], None]] = {
            ast.ClassDef: self.visit_ClassDef,
            ast.FunctionDef: self.visit_FunctionDef,
            ast.AsyncFunctionDef: self.visit_FunctionDef,
            ast.Lambda: self.visit_Lambda,
            ast.Assign: self.visit_Assign,
            ast.AnnAssign: self.visit_AnnAssign,
            ast.Compare: self.visit_Compare,
            ast.Call: self.visit_Call,
            ast.Dict: self.visit_Dict,
            ast.Constant: self.visit_Constant,
            ast.Assert: self.visit_Assert,
        }

    # -- traversal ---------------------------------------------------------------------
    def visit(self, node: ast.AST) -> None:
        """Dispatch on the node's type (a dict lookup: this runs for every node)."""
        kind = type(node)
        if kind in _LEAVES:
            return
        handler = self.handlers.get(kind)
        if handler is None:
            self.generic_visit(node)
        else:
            handler(node)

    def generic_visit(self, node: ast.AST) -> None:
        """Visit children with the parent on :attr:`stack`; leaves are skipped in line.

        The hottest loop of the inventory: it runs for every node of every parsed file.
        """
        stack = self.stack
        stack.append(node)
        handlers = self.handlers
        generic = self.generic_visit
        kind_of_node: type = type(node)
        for name in _child_fields(kind_of_node):
            value = getattr(node, name, None)
            children: list[Any] | tuple[Any] = value if type(value) is list else (value,)
            for child in children:
                kind: type = type(child)
                if kind in _LEAVES:
                    continue
                handler = handlers.get(kind)
                if handler is None:
                    generic(child)
                else:
                    handler(child)
        stack.pop()

    @property
    def scope(self) -> Scope:
        return self.scopes[-1]

    def visit_Assert(self, node: ast.Assert) -> None:
        if self.include_tests:
            self.generic_visit(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        scope = self.scope.child_class(node)
        for base in node.bases:
            base_name = base.id if isinstance(base, ast.Name) else getattr(base, "attr", None)
            if base_name and base_name not in ("object", "BaseModel", "ABC", "Generic"):
                self.facts.bases.append((node.name, base_name))
        fields: list[str] = []
        for statement in node.body:
            if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
                fields.append(statement.target.id)
                self.facts.flow(
                    f"a:{node.name}.{statement.target.id}", [f"p:{node.name}.{statement.target.id}"]
                )
        has_init = any(
            isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and s.name == "__init__"
            for s in node.body
        )
        if fields and not has_init:  # a dataclass, pydantic model or NamedTuple
            self.facts.signatures.append(Signature(node.name, tuple(fields), node.name))
        self.scopes.append(scope)
        self.generic_visit(node)
        self.scopes.pop()

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        outer = self.scope
        scope = outer.child_function(node)
        params = parameters(node.args)
        positional = [name for name, _, is_positional in params if is_positional]
        owner = outer.class_name if outer.kind == "class" else None
        if owner is not None and not _is_static(node) and positional:
            positional = positional[1:]  # self or cls
        if positional:  # a call can only pass something by position to a parameter
            self.facts.signatures.append(Signature(scope.callee, tuple(positional), owner))
        for name, default, _ in params:
            if default is not None:
                slot = f"p:{scope.callee}.{name}"
                self._written(slot, default, Kind.DEFAULT, name, scope.words, outer)
        for decorator in node.decorator_list:
            self.visit(decorator)
        marked = self.marked
        first, last = node.lineno, node.end_lineno or node.lineno
        if marked[min(last, len(marked) - 1)] == marked[first - 1]:
            return  # no vocabulary word and no decimal in it: nothing to find or pass on
        self.scopes.append(scope)
        for statement in node.body:
            if not self.light or isinstance(statement, (ast.Assign, ast.AnnAssign)):
                self.visit(statement)
        self.scopes.pop()

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self.scopes.append(self.scope.child_lambda(node))
        self.visit(node.body)
        self.scopes.pop()

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            self._assigned(target, node.value)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self._assigned(node.target, node.value)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        callee = self.scope.callee_of(node)
        context = (*self.scope.words, *words(callee or ""))
        for keyword in node.keywords:
            if keyword.arg is not None and callee and callee not in FIELD_CALLS:
                slot = f"p:{callee}.{keyword.arg}"
                self._written(slot, keyword.value, Kind.KEYWORD, keyword.arg, context, call=node)
        name = call_name(node)
        key = self.scope.getter_key(node)
        if key is not None and len(node.args) >= 2:
            self._written(key, numeric_string(node.args[-1]), Kind.DEFAULT, key[2:], context)
        elif callee and node.args and name not in PASS_THROUGH:
            self._positional(callee, node, context)
        if name in _QUERY_METHODS and node.args:
            self._query_string(node.args[0])
        self.generic_visit(node)

    def visit_Dict(self, node: ast.Dict) -> None:
        call = next((p for p in reversed(self.stack) if isinstance(p, ast.Call)), None)
        for key, value in zip(node.keys, node.values, strict=True):
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                slot = f"k:{key.value}"
                self._written(slot, value, Kind.KEYWORD, key.value, self.scope.words, call=call)
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str) and looks_like_sql(node.value):
            parent = self.stack[-1] if self.stack else None
            if not isinstance(parent, ast.Expr):  # docstrings and bare strings are prose
                self._sql(node.value, node.lineno)

    def visit_Compare(self, node: ast.Compare) -> None:
        sides = [node.left, *node.comparators]
        for left, op, right in zip(sides[:-1], node.ops, sides[1:], strict=True):
            for score_side, value_side, on_left in ((left, right, True), (right, left, False)):
                self._compared(node, op, score_side, value_side, on_left=on_left)
        self.generic_visit(node)

    # -- comparisons -------------------------------------------------------------------
    def _compared(
        self,
        node: ast.Compare,
        op: ast.cmpop,
        score_side: ast.expr,
        value_side: ast.expr,
        *,
        on_left: bool,
    ) -> None:
        score = score_expr(score_side)
        if score is None:
            self._compared_with_outcome(node, score_side, value_side)
            return
        if score_expr(value_side) is not None:
            return
        condition = condition_direction(op, on_left)
        if condition is None:
            return
        parents = [node, *reversed(self.stack)][1:]
        kept = kept_direction(condition, parents)
        counted = isinstance(score_side, ast.Name) and self.scope.counted(score_side.id)
        origin = Origin.COUNT if counted else self.scope.origin(score_side)
        literal = literal_node(value_side)
        if counted and literal is not None:
            return  # a ratio of counts compared with a number: nothing to recalibrate
        if literal is None:
            for slot in self.scope.sources(value_side):
                self.facts.uses.append(
                    Use(slot, kept, score.metric, origin, self.path, node.lineno, score.identifier)
                )
            return
        amount = number(literal)
        assert amount is not None
        confidence = COMPARISON_CONFIDENCE if plausible(amount, score.metric) else LOW
        if origin is Origin.UNKNOWN and not specific(score.identifier):
            confidence = min(confidence, GENERIC_CONFIDENCE)  # `score`, `distance`: of what?
        reason = f"{score.identifier} compared with a number"
        if (
            amount == 0.0
            and origin is Origin.SIMILARITY
            and score.metric is not Metric.DISTANCE
            and _filters(parents, score_side)
        ):
            confidence = ZERO_FLOOR_CONFIDENCE
            reason = f"{score.identifier} (a similarity search result) kept above zero"
        if (
            origin in (Origin.MODEL, Origin.STRING, Origin.KEYWORD, Origin.COUNT, Origin.OTHER)
            or _clamps(parents, score_side)
            or (is_integer(literal) and amount != 0.0)
        ):
            confidence = LOW
            reason = f"{score.identifier} ({origin.value} score) compared with a number"
        self._finding(literal, amount, kept, score.metric, confidence, reason)

    def _compared_with_outcome(self, node: ast.Compare, other: ast.expr, value: ast.expr) -> None:
        """``run.success_score < score_threshold``: a threshold name bounding no similarity.

        Recorded as evidence against the slot, so that its name alone does not report it.
        """
        name = value_name(other) or (call_name(other) if isinstance(other, ast.Call) else "")
        if not name or not set(words(name)) & OUTCOME_WORDS:
            return
        for slot in self.scope.sources(value):
            if set(words(slot_name(slot))) & THRESHOLD_WORDS:
                self.facts.uses.append(
                    Use(slot, Direction.UNKNOWN, Metric.UNKNOWN, Origin.OTHER, self.path,
                        node.lineno, name)
                )  # fmt: skip

    # -- values ------------------------------------------------------------------------
    def _assigned(self, target: ast.expr, value: ast.expr) -> None:
        if isinstance(target, (ast.Tuple, ast.List)):
            if isinstance(value, (ast.Tuple, ast.List)) and len(value.elts) == len(target.elts):
                for inner_target, inner_value in zip(target.elts, value.elts, strict=True):
                    self._assigned(inner_target, inner_value)
            return
        slot = self.scope.target_slot(target)
        if slot is None:
            return
        name = slot.rsplit(".", 1)[-1].rsplit(":", 1)[-1]
        scope = self.scope
        if scope.kind == "class" or slot.startswith("a:"):
            kind = Kind.CONSTANT if name.isupper() else Kind.DEFAULT
        elif slot.startswith("p:"):
            kind = Kind.DEFAULT  # a parameter's fallback: `if threshold is None: threshold = 0.1`
        else:
            kind = Kind.CONSTANT
        self._written(slot, value, kind, name, scope.words)

    def _written(
        self,
        slot: str,
        value: ast.expr,
        kind: Kind,
        name: str,
        context: tuple[str, ...],
        scope: Scope | None = None,
        call: ast.Call | None = None,
    ) -> None:
        """A value expression written for ``slot``: numbers become values, names flows."""
        scope = scope or self.scope
        literal = literal_node(value)
        if literal is not None:
            self._value(slot, literal, kind, name, context, call)
            return
        if isinstance(value, ast.IfExp):
            self._written(slot, value.body, kind, name, context, scope, call)
            self._written(slot, value.orelse, kind, name, context, scope, call)
            return
        if isinstance(value, ast.BoolOp):
            for inner in value.values:
                self._written(slot, inner, kind, name, context, scope, call)
            return
        self.facts.flow(slot, scope.sources(value))

    def _value(
        self,
        slot: str,
        literal: ast.expr,
        kind: Kind,
        name: str,
        context: tuple[str, ...],
        call: ast.Call | None = None,
    ) -> None:
        amount = number(literal)
        assert amount is not None
        line = literal.lineno
        self.facts.values.append(
            Value(
                slot,
                self.path,
                line,
                literal.col_offset + 1,
                amount,
                kind,
                name,
                self._snippet(line),
                context,
                self.imports.library(call, name),
                origin=self.scope.context_origin,
                integer=is_integer(literal),
            )
        )

    def _positional(self, callee: str, node: ast.Call, context: tuple[str, ...]) -> None:
        args: list[tuple[str, ...]] = []
        useful = False
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                break
            literal = literal_node(arg)
            if literal is not None:
                slot = f"c:{self.path}:{literal.lineno}:{literal.col_offset + 1}"
                self._value(slot, literal, Kind.KEYWORD, "", context, node)
                args.append((slot,))
                useful = True
                continue
            sources = tuple(self.scope.sources(arg))
            useful = useful or bool(sources)
            args.append(sources)
        if useful:
            func = node.func
            on_self = (
                isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Name)
                and func.value.id in ("self", "cls")
            )
            owner = self.scope.class_name if on_self else None
            self.facts.calls.append(Call(callee, tuple(args), owner))

    # -- strings -----------------------------------------------------------------------
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
        self.findings.extend(scan_sql_text(text, self.path, first_line=line, language="python"))

    # -- output ------------------------------------------------------------------------
    def _snippet(self, line: int) -> str:
        return self.lines[line - 1].strip()[:160] if 0 < line <= len(self.lines) else ""

    def _finding(
        self,
        literal: ast.expr,
        value: float,
        direction: Direction,
        metric: Metric,
        confidence: float,
        reason: str,
    ) -> None:
        self.findings.append(
            Finding(
                self.path,
                literal.lineno,
                value,
                Kind.COMPARISON,
                direction,
                metric,
                confidence,
                self._snippet(literal.lineno),
                library=self.imports.only_library(),
                reason=reason,
                column=literal.col_offset + 1,
            )
        )


def _is_static(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in node.decorator_list)


def _filters(parents: list[ast.AST], score: ast.expr) -> bool:
    """Whether the comparison filters results (a comprehension's or a loop's ``if``).

    Not a range check (``score < 0 or score > 1``) and not a clamp.
    """
    for parent in parents:
        if isinstance(parent, ast.BoolOp):
            return not isinstance(parent.op, ast.Or)
        if isinstance(parent, ast.comprehension):
            return True
        if isinstance(parent, ast.If):
            return not _clamps([parent], score)
        if isinstance(parent, (ast.UnaryOp, ast.IfExp)):
            continue
        return isinstance(parent, ast.Call)  # filter(lambda ...), np.where(...)
    return False


def _clamps(parents: list[ast.AST], score: ast.expr) -> bool:
    """``if d < 0: d = 0``: the branch reassigns what was compared; nothing is dropped."""
    branch = next((p for p in parents if isinstance(p, ast.If)), None)
    if branch is None or not isinstance(score, ast.Name):
        return False
    first = branch.body[0]
    return isinstance(first, ast.Assign) and any(
        isinstance(t, ast.Name) and t.id == score.id for t in first.targets
    )
