"""The examples store keeps the texts handed with an example, and opens files from before them."""

from __future__ import annotations

import sqlite3

from proxy.compare.examples import Example, ExampleStore, ExampleTexts
from proxy.config import parse_config

BASE = '[upstreams.old]\nurl = "http://a"\n[upstreams.new]\nurl = "http://b"\n'
OLD_SCHEMA = """
CREATE TABLE examples (
    id INTEGER PRIMARY KEY, created_at REAL NOT NULL, route TEXT NOT NULL,
    segment TEXT NOT NULL, kind TEXT NOT NULL, sort_key REAL NOT NULL,
    query_index INTEGER NOT NULL, rbo REAL NOT NULL, overlap REAL NOT NULL, kendall_tau REAL,
    request_sha256 TEXT NOT NULL, request_body TEXT,
    old_ids TEXT NOT NULL, old_scores TEXT NOT NULL, new_ids TEXT NOT NULL, new_scores TEXT NOT NULL
);
"""


def store_at(path) -> ExampleStore:
    """An examples store writing to ``path``."""
    config = parse_config(BASE + f'[examples]\npath = "{path}"\nkeep_uniform = 0\n')
    return ExampleStore(config.examples)


def example(texts: ExampleTexts | None) -> Example:
    """A divergent compared query with two results a side."""
    return Example(
        route="search", segment="docs", query_index=0, rbo=0.2, overlap=0.5,
        kendall_tau=None, request_body=b"{}", old_ids=("a", "b"), old_scores=(0.9, 0.8),
        new_ids=("b", "c"), new_scores=(0.7, 0.6), texts=texts,
    )  # fmt: skip


async def test_texts_are_kept_and_shown_with_each_result(tmp_path):
    """The query's text beside the example, each result's text beside its id."""
    store = store_at(tmp_path / "examples.sqlite")
    try:
        store.offer(example(ExampleTexts("why?", ("A", None), ("B", "C"))))
        await store.flush()
        (found,) = await store.query("docs", "divergent", 10)
    finally:
        store.close()
    assert found["query_text"] == "why?"
    assert [r["old"].get("text") for r in found["results"]] == ["A", None]
    assert [r["new"]["text"] for r in found["results"]] == ["B", "C"]


async def test_without_texts_nothing_is_added(tmp_path):
    """An example without texts has no query_text and no text fields."""
    store = store_at(tmp_path / "examples.sqlite")
    try:
        store.offer(example(None))
        await store.flush()
        (found,) = await store.query("docs", "divergent", 10)
    finally:
        store.close()
    assert "query_text" not in found
    assert all("text" not in r["old"] for r in found["results"])


async def test_a_file_from_before_texts_gets_their_columns(tmp_path):
    """An examples file written before the text columns existed opens, keeps its rows, and grows."""
    path = tmp_path / "examples.sqlite"
    with sqlite3.connect(path) as conn:
        conn.executescript(OLD_SCHEMA)
        conn.execute(
            "INSERT INTO examples (created_at, route, segment, kind, sort_key, query_index, rbo,"
            " overlap, request_sha256, old_ids, old_scores, new_ids, new_scores) VALUES"
            " (strftime('%s','now'), 'search', 'docs', 'divergent', 0.1, 0, 0.1, 0.5, 'x',"
            " '[\"a\"]', '[0.9]', '[\"b\"]', '[0.8]')"
        )
    conn.close()
    store = store_at(path)
    try:
        store.offer(example(ExampleTexts(None, ("A", "B"), ("B", "C"))))
        await store.flush()
        found = await store.query("docs", "divergent", 10)
    finally:
        store.close()
    assert [f["rbo"] for f in found] == [0.1, 0.2]
    assert "text" not in found[0]["results"][0]["old"]
    assert found[1]["results"][0]["old"]["text"] == "A"
