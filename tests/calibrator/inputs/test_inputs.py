"""Tests of calibrator.inputs (labels, vectors): every bad line names file and line."""

from __future__ import annotations

import json

import numpy as np
import pytest

from calibrator.errors import InputError
from calibrator.inputs.labels import (
    load_chunks,
    load_doc_segments,
    load_eval_jsonl,
    load_qrels,
    merge,
)
from calibrator.inputs.vectors import Vectors, concat, load_vectors, save_vectors

GOOD = {"query_id": "q1", "text": "what", "relevant_ids": ["d1", "d2"], "segment": "docs"}


def _write(path, lines):
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def test_eval_jsonl_loads_queries_in_order(tmp_path):
    """Valid lines load in order; blank lines are skipped; integer ids become strings."""
    path = _write(
        tmp_path / "eval.jsonl",
        [
            json.dumps(GOOD),
            "",
            json.dumps({"query_id": 7, "relevant_ids": [3, "d3", 3]}),
        ],
    )
    eval_set = load_eval_jsonl(path)
    first, second = eval_set.queries
    assert (first.query_id, first.segment, first.relevant_ids) == ("q1", "docs", ("d1", "d2"))
    assert (second.query_id, second.segment, second.relevant_ids) == ("7", "default", ("3", "d3"))
    assert (second.line, second.text) == (3, None)
    assert eval_set.segments() == ("default", "docs")


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        (json.dumps({"relevant_ids": []}), "query_id is missing"),
        (json.dumps({"query_id": "q9"}), "relevant_ids is missing"),
        (json.dumps({"query_id": "q9", "relevant_ids": "d1"}), "relevant_ids must be a list"),
        (json.dumps({"query_id": "q9", "relevant_ids": [""]}), r"relevant_ids\[0\] must be"),
        (json.dumps({"query_id": True, "relevant_ids": []}), "query_id must be"),
        (json.dumps({**GOOD, "query_id": "q9", "segment": "a b"}), "segment must be"),
        (json.dumps({**GOOD, "query_id": "q9", "text": 3}), "text must be a string"),
        (json.dumps(GOOD), "query_id 'q1' repeats line 1"),
    ],
)
def test_each_bad_eval_line_names_file_and_line(tmp_path, bad, message):
    """A corrupt third line fails the whole load with path:3 and what is wrong."""
    path = _write(
        tmp_path / "eval.jsonl", [json.dumps(GOOD), json.dumps({**GOOD, "query_id": "q2"}), bad]
    )
    with pytest.raises(InputError, match=rf"^{path}:3: {message}"):
        load_eval_jsonl(path)


def test_a_query_id_may_repeat_in_another_segment_but_not_in_its_own(tmp_path):
    """The key is (segment, query_id): two segments may share an id; one segment may not."""
    other = {**GOOD, "segment": "code", "relevant_ids": ["c1"]}
    path = _write(tmp_path / "eval.jsonl", [json.dumps(GOOD), json.dumps(other)])
    docs, code = load_eval_jsonl(path).queries
    assert (docs.query_id, docs.segment, docs.relevant_ids) == ("q1", "docs", ("d1", "d2"))
    assert (code.query_id, code.segment, code.relevant_ids) == ("q1", "code", ("c1",))
    _write(path, [json.dumps(GOOD), json.dumps(other), json.dumps({**GOOD, "relevant_ids": []})])
    with pytest.raises(
        InputError, match=rf"^{path}:3: query_id 'q1' repeats line 1 \(segment 'docs'\)"
    ):
        load_eval_jsonl(path)
    plain = {"query_id": 5, "relevant_ids": []}  # no segment: both in "default"
    _write(path, [json.dumps(plain), json.dumps({**plain, "query_id": "5"})])
    with pytest.raises(
        InputError, match=rf"^{path}:2: query_id '5' repeats line 1 \(segment 'default'\)"
    ):
        load_eval_jsonl(path)


def test_invalid_utf8_and_missing_files_are_input_errors(tmp_path):
    """Bytes that are not UTF-8 name their line; a missing file says so."""
    path = tmp_path / "eval.jsonl"
    path.write_bytes(json.dumps(GOOD).encode() + b"\n\xff\xfe\n")
    with pytest.raises(InputError, match=rf"{path}:2: not valid UTF-8"):
        load_eval_jsonl(path)
    with pytest.raises(InputError, match="no such file"):
        load_eval_jsonl(tmp_path / "absent.jsonl")
    with pytest.raises(InputError, match="has no labelled queries"):
        load_eval_jsonl(_write(tmp_path / "empty.jsonl", [""]))


def test_qrels_beir_trec_and_header_forms(tmp_path):
    """BEIR (3 columns, optional header) and TREC (4 columns) qrels both load."""
    beir = _write(tmp_path / "beir.tsv", ["query-id\tcorpus-id\tscore", "1\t10\t1", "1\t11\t2"])
    trec = _write(tmp_path / "trec.tsv", ["1 0 10 1", "2 0 12 0"])
    a = load_qrels(beir, "docs")
    assert [(q.query_id, q.relevant_ids, q.segment) for q in a.queries] == [
        ("1", ("10", "11"), "docs")
    ]
    b = load_qrels(trec, min_relevance=1)
    assert [(q.query_id, q.relevant_ids) for q in b.queries] == [("1", ("10",)), ("2", ())]


