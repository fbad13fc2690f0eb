"""Which index answers search requests: shadow, canary or flipped.

- ``shadow`` (the default): the old index answers, the new one is mirrored.
- ``canary`` with ``percent`` p: p% of search requests are answered by the new index and
  mirrored to the old one, the rest as in shadow. The share is consistent: a request's key
  (``[modes].canary_key``, else ``[shadow].sample_key``: a header, a JSON value or the body) is
  hashed, salted apart from the sampling hash so that canary and sampling stay independent, and
  one key always gets the same side for a given p (and keeps it as p grows). A request without
  the key is drawn at random.
- ``flipped``: the new index answers every search, the old one is mirrored, so the comparison
  goes on and a rollback is informed. Rollback is a change back to ``shadow``, at once.

Passthrough (every request that is not a configured search: writes, collection management,
health) always goes to the old upstream, in every mode. Such requests speak the old index's
language (old-model vectors, old collection names): sending them to the new index would put
old-model vectors into it, and would leave the old index behind, making a rollback lossy. The
new index is filled by the migration's own pipeline (``embedshift reembed``, a dual write),
and the application moves its writes when the migration ends, not when the gate opens.

A search answered by the new index is rewritten for it as the shadow request would be
(collection map, query re-embedded by the new model; :mod:`proxy.shadow.rewrite`); the client's
request goes unchanged to the old index as the mirror.

Every accepted change gets the next *generation* number and is persisted with its audit row
(:mod:`proxy.flip.audit`), so the mode survives a restart. Processes sharing the file (one per core
behind one listener) follow it: each re-reads the stored mode every
``[modes].poll_interval_s`` and adopts a newer generation, so a change made through one
process's admin API reaches the others within that interval. A change applies to requests that start
after it: a request reads :attr:`ModeController.current` once, first thing, and keeps that
:class:`Assignment`; nothing in flight is touched. The read is a plain attribute access; a
canary adds one hash.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from proxy.config.schema import Config, SampleKey
from proxy.flip.audit import AuditEntry, AuditLog, ModeConflictError, StoredMode
from proxy.logs import get_logger
from proxy.metrics import FlipMetrics
from proxy.shadow.admit import sample_hash, sample_key_bytes

log = get_logger("modes")
Mode = Literal["shadow", "canary", "flipped"]
MODES: tuple[Mode, ...] = ("shadow", "canary", "flipped")
_CANARY_SALT = b"embedshift-canary\x00"


@dataclass(frozen=True, slots=True)
class ModeState:
    """A mode and its generation (``percent`` is the canary's, 0 otherwise)."""

    mode: Mode = "shadow"
    percent: float = 0.0
    generation: int = 0
    changed_at: float = 0.0

    @property
    def new_share(self) -> float:
        """Percent of search requests the new index answers."""
        return {"shadow": 0.0, "canary": self.percent, "flipped": 100.0}[self.mode]

    def describe(self) -> str:
        """``shadow``, ``canary 10%`` or ``flipped``."""
        return f"canary {self.percent:g}%" if self.mode == "canary" else self.mode

    def as_json(self) -> dict[str, Any]:
        """The state as the admin API shows it."""
        return {
            "mode": self.mode,
            "percent": self.new_share,
            "generation": self.generation,
            "changed_at": self.changed_at,
        }


def canary_draw(key: bytes) -> float:
    """A stable number in [0, 1) for ``key``, independent of the sampling hash."""
    return sample_hash(_CANARY_SALT + key)


def canary_key(config: Config) -> SampleKey | None:
    """What a canary hashes: ``[modes].canary_key``, else ``[shadow].sample_key``."""
    return config.modes.canary_key or config.shadow.sample_key


@dataclass(frozen=True, slots=True)
class Assignment:
    """What a request reads to pick its side: the state, as a share, and the canary key."""

    state: ModeState
    fraction: float
    key: SampleKey | None

    def new_answers(self, headers: Mapping[str, str], body: bytes) -> bool:
        """Whether the new index answers this search request."""
        fraction = self.fraction
        if fraction <= 0.0:
            return False
        if fraction >= 1.0:
            return True
        raw = sample_key_bytes(self.key, headers, body) if self.key is not None else None
        draw = canary_draw(raw) if raw is not None else random.random()
        return draw < fraction


class ModeController:
    """The mode in force: read by requests, changed under a lock, persisted with its audit."""

    def __init__(
        self,
        audit: AuditLog,
        metrics: FlipMetrics,
        key: SampleKey | None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """Load the persisted mode (shadow, generation 0, when there is none)."""
        self.audit = audit
        self.metrics = metrics
        self.clock = clock
        self.lock = asyncio.Lock()  # one change at a time (gate check, persist, swap)
        self.current = self._assignment(ModeState(), key)
        self._show(self.current.state)
        self.adopt(audit.load_mode())

    @property
    def state(self) -> ModeState:
        """The mode in force."""
        return self.current.state

    def set_key(self, key: SampleKey | None) -> None:
        """A reloaded config's canary key (same mode and generation)."""
        self.current = self._assignment(self.current.state, key)

    def adopt(self, stored: StoredMode | None) -> bool:
        """Put a stored mode in force if it is newer than the one in force; True if it was."""
        if stored is None or stored.mode not in MODES:
            return False
        if stored.generation <= self.current.state.generation:
            return False
        mode: Mode = stored.mode
        state = ModeState(mode, stored.percent, stored.generation, stored.changed_at)
        self.current = self._assignment(state, self.current.key)
        self._show(state)
        return True

    async def refresh(self) -> bool:
        """Adopt the stored mode if another process changed it; True if it did."""
        return self.adopt(await asyncio.to_thread(self.audit.load_mode))

    async def follow(self, interval_s: Callable[[], float]) -> None:
        """Re-read the stored mode every ``interval_s()`` until cancelled (shared files)."""
        while True:
            await asyncio.sleep(interval_s())
            try:
                async with self.lock:
                    if await self.refresh():
                        log.info("mode_adopted", **self.state.as_json())
            except asyncio.CancelledError:
                raise
            except Exception as e:  # a failed read is retried at the next round
                log.error("mode_refresh_failed", error=repr(e))

    async def change(
        self,
        mode: Mode,
        percent: float,
        *,
        actor: str,
        reason: str,
        forced: bool,
        gate: dict[str, Any],
    ) -> AuditEntry:
        """Persist and audit the change, then put it in force; the caller holds :attr:`lock`.

        ``actor`` is the name of the token that asked (or ``automatic-promotion``).

        The change is made from the mode in force *now*, the one the caller read and judged
        (the gate, "does this raise the new index's share?") while holding :attr:`lock`; it is
        never rebased on a mode stored since. Persisting comes first and commits only if the
        stored generation is still that mode's: when another process sharing the state file
        changed the mode meanwhile, the newer mode is adopted and
        :class:`~proxy.flip.audit.ModeConflictError` raised, so the caller judges again
        against it (a rollback made by another process is never silently undone by a change
        that was judged against the mode before it).
        """
        before = self.current.state
        after = ModeState(
            mode, percent if mode == "canary" else 0.0, before.generation + 1, self.clock()
        )
        entry = AuditEntry(
            at=after.changed_at,
            token=actor,
            from_mode=before.mode,
            from_percent=before.new_share,
            to_mode=after.mode,
            to_percent=after.new_share,
            generation=after.generation,
            reason=reason,
            forced=forced,
            gate=gate,
        )
        try:
            await asyncio.to_thread(self.audit.commit, entry)
        except ModeConflictError:
            await self.refresh()  # show the mode that won; the caller decides again
            raise
        self.current = self._assignment(after, self.current.key)
        self._show(after)
        return entry

    @staticmethod
    def _assignment(state: ModeState, key: SampleKey | None) -> Assignment:
        return Assignment(state, state.new_share / 100.0, key)

    def _show(self, state: ModeState) -> None:
        for mode in MODES:
            self.metrics.mode.labels(mode).set(1 if mode == state.mode else 0)
        self.metrics.canary_percent.set(state.new_share)
        self.metrics.generation.set(state.generation)
