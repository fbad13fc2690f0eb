"""Live databases by URL (``sqlite:///path``, ``postgresql://...``): settings in tables.

Two shapes are read, in every user table:

- columns with threshold names (``search_settings.similarity_threshold``): each row's value,
  located by table, column and primary key, and the column's default;
- key/value tables (a ``key``/``name``/``setting`` text column beside a ``value`` column):
  rows whose key is a threshold name and whose value is a number.

Connections are read-only where the engine allows it, and at most :data:`ROW_LIMIT` rows are
read per table. Passwords never appear in findings: the URL is reported without them.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from calibrator.inventory.findings import Finding, Kind, ScanError
from calibrator.inventory.names import ThresholdName, plausible, threshold_name, words
from calibrator.inventory.vocabulary import KEY_COLUMNS, VALUE_COLUMNS

ROW_LIMIT = 10_000
_NUMERIC_DEFAULT = re.compile(r"^\(?'?([-+]?\d*\.?\d+(?:[eE][-+]?\d+)?)'?\)?(?:::[\w ]+)?$")

Query = Callable[[str, Sequence[Any]], list[tuple[Any, ...]]]


@dataclass(frozen=True, slots=True)
class _Column:
    name: str
    default: str | None


@dataclass(frozen=True, slots=True)
class _Table:
    name: str  # qualified and quoted, ready for SQL
    label: str  # as shown to the user
    columns: tuple[_Column, ...]
    key: tuple[str, ...]  # quoted primary-key columns (or the row id)


def redact(url: str) -> str:
    """The URL without its password."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    user = f"{parts.username}@" if parts.username else ""
    return urlunsplit((parts.scheme, user + host, parts.path, parts.query, parts.fragment))


def scan_database(url: str) -> tuple[list[Finding], list[ScanError]]:
    """Threshold settings in the database at ``url``; an unreachable one is an error."""
    shown = redact(url)
    scheme = urlsplit(url).scheme.split("+")[0]
    try:
        if scheme == "sqlite":
            return _scan_sqlite(url, shown), []
        if scheme in ("postgresql", "postgres"):
            return _scan_postgres(url, shown), []
    except Exception as e:  # the driver's errors are many; each is one line for the user
        message = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        return [], [ScanError(shown, f"cannot read database: {message}")]
    return [], [ScanError(shown, "unsupported database URL (sqlite:/// or postgresql://)")]


def _scan_sqlite(url: str, shown: str) -> list[Finding]:
    path = Path(url.split("sqlite:///", 1)[1] if "sqlite:///" in url else "")
    if not path.is_file():
        raise FileNotFoundError(f"no such database file: {path}")
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:

        def query(sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
            return list(connection.execute(sql, tuple(params)).fetchall())

        tables: list[_Table] = []
        names = query(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE ?", ("sqlite_%",)
        )
        for (table,) in names:
            info = query(f"PRAGMA table_info({_quote(table)})")
            columns = tuple(_Column(row[1], row[4]) for row in info)
            key = tuple(_quote(row[1]) for row in sorted(info, key=lambda r: r[5]) if row[5])
            tables.append(_Table(_quote(table), table, columns, key or ("rowid",)))
        return _scan_tables(tables, query, shown)
    finally:
        connection.close()


def _scan_postgres(url: str, shown: str) -> list[Finding]:
    import psycopg

    with psycopg.connect(url, connect_timeout=10, autocommit=True) as connection:
        connection.read_only = True

        def query(sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
            with connection.cursor() as cursor:
                cursor.execute(sql.encode(), tuple(params))
                return list(cursor.fetchall())

        rows = query(
            "SELECT table_schema, table_name, column_name, column_default"
            " FROM information_schema.columns"
            " WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
            " ORDER BY table_schema, table_name, ordinal_position"
        )
        keys = query(
            "SELECT k.table_schema, k.table_name, k.column_name"
            " FROM information_schema.table_constraints c"
            " JOIN information_schema.key_column_usage k"
            " ON c.constraint_name = k.constraint_name AND c.table_schema = k.table_schema"
            " WHERE c.constraint_type = 'PRIMARY KEY' ORDER BY k.ordinal_position"
        )
        grouped: dict[tuple[str, str], list[_Column]] = {}
        for schema, table, column, default in rows:
            grouped.setdefault((schema, table), []).append(_Column(column, default))
        tables = [
            _Table(
                f"{_quote(schema)}.{_quote(table)}",
                table if schema == "public" else f"{schema}.{table}",
                tuple(columns),
                tuple(_quote(k[2]) for k in keys if (k[0], k[1]) == (schema, table)) or ("ctid",),
            )
            for (schema, table), columns in grouped.items()
        ]
        return _scan_tables(tables, query, shown)


def _scan_tables(tables: list[_Table], query: Query, shown: str) -> list[Finding]:
    findings: list[Finding] = []
    for table in tables:
        context = words(table.label)
        names = {c.name.lower(): c.name for c in table.columns}
        for column in table.columns:
            verdict = threshold_name(column.name, context)
            if verdict.strength <= 0:
                continue
            default = _number(column.default)
            if default is not None:
                findings.append(
                    _finding(
                        shown,
                        table.label,
                        None,
                        column.name,
                        default,
                        verdict,
                        f"default of column {column.name!r}",
                    )
                )
            key_sql = ", ".join(f"CAST({k} AS TEXT)" for k in table.key)
            rows = query(  # identifiers come from the catalogue and are quoted
                f"SELECT {key_sql}, {_quote(column.name)} FROM {table.name} LIMIT {ROW_LIMIT}",  # noqa: S608
                (),
            )
            for *key, value in rows:
                amount = _number(value)
                if amount is not None:
                    row_key = ",".join(
                        f"{k.strip(chr(34))}={v}" for k, v in zip(table.key, key, strict=True)
                    )
                    findings.append(
                        _finding(
                            shown,
                            table.label,
                            row_key,
                            column.name,
                            amount,
                            verdict,
                            f"column {column.name!r}",
                        )
                    )
        key_column = next((names[c] for c in KEY_COLUMNS if c in names), None)
        value_column = next((names[c] for c in VALUE_COLUMNS if c in names), None)
        if key_column is None or value_column is None:
            continue
        rows = query(  # identifiers come from the catalogue and are quoted
            f"SELECT CAST({_quote(key_column)} AS TEXT), {_quote(value_column)}"  # noqa: S608
            f" FROM {table.name} LIMIT {ROW_LIMIT}",
            (),
        )
        for key, value in rows:
            verdict = threshold_name(str(key), context)
            amount = _number(value)
            if verdict.strength > 0 and amount is not None:
                findings.append(
                    _finding(
                        shown,
                        table.label,
                        f"{key_column}={key}",
                        str(key),
                        amount,
                        verdict,
                        f"setting row {key!r}",
                    )
                )
    return findings


def _finding(
    shown: str,
    table: str,
    row_key: str | None,
    name: str,
    value: float,
    verdict: ThresholdName,
    reason: str,
) -> Finding:
    confidence = verdict.strength if plausible(value, verdict.metric) else 0.3
    where = f"{table}.{name}" + (f" [{row_key}]" if row_key else " (default)")
    return Finding(
        shown,
        None,
        value,
        Kind.DB,
        verdict.direction,
        verdict.metric,
        confidence,
        where,
        name=name,
        library=None,
        reason=reason,
        language="sql",
        table=table,
        row_key=row_key,
    )


def _number(value: object) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    match = _NUMERIC_DEFAULT.match(str(value).strip())
    if match is None:
        return None
    try:
        return float(match.group(1))
    except ValueError:
        return None


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'
