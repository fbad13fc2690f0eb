"""The demo's working directory: the calibrator's inputs and the sidecar's config file.

Everything the demo writes lives here (a temp directory unless ``--workdir`` is given): the
new and old vectors of the corpus (the calibrator reads the new ones, and the old ones for
its label-free quantile mapping), the labelled queries, the documents' segments, the config
of ``embedshift serve``, the thresholds the calibrator worker publishes, the mode database,
the divergent examples, the logs and, at the end, the summary (``summary.json``).

The config is an ordinary embedshift config (``embedshift check-config`` accepts it) whose
time constants are scaled down for a run of half a minute: the gate judges a 15-second window
every second and automatic promotion holds each rung for a few seconds, where production
would use minutes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from calibrator.demo.corpus import SEGMENTS, Embedded
from calibrator.inputs.vectors import Vectors, save_vectors

OLD_THRESHOLD = 0.55
"""The threshold the demo's stack applies today: one global value, tuned by feel on the old
model (it keeps most relevant results there, unevenly across segments)."""
TOKEN_ENV = "EMBEDSHIFT_DEMO_ADMIN_TOKEN"  # noqa: S105 - the variable's name, not a token
NEW_SUFFIX = "_v2"  # the new index's collections: docs_v2, code_v2, faq_v2


@dataclass(frozen=True)
class Layout:
    """Where each file of a demo run lives."""

    root: Path

    @property
    def config(self) -> Path:
        """The sidecar's config file."""
        return self.root / "config.toml"

    @property
    def thresholds(self) -> Path:
        """The thresholds document the calibrator publishes."""
        return self.root / "thresholds" / "thresholds.json"

    @property
    def status(self) -> Path:
        """The calibrator worker's status file."""
        return self.root / "calibrator-status.json"

    @property
    def new_vectors(self) -> Path:
        """The new model's vectors of the corpus and the labelled queries."""
        return self.root / "vectors-new"

    @property
    def old_vectors(self) -> Path:
        """The old model's vectors of the same."""
        return self.root / "vectors-old"

    @property
    def eval_set(self) -> Path:
        """The labelled queries (eval JSONL)."""
        return self.root / "eval.jsonl"

    @property
    def doc_segments(self) -> Path:
        """``doc_id<TAB>segment`` lines."""
        return self.root / "doc_segments.tsv"

    @property
    def serve_log(self) -> Path:
        """What ``embedshift serve`` and its calibrator worker log."""
        return self.root / "serve.log"


def _vectors(embedded: Embedded, side: str) -> Vectors:
    corpus = embedded.corpus
    model = embedded.old if side == "old" else embedded.new
    return Vectors(
        doc_ids=tuple(str(i) for i in range(len(corpus.texts))),
        docs=embedded.old_docs if side == "old" else embedded.new_docs,
        query_ids=tuple(q.id for q in corpus.queries),
        queries=embedded.old_queries if side == "old" else embedded.new_queries,
        source=side,
        meta={"model": model.name, "dimension": model.dim, "seed": corpus.seed},
    )


def write_inputs(embedded: Embedded, layout: Layout) -> None:
    """The calibrator's inputs: both models' vectors, the eval set, the doc segments."""
    layout.root.mkdir(parents=True, exist_ok=True)
    save_vectors(_vectors(embedded, "new"), layout.new_vectors)
    save_vectors(_vectors(embedded, "old"), layout.old_vectors)
    corpus = embedded.corpus
    lines = [
        json.dumps(
            {
                "query_id": q.id,
                "text": q.text,
                "relevant_ids": [str(i) for i in q.relevant],
                "segment": q.segment,
            }
        )
        for q in corpus.queries
    ]
    layout.eval_set.write_text("\n".join(lines) + "\n", encoding="utf-8")
    layout.doc_segments.write_text(
        "".join(f"{i}\t{s}\n" for i, s in enumerate(corpus.segments)), encoding="utf-8"
    )


@dataclass(frozen=True)
class Ports:
    """Loopback ports of every listener of a run."""

    proxy: int
    metrics: int
    admin: int
    old: int
    new: int
    embedder: int


def config_text(layout: Layout, ports: Ports, report_dir: Path | None) -> str:
    """The sidecar's config for a demo run (see the module docstring)."""
    root = layout.root
    collections = ", ".join(f'{s} = "{s}{NEW_SUFFIX}"' for s in SEGMENTS)
    report = f'report_dir = "{report_dir}"\n' if report_dir is not None else ""
    return f"""# embedshift demo: generated for one run; every path is inside {root}
[proxy]
listen = "127.0.0.1:{ports.proxy}"
drain_timeout_s = 2.0

[metrics]
listen = "127.0.0.1:{ports.metrics}"

[admin]
listen = "127.0.0.1:{ports.admin}"
token_env = "{TOKEN_ENV}"

[upstreams.old]
url = "http://127.0.0.1:{ports.old}"
timeout_s = 5.0

[upstreams.new]
url = "http://127.0.0.1:{ports.new}"
timeout_s = 5.0

[shadow]
sample_rate = 1.0
max_in_flight = 256
max_rps = 1000.0
timeout_s = 2.0
max_loop_lag_s = 0.25

[segments]
names = [{", ".join(f'"{s}"' for s in SEGMENTS)}]

[[routes]]
name = "search"
path = "/collections/{{collection}}/points/search"
adapter = "qdrant"
k = 10
segment = {{ header = "X-Segment" }}
query_text = {{ header = "X-Query-Text" }}
collection_map = {{ {collections} }}

[embedding]
base_url = "http://127.0.0.1:{ports.embedder}/v1"
model = "demo-new-e5-like"
dimension = 384
timeout_s = 2.0

[examples]
path = "{root / "examples.sqlite"}"

[modes]
state_path = "{root / "modes.sqlite"}"
side_header = true

[thresholds]
old = {OLD_THRESHOLD}
path = "{layout.thresholds}"
poll_interval_s = 0.5

[calibrator]
eval = ["{layout.eval_set}"]
vectors = "{layout.new_vectors}"
old_vectors = "{layout.old_vectors}"
doc_segments = "{layout.doc_segments}"
policy = "target_recall=0.9"
min_queries = 20
bootstrap = 200
status_path = "{layout.status}"
cache_dir = "{root / "embedding-cache"}"
interval_s = 60.0
worker_in_serve = true
{report}
[gate]
window_s = 15.0
interval_s = 1.0
min_compared = 150
# every service of the demo shares this machine: the new side's latency measures its load
latency_slack_s = 1.0

[promotion]
enabled = true
canary_steps = [10.0, 50.0]
hold_s = 4.0
rollback_on_fail = true

[logging]
level = "info"
format = "json"
"""
