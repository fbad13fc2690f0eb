"""Sharded runs and ``merge``: the shards cover the source exactly once, in source order."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from calibrator.reembed.errors import MergeError
from calibrator.reembed.merge import merge_parts
from calibrator.reembed.options import ReembedOptions
from calibrator.reembed.run import run_reembed
from calibrator.reembed.shard import Shard, shard_of
from proxy.errors import ConfigError
from tests.support.fake_embeddings import FakeEmbeddings, write_source

N = 90
PARTS = 3


@pytest.fixture
async def fake(aiohttp_server):
    """A provider on loopback."""
    provider = FakeEmbeddings(dim=4)
    server = await aiohttp_server(provider.app())
    provider.url = str(server.make_url("/v1"))
    return provider


def options_for(fake, source, output, **changes):
    """Options for a run against the fake."""
    base = ReembedOptions(
        source=source,
        output=output,
        model="m",
        api_base=fake.url,
        checkpoint=output.with_name(output.name + ".ckpt"),
        batch_size=7,
        concurrency=2,
    )
    return replace(base, **changes)


async def run_shards(fake, tmp_path, fmt="jsonl", **changes):
    """Run every shard of the source; the part paths, shard order."""
    source = tmp_path / "chunks.jsonl"
    suffix = ".npy" if fmt == "npy" else ".jsonl"
    parts = [tmp_path / f"part-{i}{suffix}" for i in range(PARTS)]
    for index, part in enumerate(parts):
        options = options_for(fake, source, part, shard=Shard(index, PARTS), format=fmt, **changes)
        await asyncio.to_thread(run_reembed, options)
    return source, parts


@given(st.lists(st.text(min_size=1), unique=True, max_size=50), st.integers(1, 9))
def test_every_id_falls_in_exactly_one_shard(ids, count):
    """For any N, each id is held by exactly one of shards 0..N-1."""
    for key in ids:
        holders = [i for i in range(count) if Shard(i, count).holds(key)]
        assert holders == [shard_of(key, count)]


def test_the_split_does_not_depend_on_the_process():
    """Shards are the same in another interpreter with another hash seed (pods agree)."""
    keys = [f"doc-{i}" for i in range(200)]
    code = (
        f"from calibrator.reembed.shard import shard_of;print([shard_of(k, 7) for k in {keys!r}])"
    )
    env = os.environ | {"PYTHONHASHSEED": "12345"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert json.loads(out.stdout) == [shard_of(k, 7) for k in keys]
    assert len(set(json.loads(out.stdout))) == 7


@pytest.mark.parametrize(
    ("text", "message"),
    [("3/3", "the index must be in 0..N-1"), ("a/b", "must look like I/N"), ("1/0", "0..N-1")],
)
def test_bad_shard_specs_are_config_errors(text, message):
    """--shard must be I/N with 0 <= I < N."""
    with pytest.raises(ConfigError, match=message):
        Shard.parse(text)


async def test_merged_shards_equal_an_unsharded_run(fake, tmp_path):
    """Three shards merged give byte for byte the output of one unsharded run."""
    source = tmp_path / "chunks.jsonl"
    write_source(source, N)
    source, parts = await run_shards(fake, tmp_path)
    sizes = [len(p.read_text().splitlines()) for p in parts]
    assert sum(sizes) == N
    assert all(sizes)
    merged = tmp_path / "merged.jsonl"
    summary = merge_parts(source, parts, merged)
    whole = tmp_path / "whole.jsonl"
    await asyncio.to_thread(run_reembed, options_for(fake, source, whole))
    assert merged.read_bytes() == whole.read_bytes()
    assert (summary.records, summary.refused) == (N, 0)


async def test_merged_npy_shards_equal_an_unsharded_npy_run(fake, tmp_path):
    """The same for --format npy: array and id file."""
    source = tmp_path / "chunks.jsonl"
    write_source(source, N)
    source, parts = await run_shards(fake, tmp_path, fmt="npy")
    merged = tmp_path / "merged.npy"
    merge_parts(source, parts, merged)
    whole = tmp_path / "whole.npy"
    await asyncio.to_thread(run_reembed, options_for(fake, source, whole, format="npy"))
    np.testing.assert_array_equal(np.load(merged), np.load(whole))
    assert (tmp_path / "merged.ids.txt").read_bytes() == (tmp_path / "whole.ids.txt").read_bytes()


async def test_refused_chunks_are_accounted_for_in_the_merge(fake, tmp_path):
    """A chunk refused in a shard (--skip-invalid) is left out, counted and listed."""
    source = tmp_path / "chunks.jsonl"
    docs = write_source(source, N)
    fake.reject_text = docs[10]["text"]
    source, parts = await run_shards(fake, tmp_path, skip_invalid=True)
    merged = tmp_path / "merged.jsonl"
    summary = merge_parts(source, parts, merged)
    assert (summary.records, summary.refused) == (N - 1, 1)
    ids = [json.loads(line)["id"] for line in merged.read_text().splitlines()]
    assert ids == [d["id"] for d in docs if d is not docs[10]]
    failed = (tmp_path / "merged.jsonl.failed.jsonl").read_text().splitlines()
    assert [json.loads(line)["id"] for line in failed] == [docs[10]["id"]]


async def test_merge_refuses_parts_that_do_not_cover_the_source(fake, tmp_path):
    """Missing, duplicated, tampered and foreign parts are refused; no output is left."""
    source = tmp_path / "chunks.jsonl"
    write_source(source, N)
    source, parts = await run_shards(fake, tmp_path)
    merged = tmp_path / "merged.jsonl"
    with pytest.raises(MergeError, match=r"shard\(s\) 1 of 3 missing"):
        merge_parts(source, [parts[0], parts[2]], merged)
    with pytest.raises(MergeError, match="are both shard 0/3"):
        merge_parts(source, [parts[0], parts[0], parts[1], parts[2]], merged)

    lines = parts[1].read_text().splitlines(keepends=True)
    parts[1].write_text("".join(lines[:3] + lines[4:]))
    with pytest.raises(
        MergeError, match=r"part-1\.jsonl should hold id '.*' \(source line \d+\) next"
    ):
        merge_parts(source, parts, merged)
    parts[1].write_text("".join([*lines, lines[0]]))
    with pytest.raises(MergeError, match=r"part-1\.jsonl holds id"):
        merge_parts(source, parts, merged)
    assert not merged.exists()

    write_source(source, N, segments=("changed",))
    with pytest.raises(MergeError, match="was made from another source file"):
        merge_parts(source, parts, merged)


async def test_merge_needs_finished_parts(fake, tmp_path):
    """A part without its manifest (an unfinished run) is refused by name."""
    source = tmp_path / "chunks.jsonl"
    write_source(source, N)
    source, parts = await run_shards(fake, tmp_path)
    parts[2].with_name(parts[2].name + ".manifest.json").unlink()
    with pytest.raises(MergeError, match=r"part-2.jsonl.manifest.json is missing"):
        merge_parts(source, parts, tmp_path / "merged.jsonl")
