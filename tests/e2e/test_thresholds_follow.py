"""Thresholds follow the traffic, end to end: after the flip, MiniLM-tuned cuts keep their meaning.

SciFact and Cranfield, each a segment and a collection, are served by two Qdrant-compatible
loopback backends doing exact cosine search with ``score_threshold``
(:mod:`calibrator.demo.backend`): the old one over all-MiniLM-L6-v2 vectors, the new one over
all-mpnet-base-v2 vectors. ``embedshift calibrate`` publishes the thresholds document (map:
equal recall, anchored at the old threshold 0.5) from labelled queries held apart from the
ones measured here: SciFact's 809 train queries and Cranfield's odd-numbered queries calibrate;
SciFact's 300 test queries and Cranfield's even-numbered ones are measured. A real
``embedshift serve`` sits in front, re-embedding each query's text (``X-Query-Text``) with
mpnet through the real infinity-emb server.

Clients send MiniLM query vectors with ``limit`` 100 and a ``score_threshold`` tuned on MiniLM
(0.3, 0.4, 0.5, 0.6). Per segment and client threshold, precision and recall (micro: over all
returned results, over all relevant pairs) of what clients receive are measured for

- the old stack (shadow mode: the old index answers);
- the flipped stack with translation (the new index answers, the threshold through the map);
- the flipped stack without translation (``translate_thresholds = false``);
- client-side filtering (no threshold sent; the client keeps ``score >= t``), flipped, with raw
  scores and with ``response_scores = "old_scale"``.

Translated, both figures stay within :data:`TOLERANCE` of the old stack's at every client
threshold; untranslated, some do not. Nothing here is tuned to these two models: the map is
whatever the calibrator publishes for them.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np
import pytest

from calibrator.demo.backend import Collection, create_backend_app
from tests.support.config import SHARED_DATA
from tests.support.sidecar import Sidecar, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]

OLD_MODEL, NEW_MODEL = "all-MiniLM-L6-v2", "all-mpnet-base-v2"
SEGMENTS = ("scifact", "cranfield")
CLIENT_THRESHOLDS = (0.3, 0.4, 0.5, 0.6)
OLD_THRESHOLD = 0.5  # the one the calibrator anchors its map at
LIMIT = 100
TOLERANCE = 0.05
TOKEN = "e2e-admin-token"  # noqa: S105 - a test token
CONCURRENCY = 8


@dataclass(frozen=True)
class Segment:
    """One dataset: its corpus under both models, and the labelled queries measured."""

    name: str
    doc_ids: list[str]
    docs: dict[str, np.ndarray[Any, Any]]
    texts: list[str]  # the measured queries, in order
    vectors: np.ndarray[Any, Any]  # their MiniLM vectors (what clients send)
    relevant: list[set[str]]  # their relevant documents


def _lines(path: Path) -> list[str]:
    return path.read_text().split("\n")[:-1]


def _qrels(lines: list[str]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for line in lines:
        query, doc, _ = line.split("\t")
        out.setdefault(query, set()).add(doc)
    return out


def load_segment(name: str, measured: dict[str, set[str]]) -> Segment:
    """The corpus of ``name`` and the queries of ``measured`` (ids to relevant documents)."""
    base = SHARED_DATA / name
    emb = base / "embeddings"
    texts = {}
    for file in ("queries.jsonl", "queries_train.jsonl"):
        if (base / file).exists():
            for line in (base / file).read_text().splitlines():
                row = json.loads(line)
                texts[str(row["id"])] = row["text"]
    query_ids = _lines(emb / OLD_MODEL / "query_ids.txt")
    rows = [query_ids.index(q) for q in measured]
    return Segment(
        name=name,
        doc_ids=_lines(emb / OLD_MODEL / "doc_ids.txt"),
        docs={m: np.load(emb / m / "docs.npy") for m in (OLD_MODEL, NEW_MODEL)},
        texts=[texts[q] for q in measured],
        vectors=np.load(emb / OLD_MODEL / "queries.npy")[rows],
        relevant=list(measured.values()),
    )


@pytest.fixture(scope="module")
def labelled(tmp_path_factory) -> tuple[Path, dict[str, Segment]]:
    """Calibration qrels per segment (files) and the measured segments, held apart."""
    if not (SHARED_DATA / "scifact").is_dir() or not (SHARED_DATA / "cranfield").is_dir():
        pytest.skip(f"shared data not found at {SHARED_DATA}")
    folder = tmp_path_factory.mktemp("labels")
    cranfield = _lines(SHARED_DATA / "cranfield" / "qrels.tsv")
    odd = [line for line in cranfield if int(line.split("\t")[0]) % 2 == 1]
    even = [line for line in cranfield if int(line.split("\t")[0]) % 2 == 0]
    (folder / "cranfield_calibrate.tsv").write_text("\n".join(odd) + "\n")
    (folder / "scifact_calibrate.tsv").write_text(
        (SHARED_DATA / "scifact" / "qrels_train.tsv").read_text()
    )
    segments = {
        "scifact": load_segment("scifact", _qrels(_lines(SHARED_DATA / "scifact" / "qrels.tsv"))),
        "cranfield": load_segment("cranfield", _qrels(even)),
    }
    return folder, segments


def calibrate(labels: Path, out: Path) -> dict[str, Any]:
    """``embedshift calibrate`` on the calibration queries: the published document."""
    args = [sys.executable, "-m", "proxy", "calibrate", "--quiet"]
    for name in SEGMENTS:
        emb = SHARED_DATA / name / "embeddings"
        args += [
            "--qrels", f"{name}={labels / f'{name}_calibrate.tsv'}",
            "--vectors", f"{name}={emb / NEW_MODEL}",
            "--old-vectors", f"{name}={emb / OLD_MODEL}",
        ]  # fmt: skip
    args += ["--old-threshold", str(OLD_THRESHOLD), "--policy", "target_recall=old"]
    args += ["--out", str(out)]
    done = subprocess.run(args, capture_output=True, text=True, timeout=900, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    document: dict[str, Any] = json.loads(out.read_text())
    return document


def backend(segments: dict[str, Segment], model: str) -> Any:
    """A Qdrant-compatible app with one collection per segment over ``model``'s vectors."""
    return create_backend_app(
        {
            name: Collection.build(
                name, [int(i) for i in s.doc_ids], s.docs[model], [{}] * len(s.doc_ids)
            )
            for name, s in segments.items()
        }
    )


