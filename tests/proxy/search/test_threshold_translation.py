"""Thresholds follow the traffic through the search path: mirrors, answers, fallbacks, old scale.

Both indexes are loopback FakeQdrant servers recording what they receive; the sidecar runs
in-process with a thresholds document whose ``docs`` segment has an old-to-new map (old 0.5 is
new 0.62); modes are changed through the sidecar's own controller.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import aiohttp
import pytest
from prometheus_client import CollectorRegistry

from proxy.flip.modes import Mode
from proxy.server.app import SIDECAR, create_app
from proxy.thresholds.document import (
    ModelInfo,
    SegmentThreshold,
    ThresholdsDocument,
    dump_thresholds,
)
from proxy.thresholds.scoremap import MapPoint, ScoreMap
from tests.support.backends import FakeQdrant
from tests.support.config import make_config

SEARCH = "/collections/docs/points/search"
ROUTES = """
[[routes]]
name = "search"
path = "/collections/{collection}/points/search"
adapter = "qdrant"
segment = { header = "X-Segment" }
"""
SCORE_MAP = ScoreMap(
    preserve="recall",
    anchor=(0.5, 0.62),
    points=(
        MapPoint(0.2, 0.3, 0.28, 0.32),
        MapPoint(0.5, 0.62, 0.6, 0.64),
        MapPoint(0.8, 0.86, 0.84, 0.88),
    ),
    domain=(0.2, 0.8),
)
DOCS = {"route": "search", "segment": "docs"}


def document(with_map: bool = True) -> str:
    """A thresholds document, version 7, whose docs segment has the map (or none at all)."""
    entry = SegmentThreshold(0.62, 0.8, 0.9, 100, "calibrated", map=SCORE_MAP if with_map else None)
    return dump_thresholds(
        ThresholdsDocument(
            version=7,
            created_at=datetime(2026, 1, 31, tzinfo=UTC),
            model=ModelInfo("all-mpnet-base-v2", "sha256:x"),
            metric="cosine",
            policy={"kind": "target_recall", "target": 0.9},
            global_=SegmentThreshold(0.62, 0.8, 0.9, 100, "calibrated"),
            segments={"docs": entry},
        )
    )


class Setup:
    """The two indexes, the proxy in front of them, its registry."""

    def __init__(self, old, new, proxy, registry):
        """Keep the parts."""
        self.old, self.new, self.proxy, self.registry = old, new, proxy, registry
        self.sidecar = proxy.app[SIDECAR]

    async def mode(self, mode: Mode) -> None:
        """Put ``mode`` in force (forced, as an operator may)."""
        modes = self.sidecar.modes
        async with modes.lock:
            await modes.change(mode, 100.0, actor="test", reason="test", forced=True, gate={})

    async def search(self, threshold: float | None):
        """(status, parsed body, headers) of one search with ``score_threshold``."""
        query = {"vector": [0.1, 0.2], "limit": 10}
        if threshold is not None:
            query["score_threshold"] = threshold
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                self.proxy.make_url(SEARCH), data=json.dumps(query), headers={"X-Segment": "docs"}
            ) as r,
        ):
            return r.status, json.loads(await r.read()), r.headers.copy()

    async def settle(self) -> None:
        """Wait until every mirror has ended."""
        assert await self.sidecar.shadow_tasks.wait_idle(10.0)

    def value(self, name, **labels) -> float:
        """A sample's value (0 when absent)."""
        return self.registry.get_sample_value(name, labels) or 0.0


def sent(backend: FakeQdrant) -> list[float | None]:
    """The score_threshold of each search a backend received."""
    return [json.loads(r["body"]).get("score_threshold") for r in backend.received]


@pytest.fixture
async def setup(aiohttp_server, tmp_path):
    """Builds a Setup; ``route_extra`` goes into the route, ``with_map``/``doc`` the document."""

    async def make(route_extra: str = "", *, doc: bool = True, with_map: bool = True):
        old = FakeQdrant(marker="old", scores=[0.9 - 0.05 * i for i in range(10)])
        new = FakeQdrant(ids=list(range(5, 15)), scores=[0.86 - 0.03 * i for i in range(10)])
        new.marker = "new"
        old_server, new_server = await aiohttp_server(old.app()), await aiohttp_server(new.app())
        path = tmp_path / "thresholds.json"
        if doc:
            path.write_text(document(with_map))
        config = make_config(
            str(old_server.make_url("")),
            str(new_server.make_url("")),
            f'[modes]\nside_header = true\n[thresholds]\npath = "{path}"\n'
            f'[examples]\npath = "{tmp_path / "examples.sqlite"}"\nkeep_uniform = 10\n',
            ROUTES + route_extra,
        )
        registry = CollectorRegistry()
        proxy = await aiohttp_server(create_app(config, registry))
        return Setup(old, new, proxy, registry)

    return make


