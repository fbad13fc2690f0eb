"""Benchmark: calibrating 1,000 queries against 100,000 chunks of dimension 384.

Compares, on the same synthetic data generated in the run (unit vectors; each query has one
to five planted relevant chunks whose scores spread into the irrelevant range; four segments):

* the bare matrix product ``Q @ D.T`` of the same shapes (the floor any exact method pays);
* ``calibrator.calibration.calibrate`` with its defaults (target_recall=0.9, top 1,000 candidates per
  query, 200 bootstrap resamples, global scope plus four segments);
* the same with the old model's vectors of the sample and its threshold (``--old``, on by
  default): the comparison of the two models per scope (quality with paired intervals,
  divergence, score band, the score map) and the quantile mapping. Its baseline is *both*
  bare products (new and old), since the old model's scores are a second product of the same
  shapes;
* the article's per-threshold Python loop (sklearn's cosine_similarity per query, then a list
  comprehension per threshold of a 0.05 grid) on a subset of queries, extrapolated.

Times are the best of ``--rounds`` runs, interleaved (each bare product twice per round, back
to back: the first large allocation after a calibration waits for the kernel to zero and
compact fresh memory, which is no part of the product). Memory is the peak resident set during
each step above what the process held before it (Linux: ``/proc/self/clear_refs`` resets the
high-water mark). Run: ``.venv/bin/python bench/calibrate_bench.py`` (``--help`` for sizes).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics.pairwise import cosine_similarity  # the article's own choice

from calibrator.calibration.calibrate import calibrate
from calibrator.calibration.settings import OldModel, Settings
from calibrator.inputs.labels import EvalSet, LabelledQuery
from calibrator.inputs.vectors import Vectors
from calibrator.maths.policy import Policy

SEGMENTS = ("docs", "code", "faq", "tickets")


def _status_kb(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def measured(work: Callable[[], Any]) -> tuple[float, float, Any, float]:
    """(seconds, peak extra resident MB, result, CPU seconds of every thread) of ``work()``.

    CPU time is what the work cost the machine whatever else runs on it: on a shared, loaded
    machine the ratio of CPU times is steadier than the ratio of wall times.
    """
    gc.collect()
    with contextlib.suppress(OSError):  # not Linux: the peak then counts from process start
        Path("/proc/self/clear_refs").write_text("5")
    before = _status_kb("VmRSS")
    start, cpu = time.perf_counter(), time.process_time()
    result = work()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    peak = _status_kb("VmHWM")
    return seconds, max(0, peak - before) / 1024, result, cpu


def old_model(vectors: Vectors, noise: float = 0.5, seed: int = 1) -> Vectors:
    """Another model of the same sample: every vector moved by noise, then normalised."""
    rng = np.random.default_rng(seed)

    def moved(m: np.ndarray) -> np.ndarray:
        out = m + noise * rng.standard_normal(m.shape, dtype=np.float32) / np.sqrt(m.shape[1])
        return (out / np.linalg.norm(out, axis=1, keepdims=True)).astype(np.float32)

    return Vectors(vectors.doc_ids, moved(vectors.docs), vectors.query_ids,
                   moved(vectors.queries), "synthetic-old")  # fmt: skip


def generate(n_queries: int, n_docs: int, dim: int, seed: int = 0) -> tuple[Vectors, EvalSet]:
    """Unit vectors with planted relevant chunks (see the module docstring)."""
    rng = np.random.default_rng(seed)
    docs = rng.standard_normal((n_docs, dim), dtype=np.float32)
    queries = rng.standard_normal((n_queries, dim), dtype=np.float32)
    docs /= np.linalg.norm(docs, axis=1, keepdims=True)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    chosen = rng.choice(n_docs, size=5 * n_queries, replace=False)
    labelled = []
    for i in range(n_queries):
        picks = chosen[5 * i : 5 * i + int(rng.integers(1, 6))]
        for d in picks:
            # a chunk at cosine c from its query: c q + sqrt(1 - c^2) n, n a unit vector normal to q
            c = rng.uniform(0.1, 0.7)
            noise = rng.standard_normal(dim).astype(np.float32)
            noise -= noise @ queries[i] * queries[i]
            noise /= np.linalg.norm(noise)
            docs[d] = c * queries[i] + np.sqrt(1 - c * c) * noise
        ids = tuple(f"d{d}" for d in picks)
        segment = SEGMENTS[i % len(SEGMENTS)]
        labelled.append(LabelledQuery(f"q{i}", segment, ids, None, "bench", i + 1))
    vectors = Vectors(
        doc_ids=tuple(f"d{i}" for i in range(n_docs)),
        docs=docs,
        query_ids=tuple(f"q{i}" for i in range(n_queries)),
        queries=queries,
        source="synthetic",
    )
    return vectors, EvalSet(tuple(labelled))


def article_loop(vectors: Vectors, eval_set: EvalSet, n: int) -> list[tuple[float, float, float]]:
    """The article's loop, as published, over the first ``n`` labelled queries."""
    chunk_ids, chunk_vecs = vectors.doc_ids, vectors.docs
    rows = vectors.query_rows()
    results = []
    for query in eval_set.queries[:n]:
        expected_ids = query.relevant_ids
        query_vec = vectors.queries[rows[query.query_id]]
        scores = cosine_similarity([query_vec], chunk_vecs)[0]
        for threshold in np.arange(0.5, 0.95, 0.05):
            retrieved_ids = [chunk_ids[i] for i, s in enumerate(scores) if s >= threshold]
            recall = len(set(retrieved_ids) & set(expected_ids)) / len(expected_ids)
            precision = len(set(retrieved_ids) & set(expected_ids)) / max(len(retrieved_ids), 1)
            results.append((threshold, recall, precision))
    return results


