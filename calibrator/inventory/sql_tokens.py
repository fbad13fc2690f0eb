"""SQL tokens: comments, quoted strings and identifiers, numbers, parameters, pgvector operators.

Shared by :mod:`calibrator.inventory.sql_scan` (``.sql`` files and SQL strings in code).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = re.compile(
    r"(?P<space>\s+)|(?P<comment>--[^\n]*|/\*.*?\*/)"
    r"|(?P<string>'(?:[^']|'')*')|(?P<quoted>\"(?:[^\"]|\"\")*\"|`[^`]*`)"
    r"|(?P<number>\d+\.\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|\d+(?:[eE][-+]?\d+)?)"
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_$]*)|(?P<param>\$\d+|:[A-Za-z_]\w*|%\(\w+\)s|%s|\?)"
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


def looks_like_sql(text: str) -> bool:
    """Whether a string in code is worth reading as SQL."""
    return len(text) > 12 and _SQL_HINT.search(text) is not None


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
