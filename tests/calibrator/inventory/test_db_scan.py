"""Live databases: SQLite through the stdlib, PostgreSQL through psycopg.

PostgreSQL runs as a throwaway cluster (initdb/pg_ctl on loopback), skipped with a reason
when the server is not installed.
"""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from calibrator.inventory.db_scan import redact, scan_database

SCHEMA = [
    (
        "CREATE TABLE search_settings (id integer PRIMARY KEY, segment text,"
        " similarity_threshold real DEFAULT 0.8, page_size integer DEFAULT 20)"
    ),
    (
        "INSERT INTO search_settings (id, segment, similarity_threshold) VALUES"
        " (1, 'docs', 0.75), (2, 'code', 0.68)"
    ),
    "CREATE TABLE app_config (key text PRIMARY KEY, value text)",
    (
        "INSERT INTO app_config VALUES ('rerank.min_score', '0.42'), ('workers', '4'),"
        " ('dedup_distance_threshold', '0.15'), ('greeting', 'hello')"
    ),
    "CREATE TABLE users (id integer PRIMARY KEY, name text, score_total integer)",
    "INSERT INTO users VALUES (1, 'ann', 12)",
]


def found(findings):
    """Findings as (table, name, row key, value)."""
    return {(f.table, f.name, f.row_key, f.value) for f in findings}


EXPECTED = {
    ("search_settings", "similarity_threshold", None, 0.8),
    ("search_settings", "similarity_threshold", "id=1", 0.75),
    ("search_settings", "similarity_threshold", "id=2", 0.68),
    ("app_config", "rerank.min_score", "key=rerank.min_score", 0.42),
    ("app_config", "dedup_distance_threshold", "key=dedup_distance_threshold", 0.15),
}


def test_sqlite_columns_defaults_and_settings_rows(tmp_path: Path):
    """Threshold columns (rows and default) and key/value rows are found; others are not."""
    path = tmp_path / "app.db"
    with sqlite3.connect(path) as connection:
        for statement in SCHEMA:
            connection.execute(statement)
    findings, errors = scan_database(f"sqlite:///{path}")
    assert errors == []
    assert found(findings) == EXPECTED
    assert {f.path for f in findings} == {f"sqlite:///{path}"}
    assert all(f.line is None for f in findings)


def test_unreachable_database_is_an_error_not_a_crash(tmp_path: Path):
    """A missing SQLite file or a refused PostgreSQL port is reported, password hidden."""
    _, errors = scan_database(f"sqlite:///{tmp_path / 'missing.db'}")
    assert "no such database file" in errors[0].message
    port = _free_port()
    _, errors = scan_database(f"postgresql://app:s3cret@127.0.0.1:{port}/db")
    assert errors[0].path == f"postgresql://app@127.0.0.1:{port}/db"
    assert "s3cret" not in str(errors[0])


def test_redact_keeps_everything_but_the_password():
    """Only the password is removed from a URL."""
    assert (
        redact("postgresql://u:pw@h:5/d?sslmode=require") == "postgresql://u@h:5/d?sslmode=require"
    )
    assert redact("sqlite:///x.db") == "sqlite:///x.db"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pg_bin() -> Path | None:
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return candidates[-1].parent if candidates else None


@pytest.fixture
def postgres() -> Iterator[str]:
    """A throwaway PostgreSQL cluster on loopback, stopped and deleted after the test.

    Its folder is made directly under the temp dir: pytest's own is private to root, and
    initdb refuses root, so as root the cluster runs as the ``postgres`` user.
    """
    bindir = _pg_bin()
    if bindir is None:
        reason = "PostgreSQL (initdb) not installed: .ci/components.sh install postgresql"
        if os.environ.get("EMBEDSHIFT_REQUIRE_COMPONENTS") == "1":
            pytest.fail(
                f"{reason}; EMBEDSHIFT_REQUIRE_COMPONENTS=1 forbids skipping", pytrace=False
            )
        pytest.skip(reason)
    prefix: list[str] = []
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            pytest.skip("running as root without runuser to drop privileges for initdb")
        prefix = ["runuser", "-u", "postgres", "--"]
    base = Path(tempfile.mkdtemp(prefix="embedshift-pg-"))
    data = base / "pg"
    data.mkdir()
    if prefix:
        shutil.chown(base, "postgres")
        shutil.chown(data, "postgres")
    port = _free_port()
    try:
        subprocess.run(
            [*prefix, str(bindir / "initdb"), "-D", str(data), "-U", "app", "-A", "trust"],
            check=True,
            capture_output=True,
            timeout=120,
        )
        options = f"-p {port} -k {data} -c listen_addresses=127.0.0.1"
        subprocess.run(
            [
                *prefix,
                str(bindir / "pg_ctl"),
                "-D",
                str(data),
                "-o",
                options,
                "-w",
                "-l",
                str(data / "log"),
                "start",
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )
        yield f"postgresql://app:unused@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"],
            check=False,
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(base, ignore_errors=True)


def test_postgres_columns_defaults_and_settings_rows(postgres: str):
    """The same database in PostgreSQL gives the same findings, schema-qualified tables too."""
    import psycopg

    with psycopg.connect(postgres, autocommit=True) as connection:
        for statement in SCHEMA:
            connection.execute(statement.replace(" real ", " double precision ").encode())
        connection.execute(b"CREATE SCHEMA ranking")
        connection.execute(
            b"CREATE TABLE ranking.rules (name text PRIMARY KEY, max_distance numeric(4,2))"
        )
        connection.execute(b"INSERT INTO ranking.rules VALUES ('near', 0.35)")
    findings, errors = scan_database(postgres)
    assert errors == []
    assert found(findings) == EXPECTED | {("ranking.rules", "max_distance", "name=near", 0.35)}
    assert {f.path for f in findings} == {postgres.replace("app:unused@", "app@")}
