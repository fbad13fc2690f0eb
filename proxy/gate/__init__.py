"""The gate: a per-segment verdict from a window of figures (this process's counters or PromQL).

Owns the verdict maths (:mod:`~proxy.gate.verdict`, pure), the counter window, the Prometheus
source and the monitor that publishes verdicts. It judges; it never changes the mode.

May import: proxy.config, proxy.logs, proxy.metrics.
"""
