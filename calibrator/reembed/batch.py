"""Embedding one batch of chunks, and setting aside the chunks a provider refuses.

A batch goes to the API as one call (rate-limited and retried by the client). What can
happen next:

* success: one vector per chunk;
* a refusal about the inputs (a 4xx such as "input too long") without ``--skip-invalid``:
  :class:`BatchFailedError` naming the batch and its chunk ids, and how to go on;
* the same with ``--skip-invalid``: the batch is bisected, halves re-sent, until each
  refused chunk is alone; only those are recorded as :class:`FailedItem` (id, line, status,
  the server's message), the rest are embedded. A batch with one bad chunk in 512 costs
  about 2 * log2(512) = 18 extra calls;
* a refusal about the caller (401, 403, 404: key, model, URL) or retries exhausted:
  :class:`BatchFailedError`, naming the chunks the last bad answer was about, if any.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from calibrator.reembed.errors import BatchFailedError
from calibrator.reembed.source import Chunk
from proxy.embeddings import EmbeddingRejectedError, EmbeddingsClient, InvalidAnswerError
from proxy.errors import EmbeddingError

_IDS_SHOWN = 3


@dataclass(frozen=True, slots=True)
class FailedItem:
    """A chunk the provider refused, as written to the failed-items file."""

    chunk: Chunk
    status: int
    message: str

    def to_line(self) -> bytes:
        """One JSON line: id, line, status, message."""
        doc = {
            "id": self.chunk.id,
            "line": self.chunk.line,
            "status": self.status,
            "message": self.message,
        }
        return json.dumps(doc, ensure_ascii=False).encode() + b"\n"


@dataclass(frozen=True, slots=True)
class BatchResult:
    """A finished batch: a vector per chunk (None for a failed one) and the failures."""

    seq: int
    chunks: tuple[Chunk, ...]
    vectors: tuple[list[float] | None, ...]
    failed: tuple[FailedItem, ...]
    prompt_tokens: int


def describe(seq: int, chunks: Sequence[Chunk]) -> str:
    """``batch 12 (lines 1001-1500; ids 'a', 'b', 'c' and 497 more)``."""
    ids = ", ".join(repr(c.id) for c in chunks[:_IDS_SHOWN])
    more = len(chunks) - _IDS_SHOWN
    ids += f" and {more} more" if more > 0 else ""
    lines = (
        f"line {chunks[0].line}"
        if len(chunks) == 1
        else (f"lines {chunks[0].line}-{chunks[-1].line}")
    )
    return f"batch {seq} ({lines}; id{'s' if len(chunks) > 1 else ''} {ids})"


def apply_template(template: str, text: str) -> str:
    """``template`` with ``{text}`` replaced (other braces are left alone)."""
    return template.replace("{text}", text)


class BatchEmbedder:
    """Turns batches of chunks into :class:`BatchResult` through one client."""

    def __init__(self, client: EmbeddingsClient, template: str, skip_invalid: bool) -> None:
        """``template`` wraps each text; ``skip_invalid`` bisects refused batches."""
        self.client = client
        self.template = template
        self.skip_invalid = skip_invalid

    async def embed(self, seq: int, chunks: Sequence[Chunk]) -> BatchResult:
        """Embed a batch; raises :class:`BatchFailedError` when it cannot be done."""
        try:
            vectors, failed, tokens = await self._embed(chunks)
        except EmbeddingRejectedError as e:
            hint = ""
            if e.about_inputs and len(chunks) > 1:
                hint = " Rerun with --skip-invalid to set refused chunks aside and go on."
            raise BatchFailedError(
                f"{describe(seq, chunks)} was refused with {e.status}: {e.server_message}.{hint}"
            ) from e
        except EmbeddingError as e:
            cause = e.__cause__
            about = ""
            if isinstance(cause, InvalidAnswerError) and cause.positions:
                named = [chunks[p] for p in cause.positions if p < len(chunks)]
                about = "; chunks concerned: " + ", ".join(
                    f"id {c.id!r} (line {c.line})" for c in named[:_IDS_SHOWN]
                )
            raise BatchFailedError(f"{describe(seq, chunks)} failed: {e}{about}") from e
        return BatchResult(seq, tuple(chunks), tuple(vectors), tuple(failed), tokens)

    async def _embed(
        self, chunks: Sequence[Chunk]
    ) -> tuple[list[list[float] | None], list[FailedItem], int]:
        texts = [apply_template(self.template, c.text) for c in chunks]
        try:
            result = await self.client.embed(texts)
        except EmbeddingRejectedError as e:
            if not (self.skip_invalid and e.about_inputs):
                raise
            if len(chunks) == 1:
                return [None], [FailedItem(chunks[0], e.status, e.server_message)], 0
            middle = len(chunks) // 2
            left = await self._embed(chunks[:middle])
            right = await self._embed(chunks[middle:])
            return left[0] + right[0], left[1] + right[1], left[2] + right[2]
        return list(result.vectors), [], result.prompt_tokens or 0
