"""The re-embed files: npy headers, atomic replacement, checkpoints, damaged files.

NumPy must read our npy headers; a failed write leaves the old file; checkpoints round-trip
and damaged checkpoints or part files are named errors.
"""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from calibrator.reembed.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from calibrator.reembed.duplicates import DuplicateHashes
from calibrator.reembed.errors import ResumeError
from calibrator.reembed.sinks import AppendFile, npy_header
from proxy.files import atomic_output


@given(st.integers(0, 10**7), st.integers(0, 5000))
def test_npy_header_is_what_numpy_reads(rows, dim):
    """NumPy's own reader accepts our header: shape, dtype, order, 64-byte alignment."""
    header = npy_header(rows, dim)
    assert len(header) % 64 == 0
    stream = io.BytesIO(header)
    version = np.lib.format.read_magic(stream)
    reader = np.lib.format.read_array_header_1_0 if version == (1, 0) else None
    assert reader is not None
    shape, fortran, dtype = reader(stream)
    assert (shape, fortran, dtype) == ((rows, dim), False, np.dtype("<f4"))


def test_atomic_output_keeps_the_old_file_when_writing_fails(tmp_path):
    """An exception while writing leaves the previous file intact and no temporary file."""
    target = tmp_path / "out.json"
    target.write_text("old")

    def write_then_fail():
        with atomic_output(target) as handle:
            handle.write(b"half")
            raise RuntimeError

    with pytest.raises(RuntimeError):
        write_then_fail()
    assert target.read_text() == "old"
    assert list(tmp_path.iterdir()) == [target]


def test_checkpoint_round_trips(tmp_path):
    """What is saved is what is loaded; no checkpoint reads as None."""
    path = tmp_path / "progress.json"
    assert load_checkpoint(path) is None
    saved = Checkpoint({"--model": "m"}, records_done=40, lengths={"out.part": 123}, dimension=8)
    save_checkpoint(path, saved)
    assert load_checkpoint(path) == saved


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{torn", "is not valid JSON"),
        ('{"version": 99}', "is not a version 1 re-embed checkpoint"),
        ('{"version": 1, "fingerprint": {}, "colour": 1}', "is not a re-embed checkpoint"),
        (
            '{"version": 1, "fingerprint": {}, "records_done": -3}',
            "holds negative or non-integer counts",
        ),
    ],
)
def test_damaged_checkpoints_are_named(tmp_path, content, message):
    """A damaged checkpoint is an error naming the file, never a silent restart."""
    path = tmp_path / "progress.json"
    path.write_text(content)
    with pytest.raises(ResumeError, match=message):
        load_checkpoint(path)


def test_an_append_file_is_cut_back_to_the_checkpointed_length(tmp_path):
    """Opening at a length drops what lies beyond; appending continues from there."""
    part = AppendFile(tmp_path / "out.part")
    part.write(b"line 1\nline 2\nline 3 torn")
    assert part.sync() == len(b"line 1\nline 2\nline 3 torn")
    part.close()
    part.open(len(b"line 1\nline 2\n"))
    part.write(b"line 3\n")
    assert part.sync() == len(b"line 1\nline 2\nline 3\n")
    part.close()
    assert (tmp_path / "out.part").read_bytes() == b"line 1\nline 2\nline 3\n"


def test_a_part_file_shorter_than_the_checkpoint_is_an_error(tmp_path):
    """Data lost behind the checkpoint's back is reported, not papered over."""
    (tmp_path / "out.part").write_bytes(b"short")
    with pytest.raises(ResumeError, match=r"holds 5 bytes but the checkpoint recorded 100"):
        AppendFile(tmp_path / "out.part").open(100)


def test_checkpoint_json_is_readable(tmp_path):
    """The checkpoint is plain JSON an operator can read."""
    path = tmp_path / "progress.json"
    save_checkpoint(path, Checkpoint({"--model": "m"}, records_done=5))
    doc = json.loads(path.read_text())
    assert doc["records_done"] == 5
    assert doc["fingerprint"] == {"--model": "m"}


@given(st.lists(st.integers(0, 2**64 - 1), max_size=300), st.integers(0, 2**32))
def test_duplicate_hashes_are_found_exactly(values, seed):
    """The hashes reported are exactly those added more than once (Counter as reference)."""
    import random
    from collections import Counter

    rng = random.Random(seed)
    stream = values + rng.sample(values, k=min(len(values), 5))
    finder = DuplicateHashes()
    for value in stream:
        finder.add(value)
    assert finder.repeated() == {v for v, n in Counter(stream).items() if n > 1}


def test_duplicate_hashes_spill_to_disk_and_clean_up(tmp_path, monkeypatch):
    """Past the buffers, hashes go to temporary files; all are found; the files go away."""
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    finder = DuplicateHashes()
    values = [(i * 0x9E3779B97F4A7C15) % 2**64 for i in range(200_000)]
    for value in [*values, values[7], values[150_000]]:
        finder.add(value)
    assert any(tmp_path.iterdir())
    assert finder.repeated() == {values[7], values[150_000]}
    assert not any(tmp_path.iterdir())
