"""The embeddings API path against a real server: infinity-emb serving all-MiniLM-L6-v2.

SciFact texts embedded through the API must calibrate to the same thresholds as the vectors
the shared data folder holds for the same texts (computed with sentence-transformers).
"""

from __future__ import annotations

import asyncio
import gzip
import json

import pytest

from calibrator.calibration.calibrate import calibrate
from calibrator.calibration.settings import Settings
from calibrator.inputs.embed import Embedding
from calibrator.inputs.labels import load_eval_jsonl
from calibrator.inputs.vectors import Vectors, load_vectors
from calibrator.run.execute import run_job
from calibrator.run.job import Job
from proxy.config.schema import EmbeddingSection

pytestmark = pytest.mark.integration
QUERIES, OTHER_DOCS = 60, 240


def _sample(shared_data, tmp_path):
    """60 SciFact train queries, their relevant documents and 240 others, as JSONL files."""
    sci = shared_data / "scifact"
    qrels: dict[str, list[str]] = {}
    for line in (sci / "qrels_train.tsv").read_text().splitlines():
        query_id, doc_id, _ = line.split("\t")
        qrels.setdefault(query_id, []).append(doc_id)
    texts = {}
    for line in (sci / "queries_train.jsonl").read_text().splitlines():
        row = json.loads(line)
        texts[row["id"]] = row["text"]
    chosen = list(qrels)[:QUERIES]
    wanted = {d for q in chosen for d in qrels[q]}
    chunks: list[dict[str, str]] = []
    with gzip.open(sci / "corpus.jsonl.gz", "rt") as corpus:
        for line in corpus:
            doc = json.loads(line)
            if doc["id"] in wanted or len(chunks) < len(wanted) + OTHER_DOCS:
                text = (doc["title"] + " " + doc["text"]).strip()
                chunks.append({"id": doc["id"], "text": text, "segment": "scifact"})
    chunks_path, eval_path = tmp_path / "chunks.jsonl", tmp_path / "eval.jsonl"
    chunks_path.write_text("".join(json.dumps(c) + "\n" for c in chunks))
    rows = [
        {"query_id": q, "text": texts[q], "relevant_ids": qrels[q], "segment": "scifact"}
        for q in chosen
    ]
    eval_path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return chunks_path, eval_path, [c["id"] for c in chunks], chosen


def _stored(shared_data, doc_ids, query_ids):
    """The shared data's MiniLM vectors of the same documents and queries."""
    v = load_vectors(shared_data / "scifact" / "embeddings" / "all-MiniLM-L6-v2")
    d, q = v.doc_rows(), v.query_rows()
    return Vectors(
        doc_ids=tuple(doc_ids),
        docs=v.docs[[d[i] for i in doc_ids]],
        query_ids=tuple(query_ids),
        queries=v.queries[[q[i] for i in query_ids]],
        source="stored",
    )


async def test_api_path_calibrates_like_the_stored_vectors(infinity_url, shared_data, tmp_path):
    """Thresholds, precision and recall from the API's vectors equal the stored vectors' ones."""
    chunks, eval_path, doc_ids, query_ids = _sample(shared_data, tmp_path)
    settings = Settings(min_queries=10, bootstrap=50)
    section = EmbeddingSection(base_url=infinity_url, model="all-MiniLM-L6-v2", timeout_s=60.0)
    job = Job(
        out=tmp_path / "thresholds.json",
        settings=settings,
        eval_files=(eval_path,),
        chunks=chunks,
        embedding=Embedding(section, tmp_path / "cache"),
    )
    via_api = (await asyncio.to_thread(run_job, job)).calibration
    stored = calibrate(
        load_eval_jsonl(eval_path), _stored(shared_data, doc_ids, query_ids), settings
    )
    a, b = via_api.global_.entry, stored.global_.entry
    api, ref = f"{a.threshold} P={a.precision} R={a.recall}", f"{b.threshold} P={b.precision}"
    print(f"API: {api}; stored: {ref} R={b.recall}")
    assert a.threshold == pytest.approx(b.threshold, abs=1e-4)
    assert a.precision == pytest.approx(b.precision)
    assert a.recall == pytest.approx(b.recall)
