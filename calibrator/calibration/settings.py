"""What a calibration is asked to do: the settings, and the old model it is compared with."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from calibrator.inputs.vectors import Vectors
from calibrator.maths.policy import Policy
from calibrator.maths.scoremap import DEFAULT_TOLERANCE, Preserve
from proxy.thresholds.document import Metric


@dataclass(frozen=True)
class Settings:
    """How to calibrate (the ``[calibrator]`` section and the command line fill it)."""

    policy: Policy = field(default_factory=lambda: Policy("target_recall", 0.9))
    segment_policies: Mapping[str, Policy] = field(default_factory=lambda: MappingProxyType({}))
    min_queries: int = 20
    top_n: int = 1000
    bootstrap: int = 200
    confidence: float = 0.95
    metric: Metric = "cosine"
    max_refinements: int = 4
    max_pairs: int = 20_000_000
    irrelevant_sample: int = 0  # irrelevant pairs scored for the report's distributions
    seed: int = 0
    # the comparison with the old model (when its vectors are given)
    k: int = 10  # depth of nDCG@k, recall@k, overlap@k and RBO (the routes' k)
    rbo_p: float = 0.9  # RBO's persistence, as the proxy's [comparison].rbo_p
    quality_bootstrap: int = 1000  # query resamples of the paired quality intervals
    preserve: Preserve = "recall"  # what the old-to-new score map keeps
    map_tolerance: float = DEFAULT_TOLERANCE  # the map's knots reproduce it this closely

    def policy_for(self, segment: str | None) -> Policy:
        """The policy of ``segment`` (None: the global scope)."""
        return self.segment_policies.get(segment, self.policy) if segment else self.policy


@dataclass(frozen=True)
class OldModel:
    """The model in use today: its vectors of the same sample and its thresholds.

    ``threshold`` None: the old stack ranks and keeps its top k, with no threshold.
    """

    vectors: Vectors
    threshold: float | None
    segment_thresholds: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    name: str = "old"

    def threshold_for(self, segment: str | None) -> float | None:
        """The old threshold of ``segment`` (None: the default)."""
        return self.segment_thresholds.get(segment, self.threshold) if segment else self.threshold
