"""The audit log of mode changes, and the mode in force, in one SQLite file.

Every accepted change (by the admin API or by automatic promotion) is one row: when, which
token (by name, never its value), from which mode to which, the reason, whether the gate was
overridden (``force``), and the gate's verdicts at that moment. Nothing else is written here:
refused calls (401, 400, 409) and no-op calls leave no row.

The mode in force lives in the same file (table ``mode``, one row), written in the same
transaction as its audit row: the persisted mode and the log can never disagree, and a change
is either both recorded and in force or neither. SQLite rather than a JSON file for that
reason; the file is small and written only on changes. Each change is also logged
(``mode_changed``) with the same fields.

Several sidecar processes may share one file (``[proxy].reuse_port``: one process per core
behind one listener). A change commits only if the stored generation is the one it was made
from (:class:`ModeConflictError` otherwise), and every process follows the stored mode
(:meth:`proxy.flip.modes.ModeController.follow`), so they converge on one mode.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from proxy.errors import ConfigError
from proxy.files import create_private
from proxy.logs import get_logger

log = get_logger("audit")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at REAL NOT NULL,
    token TEXT NOT NULL,
    from_mode TEXT NOT NULL,
    from_percent REAL NOT NULL,
    to_mode TEXT NOT NULL,
    to_percent REAL NOT NULL,
    generation INTEGER NOT NULL,
    reason TEXT NOT NULL,
    forced INTEGER NOT NULL,
    gate TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS mode (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    mode TEXT NOT NULL,
    percent REAL NOT NULL,
    generation INTEGER NOT NULL,
    changed_at REAL NOT NULL
);
"""


class ModeConflictError(Exception):
    """The stored mode moved on (another process changed it) since the change was made."""


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One accepted mode change."""

    at: float
    token: str
    from_mode: str
    from_percent: float
    to_mode: str
    to_percent: float
    generation: int
    reason: str
    forced: bool
    gate: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        """The entry as the admin API lists it (``at`` also as ISO 8601 UTC)."""
        out = asdict(self)
        out["at_iso"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.at))
        return out


@dataclass(frozen=True, slots=True)
class StoredMode:
    """The mode row as persisted."""

    mode: str
    percent: float
    generation: int
    changed_at: float


class AuditLog:
    """The SQLite file of ``[modes].state_path``; safe to call from worker threads."""

    def __init__(self, path: str | Path) -> None:
        """Open (creating the file and its folder when needed); ConfigError when impossible."""
        self.path = Path(path)
        try:
            create_private(self.path)  # 0o600; SQLite gives its journal the same mode
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as e:
            msg = f"[modes].state_path: cannot open the mode and audit database {self.path}: {e}"
            raise ConfigError(msg) from e
        self._lock = threading.Lock()

    def load_mode(self) -> StoredMode | None:
        """The persisted mode, or None before the first change."""
        with self._lock:
            row = self._db.execute(
                "SELECT mode, percent, generation, changed_at FROM mode WHERE id = 1"
            ).fetchone()
        return None if row is None else StoredMode(*row)

    def commit(self, entry: AuditEntry) -> None:
        """Record ``entry`` and make its target the persisted mode, in one transaction.

        :class:`ModeConflictError` when the stored generation is not ``entry.generation - 1``.
        """
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._check_generation(entry.generation - 1)
                self._db.execute(
                    "INSERT INTO audit (at, token, from_mode, from_percent, to_mode, to_percent, "
                    "generation, reason, forced, gate) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        entry.at, entry.token, entry.from_mode, entry.from_percent,
                        entry.to_mode, entry.to_percent, entry.generation, entry.reason,
                        int(entry.forced), json.dumps(entry.gate, sort_keys=True),
                    ),
                )  # fmt: skip
                self._db.execute(
                    "INSERT OR REPLACE INTO mode (id, mode, percent, generation, changed_at) "
                    "VALUES (1, ?, ?, ?, ?)",
                    (entry.to_mode, entry.to_percent, entry.generation, entry.at),
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        verdicts = {s: v.get("verdict") for s, v in entry.gate.get("segments", {}).items()}
        log.info(
            "mode_changed",
            token=entry.token,
            from_mode=entry.from_mode,
            from_percent=entry.from_percent,
            to_mode=entry.to_mode,
            to_percent=entry.to_percent,
            generation=entry.generation,
            reason=entry.reason,
            forced=entry.forced,
            gate=verdicts,
        )

    def _check_generation(self, expected: int) -> None:
        row = self._db.execute("SELECT generation FROM mode WHERE id = 1").fetchone()
        stored = 0 if row is None else int(row[0])
        if stored != expected:
            msg = (
                f"the mode changed meanwhile (generation {stored} is stored, the change was "
                f"made from {expected}): look again and retry"
            )
            raise ModeConflictError(msg)

    def entries(self, limit: int = 100) -> list[AuditEntry]:
        """The most recent ``limit`` changes, newest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT at, token, from_mode, from_percent, to_mode, to_percent, generation, "
                "reason, forced, gate FROM audit ORDER BY id DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [
            AuditEntry(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], bool(r[8]), json.loads(r[9]))
            for r in rows
        ]

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()
