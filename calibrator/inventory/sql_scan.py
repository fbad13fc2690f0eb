"""SQL text, in ``.sql`` files and in strings inside code: settings rows, defaults, filters.

A small tokenizer (comments, quoted strings and identifiers, numbers, pgvector's ``<=>``,
``<->`` and ``<#>``) feeds four readers:

- comparisons of a score with a number (``1 - (embedding <=> $1) > 0.8``,
  ``similarity >= 0.75``, ``(embedding <-> :q) < 0.4``);
- ``INSERT INTO t (cols) VALUES (...)``: threshold-named columns, and key/value settings rows
  (``('similarity_threshold', '0.82')``);
- ``UPDATE t SET col = 0.8`` and ``SET value = '0.8' WHERE key = 'score_threshold'``;
- column defaults in ``CREATE TABLE`` and ``ALTER TABLE ... SET DEFAULT``.
"""

from __future__ import annotations

import itertools
from typing import NamedTuple

from calibrator.inventory.findings import Direction, Finding, Kind, Metric
from calibrator.inventory.names import (
    plausible,
    threshold_name,
    words,
)
from calibrator.inventory.sql_tokens import (
    COMPARISONS,
    Token,
    operand,
    parameter_name,
    positional_parameters,
    score_of,
    token_value,
    tokenize,
)
from calibrator.inventory.vocabulary import KEY_COLUMNS, VALUE_COLUMNS

POSITIONAL = "#"
"""The name of a positional parameter's :class:`Bound`: ``#1`` for the second argument."""


class Bound(NamedTuple):
    """A query parameter compared with a score: ``WHERE score >= $threshold``, ``>= ?``.

    A positional one (``?``, ``%s``, ``$2``) is named for its argument's index (``#1``).
    """

    name: str
    direction: Direction
    metric: Metric
    line: int
    score: str


def scan_sql_text(
    text: str, path: str, first_line: int = 1, language: str = "sql"
) -> list[Finding]:
    """Every threshold in a piece of SQL, lines counted from ``first_line``."""
    return read_sql(text, path, first_line, language)[0]


def read_sql(
    text: str, path: str, first_line: int = 1, language: str = "sql"
) -> tuple[list[Finding], list[Bound]]:
    """The thresholds written in a piece of SQL, and its named parameters bounding a score.

    The parameters' values are passed by the code that runs the query (``{"threshold": 0.95}``):
    the linker joins them by name.
    """
    tokens = tokenize(text, first_line)
    reader = _Reader(tokens, path, language, text.splitlines(), first_line)
    reader.comparisons()
    reader.statements()
    return reader.findings, reader.bounds


def _score_aliases(tokens: list[Token]) -> dict[str, tuple[Metric, str] | None]:
    """Names a query gives its scores and counts: ``score AS colScore``, ``count(*) AS n``.

    ``colScore`` says ``col`` (a column's index elsewhere) before ``score``: what it names is
    the score it was given as. A count's name (``count(*) AS hitScore``) names no score.
    """
    aliases: dict[str, tuple[Metric, str] | None] = {}
    for i in range(1, len(tokens) - 1):
        if tokens[i].upper != "AS" or tokens[i + 1].kind not in ("word", "quoted"):
            continue
        alias = tokens[i + 1].name
        if _counted(tokens, i - 1):
            aliases[alias.lower()] = None
            continue
        found = score_of([tokens[i - 1]])
        if found is not None:
            reason = f"{alias} ({tokens[i - 1].name}) compared with a number"
            aliases[alias.lower()] = (found[0], reason)
    return aliases


def _counted(tokens: list[Token], end: int) -> bool:
    """Whether the expression ending at ``end`` is a ``count(...)``."""
    if tokens[end].text != ")":
        return False
    depth = 0
    for i in range(end, -1, -1):
        if tokens[i].text == ")":
            depth += 1
        elif tokens[i].text == "(":
            depth -= 1
            if depth == 0:
                return i >= 1 and tokens[i - 1].upper == "COUNT"
    return False


