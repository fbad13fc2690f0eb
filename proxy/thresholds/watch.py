"""The thresholds in force, and the watcher that hot-reloads the calibrator's document.

The old side's thresholds are yours (``[thresholds].old``, per-segment overrides): the values
your stack applies to the old model's scores today. The new side's come from the thresholds
document the calibrator publishes (``[thresholds].path``). The proxy uses both per compared
query: how many results each side accepts at its own threshold, and *abstain flips* (one side
accepts nothing, the other something), the sharpest sign that a threshold did not survive the
model change.

:class:`ThresholdsWatcher` polls the document's file (size, mtime and inode: a rename by the
calibrator changes the inode) every ``poll_interval_s``. A document that does not validate is
logged and counted, and the one in force stays. The calibrator worker's status file beside it
feeds the freshness metrics.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar

from prometheus_client import CollectorRegistry, Counter, Gauge
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from proxy.config.schema import Config
from proxy.errors import ThresholdsError
from proxy.logs import get_logger
from proxy.thresholds.document import ThresholdsDocument, load_thresholds
from proxy.thresholds.evidence import AbstainFlips
from proxy.thresholds.expected import expected_empty

log = get_logger("thresholds")


@dataclass(frozen=True, slots=True)
class ThresholdsInForce:
    """Old thresholds from the config, new ones from the calibrator's document."""

    old_default: float | None = None
    old_segments: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    document: ThresholdsDocument | None = None

    def old_for(self, segment: str) -> float | None:
        """The old model's threshold for ``segment`` (None: not configured)."""
        return self.old_segments.get(segment, self.old_default)

    def new_for(self, segment: str) -> float | None:
        """The calibrated threshold for ``segment`` (None: no document, or none met the policy)."""
        if self.document is None:
            return None
        return self.document.threshold_for(segment)

    @property
    def active(self) -> bool:
        """Whether any threshold is known (else the per-query threshold work is skipped)."""
        return self.document is not None or self.old_default is not None or bool(self.old_segments)


def accepted(scores: tuple[float, ...], threshold: float) -> int:
    """How many results a side keeps at ``threshold`` (scores are "higher is closer")."""
    return sum(1 for s in scores if s >= threshold)


