"""The JavaScript/TypeScript scanner (tree-sitter): the same facts as Python, linked alike."""

from __future__ import annotations

import textwrap

from calibrator.inventory.findings import Direction, Kind, Metric
from calibrator.inventory.js_scan import scan_js
from calibrator.inventory.walk import scan_texts


def scan(code: str, path: str = "src/search.ts", **others: str):
    """Scan dedented code (and other files), assert it parsed; medium+ findings by line."""
    texts = {path: textwrap.dedent(code)}
    texts.update({name: textwrap.dedent(text) for name, text in others.items()})
    result = scan_texts(texts)
    assert result.errors == ()
    return {(f.line, f.value): f for f in result.findings if f.level != "low" and f.path == path}


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
    rejected = found[(12, 0.61)]  # the rejecting branch flips it: what survives is above
    assert (rejected.kind, rejected.direction, rejected.metric) == (
        Kind.COMPARISON,
        Direction.ABOVE,
        Metric.SIMILARITY,
    )


def test_options_destructured_in_another_file():
    """``search(q, { minScore: 0.5 })`` reaches ``{ minScore = 0.7 } = {}`` and its use."""
    found = scan(
        """
        import { search } from "./store";
        export const answer = (q) => search(q, { minScore: 0.5, limit: 10 });
        """,
        path="src/app.js",
        **{
            "src/store.js": """
                export function search(q, { minScore = 0.7, limit = 5 } = {}) {
                  return index.query(q, limit).filter((hit) => hit.relevance >= minScore);
                }
            """
        },
    )
    assert found[(3, 0.5)].direction is Direction.ABOVE
    assert found[(3, 0.5)].related == ("src/store.js", 3)
    assert (3, 10.0) not in found


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
    """Lengths, sizes, unrelated names, a minimum distance and a fuzzy ratio are not reported."""
    assert scan("if (scores.length > 3) {}\nconst chunkSize = 0.5;\nconst topK = 0.5;\n") == {}
    assert scan("const MIN_MODEL_DISTANCE = 0.01;\n") == {}
    assert scan("function fuzzyMatch(a, b) { return levenshteinRatio(a, b) > 0.8; }\n") == {}


def test_syntax_error_is_reported():
    """A file that does not parse gives one error with its line."""
    scanned = scan_js("const score = ;\nif (score > 0.5 {\n", "bad.js")
    assert scanned.findings == ()
    assert scanned.errors[0].line is not None


def test_minified_bundles_are_skipped_whatever_their_name():
    """A bundler's output (lines of thousands of characters) holds no threshold to edit.

    One-letter names of one bundle (``o = 1.1``) are not joined with another's ``distance < o``.
    """
    bundle = "var o=1.1,s=.5;" + ";".join(f"function f{i}(a){{return a*{i}}}" for i in range(400))
    other = 'import{o}from"./chunk-AB12.js";export function near(distance){return distance<o}'
    other += ";" * 2000
    found = scan_texts({"assets/chunk-AB12.js": bundle, "assets/graph-CD34.js": other})
    assert found.findings == ()
    readable = scan("const o = 0.35;\nexport const near = (dist) => dist < o;\n", "src/near.js")
    assert (1, 0.35) in readable


def test_a_score_graded_into_labels_is_no_threshold_in_javascript():
    """``score >= 0.7 ? "high" : score >= 0.4 ? "mid" : "low"`` and an ``if``/``else`` ladder.

    Picking a label drops nothing; a two-way filter on the same score is a threshold.
    """
    found = scan(
        """
        function badge(r) {
          return r.score >= 0.7 ? "badge-high" : r.score >= 0.4 ? "badge-mid" : "badge-low";
        }
        function status(clerical_score, splink_score) {
          if (clerical_score > 0.5 && splink_score > 0.5) {
            return "TP";
          } else if (clerical_score <= 0.5 && splink_score <= 0.5) {
            return "TN";
          } else {
            return "FN";
          }
        }
        function keep(hits) {
          return hits.filter((h) => h.score >= 0.75);
        }
        """,
        "src/ui.js",
    )
    assert set(found) == {(15, 0.75)}


def test_a_ladder_with_its_rungs_in_parentheses_is_still_a_ladder():
    """``s >= 0.7 ? "#4caf50" : (s >= 0.4 ? "#ff9800" : "#e53935")``: three colours picked."""
    found = scan(
        """
        function ring(item) {
          var score = item.score || 0;
          var ringColor = score >= 0.7 ? '#4caf50' : (score >= 0.4 ? '#ff9800' : '#e53935');
          var kept = item.hits.filter(function (h) { return h.score >= 0.55; });
          return [ringColor, kept];
        }
        """,
        "static/js/user.js",
    )
    assert set(found) == {(5, 0.55)}


def test_a_ladder_without_else_keeps_the_label_set_before_it():
    """``let tier = 'low'`` then two rungs: three labels, as a Python ``if``/``elif`` chain.

    One rung alone picks between two labels, as a filter would: it stays a threshold.
    """
    found = scan(
        """
        function badge(memory) {
          const score = memory.quality_score || 0.5;
          let tier = 'low';
          if (score >= 0.7) tier = 'high';
          else if (score >= 0.5) tier = 'medium';
          let kept = 'drop';
          if (score >= 0.65) kept = 'keep';
          return [tier, kept];
        }
        """,
        "static/app.js",
    )
    assert set(found) == {(8, 0.65)}


def test_a_distance_graded_into_labels_is_a_threshold_in_javascript():
    """A search's nearest distance graded into confidence labels bounds embedding distances."""
    found = scan(
        """
        function confidence(hit) {
          return hit.distance < 0.35 ? "high" : hit.distance < 0.52 ? "moderate" : "low";
        }
        """,
        "src/ui.js",
    )
    assert set(found) == {(3, 0.35), (3, 0.52)}


def test_a_ratio_or_change_of_two_scores_is_no_cutoff():
    """``hit.score / best.score > 0.95`` and ``a.score - b.score < 0.02`` are relative tests."""
    found = scan(
        """
        export function keep(hits: Hit[], best: Hit, prev: Hit): Hit[] {
          return hits.filter((hit) => {
            if (hit.score / best.score > 0.95) return false;
            if (hit.score - prev.score < 0.02) return false;
            return hit.score >= 0.35;
          });
        }
        """
    )
    assert set(found) == {(6, 0.35)}


def test_a_distance_below_zero_is_a_side_test_not_a_floor():
    """``plane.distanceToPoint(p) < 0`` (three.js): a signed distance, no cutoff of embeddings.

    A similarity kept above zero is a floor on a search's results.
    """
    found = scan(
        """
        function inside(planes, point) {
          for (const plane of planes) {
            if (plane.distanceToPoint(point) < 0) return false;
          }
          return true;
        }
        const kept = hits.filter((h) => cosineSimilarity(q, h.vector) > 0);
        """,
        path="static/geometry.js",
    )
    assert set(found) == {(8, 0.0)}
