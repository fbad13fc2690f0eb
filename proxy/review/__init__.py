"""People judge divergent queries: the review page, its API, and the votes it keeps.

- :mod:`~proxy.review.store`: the votes in SQLite (one per reviewer and query, mode 0600),
  which side was new for each reviewer and query (kept by the server only), and each
  segment's :class:`~proxy.review.tally.Tally` that the gate reads
  (``ReviewStore.tallies()``).
- :mod:`~proxy.review.queue`: the queries offered, from the divergent-examples store, blind:
  old and new as left and right at random, with no score or side name until the vote is kept.
- :mod:`~proxy.review.capture`: what people need to judge, kept with an example when
  ``[review].store_text`` is on: the query's text and each result's text.
- :mod:`~proxy.review.routes`: the page and its API on the admin listener.
- ``assets/``: the page (HTML, CSS, JavaScript; no inline script, no third-party code).

The criterion the gate draws from the votes is :mod:`proxy.gate.review` (pure).

May import: proxy.compare, proxy.gate, proxy.shadow (the query text of a request),
proxy.adapters, proxy.config, proxy.errors, proxy.files, proxy.jsondoc, proxy.logs,
proxy.metrics.
"""
