"""embedshift's sidecar: a shadow proxy in front of a search service.

The lean, always-deployed side of embedshift: aiohttp, prometheus-client and structlog,
no numpy, no faiss, and no import of :mod:`calibrator` (which imports this package for the
parts both sides share: config loading, the thresholds contract, logging set-up).
"""

__version__ = "0.1.0"
