"""Comparing both indexes' answers: divergence metrics, recording the figures, examples.

Owns the divergence maths (:mod:`~proxy.compare.divergence`, pure), the one place a mirrored
search is compared (:mod:`~proxy.compare.record`) and the divergent-examples store
(:mod:`~proxy.compare.examples`, its SQLite file).

May import: proxy.adapters, proxy.thresholds, proxy.config, proxy.errors, proxy.jsondoc,
proxy.files, proxy.logs, proxy.metrics.
"""
