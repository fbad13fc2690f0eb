"""SQL tokens and operands: the tokenizer, and whether the operand of a comparison is a score.

Tokens: comments, quoted strings and identifiers, numbers, parameters, pgvector's ``<=>``,
``<->`` and ``<#>``. Used by :mod:`calibrator.inventory.sql_scan` for ``.sql`` files and SQL
strings in code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from calibrator.inventory.findings import Metric
from calibrator.inventory.names import is_score_like, metric_of, words

_TOKEN = re.compile(
    r"(?P<space>\s+)|(?P<comment>--[^\n]*|/\*.*?\*/)"
    r"|(?P<string>'(?:[^']|'')*')|(?P<quoted>\"(?:[^\"]|\"\")*\"|`[^`]*`)"
    r"|(?P<number>\d+\.\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|\d+(?:[eE][-+]?\d+)?)"
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_$]*)|(?P<param>\$\d+|\$[A-Za-z_]\w*|:[A-Za-z_]\w*|%\(\w+\)s|%s|\?)"
    r"|(?P<op><=>|<->|<#>|<=|>=|<>|!=|::|[<>=(),;.*+\-/\[\]{}%|&^~@#!:])",
    re.DOTALL,
)
_SQL_HINT = re.compile(
    r"\b(select|update|insert|where|create\s+table|alter\s+table)\b", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class Token:
    """One token: its kind (a group name of the tokenizer's pattern), text and line."""

    kind: str
    text: str
    line: int

    @property
    def upper(self) -> str:
        """Keywords in upper case, for comparing with ``SELECT``, ``SET`` and the like."""
        return self.text.upper() if self.kind == "word" else self.text

    @property
    def name(self) -> str:
        """An identifier without its quotes."""
        return self.text[1:-1] if self.kind == "quoted" else self.text


_SQL_START = re.compile(
    r"\s*(?:--[^\n]*\n\s*|//[^\n]*\n\s*|/\*.*?\*/\s*)*\(?\s*"
    r"(?:select|with|insert|update|delete|create|alter|where|and|or|order|match|call)\b",
    re.IGNORECASE | re.DOTALL,
)


def looks_like_sql(text: str) -> bool:
    """Whether a string in code is worth reading as SQL: it starts as a statement or clause.

    ``SELECT ... WHERE``, ``WITH``, ``INSERT``, ``UPDATE``, DDL, a ``WHERE``/``AND`` fragment,
    or Cypher's ``MATCH``/``CALL``, after comments (``--``, ``/* */``, Cypher's ``//``). A
    string that only mentions SQL further in (a code sample holding a query) is not read as
    SQL: its other comparisons are not SQL's.
    """
    return (
        len(text) > 12 and _SQL_START.match(text) is not None and _SQL_HINT.search(text) is not None
    )


def tokenize(text: str, first_line: int = 1) -> list[Token]:
    """SQL tokens with their 1-based lines; comments and spaces dropped."""
    tokens: list[Token] = []
    line = first_line
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "op"
        if kind not in ("space", "comment"):
            tokens.append(Token(kind, match.group(), line))
        line += match.group().count("\n")
    return tokens


def token_value(token: Token) -> float | None:
    """The number a number or a quoted string (``'0.8'``) holds; ``None`` otherwise."""
    text = token.text
    if token.kind == "string":
        text = text[1:-1]
    elif token.kind != "number":
        return None
    try:
        return float(text)
    except ValueError:
        return None


VECTOR_OPERATORS = {
    "<=>": "cosine distance",
    "<->": "L2 distance",
    "<#>": "negative inner product",
}
COMPARISONS = frozenset({"<", "<=", ">", ">="})


def operand(tokens: list[Token], start: int, step: int) -> list[Token]:
    """The operand beside a comparison: from ``start`` in direction ``step`` (1 or -1).

    Parentheses are walked; ``AND``, ``WHERE``, commas and other comparisons end it.
    """
    out: list[Token] = []
    depth = 0
    i = start
    while 0 <= i < len(tokens):
        token = tokens[i]
        opening, closing = ("(", ")") if step < 0 else (")", "(")
        if token.text == closing:
            depth += 1
        elif token.text == opening:
            if depth == 0:
                break
            depth -= 1
        elif depth == 0 and (
            token.upper in ("AND", "OR", "WHERE", "ON", "SELECT", "HAVING", "NOT", "THEN")
            or token.text in (",", ";", "=", *COMPARISONS)
        ):
            break
        out.append(token)
        i += step
    return out if step > 0 else out[::-1]


def positional_parameters(tokens: list[Token]) -> dict[int, int]:
    """Token index to argument index of positional parameters: ``?``/``%s`` in order, ``$2``.

    A query run as ``execute(sql, [vector, threshold])`` takes its arguments by position:
    ``... >= ?`` is the second ``?``'s argument; PostgreSQL's ``$2`` names the second itself.
    """
    out: dict[int, int] = {}
    counted = 0
    for i, token in enumerate(tokens):
        if token.kind != "param":
            continue
        text = token.text
        if text in ("?", "%s"):
            out[i] = counted
            counted += 1
        elif text[0] == "$" and text[1:].isdigit():
            out[i] = int(text[1:]) - 1
    return out


def parameter_name(token: Token) -> str | None:
    """The name of a named query parameter: ``$threshold``, ``:threshold``, ``%(threshold)s``."""
    if token.kind != "param":
        return None
    text = token.text
    if text.startswith("%("):
        return text[2:-2]
    if text[0] in "$:" and not text[1:].isdigit():
        return text[1:]
    return None


def score_of(operand: list[Token]) -> tuple[Metric, str] | None:
    """The metric and a reason when an operand is a score: pgvector operators or a score name."""
    texts = [t.text for t in operand]
    opened = texts[next((i for i, t in enumerate(texts) if t != "("), len(texts)) :]
    for op, meaning in VECTOR_OPERATORS.items():
        if op in texts:
            # `1 - (e <=> q)`, also in parentheses: `(1 - (e <=> q)) > %s`
            flipped = len(opened) >= 2 and opened[0] == "1" and opened[1] == "-"
            if op == "<#>":  # <#> is the negated inner product: lower is more similar
                return Metric.DISTANCE, f"pgvector {op} ({meaning})"
            metric = Metric.SIMILARITY if flipped else Metric.DISTANCE
            return metric, f"pgvector {op} ({meaning})"
    for token in reversed(operand):
        if token.kind in ("word", "quoted") and is_score_like(token.name):
            return metric_of(words(token.name)), f"{token.name} compared with a number"
    return None
