"""``reembed`` end to end against a loopback provider that fails on purpose.

Every run's output is compared with what the provider's vectors must give: the same ids in
source order, the same vectors, the other fields carried, nothing else.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace

import numpy as np
import pytest

from calibrator.reembed.checkpoint import load_checkpoint
from calibrator.reembed.errors import BatchFailedError, ResumeError, SourceError
from calibrator.reembed.options import ReembedOptions
from calibrator.reembed.run import run_reembed
from tests.support.fake_embeddings import FakeEmbeddings, fake_vector, write_source

N = 57
BATCH = 5


@pytest.fixture
async def fake(aiohttp_server):
    """A fault-injecting provider; ``fake.url`` is its API base."""
    provider = FakeEmbeddings(dim=6, retry_after="0.01")
    server = await aiohttp_server(provider.app())
    provider.url = str(server.make_url("/v1"))
    return provider


@pytest.fixture
def source(tmp_path):
    """A source of N chunks, and the chunks."""
    path = tmp_path / "chunks.jsonl"
    return path, write_source(path, N)


def options_for(fake, source_path, **changes):
    """Options for a run against the fake (quick retries, small batches)."""
    base = ReembedOptions(
        source=source_path,
        output=source_path.with_name("out.jsonl"),
        model="m",
        api_base=fake.url,
        checkpoint=source_path.with_name("progress.json"),
        batch_size=BATCH,
        concurrency=3,
        timeout_s=2.0,
        max_attempts=4,
        retry_base_delay_s=0.01,
    )
    return replace(base, **changes)


async def run(options):
    """Run in a thread: the command starts its own event loop."""
    return await asyncio.to_thread(run_reembed, options)


def read_jsonl(path):
    """The parsed lines of a JSONL file."""
    return [json.loads(line) for line in path.read_text().splitlines()]


def expected_lines(docs, dim=6, template="{text}"):
    """What the output must hold for ``docs``: id, the fake's vector, the other fields."""
    return [
        {
            "id": d["id"],
            "embedding": fake_vector(template.replace("{text}", d["text"]), dim),
            "segment": d["segment"],
        }
        for d in docs
    ]


