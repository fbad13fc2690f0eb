"""The walkthrough's stand-ins (docs/walkthrough.md): the parts of a migration that are yours.

embedshift does not log your queries, label them, load your indexes, serve your embeddings or
run your application; on a real migration your own systems and people do. The walkthrough
stands these in over the data folder ``../shared/data`` (SciFact and Cranfield, with both
models' precomputed vectors of every document and query):

    python docs/examples/walkthrough/migration.py query-log var/queries.jsonl
        the application's query log: SciFact's 1,109 queries and Cranfield's 225, each with its
        segment (``{"id", "segment", "text"}``), no labels
    python docs/examples/walkthrough/migration.py label var/sample.jsonl var/labels
        the people who label a sample: the documents the data's relevance judgements list for
        each sampled query, one qrels file per segment (``var/labels/scifact.tsv``...)
    python docs/examples/walkthrough/migration.py load-chroma http://127.0.0.1:8001
        the old indexes (all-MiniLM-L6-v2) and the new ones (all-mpnet-base-v2, what
        ``embedshift reembed`` would have written) as Chroma collections, one pair per segment,
        searched exactly (``index_settings``)
    python docs/examples/walkthrough/migration.py embeddings --port 7998
        the embeddings provider: an OpenAI-compatible ``/v1/embeddings`` that answers each query
        text of the data folder with the vector the model gave it, for both models
    python docs/examples/walkthrough/migration.py replay var/queries.jsonl
        the application's traffic: docs/examples/app searching every query of the log, then,
        per segment, what it kept (precision and recall of its cut against the data's
        judgements), which index answered and in which score scale

Standard library, numpy and aiohttp (the sidecar's own dependencies) only.
"""

# ruff: noqa: T201, INP001 - a command-line helper that prints; an example, not a package

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from aiohttp import web

DATA = Path("../shared/data")
OLD_MODEL, NEW_MODEL = "all-MiniLM-L6-v2", "all-mpnet-base-v2"
SEGMENTS = ("scifact", "cranfield")
QUERY_FILES = ("queries.jsonl", "queries_train.jsonl")
QRELS_FILES = ("qrels.tsv", "qrels_train.tsv")
COLLECTIONS = "/api/v2/tenants/default_tenant/databases/default_database/collections"
APP = Path(__file__).resolve().parent.parent / "app"


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").split("\n")[:-1]


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in _lines(path)]


def _judgements(data: Path) -> dict[tuple[str, str], list[str]]:
    """Every relevant document id of every query, by (segment, query id)."""
    relevant: dict[tuple[str, str], set[str]] = defaultdict(set)
    for segment in SEGMENTS:
        for name in QRELS_FILES:
            if (data / segment / name).exists():
                for line in _lines(data / segment / name):
                    query, doc, *_ = line.split("\t")
                    relevant[segment, query].add(doc)
    return {key: sorted(docs) for key, docs in relevant.items()}


def query_log(data: Path, out: Path) -> None:
    """Every query of both collections, with its segment, in the data's order."""
    rows = [
        {"id": str(query["id"]), "segment": segment, "text": query["text"]}
        for segment in SEGMENTS
        for name in QUERY_FILES
        if (data / segment / name).exists()
        for query in _jsonl(data / segment / name)
    ]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    counts = Counter(row["segment"] for row in rows)
    print(f"{out}: {len(rows)} queries ({', '.join(f'{s} {n}' for s, n in counts.items())})")


def label(data: Path, sample: Path, out: Path) -> None:
    """The sampled queries' relevant documents: one qrels file per segment in folder ``out``.

    ``embedshift calibrate --qrels SEGMENT=FILE`` reads them (``query_id<TAB>doc_id<TAB>1``);
    per segment, because the two collections number their queries alike.
    """
    judgements = _judgements(data)
    rows: dict[str, list[str]] = defaultdict(list)
    queries: Counter[str] = Counter()
    for row in _jsonl(sample):
        queries[row["segment"]] += 1
        for doc in judgements.get((row["segment"], row["id"]), []):
            rows[row["segment"]].append(f"{row['id']}\t{doc}\t1\n")
    out.mkdir(parents=True, exist_ok=True)
    for segment, n in queries.items():
        path = out / f"{segment}.tsv"
        path.write_text("".join(rows[segment]), encoding="utf-8")
        print(f"{path}: {n} queries, {len(rows[segment])} relevant documents")


