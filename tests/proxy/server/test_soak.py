"""Sustained load: 10,000 searches at 500 per second, every one mirrored and compared."""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.support.backends import start_backend, stop_process
from tests.support.sidecar import Sidecar, qdrant_config, wait_until

BODY = '{"vector": [0.1, 0.2, 0.3], "limit": 10}'
SHADOW_REQUESTS = "embedshift_shadow_requests_total"


def hey(hey_bin, url, n, rate_per_worker, workers=10):
    """Run hey; returns {status: count} and the error lines."""
    result = subprocess.run(
        [hey_bin, "-n", str(n), "-c", str(workers), "-q", str(rate_per_worker), "-m", "POST",
         "-H", "X-Segment: docs", "-T", "application/json", "-d", BODY, url],
        capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    statuses = {
        int(code): int(count)
        for code, count in re.findall(r"\[(\d{3})\]\s+(\d+) responses", result.stdout)
    }
    errors = (
        result.stdout.split("Error distribution:")[1].strip()
        if "Error distribution:" in result.stdout
        else ""
    )
    return statuses, errors


@pytest.mark.slow
def test_ten_thousand_requests_no_errors_and_flat_memory(tmp_path, hey_bin):
    """No client error over 10,000 requests at 500/s; RSS at the end <= 1.5x RSS after 1,000."""
    old_url, old = start_backend("old", tmp_path)
    new_url, new = start_backend("new", tmp_path, shift=2)
    config = qdrant_config(old_url, new_url, "[shadow]\nmax_rps = 1000\n")
    sidecar = Sidecar(tmp_path, config).start()
    url = f"{sidecar.url}/collections/docs/points/search"
    try:
        statuses, errors = hey(hey_bin, url, 1000, 50)
        assert statuses == {200: 1000}, errors
        rss_after_first_thousand = sidecar.rss_bytes()
        statuses, errors = hey(hey_bin, url, 9000, 50)
        assert statuses == {200: 9000}, errors
        rss_at_end = sidecar.rss_bytes()
        assert wait_until(lambda: sidecar.metric("embedshift_shadow_in_flight") == 0.0)
        compared = sidecar.metric(
            "embedshift_shadow_requests_total", outcome="compared", segment="docs"
        )
        outcomes = {
            outcome: sidecar.metric(
                "embedshift_shadow_requests_total", outcome=outcome, segment="docs"
            )
            for outcome in (
                "compared",
                "dropped_saturated",
                "dropped_rate_limited",
                "dropped_overload",
                "shadow_error",
                "shadow_timeout",
            )
        }
    finally:
        assert sidecar.stop() == 0
        stop_process(old)
        stop_process(new)
    mib = 2**20
    first, end = rss_after_first_thousand / mib, rss_at_end / mib
    print(f"RSS after 1,000: {first:.1f} MiB; after 10,000: {end:.1f} MiB")
    print(f"outcomes: {outcomes}")
    assert rss_at_end <= 1.5 * rss_after_first_thousand
    assert sum(v or 0 for v in outcomes.values()) == 10_000  # every request has one outcome
    assert compared is not None
    assert compared >= 9_000  # the bounds may drop a few under load; the shadow keeps up
