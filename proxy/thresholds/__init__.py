"""The thresholds document (the contract the calibrator publishes) and its hot reload.

:mod:`~proxy.thresholds.document` is stdlib-only, shared with :mod:`calibrator`.
"""
