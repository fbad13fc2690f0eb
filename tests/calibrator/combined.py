"""SciFact and Cranfield as two segments of one corpus, for the calibrator tests.

Their ids collide (both have a document "1"), so every id is namespaced (``scifact:1``,
``cranfield:1``). The combined vectors directories and eval files are built once per session
under a temporary directory, from the shared data folder (never copied into the repository):
a test module asks for them with a fixture calling :func:`get_combined`.
Training labels: SciFact's 809 train queries and Cranfield's odd-positioned queries (1st, 3rd,
...); held out: SciFact's 300 test queries and Cranfield's even-positioned ones.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from calibrator.inputs.labels import EvalSet, LabelledQuery, load_qrels, merge
from calibrator.inputs.vectors import concat, load_vectors, save_vectors

NEW, OLD = "all-mpnet-base-v2", "all-MiniLM-L6-v2"
_BUILT: dict[Path, Combined] = {}


@dataclass(frozen=True)
class Combined:
    """Paths of the combined data set."""

    new: Path
    old: Path
    train: Path
    held_out: Path
    doc_segments: Path


def _namespaced(eval_set: EvalSet, prefix: str) -> tuple[LabelledQuery, ...]:
    return tuple(
        LabelledQuery(
            query_id=f"{prefix}:{q.query_id}",
            segment=q.segment,
            relevant_ids=tuple(f"{prefix}:{d}" for d in q.relevant_ids),
            text=q.text,
            source=q.source,
            line=q.line,
        )
        for q in eval_set.queries
    )


def _write_eval(path: Path, queries: EvalSet) -> Path:
    with path.open("w", encoding="utf-8") as f:
        for q in queries.queries:
            line = {"query_id": q.query_id, "text": q.text, "relevant_ids": list(q.relevant_ids)}
            f.write(json.dumps({**line, "segment": q.segment}) + "\n")
    return path


def build_combined(data: Path, root: Path) -> Combined:
    """Write the combined vectors (both models), eval files and doc segments under ``root``."""
    for model in (NEW, OLD):
        parts = [
            load_vectors(data / name / "embeddings" / model).namespaced(name)
            for name in ("scifact", "cranfield")
        ]
        save_vectors(concat(parts, model), root / model)
    sci = data / "scifact"
    cran = data / "cranfield"
    sci_train = _namespaced(
        load_qrels(sci / "qrels_train.tsv", "scifact", sci / "queries_train.jsonl"), "scifact"
    )
    sci_test = _namespaced(
        load_qrels(sci / "qrels.tsv", "scifact", sci / "queries.jsonl"), "scifact"
    )
    cranfield = _namespaced(
        load_qrels(cran / "qrels.tsv", "cranfield", cran / "queries.jsonl"), "cranfield"
    )
    train = merge(EvalSet(sci_train), EvalSet(cranfield[0::2]))
    held_out = merge(EvalSet(sci_test), EvalSet(cranfield[1::2]))
    doc_ids = (root / NEW / "doc_ids.txt").read_text().split()
    segments = root / "doc_segments.tsv"
    segments.write_text("".join(f"{d}\t{d.split(':')[0]}\n" for d in doc_ids))
    return Combined(
        new=root / NEW,
        old=root / OLD,
        train=_write_eval(root / "train.jsonl", train),
        held_out=_write_eval(root / "held_out.jsonl", held_out),
        doc_segments=segments,
    )


def get_combined(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Combined:
    """The combined data set (built on first use in the session)."""
    if shared_data not in _BUILT:
        _BUILT[shared_data] = build_combined(shared_data, tmp_path_factory.mktemp("combined"))
    return _BUILT[shared_data]
