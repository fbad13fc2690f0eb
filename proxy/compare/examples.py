"""Divergent examples: the compared queries people should look at, kept in SQLite.

Per segment the store keeps the ``keep_most_divergent`` queries with the lowest RBO, and a
uniform sample of ``keep_uniform`` compared queries beside them (bottom-k sampling: each query
draws a uniform priority and the k smallest are kept, which is a uniform sample without
replacement). Both are "keep the k smallest keys", so one mechanism serves both. Rows expire
after ``ttl_s``.

The hot path only calls :meth:`ExampleStore.offer`, which compares a key with an in-memory bound
and queues candidates; a single writer thread owns the SQLite connection, inserts in batches,
prunes, and refreshes the bounds. Request bodies are stored only when configured; otherwise
their keyed hash: BLAKE2b-256 under a secret of this installation (``<path>.key`` beside the
database, 32 random bytes, mode 0o600, made on first use), so that a stored hash cannot be
matched back to candidate bodies without the key (an unsalted SHA-256 could: every one of 70
stored hashes was, in issue 17); the field keeps its name, ``request_sha256``, for the review
queue that keys items by it. The database is created mode 0o600
(:func:`proxy.files.create_private`).
A request whose thresholds were translated for the new index keeps each one's
field, query, value as sent and value sent to the new index (``thresholds``, JSON; a file
written before this column existed gets it when opened).

With ``[review].store_text`` the recorder also hands over texts (:class:`ExampleTexts`: the
query's, and each result's on both sides), kept in ``query_text``, ``old_texts`` and
``new_texts`` (JSON arrays; NULL without texts; a file written before these columns existed
gets them when opened) and shown with the example.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import random
import sqlite3
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from proxy.adapters.scales import ThresholdChange
from proxy.config.schema import ExamplesSection
from proxy.files import create_private, private_key
from proxy.logs import get_logger

log = get_logger("examples")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS examples (
    id INTEGER PRIMARY KEY,
    created_at REAL NOT NULL,
    route TEXT NOT NULL,
    segment TEXT NOT NULL,
    kind TEXT NOT NULL,              -- 'divergent' or 'uniform'
    sort_key REAL NOT NULL,          -- rbo for divergent, the random priority for uniform
    query_index INTEGER NOT NULL,    -- position of the query in a batch request
    rbo REAL NOT NULL,
    overlap REAL NOT NULL,
    kendall_tau REAL,
    request_sha256 TEXT NOT NULL,
    request_body TEXT,
    old_ids TEXT NOT NULL, old_scores TEXT NOT NULL,
    new_ids TEXT NOT NULL, new_scores TEXT NOT NULL,
    thresholds TEXT                  -- JSON: the request's thresholds as sent and as translated
);
CREATE INDEX IF NOT EXISTS examples_by_key ON examples (segment, kind, sort_key);
CREATE INDEX IF NOT EXISTS examples_by_time ON examples (created_at);
"""
KINDS = ("divergent", "uniform")
MAX_QUEUE = 10_000


@dataclass(frozen=True, slots=True)
class ExampleTexts:
    """What people read to judge a query: its text and each result's text (None: not kept)."""

    query: str | None
    old: tuple[str | None, ...]
    new: tuple[str | None, ...]


@dataclass(frozen=True, slots=True)
class Example:
    """One compared query, as offered to the store."""

    route: str
    segment: str
    query_index: int
    rbo: float
    overlap: float
    kendall_tau: float | None
    request_body: bytes
    old_ids: tuple[str, ...]
    old_scores: tuple[float, ...]
    new_ids: tuple[str, ...]
    new_scores: tuple[float, ...]
    texts: ExampleTexts | None = None  # with [review].store_text
    thresholds: tuple[ThresholdChange, ...] = ()


