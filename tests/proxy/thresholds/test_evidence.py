"""Tests of the evidence beside a threshold: labelled quality, divergence, score band, map.

The contract of issue 13 and 14 (notes: contracts A): optional keys of a segment entry,
parsed into frozen dataclasses, written back unchanged, with errors naming the key, and the
accessors' borrowing rules (quality never borrowed; the rest from the global entry).
"""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry

from proxy.errors import ThresholdsError
from proxy.thresholds.document import dump_thresholds, from_dict, parse_thresholds, to_dict
from proxy.thresholds.scoremap import MapPoint, ScoreMap
from proxy.thresholds.watch import ThresholdMetrics, ThresholdsInForce

QUALITY = {
    "k": 10,
    "n_queries": 300,
    "confidence": 0.95,
    "bootstrap": 1000,
    "old": {"model": "all-MiniLM-L6-v2", "threshold": 0.5},
    "new": {"model": "all-mpnet-base-v2", "threshold": None},
    "metrics": {
        "ndcg@10": {"old": 0.645, "new": 0.656, "diff": 0.011, "interval": [-0.004, 0.026]},
        "recall@10": {"old": 0.78, "new": 0.80, "diff": 0.02, "interval": [0.001, 0.04]},
    },
}
ABSTAIN = {"n_queries": 300, "new_empty": 17, "old_empty": 8, "net": 0.03,
           "interval": [0.01, 0.05]}  # fmt: skip
DIVERGENCE = {
    "k": 10,
    "n_queries": 300,
    "n_documents": 5183,
    "rbo_p": 0.9,
    "overlap": {"mean": 0.52, "sd": 0.21},
    "rbo": {"mean": 0.54, "sd": 0.19},
}
BAND = {"n_queries": 300, "top1": {"p01": 0.31, "p05": 0.4, "p50": 0.6, "p95": 0.75, "p99": 0.82}}
MAP = {
    "preserve": "recall",
    "anchor": [0.5, 0.45],
    "points": [[0.2, 0.1, 0.05, 0.15], [0.4, 0.3, 0.25, 0.35], [0.8, 0.7, 0.65, 0.75]],
    "domain": [0.2, 0.8],
}


def _segment(**extra):
    return {"threshold": 0.6, "precision": 0.5, "recall": 0.9, "n_queries": 100,
            "status": "calibrated", **extra}  # fmt: skip


def _raw():
    return copy.deepcopy(
        {
            "format": 1,
            "version": 2,
            "created_at": "2026-01-31T12:00:00Z",
            "model": {"name": "all-mpnet-base-v2", "fingerprint": "sha256:abc"},
            "metric": "cosine",
            "policy": {"kind": "target_recall", "target": 0.9},
            "global": _segment(
                quality={**QUALITY, "abstain": ABSTAIN},
                divergence=DIVERGENCE,
                score_band=BAND,
                map=MAP,
            ),
            "segments": {
                "docs": _segment(quality=QUALITY, divergence={**DIVERGENCE, "k": 5}),
                "code": _segment(),
            },
        }
    )


def test_the_evidence_round_trips_and_reads_as_dataclasses():
    """Every key parses into its dataclass, and writing it back gives the same JSON."""
    doc = from_dict(_raw())
    quality = doc.global_.quality
    assert quality is not None
    assert quality.old.threshold == 0.5
    assert quality.new.threshold is None
    ndcg = quality.metric("ndcg@10")
    assert ndcg is not None
    assert ndcg.interval == (-0.004, 0.026)
    assert quality.metric("map@10") is None
    assert doc.global_.divergence is not None
    assert doc.global_.divergence.rbo.mean == 0.54
    assert doc.global_.score_band is not None
    assert doc.global_.score_band.top1.p99 == 0.82
    assert doc.global_.map is not None
    assert doc.global_.map.anchor == (0.5, 0.45)
    text = dump_thresholds(doc)
    assert dump_thresholds(parse_thresholds(text)) == text
    assert json.loads(text)["global"]["quality"] == {**QUALITY, "abstain": ABSTAIN}
    assert json.loads(text)["segments"]["docs"]["quality"] == QUALITY  # no abstain: none written


def test_abstain_flips_read_as_counts_with_their_net_share():
    """``quality.abstain``: exact counts, the net share they give, the interval; absent: None."""
    doc = from_dict(_raw())
    assert doc.global_.quality is not None
    flips = doc.global_.quality.abstain
    assert flips is not None
    assert (flips.n_queries, flips.new_empty, flips.old_empty) == (300, 17, 8)
    assert flips.net == pytest.approx(0.03)
    assert flips.interval == (0.01, 0.05)
    docs = doc.quality_for("docs")
    assert docs is not None
    assert docs.abstain is None
    raw = _raw()
    raw["global"]["quality"]["abstain"] = {**ABSTAIN, "interval": None}
    back = to_dict(from_dict(raw))
    assert back["global"]["quality"]["abstain"]["interval"] is None
    raw["global"]["quality"]["abstain"] = None
    assert "abstain" not in to_dict(from_dict(raw))["global"]["quality"]


