"""The Python scanner: comparisons, keywords, constants, defaults, SQL strings, errors."""

from __future__ import annotations

import textwrap

import pytest

from calibrator.inventory.findings import Direction, Kind, Metric
from calibrator.inventory.python_scan import scan_python


def scan(code: str):
    """Scan dedented code, assert it parsed, and key medium+ findings by (line, value)."""
    findings, errors = scan_python(textwrap.dedent(code), "app/search.py")
    assert errors == []
    return {(f.line, f.value): f for f in findings if f.level != "low"}


def test_literal_comparisons_report_value_direction_and_metric():
    """A score compared with a number is found with what it keeps, chained ones twice."""
    found = scan(
        """
        def keep(hits):
            good = [h for h in hits if h.score >= 0.82]
            near = [h for h in hits if h["_distance"] < 0.35]
            band = [h for h in hits if 0.2 < h.similarity <= 0.9]
            return good, near, band
        """
    )
    assert found[(3, 0.82)].direction is Direction.ABOVE
    assert found[(3, 0.82)].metric is Metric.SIMILARITY
    assert found[(3, 0.82)].kind is Kind.COMPARISON
    assert found[(4, 0.35)].direction is Direction.BELOW
    assert found[(4, 0.35)].metric is Metric.DISTANCE
    assert found[(5, 0.2)].direction is Direction.ABOVE
    assert found[(5, 0.9)].direction is Direction.BELOW
    assert found[(3, 0.82)].snippet == "good = [h for h in hits if h.score >= 0.82]"


def test_rejecting_branch_flips_the_kept_direction():
    """``if score < t: continue`` keeps what is above ``t``; ``not`` flips too."""
    found = scan(
        """
        for doc, score in results:
            if score < 0.7:
                continue
            if not cosine_similarity(a, b) > 0.6:
                keep(doc)
        """
    )
    assert found[(3, 0.7)].direction is Direction.ABOVE
    assert found[(5, 0.6)].direction is Direction.BELOW


def test_named_values_are_reported_where_the_number_is_written():
    """Named values compared with a score are reported where their number is written.

    Module constants, class attributes, ``self`` fields, defaults and locals alike, as
    constant or default.
    """
    found = scan(
        """
        LIMIT = 0.41

        class Retriever:
            floor = 0.52

            def __init__(self):
                self.bar = 0.63

            def run(self, hits, level=0.74):
                local = 0.85
                a = [h for h in hits if h.score > LIMIT]
                b = [h for h in hits if h.score > self.floor]
                c = [h for h in hits if h.score > self.bar]
                d = [h for h in hits if h.score > level]
                e = [h for h in hits if h.score > local]
        """
    )
    assert found[(2, 0.41)].kind is Kind.CONSTANT
    assert found[(5, 0.52)].kind is Kind.DEFAULT
    assert found[(8, 0.63)].kind is Kind.DEFAULT
    assert found[(10, 0.74)].kind is Kind.DEFAULT
    assert found[(11, 0.85)].kind is Kind.CONSTANT
    assert all("compared with score" in f.reason for f in found.values())


def test_library_keywords_and_dict_keys():
    """LangChain's search_kwargs, LlamaIndex's cutoff, qdrant's threshold, with library."""
    found = scan(
        """
        from langchain_community.vectorstores import FAISS
        from llama_index.core.postprocessor import SimilarityPostprocessor
        from qdrant_client import QdrantClient

        retriever = db.as_retriever(
            search_type="similarity_score_threshold",
            search_kwargs={"score_threshold": 0.8, "k": 5},
        )
        post = SimilarityPostprocessor(similarity_cutoff=0.77)
        client = QdrantClient(":memory:")
        hits = client.query_points("docs", query=vector, score_threshold=0.66)
        """
    )
    assert found[(8, 0.8)].library == "langchain"
    assert found[(8, 0.8)].kind is Kind.KEYWORD
    assert found[(10, 0.77)].library == "llama-index"
    assert found[(12, 0.66)].library == "qdrant-client"
    assert (8, 5.0) not in found


def test_threshold_names_in_constants_defaults_and_getters():
    """Threshold-named constants, pydantic fields, defaults, env and kwargs getters."""
    found = scan(
        """
        import os
        from pydantic import BaseModel, Field

        SIMILARITY_THRESHOLD = 0.78
        MAX_DISTANCE = 0.4

        class Settings(BaseModel):
            min_relevance_score: float = Field(default=0.61)

        def search(query, *, score_threshold=0.55, **kwargs):
            cutoff = kwargs.get("similarity_cutoff", 0.7)
            env = float(os.getenv("MIN_SCORE", "0.65"))
        """
    )
    assert found[(5, 0.78)].kind is Kind.CONSTANT
    assert found[(6, 0.4)].direction is Direction.BELOW
    assert found[(6, 0.4)].metric is Metric.DISTANCE
    assert found[(9, 0.61)].kind is Kind.DEFAULT
    assert found[(11, 0.55)].kind is Kind.DEFAULT
    assert found[(12, 0.7)].name == "similarity_cutoff"
    assert found[(13, 0.65)].name == "MIN_SCORE"


def test_sql_strings_and_query_strings():
    """Distances (pgvector) in SQL strings and pandas ``.query`` strings are read."""
    found = scan(
        """
        SQL = '''
            SELECT id FROM items
            WHERE 1 - (embedding <=> %s) > 0.79
            ORDER BY embedding <=> %s
        '''
        close = df.query("distance < 0.31")
        """
    )
    assert found[(4, 0.79)].kind is Kind.SQL
    assert found[(4, 0.79)].metric is Metric.SIMILARITY
    assert found[(4, 0.79)].library == "pgvector"
    assert found[(7, 0.31)].direction is Direction.BELOW


@pytest.mark.parametrize(
    "code",
    [
        "if len(scores) > 3: pass",
        "if scores.ndim > 1: pass",
        "if chunk_size > 0.5: pass",
        "ratio = len(a) / len(b)\nscore = len(a) / len(b)\nif score > 0.5: pass",
        "def f(top_k=0.5, temperature=0.7, lambda_mult=0.5): pass",
        "indexing_threshold = 0.5",
        '"""if score > 0.8 in prose"""',
    ],
)
def test_not_thresholds(code: str):
    """Counts, shapes, sizes, count ratios, model knobs and prose are not reported."""
    assert scan(code) == {}


def test_range_checks_are_low_confidence():
    """``similarity < 0.0 or similarity > 1.0`` bounds a range: only at low confidence."""
    findings, _ = scan_python("bad = similarity < 0.0 or similarity > 1.0\n", "x.py")
    assert {f.value for f in findings} == {0.0, 1.0}
    assert {f.level for f in findings} == {"low"}


def test_syntax_error_is_reported_not_raised():
    """A file that does not parse gives an error with its line and no findings."""
    findings, errors = scan_python("score = 0.5\nif score >:\n", "broken.py")
    assert findings == []
    assert errors[0].path == "broken.py"
    assert errors[0].line == 2
