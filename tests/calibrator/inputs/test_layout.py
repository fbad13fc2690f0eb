"""Tests of calibrator.inputs.layout: several files per segment, folders per segment, held out."""

from __future__ import annotations

import pytest

from calibrator.errors import InputError
from calibrator.inputs.layout import (
    Layout,
    disjoint,
    hold_out,
    load_held_out,
    load_labels,
    new_vectors,
    old_vectors,
)
from tests.calibrator.synthetic import collection


def test_several_qrels_files_of_a_segment_add_up(tmp_path):
    """Two qrels files of one segment: both kept; a query in both has the union of its ids."""
    a = collection(tmp_path, "a", 1)
    both = Layout(qrels=(("a", a / "train.tsv"), ("a", a / "test.tsv"), ("a", a / "half.tsv")))
    one = Layout(qrels=(("a", a / "train.tsv"),))
    pairs = sum(len(q.relevant_ids) for q in load_labels(both).queries)
    lines = {
        line for name in ("train", "test") for line in (a / f"{name}.tsv").read_text().splitlines()
    }
    assert pairs == len(lines)  # half.tsv repeats pairs of both: a query's ids are a union
    assert len(load_labels(both).queries) == 30
    assert len(load_labels(one).queries) == 15


def test_colliding_ids_need_a_folder_per_segment(tmp_path):
    """Two collections with the same ids need a folder each.

    One shared folder is an error naming both places; folders per segment keep them apart as
    segment:id, and each segment's documents are its own folder's.
    """
    a, b = collection(tmp_path, "a", 1), collection(tmp_path, "b", 2)
    qrels = (("a", a / "train.tsv"), ("b", b / "train.tsv"))
    with pytest.raises(InputError, match="share one vectors folder; give each segment its own"):
        load_labels(Layout(qrels=qrels, vectors=a / "vectors"))
    layout = Layout(
        qrels=qrels,
        queries=(("a", a / "queries.jsonl"), ("b", b / "queries.jsonl")),
        segment_vectors={"a": a / "vectors", "b": b / "vectors"},
        old_segment_vectors={"a": a / "vectors", "b": b / "vectors"},
    )
    labels = load_labels(layout)
    assert {q.query_id.split(":")[0] for q in labels.queries} == {"a", "b"}
    first = next(q for q in labels.queries if q.segment == "b")
    assert first.text == f"b {first.query_id.split(':')[1]}"
    assert all(d.startswith("b:") for d in first.relevant_ids)
    vectors, segments = new_vectors(layout)
    assert len(vectors.doc_ids) == 240
    assert segments is not None
    assert segments["a:d3"] == "a"
    assert segments["b:d3"] == "b"
    old = old_vectors(layout)
    assert old is not None
    assert old.doc_ids == vectors.doc_ids


def test_layout_mistakes_are_named(tmp_path):
    """Mixed forms, a labelled segment without a folder and a folder without labels."""
    a, b = collection(tmp_path, "a", 1), collection(tmp_path, "b", 2)
    qrels = (("a", a / "train.tsv"), ("b", b / "train.tsv"))
    folders = {"a": a / "vectors", "b": b / "vectors"}
    cases = [
        (Layout(qrels=qrels, vectors=a / "vectors", segment_vectors=folders), "not both"),
        (Layout(qrels=qrels, segment_vectors=folders, doc_segments=a / "x.tsv"), "--doc-segments"),
        (Layout(qrels=qrels, segment_vectors=folders, old_vectors=a / "vectors"), "the form of"),
        (Layout(qrels=qrels, segment_vectors={"a": a / "vectors"}), "add --vectors b=DIR"),
        (
            Layout(qrels=qrels[:1], segment_vectors=folders),
            "names segments b that have no labelled query",
        ),
        (
            Layout(qrels=qrels, segment_vectors=folders, old_segment_vectors={"a": a / "vectors"}),
            "give both models' folders",
        ),
    ]
    for layout, message in cases:
        with pytest.raises(InputError, match=message):
            load_labels(layout)


def test_held_out_queries(tmp_path):
    """A share held out is reproducible and disjoint; a held-out file may not repeat a query."""
    a = collection(tmp_path, "a", 1)
    layout = Layout(qrels=(("a", a / "train.tsv"),), segment_vectors={"a": a / "vectors"})
    labels = load_labels(layout)
    kept, held = hold_out(labels, {"a": 0.5}, seed=0)
    assert len(held.queries) == round(len(labels.queries) / 2)
    assert {q.query_id for q in kept.queries}.isdisjoint(q.query_id for q in held.queries)
    again, _ = hold_out(labels, {"a": 0.5}, seed=0)
    assert again == kept
    assert hold_out(labels, {"a": 0.5}, seed=1)[0] != kept
    test = load_held_out(layout, (("a", a / "test.tsv"),))
    assert all(q.query_id.startswith("a:") for q in test.queries)
    disjoint(labels, test)
    half = load_held_out(layout, (("a", a / "half.tsv"),))
    with pytest.raises(InputError, match="is also labelled for calibration"):
        disjoint(labels, half)  # the same queries, other pairs: not held out at all
    with pytest.raises(InputError, match="has no queries"):
        hold_out(labels, {"z": 0.5}, seed=0)
