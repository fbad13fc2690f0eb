"""The ``[calibrator]`` section: segment tables and the comparison's keys, and their mistakes.

Every mistake is one line naming the file, the key (``[calibrator.segments.NAME].key``) and,
where the text shows it, the line; the sidecar validates the same section (it reads the whole
file), so ``embedshift serve`` refuses such a file too.
"""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType

import pytest

from proxy.config import parse_config
from proxy.config.calibrator import CalibratorSegment
from proxy.errors import ConfigError

BASE = """[upstreams.old]
url = "http://127.0.0.1:6333"
[upstreams.new]
url = "http://127.0.0.1:6334"
"""
SEGMENTS = """
[calibrator.segments.a]
vectors = "a/new"
old_vectors = "a/old"
qrels = ["a/train.tsv", "a/more.tsv"]
[calibrator.segments.b]
vectors = "b/new"
old_vectors = "b/old"
qrels = ["b/qrels.tsv"]
"""


def test_segment_tables_and_the_comparison_s_keys_are_read():
    """Folders, files and held-out queries per segment; k, seed, preserve, check_at, ..."""
    config = parse_config(
        BASE
        + """
[calibrator]
policy = "target_recall=old"
k = 5
seed = 7
quality_bootstrap = 300
preserve = "precision"
check_at = [0.3, 0.5, 1]
[calibrator.segments.a]
vectors = "a/new"
old_vectors = "a/old"
qrels = ["a/train.tsv", "a/more.tsv"]
queries = ["a/queries.jsonl"]
holdout = ["a/test.tsv"]
[calibrator.segments.b]
vectors = "b/new"
old_vectors = "b/old"
qrels = ["b/qrels.tsv"]
holdout_share = 0.5
""",
        "c.toml",
    )
    section = config.calibrator
    assert section is not None
    assert section.per_segment
    assert (section.k, section.seed, section.quality_bootstrap) == (5, 7, 300)
    assert section.preserve == "precision"
    assert section.check_at == (0.3, 0.5, 1.0)
    assert section.segments == MappingProxyType(
        {
            "a": CalibratorSegment(
                vectors="a/new",
                old_vectors="a/old",
                qrels=("a/train.tsv", "a/more.tsv"),
                queries=("a/queries.jsonl",),
                holdout=("a/test.tsv",),
            ),
            "b": CalibratorSegment(
                vectors="b/new", old_vectors="b/old", qrels=("b/qrels.tsv",), holdout_share=0.5
            ),
        }
    )


def test_defaults_are_the_command_s():
    """Unset, the new keys take the defaults of `embedshift calibrate`'s options."""
    config = parse_config(BASE + '[calibrator]\neval = ["e.jsonl"]\nvectors = "v"\n', "c.toml")
    section = config.calibrator
    assert section is not None
    assert not section.per_segment
    assert (section.k, section.seed, section.quality_bootstrap) == (10, 0, 1000)
    assert section.preserve == "recall"
    assert section.check_at == ()
    assert not section.segments


def test_the_worked_example_of_config_toml_is_valid():
    """config.toml's commented [calibrator] example, uncommented, is a valid section."""
    text = (Path(__file__).resolve().parents[3] / "config.toml").read_text()
    lines = text.splitlines()
    start = lines.index("# [thresholds]")
    example = []
    for line in lines[start:]:
        if not line.startswith("#"):
            break
        example.append(line[2:] if line.startswith("# ") else "")
    config = parse_config(BASE + "\n".join(example) + "\n", "config.toml")
    assert config.calibrator is not None
    assert config.calibrator.segments


