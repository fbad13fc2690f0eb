"""embedshift's sidecar: a shadow proxy in front of a search service.

The lean, always-deployed side of embedshift: aiohttp, prometheus-client and structlog,
no numpy, no faiss, and no import of :mod:`calibrator` (which imports this package for the
parts both sides share: config loading, the thresholds contract, logging set-up, the
embeddings client, atomic files). Its parts are packages named for what they do
(docs/architecture.md draws them): ``server`` (life-cycle), ``search`` (one request),
``upstream``, ``shadow``, ``compare``, ``flip``, ``gate``, ``admin``, ``thresholds``,
``config``, ``adapters``, ``embeddings``; beside them a few leaf modules (``errors``, ``logs``,
``metrics``, ``tasks``, ``jsondoc``, ``files``) and the command line (``cli``, ``commands``).
Each part's docstring says what it may import; ``tests/test_architecture.py`` holds them to it.

May import: nothing of proxy.
"""

__version__ = "0.1.0"