class ExampleStore:
    """Keeps the most divergent and a uniform sample of compared queries per segment."""

    def __init__(self, settings: ExamplesSection, on_drop: Any = None) -> None:
        """Open (lazily, in the writer thread) the SQLite file named in ``settings``."""
        self.settings = settings
        self._queue: deque[tuple[str, float, Example, float]] = deque()
        self._bounds: dict[tuple[str, str], float] = {}  # key must be below this to enter
        self._counts: dict[tuple[str, str], int] = {}
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="examples")
        self._conn: sqlite3.Connection | None = None
        self._key = b""  # the hash's key, read with the database in the writer thread
        self._on_drop = on_drop
        self._wake = asyncio.Event()

    def _limit(self, kind: str) -> int:
        return (
            self.settings.keep_most_divergent if kind == "divergent" else self.settings.keep_uniform
        )

    def offer(self, example: Example) -> None:
        """Queue ``example`` if it may belong in either kept set (cheap; on the event loop)."""
        now = time.time()
        for kind, key in (("divergent", example.rbo), ("uniform", random.random())):
            limit = self._limit(kind)
            if limit == 0:
                continue
            slot = (example.segment, kind)
            if self._counts.get(slot, 0) >= limit and key >= self._bounds.get(slot, 2.0):
                continue
            if len(self._queue) >= MAX_QUEUE:
                if self._on_drop is not None:
                    self._on_drop()
                return
            self._queue.append((kind, key, example, now))
            # optimistic: count it now so a burst does not queue thousands of candidates
            self._counts[slot] = self._counts.get(slot, 0) + 1
        if self._queue:
            self._wake.set()

    def wants(self, segment: str, rbo: float) -> bool:
        """Whether a query of ``segment`` with this RBO would enter the divergent set now."""
        limit = self.settings.keep_most_divergent
        slot = (segment, "divergent")
        if limit == 0:
            return False
        return self._counts.get(slot, 0) < limit or rbo < self._bounds.get(slot, 2.0)

    async def run(self, interval_s: float = 1.0) -> None:
        """Write queued candidates every ``interval_s`` until cancelled (then flush once)."""
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self._open)
        try:
            while True:
                # asyncio.timeout, not wait_for: 3.11's wait_for can swallow a cancellation
                # that races with the event, and the writer would then never stop
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(interval_s):
                        await self._wake.wait()
                self._wake.clear()
                await self.flush()
                await asyncio.sleep(interval_s)
        finally:
            await asyncio.shield(self.flush())

    async def flush(self) -> None:
        """Write everything queued now, prune, and refresh the in-memory bounds."""
        batch = list(self._queue)
        self._queue.clear()
        loop = asyncio.get_running_loop()
        try:
            bounds, counts = await loop.run_in_executor(self._executor, self._write, batch)
        except (sqlite3.Error, OSError) as e:
            log.error(
                "examples_write_failed", error=str(e), path=self.settings.path, lost=len(batch)
            )
            return
        self._bounds, self._counts = bounds, counts

    def _open(self) -> None:
        if self._conn is not None:
            return
        path = Path(self.settings.path)
        create_private(path)
        self._key = private_key(path.with_name(path.name + ".key"))
        conn = sqlite3.connect(path)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.executescript(_SCHEMA)
        _add_text_columns(conn)
        columns = {row[1] for row in conn.execute("PRAGMA table_info(examples)")}
        if "thresholds" not in columns:  # a file from before thresholds were recorded
            conn.execute("ALTER TABLE examples ADD COLUMN thresholds TEXT")
        self._conn = conn

    def _write(
        self, batch: list[tuple[str, float, Example, float]]
    ) -> tuple[dict[tuple[str, str], float], dict[tuple[str, str], int]]:
        self._open()
        conn = self._conn
        assert conn is not None
        rows = [self._row(kind, key, ex, at) + _texts_row(ex) for kind, key, ex, at in batch]
        with conn:
            conn.executemany(
                "INSERT INTO examples (created_at, route, segment, kind, sort_key, query_index,"
                " rbo, overlap, kendall_tau, request_sha256, request_body, old_ids, old_scores,"
                " new_ids, new_scores, thresholds, query_text, old_texts, new_texts)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                rows,
            )
            conn.execute(
                "DELETE FROM examples WHERE created_at < ?", (time.time() - self.settings.ttl_s,)
            )
            for kind in KINDS:
                conn.execute(
                    "DELETE FROM examples WHERE kind = ? AND id IN (SELECT id FROM (SELECT id,"
                    " ROW_NUMBER() OVER (PARTITION BY segment ORDER BY sort_key, id) AS n"
                    " FROM examples WHERE kind = ?) WHERE n > ?)",
                    (kind, kind, self._limit(kind)),
                )
        bounds: dict[tuple[str, str], float] = {}
        counts: dict[tuple[str, str], int] = {}
        for segment, kind, n, worst in conn.execute(
            "SELECT segment, kind, COUNT(*), MAX(sort_key) FROM examples GROUP BY segment, kind"
        ):
            counts[(segment, kind)] = n
            bounds[(segment, kind)] = worst
        return bounds, counts

    def _row(self, kind: str, key: float, ex: Example, at: float) -> tuple[Any, ...]:
        body = ex.request_body.decode("utf-8", "replace") if self.settings.store_body else None
        return (
            at, ex.route, ex.segment, kind, key, ex.query_index, ex.rbo, ex.overlap, ex.kendall_tau,
            hashlib.blake2b(ex.request_body, key=self._key, digest_size=32).hexdigest(), body,
            json.dumps(ex.old_ids), json.dumps(ex.old_scores),
            json.dumps(ex.new_ids), json.dumps(ex.new_scores), _thresholds_json(ex.thresholds),
        )  # fmt: skip

    async def query(self, segment: str | None, kind: str, limit: int) -> list[dict[str, Any]]:
        """Stored examples, most divergent first (or by priority for the uniform sample)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._list, segment, kind, limit)

    def _list(self, segment: str | None, kind: str, limit: int) -> list[dict[str, Any]]:
        self._open()
        conn = self._conn
        assert conn is not None
        sql = (
            "SELECT created_at, route, segment, kind, query_index, rbo, overlap, kendall_tau,"
            " request_sha256, request_body, old_ids, old_scores, new_ids, new_scores, thresholds"
            ", query_text, old_texts, new_texts FROM examples"
            " WHERE kind = ? AND created_at >= ?"
        )
        args: list[Any] = [kind, time.time() - self.settings.ttl_s]
        if segment is not None:
            sql += " AND segment = ?"
            args.append(segment)
        sql += " ORDER BY sort_key, id LIMIT ?"
        args.append(limit)
        return [_as_dict(row) for row in conn.execute(sql, args)]

    def close(self) -> None:
        """Close the database and stop the writer thread (after a final flush)."""

        def _close() -> None:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

        self._executor.submit(_close).result()
        self._executor.shutdown(wait=True)


def _pairs(ids_json: str, scores_json: str) -> list[tuple[Any, Any]]:
    """(id, score) per result; the score None when none was kept (compared by ids alone)."""
    ids, scores = json.loads(ids_json), json.loads(scores_json)
    return [(id_, scores[n] if n < len(scores) else None) for n, id_ in enumerate(ids)]


def _as_dict(row: tuple[Any, ...]) -> dict[str, Any]:
    row, (query_text, old_texts, new_texts) = row[:-3], row[-3:]
    (created_at, route, segment, kind, query_index, rbo, overlap, tau, sha, body,
     old_ids, old_scores, new_ids, new_scores, thresholds) = row  # fmt: skip
    old, new = _pairs(old_ids, old_scores), _pairs(new_ids, new_scores)
    side_by_side = [
        {
            "rank": i + 1,
            "old": {"id": old[i][0], "score": old[i][1]} if i < len(old) else None,
            "new": {"id": new[i][0], "score": new[i][1]} if i < len(new) else None,
        }
        for i in range(max(len(old), len(new)))
    ]
    example: dict[str, Any] = {
        "created_at": created_at,
        "route": route,
        "segment": segment,
        "kind": kind,
        "query_index": query_index,
        "rbo": rbo,
        "overlap_at_k": overlap,
        "kendall_tau": tau,
        "request_sha256": sha,
        "results": side_by_side,
    }
    if body is not None:
        example["request_body"] = body
    _add_texts(example, query_text, old_texts, new_texts)
    if thresholds is not None:
        example["thresholds"] = json.loads(thresholds)
    return example


def _thresholds_json(changes: tuple[ThresholdChange, ...]) -> str | None:
    """The request's thresholds as stored: field, query, sent, translated, result (or NULL)."""
    if not changes:
        return None
    return json.dumps(
        [
            {
                "field": c.field,
                "query": c.query,
                "sent": c.original,
                "translated": c.translated,
                "result": c.result,
            }
            for c in changes
        ]
    )


TEXT_COLUMNS = ("query_text", "old_texts", "new_texts")


def _add_text_columns(conn: sqlite3.Connection) -> None:
    """Add the text columns to a file written before they existed."""
    columns = {row[1] for row in conn.execute("PRAGMA table_info(examples)")}
    for column in TEXT_COLUMNS:
        if column not in columns:
            conn.execute(f"ALTER TABLE examples ADD COLUMN {column} TEXT")


def _texts_row(ex: Example) -> tuple[str | None, str | None, str | None]:
    """The text columns of an example (NULL when it has no texts)."""
    if ex.texts is None:
        return None, None, None
    return ex.texts.query, json.dumps(ex.texts.old), json.dumps(ex.texts.new)


def _add_texts(
    example: dict[str, Any], query: str | None, old: str | None, new: str | None
) -> None:
    """Put the stored texts into an example's dict: the query's, and each result's."""
    if query is not None:
        example["query_text"] = query
    for side, stored in (("old", old), ("new", new)):
        texts = json.loads(stored) if stored is not None else []
        for row, text in zip(example["results"], texts, strict=False):
            if row[side] is not None:
                row[side]["text"] = text
