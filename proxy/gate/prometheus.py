"""The gate's figures from Prometheus: every replica's counters, summed, by PromQL.

With ``[gate].prometheus_url`` set, each replica asks Prometheus for the window's figures
instead of reading its own counters, so all replicas judge the same traffic. They also judge it
at the same instant: the evaluation time is ``now - prometheus_delay_s`` rounded down to a
multiple of ``interval_s``, a moment every replica agrees on and whose scrapes are complete, so
that replicas evaluating in the same interval get the same answers and the same verdicts.

The queries mirror :mod:`proxy.gate.window` (``increase()`` over ``window_s``, summed by segment;
the same outcome sets as deploy/prometheus/rules/recording.yml; latency as each upstream's
bucket increases, judged by the same code as the local window's). ``[gate].prometheus_selector``
is added to every selector (e.g. ``namespace="search"``) so that two deployments scraped by one
Prometheus stay apart. A Prometheus that cannot answer raises :class:`GateSourceError`; the
gate then says ``inconclusive`` for every segment, naming the error.
"""

from __future__ import annotations

import asyncio
import math
from collections import defaultdict
from typing import Any

import aiohttp

from proxy.config.schema import GateSection
from proxy.gate.figures import ERROR_OUTCOMES, SENT_OUTCOMES, Latency, SegmentFigures
from proxy.gate.window import COUNTED


class GateSourceError(Exception):
    """The gate's figures could not be read (Prometheus unreachable or answering an error)."""


def evaluation_time(now: float, settings: GateSection) -> float:
    """The instant every replica evaluates at: delayed, then aligned to ``interval_s``."""
    at = now - settings.prometheus_delay_s
    return math.floor(at / settings.interval_s) * settings.interval_s


def queries(settings: GateSection) -> dict[str, str]:
    """The PromQL expressions, by the figure they give."""
    sel = settings.prometheus_selector.strip().strip(",")
    window = f"[{round(settings.window_s)}s]"

    def inc(metric: str, by: str = "segment", extra: str = "") -> str:
        matchers = ",".join(m for m in (extra, sel) if m)
        return f"sum by ({by}) (increase({metric}{{{matchers}}}{window}))"

    return {
        "queries": inc("embedshift_rbo_count"),
        "rbo_sum": inc("embedshift_rbo_sum"),
        "rbo_squares": inc("embedshift_rbo_squares_total"),
        "overlap_sum": inc("embedshift_overlap_at_k_sum"),
        "overlap_squares": inc("embedshift_overlap_squares_total"),
        "flips": inc("embedshift_abstain_flips_total", "segment, empty"),
        "ids": inc("embedshift_coverage_ids_total", "segment, result"),
        "lookups": inc("embedshift_coverage_lookups_total", "segment, outcome"),
        "band": inc("embedshift_score_band_checks_total", "segment, position"),
        "outcomes": inc("embedshift_shadow_requests_total", "segment, outcome"),
        "accepted": inc("embedshift_accepted_results_count", "segment, side"),
        "latency": inc(
            "embedshift_upstream_request_duration_seconds_bucket",
            "upstream, le",
            'route!="passthrough"',
        ),
    }


LABELLED = {  # query -> (label, {label value: figure}), as proxy/gate/window.py reads them
    "flips": ("empty", {"new": "new_empty", "old": "old_empty"}),
    "ids": ("result", {"present": "ids_present", "missing": "ids_missing"}),
    "lookups": ("outcome", {"failed": "lookups_failed", "unsupported": "lookups_unsupported"}),
    "band": ("position", {"below": "band_below", "within": "band_within", "above": "band_above"}),
}


class PrometheusFigures:
    """Reads the window's figures from one Prometheus."""

    def __init__(self, session: aiohttp.ClientSession, settings: GateSection) -> None:
        """``session`` is the gate's own (closed by its owner)."""
        self.session = session
        self.settings = settings

    async def read(self, now: float) -> tuple[float, dict[str, SegmentFigures], Latency, set[str]]:
        """(evaluation time, figures per segment, latency, segments with traffic)."""
        at = evaluation_time(now, self.settings)
        exprs = queries(self.settings)
        answers = await asyncio.gather(*(self._query(e, at) for e in exprs.values()))
        results = dict(zip(exprs, answers, strict=True))
        values: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        for figure in ("queries", "rbo_sum", "rbo_squares", "overlap_sum", "overlap_squares"):
            for labels, value in results[figure]:
                values[labels.get("segment", "other")][figure] += value
        for query, (label, names) in LABELLED.items():
            for labels, value in results[query]:
                named = names.get(labels.get(label, ""))
                if named is not None:
                    values[labels.get("segment", "other")][named] += value
        outcomes: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        for labels, value in results["outcomes"]:
            outcomes[labels.get("segment", "other")][labels.get("outcome", "")] += value
        accepted: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        for labels, value in results["accepted"]:
            accepted[labels.get("segment", "other")][labels.get("side", "")] += value
        segments = set(values) | set(outcomes)
        figures = {
            s: SegmentFigures(
                sent=sum(outcomes[s][o] for o in SENT_OUTCOMES),
                errors=sum(outcomes[s][o] for o in ERROR_OUTCOMES),
                timeouts=outcomes[s]["shadow_timeout"],
                threshold_queries=min(accepted[s]["old"], accepted[s]["new"]),
                **{name: values[s][name] for name in COUNTED},
            )
            for s in segments
        }
        buckets: dict[str, dict[float, float]] = defaultdict(dict)
        for labels, value in results["latency"]:
            buckets[labels.get("upstream", "")][float(labels.get("le", "inf"))] = value
        latency = Latency(
            old=tuple(sorted(buckets["old"].items())), new=tuple(sorted(buckets["new"].items()))
        )
        seen = {s for s in outcomes if any(v > 0 for v in outcomes[s].values())}
        return at, figures, latency, seen

    async def _query(self, expr: str, at: float) -> list[tuple[dict[str, str], float]]:
        url = self.settings.prometheus_url
        assert url is not None
        try:
            async with self.session.get(
                f"{url.rstrip('/')}/api/v1/query",
                params={"query": expr, "time": f"{at:.3f}"},
                timeout=aiohttp.ClientTimeout(total=self.settings.prometheus_timeout_s),
            ) as response:
                body: Any = await response.json(content_type=None)
        except (aiohttp.ClientError, OSError, TimeoutError, ValueError) as e:
            detail = f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
            raise GateSourceError(f"Prometheus at {url} did not answer: {detail}") from e
        if not isinstance(body, dict) or body.get("status") != "success":
            error = body.get("error") if isinstance(body, dict) else None
            raise GateSourceError(f"Prometheus at {url} refused a gate query: {error}")
        out: list[tuple[dict[str, str], float]] = []
        for item in body.get("data", {}).get("result", []):
            value = float(item["value"][1])
            if math.isfinite(value):
                out.append((item.get("metric", {}), value))
        return out
