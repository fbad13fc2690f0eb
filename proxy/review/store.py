"""The votes of the review page, kept in SQLite, and each segment's tally for the gate.

A reviewer is the name of the admin token they use. For each reviewer and query the store
keeps

- an **assignment**: which side (``left`` or ``right``) shows the new index's answer, drawn at
  random the first time the query is offered to that reviewer and kept, so that a reload shows
  the same arrangement. Only the server knows it; the page learns it once the vote is kept;
- at most one **vote**: ``left`` better, ``same``, ``right`` better or ``both_bad``. A new vote
  replaces the old one. Seen from the new index a vote is a ``win``, ``loss``, ``tie`` or
  ``both_bad`` (:func:`outcome_of`), stored beside the choice.

:meth:`ReviewStore.tallies` gives, per segment, the counts of votes in force
(:class:`~proxy.review.tally.Tally`): what :func:`proxy.gate.review.reviewed_preference`
judges. It is an in-memory snapshot, refreshed after every vote and by
:meth:`ReviewStore.refresh` (processes sharing the file see each other's votes at the next
refresh).

The file is created with mode 0600 (votes name people) and its directory fsynced, as
:mod:`proxy.files` does for every file it writes; an existing file readable by others is
narrowed to 0600. SQLite keeps it whole (WAL, ``synchronous = FULL``: a vote that was
answered is on disk). One thread owns the connection; callers on the event loop await it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import sqlite3
import stat
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Literal, TypeVar, cast, get_args

from proxy.files import fsync_dir
from proxy.logs import get_logger
from proxy.metrics import REVIEW_OUTCOMES, ReviewMetrics
from proxy.review.tally import Tally

log = get_logger("review")

Side = Literal["left", "right"]
Choice = Literal["left", "same", "right", "both_bad"]
Outcome = Literal["win", "loss", "tie", "both_bad"]
CHOICES: tuple[Choice, ...] = get_args(Choice)
FILE_MODE = 0o600
T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS assignments (
    reviewer TEXT NOT NULL,
    item TEXT NOT NULL,                 -- the query (proxy.review.queue.item_key)
    segment TEXT NOT NULL,
    route TEXT NOT NULL,
    new_side TEXT NOT NULL CHECK (new_side IN ('left', 'right')),
    created_at REAL NOT NULL,
    PRIMARY KEY (reviewer, item)
);
CREATE TABLE IF NOT EXISTS votes (
    reviewer TEXT NOT NULL,
    item TEXT NOT NULL,
    segment TEXT NOT NULL,
    route TEXT NOT NULL,
    choice TEXT NOT NULL CHECK (choice IN ('left', 'same', 'right', 'both_bad')),
    new_side TEXT NOT NULL CHECK (new_side IN ('left', 'right')),
    outcome TEXT NOT NULL CHECK (outcome IN ('win', 'loss', 'tie', 'both_bad')),
    voted_at REAL NOT NULL,
    PRIMARY KEY (reviewer, item)
);
"""


def outcome_of(choice: Choice, new_side: Side) -> Outcome:
    """What ``choice`` says of the new index when it was shown on ``new_side``."""
    if choice == "same":
        return "tie"
    if choice == "both_bad":
        return "both_bad"
    return "win" if choice == new_side else "loss"


@dataclass(frozen=True, slots=True)
class Offered:
    """A query offered to a reviewer: its key, segment and route."""

    item: str
    segment: str
    route: str


@dataclass(frozen=True, slots=True)
class Assignment:
    """Where a reviewer sees the new index for one query, and their vote if they cast one."""

    new_side: Side
    choice: Choice | None = None
    voted_at: float | None = None


@dataclass(frozen=True, slots=True)
class Vote:
    """A vote as kept: the choice, the side that was new, what it says of the new index."""

    item: str
    segment: str
    choice: Choice
    new_side: Side
    outcome: Outcome
    replaced: Choice | None  # the reviewer's previous choice for this query, if any