def test_a_document_without_evidence_stays_as_it_was():
    """Older documents parse with every evidence None and are written without the keys."""
    raw = _raw()
    raw["global"] = _segment()
    raw["segments"] = {}
    doc = from_dict(raw)
    assert doc.global_.quality is None
    assert doc.global_.map is None
    assert "quality" not in to_dict(doc)["global"]
    nulls = copy.deepcopy(raw)
    nulls["global"].update(quality=None, divergence=None, score_band=None, map=None)
    assert to_dict(from_dict(nulls)) == to_dict(doc)


def test_quality_is_never_borrowed_from_the_global_entry():
    """A segment without its own labelled quality has none; None reads the global one."""
    doc = from_dict(_raw())
    assert doc.quality_for("docs") is not None
    assert doc.quality_for("code") is None
    assert doc.quality_for("unknown") is None
    assert doc.quality_for(None) is doc.global_.quality


def test_divergence_band_and_map_fall_back_to_the_global_entry():
    """The models are the same everywhere: a segment without its own uses the global one."""
    doc = from_dict(_raw())
    divergence = doc.divergence_for("docs")
    assert divergence is not None
    assert divergence.k == 5
    assert doc.divergence_for("code") is doc.global_.divergence
    assert doc.divergence_for("unknown") is doc.global_.divergence
    assert doc.score_band_for("docs") is doc.global_.score_band
    assert doc.map_for("code") is doc.global_.map


def _with(key, path, value):
    raw = _raw()
    node = raw["global"][key]
    *head, last = path.split(".")
    for part in head:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if value is KeyError:
        del node[last]
    elif isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return raw


@pytest.mark.parametrize(
    ("key", "path", "value", "message"),
    [
        ("quality", "k", 0, "global.quality.k must be an integer of at least 1"),
        ("quality", "confidence", 1.5, "global.quality.confidence must be within [0, 1]"),
        ("quality", "old.model", "", "global.quality.old.model must be a non-empty string"),
        ("quality", "new.threshold", "x", "global.quality.new.threshold must be a finite"),
        ("quality", "metrics.ndcg@10.interval", [0.1, 0.0], "ndcg@10.interval must have low"),
        ("quality", "metrics.ndcg@10.interval", None, "ndcg@10.interval must be [low, high]"),
        ("quality", "metrics.ndcg@10.diff", KeyError, "ndcg@10.diff is missing"),
        ("quality", "abstain.n_queries", 0, "global.quality.abstain.n_queries must be an integer"),
        ("quality", "abstain.new_empty", -1, "global.quality.abstain.new_empty must be an integer"),
        ("quality", "abstain.old_empty", KeyError, "global.quality.abstain.old_empty is missing"),
        ("quality", "abstain.new_empty", 295, "global.quality.abstain counts more flips than"),
        ("quality", "abstain.net", 0.3, "global.quality.abstain.net must be (new_empty - old"),
        ("quality", "abstain.net", 1.5, "global.quality.abstain.net must be within [-1, 1]"),
        ("quality", "abstain.interval", [0.05, 0.01], "abstain.interval must have low <= high"),
        ("quality", "abstain", [], "global.quality.abstain must be an object"),
        ("divergence", "rbo.mean", 1.2, "global.divergence.rbo.mean must be within [0, 1]"),
        ("divergence", "overlap.sd", -0.1, "global.divergence.overlap.sd must be within"),
        ("divergence", "n_documents", KeyError, "global.divergence.n_documents is missing"),
        ("score_band", "top1.p50", 0.2, "global.score_band.top1.p50 must not be below"),
        ("score_band", "top1.p05", KeyError, "global.score_band.top1.p05 is missing"),
        ("map", "preserve", "both", "global.map.preserve must be one of recall, precision"),
        ("map", "points.1", [0.4, 0.05, 0.0, 0.1], "global.map.points.1 must be above the point"),
        ("map", "points.1.2", 0.31, "global.map.points.1 must have new_lo <= new <= new_hi"),
        ("map", "domain", [0.1, 0.8], "global.map.domain must lie within the points' span"),
        ("map", "anchor", [0.5, 0.9], "global.map.anchor must keep the map monotone"),
        ("map", "anchor", [0.4, 0.31], "global.map.anchor disagrees with the point"),
        ("map", "points", [[0.2, 0.1, 0.1, 0.1]], "global.map.points must be a list of at"),
    ],
)
def test_invalid_evidence_names_the_key(key, path, value, message):
    """Each bad value is refused with the file and the key named."""
    with pytest.raises(ThresholdsError, match=r"t\.json: ") as caught:
        from_dict(_with(key, path, value), "t.json")
    assert message in str(caught.value)


def _map(anchor=(0.5, 0.45)):
    points = (MapPoint(0.2, 0.1, 0.05, 0.15), MapPoint(0.4, 0.3, 0.25, 0.35),
              MapPoint(0.8, 0.7, 0.65, 0.75))  # fmt: skip
    return ScoreMap("recall", anchor, points, (0.3, 0.8))


