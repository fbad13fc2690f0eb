"""``embedshift sample``: stratified, uniform, reproducible, streaming, atomic.

Proportional with a floor, uniform within strata, the same for a seed, memory that does not
grow with the file, and written atomically.
"""

from __future__ import annotations

import json
import math
import random
import subprocess
import sys
import tracemalloc
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import chisquare

from calibrator.reembed.errors import SourceError
from calibrator.sample.stratified import MISSING, Reservoir, allocate, sample_file
from proxy.errors import ConfigError

SHARES = {"docs": 0.60, "code": 0.30, "faq": 0.09, "legal": 0.01}


def write_lines(path, n, seed=0):
    """``n`` lines whose segment follows SHARES (shuffled); returns the segments in order."""
    rng = random.Random(seed)
    segments = [s for s, share in SHARES.items() for _ in range(round(n * share))]
    rng.shuffle(segments)
    with path.open("w") as handle:
        for i, segment in enumerate(segments):
            handle.write(json.dumps({"id": i, "text": f"t{i}", "segment": segment}) + "\n")
    return segments


@given(
    st.dictionaries(st.text(min_size=1, max_size=4), st.integers(0, 5000), min_size=1, max_size=8),
    st.integers(1, 3000),
    st.integers(0, 50),
)
def test_allocation_laws(populations, size, minimum):
    """The allocation adds up, respects floors and sizes, and is proportional elsewhere.

    It adds up to the size (or everything), never exceeds a stratum, gives each at least the
    floor, and is proportional (within one line) where not clamped.
    """
    total = sum(populations.values())
    floor = {h: min(minimum, n) for h, n in populations.items()}
    if size < total and sum(floor.values()) > size:
        with pytest.raises(ConfigError, match="cannot give"):
            allocate(populations, size, minimum)
        return
    counts = allocate(populations, size, minimum)
    assert sum(counts.values()) == min(size, total)
    for h, n in populations.items():
        assert floor[h] <= counts[h] <= n
    free = [h for h in populations if floor[h] < counts[h] < populations[h]]
    if len(free) >= 2:
        rates = [counts[h] / populations[h] for h in free]
        # two unclamped strata differ in rate only by rounding (one line each)
        slack = max(1 / populations[h] for h in free) * 2
        assert max(rates) - min(rates) <= slack + 1e-9


def test_sample_is_proportional_with_a_floor_and_in_source_order(tmp_path):
    """1000 of 20,000 lines: strata get their share, the 1 % stratum gets the floor of 30.

    Every sampled line is a distinct source line, in source order.
    """
    source, output = tmp_path / "chunks.jsonl", tmp_path / "sample.jsonl"
    write_lines(source, 20_000)
    strata = sample_file(source, output, "segment", 1000, seed=42, minimum=30)
    counts = {s.name: s.sampled for s in strata}
    populations = {s.name: s.population for s in strata}
    assert populations == {h: round(20_000 * share) for h, share in SHARES.items()}
    assert counts == allocate(populations, 1000, 30)
    assert counts["legal"] == 30
    assert sum(counts.values()) == 1000
    for name in ("docs", "code", "faq"):
        assert abs(counts[name] / 970 - populations[name] / 19_800) < 0.002
    lines = [json.loads(line) for line in output.read_text().splitlines()]
    assert Counter(line["segment"] for line in lines) == counts
    ids = [line["id"] for line in lines]
    assert ids == sorted(set(ids))


def test_same_seed_same_sample_other_seed_other_sample(tmp_path):
    """A seed reproduces the sample byte for byte; another seed draws another one."""
    source = tmp_path / "chunks.jsonl"
    write_lines(source, 5000)
    outputs = [tmp_path / f"s{i}.jsonl" for i in range(3)]
    for output, seed in zip(outputs, (7, 7, 8), strict=True):
        sample_file(source, output, "segment", 300, seed=seed)
    assert outputs[0].read_bytes() == outputs[1].read_bytes()
    assert outputs[0].read_bytes() != outputs[2].read_bytes()


def test_reservoir_is_uniform():
    """Algorithm L keeps each of 40 items with probability k/40 (chi-square, 4000 draws).

    This includes the items that come after the reservoir fills and the jumps begin.
    """
    k, n, trials = 6, 40, 4000
    hits: Counter[int] = Counter()
    for trial in range(trials):
        reservoir = Reservoir(k, random.Random(trial))
        for item in range(n):
            reservoir.offer(item)
        assert len(set(reservoir.items)) == k
        hits.update(reservoir.items)
    observed = [hits[i] for i in range(n)]
    assert chisquare(observed).pvalue > 1e-3


