"""How sure a Python comparison of a score with a number makes a threshold.

Pure judgement over a comparison already known to hold a score-like expression on one side and
a literal on the other (``hit.score >= 0.8``), given where the score comes from
(:mod:`.python_origin`) and the comparison's parents (a filter, a clamp, a range check).
"""

from __future__ import annotations

import ast

from calibrator.inventory.facts import NOT_SIMILARITY, Origin
from calibrator.inventory.findings import Metric
from calibrator.inventory.names import plausible, specific, words
from calibrator.inventory.python_bindings import FILLING
from calibrator.inventory.python_exprs import ScoreExpr, call_name, is_integer, value_name
from calibrator.inventory.vocabulary import OUTCOME_WORDS

COMPARISON_CONFIDENCE = 0.9
"""A similarity (by its name or origin) compared with a plausible cutoff."""
GENERIC_CONFIDENCE = 0.65
"""A comparison with a score named only ``score`` or ``distance``, of unknown origin."""
ZERO_FLOOR_CONFIDENCE = 0.6
"""``score > 0`` filtering a similarity search's results."""
LOW = 0.3


def judge_literal(
    amount: float,
    literal: ast.expr,
    score: ScoreExpr,
    origin: Origin,
    parents: list[ast.AST],
    score_side: ast.expr,
    *,
    searched: bool = False,
    scale: float = 1.0,
) -> tuple[float, str]:
    """The confidence that ``score <op> amount`` is a similarity threshold, and why.

    ``searched``: the score is a search's hit or an item's score in a loop over items
    (``score > 0`` drops hits, a zero floor), not a matrix of cosines computed here
    (``sims > 0`` keeps the positive ones of a matrix). ``scale``: 100 for a similarity made
    a percentage on its way (``(1 - hit.distance) * 100 < 50``), whose whole numbers are its
    cutoffs.
    """
    confidence = COMPARISON_CONFIDENCE if plausible(amount / scale, score.metric) else LOW
    reason = f"{score.identifier} compared with a number"
    if origin is Origin.UNKNOWN and not specific(score.identifier):
        confidence = min(confidence, GENERIC_CONFIDENCE)  # `score`, `distance`: of what?
        if grades(parents) and score.metric is not Metric.DISTANCE:
            confidence = LOW
            reason = f"{score.identifier} of unknown origin graded into bands"
    if (
        amount == 0.0
        and searched
        and origin is Origin.SIMILARITY
        and score.metric is not Metric.DISTANCE
        and filters(parents, score_side)
    ):
        confidence = ZERO_FLOOR_CONFIDENCE
        reason = f"{score.identifier} (a similarity of results) kept above zero"
    if (
        origin in NOT_SIMILARITY
        or clamps(parents, score_side)
        or (is_integer(literal) and amount != 0.0 and scale == 1.0)
    ):
        confidence = LOW
        reason = f"{score.identifier} ({origin.value} score) compared with a number"
    return confidence, reason


SUMMARIES = frozenset({"mean", "avg", "average", "median", "value"})
"""Attributes that summarise what they are read from (``accuracy.mean``, ``stats.avg``)."""


def outcome_name(other: ast.expr) -> str | None:
    """The name of an outcome, rate or prediction (``run.success_score``, ``y_score``), if so.

    A summary read off one (``accuracy.mean``) is named by what it summarises.
    """
    while isinstance(other, ast.Attribute) and other.attr in SUMMARIES:
        other = other.value
    name = value_name(other) or (call_name(other) if isinstance(other, ast.Call) else "")
    return name if name and set(words(name)) & OUTCOME_WORDS else None


