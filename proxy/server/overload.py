"""Event-loop lag: the proxy's own overload signal, so the shadow sheds before clients suffer.

A timer that should fire every ``interval_s`` measures how late it runs. When the lag exceeds
the configured bound the proxy is busier than it can afford, and new shadow work is dropped
(outcome ``dropped_overload``) until the lag falls again.
"""

from __future__ import annotations

import asyncio
import time

from prometheus_client import Gauge


class LoopLagMonitor:
    """Measures event-loop lag; ``overloaded`` is read on the hot path (a plain attribute)."""

    def __init__(self, max_lag_s: float, gauge: Gauge, interval_s: float = 0.02) -> None:
        """``max_lag_s``: lag above which the loop counts as overloaded."""
        self.max_lag_s = max_lag_s
        self.interval_s = interval_s
        self.gauge = gauge
        self.lag_s = 0.0
        self.overloaded = False

    async def run(self) -> None:
        """Measure until cancelled."""
        while True:
            start = time.perf_counter()
            await asyncio.sleep(self.interval_s)
            self.observe(time.perf_counter() - start - self.interval_s)

    def observe(self, lag_s: float) -> None:
        """Record one measured lag and update the overload flag."""
        self.lag_s = max(0.0, lag_s)
        self.overloaded = self.lag_s > self.max_lag_s
        self.gauge.set(self.lag_s)
