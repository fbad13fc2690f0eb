"""The gate: a per-segment verdict from a window of figures (this process's counters or PromQL).

May import :mod:`proxy.thresholds` and the leaf modules; never :mod:`proxy.flip`.
"""
