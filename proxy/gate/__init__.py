"""The gate: a per-segment verdict on quality and index health from a window of figures.

Owns the verdict (:mod:`~proxy.gate.verdict`, pure) and its criteria (:mod:`~proxy.gate.quality`,
:mod:`~proxy.gate.health`, :mod:`~proxy.gate.traffic`, :mod:`~proxy.gate.review`; the bounds
they decide on in :mod:`~proxy.gate.stats`), the counter window, the Prometheus source and the
monitor that publishes verdicts. It reads what the calibrator published (the thresholds
document's evidence) and judges; it never changes the mode.

May import: proxy.config, proxy.logs, proxy.metrics, proxy.thresholds.
"""
