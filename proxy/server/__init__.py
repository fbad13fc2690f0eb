"""The sidecar's life-cycle: build the applications, start and stop them, reload the config.

Owns the long-lived state of a running sidecar (upstream clients, background tasks, the loop-lag
monitor, the calibrator worker child). May import every other part of :mod:`proxy`; nothing in
:mod:`proxy` imports it except :mod:`proxy.commands`.
"""
