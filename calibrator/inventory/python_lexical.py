"""Code that compares texts by their words or shapes: scores no embedding model gives.

A function named ``_score_label_similarity`` that splits labels into words and intersects
them, one that returns ``0.8`` when one lowercased name holds the other, a cosine of two
vectors of word lengths: what such code computes is a string's or a word count's score,
whatever its name says. Cheap walks of one function or expression, for
:mod:`python_origin` to ask before it trusts a name.
"""

from __future__ import annotations

import ast

from calibrator.inventory.names import words
from calibrator.inventory.python_bindings import own_nodes
from calibrator.inventory.python_exprs import call_name, number
from calibrator.inventory.python_walk import walk
from calibrator.inventory.vocabulary import EMBEDDERS, VECTOR_WORDS

Function = ast.FunctionDef | ast.AsyncFunctionDef


def compares_words(function: Function) -> bool:
    """Whether a function of this module scores texts by their words, not by embeddings."""
    return _overlaps_words(function) or _grades_by_text(function)


def _grades_by_text(function: Function) -> bool:
    """Whether a function returns fixed grades chosen by comparing texts.

    ``return 1.0`` when two lowercased names are equal, ``return 0.8`` when one contains the
    other, else ``return 0.0``: every return a number written there, and a test of one text
    against another (``==``, ``in``).
    """
    returned = [n.value for n in own_nodes(function) if isinstance(n, ast.Return) and n.value]
    if not returned or not all(number(value) is not None for value in returned):
        return False
    return any(
        isinstance(node, ast.Compare)
        and any(isinstance(op, (ast.In, ast.NotIn, ast.Eq)) for op in node.ops)
        and any(_lowered(side) for side in (node.left, *node.comparators))
        for node in walk(function)
    )


def _lowered(expr: ast.expr) -> bool:
    """A text made comparable: ``name.lower()``, or a local bound to one (``label_lower``)."""
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute):
        return expr.func.attr in ("lower", "casefold", "strip", "replace")
    return isinstance(expr, ast.Name) and bool(
        {"lower", "norm", "normalized"} & set(words(expr.id))
    )


def _overlaps_words(function: Function) -> bool:
    """Whether a function of this module compares texts by the words they share.

    It splits texts into words (``set(label.lower().split())``) and intersects them (``a &
    b``, ``a.intersection(b)``), and names no embedding or vector: its ``similarity`` is a
    word overlap, whatever its name says.
    """
    splits = intersects = False
    for node in walk(function):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitAnd):
            intersects = True
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            splits = splits or node.func.attr == "split"
            intersects = intersects or node.func.attr == "intersection"
        elif isinstance(node, (ast.Name, ast.Attribute, ast.arg)):
            named = (
                node.id
                if isinstance(node, ast.Name)
                else node.attr
                if isinstance(node, ast.Attribute)
                else node.arg
            )
            if (VECTOR_WORDS | EMBEDDERS) & set(words(named)):
                return False
    return splits and intersects


def word_lengths(expr: ast.expr) -> bool:
    """A vector of lengths made on the spot: ``np.asarray([len(w) for w in words])``.

    A cosine of two such (LenMa's word lengths of two log lines) compares texts' shapes.
    """
    while isinstance(expr, ast.Call):
        func = expr.func
        if isinstance(func, ast.Attribute) and func.attr in ("reshape", "astype", "tolist"):
            expr = func.value
        elif call_name(expr) in ("asarray", "array", "list", "tuple") and expr.args:
            expr = expr.args[0]
        else:
            break
    return (
        isinstance(expr, (ast.ListComp, ast.GeneratorExp))
        and isinstance(expr.elt, ast.Call)
        and call_name(expr.elt) == "len"
    )