def config(old_url: str, new_url: str, infinity_url: str, document: Path, route: str) -> str:
    """The sidecar's config (the launcher adds listeners, examples and modes)."""
    return textwrap.dedent(
        f"""
        [upstreams.old]
        url = "{old_url}"
        timeout_s = 30.0
        [upstreams.new]
        url = "{new_url}"
        timeout_s = 30.0
        [segments]
        names = {json.dumps(list(SEGMENTS))}
        [thresholds]
        path = "{document}"
        poll_interval_s = 0.5
        [shadow]
        timeout_s = 30.0
        max_rps = 100000
        max_in_flight = 512
        [modes]
        side_header = true
        [embedding]
        base_url = "{infinity_url}"
        model = "{NEW_MODEL}"
        dimension = 768
        timeout_s = 60.0
        [[routes]]
        name = "search"
        path = "/collections/{{collection}}/points/search"
        adapter = "qdrant"
        segment = {{ path = "collection" }}
        query_text = {{ header = "X-Query-Text" }}
        """
    ) + textwrap.dedent(route)


class Client:
    """Applications of the old stack: MiniLM vectors, cuts tuned on MiniLM."""

    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        """Search through ``url`` (the sidecar)."""
        self.session = session
        self.url = url
        self.sides: dict[str, int] = {}
        self.scales: dict[str, int] = {}

    async def ask(
        self, segment: Segment, index: int, threshold: float, *, send: bool
    ) -> list[tuple[str, float]]:
        """One query: (id, score) kept, by the server (``send``) or by the client's own cut."""
        body: dict[str, Any] = {"vector": segment.vectors[index].tolist(), "limit": LIMIT}
        if send:
            body["score_threshold"] = threshold
        headers = {"X-Query-Text": urllib.parse.quote(segment.texts[index])}
        path = f"/collections/{segment.name}/points/search"
        async with self.session.post(self.url + path, json=body, headers=headers) as r:
            assert r.status == 200, await r.text()
            answer = await r.json()
            side = r.headers.get("X-Embedshift-Side", "?").split(";")[0]
            scale = r.headers.get("X-Embedshift-Score-Scale", "none").split(";")[0]
        self.sides[side] = self.sides.get(side, 0) + 1
        self.scales[scale] = self.scales.get(scale, 0) + 1
        hits = [(str(p["id"]), float(p["score"])) for p in answer["result"]]
        return hits if send else [(i, s) for i, s in hits if s >= threshold]

    async def measure(
        self, segments: dict[str, Segment], *, send: bool
    ) -> dict[str, dict[float, tuple[float, float]]]:
        """Micro precision and recall per segment and client threshold."""
        gate = asyncio.Semaphore(CONCURRENCY)

        async def one(segment: Segment, index: int, threshold: float) -> list[str]:
            async with gate:
                return [i for i, _ in await self.ask(segment, index, threshold, send=send)]

        out: dict[str, dict[float, tuple[float, float]]] = {}
        for name, segment in segments.items():
            out[name] = {}
            for threshold in CLIENT_THRESHOLDS:
                kept = await asyncio.gather(
                    *(one(segment, i, threshold) for i in range(len(segment.texts)))
                )
                returned = sum(len(k) for k in kept)
                hits = sum(len(set(k) & r) for k, r in zip(kept, segment.relevant, strict=True))
                relevant = sum(len(r) for r in segment.relevant)
                out[name][threshold] = (hits / returned if returned else 0.0, hits / relevant)
        return out


