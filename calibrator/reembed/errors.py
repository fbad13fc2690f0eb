"""Errors of the batch tools (``reembed``, ``merge``, ``sample``).

::

    EmbedshiftError                 (proxy.errors) anything reported to a user
     +-- ConfigError                (proxy.errors) a bad option: exit status 2
     +-- EmbeddingError             (proxy.errors) the embeddings API failed or answered wrongly
     +-- BatchToolError
          +-- SourceError           the source file has bad lines: each named by file and line
          +-- ResumeError           a checkpoint or partial output does not fit this command
          +-- BatchFailedError      a batch could not be embedded: names the batch and chunk ids
          +-- MergeError            shard outputs do not cover the source exactly once
          +-- RunStoppedError       SIGINT/SIGTERM stopped a run after a last checkpoint (130)

Every message says how to fix things (rerun with the same options, delete the checkpoint,
``--skip-invalid``...). A run that stops for any of them leaves output and checkpoint
consistent: rerunning the same command resumes where the last checkpoint was taken.
"""

from __future__ import annotations

from proxy.errors import EmbedshiftError


class BatchToolError(EmbedshiftError):
    """Base of the batch tools' own errors."""


class SourceError(BatchToolError):
    """The source JSONL has problems; the message lists them with file and line."""


class ResumeError(BatchToolError):
    """The checkpoint or partial output was made by another command, or was tampered with."""


class BatchFailedError(BatchToolError):
    """A batch failed for good; the message names the batch and its chunk ids."""


class MergeError(BatchToolError):
    """Shard outputs are missing, extra, from another source, or out of step with it."""


class RunStoppedError(BatchToolError):
    """A signal stopped the run; the finished batches were checkpointed first."""

    exit_status = 130
