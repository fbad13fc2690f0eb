"""The new index's health, checked beside the comparisons: ids looked up by id.

Owns :mod:`~proxy.health.coverage` (for a sample of compared searches, the old side's result
ids looked up in the new index through the route adapter's get-by-id call; bounded, off the
request path, counted for the gate's ``new_index_coverage``).

May import: proxy.adapters, proxy.config, proxy.errors, proxy.jsondoc, proxy.logs,
proxy.metrics, proxy.tasks, proxy.upstream.
"""