def per_item(parents: list[ast.AST], score: ast.expr) -> bool:
    """Whether the comparison drops or keeps one item of a loop over results.

    ``[h for h in ranked if h.score > 0]``, ``for page in pages: if sim <= 0: break``,
    ``if cos > 0: scored.append(...)``; not a loop over the similarities alone (``[s for s in
    sims if s > 0]`` keeps a matrix's positive cells, a sign), a mask over a whole matrix
    (``sims[sims > 0]``), a walk over a matrix's cells (``for j in range(n)``), a greedy
    ``while`` that stops once every cell is zeroed, nor a step of a numerical method (``if
    grad_step >= 0.0: alpha = ...``).
    """
    collects: bool | None = None  # what the nearest `if` does with the item
    for parent in parents:
        if isinstance(parent, ast.If):
            collects = _collects(parent) if collects is None else collects
        elif isinstance(parent, (ast.comprehension, ast.For, ast.AsyncFor)):
            if isinstance(parent.iter, ast.Call) and call_name(parent.iter) == "range":
                return False  # `for j in range(len(T))`: a walk over a matrix's cells
            target = parent.target
            one_item = not (
                isinstance(target, ast.Name)
                and isinstance(score, ast.Name)
                and target.id == score.id
            )
            return one_item and (bool(collects) or isinstance(parent, ast.comprehension))
        elif isinstance(parent, (ast.While, ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            return False
    return False


def _collects(statement: ast.If) -> bool:
    """Whether an ``if`` skips the item (``continue``, ``break``) or collects it (``append``)."""
    first = statement.body[0]
    if isinstance(first, (ast.Continue, ast.Break)):
        return True
    for node in statement.body:
        value = node.value if isinstance(node, ast.Expr) else None
        if isinstance(value, (ast.Yield, ast.YieldFrom)):
            return True
        if (
            isinstance(value, ast.Call)
            and call_name(value) in FILLING
            and not all(isinstance(a, (ast.Constant, ast.JoinedStr)) for a in value.args)
        ):
            return True  # not `reasons.append("meaningful name")`: a note, not the item
    return False


def filters(parents: list[ast.AST], score: ast.expr) -> bool:
    """Whether the comparison filters results (a comprehension's or a loop's ``if``).

    Not a range check (``score < 0 or score > 1``) and not a clamp.
    """
    for parent in parents:
        if isinstance(parent, ast.BoolOp):
            return not isinstance(parent.op, ast.Or)
        if isinstance(parent, ast.comprehension):
            return True
        if isinstance(parent, ast.If):
            return not clamps([parent], score)
        if isinstance(parent, (ast.UnaryOp, ast.IfExp)):
            continue
        return isinstance(parent, ast.Call)  # filter(lambda ...), np.where(...)
    return False


LADDER = 3
"""Branches of an ``if``/``elif`` chain that make it a grading ladder."""


def grades(parents: list[ast.AST]) -> bool:
    """Whether the comparison is a rung of a grading ladder (a score turned into a level).

    An ``if``/``elif`` chain of at least three branches, each of which only returns or assigns
    a label: ``if score < 0.25: return POOR`` / ``elif score < 0.5: return FAIR`` / ...,
    where nothing is dropped.
    """
    first = next((p for p in parents if not isinstance(p, (ast.BoolOp, ast.UnaryOp))), None)
    if isinstance(first, ast.IfExp):
        return _graded_expression(first, parents)
    rung = next((p for p in parents if isinstance(p, ast.If)), None)
    if rung is None:
        return False
    top = rung
    for parent in parents[parents.index(rung) + 1 :]:
        if not (isinstance(parent, ast.If) and parent.orelse == [top]):
            break
        top = parent
    if top is rung and not rung.orelse:
        return _returned_ladder(rung, parents)
    branches: list[list[ast.stmt]] = []
    step: ast.stmt = top
    while isinstance(step, ast.If):
        branches.append(step.body)
        if len(step.orelse) != 1:
            branches.append(step.orelse)
            break
        step = step.orelse[0]
    else:
        branches.append([step])
    return len(branches) >= LADDER and all(_labels(body) for body in branches if body)


def _returned_ladder(rung: ast.If, parents: list[ast.AST]) -> bool:
    """``if s >= 0.75: return POWERFUL`` / ``if s >= 0.35: return BALANCED`` / ``return FAST``.

    A run of ``if``s that each return a different label, the last label returned after them:
    the same ladder written with early returns. Early returns of one stand-in (``return
    None`` after each failed check) drop what they check, and are no ladder.
    """
    if not _returning_rung(rung):
        return False
    above = parents.index(rung) + 1
    holder = parents[above] if above < len(parents) else None
    blocks = (getattr(holder, "body", None), getattr(holder, "orelse", None))
    block = next((b for b in blocks if isinstance(b, list) and rung in b), None)
    if block is None:
        return False
    at = block.index(rung)
    start = at
    while start > 0 and _returning_rung(block[start - 1]):
        start -= 1
    end = at
    while end + 1 < len(block) and _returning_rung(block[end + 1]):
        end += 1
    rungs = block[start : end + 1]
    last = block[end + 1] if end + 1 < len(block) else None
    if not isinstance(last, ast.Return) or not isinstance(last.value, _LABEL_NODES):
        return False
    outcomes = [ast.dump(r.body[0].value) for r in rungs]
    outcomes.append(ast.dump(last.value))
    return len(outcomes) >= LADDER and len(set(outcomes)) == len(outcomes)


def _returning_rung(statement: ast.stmt) -> bool:
    """``if s >= 0.75: return POWERFUL``: an ``if`` without ``else`` returning a label."""
    return (
        isinstance(statement, ast.If)
        and not statement.orelse
        and isinstance(statement.body[0], ast.Return)
        and _labels(statement.body)
    )


def _graded_expression(rung: ast.IfExp, parents: list[ast.AST]) -> bool:
    """``"high" if s >= 0.7 else "mid" if s >= 0.4 else "low"``: labels picked by a chain."""
    top = rung
    for parent in parents[parents.index(rung) + 1 :]:
        if not (isinstance(parent, ast.IfExp) and parent.orelse is top):
            break
        top = parent
    outcomes: list[ast.expr] = []
    step: ast.expr = top
    while isinstance(step, ast.IfExp):
        outcomes.append(step.body)
        step = step.orelse
    outcomes.append(step)
    return len(outcomes) >= LADDER and all(isinstance(o, _LABEL_NODES) for o in outcomes)


_LABEL_NODES = (ast.Constant, ast.Name, ast.Attribute, ast.JoinedStr)


def _labels(body: list[ast.stmt]) -> bool:
    """A branch that only returns, assigns or writes down labels.

    A constant, a name or an enum member returned or assigned (``return POOR``; ``level =
    cred.High`` and ``kind = cred.HighInfo``), or a message handed on (``summary.append("HIGH
    credibility")``, ``print(f"...")``): nothing is kept or dropped by it.
    """
    return bool(body) and all(_label_statement(statement) for statement in body)


def _label_statement(statement: ast.stmt) -> bool:
    if isinstance(statement, (ast.Return, ast.Assign)):
        return isinstance(statement.value, _LABEL_NODES)
    if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
        call = statement.value
        return bool(call.args) and all(isinstance(a, _MESSAGE_NODES) for a in call.args)
    return False


_MESSAGE_NODES = (ast.Constant, ast.JoinedStr)
"""What a branch writes down as a message (not an item it keeps: ``kept.append(doc)``)."""


def clamps(parents: list[ast.AST], score: ast.expr) -> bool:
    """``if d < 0: d = 0``: the branch reassigns what was compared; nothing is dropped."""
    branch = next((p for p in parents if isinstance(p, ast.If)), None)
    if branch is None or not isinstance(score, ast.Name):
        return False
    first = branch.body[0]
    return isinstance(first, ast.Assign) and any(
        isinstance(t, ast.Name) and t.id == score.id for t in first.targets
    )