class ThresholdMetrics:
    """Metrics of the thresholds in force and of the calibrator's freshness."""

    def __init__(self, registry: CollectorRegistry) -> None:
        """Create and register the metric families."""
        self.threshold = Gauge(
            "embedshift_threshold",
            "Similarity threshold in force per segment: side old (yours), new (calibrated).",
            ("segment", "side"),
            registry=registry,
        )
        self.version = Gauge(
            "embedshift_thresholds_version",
            "Version of the calibrator's thresholds document in force (0: none).",
            registry=registry,
        )
        self.reloads = Counter(
            "embedshift_thresholds_reloads",
            "Reads of a changed thresholds document, by result (ok or error).",
            ("result",),
            registry=registry,
        )
        self.freshness = CalibratorFreshness()
        registry.register(self.freshness)
        self.precision = Gauge(
            "embedshift_calibrator_precision",
            "Precision at the calibrated threshold on the labelled sample, per segment.",
            ("segment",),
            registry=registry,
        )
        self.recall = Gauge(
            "embedshift_calibrator_recall",
            "Recall at the calibrated threshold on the labelled sample, per segment.",
            ("segment",),
            registry=registry,
        )
        self.quality = Gauge(
            "embedshift_labelled_quality_difference",
            "New minus old on the calibrator's labelled queries, per segment and metric "
            "(ndcg@10, recall@10, ...): the difference and its paired bootstrap interval's "
            "bounds (bound = diff, lower, upper); what the gate's labelled_quality reads.",
            ("segment", "metric", "bound"),
            registry=registry,
        )
        self.expected = Gauge(
            "embedshift_expected_divergence",
            "Mean RBO and overlap@k between the two models alone on the calibrator's labelled "
            "queries, per segment (measure = rbo, overlap): what live divergence is judged "
            "against (the gate's expected_divergence).",
            ("segment", "measure"),
            registry=registry,
        )
        self.expected_empty = Gauge(
            "embedshift_expected_new_empty_net",
            "Net share of the calibrator's labelled queries the new side leaves empty at its "
            "threshold where the old side keeps some, minus the reverse (quality.abstain), per "
            "segment where it was measured at the thresholds in force: the share and its "
            "bootstrap interval's bounds (bound = net, lower, upper); what the gate's "
            "new_empty_rate allows beyond its margin.",
            ("segment", "bound"),
            registry=registry,
        )

    def show(self, in_force: ThresholdsInForce, segments: list[str]) -> None:
        """Set the threshold gauges for every configured segment (and ``other``)."""
        for segment in [*segments, "other"]:
            for side, value in (
                ("old", in_force.old_for(segment)),
                ("new", in_force.new_for(segment)),
            ):
                self.threshold.labels(segment, side).set(math.nan if value is None else value)
        doc = in_force.document
        self.version.set(0 if doc is None else doc.version)
        if doc is not None:
            for name, entry in {"global": doc.global_, **doc.segments}.items():
                self.precision.labels(name).set(
                    math.nan if entry.precision is None else entry.precision
                )
                self.recall.labels(name).set(math.nan if entry.recall is None else entry.recall)
            self._evidence(in_force, doc, segments)

    def _evidence(
        self, in_force: ThresholdsInForce, doc: ThresholdsDocument, segments: list[str]
    ) -> None:
        """The published quality and expectations as gauges (stale series removed).

        Quality: each entry's own (never borrowed). Expected divergence and abstain flips: every
        configured segment's too, the global one standing in, as the gate reads them.
        """
        self.quality.clear()
        self.expected.clear()
        self.expected_empty.clear()
        for name, entry in {"global": doc.global_, **doc.segments}.items():
            if entry.quality is not None:
                for metric, figures in entry.quality.metrics.items():
                    for bound, value in (
                        ("diff", figures.diff),
                        ("lower", figures.interval[0]),
                        ("upper", figures.interval[1]),
                    ):
                        self.quality.labels(name, metric, bound).set(value)
        for name in dict.fromkeys(["global", *doc.segments, *segments, "other"]):
            divergence = doc.divergence_for(name if name != "global" else None)
            if divergence is not None:
                self.expected.labels(name, "rbo").set(divergence.rbo.mean)
                self.expected.labels(name, "overlap").set(divergence.overlap.mean)
            flips = _abstain_in_force(in_force, doc, name)
            if flips is not None:
                self.expected_empty.labels(name, "net").set(flips.net)
                if flips.interval is not None:
                    self.expected_empty.labels(name, "lower").set(flips.interval[0])
                    self.expected_empty.labels(name, "upper").set(flips.interval[1])


def _abstain_in_force(
    in_force: ThresholdsInForce, doc: ThresholdsDocument, name: str
) -> AbstainFlips | None:
    """The abstain flips the gate's ``new_empty_rate`` expects for ``name`` (None: none).

    As the gate picks them (:mod:`proxy.thresholds.expected`), and only when they were
    measured at the thresholds in force for the segment (else the gate allows its margin over
    0, and so should an alert).
    """
    key = None if name == "global" else name
    live = (
        in_force.old_default if key is None else in_force.old_for(key),
        doc.threshold_for(key),
    )
    found = expected_empty(doc, key, live)
    return found.flips if found is not None and found.mismatch() is None else None


class CalibratorFreshness(Collector):
    """The calibrator worker's status as gauges, exported only once a status has been read.

    A sidecar without a calibrator exports none of these (a plain Gauge would say 0, and
    "last success at 1970" would fire the staleness alert).
    """

    FAMILIES: ClassVar[dict[str, tuple[str, str]]] = {
        "last_success": (
            "embedshift_calibrator_last_success_timestamp_seconds",
            "When the calibrator last published thresholds (Unix time; from its status file).",
        ),
        "duration": (
            "embedshift_calibrator_run_duration_seconds",
            "Wall time of the calibrator's last calibration.",
        ),
        "failed_rounds": (
            "embedshift_calibrator_failed_rounds",
            "Rounds the calibrator worker has failed since it started.",
        ),
    }

    def __init__(self) -> None:
        """Nothing known yet."""
        self.values: dict[str, float] = {}

    def describe(self) -> list[Metric]:
        """The families, for the registry's name check (and the README reference)."""
        return [GaugeMetricFamily(name, text) for name, text in self.FAMILIES.values()]

    def collect(self) -> list[Metric]:
        """The known values."""
        out: list[Metric] = []
        for key, value in self.values.items():
            name, text = self.FAMILIES[key]
            out.append(GaugeMetricFamily(name, text, value=value))
        return out


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


