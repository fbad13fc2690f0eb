"""Event-loop lag: the sidecar's own overload signal, read by shadow admission."""

from __future__ import annotations

import asyncio
import time

from prometheus_client import CollectorRegistry, Gauge

from proxy.server.overload import LoopLagMonitor


def _monitor(max_lag_s: float) -> tuple[LoopLagMonitor, CollectorRegistry]:
    registry = CollectorRegistry()
    gauge = Gauge("embedshift_event_loop_lag_seconds", "lag", registry=registry)
    return LoopLagMonitor(max_lag_s, gauge), registry


def test_a_lag_above_the_bound_is_overload_and_below_it_is_not():
    """The flag follows each measured lag; the gauge shows it; a negative lag reads as 0."""
    monitor, registry = _monitor(0.05)
    monitor.observe(0.2)
    assert monitor.overloaded
    assert registry.get_sample_value("embedshift_event_loop_lag_seconds") == 0.2
    monitor.observe(0.01)
    assert not monitor.overloaded
    monitor.observe(-0.001)  # a timer that fired early
    assert monitor.lag_s == 0.0
    assert registry.get_sample_value("embedshift_event_loop_lag_seconds") == 0.0


async def test_a_blocked_loop_is_measured_as_overload():
    """Blocking the loop longer than the bound makes the running monitor report overload.

    No timing is asserted: a loop blocked for 0.3 s runs the monitor's timer at least 0.28 s
    late, however busy the machine, and that timer is due before the test's own wake-up.
    """
    monitor, _ = _monitor(0.1)
    task = asyncio.create_task(monitor.run())
    try:
        await asyncio.sleep(0)  # the monitor's timer is armed
        time.sleep(0.3)  # noqa: ASYNC251 - blocking the loop on purpose
        await asyncio.sleep(0.001)  # the monitor, due first, has measured by now
        assert monitor.overloaded
        assert monitor.lag_s >= 0.1
    finally:
        task.cancel()
