"""The thresholds document (the contract the calibrator publishes) and its hot reload.

Owns :mod:`~proxy.thresholds.document` (the document's shape, reading and writing; stdlib and
the config's validation helper only, shared with :mod:`calibrator`; the evidence beside each
threshold in :mod:`~proxy.thresholds.evidence` and :mod:`~proxy.thresholds.scoremap`, their
value checks in :mod:`~proxy.thresholds.fields`) and
:mod:`~proxy.thresholds.watch` (the thresholds in force, re-read when the file changes, and the
calibrator's status file read for freshness metrics).

May import: proxy.config, proxy.errors, proxy.logs.
"""