async def admin(sidecar: Sidecar, mode: str) -> None:
    """Put ``mode`` in force through the admin API (forced: the gate is not under test)."""
    body = {"mode": mode, "force": True, "reason": "e2e: thresholds follow the traffic"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            sidecar.admin_url + "/admin/mode",
            json=body,
            headers={"Authorization": f"Bearer {TOKEN}"},
        ) as r,
    ):
        assert r.status == 200, await r.text()


def reload(sidecar: Sidecar, text: str) -> None:
    """Rewrite the config and SIGHUP; wait until the sidecar reports the reload."""
    before = sidecar.value("embedshift_config_reloads_total", result="ok")
    sidecar.write(text)
    sidecar.signal(signal.SIGHUP)
    deadline = time.monotonic() + 30
    while sidecar.value("embedshift_config_reloads_total", result="ok") <= before:
        assert time.monotonic() < deadline, "the sidecar did not reload"
        time.sleep(0.1)


def table(title: str, figures: dict[str, dict[str, dict[float, tuple[float, float]]]]) -> str:
    """Figures per segment and threshold, one column pair per run, for people."""
    runs = list(figures)
    lines = [title, "segment    t     " + "  ".join(f"{r:>22}" for r in runs)]
    for name in SEGMENTS:
        for t in CLIENT_THRESHOLDS:
            cells = "  ".join(
                f"P {figures[r][name][t][0]:.3f} R {figures[r][name][t][1]:.3f}".rjust(22)
                for r in runs
            )
            lines.append(f"{name:10} {t:<4}  {cells}")
    return "\n".join(lines)


def gaps(
    old: dict[str, dict[float, tuple[float, float]]],
    new: dict[str, dict[float, tuple[float, float]]],
) -> list[float]:
    """Every |new - old| of precision and recall, over segments and thresholds."""
    return [
        abs(new[s][t][i] - old[s][t][i])
        for s in SEGMENTS
        for t in CLIENT_THRESHOLDS
        for i in (0, 1)
    ]


def translated(sidecar: Sidecar, purpose: str) -> float:
    """Requests of ``purpose`` whose thresholds were all translated, over both segments."""
    return sum(
        sidecar.value(
            "embedshift_threshold_translations_total",
            route="search", segment=s, purpose=purpose, result="translated",
        )
        for s in SEGMENTS
    )  # fmt: skip


def write_figures(figures: dict[str, Any]) -> None:
    """Keep the figures as JSON where ``EMBEDSHIFT_E2E_FIGURES`` says (for docs/thresholds.md)."""
    target = os.environ.get("EMBEDSHIFT_E2E_FIGURES")
    if target:
        Path(target).write_text(json.dumps(figures, indent=2))


Figures = dict[str, dict[str, dict[float, tuple[float, float]]]]