@pytest.mark.parametrize(
    ("section", "message"),
    [
        (
            SEGMENTS.replace('vectors = "a/new"', 'vector = "a/new"'),
            (
                "[calibrator.segments.a].vector is not a known key (did you mean 'vectors'?); "
                "known keys: holdout, holdout_share, old_vectors, qrels, queries, vectors (line 8)"
            ),
        ),
        (
            SEGMENTS.replace('qrels = ["b/qrels.tsv"]', 'qrels = "b/qrels.tsv"'),
            "[calibrator.segments.b].qrels must be an array, got a string 'b/qrels.tsv' (line 14)",
        ),
        (
            SEGMENTS + "holdout_share = 1.5\n",
            "[calibrator.segments.b].holdout_share must be less than 1, got 1.5 (line 15)",
        ),
        (
            SEGMENTS + "holdout = 0.5\n",
            "[calibrator.segments.b].holdout must be an array, got a number 0.5 (line 15)",
        ),
        (
            SEGMENTS.replace('vectors = "b/new"\n', ""),
            (
                "[calibrator.segments.b].old_vectors needs this segment's own vectors folder "
                "(vectors) (line 12)"
            ),
        ),
        (
            SEGMENTS.replace('vectors = "b/new"\nold_vectors = "b/old"\n', ""),
            (
                "[calibrator.segments.b].vectors is required: segments a have their own vectors "
                "folders, so every segment needs one"
            ),
        ),
        (
            SEGMENTS.replace('old_vectors = "b/old"\n', ""),
            (
                "[calibrator.segments.b].old_vectors is required: segments a have the old model's "
                "vectors, so every segment needs them"
            ),
        ),
        (
            'vectors = "all"\n' + SEGMENTS,
            (
                "[calibrator].vectors cannot be set when segments have their own vectors folders: "
                "give each segment's vectors in [calibrator.segments.NAME] (line 6)"
            ),
        ),
        (
            'doc_segments = "d.tsv"\n' + SEGMENTS,
            (
                "[calibrator].doc_segments cannot be set when segments have their own vectors "
                "folders: give each segment its folder: its documents are its own (line 6)"
            ),
        ),
        (
            'qrels = { c = "c.tsv" }\n' + SEGMENTS,
            (
                "[calibrator].qrels.c names segment 'c', which has no vectors folder: add "
                "[calibrator.segments.c] with its vectors (line 6)"
            ),
        ),
        (
            SEGMENTS.replace("segments.b]", 'segments."b b"]'),
            "[calibrator].segments.b b must be named with 1-64 letters, digits or _.:-",
        ),
        (
            'segments = { a = "a/new" }\nqrels = { a = "q.tsv" }\nvectors = "v"\n',
            "[calibrator.segments.a] must be a table, got a string 'a/new'",
        ),
        (
            'segments = ["a"]\nqrels = { a = "q.tsv" }\nvectors = "v"\n',
            "[calibrator].segments must be a table, got an array (line 6)",
        ),
        (
            'vectors = "v"\n[calibrator.segments.a]\nqrels = []\n',
            (
                "[calibrator].eval or qrels (or a segment's qrels) must name at least one labelled "
                "file"
            ),
        ),
        (
            'qrels = { a = "q.tsv" }\n[calibrator.segments.a]\nholdout_share = 0.5\n',
            "[calibrator].vectors or chunks (or each segment's vectors) must be set",
        ),
        (
            SEGMENTS.replace(
                "[calibrator.segments.a]", 'check_at = ["0.5"]\n[calibrator.segments.a]'
            ),
            "[calibrator].check_at[0] must be a number, got a string '0.5' (line 7)",
        ),
        (
            "k = 0\n" + SEGMENTS,
            "[calibrator].k must be at least 1, got 0 (line 6)",
        ),
        (
            "quality_bootstrap = -1\n" + SEGMENTS,
            "[calibrator].quality_bootstrap must be at least 0, got -1 (line 6)",
        ),
        (
            'preserve = "both"\n' + SEGMENTS,
            "[calibrator].preserve must be one of 'recall', 'precision', got 'both' (line 6)",
        ),
        (
            "seed = 1.5\n" + SEGMENTS,
            "[calibrator].seed must be an integer, got a number 1.5 (line 6)",
        ),
        (
            "rbo_p = 0.8\n" + SEGMENTS,
            "[calibrator].rbo_p is not a known key",
        ),
    ],
)
def test_bad_shapes_are_one_line_naming_file_key_and_line(section, message):
    """A wrong shape or value of the section is a ConfigError of one line with its key."""
    with pytest.raises(ConfigError) as caught:
        parse_config(BASE + "[calibrator]\n" + section, "my.toml")
    text = str(caught.value)
    assert text.startswith("my.toml: ")
    assert "\n" not in text
    assert message in text
