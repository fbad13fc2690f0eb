"""What a calibration is asked to do: the settings, and the old model it maps from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from calibrator.inputs.vectors import Vectors
from calibrator.maths.policy import Policy
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

    def policy_for(self, segment: str | None) -> Policy:
        """The policy of ``segment`` (None: the global scope)."""
        return self.segment_policies.get(segment, self.policy) if segment else self.policy


@dataclass(frozen=True)
class OldModel:
    """The model in use today: its vectors of the same sample and its thresholds."""

    vectors: Vectors
    threshold: float
    segment_thresholds: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))

    def threshold_for(self, segment: str | None) -> float:
        """The old threshold of ``segment`` (None: the default)."""
        return self.segment_thresholds.get(segment, self.threshold) if segment else self.threshold