class _Reader:
    def __init__(
        self, tokens: list[Token], path: str, language: str, lines: list[str], first_line: int
    ) -> None:
        self.tokens = tokens
        self.lines = lines
        self.first_line = first_line
        self.path = path
        self.language = language
        self.findings: list[Finding] = []
        self.bounds: list[Bound] = []
        self.positions = positional_parameters(tokens)
        self.aliases = _score_aliases(tokens)

    def add(
        self,
        token: Token,
        value: float,
        direction: Direction,
        metric: Metric,
        confidence: float,
        name: str | None,
        reason: str,
        table: str | None = None,
    ) -> None:
        if not plausible(value, metric):
            confidence = min(confidence, 0.3)
        self.findings.append(
            Finding(
                self.path,
                token.line,
                value,
                Kind.SQL,
                direction,
                metric,
                confidence,
                self._snippet(token),
                name=name,
                reason=reason,
                language=self.language,
                table=table,
                library="pgvector" if "pgvector" in reason else None,
            )
        )

    def _snippet(self, token: Token) -> str:
        index = token.line - self.first_line
        return self.lines[index].strip()[:160] if 0 <= index < len(self.lines) else ""

    def comparisons(self) -> None:
        for i, token in enumerate(self.tokens):
            if token.text not in COMPARISONS or token.kind != "op":
                continue
            after = self._number_at(i + 1)
            before = self._number_before(i)
            if after is not None:
                score = self._score_before(i)
                above = token.text.startswith(">")
                number_token, value = after
            elif before is not None:
                score = self._score_after(i)
                above = token.text.startswith("<")
                number_token, value = before
            else:
                self._parameter(i, token)
                continue
            if score is None:
                continue
            metric, reason = score
            direction = Direction.ABOVE if above else Direction.BELOW
            confidence = 0.9 if "pgvector" in reason else 0.85
            self.add(number_token, value, direction, metric, confidence, None, reason)

    def _parameter(self, i: int, token: Token) -> None:
        """``score >= $threshold`` (or ``$threshold <= score``): a bound passed in by name.

        Or by position (``score >= ?``, ``%s``, ``$2``): named for the argument's index.
        """
        after = self._parameter_at(i + 1) if i + 1 < len(self.tokens) else None
        before = self._parameter_at(i - 1) if i >= 1 else None
        if after is not None:
            score, above, name = self._score_before(i), token.text.startswith(">"), after
        elif before is not None:
            score, above, name = self._score_after(i), token.text.startswith("<"), before
        else:
            return
        if score is not None:
            direction = Direction.ABOVE if above else Direction.BELOW
            self.bounds.append(Bound(name, direction, score[0], token.line, score[1]))

    def _parameter_at(self, i: int) -> str | None:
        name = parameter_name(self.tokens[i])
        if name is None and i in self.positions:
            return f"{POSITIONAL}{self.positions[i]}"
        return name

    def _number_at(self, i: int) -> tuple[Token, float] | None:
        sign = 1.0
        if i < len(self.tokens) and self.tokens[i].text == "-":
            sign, i = -1.0, i + 1
        if i < len(self.tokens) and self.tokens[i].kind == "number":
            value = token_value(self.tokens[i])
            return (self.tokens[i], sign * value) if value is not None else None
        return None

    def _number_before(self, i: int) -> tuple[Token, float] | None:
        if i >= 1 and self.tokens[i - 1].kind == "number":
            value = token_value(self.tokens[i - 1])
            if value is not None:
                negative = i >= 2 and self.tokens[i - 2].text == "-"
                return self.tokens[i - 1], -value if negative else value
        return None

    def _score_before(self, i: int) -> tuple[Metric, str] | None:
        return self._score(operand(self.tokens, i - 1, -1))

    def _score_after(self, i: int) -> tuple[Metric, str] | None:
        return self._score(operand(self.tokens, i + 1, 1))

    def _score(self, tokens: list[Token]) -> tuple[Metric, str] | None:
        """A score by its name or operators, or a name the query gave one (``AS colScore``).

        A name the query gave a count (``count(*) AS hitScore``) is none, whatever it says.
        """
        if len(tokens) == 1 and tokens[0].name.lower() in self.aliases:
            return self.aliases[tokens[0].name.lower()]
        return score_of(tokens)

    def statements(self) -> None:
        for i, token in enumerate(self.tokens):
            upper = token.upper
            if upper == "INSERT":
                self._insert(i)
            elif upper == "UPDATE":
                self._update(i)
            elif upper == "DEFAULT" and token.kind == "word":
                self._default(i)

    def _insert(self, i: int) -> None:
        tokens = self.tokens
        j = i + 1
        while j < len(tokens) and tokens[j].upper in ("INTO", "OR", "REPLACE", "IGNORE"):
            j += 1
        table, j = self._qualified(j)
        columns: list[str] = []
        if j < len(tokens) and tokens[j].text == "(":
            columns, j = self._group(j)
            columns = [c.strip('"`') for c in columns]
        while j < len(tokens) and tokens[j].upper != "VALUES":
            if tokens[j].text == ";" or tokens[j].upper == "SELECT":
                return
            j += 1
        j += 1
        while j < len(tokens) and tokens[j].text == "(":
            row, row_tokens, j = self._row(j)
            self._row_findings(table, columns, row_tokens)
            if j < len(tokens) and tokens[j].text == ",":
                j += 1
            del row

    def _row_findings(self, table: str, columns: list[str], row: list[Token]) -> None:
        named = dict(zip([c.lower() for c in columns], row, strict=False)) if columns else {}
        for column, token in named.items():
            value = token_value(token)
            verdict = threshold_name(column, words(table))
            if value is not None and verdict.strength > 0 and token.kind == "number":
                self.add(
                    token,
                    value,
                    verdict.direction,
                    verdict.metric,
                    verdict.strength,
                    column,
                    f"column {column!r} of {table}",
                    table,
                )
        key_token = next((named[c] for c in KEY_COLUMNS if c in named), None)
        value_token = next((named[c] for c in VALUE_COLUMNS if c in named), None)
        if not columns:  # no column list: a string name followed by a number
            for a, b in itertools.pairwise(row):
                if a.kind == "string" and token_value(b) is not None:
                    key_token, value_token = a, b
                    break
        if key_token is None or value_token is None or key_token.kind != "string":
            return
        self._setting(table, key_token.text[1:-1], value_token)

    def _setting(self, table: str, key: str, value_token: Token) -> None:
        value = token_value(value_token)
        verdict = threshold_name(key, words(table))
        if value is None or verdict.strength <= 0:
            return
        self.add(
            value_token,
            value,
            verdict.direction,
            verdict.metric,
            verdict.strength,
            key,
            f"setting {key!r} in {table}",
            table,
        )

    def _update(self, i: int) -> None:
        tokens = self.tokens
        table, j = self._qualified(i + 1)
        if j >= len(tokens) or tokens[j].upper != "SET":
            return
        end = next((k for k in range(j, len(tokens)) if tokens[k].text == ";"), len(tokens))
        where = next((k for k in range(j, end) if tokens[k].upper == "WHERE"), end)
        key = None
        for k in range(where, end - 2):
            if (
                tokens[k].name.lower() in KEY_COLUMNS
                and tokens[k + 1].text == "="
                and tokens[k + 2].kind == "string"
            ):
                key = tokens[k + 2].text[1:-1]
        for k in range(j + 1, where - 2):
            column, equals, value_token = tokens[k], tokens[k + 1], tokens[k + 2]
            if equals.text != "=" or column.kind not in ("word", "quoted"):
                continue
            value = token_value(value_token)
            verdict = threshold_name(column.name, words(table))
            if value is not None and verdict.strength > 0 and value_token.kind == "number":
                self.add(
                    value_token,
                    value,
                    verdict.direction,
                    verdict.metric,
                    verdict.strength,
                    column.name,
                    f"column {column.name!r} of {table}",
                    table,
                )
            elif key is not None and column.name.lower() in VALUE_COLUMNS:
                self._setting(table, key, value_token)

    def _default(self, i: int) -> None:
        found = self._number_at(i + 1)
        if found is None:
            return
        token, value = found
        k = i - 1
        while k >= 0 and self.tokens[k].text not in (",", "(") and self.tokens[k].upper != "COLUMN":
            k -= 1
        column = self.tokens[k + 1].name if k + 1 < i else ""
        if self.tokens[i - 1].upper == "SET":  # ALTER [COLUMN] col SET DEFAULT
            column = self.tokens[i - 2].name
        verdict = threshold_name(column)
        if verdict.strength > 0:
            self.add(
                token,
                value,
                verdict.direction,
                verdict.metric,
                verdict.strength,
                column,
                f"default of column {column!r}",
            )

    def _qualified(self, j: int) -> tuple[str, int]:
        parts: list[str] = []
        while j < len(self.tokens) and self.tokens[j].kind in ("word", "quoted"):
            parts.append(self.tokens[j].name)
            j += 1
            if j < len(self.tokens) and self.tokens[j].text == ".":
                j += 1
            else:
                break
        return ".".join(parts), j

    def _group(self, j: int) -> tuple[list[str], int]:
        names, row_tokens, end = self._row(j)
        del row_tokens
        return names, end

    def _row(self, j: int) -> tuple[list[str], list[Token], int]:
        """A parenthesised list: its items' texts, one token per item, and the index after."""
        depth = 0
        items: list[list[Token]] = [[]]
        while j < len(self.tokens):
            token = self.tokens[j]
            j += 1
            if token.text == "(":
                depth += 1
                if depth == 1:
                    continue
            elif token.text == ")":
                depth -= 1
                if depth == 0:
                    break
            elif token.text == "," and depth == 1:
                items.append([])
                continue
            items[-1].append(token)
        singles = [item[-1] if item else Token("op", "", 0) for item in items]
        return [item[-1].name if item else "" for item in items], singles, j