def test_the_map_is_exact_at_its_knots_and_the_anchor():
    """Knots map exactly both ways; the anchor is a knot even between points."""
    score_map = _map()
    assert score_map.to_new(0.4) == 0.3
    assert score_map.to_new(0.5) == 0.45
    assert score_map.to_old(0.45) == 0.5
    assert score_map.to_new(0.8) == 0.7
    assert score_map.to_new(0.45) == pytest.approx(0.375)
    assert score_map.to_new(0.65) == pytest.approx(0.45 + 0.25 * 0.15 / 0.3)


def test_the_map_says_none_outside_its_domain():
    """Below or above the domain (and the domain's image, inverse) nothing is translated."""
    score_map = _map()
    assert score_map.to_new(0.25) is None
    assert score_map.to_new(0.81) is None
    assert score_map.to_old(0.19) is None  # to_new(0.3) is 0.2
    assert score_map.to_old(0.2) == pytest.approx(0.3)
    assert score_map.to_old(0.71) is None
    assert score_map.band_at(0.6) == pytest.approx((0.45, 0.55))
    assert score_map.band_at(0.9) is None


@given(st.floats(0.3, 0.8), st.floats(0.3, 0.8))
def test_the_map_is_monotone_and_its_inverse_undoes_it(a, b):
    """to_new keeps order, and to_old(to_new(x)) is x."""
    score_map = _map()
    low, high = sorted((a, b))
    new_low, new_high = score_map.to_new(low), score_map.to_new(high)
    assert new_low is not None
    assert new_high is not None
    assert new_low <= new_high
    back = score_map.to_old(new_low)
    assert back is not None
    assert back == pytest.approx(low, abs=1e-9)


def test_a_map_without_anchor_interpolates_its_points():
    """No anchor: the points alone are the knots."""
    score_map = _map(anchor=None)
    assert score_map.to_new(0.6) == pytest.approx(0.5)
    assert score_map.to_old(0.5) == pytest.approx(0.6)


def test_the_published_evidence_is_exported_as_gauges():
    """Quality bounds per segment and metric; expected divergence per configured segment."""
    registry = CollectorRegistry()
    metrics = ThresholdMetrics(registry)
    metrics.show(ThresholdsInForce(document=from_dict(_raw())), ["docs", "code", "misc"])

    def value(name, **labels):
        return registry.get_sample_value(name, labels)

    quality = "embedshift_labelled_quality_difference"
    assert value(quality, segment="docs", metric="ndcg@10", bound="lower") == -0.004
    assert value(quality, segment="docs", metric="recall@10", bound="diff") == 0.02
    assert value(quality, segment="code", metric="ndcg@10", bound="lower") is None  # not borrowed
    expected = "embedshift_expected_divergence"
    assert value(expected, segment="docs", measure="rbo") == 0.54
    assert value(expected, segment="misc", measure="overlap") == 0.52  # the global one


def test_the_expected_abstain_flips_are_exported_where_the_gate_applies_them():
    """``embedshift_expected_new_empty_net``: own else global, only at the thresholds in force."""
    raw = _raw()
    measured = {"new": {"model": "all-mpnet-base-v2", "threshold": 0.6}}  # old: 0.5, as QUALITY
    raw["global"]["quality"] = {**QUALITY, **measured, "abstain": ABSTAIN}
    own = {"n_queries": 100, "new_empty": 3, "old_empty": 5, "net": -0.02, "interval": None}
    raw["segments"]["docs"]["quality"] = {**QUALITY, **measured, "abstain": own}
    raw["segments"]["lab"] = _segment(threshold=0.7)  # the global flips were measured at 0.6
    in_force = ThresholdsInForce(
        old_default=0.5,
        old_segments={"ops": 0.4},  # the old threshold moved since the measurement
        document=from_dict(raw),
    )
    registry = CollectorRegistry()
    ThresholdMetrics(registry).show(in_force, ["docs", "code", "lab", "ops", "misc"])

    def value(segment, bound):
        return registry.get_sample_value(
            "embedshift_expected_new_empty_net", {"segment": segment, "bound": bound}
        )

    assert value("docs", "net") == -0.02  # its own, without an interval
    assert value("docs", "upper") is None
    for segment in ("global", "code", "misc", "other"):  # the global entry's
        assert value(segment, "net") == 0.03
        assert (value(segment, "lower"), value(segment, "upper")) == (0.01, 0.05)
    assert value("lab", "net") is None  # measured at other thresholds: the gate ignores it too
    assert value("ops", "net") is None
    # _raw's labelled comparison has no new threshold: no expectation anywhere
    registry = CollectorRegistry()
    ThresholdMetrics(registry).show(
        ThresholdsInForce(old_default=0.5, document=from_dict(_raw())), ["docs"]
    )
    assert value("global", "net") is None