async def test_a_clean_run_writes_every_chunk_once_in_source_order(fake, source):
    """Ids in source order, the provider's vectors, fields carried.

    A manifest and a complete checkpoint are left beside the output, and no part file.
    """
    path, docs = source
    options = options_for(fake, path)
    summary = await run(options)
    assert read_jsonl(options.output) == expected_lines(docs)
    assert summary.state.complete
    assert (summary.state.embedded, summary.state.failed) == (N, 0)
    assert summary.state.prompt_tokens == sum(len(d["text"]) for d in docs)
    assert not options.output.with_name("out.jsonl.part").exists()
    manifest = json.loads(options.manifest_file.read_text())
    assert (manifest["records"], manifest["dimension"], manifest["shard"]) == (N, 6, "0/1")
    assert len(fake.requests) == -(-N // BATCH)


async def test_template_and_input_type_reach_the_provider(fake, source):
    """The template wraps each text and input_type goes with every call."""
    path, docs = source
    options = options_for(fake, path, template="passage: {text}", input_type="passage")
    await run(options)
    assert fake.texts_seen[0] == "passage: " + docs[0]["text"]
    assert {r["input_type"] for r in fake.requests} == {"passage"}
    assert read_jsonl(options.output) == expected_lines(docs, template="passage: {text}")


async def test_an_old_embedding_field_in_the_source_is_not_carried(fake, tmp_path):
    """A source line's own "embedding" (the old vector) never overwrites the new one."""
    path = tmp_path / "chunks.jsonl"
    path.write_text(
        json.dumps({"id": 1, "text": "hello", "embedding": [9, 9], "lang": "en"}) + "\n"
    )
    options = options_for(fake, path)
    await run(options)
    assert read_jsonl(options.output) == [
        {"id": 1, "embedding": fake_vector("hello", 6), "lang": "en"}
    ]


@pytest.mark.parametrize(
    "faults",
    [
        ("429", "500", "503-date"),
        ("slow", "drop"),
        ("wrong_count", "nan", "wrong_dim", "shuffle"),
    ],
)
async def test_faults_are_retried_and_the_output_is_exact(fake, source, faults):
    """429, 5xx, slow answers, dropped connections, broken answers: retried, output exact."""
    path, docs = source
    fake.slow_s = 3.0
    fake.queue(*faults)
    summary = await run(options_for(fake, path))
    assert read_jsonl(path.with_name("out.jsonl")) == expected_lines(docs)
    broken = sum(f != "shuffle" for f in faults)
    assert summary.usage.retries == broken


async def test_slow_first_batch_is_held_back_so_the_output_stays_in_order(fake, source):
    """With batch 0 answered last, later batches wait in the reorder buffer."""
    path, docs = source
    fake.slow_s = 0.5
    fake.queue("slow")
    options = options_for(fake, path, concurrency=4, timeout_s=5.0)
    await run(options)
    first_answered = fake.requests[0]["input"][0]
    assert first_answered == docs[0]["text"]
    assert [line["id"] for line in read_jsonl(options.output)] == [d["id"] for d in docs]


async def test_a_refused_chunk_stops_the_run_naming_it_and_resume_skips_it(fake, source):
    """A 400 for one text stops the run naming the batch and ids; --skip-invalid goes on.

    The checkpoint left is consistent; rerun with --skip-invalid, only that chunk lands in
    the failed file.
    """
    path, docs = source
    bad = docs[23]
    fake.reject_text = bad["text"]
    options = options_for(fake, path, concurrency=1)
    with pytest.raises(BatchFailedError, match=r"batch 4 \(lines 21-25; ids 'c20', 'c21'") as e:
        await run(options)
    assert "refused with 400: This input is too long" in str(e.value)
    assert "--skip-invalid" in str(e.value)
    saved = load_checkpoint(options.checkpoint)
    assert saved is not None
    assert saved.records_done == 20
    part = options.output.with_name("out.jsonl.part")
    assert part.stat().st_size >= saved.lengths[part.name]

    summary = await run(replace(options, skip_invalid=True))
    good = [d for d in docs if d is not bad]
    assert read_jsonl(options.output) == expected_lines(good)
    assert read_jsonl(options.failed_file) == [
        {
            "id": bad["id"],
            "line": 24,
            "status": 400,
            "message": "This input is too long for the model",
        }
    ]
    assert (summary.state.embedded, summary.state.failed) == (N - 1, 1)


async def test_a_persistently_broken_answer_names_the_chunk(fake, source):
    """NaN answers until retries run out: the run stops naming batch 0 and chunk c0."""
    path, _docs = source
    fake.queue("nan", "nan", "nan", "nan")
    with pytest.raises(BatchFailedError) as e:
        await run(options_for(fake, path, concurrency=1))
    message = str(e.value)
    assert message.startswith("batch 0 (lines 1-5; ids 'c0', 'c1', 'c2' and 2 more) failed:")
    assert "non-finite" in message
    assert "gave up after 4 attempts" in message
    assert "chunks concerned: id 'c0' (line 1)" in message


async def test_a_torn_tail_is_cut_off_on_resume(fake, source):
    """Bytes written after the last checkpoint (a torn line) are removed by the rerun."""
    path, docs = source
    fake.reject_text = docs[30]["text"]
    options = options_for(fake, path, concurrency=1)
    with pytest.raises(BatchFailedError):
        await run(options)
    part = options.output.with_name("out.jsonl.part")
    with part.open("ab") as handle:
        handle.write(b'{"id": "c30", "embedding": [0.1, 0.')
    fake.reject_text = None
    await run(options)
    assert read_jsonl(options.output) == expected_lines(docs)


async def test_a_failed_run_checkpoints_what_it_committed(fake, source):
    """A failing batch leaves a checkpoint covering every batch before it; rerun is exact.

    Even with rare checkpoints (every 4 batches), the stop writes a last one.
    """
    path, docs = source
    fake.reject_text = docs[44]["text"]
    options = options_for(fake, path, concurrency=1, checkpoint_every=4, checkpoint_interval_s=0)
    with pytest.raises(BatchFailedError):
        await run(options)
    saved = load_checkpoint(options.checkpoint)
    assert saved is not None
    assert saved.records_done == 40  # batches 0-7; batch 8 holds the refused text
    fake.reject_text = None
    await run(options)
    assert read_jsonl(options.output) == expected_lines(docs)


async def test_a_different_command_cannot_resume_the_checkpoint(fake, source):
    """Resuming with another model or batch size is refused, naming both options."""
    path, docs = source
    fake.reject_text = docs[30]["text"]
    options = options_for(fake, path)
    with pytest.raises(BatchFailedError):
        await run(options)
    with pytest.raises(ResumeError, match=r"--batch-size was '5', now '7'; --model was 'm'"):
        await run(replace(options, model="other", batch_size=7))


async def test_a_changed_source_cannot_resume_the_checkpoint(fake, source):
    """Editing the source between runs is detected by its fingerprint."""
    path, docs = source
    fake.reject_text = docs[30]["text"]
    options = options_for(fake, path)
    with pytest.raises(BatchFailedError):
        await run(options)
    write_source(path, N, segments=("other",))
    with pytest.raises(ResumeError, match="the source file changed"):
        await run(options)


async def test_a_bad_source_is_refused_before_any_call(fake, tmp_path):
    """Bad JSON, missing/empty text, bad and duplicate ids: all listed; nothing is sent."""
    path = tmp_path / "chunks.jsonl"
    lines = [
        '{"id": "a", "text": "fine"}',
        "{not json",
        '{"id": "b"}',
        '{"id": "c", "text": "   "}',
        '{"text": "no id"}',
        '{"id": true, "text": "bool id"}',
        "",
        '{"id": "a", "text": "again"}',
        '{"id": 7, "text": "seven"}',
        '{"id": "7", "text": "seven as a string"}',
        "[1, 2]",
    ]
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(SourceError) as e:
        await run(options_for(fake, path))
    assert str(e.value).splitlines() == [
        f"{path} has 8 problems (nothing was sent to the embeddings API):",
        (
            f"  {path}:2: not valid JSON (Expecting property name enclosed in double quotes: "
            "line 1 column 2 (char 1))"
        ),
        f"  {path}:3: no 'text' string",
        f"  {path}:4: 'text' is empty",
        f"  {path}:5: no 'id'",
        f"  {path}:6: 'id' must be a string or an integer, got bool",
        f"  {path}:8: id 'a' already used on line 1",
        f"  {path}:10: id '7' already used on line 9",
        f"  {path}:11: not a JSON object",
    ]
    assert fake.requests == []


async def test_many_problems_are_cut_short(fake, tmp_path):
    """Past the limit, problems are counted rather than listed."""
    path = tmp_path / "chunks.jsonl"
    path.write_text("".join(f'{{"id": {i}}}\n' for i in range(45)))
    with pytest.raises(SourceError) as e:
        await run(options_for(fake, path))
    assert str(e.value).splitlines()[-1] == "  and 25 more"


async def test_npy_output_holds_the_same_vectors_as_float32(fake, source):
    """--format npy: a float32 [n, dim] array and an id file, rows in source order."""
    path, docs = source
    options = options_for(fake, path, output=path.with_name("out.npy"), format="npy")
    await run(options)
    array = np.load(path.with_name("out.npy"))
    ids = path.with_name("out.ids.txt").read_text().splitlines()
    assert ids == [d["id"] for d in docs]
    assert array.dtype == np.float32
    expected = np.array([fake_vector(d["text"], 6) for d in docs], dtype=np.float32)
    np.testing.assert_array_equal(array, expected)


async def test_rerunning_a_finished_run_changes_nothing(fake, source):
    """A complete checkpoint makes the rerun a no-op: no call, same output."""
    path, _docs = source
    options = options_for(fake, path)
    await run(options)
    before = options.output.read_bytes()
    calls = len(fake.requests)
    summary = await run(options)
    assert summary.already_complete
    assert len(fake.requests) == calls
    assert options.output.read_bytes() == before
