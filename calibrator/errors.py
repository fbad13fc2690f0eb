"""The calibrator's exceptions (they extend :mod:`proxy.errors`, so the CLI prints them).

::

    EmbedshiftError                 (proxy.errors) anything reported to a user
     +-- InputError                 an input is malformed or missing: names the file and line
     |                              (eval set, qrels, chunk sample, doc segments, vectors dir)
     +-- CalibrationError           the inputs are well formed but cannot be calibrated as asked
     |                              (too few labelled queries, a segment lost its labels, ...)
     +-- PublishError               the thresholds document or the report cannot be written
     +-- EmbeddingError             (proxy.errors) the embeddings API failed; gave up
     +-- MissingExtraError          a subcommand's extra is not installed (exit status 2)

A failure of any kind leaves the last published thresholds document untouched. A leaf module:
any package of :mod:`calibrator` may import it; it imports :mod:`proxy.errors` only.
"""

from __future__ import annotations

from proxy.errors import EmbedshiftError


class InputError(EmbedshiftError):
    """An input file is missing or malformed; the message names the file and the line."""


class CalibrationError(EmbedshiftError):
    """The inputs are valid but do not support the calibration asked for."""


class PublishError(EmbedshiftError):
    """A thresholds document, status file or report could not be written."""


class MissingExtraError(EmbedshiftError):
    """A subcommand needs an extra that is not installed; the message says how to add it."""

    exit_status = 2