async def measure_runs(
    sidecar: Sidecar, segments: dict[str, Segment], route: Any
) -> tuple[Figures, Figures, float]:
    """Every run of the module docstring: (thresholds sent, client-side, answers translated)."""
    sent: Figures = {}
    client_side: Figures = {}
    async with aiohttp.ClientSession() as session:
        client = Client(session, sidecar.url)
        sent["old stack"] = await client.measure(segments, send=True)
        assert set(client.sides) == {"old"}
        # shadow mode: the mirrors' thresholds were translated (and the query cache warmed)
        # (the mirrors run in the background, after their query's new embedding: under load the
        # first may be translated after the last client answer)
        assert await asyncio.to_thread(wait_until, lambda: translated(sidecar, "mirror") > 0, 120.0)
        await admin(sidecar, "flipped")

        client = Client(session, sidecar.url)
        sent["new, translated"] = await client.measure(segments, send=True)
        assert set(client.sides) == {"new"}, client.sides  # no fallback to old

        await asyncio.to_thread(reload, sidecar, route("translate_thresholds = false\n"))
        client = Client(session, sidecar.url)
        sent["new, untranslated"] = await client.measure(segments, send=True)
        assert set(client.sides) == {"new"}, client.sides

        client = Client(session, sidecar.url)
        client_side["old stack"] = sent["old stack"]
        client_side["new, raw scores"] = await client.measure(segments, send=False)
        assert client.scales == {"none": sum(client.sides.values())}

        await asyncio.to_thread(reload, sidecar, route('response_scores = "old_scale"\n'))
        client = Client(session, sidecar.url)
        client_side["new, old_scale"] = await client.measure(segments, send=False)
        assert client.scales == {"old": sum(client.sides.values())}, client.scales
    return sent, client_side, await asyncio.to_thread(translated, sidecar, "answer")


async def test_thresholds_tuned_on_minilm_keep_their_meaning_after_the_flip(
    labelled, infinity_url, aiohttp_server, tmp_path
):
    """Translated cuts (sent or client-side) stay within 0.05 of the old stack; raw ones do not.

    Blocking calls (the calibrator, the sidecar's start, reloads and metrics) run in threads:
    the backends answer on this test's event loop.
    """
    labels, segments = labelled
    document = tmp_path / "thresholds.json"
    published = await asyncio.to_thread(calibrate, labels, document)
    assert all(published["segments"][s].get("map") for s in SEGMENTS), published["segments"]
    old = await aiohttp_server(backend(segments, OLD_MODEL))
    new = await aiohttp_server(backend(segments, NEW_MODEL))
    urls = (str(old.make_url("")).rstrip("/"), str(new.make_url("")).rstrip("/"))

    def route(extra: str = "") -> str:
        return config(*urls, infinity_url, document, extra)

    sidecar = Sidecar(tmp_path / "sidecar", route(), env={"EMBEDSHIFT_ADMIN_TOKEN": TOKEN})
    await asyncio.to_thread(sidecar.start)
    try:
        sent, client_side, answered = await measure_runs(sidecar, segments, route)
        fallbacks = await asyncio.to_thread(
            sidecar.value, "embedshift_primary_fallbacks_total", route="search"
        )
    finally:
        await asyncio.to_thread(sidecar.stop)
    report = table("thresholds sent (score_threshold)", sent)
    report += "\n\n" + table("client-side filtering (score >= t)", client_side)
    sys.stdout.write("\n" + report + "\n")
    anchors = {s: published["segments"][s]["map"]["anchor"] for s in SEGMENTS}
    figures = {"sent": sent, "client_side": client_side, "anchors": anchors}
    await asyncio.to_thread(write_figures, figures)
    n_queries = sum(len(s.texts) for s in segments.values())
    assert answered == n_queries * len(CLIENT_THRESHOLDS)  # every flipped answer translated
    assert fallbacks == 0
    assert max(gaps(sent["old stack"], sent["new, translated"])) <= TOLERANCE, report
    assert max(gaps(client_side["old stack"], client_side["new, old_scale"])) <= TOLERANCE, report
    assert max(gaps(sent["old stack"], sent["new, untranslated"])) > TOLERANCE, report
    assert max(gaps(client_side["old stack"], client_side["new, raw scores"])) > TOLERANCE, report