def _old_summary(bare_old, ours_old, t_bare, cal_old) -> dict[str, float]:
    """Print the run with the old model against both bare products; its figures for --json."""
    if not ours_old or cal_old is None:
        return {}
    t_bare_old = min(t for t, _ in bare_old)
    t_old = min(t for t, _ in ours_old)
    m_old = max(m for _, m in ours_old)
    both = t_bare + t_bare_old
    print(f"bare products new + old: {both:.2f} s ({t_bare:.2f} + {t_bare_old:.2f})")
    print(f"calibrate with the old model: {t_old:.2f} s, peak {m_old:.0f} MB, "
          f"rounds {[round(t, 2) for t, _ in ours_old]}")  # fmt: skip
    print(f"ratio calibrate with old / both bare products: {t_old / both:.2f} (target <= 1.5)")
    compared = getattr(cal_old.global_, "comparison", None)
    if compared is not None:
        ndcg = compared.quality["ndcg@10"]
        print(f"  global ndcg@10 old {ndcg.old:.4f} new {ndcg.new:.4f} "
              f"overlap {compared.overlap.mean():.3f}")  # fmt: skip
    return {"bare_old_s": t_bare_old, "with_old_s": t_old, "with_old_peak_mb": m_old}


def main() -> None:  # noqa: PLR0915 - one benchmark, read top to bottom
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--article-queries", type=int, default=20)
    parser.add_argument("--top-n", type=int, default=Settings().top_n)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument("--no-old", dest="old", action="store_false",
                        help="skip the run with the old model")  # fmt: skip
    parser.add_argument("--old-threshold", type=float, default=0.3)
    args = parser.parse_args()

    started = time.perf_counter()
    vectors, eval_set = generate(args.queries, args.docs, args.dim)
    print(f"generated {args.queries} queries x {args.docs} chunks, dim {args.dim} "
          f"in {time.perf_counter() - started:.1f} s")  # fmt: skip
    q, d = vectors.queries, vectors.docs
    old = old_model(vectors) if args.old else None
    settings = Settings(top_n=args.top_n)
    f1 = Settings(top_n=args.top_n, policy=Policy.parse("max_f_beta=1"))
    bare: list[tuple[float, float]] = []
    ours: list[tuple[float, float]] = []
    ours_f1: list[tuple[float, float]] = []
    bare_old: list[tuple[float, float]] = []
    ours_old: list[tuple[float, float]] = []
    cal = cal_old = None
    cpu_bare: list[float] = []
    cpu_bare_old: list[float] = []
    cpu_ours: list[float] = []
    cpu_old: list[float] = []
    for _ in range(args.rounds):
        # Each bare product twice, alternating: the first large allocation after a calibration
        # waits for the kernel to zero (and compact) fresh memory, up to several times the
        # product itself, and whichever product came first would carry it.
        for _ in range(2):
            seconds, mb, product, cpu = measured(lambda: q @ d.T)
            del product
            bare.append((seconds, mb))
            cpu_bare.append(cpu)
            if old is not None:
                seconds, mb, product, cpu = measured(lambda: old.queries @ old.docs.T)
                del product
                bare_old.append((seconds, mb))
                cpu_bare_old.append(cpu)
        if old is not None:
            with_old = OldModel(old, args.old_threshold)
            seconds, mb, cal_old, cpu = measured(
                lambda: calibrate(eval_set, vectors, settings, old=with_old)  # noqa: B023
            )
            ours_old.append((seconds, mb))
            cpu_old.append(cpu)
        seconds, mb, cal, cpu = measured(lambda: calibrate(eval_set, vectors, settings))
        cpu_ours.append(cpu)
        ours.append((seconds, mb))
        seconds, mb, cal_f1, _ = measured(lambda: calibrate(eval_set, vectors, f1))
        ours_f1.append((seconds, mb))
    n = min(args.article_queries, args.queries)
    seconds, mb, _, _ = measured(lambda: article_loop(vectors, eval_set, n))
    article = seconds * args.queries / n

    t_bare, t_ours = min(t for t, _ in bare), min(t for t, _ in ours)
    m_bare, m_ours = max(m for _, m in bare), max(m for _, m in ours)
    t_f1, m_f1 = min(t for t, _ in ours_f1), max(m for _, m in ours_f1)
    rows = [
        ("bare matrix product Q @ D.T", t_bare, m_bare),
        ("calibrate target_recall=0.9 (range scan)", t_ours, m_ours),
        (f"calibrate max_f_beta=1 (top-{args.top_n} scan)", t_f1, m_f1),
        (f"article loop ({n} queries, x{args.queries / n:g} extrapolated)", article, mb),
    ]
    print(f"\n{'step':<50} {'seconds':>9} {'x bare':>8} {'peak MB':>9}")
    for name, seconds, mb in rows:
        print(f"{name:<50} {seconds:>9.2f} {seconds / t_bare:>8.2f} {mb:>9.0f}")
    assert cal is not None
    rounds = {
        name: [round(t, 2) for t, _ in runs]
        for name, runs in (("bare", bare), ("target_recall", ours), ("max_f_beta", ours_f1))
    }
    print(f"\nrounds (seconds): {rounds}")
    print(f"target_recall: scan {cal.scan!r}, held {cal.n_pairs:,} candidate pairs, "
          f"refined {cal.refinements} times; bootstrap {settings.bootstrap}")  # fmt: skip
    for name, result in [("global", cal.global_), *cal.segments.items()]:
        e = result.entry
        print(f"  {name:<8} threshold {e.threshold:.4f} precision {e.precision:.4f} "
              f"recall {e.recall:.4f} queries {e.n_queries} exact {e.exact}")  # fmt: skip
    print(f"max_f_beta=1: scan {cal_f1.scan!r}, refined {cal_f1.refinements} times, "
          f"global threshold {cal_f1.global_.entry.threshold}")  # fmt: skip
    print(f"\nratio calibrate / bare product: {t_ours / t_bare:.2f} (target <= 1.5)")
    old_figures = _old_summary(bare_old, ours_old, t_bare, cal_old)
    if cpu_old:
        both_cpu = min(cpu_bare) + min(cpu_bare_old)
        print(f"CPU seconds (every thread, best round): bare new {min(cpu_bare):.2f}, bare old "
              f"{min(cpu_bare_old):.2f}, calibrate {min(cpu_ours):.2f} "
              f"({min(cpu_ours) / min(cpu_bare):.2f}x the new product), with the old model "
              f"{min(cpu_old):.2f} ({min(cpu_old) / both_cpu:.2f}x both products)")  # fmt: skip
        old_figures |= {"cpu_bare_s": min(cpu_bare), "cpu_bare_old_s": min(cpu_bare_old),
                        "cpu_target_recall_s": min(cpu_ours), "cpu_with_old_s": min(cpu_old)}  # fmt: skip
    if args.json is not None:
        figures = {
            "queries": args.queries, "docs": args.docs, "dim": args.dim,
            "bare_s": t_bare, "bare_peak_mb": m_bare,
            "target_recall_s": t_ours, "target_recall_peak_mb": m_ours,
            "max_f_beta_s": t_f1, "max_f_beta_peak_mb": m_f1,
            "article_s": article, "article_queries_run": n, **old_figures,
        }  # fmt: skip
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
