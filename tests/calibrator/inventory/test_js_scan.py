"""The JavaScript/TypeScript scanner (tree-sitter): the same patterns as Python."""

from __future__ import annotations

import textwrap

from calibrator.inventory.findings import Direction, Kind, Metric
from calibrator.inventory.js_scan import scan_js


def scan(code: str, path: str = "src/search.ts"):
    """Scan dedented code, assert it parsed, and key medium+ findings by (line, value)."""
    findings, errors = scan_js(textwrap.dedent(code), path)
    assert errors == []
    return {(f.line, f.value): f for f in findings if f.level != "low"}


def test_typescript_patterns():
    """Comparisons (literal and named), object keys, fields, defaults and SQL templates."""
    found = scan(
        """
        import { QdrantClient } from "@qdrant/js-client-rest";
        const MIN_SCORE: number = 0.75;
        class Ranker {
          cutoff = 0.3;
          keep(hits: Hit[]) { return hits.filter((h) => h["_distance"] < this.cutoff); }
        }
        export async function search(q: number[], threshold = 0.5) {
          const res = await client.search("docs", { vector: q, score_threshold: 0.8, limit: 5 });
          const good = res.filter((h) => h.score >= MIN_SCORE && h.score > threshold);
          const sql = `SELECT id FROM items WHERE embedding <-> $1 < 0.42`;
          if (cosineSimilarity(a, b) < 0.61) { return; }
          return good;
        }
        """
    )
    assert found[(3, 0.75)].kind is Kind.CONSTANT
    assert found[(3, 0.75)].direction is Direction.ABOVE
    assert found[(5, 0.3)].metric is Metric.DISTANCE
    assert found[(5, 0.3)].direction is Direction.BELOW
    assert found[(8, 0.5)].kind is Kind.DEFAULT
    assert found[(9, 0.8)].kind is Kind.KEYWORD
    assert found[(9, 0.8)].library == "qdrant-client"
    assert (9, 5.0) not in found
    assert found[(11, 0.42)].kind is Kind.SQL
    assert found[(12, 0.61)].direction is Direction.ABOVE  # the rejecting branch flips it


def test_plain_javascript_and_jsx():
    """CommonJS JavaScript with a default parameter, and JSX, parse with their grammars."""
    js = scan(
        """
        const { Pinecone } = require("@pinecone-database/pinecone");
        function filterMatches(matches, minScore = 0.72) {
          return matches.filter(m => m.score > minScore);
        }
        """,
        "lib/match.js",
    )
    assert js[(3, 0.72)].kind is Kind.DEFAULT
    jsx = scan(
        "const View = () => <List items={hits.filter(h => h.similarity > 0.9)} />;\n", "ui/View.jsx"
    )
    assert jsx[(1, 0.9)].kind is Kind.COMPARISON


def test_not_thresholds_in_js():
    """Lengths, sizes and unrelated names are not reported."""
    assert scan("if (scores.length > 3) {}\nconst chunkSize = 0.5;\nconst topK = 0.5;\n") == {}


def test_syntax_error_is_reported():
    """A file that does not parse gives one error with its line."""
    findings, errors = scan_js("const score = ;\nif (score > 0.5 {\n", "bad.js")
    assert findings == []
    assert errors[0].line is not None