class ReviewStore:
    """Votes, assignments and tallies in one SQLite file (module docstring)."""

    def __init__(self, path: str | Path, metrics: ReviewMetrics | None = None) -> None:
        """Nothing is opened here: the file is created on first use, in the store's thread."""
        self.path = Path(path)
        self.metrics = metrics
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="reviews")
        self._conn: sqlite3.Connection | None = None
        self._tallies: Mapping[str, Tally] = MappingProxyType({})

    def tallies(self) -> Mapping[str, Tally]:
        """Per segment, the votes in force (a snapshot; see :meth:`refresh`)."""
        return self._tallies

    async def refresh(self) -> Mapping[str, Tally]:
        """Read the tallies from the file again (votes cast through other processes)."""
        tallies = await self._run(self._read_tallies)
        self._set_tallies(tallies)
        return tallies

    async def follow(self, interval_s: float) -> None:
        """Refresh the tallies every ``interval_s`` until cancelled; a failed read is logged."""
        while True:
            try:
                await self.refresh()
            except (sqlite3.Error, OSError) as e:
                log.error("review_read_failed", path=str(self.path), error=str(e))
            await asyncio.sleep(interval_s)

    async def assign(self, reviewer: str, offered: Iterable[Offered]) -> dict[str, Assignment]:
        """Each offered query's assignment for ``reviewer``, drawn at random the first time."""
        items = list(offered)
        return await self._run(self._assign, reviewer, items)

    async def vote(self, reviewer: str, item: str, choice: Choice) -> Vote | None:
        """Keep ``reviewer``'s vote on ``item``; None when the query was never offered to them."""
        kept = await self._run(self._vote, reviewer, item, choice)
        if kept is None:
            return None
        vote, tallies = kept
        self._set_tallies(tallies)
        if self.metrics is not None:
            self.metrics.votes.labels(vote.segment, vote.outcome).inc()
        return vote

    def close(self) -> None:
        """Close the file and stop the store's thread."""

        def _close() -> None:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

        self._executor.submit(_close).result()
        self._executor.shutdown(wait=True)

    async def _run(self, fn: Callable[..., T], *args: object) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, fn, *args)

    def _set_tallies(self, tallies: Mapping[str, Tally]) -> None:
        self._tallies = MappingProxyType(dict(tallies))
        if self.metrics is not None:
            for segment, tally in tallies.items():
                counts = (tally.wins, tally.losses, tally.ties, tally.both_bad)
                for outcome, count in zip(REVIEW_OUTCOMES, counts, strict=True):
                    self.metrics.tally.labels(segment, outcome).set(count)

    # ------------------------------------------------------------------ in the store's thread

    def _db(self) -> sqlite3.Connection:
        if self._conn is not None:
            return self._conn
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, FILE_MODE)
        except FileExistsError:
            mode = stat.S_IMODE(self.path.stat().st_mode)
            if mode & 0o077:
                self.path.chmod(FILE_MODE)
                log.warning("review_file_mode_narrowed", path=str(self.path), was=oct(mode))
        else:
            os.close(fd)
            fsync_dir(self.path.parent)
        conn = sqlite3.connect(self.path, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA busy_timeout=5000")
        conn.executescript(_SCHEMA)
        self._conn = conn
        return conn

    def _assign(self, reviewer: str, items: list[Offered]) -> dict[str, Assignment]:
        conn = self._db()
        found: dict[str, Assignment] = {}
        with _transaction(conn):
            for offered in items:
                row = conn.execute(
                    "SELECT a.new_side, v.choice, v.voted_at FROM assignments a LEFT JOIN votes v"
                    " ON v.reviewer = a.reviewer AND v.item = a.item"
                    " WHERE a.reviewer = ? AND a.item = ?",
                    (reviewer, offered.item),
                ).fetchone()
                if row is None:
                    side: Side = "left" if secrets.randbelow(2) == 0 else "right"
                    conn.execute(
                        "INSERT INTO assignments (reviewer, item, segment, route, new_side,"
                        " created_at) VALUES (?, ?, ?, ?, ?, ?)",
                        (reviewer, offered.item, offered.segment, offered.route, side, time.time()),
                    )
                    found[offered.item] = Assignment(side)
                else:
                    found[offered.item] = Assignment(
                        cast("Side", row[0]), cast("Choice | None", row[1]), row[2]
                    )
        return found

    def _vote(
        self, reviewer: str, item: str, choice: Choice
    ) -> tuple[Vote, dict[str, Tally]] | None:
        conn = self._db()
        with _transaction(conn):
            row = conn.execute(
                "SELECT a.segment, a.route, a.new_side, v.choice FROM assignments a LEFT JOIN"
                " votes v ON v.reviewer = a.reviewer AND v.item = a.item"
                " WHERE a.reviewer = ? AND a.item = ?",
                (reviewer, item),
            ).fetchone()
            if row is None:
                return None
            segment, route, new_side, previous = row
            outcome = outcome_of(choice, new_side)
            conn.execute(
                "INSERT INTO votes (reviewer, item, segment, route, choice, new_side, outcome,"
                " voted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (reviewer, item) DO UPDATE"
                " SET choice = excluded.choice, outcome = excluded.outcome,"
                " voted_at = excluded.voted_at",
                (reviewer, item, segment, route, choice, new_side, outcome, time.time()),
            )
        vote = Vote(item, segment, choice, new_side, outcome, previous)
        return vote, self._read_tallies()

    def _read_tallies(self) -> dict[str, Tally]:
        conn = self._db()
        counts: dict[str, dict[str, int]] = {}
        for segment, outcome, n in conn.execute(
            "SELECT segment, outcome, COUNT(*) FROM votes GROUP BY segment, outcome"
        ):
            counts.setdefault(segment, {})[outcome] = n
        return {
            segment: Tally(
                wins=c.get("win", 0),
                losses=c.get("loss", 0),
                ties=c.get("tie", 0),
                both_bad=c.get("both_bad", 0),
            )
            for segment, c in sorted(counts.items())
        }


@contextlib.contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """One write transaction (BEGIN IMMEDIATE: other processes wait, none is half-read)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