async def test_shadow_mirror_gets_the_translated_threshold_and_examples_keep_both(setup):
    """Old gets 0.5 as sent, the mirror to new 0.62; counted; the example records both."""
    s = await setup()
    status, _, headers = await s.search(0.5)
    await s.settle()
    assert status == 200
    assert headers["X-Embedshift-Side"] == "old;gen=0"
    assert sent(s.old) == [0.5]
    assert sent(s.new) == [pytest.approx(0.62)]
    assert (
        s.value(
            "embedshift_threshold_translations_total", purpose="mirror", result="translated", **DOCS
        )
        == 1
    )
    await s.sidecar.examples.flush()
    (example,) = await s.sidecar.examples.query("docs", "uniform", 10)
    (change,) = example["thresholds"]
    assert change["field"] == "score_threshold"
    assert change["sent"] == 0.5
    assert change["translated"] == pytest.approx(0.62)


async def test_flipped_new_answers_with_the_translated_threshold(setup):
    """Flipped: new answers the client with 0.62; old's mirror gets the client's 0.5."""
    s = await setup()
    await s.mode("flipped")
    status, _, headers = await s.search(0.5)
    await s.settle()
    assert status == 200
    assert headers["X-Embedshift-Side"] == "new;gen=1"
    assert sent(s.new) == [pytest.approx(0.62)]
    assert sent(s.old) == [0.5]
    assert (
        s.value(
            "embedshift_threshold_translations_total", purpose="answer", result="translated", **DOCS
        )
        == 1
    )
    assert "X-Embedshift-Score-Scale" not in headers  # raw scores: the default


@pytest.mark.parametrize(("doc", "threshold"), [(True, 0.95), (False, 0.5)])
async def test_untranslatable_thresholds_make_old_answer_and_are_still_mirrored(
    setup, doc, threshold
):
    """Outside the domain, or no document: old answers (a fallback), new gets the mirror as sent."""
    s = await setup(doc=doc)
    await s.mode("flipped")
    status, _, headers = await s.search(threshold)
    await s.settle()
    assert status == 200
    assert headers["X-Embedshift-Side"] == "old;gen=1"
    assert sent(s.old) == [threshold]
    assert sent(s.new) == [threshold]  # the mirror, untranslated
    fallbacks = s.value(
        "embedshift_primary_fallbacks_total", route="search", reason="threshold_untranslated"
    )
    assert fallbacks == 1
    result = "out_of_domain" if doc else "no_map"
    assert (
        s.value("embedshift_threshold_translations_total", purpose="mirror", result=result, **DOCS)
        == 1
    )


async def test_as_sent_lets_new_answer_with_an_untranslated_threshold(setup):
    """With untranslatable = "as_sent" the operator lets new answer with the value as written."""
    s = await setup('untranslatable = "as_sent"\n')
    await s.mode("flipped")
    _, _, headers = await s.search(0.95)
    await s.settle()
    assert headers["X-Embedshift-Side"] == "new;gen=1"
    assert sent(s.new) == [0.95]


async def test_translation_off_sends_thresholds_as_written(setup):
    """translate_thresholds = false: the new index answers with the client's value, uncounted."""
    s = await setup("translate_thresholds = false\n")
    await s.mode("flipped")
    _, _, headers = await s.search(0.5)
    await s.settle()
    assert headers["X-Embedshift-Side"] == "new;gen=1"
    assert sent(s.new) == [0.5]
    assert (
        s.value(
            "embedshift_threshold_translations_total", purpose="answer", result="translated", **DOCS
        )
        == 0
    )


async def test_old_scale_answers_map_scores_back_and_the_comparison_reads_raw(setup):
    """response_scores = "old_scale": 0.86 reads 0.8 to the client; the comparison keeps 0.86."""
    s = await setup('response_scores = "old_scale"\n')
    await s.mode("flipped")
    status, body, headers = await s.search(0.5)
    await s.settle()
    assert status == 200
    assert headers["X-Embedshift-Score-Scale"] == "old;map=v7"
    scores = [p["score"] for p in body["result"]]
    assert scores[0] == pytest.approx(0.8)
    assert scores == sorted(scores, reverse=True)
    assert [p["id"] for p in body["result"]] == list(range(5, 15))
    assert s.value("embedshift_response_scores_rescaled_total", result="rescaled", **DOCS) == 1
    assert s.value("embedshift_score_sum", side="new", rank="top1", **DOCS) == pytest.approx(0.86)


async def test_old_scale_without_a_map_makes_old_answer(setup):
    """Old-scale answers need a map: without one the old index answers (no_score_map)."""
    s = await setup('response_scores = "old_scale"\n', with_map=False)
    await s.mode("flipped")
    _, _, headers = await s.search(None)
    await s.settle()
    assert headers["X-Embedshift-Side"] == "old;gen=1"
    assert s.value("embedshift_primary_fallbacks_total", route="search", reason="no_score_map") == 1