def _http(method: str, url: str, body: Any = None) -> Any:
    payload = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(  # noqa: S310 - a URL given on the command line
        url, data=payload, method=method, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
        return json.loads(response.read())


def index_settings(documents: int) -> dict[str, Any]:
    """The collections' HNSW settings: exact search, built the same way on every machine.

    HNSW answers approximately: which documents a search visits depends on ``ef_search`` and
    on the graph, which several insertion threads build differently from one run to the next.
    With ``ef_search`` as large as the collection, a search visits every document the graph
    reaches (all of them) and returns the true nearest, whatever the graph; one insertion
    thread keeps thread scheduling out of how the graph is built. ``ef_construction`` and
    ``max_neighbors`` are Chroma 1.x's defaults, written out. The walkthrough's figures then
    depend on the data, not on the machine or on the Chroma version.
    """
    return {
        "space": "cosine",
        "ef_construction": 100,
        "max_neighbors": 16,
        "ef_search": documents,
        "num_threads": 1,
    }


def differing_settings(collection: dict[str, Any], settings: dict[str, Any]) -> dict[str, Any]:
    """Those of ``settings`` that ``collection`` (as Chroma describes it) was created without.

    Each maps to the value Chroma reports instead (``None``: not reported). Chroma's
    ``configuration_json`` leaves ``num_threads`` out; the collection's schema (Chroma 1.1 and
    later) holds it with the rest.
    """
    built = dict((collection.get("configuration_json") or {}).get("hnsw") or {})
    keys = (collection.get("schema") or {}).get("keys") or {}
    index = keys.get("#embedding", {}).get("float_list", {}).get("vector_index", {})
    built.update(index.get("config", {}).get("hnsw") or {})
    return {key: built.get(key) for key, value in settings.items() if built.get(key) != value}


def _existing(url: str, name: str) -> dict[str, Any] | None:
    try:
        return _http("GET", f"{url}{COLLECTIONS}/{name}")  # type: ignore[no-any-return]
    except urllib.error.HTTPError as e:
        if e.code == 404:
            return None
        raise


def load_chroma(data: Path, url: str) -> None:
    """One cosine collection per segment and model, searched exactly (``index_settings``).

    A collection already whole and created with these settings is kept as it is; one created
    with other settings (an older walkthrough's, Chroma's defaults) is deleted and built anew,
    never reused: its answers would be approximate.
    """
    for segment in SEGMENTS:
        for model, name in (
            (OLD_MODEL, f"walkthrough_{segment}"),
            (NEW_MODEL, f"walkthrough_{segment}_mpnet"),
        ):
            folder = data / segment / "embeddings" / model
            ids = _lines(folder / "doc_ids.txt")
            vectors = np.load(folder / "docs.npy")
            settings = index_settings(len(ids))
            collection = _existing(url, name)
            if collection is not None:
                other = differing_settings(collection, settings)
                if other:
                    _http("DELETE", f"{url}{COLLECTIONS}/{name}")
                    was = ", ".join(f"{key} {value}" for key, value in other.items())
                    print(f"{name}: created with other index settings ({was}): deleted, built anew")
                    collection = None
            if collection is None:
                collection = _http(
                    "POST",
                    f"{url}{COLLECTIONS}",
                    {"name": name, "configuration": {"hnsw": settings}},
                )
            base = f"{url}{COLLECTIONS}/{collection['id']}"
            if _http("GET", f"{base}/count") != len(ids):
                for start in range(0, len(ids), 500):
                    part = slice(start, start + 500)
                    _http(
                        "POST",
                        f"{base}/upsert",
                        {"ids": ids[part], "embeddings": vectors[part].tolist()},
                    )
            count = _http("GET", f"{base}/count")
            print(f"{name:28} {count:>5} documents, {model} ({vectors.shape[1]} dimensions)")


def _query_vectors(data: Path) -> dict[str, dict[str, list[float]]]:
    """Each model's precomputed vector of every query text of the data folder."""
    table: dict[str, dict[str, list[float]]] = {OLD_MODEL: {}, NEW_MODEL: {}}
    for segment in SEGMENTS:
        texts = {
            str(query["id"]): query["text"]
            for name in QUERY_FILES
            if (data / segment / name).exists()
            for query in _jsonl(data / segment / name)
        }
        for model, by_text in table.items():
            folder = data / segment / "embeddings" / model
            vectors = np.load(folder / "queries.npy")
            for qid, vector in zip(_lines(folder / "query_ids.txt"), vectors, strict=True):
                by_text[texts[qid]] = vector.tolist()
    return table


def embeddings(data: Path, port: int) -> None:
    """Serve ``POST /v1/embeddings`` from the precomputed query vectors until stopped."""
    table = _query_vectors(data)

    def error(message: str) -> web.Response:
        body = {"error": {"message": message, "type": "invalid_request_error"}}
        return web.json_response(body, status=400)

    async def embed(request: web.Request) -> web.Response:
        body = await request.json()
        model, inputs = body.get("model"), body.get("input")
        texts = [inputs] if isinstance(inputs, str) else inputs
        if model not in table or not isinstance(texts, list):
            return error(f"unknown model {model!r} or no input")
        missing = [text for text in texts if text not in table[model]]
        if missing:
            return error(f"no precomputed vector for {str(missing[0])[:60]!r}")
        rows = [
            {"object": "embedding", "index": i, "embedding": table[model][text]}
            for i, text in enumerate(texts)
        ]
        tokens = sum(len(text.split()) for text in texts)
        usage = {"prompt_tokens": tokens, "total_tokens": tokens}
        return web.json_response({"object": "list", "data": rows, "model": model, "usage": usage})

    async def models(_request: web.Request) -> web.Response:
        listed = [{"id": model, "object": "model", "owned_by": "precomputed"} for model in table]
        return web.json_response({"object": "list", "data": listed})

    app = web.Application()
    app.router.add_post("/v1/embeddings", embed)
    app.router.add_get("/v1/models", models)
    sizes = ", ".join(f"{model} {len(vectors)} texts" for model, vectors in table.items())
    print(f"precomputed embeddings on http://127.0.0.1:{port}/v1: {sizes}", flush=True)
    web.run_app(app, host="127.0.0.1", port=port, print=None)


def replay(data: Path, log: Path, workers: int) -> None:
    """The application's search for every query of ``log``; per segment what it kept."""
    sys.path.insert(0, str(APP))
    import search  # the example application, beside this folder

    queries = _jsonl(log)
    judgements = _judgements(data)
    segments = sorted({q["segment"] for q in queries}, reverse=True)
    ids = {segment: search.collection_id(segment) for segment in segments}
    with ThreadPoolExecutor(workers) as pool:
        answers = list(
            pool.map(lambda q: search.search(q["text"], q["segment"], ids[q["segment"]]), queries)
        )
    print(f"the application's cut: similarity >= {search.MIN_SIMILARITY}")
    for segment in segments:
        kept = relevant_kept = relevant_all = 0
        sides: Counter[str] = Counter()
        scales: Counter[str] = Counter()
        for query, answer in zip(queries, answers, strict=True):
            if query["segment"] != segment:
                continue
            relevant = set(judgements.get((segment, query["id"]), ()))
            kept += len(answer.kept)
            relevant_kept += sum(hit.id in relevant for hit in answer.kept)
            relevant_all += len(relevant)
            sides[answer.headers.get("X-Embedshift-Side", "old (direct)").split(";")[0]] += 1
            scales[answer.headers.get("X-Embedshift-Score-Scale", "raw").split(";")[0]] += 1
        n = sum(sides.values())
        precision = relevant_kept / kept if kept else 0.0
        print(
            f"{segment:10} {n:>4} queries  kept {kept / n:.2f} per query  "
            f"precision {precision:.3f}  recall {relevant_kept / relevant_all:.3f}  "
            f"answered by {', '.join(f'{s} {c}' for s, c in sorted(sides.items()))}  "
            f"scores {', '.join(f'{s} {c}' for s, c in sorted(scales.items()))}"
        )


def main() -> int:
    """The five stand-ins."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--data", type=Path, default=DATA, help="the data folder (../shared/data)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("query-log", help="write the query log").add_argument("out", type=Path)
    labelling = sub.add_parser("label", help="label a sample of the log")
    labelling.add_argument("sample", type=Path)
    labelling.add_argument("out", type=Path)
    sub.add_parser("load-chroma", help="load both indexes into Chroma").add_argument("url")
    serving = sub.add_parser("embeddings", help="serve the precomputed query vectors")
    serving.add_argument("--port", type=int, default=7998)
    replaying = sub.add_parser("replay", help="search every query of a log, as the application")
    replaying.add_argument("log", type=Path)
    replaying.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    if args.command == "query-log":
        query_log(args.data, args.out)
    elif args.command == "label":
        label(args.data, args.sample, args.out)
    elif args.command == "load-chroma":
        load_chroma(args.data, args.url.rstrip("/"))
    elif args.command == "embeddings":
        embeddings(args.data, args.port)
    else:
        replay(args.data, args.log, args.workers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
