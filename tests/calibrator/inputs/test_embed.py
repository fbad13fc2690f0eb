"""The embeddings API path: cached vectors, and a server that starts failing mid-run."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re

import pytest
from aiohttp import web

from calibrator.calibration.settings import Settings
from calibrator.inputs.embed import Embedding
from calibrator.run.execute import run_job
from calibrator.run.job import Job
from proxy.config.schema import EmbeddingSection
from proxy.embeddings import RetryPolicy
from proxy.errors import EmbeddingError
from proxy.thresholds.document import load_thresholds
from tests.support.fake_embeddings import FakeEmbeddings


class FailingEmbeddings(FakeEmbeddings):
    """The fake provider, answering 500 to every request after ``fail_after`` of them."""

    fail_after: int | None = None

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Fail once ``fail_after`` requests were answered; else answer as the fake does."""
        if self.fail_after is not None and len(self.requests) >= self.fail_after:
            self.requests.append({"input": [], "failed": True})
            return web.json_response({"error": {"message": "boom"}}, status=500)
        return await super().handle(request)


def _write_inputs(tmp_path, n_chunks):
    chunks = tmp_path / "chunks.jsonl"
    chunks.write_text(
        "".join(
            json.dumps({"id": f"c{i}", "text": f"chunk {i} about topic {i % 7}", "segment": "docs"})
            + "\n"
            for i in range(n_chunks)
        )
    )
    eval_path = tmp_path / "eval.jsonl"
    eval_path.write_text(
        "".join(
            json.dumps(
                {
                    "query_id": f"q{i}",
                    "text": f"question about topic {i % 7}",
                    "relevant_ids": [f"c{i}", f"c{i + 7}"],
                    "segment": "docs",
                }
            )
            + "\n"
            for i in range(30)
        )
    )
    return chunks, eval_path


@pytest.fixture
async def provider(aiohttp_server):
    """A fake provider on loopback and the Embedding settings pointing at it."""
    fake = FailingEmbeddings(dim=16)
    server = await aiohttp_server(fake.app())
    section = EmbeddingSection(
        base_url=str(server.make_url("/v1")), model="fake", max_batch=16, max_concurrency=2
    )
    return fake, section


def _job(section, tmp_path, chunks, eval_path):
    embedding = Embedding(
        section,
        tmp_path / "cache",
        document_input_type="passage",
        retry=RetryPolicy(max_attempts=2, base_delay_s=0.01, max_delay_s=0.02),
    )
    return Job(
        out=tmp_path / "out" / "thresholds.json",
        settings=Settings(min_queries=5, bootstrap=20),
        eval_files=(eval_path,),
        chunks=chunks,
        embedding=embedding,
    )


def _texts(fake, start=0):
    return [t for r in fake.requests[start:] for t in r["input"]]


async def test_the_sample_is_embedded_once_and_served_from_the_cache(provider, tmp_path):
    """A first run embeds each distinct text once; a second run asks the provider nothing."""
    fake, section = provider
    chunks, eval_path = _write_inputs(tmp_path, 200)
    job = _job(section, tmp_path, chunks, eval_path)
    result = await asyncio.to_thread(run_job, job)
    assert result.document.version == 1
    assert result.document.model.details["source"] == "api"
    assert sorted(_texts(fake)) == sorted(
        {f"chunk {i} about topic {i % 7}" for i in range(200)}
        | {f"question about topic {i % 7}" for i in range(30)}  # 7 distinct question texts
    )
    kinds = {r.get("input_type") for r in fake.requests}
    assert kinds == {None, "passage"}  # queries as configured (none), chunks as passages
    sent = len(fake.requests)
    await asyncio.to_thread(run_job, job)
    assert len(fake.requests) == sent
    assert load_thresholds(job.out).version == 2


async def test_a_provider_failing_mid_run_keeps_the_last_good_document(provider, tmp_path):
    """A provider that starts failing: clear error, document byte-identical, resume later."""
    fake, section = provider
    # one call at a time, so no abandoned call reaches the provider after the run gave up
    section = dataclasses.replace(section, max_concurrency=1)
    chunks, eval_path = _write_inputs(tmp_path, 100)
    job = _job(section, tmp_path, chunks, eval_path)
    await asyncio.to_thread(run_job, job)
    before = job.out.read_bytes()
    _write_inputs(tmp_path, 300)  # 200 new chunks to embed
    fake.fail_after = len(fake.requests) + 3
    start = len(fake.requests)
    with pytest.raises(EmbeddingError) as failure:
        await asyncio.to_thread(run_job, job)
    message = str(failure.value)
    assert "embedding the labelled sample failed after" in message
    assert "of 200 new texts" in message
    assert "answered 500" in message
    assert "rerun to resume" in message
    assert job.out.read_bytes() == before
    assert sorted(p.name for p in job.out.parent.iterdir()) == [
        "thresholds.json",
        "thresholds.v1.json",
    ]
    found = re.search(r"failed after (\d+) of 200", message)
    assert found is not None
    cached = int(found.group(1))
    assert 0 < cached <= len(_texts(fake, start))  # answers that arrived are kept
    fake.fail_after = None
    resumed = len(fake.requests)
    await asyncio.to_thread(run_job, job)
    assert len(_texts(fake, resumed)) == 200 - cached  # only what was missing
    assert load_thresholds(job.out).version == 2