def test_qrels_take_texts_from_a_queries_file(tmp_path):
    """With a queries file each query gets its text; a query missing there is an error."""
    qrels = _write(tmp_path / "qrels.tsv", ["1\t10\t1", "2\t11\t1"])
    queries = _write(tmp_path / "queries.jsonl", [json.dumps({"id": "1", "text": "hello"})])
    with pytest.raises(InputError, match=rf"{qrels}:2: query '2' is not in"):
        load_qrels(qrels, queries_path=queries)
    _write(queries, [json.dumps({"id": "1", "text": "hello"}), json.dumps({"id": 2, "text": "x"})])
    assert [q.text for q in load_qrels(qrels, queries_path=queries).queries] == ["hello", "x"]


def test_bad_qrels_lines_name_their_line(tmp_path):
    """A qrels line with a bad relevance or column count names file and line."""
    with pytest.raises(InputError, match=r":2: relevance must be an integer"):
        load_qrels(_write(tmp_path / "a.tsv", ["1\t10\t1", "1\t11\tyes"]))
    with pytest.raises(InputError, match=r":1: expected query_id, doc_id, relevance"):
        load_qrels(_write(tmp_path / "b.tsv", ["1\t10"]))


def test_merge_refuses_a_query_in_two_files(tmp_path):
    """The same query id in two eval files is an error naming both places."""
    a = load_eval_jsonl(_write(tmp_path / "a.jsonl", [json.dumps(GOOD)]))
    b = load_eval_jsonl(_write(tmp_path / "b.jsonl", ["", json.dumps(GOOD)]))
    with pytest.raises(InputError, match=r"b.jsonl:2: query_id 'q1' is also at .*a.jsonl:1"):
        merge(a, b)


def test_chunks_and_doc_segments(tmp_path):
    """Chunks need unique ids and text; doc segments need two columns and unique ids."""
    chunks = _write(
        tmp_path / "c.jsonl",
        [
            json.dumps({"id": "a", "text": "x", "segment": "docs"}),
            json.dumps({"id": "b", "text": "y"}),
        ],
    )
    assert [(c.id, c.segment) for c in load_chunks(chunks)] == [("a", "docs"), ("b", "default")]
    _write(chunks, [json.dumps({"id": "a", "text": "x"}), json.dumps({"id": "a", "text": "y"})])
    with pytest.raises(InputError, match=r":2: id 'a' repeats line 1"):
        load_chunks(chunks)
    segments = _write(tmp_path / "s.tsv", ["a\tdocs", "b\tcode"])
    assert dict(load_doc_segments(segments)) == {"a": "docs", "b": "code"}
    _write(segments, ["a\tdocs", "a\tcode"])
    with pytest.raises(InputError, match=r":2: doc_id 'a' repeats line 1"):
        load_doc_segments(segments)


def _vectors(tmp_path, docs=3, queries=2, dim=4):
    rng = np.random.default_rng(0)
    v = Vectors(
        doc_ids=tuple(f"d{i}" for i in range(docs)),
        docs=rng.normal(size=(docs, dim)).astype(np.float32),
        query_ids=tuple(f"q{i}" for i in range(queries)),
        queries=rng.normal(size=(queries, dim)).astype(np.float32),
        source="test",
    )
    save_vectors(v, tmp_path / "vec")
    return tmp_path / "vec"


def test_vectors_round_trip(tmp_path):
    """A saved directory loads back with the same ids and values."""
    directory = _vectors(tmp_path)
    loaded = load_vectors(directory)
    assert loaded.doc_ids == ("d0", "d1", "d2")
    assert loaded.queries.shape == (2, 4)
    assert loaded.docs.dtype == np.float32


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (
            lambda d: (d / "doc_ids.txt").write_text("d0\nd1\n"),
            "has 3 rows but doc_ids.txt lists 2",
        ),
        (
            lambda d: (d / "doc_ids.txt").write_text("d0\nd0\nd1\n"),
            r"doc_ids.txt:2: id 'd0' repeats",
        ),
        (lambda d: np.save(d / "docs.npy", np.zeros((3, 5))), "dimension 5 but queries.npy 4"),
        (lambda d: np.save(d / "docs.npy", np.full((3, 4), np.nan)), "row 0 .* is not finite"),
        (lambda d: (d / "queries.npy").unlink(), "queries.npy: no such file"),
        (lambda d: (d / "docs.npy").write_text("nope"), "not a readable .npy"),
    ],
)
def test_damaged_vectors_directories_name_the_file(tmp_path, damage, message):
    """Each way a vectors directory can be wrong is an InputError naming the file."""
    directory = _vectors(tmp_path)
    damage(directory)
    with pytest.raises(InputError, match=message):
        load_vectors(directory)


def test_namespaced_concat_keeps_colliding_ids_apart(tmp_path):
    """Two sets with the same ids combine once namespaced, and not before."""
    one = load_vectors(_vectors(tmp_path))
    with pytest.raises(InputError, match="repeats"):
        concat([one, one], "both")
    both = concat([one.namespaced("a"), one.namespaced("b")], "both")
    assert both.doc_ids[:2] == ("a:d0", "a:d1")
    assert both.doc_ids[3] == "b:d0"
    assert both.docs.shape == (6, 4)