def test_asking_for_more_than_there_is_takes_everything(tmp_path):
    """A size at least the file's line count returns the whole file, in order."""
    source, output = tmp_path / "chunks.jsonl", tmp_path / "sample.jsonl"
    write_lines(source, 200)
    sample_file(source, output, "segment", 10_000, seed=1)
    assert output.read_bytes() == source.read_bytes()


def test_lines_without_the_field_form_their_own_stratum(tmp_path):
    """Lines lacking --by are sampled as '(missing)'; non-string values are strata too."""
    source, output = tmp_path / "chunks.jsonl", tmp_path / "sample.jsonl"
    rows = [{"id": i, "segment": ["a", 3, None][i % 3]} for i in range(30)] + [{"id": 99}]
    source.write_text("".join(json.dumps(r) + "\n" for r in rows))
    strata = sample_file(source, output, "segment", 8, seed=0, minimum=1)
    assert {s.name: s.population for s in strata} == {"a": 10, "3": 10, "null": 10, MISSING: 1}
    assert sum(s.sampled for s in strata) == 8


def test_bad_lines_are_listed_and_nothing_is_written(tmp_path):
    """Bad JSON and non-object lines are errors by line; an existing output is untouched."""
    source, output = tmp_path / "chunks.jsonl", tmp_path / "sample.jsonl"
    source.write_text('{"segment": "a"}\n{oops\n[1]\n{"segment": "b"}\n')
    output.write_text("previous sample\n")
    with pytest.raises(SourceError) as e:
        sample_file(source, output, "segment", 1, seed=0)
    assert f"{source}:2: not valid JSON" in str(e.value)
    assert f"{source}:3: not a JSON object" in str(e.value)
    assert output.read_text() == "previous sample\n"
    assert list(tmp_path.iterdir()) == [source, output] or set(tmp_path.iterdir()) == {
        source,
        output,
    }


def test_a_field_no_line_has_is_reported(tmp_path):
    """--by naming a field absent from every line is a mistake, said as such."""
    source = tmp_path / "chunks.jsonl"
    write_lines(source, 100)
    with pytest.raises(SourceError, match="no line has the field 'segmnet'"):
        sample_file(source, tmp_path / "out.jsonl", "segmnet", 10, seed=0)


def peak_memory(source, output):
    """Peak traced memory (bytes) while sampling 100 lines of ``source``."""
    tracemalloc.start()
    try:
        sample_file(source, output, "segment", 100, seed=3)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.slow
def test_memory_does_not_grow_with_the_file(tmp_path):
    """Sampling 100 lines of 100,000 needs about the memory of sampling 100 of 10,000."""
    small, large = tmp_path / "small.jsonl", tmp_path / "large.jsonl"
    write_lines(small, 10_000)
    write_lines(large, 100_000)
    peak_small = peak_memory(small, tmp_path / "a.jsonl")
    peak_large = peak_memory(large, tmp_path / "b.jsonl")
    assert peak_large < 1.5 * peak_small + 256 * 1024, (peak_small, peak_large)


def test_the_command_prints_strata_and_counts(tmp_path):
    """`embedshift sample` prints each stratum's lines, sample and share, then a total."""
    source, output = tmp_path / "chunks.jsonl", tmp_path / "sample.jsonl"
    write_lines(source, 1000)
    argv = [
        sys.executable, "-m", "proxy", "sample", "--source", str(source), "--by", "segment",
        "--size", "100", "--seed", "42", "--min-per-stratum", "5", "--output", str(output),
    ]  # fmt: skip
    result = subprocess.run(argv, capture_output=True, text=True, check=True)
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["stratum", "lines", "sampled", "share"]
    table = {row.split()[0]: row.split()[1:] for row in lines[1:5]}
    counts = allocate({h: round(1000 * s) for h, s in SHARES.items()}, 100, 5)
    for name, share in SHARES.items():
        population = round(1000 * share)
        assert table[name][:2] == [f"{population:,}", str(counts[name])]
        assert math.isclose(
            float(table[name][2].rstrip("%")), 100 * counts[name] / population, abs_tol=0.01
        )
    assert lines[5].split() == ["total", "1,000", "100"]
    assert lines[6] == f"wrote 100 lines to {output}"
