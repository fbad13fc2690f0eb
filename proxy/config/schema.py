"""The config file's schema: the root :class:`Config`, one frozen dataclass per TOML table.

Sections live in modules by part (:mod:`~proxy.config.sidecar`, :mod:`~proxy.config.routes`,
:mod:`~proxy.config.shadow`, :mod:`~proxy.config.flip`, :mod:`~proxy.config.calibrator`); this
module holds the root and names every section, so ``from proxy.config.schema import X`` works
for each. Each field is declared with :func:`~proxy.config.loader.setting`, whose text is also
the config reference in the README (``scripts/gen_reference.py`` writes it; a test fails when
they drift). Secrets never live here: fields ending in ``_env`` name environment variables that
hold them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from proxy.config.calibrator import CalibratorSection, ThresholdsSection
from proxy.config.embeddings_api import EmbeddingsApiSection
from proxy.config.flip import GateSection, ModesSection, PromotionSection
from proxy.config.loader import parse_listen, setting
from proxy.config.review import ReviewSection
from proxy.config.routes import (
    HTTP_METHODS,
    OTHER,
    QueryTextSource,
    RequestField,
    Route,
    SegmentsSection,
)
from proxy.config.shadow import (
    ComparisonSection,
    EmbeddingSection,
    ExamplesSection,
    SampleKey,
    ShadowSection,
)
from proxy.config.sidecar import (
    AdminSection,
    LoggingSection,
    MetricsSection,
    ProxySection,
    Upstream,
)
from proxy.config.where import Where

__all__ = [
    "HTTP_METHODS",
    "OTHER",
    "AdminSection",
    "CalibratorSection",
    "ComparisonSection",
    "Config",
    "EmbeddingSection",
    "EmbeddingsApiSection",
    "ExamplesSection",
    "GateSection",
    "LoggingSection",
    "MetricsSection",
    "ModesSection",
    "PromotionSection",
    "ProxySection",
    "QueryTextSource",
    "RequestField",
    "ReviewSection",
    "Route",
    "SampleKey",
    "SegmentsSection",
    "ShadowSection",
    "ThresholdsSection",
    "Upstream",
    "parse_listen",
]


@dataclass(frozen=True)
class Config:
    """The whole config file."""

    upstreams: Mapping[str, Upstream] = setting(
        "The search services: `old` (the current index) and `new` (the candidate)."
    )
    proxy: ProxySection = setting("Client-facing listener.", default_factory=ProxySection)
    metrics: MetricsSection = setting("Prometheus endpoint.", default_factory=MetricsSection)
    admin: AdminSection = setting("Admin API.", default_factory=AdminSection)
    shadow: ShadowSection = setting("Mirroring.", default_factory=ShadowSection)
    segments: SegmentsSection = setting("Segments.", default_factory=SegmentsSection)
    routes: tuple[Route, ...] = setting("Search routes.", default=())
    comparison: ComparisonSection = setting(
        "Divergence metrics.", default_factory=ComparisonSection
    )
    examples: ExamplesSection = setting("Divergent examples.", default_factory=ExamplesSection)
    review: ReviewSection = setting(
        "The review page: people judge divergent queries.", default_factory=ReviewSection
    )
    embedding: EmbeddingSection | None = setting(
        "New model's embeddings API (needed for vector routes and the calibrator).", default=None
    )
    embeddings_api: EmbeddingsApiSection | None = setting(
        "The application's own embeddings API through the sidecar, which learns each query's "
        "text (routes' query_text = { learned = true }). Unset: off.",
        default=None,
    )
    thresholds: ThresholdsSection = setting("Thresholds.", default_factory=ThresholdsSection)
    calibrator: CalibratorSection | None = setting(
        "Calibrator: labelled samples and how thresholds are calibrated.", default=None
    )
    gate: GateSection = setting("The flip gate.", default_factory=GateSection)
    modes: ModesSection = setting("Modes: shadow, canary, flipped.", default_factory=ModesSection)
    promotion: PromotionSection = setting("Automatic promotion.", default_factory=PromotionSection)
    logging: LoggingSection = setting("Logging.", default_factory=LoggingSection)

    def validate(self, where: Where) -> None:
        """Both upstreams present; route names unique; query text sources have what they need."""
        for needed in ("old", "new"):
            if needed not in self.upstreams:
                raise where.child("upstreams").error(
                    needed, "is required: add a [upstreams." + needed + "] table with a url"
                )
        for i, route in enumerate(self.routes, start=1):
            if route.query_text is not None and self.embedding is None:
                raise (
                    where.child("routes")
                    .child(f"#{i}")
                    .error("query_text", "needs an [embedding] section (the new model's API)")
                )
        self._validate_embeddings_api(where)
        names = [r.name for r in self.routes]
        for name in names:
            if names.count(name) > 1:
                raise where.error("routes", f"has two routes named {name!r}")

    def _validate_embeddings_api(self, where: Where) -> None:
        """Learned routes need [embeddings_api]; its upstream exists; its prefix is its own."""
        section = self.embeddings_api
        for i, route in enumerate(self.routes, start=1):
            if route.query_text is not None and route.query_text.learned and section is None:
                raise (
                    where.child("routes")
                    .child(f"#{i}")
                    .error(
                        "query_text.learned",
                        "needs an [embeddings_api] section (the application's embeddings calls "
                        "through the sidecar: docs/query-text.md)",
                    )
                )
        if section is None:
            return
        at = where.child("embeddings_api")
        if section.upstream in ("old", "new"):
            raise at.error(
                "upstream",
                f"must name the embeddings provider's own upstream, not {section.upstream!r}",
            )
        if section.upstream not in self.upstreams:
            raise at.error(
                "upstream",
                f"names {section.upstream!r}: add a [upstreams.{section.upstream}] table with "
                "the provider's url (the application's embeddings base URL today)",
            )
        prefix = section.path_prefix
        for route in self.routes:
            if route.path == prefix or route.path.startswith(prefix + "/"):
                raise at.error(
                    "path_prefix",
                    f"{prefix!r} would hide route {route.name!r} ({route.path}): pick another",
                )