class ThresholdsWatcher:
    """Polls the thresholds document and the calibrator status; swaps in valid documents."""

    def __init__(
        self,
        config: Callable[[], Config],
        metrics: ThresholdMetrics,
        on_change: Callable[[ThresholdsInForce], None],
    ) -> None:
        """``config`` gives the config in force (it may be reloaded); ``on_change`` swaps."""
        self.config = config
        self.metrics = metrics
        self.on_change = on_change
        self.in_force = ThresholdsInForce()
        self._doc_stamp: tuple[int, int, int] | None = None
        self._status_stamp: tuple[int, int, int] | None = None
        self._old_key: tuple[Any, ...] | None = None

    def check(self) -> bool:
        """One poll: returns True when the thresholds in force changed."""
        config = self.config()
        section = config.thresholds
        doc = self.in_force.document
        path = _document_path(config)
        if path is not None:
            stamp = _stamp(path)
            if stamp is not None and stamp != self._doc_stamp:
                self._doc_stamp = stamp
                try:
                    doc = load_thresholds(path)
                except ThresholdsError as e:
                    self.metrics.reloads.labels("error").inc()
                    log.error("thresholds_rejected", error=str(e), kept_version=_version(doc))
                else:
                    self.metrics.reloads.labels("ok").inc()
                    log.info("thresholds_reloaded", version=doc.version, model=doc.model.name)
        old_key = (section.old, tuple(sorted(section.old_segments.items())))
        changed = doc is not self.in_force.document or old_key != self._old_key
        if changed:
            self._old_key = old_key
            self.in_force = ThresholdsInForce(
                section.old, MappingProxyType(dict(section.old_segments)), doc
            )
            self.metrics.show(self.in_force, list(config.segments.names))
            self.on_change(self.in_force)
        self._read_status(config)
        return changed

    def _read_status(self, config: Config) -> None:
        if config.calibrator is None:
            return
        path = Path(config.calibrator.status_path)
        stamp = _stamp(path)
        if stamp is None or stamp == self._status_stamp:
            return
        self._status_stamp = stamp
        try:
            status = json.loads(path.read_bytes())
        except (OSError, ValueError) as e:
            log.warning("calibrator_status_unreadable", path=str(path), error=str(e))
            return
        if not isinstance(status, dict):
            return
        values = self.metrics.freshness.values
        success = _timestamp(status.get("last_success_at"))
        if success is not None:
            values["last_success"] = success
        duration = status.get("last_calibration_duration_s")
        if isinstance(duration, int | float):
            values["duration"] = float(duration)
        failed = status.get("failed_rounds")
        if isinstance(failed, int):
            values["failed_rounds"] = float(failed)

    async def run(self) -> None:
        """Poll until cancelled."""
        while True:
            try:
                self.check()
            except Exception as e:  # a watcher bug must never take the proxy down
                log.error("thresholds_watch_failed", error=repr(e))
            await asyncio.sleep(self.config().thresholds.poll_interval_s)


def _document_path(config: Config) -> Path | None:
    if config.thresholds.path is not None:
        return Path(config.thresholds.path)
    if config.calibrator is not None and config.calibrator.out is not None:
        return Path(config.calibrator.out)
    return None


def _version(doc: ThresholdsDocument | None) -> int | None:
    return None if doc is None else doc.version


def _timestamp(value: Any) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value).timestamp()  # 3.11 reads a trailing Z
    except ValueError:
        return None
