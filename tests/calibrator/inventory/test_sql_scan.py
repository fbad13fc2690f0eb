"""SQL text: settings inserts and updates, column defaults, pgvector comparisons."""

from __future__ import annotations

import textwrap

from calibrator.inventory.findings import Direction, Metric
from calibrator.inventory.sql_scan import scan_sql_text

SQL = textwrap.dedent(
    """
    CREATE TABLE search_settings (
        id integer PRIMARY KEY,
        similarity_threshold real DEFAULT 0.8,
        page_size integer DEFAULT 20
    );
    INSERT INTO search_settings (id, similarity_threshold) VALUES (1, 0.75), (2, 0.7);
    INSERT INTO app_config (key, value) VALUES ('rerank.min_score', '0.42'), ('workers', '4');
    UPDATE app_config SET value = '0.9' WHERE key = 'dedup_similarity_threshold';
    UPDATE search_settings SET max_distance = 0.35 WHERE id = 2;
    ALTER TABLE search_settings ALTER COLUMN similarity_threshold SET DEFAULT 0.85;
    -- a comment: similarity > 0.99 is not code
    SELECT id FROM items WHERE embedding <=> $1 < 0.3 AND 1 - (embedding <=> $1) >= 0.65;
    """
)


def test_sql_settings_defaults_and_comparisons():
    """Every threshold in the file is found once, with its line and direction."""
    found = {(f.line, f.value): f for f in scan_sql_text(SQL, "db/seed.sql")}
    assert set(found) == {
        (4, 0.8),
        (7, 0.75),
        (7, 0.7),
        (8, 0.42),
        (9, 0.9),
        (10, 0.35),
        (11, 0.85),
        (13, 0.3),
        (13, 0.65),
    }
    assert found[(8, 0.42)].name == "rerank.min_score"
    assert found[(9, 0.9)].name == "dedup_similarity_threshold"
    assert found[(7, 0.75)].table == "search_settings"
    assert found[(13, 0.3)].metric is Metric.DISTANCE
    assert found[(13, 0.3)].direction is Direction.BELOW
    assert found[(13, 0.65)].metric is Metric.SIMILARITY
    assert found[(13, 0.65)].library == "pgvector"


def test_a_parenthesised_complement_of_a_pgvector_distance_is_a_similarity():
    """``(1 - (e.embedding <=> $1)) > 0.7``: kept above, a similarity, parentheses or not."""
    text = "SELECT id FROM chunks e WHERE (1 - (e.embedding <=> $1::vector)) > 0.7;\n"
    (found,) = scan_sql_text(text, "db/search.sql")
    assert (found.value, found.direction, found.metric) == (
        0.7,
        Direction.ABOVE,
        Metric.SIMILARITY,
    )
