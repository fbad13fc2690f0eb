"""Small synthetic labelled data for the calibrator tests: vectors with planted relevant docs.

Each query has one to four relevant documents made by adding noise of a random size to the
query's vector, so relevant scores spread from near 1 down into the irrelevant range (the
overlap is what makes thresholds a trade-off). Everything derives from a seed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from calibrator.inputs.labels import EvalSet, LabelledQuery
from calibrator.inputs.vectors import Vectors, save_vectors


@dataclass(frozen=True)
class Synthetic:
    """Vectors and labels of one synthetic sample."""

    vectors: Vectors
    eval_set: EvalSet


def synthetic(
    n_queries: int = 60,
    n_docs: int = 400,
    dim: int = 16,
    segments: tuple[str, ...] = ("docs", "code"),
    seed: int = 0,
) -> Synthetic:
    """A sample whose queries cycle through ``segments``; document i belongs to segment i % k."""
    rng = np.random.default_rng(seed)
    docs = rng.normal(size=(n_docs, dim)).astype(np.float32)
    queries = rng.normal(size=(n_queries, dim)).astype(np.float32)
    labelled = []
    free = list(rng.permutation(n_docs))
    for i in range(n_queries):
        segment = segments[i % len(segments)]
        relevant = []
        for _ in range(int(rng.integers(1, 5))):
            while free and segments[free[-1] % len(segments)] != segment:
                free.insert(0, free.pop())
            d = int(free.pop())
            noise = rng.uniform(0.2, 2.5)
            docs[d] = queries[i] + noise * rng.normal(size=dim).astype(np.float32)
            relevant.append(f"d{d}")
        labelled.append(
            LabelledQuery(f"q{i}", segment, tuple(relevant), f"query {i}", "synthetic", i + 1)
        )
    vectors = Vectors(
        doc_ids=tuple(f"d{i}" for i in range(n_docs)),
        docs=docs,
        query_ids=tuple(f"q{i}" for i in range(n_queries)),
        queries=queries,
        source="synthetic",
    )
    return Synthetic(vectors, EvalSet(tuple(labelled)))


def doc_segments(sample: Synthetic, segments: tuple[str, ...] = ("docs", "code")) -> dict[str, str]:
    """Document id -> segment, as :func:`synthetic` assigned them."""
    return {d: segments[int(d[1:]) % len(segments)] for d in sample.vectors.doc_ids}


def write(sample: Synthetic, directory: Path) -> tuple[Path, Path]:
    """Save the vectors and an eval JSONL under ``directory``; returns (vectors dir, eval)."""
    save_vectors(sample.vectors, directory / "vectors")
    eval_path = directory / "eval.jsonl"
    with eval_path.open("w") as f:
        for q in sample.eval_set.queries:
            row = {"query_id": q.query_id, "text": q.text, "relevant_ids": list(q.relevant_ids)}
            f.write(json.dumps({**row, "segment": q.segment}) + "\n")
    return directory / "vectors", eval_path


def collection(root: Path, name: str, seed: int, n_queries: int = 30, n_docs: int = 120) -> Path:
    """A collection of its own under ``root/name``, with the ids every collection has.

    ``vectors/`` (ids q0.., d0..), qrels files ``train.tsv`` and ``test.tsv`` (the even and the
    odd queries), ``half.tsv`` (every other qrels line of all queries) and ``queries.jsonl``.
    """
    sample = synthetic(n_queries=n_queries, n_docs=n_docs, segments=("one",), seed=seed)
    save_vectors(sample.vectors, root / name / "vectors")
    lines = [
        (i, f"{q.query_id}\t{d}\t1\n")
        for i, q in enumerate(sample.eval_set.queries)
        for d in q.relevant_ids
    ]
    (root / name / "train.tsv").write_text("".join(x for i, x in lines if i % 2 == 0))
    (root / name / "test.tsv").write_text("".join(x for i, x in lines if i % 2))
    (root / name / "half.tsv").write_text("".join(x for _, x in lines[::2]))
    texts = [
        json.dumps({"id": q.query_id, "text": f"{name} {q.query_id}"}) + "\n"
        for q in sample.eval_set.queries
    ]
    (root / name / "queries.jsonl").write_text("".join(texts))
    return root / name
