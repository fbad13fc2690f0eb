"""``--shard I/N``: a deterministic split of the source into N disjoint parts.

A chunk belongs to shard ``blake2b64(str(id)) mod N``: the same on every machine, in every
run and whatever the order of the file, so N pods of a Kubernetes Indexed Job (each with its
own ``JOB_COMPLETION_INDEX``) embed every chunk exactly once between them without talking
to each other, and ``embedshift merge`` can tell, for each source line, which part holds it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from calibrator.reembed.source import id_hash
from proxy.errors import ConfigError

_SPEC = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


@dataclass(frozen=True, slots=True)
class Shard:
    """Shard ``index`` of ``count`` (0-based index, as ``JOB_COMPLETION_INDEX`` is)."""

    index: int = 0
    count: int = 1

    @classmethod
    def parse(cls, text: str, option: str = "--shard") -> Shard:
        """Parse ``I/N`` with ``0 <= I < N``; a :class:`ConfigError` names the option."""
        match = _SPEC.match(text)
        if match is None:
            raise ConfigError(f"{option} must look like I/N (e.g. 0/4), got {text!r}")
        index, count = int(match.group(1)), int(match.group(2))
        if count < 1 or not 0 <= index < count:
            raise ConfigError(f"{option} {text}: the index must be in 0..N-1 and N at least 1")
        return cls(index, count)

    def __str__(self) -> str:
        """``I/N``."""
        return f"{self.index}/{self.count}"

    @property
    def whole(self) -> bool:
        """True for ``0/1``: no split."""
        return self.count == 1

    def holds(self, key: str) -> bool:
        """Whether the chunk with id ``key`` belongs to this shard."""
        return self.count == 1 or shard_of(key, self.count) == self.index


def shard_of(key: str, count: int) -> int:
    """The shard (of ``count``) that the chunk with id ``key`` belongs to."""
    return id_hash(key) % count
