"""Admission: the sample first, then overload, in-flight and rate bounds, each refusal counted."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry

from proxy.config.schema import SampleKey, ShadowSection
from proxy.metrics import ProxyMetrics
from proxy.shadow.admit import Admission, sample_hash, sample_key_bytes


class Load:
    """An overload flag a test sets (the sidecar's is the loop-lag monitor's)."""

    overloaded = False


@pytest.fixture
def admit():
    """Builds (admission, outcome reader) for shadow settings and a number in flight."""

    def make(in_flight: int = 0, load: Load | None = None, **settings):
        registry = CollectorRegistry()
        bound = ProxyMetrics(registry).for_route("search", "docs")
        admission = Admission(ShadowSection(**settings), load or Load(), range(in_flight))

        def outcome(name: str) -> float:
            labels = {"route": "search", "segment": "docs", "outcome": name}
            return registry.get_sample_value("embedshift_shadow_requests_total", labels) or 0.0

        return (
            lambda headers=None, body=b"{}": admission.admit(bound, headers or {}, body)
        ), outcome

    return make


def test_sampled_out_comes_before_any_bound(admit):
    """Sample rate 0 with every bound hit: counted as sampled_out, nothing else."""
    load = Load()
    load.overloaded = True
    decide, outcome = admit(in_flight=10, load=load, sample_rate=0.0, max_in_flight=1)
    assert decide() is False
    assert outcome("sampled_out") == 1
    assert outcome("dropped_overload") == outcome("dropped_saturated") == 0


def test_overload_then_saturation_then_rate(admit):
    """Each bound refuses in its turn and counts its own outcome."""
    load = Load()
    load.overloaded = True
    decide, outcome = admit(in_flight=1, load=load, max_in_flight=1)
    assert decide() is False
    assert outcome("dropped_overload") == 1
    load.overloaded = False
    assert decide() is False
    assert outcome("dropped_saturated") == 1
    decide, outcome = admit(max_rps=2.0)
    assert [decide() for _ in range(3)] == [True, True, False]
    assert outcome("dropped_rate_limited") == 1


def test_consistent_sampling_follows_the_key(admit):
    """With a sample key, one key's requests are all mirrored or all sampled out."""
    decide, _ = admit(sample_rate=0.5, sample_key=SampleKey(header="X-User"), max_rps=1e6)
    for user in range(20):
        first = decide({"X-User": f"u{user}"})
        assert all(decide({"X-User": f"u{user}"}) == first for _ in range(5))


def test_the_sample_key_reads_a_header_a_json_value_or_the_body():
    """What consistent sampling hashes; None when the request lacks it."""
    assert sample_key_bytes(SampleKey(header="X-User"), {"X-User": "ann"}, b"") == b"ann"
    assert sample_key_bytes(SampleKey(header="X-User"), {}, b"") is None
    body = b'{"user": {"id": 7}}'
    assert sample_key_bytes(SampleKey(json="/user/id"), {}, body) == b"7"
    assert sample_key_bytes(SampleKey(json="/nope"), {}, body) is None
    assert sample_key_bytes(SampleKey(body=True), {}, body) == body
    assert 0.0 <= sample_hash(b"ann") < 1.0
    assert sample_hash(b"ann") == sample_hash(b"ann")
