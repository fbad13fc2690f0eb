"""The Python scanner and the linker: comparisons, named values, flows across modules."""

from __future__ import annotations

import ast
import textwrap
import warnings

import pytest

from calibrator.inventory.facts import Origin
from calibrator.inventory.findings import Direction, Kind, Metric
from calibrator.inventory.python_imports import Imports
from calibrator.inventory.python_reaching import sole_bindings
from calibrator.inventory.python_scan import scan_python
from calibrator.inventory.python_scopes import Scope
from calibrator.inventory.walk import Source, collect, scan_file, scan_sources, scan_texts


def scan(code: str, path: str = "app/search.py", **others: str):
    """Scan dedented code (and other modules), assert it parsed; medium+ findings by line."""
    texts = {path: textwrap.dedent(code)}
    texts.update({name: textwrap.dedent(text) for name, text in others.items()})
    result = scan_texts(texts)
    assert result.errors == ()
    return {(f.line, f.value): f for f in result.findings if f.level != "low" and f.path == path}


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


def test_rejecting_branch_and_dropped_results_flip_the_kept_direction():
    """``if score < t: continue`` keeps what is above; ``redundant = sim > t`` keeps below."""
    found = scan(
        """
        import numpy as np

        for doc, score in results:
            if score < 0.7:
                continue
            if not cosine_similarity(a, b) > 0.6:
                keep(doc)
        redundant = np.where(similarity > 0.95)
        """
    )
    assert found[(5, 0.7)].direction is Direction.ABOVE
    assert found[(7, 0.6)].direction is Direction.BELOW
    assert found[(9, 0.95)].direction is Direction.BELOW


def test_named_values_are_reported_where_the_number_is_written():
    """Constants, class attributes, ``self`` fields, defaults and locals compared with a score."""
    found = scan(
        """
        CUT = 0.41

        class Retriever:
            floor = 0.52

            def __init__(self):
                self.bar = 0.63

            def run(self, hits, level=0.74):
                local = 0.85
                a = [h for h in hits if h.score > CUT]
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
    assert all(f.direction is Direction.ABOVE for f in found.values())


def test_a_keyword_argument_reaches_the_class_that_compares_it():
    """``Builder(threshold=0.7)`` in one module; ``Builder`` compares ``self.threshold``."""
    found = scan(
        """
        from pipeline.builder import Builder

        def default_pipeline():
            return Builder(threshold=0.7, name="docs")
        """,
        **{
            "pipeline/builder.py": """
                class Builder:
                    def __init__(self, threshold=None, name=""):
                        self.threshold = threshold

                    def run(self, index, query):
                        hits = index.search(query)
                        return [h for h in hits if h.score >= self.threshold]
            """
        },
    )
    finding = found[(5, 0.7)]
    assert finding.kind is Kind.KEYWORD
    assert finding.direction is Direction.ABOVE
    assert finding.related == ("pipeline/builder.py", 8)


def test_a_config_fallback_passed_on_by_position():
    """``config.get("minscore", 0.1)`` unpacked, passed positionally, compared in a method."""
    found = scan(
        """
        class Graph:
            def infer(self, search, nodes):
                get = self.config.get
                batch, limit, minscore = [], get("limit", 15), self.config.get("minscore", 0.1)
                self.add(search, batch, limit, minscore)

            def add(self, search, batch, limit, minscore):
                for x, result in enumerate(search(batch, limit)):
                    for y, score in result:
                        if score > minscore:
                            self.edge(x, y)
        """
    )
    assert found[(5, 0.1)].name == "minscore"
    assert found[(5, 0.1)].direction is Direction.ABOVE
    assert (5, 15.0) not in found


def test_a_converted_fallback_is_the_settings_default():
    """``float(raw_config.get("min_docsearch_score") or 0.35)``: the number converted, a default.

    Compared with a FAISS index's L2 distances, it keeps those at or below it; a conditional
    default converted (``float(cfg.x if cfg is not None else 0.60)``) likewise.
    """
    found = scan(
        """
        class Instructor:
            def __init__(self, raw_config, cfg=None):
                self.min_docsearch_score = float(raw_config.get("min_docsearch_score") or 0.35)
                self.conflict = float(cfg.conflict_threshold if cfg is not None else 0.60)

            def too_similar(self, index, emb):
                distance, _ = index.search(emb, k=1)
                return distance[0][0] <= self.min_docsearch_score

            def conflicts(self, store, emb):
                return [h for h in store.similarity_search_with_score(emb) if h[1] >= self.conflict]
        """
    )
    assert found[(4, 0.35)].metric is Metric.DISTANCE
    assert found[(4, 0.35)].direction is Direction.BELOW
    assert found[(5, 0.6)].metric is Metric.SIMILARITY


def test_a_number_returned_where_another_return_reads_a_setting_is_its_default():
    """``return 5, 0.55`` when the settings cannot be read: the defaults of what is read there.

    Beside ``return (..., float(cfg.get("placement_similarity_threshold", 0.55)))``, the 0.55
    is that setting's default, where the caller unpacks it and compares it. A number in a
    place that reads no threshold-named setting is not.
    """
    found = scan(
        """
        import numpy as np

        def _config():
            try:
                cfg = load()
                return (
                    int(cfg.get("max_links", 5)),
                    float(cfg.get("placement_similarity_threshold", 0.55)),
                )
            except Exception:
                return 5, 0.55

        def place(note_vec, folder_vecs):
            max_links, threshold = _config()
            sims = folder_vecs @ note_vec
            best = int(np.argmax(sims))
            return best if sims[best] >= threshold else None
        """
    )
    assert found[(9, 0.55)].metric is Metric.SIMILARITY
    assert found[(12, 0.55)].metric is Metric.SIMILARITY
    assert found[(12, 0.55)].direction is Direction.ABOVE
    assert (12, 5.0) not in found


def test_a_field_default_consumed_as_a_threshold_in_another_module():
    """A pydantic field whose name says nothing is a threshold where another module uses it."""
    found = scan(
        """
        from pydantic import BaseModel, Field

        class Settings(BaseModel):
            floor: float = Field(default=0.35, description="see search.py")
            temperature: float = 0.2
        """,
        **{
            "search.py": """
                def search(store, settings, query):
                    return [d for d in store.query(query) if d.relevance >= settings.floor]
            """
        },
    )
    assert found[(5, 0.35)].kind is Kind.DEFAULT
    assert (6, 0.2) not in found


def test_a_module_constant_through_positional_calls_across_modules():
    """The demo's ``OLD_THRESHOLD`` reaches ``scores >= threshold`` three calls away.

    Reported at the default confidence (medium): ``scores`` says score, not which kind.
    """
    found = scan(
        "OLD_THRESHOLD = 0.55\n",
        path="demo/workdir.py",
        **{
            "demo/run.py": "from demo.workdir import OLD_THRESHOLD\nsummary(data, OLD_THRESHOLD)\n",
            "demo/summary.py": (
                "def summary(data, old_threshold):\n"
                "    return segment(data, 'all', old_threshold)\n"
                "def segment(data, name, old_threshold):\n"
                "    return precision_recall(data.scores, data.relevant, old_threshold)\n"
                "def precision_recall(scores, relevant, threshold):\n"
                "    return scores >= threshold - SLACK\n"
            ),
        },
    )
    assert found[(1, 0.55)].level == "medium"
    assert found[(1, 0.55)].related == ("demo/summary.py", 6)


def test_a_name_bound_in_two_branches_carries_each_branchs_value_to_its_own_call():
    """Each branch binds ``cutoff`` and hands it on: the fuzzy default reaches no embedding."""
    found = scan(
        """
        from search.dense import nearest
        from search.fuzzy import fuzzy_lines

        DENSE_CUTOFF = 0.3
        FUZZY_CUTOFF = 0.85

        def main(args):
            if args.dense:
                cutoff = args.cutoff if args.cutoff is not None else DENSE_CUTOFF
                hits = nearest(args.query, cutoff=cutoff)
            else:
                cutoff = args.cutoff if args.cutoff is not None else FUZZY_CUTOFF
                hits = fuzzy_lines(args.query, cutoff=cutoff)
            return hits
        """,
        path="search/cli.py",
        **{
            "search/dense.py": (
                "def nearest(query, cutoff):\n"
                "    hits = index.search(model.encode(query), k=10)\n"
                "    return [h for h in hits if h.cosine_similarity >= cutoff]\n"
            ),
            "search/fuzzy.py": (
                "from rapidfuzz import fuzz\n"
                "def fuzzy_lines(query, cutoff):\n"
                "    return [t for t in LINES if fuzz.partial_ratio(query, t) / 100 >= cutoff]\n"
            ),
        },
    )
    assert found[(5, 0.3)].direction is Direction.ABOVE
    assert (6, 0.85) not in found


def test_which_assignments_a_read_can_see():
    """Only where one assignment reaches a read does the read get that assignment's slot."""
    tree = ast.parse(
        textwrap.dedent(
            """
            def f(a, xs):
                t = 1
                use(t)              # 1: only `t = 1`
                if a:
                    t = 2
                    use(t)          # 2
                else:
                    t = 3
                use(t)              # either: none
                t = 4
                for x in xs:
                    use(t)          # 4, or 5 on the next turn: none
                    t = 5
                t = 6
                try:
                    t = 7
                    use(t)          # 7
                except ValueError:
                    use(t)          # 6 or 7: none
                t = 8
                g = lambda: t       # runs later: none
                u = [t for t in xs] # the comprehension's own `t`: none
                with open(t) as t:  # 8, then the file: none in the body
                    use(t)
            """
        )
    )
    function = tree.body[0]
    reads = {
        node.lineno: node
        for node in ast.walk(function)
        if isinstance(node, ast.Name) and node.id == "t" and isinstance(node.ctx, ast.Load)
    }
    sole = sole_bindings(function)
    seen = {line: sole[id(node)].lineno for line, node in reads.items() if id(node) in sole}
    assert seen == {4: 3, 7: 6, 18: 17, 24: 21}


def test_a_records_field_holds_what_its_builders_pass_in_its_place():
    """``Match(d, ranks[d], best_cos.get(d))``, then ``m.best >= CUTOFF``: a cosine.

    The field's argument, given by position, decides what ``m.best`` is, not the fused
    keyword-and-vector ranks the records are listed by.
    """
    code = """
        from dataclasses import dataclass

        CUTOFF = 0.61

        @dataclass
        class Match:
            doc: str
            rank: float
            best: float | None = None

        def fused(query, index, bm25):
            best_cos = {}
            for doc, sim in index.search(encode(query)):
                best_cos[doc] = max(best_cos.get(doc, -1.0), sim)
            ranks = reciprocal_rank_fusion([bm25.rank(query), list(best_cos)])
            return [Match(d, ranks[d], best_cos.get(d)) for d in ranks]

        def confident(query, index, bm25):
            return [m for m in fused(query, index, bm25) if m.best is not None and m.best >= CUTOFF]
        """
    found = scan(code)
    assert found[(4, 0.61)].direction is Direction.ABOVE
    # built elsewhere from a word overlap as well: the field says nothing either way
    other = code.replace(
        "        def confident(",
        "        def by_words(query, doc):\n"
        "            return Match(doc, 0.0, jaccard_overlap(query, doc))\n\n"
        "        def confident(",
    )
    assert (4, 0.61) not in scan(other)


def test_a_subclass_comparing_cosines_reaches_its_own_default_not_its_siblings():
    """Matchers share a base that keeps ``self.threshold``; only one compares embeddings.

    What the cosine matcher compares reaches its own default (and the base's), not the
    defaults its siblings hand the same base for their own, structural, scores.
    """
    found = scan(
        """
        import numpy as np

        class Matcher:
            def __init__(self, enabled=True, threshold=0.5):
                self.enabled = enabled
                self.threshold = threshold

        class EmbeddingMatcher(Matcher):
            def __init__(self, model, threshold=0.45):
                super().__init__(True, threshold)
                self.model = model

            def match(self, column, labels):
                q = self.model.encode(column)
                for label in labels:
                    cosine = float(np.dot(q, self.model.encode(label)))
                    if cosine >= self.threshold:
                        return label

        class ShapeMatcher(Matcher):
            def __init__(self, threshold=0.7):
                super().__init__(True, threshold)

            def match(self, column, labels):
                for label in labels:
                    if self.fit(column, label) >= self.threshold:
                        return label
        """
    )
    assert found[(10, 0.45)].direction is Direction.ABOVE
    assert (22, 0.7) not in found


def test_a_similarity_computed_from_shared_words_is_a_string_score():
    """``_label_similarity`` compares labels, their substrings and their shared words.

    Weighed with another score, too far back to follow to its counts: what its body does
    (split into words, intersect) says it is no embedding's similarity, whatever its name.
    """
    found = scan(
        """
        class LabelMatcher:
            def __init__(self, embedder, threshold=0.6):
                self.embedder = embedder
                self.threshold = threshold

            def match(self, column, labels):
                for label in labels:
                    score = self._score(column, label)
                    if score >= self.threshold:
                        return label

            def _score(self, column, label):
                scores = [self._type_fit(column, label)]
                fit = self._label_similarity(column, label)
                scores.append(fit)
                weights = [0.4, 0.6]
                weighted = sum(s * w for s, w in zip(scores, weights)) / sum(weights)
                return weighted

            def _label_similarity(self, column, label):
                name = column.lower()
                best = 0.0
                for other in label.names:
                    other = other.lower()
                    if name == other:
                        best = max(best, 1.0)
                        continue
                    a, b = set(name.split()), set(other.split())
                    if a and b:
                        shared = len(a & b)
                        ratio = shared / max(len(a), len(b))
                        best = max(best, ratio * 0.6)
                return best
        """
    )
    assert (3, 0.6) not in found


def test_cosines_of_counts_and_shares_of_tallied_tokens_are_no_embedding_similarities():
    """Three lexical scores named like similarities, each in a module that also embeds.

    A cosine of two ``Counter``s of n-grams; a share of equal tokens tallied one by one
    (``sim += 1``, then ``sim / len(template)``); a cosine of word lengths, called through a
    base class's stub and the one subclass that computes it.
    """
    counters = scan(
        """
        import math
        from collections import Counter

        class HashingEmbeddingFallback:
            def __init__(self, embedder, min_similarity=0.18):
                self.embedder = embedder
                self.min_similarity = min_similarity

            def _vec(self, text):
                grams = Counter()
                for i in range(len(text) - 2):
                    grams[text[i : i + 3]] += 1
                return grams

            @staticmethod
            def _cos(a: Counter, b: Counter) -> float:
                common = set(a) & set(b)
                num = sum(a[k] * b[k] for k in common)
                na = math.sqrt(sum(v * v for v in a.values()))
                nb = math.sqrt(sum(v * v for v in b.values()))
                return num / (na * nb) if na and nb else 0.0

            def pick(self, header, fields):
                best, best_sim = None, -1.0
                query = self._vec(header)
                for field, vec in fields.items():
                    sim = self._cos(query, vec)
                    if sim > best_sim:
                        best, best_sim = field, sim
                return best if best_sim >= self.min_similarity else None
        """
    )
    assert (6, 0.18) not in counters
    tallied = scan(
        """
        class Parser:
            def __init__(self, embedder, sim_th=0.4):
                self.embedder = embedder
                self.sim_th = sim_th

            def _seq_similarity(self, template, tokens):
                sim = 0
                for a, b in zip(template, tokens):
                    if a == b:
                        sim += 1
                return sim / len(template)

            def match(self, clusters, tokens):
                best, best_sim = None, -1.0
                for cluster in clusters:
                    sim = self._seq_similarity(cluster.tokens, tokens)
                    if sim > best_sim:
                        best, best_sim = cluster, sim
                return best if best_sim >= self.sim_th else None
        """
    )
    assert (3, 0.4) not in tallied
    lengths = scan(
        """
        import numpy as np
        from sklearn.metrics.pairwise import cosine_similarity

        class Template:
            def get_similarity_score(self, new_words):
                \"\"\"A similarity score.\"\"\"
                assert False

        class LengthTemplate(Template):
            def get_similarity_score(self, new_words):
                lengths = np.asarray([len(w) for w in self.words]).reshape(1, -1)
                new_lengths = np.asarray([len(w) for w in new_words]).reshape(1, -1)
                return cosine_similarity(lengths, new_lengths)

        class TemplateManager:
            def __init__(self, embedder, threshold=0.9):
                self.embedder = embedder
                self.threshold = threshold

            def infer(self, words):
                for template in self.templates:
                    score = template.get_similarity_score(words)
                    if score >= self.threshold:
                        return template
        """
    )
    assert (17, 0.9) not in lengths


def test_a_function_comparing_texts_with_difflib_compares_strings():
    """A command aligning paragraphs by ``difflib`` ratios is a string ratio's context.

    A function that splits with a ``RegexSplitter`` compares nothing by it: no such context.
    """
    tree = ast.parse(
        textwrap.dedent(
            """
            import argparse, difflib
            from chunkers.splitters.regex import RegexSplitter

            def main():
                args = argparse.ArgumentParser().parse_args()
                def align(old, new, thr=args.threshold):
                    return [difflib.SequenceMatcher(a=a, b=b).ratio() - thr for a in old]
                return align(args.old, args.new)

            def split_by_topic(text, model, score_threshold=0.45):
                parts = RegexSplitter()(text)
                return model.encode(parts), score_threshold
            """
        )
    )
    imports = Imports()
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            imports.record(node)
    module = Scope.module(tree, "app/compare.py", imports)
    main, split = (n for n in tree.body if isinstance(n, ast.FunctionDef))
    assert module.child_function(main).context_origin is Origin.STRING
    assert module.child_function(split).context_origin is Origin.UNKNOWN


def test_a_score_tallied_from_fixed_weights_or_fixed_grades_is_no_similarity():
    """Rule-based scores in a matcher module that also ranks by embeddings.

    ``base += 0.4`` per rule met, and ``return 0.8`` when one name contains the other: what
    each compares with its ``threshold`` is no embedding's similarity.
    """
    found = scan(
        """
        from app.semantic import SemanticMatcher

        class RuleMatcher:
            def __init__(self, embedder, threshold=0.55):
                self.embedder = embedder
                self.threshold = threshold

            def match(self, column, properties):
                for prop in properties:
                    similarity = self._score(column, prop)
                    if similarity >= self.threshold:
                        return prop

            def _score(self, column, prop):
                base = 0.0
                for rule in prop.restrictions:
                    if rule.unique and column.unique:
                        base += 0.4
                    elif rule.unique:
                        base -= 0.2
                return max(0.0, min(base, 1.0))

        class NameMatcher:
            def __init__(self, embedder, threshold=0.7):
                self.embedder = embedder
                self.threshold = threshold

            def match(self, column, properties):
                for prop in properties:
                    similarity = self._score(column, prop)
                    if similarity >= self.threshold:
                        return prop

            def _score(self, column, prop):
                name = column.name.lower()
                for label in prop.labels:
                    label_lower = label.lower()
                    if name == label_lower:
                        return 1.0
                    if name in label_lower or label_lower in name:
                        return 0.8
                return 0.0
        """
    )
    assert (5, 0.55) not in found
    assert (25, 0.7) not in found


def test_a_helpers_literal_bound_on_a_score_its_callers_hand_from_elsewhere():
    """``score < 0.65`` in ``is_noise(text, score)``, handed only OCR lines' confidences.

    The helper's code shows nothing of ``score``; its one caller shows another score.
    """
    code = """
        def is_noise(text, score):
            return len(text) < 3 or score < 0.65

        def clean(lines):
            return [line for line in lines if not is_noise(line.text, line.score)]
        """
    found = scan(code, path="app/embedding_similarity.py")
    assert (3, 0.65) not in found
    searched = code.replace(
        "def clean(lines):\n            return [line for line in lines",
        "def clean(index, query):\n            hits = index.search(query)\n"
        "            return [line for line in hits",
    )
    assert (3, 0.65) in scan(searched, path="app/embedding_similarity.py")


def test_zero_floor_on_search_results_but_not_on_keyword_ranks_or_clamps():
    """``score > 0`` counts on a vector search's answer, not on BM25 ranks or a clamp."""
    found = scan(
        """
        def dense(self, queries, limit):
            results = self.ann.search(queries, limit)
            return [[(i, score) for i, score in r if score > 0] for r in results]

        def sparse(self, queries, limit):
            ranked = self.index.keyword_search(queries, limit)
            return [(i, score) for i, score in ranked if score > 0]

        def evaluate(cache):
            distance, _ = cache["search_result"]
            if distance < 0:
                distance = 0
            return distance
        """
    )
    assert found[(4, 0.0)].direction is Direction.ABOVE
    assert found[(4, 0.0)].level == "medium"
    assert (8, 0.0) not in found
    assert (13, 0.0) not in found


def test_zero_floor_on_each_item_of_a_search_by_hand_but_not_on_a_matrix_mask():
    """``if cos <= 0: continue`` over chunks drops results; ``sims[sims > 0]`` keeps entries."""
    found = scan(
        """
        def semantic_search(query_vec, chunks):
            scored = []
            for chunk in chunks:
                cos = cosine_similarity(query_vec, chunk["embedding"])
                if cos <= 0:
                    continue
                scored.append((cos, chunk))
            return scored

        def positives(a, b):
            sims = cosine_similarity(a, b)
            return sims[sims > 0]

        def steps(grad, points, curv):
            for k in range(len(points)):
                grad_step = grad @ points[:, k]
                if grad_step >= 0.0:
                    alpha = max(-grad_step / curv, 0.0)
                if 0 <= grad_step <= 1e-9:
                    break

        def align(words_a, words_b, reasons):
            pairs = []
            for i in range(len(words_a)):
                sim = cosine_similarity(words_a[i], words_b[i])
                if sim <= 0:
                    continue
                pairs.append(i)
            for name in words_a:
                f_semantic = cosine_similarity(name, words_b[0])
                if f_semantic > 0:
                    reasons.append("meaningful name")
            return pairs
        """
    )
    assert found[(6, 0.0)].direction is Direction.ABOVE
    assert found[(6, 0.0)].level == "medium"
    assert (13, 0.0) not in found
    assert not {line for line, _ in found} & {18, 20}  # a numerical method's steps
    assert not {line for line, _ in found} & {27, 32}  # a matrix's cells; a note, not the item


def test_model_scores_string_ratios_and_evaluations_are_not_similarity_thresholds():
    """Detector, QA, classifier and fuzzy-match cutoffs, and ``clf.score``, are not reported."""
    found = scan(
        """
        from rapidfuzz import fuzz

        class Objects:
            def __init__(self, threshold=0.9):
                self.threshold = threshold

            def __call__(self, images):
                result = self.pipeline(images)
                return [x["label"] for x in result if x["score"] > self.threshold]

        class FuzzyResolver:
            def __init__(self, similarity_threshold: float = 0.8):
                self.similarity_threshold = similarity_threshold

            def similar(self, a, b):
                return fuzz.WRatio(a, b) / 100 >= self.similarity_threshold

        def answer(questions):
            score = questions.qa_pipeline(q)["score"]
            if score < 0.05:
                return None

        def check(clf, X, y):
            if clf.score(X, y) > 0.9:
                print("good")
        """
    )
    assert found == {}
    # a pose estimator's part-affinity scores between two keypoints (OpenPose's)
    posed = scan(
        """
        import numpy as np

        class Body:
            def __call__(self, image, candA, candB, vec):
                thre2 = 0.05
                score_mid = self.paf(image)
                vec_x = np.array([score_mid[int(p[1]), int(p[0]), 0] for p in candA])
                vec_y = np.array([score_mid[int(p[1]), int(p[0]), 1] for p in candB])
                score_midpts = np.multiply(vec_x, vec[0]) + np.multiply(vec_y, vec[1])
                return len(np.nonzero(score_midpts > thre2)[0]) > 0.8 * len(score_midpts)
        """,
        path="tryon/openpose_pytorch/body.py",
    )
    assert posed == {}


def test_asserts_and_test_files_only_with_include_tests():
    """``assert score > 0.9`` is skipped by default, and reported when tests are included."""
    code = "def test_it(hits):\n    assert hits[0].score > 0.87\n"
    assert scan_texts({"app/check.py": code}).findings == ()
    included = scan_texts({"app/check.py": code}, include_tests=True)
    assert [f.value for f in included.findings] == [0.87]


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


def test_a_mapping_under_a_string_matchers_key_holds_that_matchers_settings():
    """``{"fuzzy": {"min_similarity": 0.6}}`` is a fuzzy match's; ``{"dense": {...}}`` is not."""
    found = scan(
        """
        DEFAULTS = {
            "fuzzy": {"min_similarity": 0.6, "n_gram_size": 3},
            "last_name_levenshtein": {"threshold": 0.7, "m_prob": 0.9},
            "dense": {"min_similarity": 0.75, "model": "sentence-transformers/all-MiniLM-L6-v2"},
        }
        """
    )
    assert (3, 0.6) not in found
    assert (4, 0.7) not in found
    assert found[(5, 0.75)].metric is Metric.SIMILARITY


def test_a_bare_key_in_a_string_matchers_mapping_is_not_what_other_mappings_bound():
    """A bare ``"threshold"`` under an n-gram, Jaro-Winkler or Soundex key is that match's.

    Wherever some other mapping's ``"threshold"`` is compared with a cosine; under ``"dense"``
    it is that cosine's.
    """
    pipeline = """
        def keep(pairs, cfg):
            for pair in pairs:
                if pair.cosine_similarity >= cfg["threshold"]:
                    yield pair
        """
    found = scan(
        """
        WEIGHTS = {
            "first_name_ngram": {"threshold": 0.7, "m_prob": 0.9},
            "last_name_jaro_winkler": {"threshold": 0.75, "m_prob": 0.9},
            "city_soundex": {"threshold": 0.6, "m_prob": 0.9},
            "dense": {"threshold": 0.8},
        }
        """,
        **{"app/pipeline.py": pipeline},
    )
    assert (3, 0.7) not in found
    assert (4, 0.75) not in found
    assert (5, 0.6) not in found
    assert found[(6, 0.8)].metric is Metric.SIMILARITY


def test_a_parameter_compared_where_its_callers_hand_it_similarities():
    """A parameter compared with a setting is what its callers hand it.

    ``def _confidence(top_score)`` compared with ``_HIGH_CONFIDENCE``: a model's confidence by
    its name, but its one caller hands it a search hit's score. A helper that one caller hands
    a classifier's score and another a similarity compares no similarity as such.
    """
    found = scan(
        """
        from .store import store

        _HIGH_CONFIDENCE_SCORE = 0.72

        def _confidence(top_score):
            return "high" if top_score >= _HIGH_CONFIDENCE_SCORE else "low"

        def _relevant(text, score, floor=0.55):
            return score >= floor

        def answer(query):
            results = store.similarity_search_with_score(query, k=5)
            kept = [doc for doc, score in results if _relevant(doc.text, score)]
            return kept, _confidence(results[0].score)
        """
    )
    assert found[(4, 0.72)].metric is Metric.SIMILARITY
    assert found[(4, 0.72)].direction is Direction.ABOVE
    assert found[(9, 0.55)].metric is Metric.SIMILARITY
    shared = scan(
        """
        from .classifier import classify
        from .store import store

        TOXICITY_CONFIDENCE = 0.9
        RELEVANCE_CONFIDENCE = 0.6

        def risk(score, limit):
            return score >= limit

        def toxic(text):
            toxicity_score = classify(text)["score"]
            return risk(toxicity_score, TOXICITY_CONFIDENCE)

        def relevant(query, text):
            similarity = store.similarity_search_with_score(query, k=1)[0][1]
            return risk(similarity, RELEVANCE_CONFIDENCE)
        """
    )
    assert (5, 0.9) not in shared
    # a search's hits handed by keyword: the scores read from them are similarities, in a
    # module whose name (`llm_verifier`) would make them an LLM's grades
    routed = scan(
        """
        class ConfidenceRouter:
            def __init__(self, auto_threshold: float = 0.95):
                self.auto_threshold = auto_threshold

            async def route(self, term, candidates):
                top = candidates[0]
                score = top.get("score", 0) or top.get("rrf_score", 0)
                return "auto" if score >= self.auto_threshold else "review"
        """,
        path="app/llm_verifier.py",
        **{
            "app/mapper.py": """
            from .llm_verifier import ConfidenceRouter

            async def map_code(store, term):
                candidates = store.search(term, limit=10)  # ranked by score
                return await ConfidenceRouter().route(term, candidates=candidates)
            """
        },
    )
    assert routed[(3, 0.95)].metric is Metric.SIMILARITY
    # a record's score named a similarity's (`self.similarity_score`, a model field no code
    # here computes) is one, whatever the setting's name; one named a model's is not
    tiered = scan(
        """
        from pydantic import BaseModel

        _CONFIDENCE_HIGH = 0.85
        _CONFIDENCE_TOXIC = 0.9

        def _tier(score):
            return "HIGH" if score >= _CONFIDENCE_HIGH else "LOW"

        def _flag(score):
            return score >= _CONFIDENCE_TOXIC

        class Chunk(BaseModel):
            similarity_score: float
            toxicity_score: float

            def tier(self):
                return _tier(self.similarity_score)

            def toxic(self):
                return _flag(self.toxicity_score)
        """
    )
    assert tiered[(4, 0.85)].metric is Metric.SIMILARITY
    assert (5, 0.9) not in tiered


def test_a_constant_is_the_setting_a_measured_local_is_compared_with():
    """``max_sim > self.HIGH_CONFIDENCE_SIMILARITY`` after ``max_sim = features.get(...)``.

    The constant is the setting, whatever its name (a similarity named last bounds a
    similarity, however confident); the local, read from a record of measurements, is the
    score, bound word or not; its stand-in ``0.0`` is no threshold. A bound read from the
    settings a function is handed (``kwargs.get("min_score")``) stays a setting.
    """
    found = scan(
        """
        class Router:
            HIGH_CONFIDENCE_SIMILARITY = 0.85
            HARD_RETRIEVAL_SIMILARITY = 0.5

            def route(self, features):
                max_sim = features.get("max_similarity", 0.0)
                if max_sim > self.HIGH_CONFIDENCE_SIMILARITY:
                    return "direct"
                if max_sim < self.HARD_RETRIEVAL_SIMILARITY:
                    return "multiquery"
                return "rerank"

        MIN_ALLOWED_SCORE = 0.05

        def check(**kwargs):
            min_score = kwargs.get("min_score", 0.2)
            if min_score < MIN_ALLOWED_SCORE:
                raise ValueError("min_score too low")
        """
    )
    assert found[(3, 0.85)].metric is Metric.SIMILARITY
    assert found[(3, 0.85)].direction is Direction.ABOVE
    assert found[(4, 0.5)].metric is Metric.SIMILARITY
    assert (7, 0.0) not in found
    assert "compared with" not in found[(14, 0.05)].reason


def test_a_setting_named_a_cosine_in_an_evaluation_module_bounds_that_cosine():
    """A setting named a cosine bounds the embeddings' cosine, in an evaluation module too.

    In ``evaluation/metrics.py`` a ``pass_threshold`` is a metric's pass bar, but ``cos_min``
    bounds a cosine, which no judge grades.
    """
    found = scan(
        """
        from dataclasses import dataclass

        @dataclass
        class MetricParams:
            cos_min: float = 0.90
            pass_threshold: float = 0.5

        def outcome(row, p: MetricParams):
            if row["matched"] < p.cos_min:
                return "weak"
            return "pass" if row["accuracy"] >= p.pass_threshold else "fail"
        """,
        path="app/evaluation/metrics.py",
    )
    assert found[(6, 0.9)].metric is Metric.SIMILARITY
    assert (7, 0.5) not in found


def test_names_unpacked_from_zip_are_each_an_element_of_their_own_iterable():
    """``score`` of ``zip(range(n), cols, best)`` is a cosine's, only ``i`` counts."""
    found = scan(
        """
        from sklearn.metrics.pairwise import cosine_similarity

        def match(left, right, threshold=0.8):
            sims = cosine_similarity(left, right)
            best = sims.max(axis=1)
            for i, j, score in zip(range(len(left)), sims.argmax(axis=1), best):
                if score >= threshold:
                    yield i, j

        def pairs(items, scores, floor=0.3):
            for n, (item, score) in enumerate(zip(items, scores)):
                if n >= floor:
                    yield item
        """
    )
    assert found[(4, 0.8)].metric is Metric.SIMILARITY
    assert (12, 0.3) not in found


def test_a_threshold_named_a_similarity_bounds_a_transformed_similarity():
    """``sigmoid_prob >= self.enhance_similarity_threshold``: its name says what it bounds.

    A probability (by its name) compared with a setting named only ``min_prob`` is no
    similarity's cutoff; one named ``..._similarity_threshold`` still is.
    """
    found = scan(
        """
        class Memory:
            def __init__(self, enhance_similarity_threshold: float = 0.7, min_prob: float = 0.4):
                self.enhance_similarity_threshold = enhance_similarity_threshold
                self.min_prob = min_prob

            def enhance(self, similarity):
                sigmoid_prob = sigmoid_function(similarity)
                if sigmoid_prob >= self.enhance_similarity_threshold:
                    return True
                return sigmoid_prob >= self.min_prob
        """
    )
    assert found[(3, 0.7)].metric is Metric.SIMILARITY
    assert (3, 0.4) not in found


def test_a_table_of_thresholds_merged_returned_and_handed_to_the_class_that_compares():
    """A table of thresholds reaches the comparison through a loader of any name.

    Defaults merged with a config's (``{**DEFAULTS, **read}``), returned in a tuple, bound by
    name (``thresholds, ttl = load_policy()``) and passed on to the class that compares.
    """
    found = scan(
        """
        _DEFAULT_THRESHOLDS = {"qa": 0.91, "code": 0.93}
        _DECAY = 0.25

        def load_policy():
            try:
                merged = {**_DEFAULT_THRESHOLDS, **read("task_thresholds")}
                return merged, _DECAY
            except OSError:
                return _DEFAULT_THRESHOLDS, _DECAY

        def build():
            thresholds, ttl = load_policy()
            return SemanticCache(thresholds, ttl)
        """,
        path="app/policy.py",
        **{
            "app/cache.py": """
            class SemanticCache:
                def __init__(self, thresholds, ttl):
                    self._thresholds = thresholds
                    self._ttl = ttl

                def lookup(self, vector, task):
                    threshold = self._thresholds.get(task, 0.9)
                    similarity, entry = self._store.search(vector, k=1)[0]
                    if similarity < threshold:
                        return None
                    return entry
            """
        },
    )
    assert found[(2, 0.91)].metric is Metric.SIMILARITY
    assert found[(2, 0.93)].metric is Metric.SIMILARITY
    assert (3, 0.25) not in found  # the decay returned beside the table is no threshold


def test_an_intersection_over_union_of_masks_is_no_similarity_even_as_a_product():
    """IoU of masks computed with a matrix product is a ratio of pixel counts."""
    found = scan(
        """
        def _pairwise_iou(masks_a, masks_b):
            inter = masks_a.float() @ masks_b.float().T
            union = masks_a.sum(1)[:, None] + masks_b.sum(1)[None, :] - inter
            return inter / union

        class Segmenter:
            def __init__(self, iou_confirm_threshold: float = 0.4, match_threshold: float = 0.8):
                self.iou_threshold = iou_confirm_threshold
                self.match_threshold = match_threshold

            def confirm(self, masks_a, masks_b, emb_a, emb_b):
                iou_matrix = _pairwise_iou(masks_a, masks_b)
                iou_val = float(iou_matrix.max())
                sims = emb_a @ emb_b.T
                best = float(sims.max())
                return iou_val >= self.iou_threshold and best >= self.match_threshold
        """
    )
    assert (8, 0.4) not in found
    assert found[(8, 0.8)].metric is Metric.SIMILARITY


def test_arguments_handed_to_a_thread_or_executor_reach_the_function_run_there():
    """``asyncio.to_thread(quality_check, a, b, THRESHOLD)`` calls ``check`` with them.

    ``quality_check`` is ``check`` imported under another name inside the caller.
    """
    found = scan(
        """
        import asyncio

        QUALITY_THRESHOLD = 0.92
        PARAPHRASE_THRESHOLD = 0.8

        async def gate(a, b, model, loop, pool):
            from app.gate import check as quality_check
            passed, _ = await asyncio.to_thread(quality_check, a, b, QUALITY_THRESHOLD, model)
            same, _ = await loop.run_in_executor(pool, check, a, b, PARAPHRASE_THRESHOLD, model)
            return passed and same
        """,
        path="app/run.py",
        **{
            "app/gate.py": """
            def check(original, compressed, threshold, model):
                sim = cosine_similarity(model.embed(original), model.embed(compressed))
                return sim >= threshold, sim
            """
        },
    )
    assert found[(4, 0.92)].metric is Metric.SIMILARITY
    assert found[(5, 0.8)].metric is Metric.SIMILARITY


def test_keywords_handed_to_a_thread_or_a_projects_runner_reach_the_function_run_there():
    """``asyncio.to_thread(f, threshold=t)`` and ``self._run_sync(f, threshold=t)`` pass ``t``.

    A store runs its blocking work through its own ``_run_sync(fn, /, *args, **kwargs)``
    around ``asyncio.to_thread``; the settings go by keyword to the function it runs.
    """
    found = scan(
        """
        import asyncio

        class Store:
            async def suggest(self, q, auto_threshold: float = 0.85, floor: float = 0.6):
                return await self._run_sync(self._sync_suggest, q, auto_threshold=auto_threshold)

            async def dedupe(self, q, cutoff: float = 0.92):
                return await asyncio.to_thread(self._sync_dedupe, q, cutoff=cutoff)

            async def _run_sync(self, fn, /, *args, **kwargs):
                return await asyncio.to_thread(fn, *args, **kwargs)

            def _sync_suggest(self, q, *, auto_threshold):
                sims = self.embeddings @ q
                return [i for i, s in enumerate(sims) if s >= auto_threshold]

            def _sync_dedupe(self, q, *, cutoff):
                sims = self.embeddings @ q
                return [i for i, s in enumerate(sims) if s >= cutoff]
        """
    )
    assert set(found) == {(5, 0.85), (8, 0.92)}
    assert found[(5, 0.85)].metric is Metric.SIMILARITY


def test_what_a_threshold_getter_returns_whatever_else_its_name_says():
    """``_threshold_for_kind(kind, thresholds)`` returns a field: its default is the cutoff."""
    found = scan(
        """
        from dataclasses import dataclass

        @dataclass
        class Thresholds:
            func: float = 0.92
            window: float = 0.9

        def _threshold_for_kind(kind, thresholds: Thresholds) -> float:
            if kind == "FUNC":
                return thresholds.func
            return thresholds.window

        def keep(kind, thresholds, a, b):
            return cosine_similarity(a, b) >= _threshold_for_kind(kind, thresholds)
        """
    )
    assert found[(6, 0.92)].metric is Metric.SIMILARITY
    assert found[(7, 0.9)].metric is Metric.SIMILARITY


def test_a_generic_threshold_parameter_is_what_its_docstring_entry_says():
    """Google, NumPy and Sphinx entries; a fuzzy ratio's and a percentile's are not cutoffs.

    The values go to a native engine, so no comparison in the code says what they bound.
    """
    found = scan(
        '''
        def run(images, threshold=0.9, lower_threshold=0.05):
            """Find near-duplicate images.

            Args:
                threshold (float): Similarity measure in the range -1->1, where 1 is
                    totally identical.
                lower_threshold (float): Similarity percentile to outline outliers.
            """
            return _engine.run(images, f"threshold={threshold},lower={lower_threshold}")

        def group(faces, threshold=0.5):
            """Group faces.

            Parameters
            ----------
            threshold : float
                Greatest cosine distance between two faces of one person.
            """
            return _engine.group(faces, threshold)

        def names(rows, threshold=0.8, cutoff=0.7):
            """Match names.

            :param threshold: minimum fuzzy similarity ratio of two names
            :param float cutoff: least embedding similarity of two rows
            """
            return _engine.match(rows, threshold, cutoff)
        '''
    )
    assert found[(2, 0.9)].metric is Metric.SIMILARITY
    assert (2, 0.05) not in found
    assert found[(12, 0.5)].metric is Metric.DISTANCE
    assert (22, 0.8) not in found
    assert found[(22, 0.7)].metric is Metric.SIMILARITY


def test_a_threshold_documented_as_another_score_is_none_where_callers_pass_it():
    """``score_threshold: Minimum BM25 score``: the default and what callers pass are not cutoffs.

    The parameter goes to a crawler's URL seeding outside the scan, so only its docstring says
    what it bounds. A scene detector's documented ``threshold``, handed ``settings.threshold``
    of some class, says nothing of every class's ``threshold`` attribute: a clip report's,
    compared with a cosine, stays a cutoff.
    """
    found = scan(
        """
        async def crawl(d):
            urls = await d.discover("docs.example.com", query="tables", score_threshold=0.1)
            keep = await d.discover("docs.example.com", query="tables", min_similarity=0.8)
            return urls, keep
        """,
        path="app/crawl.py",
        **{
            "app/seeder.py": '''
            class Discoverer:
                async def discover(self, domain, query="", score_threshold=0.0, min_similarity=0.5):
                    """Find a domain's URLs.

                    Args:
                        score_threshold: Minimum BM25 score to include (0.0 = no filter).
                        min_similarity: Minimum score to include.
                    """
                    return await _seed(domain, query, score_threshold, min_similarity)
            '''
        },
    )
    assert (3, 0.1) not in found
    assert found[(4, 0.8)].metric is Metric.SIMILARITY
    clips = scan(
        """
        class ClipReport:
            def __init__(self, threshold=0.7):
                self.threshold = threshold

            def keep(self, clip):
                return clip.cosine >= self.threshold
        """,
        path="app/clips.py",
        **{
            "app/scenes.py": '''
            def cut(video, threshold=27.5):
                """Split a video.

                Args:
                    threshold: Scene detection threshold for long videos.
                """
                return _detect(video, threshold)

            def run(video, settings):
                return cut(video, threshold=settings.threshold)
            '''
        },
    )
    assert clips[(3, 0.7)].level == "high"


def test_the_comment_closing_a_thresholds_line_can_say_it_bounds_another_score():
    """``# Minimum BM25 relevance score`` at a field: no cutoff; one naming a cosine too still is.

    The fields are read by another module (a crawler's seeding, a vector search) that the
    scan only sees pass them on.
    """
    found = scan(
        """
        from dataclasses import dataclass

        @dataclass
        class DiscoverParams:
            score_threshold: float = 0.1  # Minimum BM25 relevance score
            min_score: float = 0.35  # cosine floor; BM25 hits are kept apart
            cutoff: float = 0.6

        def discover(client, params: DiscoverParams):
            return client.seed(score_threshold=params.score_threshold)

        def search(store, q, params: DiscoverParams):
            return store.similarity_search(q, score_threshold=params.min_score)
        """
    )
    assert (6, 0.1) not in found
    assert found[(7, 0.35)].metric is Metric.SIMILARITY


def test_a_threshold_named_in_a_docstring_line_has_that_lines_metric():
    """``1. Its similarity score >= ``auto_accept_threshold``, or``: the prose says what it bounds.

    The comparison reads a column named by another parameter, so nothing else does; a line
    that names a fuzzy ratio says no embedding similarity.
    """
    found = scan(
        '''
        def accept(matches, auto_accept_threshold=0.85, score_col="score", review_threshold=0.6):
            """Keep the accepted matches.

            A match is accepted if its similarity score >= ``auto_accept_threshold``.
            A match is reviewed if its fuzzy ratio >= ``review_threshold``.

            Parameters
            ----------
            auto_accept_threshold : float
                Score at or above which matches are accepted.
            """
            return matches[matches[score_col] >= auto_accept_threshold]
        '''
    )
    assert found[(2, 0.85)].metric is Metric.SIMILARITY
    assert (2, 0.6) not in found


def test_a_distance_found_here_bounds_whatever_setting_it_is_compared_with():
    """``min_dist > eps`` after ``for min_dist, ref in candidates``: eps is the cutoff.

    The distances come from a function chosen by metric (``dist_fn = cosine_distances if
    ... else euclidean_distances``); an edit distance's (``levenshtein``) bound is not one.
    """
    found = scan(
        """
        from sklearn.metrics.pairwise import cosine_distances, euclidean_distances
        from rapidfuzz.distance import Levenshtein

        def resolve(embeddings, refs, metric="cosine", eps=0.5):
            dist_fn = cosine_distances if metric == "cosine" else euclidean_distances
            candidates = []
            for ref_name, ref_embs in refs.items():
                dists = dist_fn(ref_embs, embeddings)
                candidates.append((float(dists.min()), ref_name))
            for min_dist, ref_name in sorted(candidates):
                if min_dist > eps:
                    break
                yield ref_name

        def spell(words, target, slack=0.3):
            for word in words:
                edit_dist = Levenshtein.normalized_distance(word, target)
                if edit_dist < slack:
                    yield word
        """
    )
    assert found[(5, 0.5)].metric is Metric.DISTANCE
    assert found[(5, 0.5)].direction is Direction.BELOW
    assert (16, 0.3) not in found


def test_an_evaluation_kits_pass_bar_named_a_similarity_is_a_similarity_threshold():
    """An evaluation metric's verdict on an embedding similarity is a cutoff on it.

    ``ALIGN_SIMILARITY_THRESHOLD`` passed to the kit's ``verdict(score, threshold)``; the
    faithfulness bar beside it, on a judge's grade, is not.
    """
    found = scan(
        """
        ALIGN_SIMILARITY_THRESHOLD = 0.8
        FAITHFULNESS_THRESHOLD = 0.7
        """,
        path="app/constants.py",
        **{
            "app/metrics/scoring.py": """
            def verdict(score, threshold):
                return "pass" if score >= threshold else "fail"
            """,
            "app/metrics/align.py": """
            from app.constants import ALIGN_SIMILARITY_THRESHOLD, FAITHFULNESS_THRESHOLD
            from app.metrics.scoring import verdict

            def align(output_units, reference_units, embed):
                sims = embed(output_units) @ embed(reference_units).T
                return verdict(float(sims.max(axis=1).mean()), ALIGN_SIMILARITY_THRESHOLD)

            def faithfulness(claims, judge):
                return verdict(judge.grade(claims), FAITHFULNESS_THRESHOLD)
            """,
        },
    )
    assert found[(2, 0.8)].metric is Metric.SIMILARITY
    assert (3, 0.7) not in found


def test_a_raw_euclidean_distance_threshold_may_be_any_positive_size():
    """``{"euclidean": 10}`` bounds distances of embeddings not normalised.

    ``euclidean_l2`` (unit vectors) stays below 2, so a 5 there is no cutoff.
    """
    found = scan(
        """
        thresholds = {
            "Facenet": {"cosine": 0.40, "euclidean": 10, "euclidean_l2": 0.80},
            "DeepID": {"cosine": 0.015, "euclidean": 45.5, "euclidean_l2": 5.0},
        }

        def verify(a, b, model, metric):
            distance = find_distance(a, b, metric)
            return distance <= thresholds[model][metric]
        """
    )
    assert found[(3, 10.0)].metric is Metric.DISTANCE
    assert found[(4, 45.5)].metric is Metric.DISTANCE
    assert found[(3, 0.8)].metric is Metric.DISTANCE
    assert (4, 5.0) not in found


def test_a_value_passed_on_as_a_distance_threshold_keeps_below():
    """``score_threshold`` handed to a ``distance_threshold`` parameter is a distance cutoff."""
    found = scan(
        """
        class Cache:
            def __init__(self, store, score_threshold: float = 0.2):
                self.score_threshold = score_threshold

            def lookup(self, prompt):
                return self.store.similarity_search(prompt, distance_threshold=self.score_threshold)
        """
    )
    assert found[(3, 0.2)].direction is Direction.BELOW
    assert found[(3, 0.2)].metric is Metric.DISTANCE


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
            return cutoff, env, score_threshold
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


def test_a_query_written_as_parts_places_each_number_on_its_parts_line():
    """``("SELECT ... " "AND -(vec <#> $1) >= 0.6 ")``: the line where that part is written.

    Python joins the parts into one string, reported at its first line before; a person
    changes the number on its own line. A comment between parts does not shift them.
    """
    found = scan(
        """
        async def similar(conn, vec):
            return await conn.fetchrow(
                (
                    "SELECT name, -(vec <#> $1::halfvec) AS similarity FROM pics "
                    # only near pictures
                    "WHERE vec IS NOT NULL "
                    "AND -(vec <#> $1::halfvec) >= 0.6 "  # the pre-filter
                    "ORDER BY similarity DESC LIMIT 1;"
                ),
                vec,
            )
        """
    )
    assert found[(8, 0.6)].kind is Kind.SQL
    assert found[(8, 0.6)].library == "pgvector"
    assert found[(8, 0.6)].snippet.startswith("AND -(vec <#> $1::halfvec) >= 0.6")


def test_code_samples_in_strings_are_not_read_as_sql():
    """A string holding TypeScript that mentions a query is not SQL: nothing is reported."""
    found = scan(
        '''
        SAMPLE = """
        const sql = `SELECT id FROM items WHERE embedding <-> $1 < 0.42`;
        if (cosineSimilarity(a, b) < 0.61) { return; }
        """
        '''
    )
    assert found == {}


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
        "MIN_MODEL_DISTANCE = 0.01",
        "def mmr(sim, t=None):\n    threshold = t if t is not None else 0.5\n    return sim * t",
        "best = -1\nfor s in scores:\n    if s > best:\n        best = s * 0.5",
    ],
)
def test_not_thresholds(code: str):
    """Counts, shapes, sizes, ratios, model knobs, prose, spreads and running bests."""
    assert scan(code) == {}


def test_ratio_of_counts_overrules_a_retrieval_context():
    """A bare ``threshold`` in a retriever compared with a ratio of counts is not reported."""
    found = scan(
        """
        class AutoMergingRetriever:
            def __init__(self, store, threshold: float = 0.5):
                self.threshold = threshold

            def merge(self, parent, children):
                score = len(children) / len(parent.children)
                return score > self.threshold
        """
    )
    assert found == {}


def test_range_checks_are_low_confidence():
    """``similarity < 0.0 or similarity > 1.0`` bounds a range: only at low confidence."""
    scanned = scan_python("bad = similarity < 0.0 or similarity > 1.0\n", "x.py")
    assert {f.value for f in scanned.findings} == {0.0, 1.0}
    assert {f.level for f in scanned.findings} == {"low"}


def test_syntax_error_is_reported_not_raised():
    """A file that does not parse gives an error with its line and no findings."""
    scanned = scan_python("score = 0.5\nif score >:\n", "broken.py")
    assert scanned.findings == ()
    assert scanned.errors[0].path == "broken.py"
    assert scanned.errors[0].line == 2


def test_a_value_passed_as_a_threshold_keyword_through_a_score_named_parameter():
    """``recall(relevance=DEFAULT)`` then ``search(min_relevance_score=relevance)``: found.

    A parameter named like a score (``relevance``) stops evidence from a comparison (a running
    best score is no threshold), not what a threshold-named keyword says of what it is given.
    """
    found = scan(
        """
        from app.memory import Memory

        DEFAULT_RELEVANCE = 0.75

        class Plugin:
            def recall(self, ask, relevance=DEFAULT_RELEVANCE):
                return self.memory.search(query=ask, min_relevance_score=relevance)
        """,
        "app/plugin.py",
    )
    assert found[(4, 0.75)].direction is Direction.ABOVE
    assert "passed on as min_relevance_score" in found[(4, 0.75)].reason


def test_a_threshold_on_an_f1_computed_by_a_function_is_no_similarity_threshold():
    """``score = f1_score(p, r)`` then ``score >= self.threshold``: an evaluation, not reported."""
    found = scan(
        """
        def f1_score(precision, recall):
            return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)

        class SemanticF1:
            def __init__(self, threshold=0.66):
                self.threshold = threshold

            def forward(self, example, pred):
                judged = self.module(question=example.question, response=pred.response)
                score = f1_score(judged.precision, judged.recall)
                return score >= self.threshold
        """,
        "app/evaluate/semantic.py",
    )
    assert found == {}


def test_a_module_in_a_detection_folder_holds_a_detectors_thresholds():
    """Folder and file names are context like a class's: a PII detector's ``score_threshold``."""
    code = """
        def get_analyzer(score_threshold=0.4):
            return AnalyzerEngine(default_score_threshold=score_threshold)
        """
    assert scan(code, "guard/library/sensitive_data_detection/actions.py") == {}
    assert (2, 0.4) in scan(code, "guard/library/retrieval/actions.py")


def test_an_evaluation_metrics_pass_bar_is_no_threshold_unless_it_bounds_a_similarity():
    """An evaluation metric's pass bar is not reported; an evaluator comparing a cosine is.

    The metric's ``threshold`` is compared in its base class with ``self.score``, an LLM judge's
    figure.
    """
    base = """
        class BaseMetric:
            threshold: float
            score: float

            def is_successful(self):
                return self.score >= self.threshold
        """
    found = scan(
        """
        from app.base_metric import BaseMetric

        class FaithfulnessMetric(BaseMetric):
            def __init__(self, threshold: float = 0.5):
                self.threshold = threshold

            def measure(self, case):
                self.score = grade(case)
                return self.is_successful()
        """,
        path="app/faithfulness.py",
        **{"app/base_metric.py": base},
    )
    assert found == {}
    found = scan(
        """
        import numpy as np

        class SemanticSimilarityEvaluator:
            def __init__(self, embed, similarity_threshold: float = 0.8):
                self.embed = embed
                self.similarity_threshold = similarity_threshold

            def evaluate(self, response, reference):
                a, b = self.embed(response), self.embed(reference)
                similarity = np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b))
                return similarity >= self.similarity_threshold
        """,
        path="app/evaluation/semantic.py",
    )
    assert found[(5, 0.8)].metric is Metric.SIMILARITY


def test_a_benchmark_scripts_verdict_on_a_score_is_an_evaluations():
    """``run_liar_benchmark.py``: a benchmark's verdict on the system's score is its pass bar.

    A benchmark module scores the system it runs: a score of unknown origin compared there is
    an evaluation figure, not a retrieval cutoff, as in any other evaluation module.
    """
    code = """
        SYSCRED_THRESHOLD = 0.5

        def run(system, claims):
            verdicts = []
            for claim in claims:
                score = system.verify(claim)["score"]
                verdicts.append("Real" if score >= SYSCRED_THRESHOLD else "Fake")
            return verdicts
        """
    assert scan(code, path="syscred/run_liar_benchmark.py") == {}
    assert set(scan(code, path="syscred/run_liar.py")) == {(2, 0.5)}


def test_reranker_scores_and_judged_grades_are_no_similarity_thresholds():
    """A reranker's score (a cross-encoder's) and a trust grade stay when embeddings change."""
    found = scan(
        """
        TRUSTWORTHINESS_THRESHOLD = 0.6

        def outcome(trustworthiness_score):
            return trustworthiness_score < TRUSTWORTHINESS_THRESHOLD

        def keep(config, chunks):
            min_rerank_score = config.get("min_rerank_score", 0.5)
            return [c for c in chunks if c["rerank_score"] >= min_rerank_score]

        def near(config, hits):
            floor = config.get("min_similarity", 0.75)
            return [h for h in hits if h.similarity >= floor]
        """
    )
    assert set(found) == {(12, 0.75)}


def test_a_score_rebound_from_itself_keeps_its_origin_and_a_batch_of_scores_is_scores():
    """``sims = sims * mask`` is still the cosine it was; ``batch_similarities`` are scores."""
    found = scan(
        """
        import numpy as np
        from sklearn.metrics.pairwise import cosine_similarity

        def dedupe(vectors, threshold: float = 0.65):
            batch_similarities = cosine_similarity(vectors, vectors)
            batch_similarities = batch_similarities * np.tril(np.ones_like(batch_similarities))
            return np.where(batch_similarities > threshold)
        """
    )
    assert found[(5, 0.65)].metric is Metric.SIMILARITY


def test_a_value_fed_to_a_threshold_keyword_is_one_whatever_it_is_called():
    """``similarity=0.6`` stored and passed on as ``similarity_threshold=self.similarity``."""
    found = scan(
        """
        from app.retriever import Retriever

        class RepoAgent:
            def __init__(self, similarity: float = 0.6):
                self.similarity = similarity

            def ask(self, query):
                return Retriever().query(query, similarity_threshold=self.similarity)
        """,
        **{
            "app/retriever.py": """
            class Retriever:
                def query(self, query, similarity_threshold=0.7):
                    hits = self.index.search(query)
                    return [h for h in hits if h.similarity >= similarity_threshold]
            """
        },
    )
    assert (5, 0.6) in found


def test_a_memory_layers_recall_is_retrieval_not_a_recall_metric():
    """A score read by a function named for recall (of memories) is no evaluation figure."""
    found = scan(
        """
        class Config:
            def __init__(self):
                self.recall_relevance_threshold = 0.1

        def _score_for_recall(fact):
            return float(fact["similarity"])

        def recall(config, facts):
            return [f for f in facts if _score_for_recall(f) >= config.recall_relevance_threshold]
        """
    )
    assert (4, 0.1) in found


def test_what_an_imported_function_returns_beats_its_name():
    """An imported word-set ratio named ``strings_similarity`` is no embedding similarity.

    An imported dot product still is one.
    """
    utils = """
        import numpy as np

        def strings_similarity(a, b):
            words_a, words_b = set(a.split()), set(b.split())
            return len(words_a & words_b) / len(words_a | words_b)

        def vector_similarity(a, b):
            return float(np.dot(a, b))
        """
    found = scan(
        """
        from app.utils import strings_similarity, vector_similarity

        def match(title, entries, title_similarity_threshold: float = 0.75):
            title_sim, entry = max((strings_similarity(e["title"], title), e) for e in entries)
            return entry if title_sim >= title_similarity_threshold else None

        def near(query, docs, cut: float = 0.6):
            return [d for d in docs if vector_similarity(query, d.vector) >= cut]
        """,
        **{"app/utils.py": utils},
    )
    assert set(found) == {(8, 0.6)}


def test_a_score_made_from_an_enumerate_index_is_a_rank_not_a_similarity():
    """``1.0 - idx * 0.1`` over ``enumerate(docs)`` stands in for a score a legacy API lacks."""
    found = scan(
        """
        def legacy(docs, similarity_threshold: float = 0.7):
            kept = []
            for idx, doc in enumerate(docs):
                similarity_score = max(1.0 - idx * 0.1, 0.0)
                if similarity_score >= similarity_threshold:
                    kept.append(doc)
            return kept
        """
    )
    assert found == {}


def test_an_orm_lookup_compares_a_field_and_a_django_field_default_is_a_value():
    """``filter(distance__lte=max_distance)`` bounds a distance a model field's default feeds.

    A name saying "confidence" does not outweigh the distance bound.
    """
    found = scan(
        """
        from django.db import models

        class SearchModelConfig(models.Model):
            bi_encoder_confidence_threshold = models.FloatField(default=0.18)
        """,
        path="app/models.py",
        **{
            "app/search.py": """
            def search(config, entries, embedding, max_distance=None):
                if not max_distance:
                    max_distance = config.bi_encoder_confidence_threshold
                return entries.annotate(distance=embedding).filter(distance__lte=max_distance)
            """
        },
    )
    assert found[(5, 0.18)].metric is Metric.DISTANCE
    assert found[(5, 0.18)].direction is Direction.BELOW


def test_an_agents_plain_score_is_an_llm_grade_and_a_later_count_is_not_the_compared_one():
    """In an agent's class a plain ``score`` is an LLM's grade; a later rebinding is not read.

    A name rebound from counts after the comparison still compares what it held before.
    """
    found = scan(
        """
        class ReflexionAgent:
            def run(self, task):
                result = self.step(task)
                if result["score"] > 0.9:
                    return result

        def score_all(index, query, threshold: float = 0.7):
            ids, distances = index.knn_query(query)
            scores = 1.0 - distances * 0.5
            keep = scores[scores >= threshold]
            scores = build(keep, shape=(len(ids), 10))
            return scores
        """
    )
    assert set(found) == {(8, 0.7)}


def test_a_max_named_score_computed_from_similarities_is_a_score_not_a_bound():
    """``max_similarity = np.max(np.dot(kb, link))`` compared with a threshold is a comparison."""
    found = scan(
        """
        import numpy as np

        def penalty(kb, link, config):
            overlap_threshold = config.overlap if config else 0.85
            max_similarity = np.max(np.dot(kb, link))
            return max_similarity > overlap_threshold
        """
    )
    assert found[(5, 0.85)].metric is Metric.SIMILARITY


def test_a_methods_parameters_are_its_own_class_s_not_every_same_named_methods():
    """Ten stores' ``search`` compare with similarities; a legacy adapter's ranks do not.

    Before, every class's ``search(..., similarity_threshold=0.7)`` shared one slot, so the
    stores' evidence reported the adapter's default, whose score is a stand-in from a rank. A
    call by name still reaches every class's method.
    """
    found = scan(
        """
        class VectorStoreMemory:
            def search(self, query, similarity_threshold: float = 0.7):
                return [h for h in self.store.search(query) if h.score >= similarity_threshold]

        class LegacyMemory:
            def search(self, query, similarity_threshold: float = 0.7):
                kept = []
                for idx, doc in enumerate(self.docs):
                    similarity_score = 1.0 - idx * 0.1
                    if similarity_score >= similarity_threshold:
                        kept.append(doc)
                return kept

        def recall(memory, query):
            return memory.search(query, similarity_threshold=0.55)
        """
    )
    assert set(found) == {(3, 0.7), (16, 0.55)}


def test_a_score_read_out_of_a_search_hit_is_followed_to_the_search():
    """``hit.get("_score", 0)`` over ``results["hits"]`` of a search, in a nested function.

    The parts of one expression (subscripts, ``max(0, 1 - d)``, ``.get``) are no steps back,
    so the search is reached however the score is unpacked, even inside an agent's memory,
    where a plain score would be an LLM's grade.
    """
    found = scan(
        """
        class AgentMemory:
            def find(self, question, *, similarity_threshold: float = 0.7):
                def _search():
                    results = self.client.index(self.name).search(q=question)
                    out = []
                    for i, hit in enumerate(results["hits"]):
                        similarity_score = hit.get("_score", 0)
                        if similarity_score >= similarity_threshold:
                            out.append(hit)
                    return out
                return _search()

            def nearest(self, query, *, similarity_threshold: float = 0.6):
                results = self.collection.query(query_texts=[query])
                out = []
                pairs = zip(results["ids"][0], results["distances"][0])
                for i, (id_, distance) in enumerate(pairs):
                    similarity_score = max(0, 1 - distance)
                    if similarity_score >= similarity_threshold:
                        out.append(id_)
                return out
        """,
        path="app/agent_memory.py",
    )
    assert set(found) == {(3, 0.7), (14, 0.6)}


def test_a_threshold_handed_to_a_librarys_search_call_is_a_similarity_threshold():
    """``client.query_points(score_threshold=t)``: a search outside the scan compares ``t``.

    So an agent's memory passing its default there reports it, while a function the scan
    defines (a title search comparing word overlaps) is judged by its own body.
    """
    found = scan(
        """
        class AgentMemory:
            def find(self, question, *, similarity_threshold: float = 0.7):
                return self.client.query_points(
                    query=self.embed(question), score_threshold=similarity_threshold
                ).points

        def title_search(title, found, title_similarity_threshold: float = 0.75):
            similarity = len(set(title.split()) & set(found.split())) / len(set(title.split()))
            return similarity >= title_similarity_threshold

        def lookup(title, found):
            return title_search(title, found, title_similarity_threshold=0.8)
        """,
        path="app/agent_memory.py",
    )
    assert set(found) == {(3, 0.7)}


def test_a_keyword_indexs_search_is_no_similarity():
    """``index.bm25.search(terms)`` is a keyword search: a zero floor on it is no cutoff."""
    found = scan(
        """
        def rank(index, terms, hits):
            matches = index.bm25.search(terms)
            ranked = []
            for key in hits:
                match = matches.get(key)
                score = match.score if match else 0.0
                if score > 0:
                    ranked.append(key)
            return ranked
        """
    )
    assert found == {}


def test_string_library_calls_classifier_classes_and_lexical_modules_hold_no_thresholds():
    """What the code serves overrules a threshold's name.

    A cutoff handed to difflib's ``get_close_matches``; a class building a zero-shot
    classifier or importing a string-distance library in ``__post_init__``; a module serving a
    TF-IDF matcher, or a layer of regular expressions; a MinHash dedup's Jaccard; a percentage
    of counts. None is a similarity threshold, and a class that builds an embedding model
    beside a classifier keeps its own.
    """
    found = scan(
        """
        from difflib import get_close_matches
        from transformers import pipeline

        def suggest(word, names):
            return get_close_matches(word, names, n=3, cutoff=0.5)

        class BanTopics:
            def __init__(self, topics, threshold: float = 0.6):
                self._threshold = threshold
                self._classifier = pipeline(task="zero-shot-classification", model="m")

        class OverlapBuilder:
            distance_threshold: float = 0.9

            def __post_init__(self):
                from rapidfuzz import distance
                self.measure = distance.JaroWinkler

        def noisy(items, percent_cut_off: float = 0.05):
            return items[: int(len(items) * percent_cut_off)]

        class Retriever:
            def __init__(self, min_similarity: float = 0.45):
                self.encoder = SentenceTransformer("m")
                self.labels = pipeline(task="ner")
                self.min_similarity = min_similarity

            def keep(self, hits):
                return [h for h in hits if h.score >= self.min_similarity]
        """,
    )
    assert set(found) == {(24, 0.45)}
    keep = "return [h for h in hits if h.score >= self.min_similarity]"
    for path, name in (
        ("app/models/_tfidf.py", "TFIDF"),
        ("app/filtering/minhash.py", "Dedup"),
        ("guard/layers/l1_regex.py", "RegexLayer"),  # a pattern rule's score
    ):
        code = f"""
        class {name}:
            def __init__(self, min_similarity: float = 0.75):
                self.min_similarity = min_similarity

            def keep(self, hits):
                {keep}
        """
        assert scan(code, path) == {}


def test_a_default_nothing_reads_is_no_threshold_but_a_stubs_and_a_kept_ones_are():
    """A parameter its body never reads, or keeps in a private attribute nobody reads.

    An interface's stub (``...``) declares the default its implementations honour, and an
    attribute some method reads is read: the class's own, or a mixin's it is built on.
    """
    found = scan(
        """
        def dedupe(results, similarity_threshold: float = 0.9):
            return list({r.hash: r for r in results}.values())

        class Compressor:
            def __init__(self, similarity_threshold: float = 0.85):
                self._similarity_threshold = similarity_threshold
                self._seen = set()

        class Store:
            def search(self, query, similarity_threshold: float = 0.7): ...

        class Filter:
            def __init__(self, similarity_threshold: float = 0.8):
                self._similarity_threshold = similarity_threshold

            def keep(self, hits):
                return [h for h in hits if h.score >= self._similarity_threshold]

        def low_confidence(results, threshold):
            return bool(results) and results[0].score < threshold

        class _PanelMixin:
            def banner(self):
                return low_confidence(self.hits, self._low_score_threshold)

        class Panel(_PanelMixin):
            def __init__(self, hits, low_score_threshold: float = 0.4):
                self.hits = hits
                self._low_score_threshold = low_score_threshold
        """
    )
    assert set(found) == {(11, 0.7), (14, 0.8), (28, 0.4)}


def test_a_kept_attribute_a_subclass_elsewhere_reads_is_read():
    """``self._context_similarity_threshold`` kept by a base, read by a subclass's module.

    Its own file shows nothing reading it; the comparison it reaches in another module does.
    """
    found = scan(
        """
        class _Generator:
            def __init__(self, neighbors: int = 4, context_similarity_threshold: float = 0.2):
                self._neighbors = neighbors
                self._context_similarity_threshold = context_similarity_threshold
        """,
        path="app/base.py",
        **{
            "app/double.py": """
                from app.base import _Generator

                class DoubleGenerator(_Generator):
                    def neighbors(self, kb, seed):
                        return kb.get_neighbors(seed, self._context_similarity_threshold)
                """,
            "app/kb.py": """
                class KnowledgeBase:
                    def get_neighbors(self, seed, similarity_threshold):
                        hits = self.index.search(seed.embeddings)
                        return [h for h in hits if h.score >= similarity_threshold]
                """,
        },
    )
    assert set(found) == {(3, 0.2)}


def test_a_value_handed_to_a_classifiers_class_is_its_threshold_and_a_gain_is_no_score():
    """``BanTopics(topics, threshold=threshold)`` makes the caller's default a classifier's.

    A minimum score gain between optimisation steps bounds a difference, not a similarity.
    """
    found = scan(
        """
        class BanTopicsOutput:
            def __init__(self, topics, threshold: float = 0.75):
                self._scanner = BanTopics(topics, threshold=threshold)

            def scan(self, text):
                return self._scanner.scan(text)

        class EarlyStop:
            min_score_gain: float = 0.01

            def done(self, last, prev):
                return (last.score - prev.score) * self.score_sign < self.min_score_gain
        """,
        **{
            "app/input_scanners.py": """
            from transformers import pipeline

            def risk(score, threshold):
                return score > threshold

            class BanTopics:
                def __init__(self, topics, threshold: float = 0.6):
                    self._threshold = threshold
                    self._classifier = pipeline(task="zero-shot-classification")

                def scan(self, text):
                    score = self._classifier(text, self.topics)["scores"][0]
                    return risk(score, self._threshold)
            """
        },
    )
    assert found == {}


def test_a_threshold_on_a_percentage_of_a_cosine_is_counted_in_whole_units():
    """``similarity = cosine(q, e)[0][0] * 100`` compared with ``similarity_threshold=40``.

    A whole number is no cutoff for a similarity in [-1, 1], but is one for its percentage,
    as far as the percentage was made before the comparison (through another binding too).
    """
    found = scan(
        """
        from sklearn.metrics.pairwise import cosine_similarity

        def retrieve(query, embeddings, similarity_threshold=40):
            kept = []
            for i, e in enumerate(embeddings):
                similarity = cosine_similarity(query, e)[0][0] * 100
                adjusted_similarity = similarity * decay(i)
                if adjusted_similarity >= similarity_threshold:
                    kept.append(i)
            return kept

        def strict(query, embeddings, similarity_threshold=40):
            return [e for e in embeddings if cosine_similarity(query, e) >= similarity_threshold]
        """
    )
    assert set(found) == {(4, 40.0)}


def test_a_score_named_parameter_is_a_cutoff_and_a_faiss_radius_is_one():
    """``if cosine < low_score: continue`` with ``low_score=0.63``; callers' ``low_score=0.3``.

    A score-named parameter is no running best score; a value passed by the parameter's own
    name reaches it; faiss's ``range_search(x, threshold)`` compares its radius.
    """
    found = scan(
        """
        import faiss

        class TextSimilarity:
            def text_sim_result(self, mention, candidates, topk=1, low_score=0.63):
                out = {}
                for candidate, emb in zip(candidates, self.encode(candidates)):
                    cosine = cosine_similarity(self.encode(mention), emb)
                    if cosine < low_score:
                        continue
                    out[candidate] = cosine
                return out

        def select(sim, query, texts):
            return sim.text_sim_result(query, texts, 15, low_score=0.3)

        def non_uniques(embeddings, threshold=0.94):
            index = faiss.IndexFlatIP(embeddings.shape[1])
            index.add(embeddings)
            return index.range_search(embeddings, threshold)

        def best(scores):
            best_score = 0.0
            for score in scores:
                if score > best_score:
                    best_score = score
            return best_score
        """
    )
    assert set(found) == {(5, 0.63), (15, 0.3), (17, 0.94)}


def test_a_ratio_named_cutoff_on_a_plain_score_and_a_toxicity_validator_are_no_thresholds():
    """A name saying ratio outweighs a plain ``score`` of unknown origin; ``toxic`` is a model.

    A tolerance name stays a tolerance even beside a cosine (sympy's collinearity ``eps``).
    """
    found = scan(
        """
        class SymbolsToWordsFilter:
            def __init__(self, max_symbol_to_word_ratio: float = 0.1):
                self._cutoff = max_symbol_to_word_ratio

            def keep_document(self, score: float) -> bool:
                return score <= self._cutoff

        def build_toxic_response_validator(threshold=0.8):
            return lambda score: score < threshold

        def flat(a, b, eps: float = 1e-3):
            cos_theta = np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b))
            return abs(cos_theta + 1) < eps
        """
    )
    assert found == {}


def test_a_similarity_evaluator_bounds_similarities_and_padding_is_no_count():
    """``SimilarityEvaluator`` in ``evaluation.py``: its pass bar bounds similarities.

    Scores padded with ``[0.0] * (k - len(scores))`` are still scores, not a ratio of counts.
    """
    found = scan(
        """
        class SimilarityEvaluator:
            def __init__(self, config):
                kwargs = config.evaluator_kwargs or {}
                self.top_k = kwargs.get("top_k", 5)
                self.relevance_threshold = kwargs.get("relevance_threshold", 0.25)

            def weighted(self, relevance_scores):
                padded = relevance_scores + [0.0] * (self.top_k - len(relevance_scores))
                if max(padded) < self.relevance_threshold:
                    return 0.0
                return sum(padded)

        class FaithfulnessEvaluator:
            def __init__(self, threshold: float = 0.7):
                self.threshold = threshold

            def passed(self, score):
                return score >= self.threshold
        """,
        path="app/data_ingest/evaluation.py",
    )
    assert set(found) == {(6, 0.25)}


def test_a_fallback_inside_the_comparison_is_a_threshold_and_a_scorer_model_holds_none():
    """``score >= (similarity_threshold or 0.95)``: the fallback is compared with the score.

    A stage that builds an aesthetic scorer in ``setup`` bounds that model's scores.
    """
    found = scan(
        """
        def lookup(client, query, similarity_threshold=None):
            hit = client.query(query_texts=[query], limit=1)[0]
            score = hit.score
            if score >= (similarity_threshold or 0.95):
                return hit

        class ImageAestheticFilterStage:
            score_threshold: float = 0.5

            def setup(self):
                self.model = AestheticScorer(model_dir=self.model_dir)

            def process(self, images):
                return [i for i in images if i.aesthetic_score >= self.score_threshold]
        """
    )
    assert set(found) == {(5, 0.95)}


def test_a_config_key_is_judged_by_the_code_that_reads_it():
    """A YAML value read with ``kwargs.get(key, default)`` is compared where the code compares.

    The one the code compares with a similarity is reported with that comparison; the one a
    classifier's score is compared with is not, whatever its name.
    """
    config = """
    worker:
      update_insight:
        update_insight_threshold: 0.01
      moderation:
        toxicity_threshold: 0.8
    """
    code = """
    class UpdateInsightWorker:
        def _parse_params(self, **kwargs):
            self.update_insight_threshold = kwargs.get("update_insight_threshold", 0.1)

        def run(self, nodes, query):
            for node in self.vector_store.similarity_search(query):
                if node.score >= self.update_insight_threshold:
                    yield node

    class ModerationWorker:
        def _parse_params(self, **kwargs):
            self.toxicity_threshold = kwargs.get("toxicity_threshold", 0.5)

        def run(self, text):
            return self.classifier.predict_proba(text)[0] > self.toxicity_threshold
    """
    found = scan(config, "app/config/demo.yaml", **{"app/workers.py": code})
    assert set(found) == {(4, 0.01)}
    assert "compared with" in found[(4, 0.01)].reason
    assert found[(4, 0.01)].kind is Kind.CONFIG
    assert found[(4, 0.01)].name == "worker.update_insight.update_insight_threshold"


def test_a_running_best_seeded_with_a_threshold_and_a_threshold_handed_out_of_a_model_context():
    """``best_cosine_sim = threshold`` then ``if cosine_sim > best_cosine_sim``: a cutoff.

    A running best seeded with zero and taken from a grade is none; a number an extractor's
    module hands to a matcher that compares it with a cosine is that matcher's threshold.
    """
    matcher = """
    class Matcher:
        def find_match(self, obj1, objects, threshold: float = 0.8):
            best_cosine_sim = threshold
            best = None
            for obj2 in objects:
                cosine_sim = cosine_similarity(obj1.embedding, obj2.embedding)[0][0]
                if cosine_sim > best_cosine_sim:
                    best_cosine_sim = cosine_sim
                    best = obj2
            return best or obj1

    def pick(prompts, model):
        matching_score = 0
        chosen = None
        for prompt in prompts:
            _score = 0.2 if not prompt.models else 0.8
            if _score >= matching_score:
                matching_score = _score
                chosen = prompt
        return chosen
    """
    extractor = """
    class RelationsExtractor:
        def extract(self, entity, entities):
            return self.matcher.find_match(obj1=entity, objects=entities, threshold=0.5)
    """
    found = scan(matcher, "app/matching/matcher.py")
    assert set(found) == {(3, 0.8)}
    handed = scan(extractor, "app/relations_extraction/extractor.py", **{"app/m.py": matcher})
    assert set(handed) == {(4, 0.5)}


def test_a_similarity_setting_turned_into_a_distance_is_passed_on():
    """``max_distance = 1.0 - similarity`` (a parameter) reaches the search's distance bound."""
    found = scan(
        """
        def search_memory(query, max_distance=None):
            return [m for m in collection.query(query) if m.distance <= max_distance]

        def create_unique_memory(content, similarity=0.95):
            max_distance = 1.0 - similarity
            return search_memory(content, max_distance=max_distance)
        """
    )
    assert set(found) == {(5, 0.95)}


def test_a_command_line_options_default_is_a_value_of_its_name():
    """``add_argument("--min-score", default=0.5)`` and ``click.option(..., default=0.9)``.

    The option's value goes by its long name; a size option is no threshold.
    """
    found = scan(
        """
        import argparse
        import click

        parser = argparse.ArgumentParser()
        parser.add_argument("-s", "--min-score", type=float, default=0.5)
        parser.add_argument("--batch-size", type=int, default=32)

        @click.option("--similarity_threshold", help="Similarity threshold", default=0.9)
        def dedup(similarity_threshold):
            return similarity_threshold
        """
    )
    assert set(found) == {(6, 0.5), (9, 0.9)}
    assert found[(6, 0.5)].name == "min_score"


def test_an_agents_memory_is_retrieval_and_an_agents_grade_is_not():
    """In ``neo4j_agent_memory/memory/long_term.py`` a search's threshold is a similarity's.

    An agent's module names an LLM's grades; an agent's *memory* module serves a retrieval,
    whose threshold is sent with the query embedding.
    """
    memory = """
    class LongTermMemory:
        async def search_entities(self, query, *, limit: int = 10, threshold: float = 0.7):
            embedding = await self._embedder.embed(query)
            return await self._client.execute_read(
                SEARCH_BY_EMBEDDING, {"embedding": embedding, "threshold": threshold}
            )

        def keep(self, hits, threshold: float = 0.75):
            return [h for h in hits if h.score >= threshold]
    """
    grader = """
    class ReflexionAgent:
        def keep(self, results, threshold: float = 0.75):
            return [r for r in results if r.score >= threshold]
    """
    assert set(scan(memory, "neo4j_agent_memory/memory/long_term.py")) == {(3, 0.7), (9, 0.75)}
    assert scan(grader, "app/agents/reflexion.py") == {}


def test_a_number_compared_with_an_imported_word_overlap_is_no_threshold():
    """``score > 0.7`` where ``score`` is what an imported ``text_similarity`` returns.

    That function's own module shows a word overlap, which beats its name, for literal
    comparisons as for named thresholds; an imported cosine keeps the comparison.
    """
    utils = """
    def text_similarity(a, b):
        words_a, words_b = set(a.split()), set(b.split())
        return len(words_a & words_b) / len(words_a | words_b)

    def vector_similarity(a, b):
        return float(a @ b)
    """
    found = scan(
        """
        from app.utils import text_similarity, vector_similarity

        def review(memory, others):
            flagged = []
            for other in others:
                score = text_similarity(memory.text, other.text)
                if score > 0.7:
                    flagged.append(other)
                cosine = vector_similarity(memory.vector, other.vector)
                if cosine > 0.8:
                    flagged.append(other)
            return flagged
        """,
        **{"app/utils.py": utils},
    )
    assert set(found) == {(11, 0.8)}


def test_scores_collected_by_append_in_another_module_keep_their_origin():
    """``similar.append((id, score))`` in a search helper, the best read in another module.

    What the helper returns is the list it filled, so a word overlap put in as a tuple or as a
    record's ``"score"`` is no embedding similarity where its caller compares it; the same
    shape over a cosine of embeddings is.
    """
    utils = """
    from difflib import SequenceMatcher

    def find_similar(content, rows):
        similar = []
        for row in rows:
            score = SequenceMatcher(None, content, row["content"]).ratio()
            similar.append((row["id"], row["content"], score))
        return sorted(similar, key=lambda x: -x[2])

    def find_conflicts(rows):
        conflicts = []
        for a in rows:
            for b in rows:
                words_a, words_b = set(a.split()), set(b.split())
                score = len(words_a & words_b) / len(words_a | words_b)
                conflicts.append({"id1": a, "id2": b, "score": score})
        return conflicts

    def find_near(vector, rows):
        near = []
        for row in rows:
            near.append({"id": row["id"], "score": float(vector @ row["vector"])})
        return near
    """
    found = scan(
        """
        from app.utils import find_conflicts, find_near, find_similar

        def ingest(content, rows, vector):
            similar = find_similar(content, rows)
            best_id, best_content, score = similar[0]
            if score > 0.85:
                return best_id
            for conflict in find_conflicts(rows):
                if conflict["score"] > 0.8:
                    return conflict["id1"]
            for hit in find_near(vector, rows):
                if hit["score"] > 0.75:
                    return hit["id"]
            return None
        """,
        **{"app/utils.py": utils},
    )
    assert set(found) == {(13, 0.75)}


def test_a_constant_imported_inside_a_method_is_the_module_constant():
    """``from ..config import DEDUP_THRESHOLD`` in a method body, compared with a search's score.

    The import binds no local of the method: the name read there is the config module's
    constant, which is reported where it is written.
    """
    config = """
    import os

    DEDUP_THRESHOLD = float(os.getenv("DEDUP_THRESHOLD", "0.85"))
    """
    found = scan(
        config,
        "app/config.py",
        **{
            "app/service.py": """
            class MemoryService:
                async def store_note(self, text):
                    from .config import DEDUP_THRESHOLD

                    existing = await self.retrieve_memories(query=text, n_results=3)
                    for memory in existing["memories"]:
                        score = memory.get("similarity_score", 0)
                        if score >= DEDUP_THRESHOLD:
                            return memory
                    return None
            """
        },
    )
    assert set(found) == {(4, 0.85)}


def test_a_score_read_with_get_is_the_score_under_that_key():
    """``c.get("similarity", 0) >= 0.4`` reads a record's similarity as ``c["similarity"]`` does.

    So does a configured threshold it is compared with; a key that names no score is no score.
    """
    found = scan(
        """
        AUTO_RESOLVE_THRESHOLD = 0.95

        def maintain(conflicts, memories):
            config = {"auto_resolve": AUTO_RESOLVE_THRESHOLD}
            resolved = [c for c in conflicts if c.get("similarity", 0) >= config["auto_resolve"]]
            related = [m for m in memories if m.get("similarity_score", 0.0) > 0.4]
            recent = [m for m in memories if m.get("age_days", 0) > 0.5]
            return resolved, related, recent
        """
    )
    assert set(found) == {(2, 0.95), (7, 0.4)}
    assert found[(7, 0.4)].direction is Direction.ABOVE


def test_a_similarity_with_a_word_overlap_fallback_is_a_similarity():
    """A helper that falls back to word overlap for memories without vectors, cosine otherwise.

    The embedding path decides, whichever ``return`` comes first; what an ``except`` returns
    when an LLM grader fails (a ``ChunkSimilarity`` of 0.0) does not make the grade one.
    """
    found = scan(
        """
        import numpy as np

        class AssociationEngine:
            min_similarity = 0.45

            def _similarity(self, a, b):
                if not a.embedding or not b.embedding:
                    return self._text_similarity(a.content, b.content)
                return float(np.dot(a.embedding, b.embedding))

            def _text_similarity(self, x, y):
                words_x, words_y = set(x.split()), set(y.split())
                return len(words_x & words_y) / len(words_x | words_y)

            async def _graded(self, a, b):
                try:
                    return await self.llm.acreate_structured_output(a, b)
                except Exception:
                    return ChunkSimilarity(similarity_score=0.0)

            async def run(self, pairs):
                linked = []
                for a, b in pairs:
                    if self._similarity(a, b) >= self.min_similarity:
                        linked.append((a, b))
                    graded = await self._graded(a, b)
                    if graded.similarity_score >= 0.7:
                        linked.append((a, b))
                return linked
        """
    )
    assert set(found) == {(5, 0.45)}


def test_a_score_of_unknown_origin_graded_into_levels_is_no_threshold():
    """An ``if``/``elif`` ladder that turns a weighted score into a level drops nothing.

    Each rung only returns a label, so the numbers are band edges of a grade, not cutoffs; a
    similarity by name graded the same way, and a two-branch filter on the plain score, stay.
    """
    found = scan(
        """
        def quality_level(article):
            score = article.final_score
            if score < 0.25:
                return "poor"
            elif score < 0.5:
                return "fair"
            elif score < 0.8:
                return "good"
            return "excellent"

        def match_level(hit):
            if hit.similarity > 0.9:
                return "exact"
            elif hit.similarity > 0.75:
                return "close"
            else:
                return "none"

        def keep(hits):
            kept = []
            for hit in hits:
                if hit.score < 0.3:
                    continue
                kept.append(hit)
            return kept

        def colour(r):
            return "green" if r.score > 0.7 else "yellow" if r.score > 0.5 else "red"
        """
    )
    assert set(found) == {(13, 0.9), (15, 0.75), (23, 0.3)}


def test_a_known_similarity_beats_a_model_context_and_a_string_one_from_elsewhere():
    """Where the code compares a number with a cosine of embeddings, that decides.

    Inside a class that builds a classifier, its cosine comparisons are still the embedding
    model's; a resolver module that uses a fuzzy library hands ``semantic_threshold`` to
    another module's embedding comparison. A TF-IDF module's own cosine stays its library's.
    """
    conflicts = """
    from sklearn.metrics.pairwise import cosine_similarity
    from transformers import pipeline

    class ConflictDetector:
        def __init__(self):
            self.nli = pipeline(task="zero-shot-classification")

        def related(self, a, b, topic_threshold=0.6):
            similarity = cosine_similarity([a.embedding], [b.embedding])[0][0]
            return similarity >= topic_threshold
    """
    resolver = """
    from rapidfuzz import fuzz
    from app.semantic import SemanticMatcher

    class CompositeResolver:
        def __init__(self, fuzzy_threshold=85, semantic_threshold=0.8):
            self.fuzzy_threshold = fuzzy_threshold
            self.semantic = SemanticMatcher(threshold=semantic_threshold)

        def same(self, a, b):
            return fuzz.ratio(a.name, b.name) >= self.fuzzy_threshold or self.semantic.same(a, b)
    """
    semantic = """
    import numpy as np

    class SemanticMatcher:
        def __init__(self, threshold=0.5):
            self.threshold = threshold

        def same(self, a, b):
            score = float(np.dot(a.embedding, b.embedding))
            return score >= self.threshold
    """
    dedupe = """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import cosine_similarity

    class StatementDedupe:
        def unique(self, texts, similarity_threshold=0.975):
            matrix = TfidfVectorizer().fit_transform(texts)
            similarity = cosine_similarity(matrix)
            return [t for i, t in enumerate(texts) if similarity[i].max() <= similarity_threshold]
    """
    others = {"app/semantic.py": semantic, "app/tfidf/dedupe.py": dedupe}
    assert set(scan(conflicts, "app/conflict.py")) == {(9, 0.6)}
    assert set(scan(resolver, "app/resolution/composite.py", **others)) == {(6, 0.8)}
    assert scan(dedupe, "app/tfidf/dedupe.py") == {}


def test_a_constant_band_with_its_bound_written_last_is_found():
    """``SIMILARITY_MIN <= similarity <= SIMILARITY_MAX``: constants named ``..._MIN``/``_MAX``.

    They bound the similarity from both sides, and are reported where they are written (their
    environment fallbacks here); a computed ``sims_max`` is still a score.
    """
    found = scan(
        """
        import os

        SIMILARITY_MIN = float(os.environ.get("CONTRADICTION_SIM_MIN", "0.4"))
        SIMILARITY_MAX = float(os.environ.get("CONTRADICTION_SIM_MAX", "0.75"))

        def candidates(pairs):
            for a, b in pairs:
                similarity = a.embedding @ b.embedding
                if not SIMILARITY_MIN <= similarity <= SIMILARITY_MAX:
                    continue
                sims_max = max(similarity, 0.0)
                if sims_max > 0.9:
                    yield a, b
        """
    )
    assert set(found) == {(4, 0.4), (5, 0.75), (13, 0.9)}
    assert found[(4, 0.4)].direction is Direction.ABOVE
    assert found[(5, 0.75)].direction is Direction.BELOW


def test_a_similarity_with_a_word_overlap_in_the_other_branch_is_a_similarity():
    """``sim = matrix[i][j]`` if there are embeddings, else a word overlap: a similarity.

    The branch that uses the embedding model decides, also when it only looks a score up in
    a table its name says holds them (``embedding_scores[vector_id]``); a word overlap that
    replaces a string distance later (a rebinding, not a branch) is still a ratio of counts.
    """
    found = scan(
        """
        def _overlap(a, b):
            wa, wb = set(a.split()), set(b.split())
            return len(wa & wb) / len(wa | wb)

        def deduplicate(entries, embeddings, similarity_threshold=0.8):
            matrix = cosine_similarity(embeddings) if embeddings is not None else None
            kept = []
            for i, entry in enumerate(entries):
                for k in kept:
                    if matrix is not None:
                        sim = matrix[i][k]
                    else:
                        sim = _overlap(entry, entries[k])
                    if sim >= similarity_threshold:
                        break
                else:
                    kept.append(i)
            return kept

        def related(pairs, measure, overlap_threshold=0.01):
            for x, y in pairs:
                similarity = 1 - measure.distance(x, y)
                similarity = _overlap(x, y)
                if similarity >= overlap_threshold:
                    yield x, y

        def score_memory(vector_id, content, query, embedding_scores):
            if vector_id in embedding_scores:
                similarity = embedding_scores[vector_id]
            else:
                similarity = _overlap(query, content)
            if similarity < 0.01:
                return 0.0
            return similarity
        """
    )
    assert set(found) == {(6, 0.8), (33, 0.01)}


def test_a_name_that_says_fraction_or_a_models_output_is_no_similarity_threshold():
    """``max_repeated_line_fraction`` and ``min_langid_score`` bound no embedding similarity.

    One is a share of lines (compared with a plain ``score`` of unknown origin), the other a
    language-identification model's confidence; ``min_similarity_score`` beside them is one.
    """
    found = scan(
        """
        class RepeatedLines:
            def __init__(self, max_repeated_line_fraction=0.7):
                self.max_fraction = max_repeated_line_fraction

            def keep(self, score):
                return score <= self.max_fraction

        class LanguageFilter:
            def __init__(self, min_langid_score=0.3, min_similarity_score=0.6):
                self.min_langid_score = min_langid_score
                self.min_similarity_score = min_similarity_score

            def keep(self, doc):
                lang_score = doc.lang_score
                return lang_score >= self.min_langid_score

            def near(self, hit):
                return hit.score >= self.min_similarity_score
        """
    )
    assert set(found) == {(10, 0.6)}


def test_a_projects_own_environment_reader_and_a_constant_read_through_its_module():
    """``BOUNDARY = _env_float("APP_BOUNDARY", 0.5)`` in config.py, read as ``config.BOUNDARY``.

    The fallback of the project's own environment reader is the value a person changes, and
    the constant read through its module is the one compared with a cosine elsewhere.
    """
    config = """
    import os

    def _env_float(name, default):
        raw = os.environ.get(name)
        return float(raw) if raw else default

    BOUNDARY_THRESHOLD = _env_float("APP_BOUNDARY_THRESHOLD", 0.5)
    MAX_TOKENS = _env_float("APP_MAX_TOKENS", 0.75)
    """
    chunker = """
    from app import config

    class Chunker:
        def __init__(self):
            self.boundary_threshold = config.BOUNDARY_THRESHOLD

        def split(self, sentences, embeddings):
            for i in range(1, len(sentences)):
                similarity = float(embeddings[i - 1] @ embeddings[i])
                if similarity < self.boundary_threshold:
                    yield i
    """
    assert set(scan(config, "app/config.py", **{"app/chunker.py": chunker})) == {(8, 0.5)}


def test_an_element_of_the_scores_a_function_is_handed_is_a_score():
    """``any(x >= self.threshold for x in scores)`` with ``scores`` a parameter.

    The element of the scores a function is given is compared with the threshold; elements of
    scores computed here from something else (quality scores) are judged by their source.
    """
    found = scan(
        """
        class HitAggregation:
            def __init__(self, threshold: float = 0.8):
                self.threshold = threshold

            def do(self, scores):
                return 1 if any(x >= self.threshold for x in scores) else 0

        def report(memories):
            scores = [m.quality_score for m in memories]
            return sum(1 for s in scores if s >= 0.7)
        """
    )
    assert set(found) == {(3, 0.8)}


def test_a_query_parameter_bounding_a_score_is_the_value_passed_for_it():
    """``WHERE score >= $threshold`` in a Cypher constant, run with ``{"threshold": 0.95}``.

    The number is written where the query is run, in another module; the same for a SQL
    ``:min_similarity`` beside pgvector's ``<=>``. A parameter bounding no score is not one.
    """
    queries = '''
    FIND_DUPLICATES = """
    CALL db.index.vector.queryNodes('preference_embedding_idx', $limit, $embedding)
    YIELD node, score
    WHERE score >= $threshold AND node.age > $min_age
    RETURN node, score
    """
    NEAREST = "SELECT id FROM chunks WHERE 1 - (embedding <=> :query) > :min_similarity"
    '''
    memory = """
    from app.queries import FIND_DUPLICATES, NEAREST

    async def add_preference(client, session, embedding):
        dupes = await client.execute_read(
            FIND_DUPLICATES, {"embedding": embedding, "limit": 3, "threshold": 0.95, "min_age": 0.5}
        )
        rows = session.execute(NEAREST, {"query": embedding, "min_similarity": 0.8})
        return dupes, rows
    """
    found = scan(memory, "app/memory.py", **{"app/queries.py": queries})
    assert set(found) == {(6, 0.95), (8, 0.8)}
    assert found[(6, 0.95)].direction is Direction.ABOVE


def test_trigram_similarities_are_string_similarities():
    """pg_trgm and trigram similarities are a string's, in a name or in what a list holds.

    ``DEFAULT_ENTITY_TRGM_SIMILARITY_THRESHOLD`` ends like a similarity keyword but names a
    trigram similarity; ``score`` unpacked from ``(tag, trigram_similarity(a, b))`` pairs is
    one too. Search hits' scores collected the same way stay what they were.
    """
    found = scan(
        """
        from app.trigram import trigram_similarity

        DEFAULT_ENTITY_TRGM_SIMILARITY_THRESHOLD = 0.3
        MIN_SIMILARITY = 0.45
        MIN_COSINE = 0.75

        def resolve(token, vocabulary):
            scored = [(tag, trigram_similarity(token, tag)) for tag in vocabulary]
            return [tag for tag, score in scored if score >= MIN_SIMILARITY]

        def close(hits):
            near = [(hit.tag, hit.score) for hit in hits]
            return [tag for tag, score in near if score >= MIN_COSINE]
        """
    )
    assert set(found) == {(6, 0.75)}


def test_a_setting_named_like_a_score_is_the_bound_it_is_compared_with():
    """``m.get("score", 0.0) >= retrieval_config.relevance_score``: a config field's value.

    Read from a configuration object, a score-named field is the setting that bounds the
    search's scores; two scores of the same hits compared are not a threshold.
    """
    found = scan(
        """
        from pydantic import BaseModel, Field

        class RetrievalConfig(BaseModel):
            top_k: int = 10
            relevance_score: float = Field(default=0.2, ge=0.0, le=1.0)

        def recall(client, query, retrieval_config: RetrievalConfig, best):
            memories = client.retrieve_memories(query)
            kept = [m for m in memories if m.get("score", 0.0) >= retrieval_config.relevance_score]
            return [m for m in kept if m.get("score", 0.0) >= best.score]
        """
    )
    assert set(found) == {(6, 0.2)}


def test_a_default_passed_to_getenv_under_a_named_key_is_passed_on():
    """``float(os.getenv(ENV_DEDUP, str(DEFAULT_DEDUP)))``: the key a name, the default text.

    The constant is the default of the setting that bounds a cosine elsewhere.
    """
    found = scan(
        """
        import os
        from dataclasses import dataclass

        ENV_DEDUP_THRESHOLD = "APP_DEDUP_THRESHOLD"
        DEFAULT_DEDUP_THRESHOLD = 0.97

        @dataclass
        class Config:
            dedup_threshold: float

        def load():
            return Config(
                dedup_threshold=float(os.getenv(ENV_DEDUP_THRESHOLD, str(DEFAULT_DEDUP_THRESHOLD)))
            )

        def merge(config, pairs):
            for a, b in pairs:
                cosine = a.embedding @ b.embedding
                if cosine >= config.dedup_threshold:
                    yield a, b
        """
    )
    assert set(found) == {(6, 0.97)}


def test_a_threshold_a_function_returns_is_the_callers():
    """``threshold = _get_dedup_threshold(n)``, which returns one of three constants.

    Each constant is compared with the cosine where the caller uses what it returns; a method
    of the same name in another class returns its own, and stays unreported.
    """
    found = scan(
        """
        DEDUP_THRESHOLD_SHORT = 0.95
        DEDUP_THRESHOLD_LONG = 0.88

        def _get_dedup_threshold(tokens):
            if tokens < 50:
                return DEDUP_THRESHOLD_SHORT
            return DEDUP_THRESHOLD_LONG

        def duplicates(store, embedding, tokens):
            threshold = _get_dedup_threshold(tokens)
            hits = store.search(embedding)
            return [h for h in hits if 1 - h.distance >= threshold]

        class Duplicates:
            def _set_threshold(self, threshold=0.13):
                return threshold

            def find(self, distances, median):
                return distances < self._set_threshold() * median

        class Groups:
            def _set_threshold(self, threshold=0.1):
                return threshold

            def find(self, quality):
                return quality < self._set_threshold()
        """
    )
    assert {(2, 0.95), (3, 0.88)} <= set(found)
    assert (16, 0.13) in found
    assert (23, 0.1) not in found


def test_a_zero_floor_is_on_a_searchs_hits_not_on_a_cosine_computed_here():
    """``score > 0`` drops a search's hits: a floor that moves with the model.

    ``sim > 0`` over a cosine matrix computed here keeps its positive cells: a sign, not a
    cutoff.
    """
    found = scan(
        """
        from sklearn.metrics.pairwise import cosine_similarity

        def search(self, embeddings, limit):
            results = self.ann.search(embeddings, limit)
            results = [[(i, score) for i, score in r if score > 0] for r in results]
            return results

        def keywords(words, embedding):
            sims = cosine_similarity(words, embedding)
            return [sim for sim in sims if sim > 0]
        """
    )
    assert set(found) == {(6, 0.0)}


def test_aesthetics_and_motion_scores_are_a_models_not_similarities():
    """A ``min_score`` in an ``ImageAestheticsFilter`` or a ``VideoMotionScoreFilter``.

    The class's name says whose scores it bounds: an aesthetics predictor's, an optical
    flow's. A text-embedding similarity filter's ``min_score`` stays.
    """
    found = scan(
        """
        class ImageAestheticsFilter:
            def __init__(self, min_score: float = 0.5):
                self.min_score = min_score

        class VideoMotionScoreFilter:
            def __init__(self, min_score: float = 0.25):
                self.min_score = min_score

        class TextEmbdSimilarityFilter:
            def __init__(self, min_score: float = 0.1):
                self.min_score = min_score
        """
    )
    assert set(found) == {(11, 0.1)}


def test_a_distance_cap_compared_is_a_threshold_and_a_score_floor_clamping_is_not():
    """``c_dist <= CLOSET_DISTANCE_CAP`` drops weak hits; ``max(_SCORE_FLOOR, raw)`` clamps."""
    found = scan(
        """
        _SCORE_FLOOR = 0.05

        def boost(closets):
            CLOSET_DISTANCE_CAP = 1.5
            return [c for c, c_dist in closets if c_dist <= CLOSET_DISTANCE_CAP]

        def clamp(raw):
            return max(_SCORE_FLOOR, min(1.0, raw))
        """
    )
    assert set(found) == {(5, 1.5)}
    assert found[(5, 1.5)].direction is Direction.BELOW


def test_a_constant_named_like_a_score_is_a_setting_where_a_cosine_meets_it():
    """``similarity >= _HIGH_SIM``: a module constant is no second score, it bounds the cosine.

    A running best (a local) compared with a score is still two scores.
    """
    found = scan(
        """
        _HIGH_SIM = 0.85
        _LOW_SIM = 0.30

        def novelty(embedding, centroid):
            similarity = cosine_similarity(embedding, centroid)
            if similarity >= _HIGH_SIM:
                return 0.05
            if similarity <= _LOW_SIM:
                return 0.95
            return 0.5

        def best(hits):
            best_score = 0.5
            for hit in hits:
                if hit.score > best_score:
                    best_score = hit.score
            return best_score
        """
    )
    assert set(found) == {(2, 0.85), (3, 0.3)}


def test_an_llms_scores_are_grades_unless_it_serves_retrieval():
    """``LLMQualityScoreFilter(min_score=0.5)`` bounds an LLM's grade.

    An ``LLMSemanticCache``'s ``distance_threshold`` bounds its embeddings' distances.
    """
    found = scan(
        """
        class LLMQualityScoreFilter:
            def __init__(self, min_score: float = 0.5):
                self.min_score = min_score

        class LLMSemanticCache:
            def __init__(self, distance_threshold: float = 0.1):
                self.distance_threshold = distance_threshold
        """
    )
    assert set(found) == {(7, 0.1)}


def test_an_llm_queried_answers_with_a_grade_and_a_store_queried_with_similarities():
    """``llm_client.query_json(prompt)``: a model is asked, whatever the setting is called.

    ``semantic_threshold`` bounds the score the LLM answers with; ``self.store.query(vector)``
    beside it is a search, whose hits' scores ``match_threshold`` bounds.
    """
    found = scan(
        """
        class Config:
            semantic_threshold: float = 0.7
            match_threshold: float = 0.8

        def check_semantic_match(item, llm_client, config: Config):
            result = llm_client.query_json(f"Does {item} match? Answer with a score.")
            score = float(result.get("score", 0))
            return score >= config.semantic_threshold

        def find_match(store, vector, config: Config):
            hits = store.query(vector, top_k=1)
            score = float(hits[0].score)
            return score >= config.match_threshold
        """,
        path="guard/checks.py",
    )
    assert set(found) == {(4, 0.8)}


def test_a_field_named_for_another_score_holds_it_whatever_search_returned_the_record():
    """``chunk.metadata.get("quality_score")`` of a semantic chunker's chunk: a quality.

    The field's name says which of a record's scores is read: a quality's, a reranker's
    (``hit["rerank_score"]``); a hit's plain ``score``, weighed by a source's trust
    (``trust_weights.get(url, 1.0)``, a weight and no score), is the search's similarity.
    """
    found = scan(
        """
        from dataclasses import dataclass

        @dataclass
        class Options:
            min_chunk_quality: float = 0.6
            min_rerank: float = 0.3
            min_similarity: float = 0.75

        def keep(store, query, options: Options, sources):
            trust_weights = {s["url"]: s["trust_weight"] for s in sources}
            kept = []
            for chunk in store.similarity_search(query, k=10):
                quality_score = chunk.metadata.get("quality_score", 0.5)
                if quality_score < options.min_chunk_quality:
                    continue
                if chunk.metadata["rerank_score"] < options.min_rerank:
                    continue
                score = chunk.score
                score *= trust_weights.get(chunk.metadata["url"], 1.0)
                if score >= options.min_similarity:
                    kept.append(chunk)
            return kept
        """,
        path="rag/keep.py",
    )
    assert set(found) == {(8, 0.75)}


def test_a_table_or_list_of_thresholds_is_one_threshold_per_number():
    """``thresholds = {"VGG-Face": {"cosine": 0.68, ...}}`` read by a lookup, and a list default.

    Each number of the table reaches the distance it bounds through ``thresholds.get(model,
    {}).get(metric)`` and the function that returns it; each level of
    ``sim_thresholds=[0.3, 0.5]`` is a threshold; a JSON schema's bounds are not.
    """
    found = scan(
        """
        thresholds = {
            "VGG-Face": {"cosine": 0.68, "euclidean_l2": 1.17},
            "Facenet": {"cosine": 0.40, "euclidean_l2": 0.80},
        }
        SCHEMA = {"dedup": {"type": "number", "minimum": 0.5, "maximum": 0.99}}

        def find_threshold(model_name, distance_metric="cosine"):
            threshold = thresholds.get(model_name, {}).get(distance_metric)
            return threshold

        def verify(distance, model_name):
            threshold = find_threshold(model_name)
            return distance <= threshold

        def evaluate(pairs, sim_thresholds=[0.3, 0.5]):
            return [[p for p in pairs if p.similarity >= t] for t in sim_thresholds]
        """
    )
    assert {(3, 0.68), (3, 1.17), (4, 0.4), (4, 0.8)} <= set(found)
    assert {(16, 0.3), (16, 0.5)} <= set(found)
    assert not {(6, 0.5), (6, 0.99)} & set(found)


def test_a_threshold_handed_by_position_to_a_search_outside_the_scan():
    """``store.similarity_search_with_score(text, k, self._threshold)`` and ``aretrieve``.

    A search the scan does not define compares what it is handed with its hits' scores, by
    position as by keyword, even in an agent's module; an async twin
    (``aretrieve_with_scores``) searches too. A threshold handed to a function that is no
    search says nothing by itself.
    """
    extractor = """
    class Extractor:
        def __init__(self, store, threshold: float = 0.7, gap_threshold: float = 0.4):
            self._store = store
            self._threshold = threshold
            self._gap_threshold = gap_threshold

        async def load(self, text):
            hits = self._store.similarity_search_with_score(text, 5, self._threshold)
            self._log.record(text, self._gap_threshold)
            return hits
    """
    controller = """
    async def context(retriever, question):
        return await retriever.aretrieve_with_scores(question, score_threshold=0.3)
    """
    assert set(scan(extractor, "app/extract.py")) == {(3, 0.7)}
    assert set(scan(controller, "app/agents/controller.py")) == {(3, 0.3)}


def test_a_matching_tolerance_on_a_distance_is_a_threshold_a_float_slack_is_not():
    """``face_distance(known, face) <= tolerance`` with ``tolerance=0.6`` is a face-match cutoff.

    A float-equality ``eps=1e-3`` beside a cosine is slack, and an IoU distance bounds boxes'
    overlap, not embeddings.
    """
    found = scan(
        """
        def compare_faces(known, face, tolerance=0.6):
            return list(face_distance(known, face) <= tolerance)

        def collinear(a, b, eps=1e-3):
            return abs(cosine_similarity(a, b)) >= 1 - eps

        class Tracker:
            def __init__(self, max_iou_distance=0.7):
                self.max_iou_distance = max_iou_distance

            def gate(self, distance):
                return distance <= self.max_iou_distance
        """
    )
    assert set(found) == {(2, 0.6)}


def test_a_number_given_to_a_call_named_for_string_matching_is_that_matchings():
    """``JaroWinklerLevel(col, 0.88)`` bounds a string similarity.

    Whatever its parameter is called; ``CosineSimilarityLevel(col, 0.8)`` an embedding one.
    """
    found = scan(
        """
        class JaroWinklerLevel:
            def __init__(self, col, distance_threshold):
                self.distance_threshold = distance_threshold

        class CosineSimilarityLevel:
            def __init__(self, col, similarity_threshold):
                self.similarity_threshold = similarity_threshold

        def levels(col):
            return [JaroWinklerLevel(col, 0.88), CosineSimilarityLevel(col, 0.8)]
        """
    )
    assert set(found) == {(11, 0.8)}


def test_command_options_and_similarities_computed_here_reach_their_thresholds():
    """``--dedup-threshold`` read as ``args.dedup_threshold``, and ``typer.Option(0.9, ...)``.

    So is a constant compared with ``s`` in ``enumerate(sims)``, similarities computed here;
    histogram bins are not thresholds.
    """
    found = scan(
        """
        import argparse
        import typer

        NEAR_IDENTICAL_THRESHOLD = 0.92

        def main():
            parser = argparse.ArgumentParser()
            parser.add_argument("--dedup-threshold", type=float, default=0.95)
            args = parser.parse_args()
            return [p for p in pairs() if p.cosine >= args.dedup_threshold]

        def diagnose(semantic_threshold: float = typer.Option(0.9, "--semantic-threshold")):
            return [p for p in pairs() if p.similarity >= semantic_threshold]

        def flag(pairs):
            sims = embedding_similarities(pairs)
            return [i for i, s in enumerate(sims) if s >= NEAR_IDENTICAL_THRESHOLD]

        def histogram(pairs):
            bins = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]
            for pair in pairs:
                w = vector_similarity(pair)
                for i in range(len(bins) - 1):
                    if bins[i] <= w < bins[i + 1]:
                        yield i
        """
    )
    assert set(found) == {(5, 0.92), (9, 0.95), (13, 0.9)}


def test_an_element_of_a_matrix_of_similarities_computed_here_is_a_score_by_any_name():
    """``row[best] >= confidence`` after ``row = closest[i, :]``, ``closest = cdist(a, b)``.

    An element of a matrix computed here from vectors is compared with a setting as with a
    number; what a similarity matrix is indexed with (a histogram's ``bins[i]``) is not, and
    arithmetic on the other side (an optimiser's relative test) is not a setting.
    """
    found = scan(
        """
        import numpy as np
        from scipy.spatial import distance

        def match(source, sink, confidence: float = 0.95, margin: float = 0.1):
            closest = distance.cdist(source, sink, "cosine")
            for i in range(len(source)):
                row = closest[i, :]
                best, second = row.argsort()[::-1][:2]
                if row[best] >= confidence:
                    yield best
                elif row[best] - row[second] > margin:
                    yield None

        def pairs(vectors, limit=0.9, scale=0.5):
            sims = vectors @ vectors.T
            bins = [0.1, 0.5, 0.9]
            for a in range(len(vectors)):
                if sims[a][a + 1] >= limit and bins[a] < scale:
                    yield a
                if sims[a, 0] >= scale * np.mean(sims):
                    yield None
        """
    )
    assert set(found) == {(5, 0.95), (15, 0.9)}
    assert found[(5, 0.95)].metric is Metric.DISTANCE
    assert found[(15, 0.9)].metric is Metric.SIMILARITY
    found = scan(
        """
        import numpy as np

        def align_by_similarity(labels, n1, n2, prefix):
            s = np.dot(n1, n2.T)
            return {
                label: f"{prefix}_{np.argmax(s[i])}" if s[i].max() >= 0.65 else label
                for i, label in enumerate(labels)
            }
        """
    )
    assert set(found) == {(7, 0.65)}  # the best of a row of the matrix


def test_a_constant_set_from_an_environment_variable_is_that_variables_default():
    """``_LINK_COS = _env_float("APP_LINK_COS", 0.6)``, compared with a cosine computed here.

    The default written for the variable is the threshold, though both names say a score:
    a module's constant read once from the environment is not a running best; a local name
    bound to a score and then compared with scores still is.
    """
    found = scan(
        """
        import os
        import numpy as np

        def _env_float(name, default):
            raw = os.environ.get(name)
            return default if raw is None else float(raw)

        _LINK_COS = _env_float("APP_LINK_COS", 0.6)

        def link(mat, vec, ids):
            sims = mat @ vec
            for other, sim in zip(ids, sims):
                if float(sim) >= _LINK_COS:
                    yield other

        def best(mat, vec):
            best_sim = float(np.max(mat @ vec))
            top_sim = best_sim
            return [s for s in mat @ vec if s >= top_sim]
        """
    )
    assert set(found) == {(9, 0.6)}
    assert found[(9, 0.6)].direction is Direction.ABOVE


def test_a_function_of_nothing_returns_a_setting_whatever_it_is_called():
    """``floor = _chunk_fallback_min_cosine()``: what a function taking nothing returns is set.

    Its numbers (the environment's default, the stand-in of its ``except``) reach the search's
    scores the caller compares with what it returned, directly or handed on; a function of
    arguments computes (a cosine's ``return 0.0`` for an empty vector is no threshold).
    """
    found = scan(
        """
        import os
        import numpy as np

        def _chunk_fallback_min_cosine():
            try:
                return float(os.environ.get("APP_FALLBACK_COS", "0.50"))
            except ValueError:
                return 0.45

        def _bridge_limit():
            return min(1.0, max(0.0, float(os.environ.get("APP_BRIDGE", "0.55"))))

        def cosine(a, b):
            if not a.any():
                return 0.0
            return float(np.dot(a, b))

        def _pick(vec, candidates, thr):
            return [c for c in candidates if cosine(vec, c) >= thr]

        async def fallback(store, qvec, vecs):
            hits = await store.search(qvec)
            floor = _chunk_fallback_min_cosine()
            kept = [h for h in hits if h.cosine is not None and h.cosine >= floor]
            thr = _bridge_limit()
            return kept, [_pick(v, vecs, thr) for v in vecs]
        """
    )
    assert set(found) == {(7, 0.5), (9, 0.45), (12, 0.55)}
    assert all(f.direction is Direction.ABOVE for f in found.values())


def test_a_hits_score_under_another_name_is_compared_as_the_field_itself():
    """``raw = top["score"]`` with ``top = embedding_results[0]``, then ``raw >= THRESHOLD``.

    The local is the handed hit's score field, as ``top["score"] >= THRESHOLD`` would be; a
    measure computed here (``exposure_score(img).score``) and a field of many scores are not.
    """
    found = scan(
        """
        EMBEDDING_ONLY_THRESHOLD = 0.40
        EXPOSURE_GOOD = 0.35
        SPREAD_MIN = 0.2

        def fuse(embedding_results):
            top = embedding_results[0]
            raw = top["score"]
            if raw >= EMBEDDING_ONLY_THRESHOLD:
                return min(0.5 + raw, 0.95)
            return raw * 0.7

        def frame(img):
            exp = exposure_score(img).score
            return exp >= EXPOSURE_GOOD

        def spread(hit):
            values = hit.similarities
            return values >= SPREAD_MIN
        """
    )
    assert set(found) == {(2, 0.4)}
    assert found[(2, 0.4)].direction is Direction.ABOVE


def test_a_search_hits_field_read_by_position_is_its_score():
    """``results[0][1] < 0.95`` after ``results = self._hnsw_search(q, k)``: the top hit's score.

    So is ``r[1]`` of each hit; a position of rows that no search returned is not a score,
    nor is the first of the hits (``results[0]``, a hit).
    """
    found = scan(
        """
        class Index:
            def lookup(self, q, names, threshold=0.8):
                results = self._hnsw_search(q, 5)
                if results and results[0][1] < 0.95:
                    results = results + self._names(names)
                near = [r[0] for r in results[1:3] if r[1] > 0.1]
                rows = self._load_rows(q)
                wide = [r for r in rows if r[1] > 0.5]
                return results[0] if results[0][1] >= threshold else None, near, wide
        """
    )
    assert set(found) == {(3, 0.8), (5, 0.95), (7, 0.1)}
    assert found[(5, 0.95)].direction is Direction.BELOW


def test_a_settings_similarity_reaches_an_orm_lookup_built_by_name():
    """``Q(**{f"{col}__lte": similarity})``, ``similarity = getattr(settings, "SIM", 0.7)``.

    The lookup's key is the f-string with what its name was set to (``distance_{i}``); the
    local named like a score is a setting read with its fallback, and a settings constant
    is no running best. A report's score with a stand-in for a missing one is no setting.
    """
    found = scan(
        """
        from django.conf import settings
        from django.db.models import Q

        CLI_SCORE_EXCELLENT = 85

        def semantic_filter(embeddings):
            similarity = getattr(settings, "SEMANTIC_SEARCH_SIMILARITY", 0.7)
            query = Q()
            for i, embedding in enumerate(embeddings):
                distance_col_name = f"distance_{i}"
                query |= Q(**{f"{distance_col_name}__lte": similarity})
            return query

        def health(report):
            score = report.get("score", 0)
            return "EXCELLENT" if score >= CLI_SCORE_EXCELLENT else "POOR"
        """
    )
    assert set(found) == {(8, 0.7)}
    assert found[(8, 0.7)].metric is Metric.DISTANCE
    assert found[(8, 0.7)].direction is Direction.BELOW


def test_a_cap_or_floor_on_a_threshold_is_one_a_clamp_to_a_range_is_not():
    """``effective = min(threshold, 0.3)``: whenever the cap wins, it is the threshold.

    So is a floor under a scaled setting (``max(FAISS_THRESHOLD * 0.5, 0.10)``); a clamp to a
    range (``max(0.5, min(0.99, t))``) validates, and a running best is no setting.
    """
    found = scan(
        """
        FAISS_THRESHOLD = 0.4

        def search(store, query, threshold=0.1, dedup_threshold=0.9):
            effective_threshold = min(threshold, 0.3)
            semantic_threshold = max(FAISS_THRESHOLD * 0.5, 0.10)
            dedup = max(0.5, min(0.99, dedup_threshold))
            hits = store.similarity_search(query)
            kept = [h for h in hits if h.similarity >= effective_threshold]
            wide = [h for h in hits if h.similarity >= semantic_threshold]
            bonus = 0.0
            for h in hits:
                bonus = max(bonus, 0.7)
            return kept, wide, [h for h in hits if h.similarity < dedup]
        """
    )
    assert {(5, 0.3), (6, 0.1)} <= set(found)
    assert not {(7, 0.5), (7, 0.99), (12, 0.7)} & set(found)


def test_a_threshold_relative_to_another_score_is_a_cutoff_on_its_scale():
    """``score < nvembed_threshold * positive_score``, ``sims < positive_sim - margin_threshold``.

    A threshold-named setting scaling or shifting a score bounds the other score relative to
    it, on the same model's scale; arithmetic of scores alone (a running margin), or a scale
    named for no threshold, bounds nothing here.
    """
    found = scan(
        """
        def mine(pairs, nvembed_threshold: float = 0.95, margin_threshold: float = 0.1,
                 weight: float = 0.5):
            for positive_score, negatives in pairs:
                kept = [n for n in negatives if n.score < nvembed_threshold * positive_score]
                guided = [n for n in negatives if n.sim < positive_score - margin_threshold]
                scaled = [n for n in negatives if n.sim < weight * positive_score]
                yield kept, guided, scaled
        """
    )
    assert set(found) == {(2, 0.95), (2, 0.1)}
    assert found[(2, 0.95)].direction is Direction.BELOW


def test_a_tables_fallback_for_a_key_it_lacks_is_a_threshold_too():
    """``CALIBRATED_THRESHOLDS.get(self.embedding_model, 0.92)``: the uncalibrated model's.

    A lookup by a computed key falls back to its number for every model the table lacks; a
    missing record's zero (``scores.get(i, 0.0)``) is no setting.
    """
    found = scan(
        """
        CALIBRATED_THRESHOLDS = {"all-MiniLM-L6-v2": 0.89}

        class Settings:
            def __init__(self, embedding_model):
                self.embedding_model = embedding_model

            @property
            def calibrated_threshold(self):
                return CALIBRATED_THRESHOLDS.get(self.embedding_model, 0.92)

        def lookup(cache, settings, query_vec, scores):
            best_sim = max(scores.get(i, 0.0) for i in cache.ids)
            hit = cache.search(query_vec)[0]
            return hit if hit.similarity >= settings.calibrated_threshold else None
        """
    )
    assert {(2, 0.89), (10, 0.92)} <= set(found)
    assert (13, 0.0) not in found


def test_the_first_of_what_a_vector_search_returns_is_its_scores():
    """``Dq, Iq = index.search(Q, k)``, then ``Dq >= cfg.tau_edge``: faiss's scores first.

    The ids it returns second are no scores.
    """
    found = scan(
        """
        from dataclasses import dataclass

        @dataclass
        class Config:
            tau_edge: float = 0.68
            min_rows: float = 0.5

        def vote_by_similarity(index, Q, cfg: Config):
            Dq, Iq = index.search(Q, 10)
            return (Dq >= cfg.tau_edge) & (Iq >= cfg.min_rows)
        """
    )
    assert set(found) == {(6, 0.68)}


def test_newer_syntax_without_numbers_is_read_around():
    """Python 3.12's type parameters and ``type`` aliases carry no numbers.

    A parser older than them reads the rest of the file, every line in its place; 3.12's
    nested f-string quotes stay a syntax error with its line.
    """
    found = scan(
        """
        type Vector = list[float]

        class Store[T]:
            def first[U](self, xs: list[U]) -> U:
                return xs[0]

        async def search[T: (int, str)](hits: list[T], min_score=0.8) -> list[T]:
            return [h for h in hits if h.score >= min_score]
        """
    )
    assert set(found) == {(8, 0.8)}
    newer = scan_python('name = "x"\nsql = f"{"a" + name}"\nif score > 0.8:\n    pass\n', "n.py")
    assert [(e.line, e.message.startswith("syntax error")) for e in newer.errors] == [(2, True)]


def test_a_byte_order_mark_is_no_text(tmp_path):
    """A file saved with a UTF-8 byte-order mark is read as the text after it."""
    path = tmp_path / "search.py"
    path.write_bytes(b"\xef\xbb\xbfMIN_SIMILARITY = 0.82\n")
    scanned = scan_file(Source(path, "search.py"))
    assert scanned.errors == ()
    assert [v.value for v in scanned.facts.values] == [0.82]


def test_the_bounds_a_threshold_is_clipped_to_are_thresholds():
    """``np.clip(best, THRESHOLD_MIN, THRESHOLD_MAX)`` keeps a computed threshold in a range.

    The bounds become the threshold when the computed one falls outside them, so they are
    compared with the similarity where it is; a clip of the scores themselves is no threshold.
    """
    found = scan(
        """
        import numpy as np

        THRESHOLD_MIN = 0.70
        THRESHOLD_MAX = 0.95

        def _adaptive_threshold(similarities):
            best = float(np.median(similarities))
            return float(np.clip(best, THRESHOLD_MIN, THRESHOLD_MAX))

        def cluster(embeddings):
            sims = np.clip(embeddings @ embeddings.T, -0.5, 1.0)
            threshold = _adaptive_threshold(sims)
            return [pair for pair, sim in np.ndenumerate(sims) if sim >= threshold]
        """
    )
    assert set(found) == {(4, 0.7), (5, 0.95)}


def test_a_class_comparing_embeddings_beside_a_string_library_keeps_its_cosine():
    """One method matches phrases with ``fuzz``, another compares embeddings by cosine.

    The class is not a string matcher: its similarity threshold stays one; a class using
    only the string library keeps its cutoff a string ratio's.
    """
    found = scan(
        """
        from thefuzz import fuzz
        from sklearn.metrics.pairwise import cosine_similarity

        class Topics:
            def match(self, phrase, window):
                return fuzz.token_set_ratio(phrase, window) > 80

            def similar_pairs(self, rows, similarity_threshold=0.8):
                for embedding_i, embedding_j in rows:
                    similarity = cosine_similarity([embedding_i], [embedding_j])[0][0]
                    if similarity >= similarity_threshold:
                        yield embedding_i, embedding_j

        class Matcher:
            def __init__(self, threshold=0.8):
                self.threshold = threshold

            def match(self, a, b):
                return fuzz.ratio(a, b) / 100 >= self.threshold
        """
    )
    assert set(found) == {(9, 0.8)}


def test_a_table_of_thresholds_per_embedding_model_is_one_of_similarity_cutoffs():
    """``THRESHOLDS = {"all-MiniLM-L6-v2": 0.23, ...}``: each model's calibrated cutoff.

    The keys name embedding models, so each number is about that model's scores even where
    no comparison is seen; a table of thresholds keyed by anything else stays unreported.
    """
    found = scan(
        """
        class Registry:
            THRESHOLDS = {
                "sentence-transformers/all-MiniLM-L6-v2": 0.23,
                "BAAI/bge-small-en-v1.5": 0.21,
                "text-embedding-3-small": 0.26,
            }
            LEVELS_THRESHOLDS = {"warning": 0.2, "error": 0.6}

            @classmethod
            def get(cls, model_name):
                return cls.THRESHOLDS.get(model_name)
        """,
        path="shield/registry.py",
    )
    assert set(found) == {(4, 0.23), (5, 0.21), (6, 0.26)}


def test_the_nearest_hits_distance_graded_into_confidence_bands_is_compared():
    """``min_dist = min(distances)`` graded into low / moderate / high relevance confidence.

    The best of a search's distances is a distance (the ``min_`` name is no bound here), and
    a distance graded into bands is about the embeddings, as a grade of a plain ``score`` of
    unknown origin need not be.
    """
    found = scan(
        """
        def summarize(res):
            hits = res.get("results") or []
            distances = [h.get("distance") for h in hits]
            if distances:
                min_dist = min(distances)
                if min_dist > 0.52:
                    res["relevance_confidence"] = "low"
                elif min_dist < 0.35:
                    res["relevance_confidence"] = "high"
                else:
                    res["relevance_confidence"] = "moderate"

        def grade(scores):
            best = max(scores)
            if best > 0.8:
                return "A"
            elif best > 0.5:
                return "B"
            return "C"
        """
    )
    assert set(found) == {(7, 0.52), (9, 0.35)}


def test_a_ladder_of_early_returns_grades_a_score_and_early_rejections_do_not():
    """``if score >= 0.75: return POWERFUL`` / ``if score >= 0.35: ...`` / ``return FAST``.

    The same ladder as an ``if``/``elif`` chain, written with early returns: it picks a
    label and drops nothing. Early returns of one stand-in (``return None``) reject what
    they check: those are thresholds.
    """
    found = scan(
        """
        def tier(score):
            if score >= 0.75:
                return Tier.POWERFUL
            if score >= 0.35:
                return Tier.BALANCED
            return Tier.FAST

        def accept(hit, score):
            if score < 0.62:
                return None
            if hit.age > 30:
                return None
            return hit
        """
    )
    assert set(found) == {(10, 0.62)}


def test_a_detectors_and_a_taggers_thresholds_are_no_similarity_cutoffs():
    """``min_det_score`` bounds a face detector's confidence, a tagger's thresholds its labels'.

    The face embeddings' match cutoff beside them stays a similarity threshold.
    """
    found = scan(
        """
        import numpy as np

        class Faces:
            def __init__(self, min_det_score=0.5, min_similarity=0.45):
                self.min_det_score = min_det_score
                self.min_similarity = min_similarity

            def match(self, faces, known):
                kept = [f for f in faces if f.det_score >= self.min_det_score]
                sims = [float(np.dot(f.embedding, known)) for f in kept]
                return [s for s in sims if s >= self.min_similarity]

        class Yolo:
            def boxes(self, image, score_threshold=0.25):
                return self.model(image, score_threshold=score_threshold)
        """,
        path="curator/faces.py",
    )
    assert set(found) == {(5, 0.45)}
    tagged = scan(
        """
        def tags_and_embedding(model, image, general_threshold=0.35, character_threshold=0.85):
            return model(image, general_threshold, character_threshold)
        """,
        path="imgutils/tagging/wd14.py",
    )
    assert tagged == {}


def test_a_detection_trackers_score_thresholds_are_a_detectors():
    """ByteTrack splits detections by their confidence: no embedding in sight."""
    found = scan(
        """
        class BYTETracker:
            def __init__(self, track_thresh=0.5, low_thresh=0.1):
                self.track_thresh = track_thresh
                self.low_thresh = low_thresh

            def update(self, detections):
                scores = detections[:, 4]
                high = scores >= self.track_thresh
                low = (scores > self.low_thresh) & (scores < self.track_thresh)
                return high, low
        """,
        path="faces/tracking/bytetrack/tracker.py",
    )
    assert found == {}


def test_a_subclass_without_a_constructor_passes_its_arguments_to_its_bases():
    """``super().__init__(t=t)`` in a class whose base defines no ``__init__`` reaches the next.

    The default repeated in the subclass is compared, two classes up, with a cosine.
    """
    found = scan(
        """
        from sklearn.metrics.pairwise import cosine_similarity

        class OntologyParser:
            def __init__(self, synonym_merge_threshold=0.7):
                self.synonym_merge_threshold = synonym_merge_threshold

            def merge(self, a, b):
                sim = cosine_similarity(a, b)[0][0]
                return sim >= self.synonym_merge_threshold

        class JsonLinesParser(OntologyParser):
            def records(self, path):
                return open(path).readlines()

        class DiseaseParser(JsonLinesParser):
            def __init__(self, path, synonym_merge_threshold=0.75):
                super().__init__(synonym_merge_threshold=synonym_merge_threshold)
                self.path = path
        """,
        path="kb/parsers.py",
    )
    assert set(found) == {(5, 0.7), (17, 0.75)}


def test_a_dict_default_of_a_parameter_holds_keyed_thresholds():
    """``cluster_params={"threshold": 0.5, "metric": "cosine"}`` read as ``params["threshold"]``."""
    found = scan(
        """
        from sklearn.cluster import AgglomerativeClustering

        def cluster_rows(df, cluster_params={"threshold": 0.5, "min size": 2, "metric": "cosine"}):
            return AgglomerativeClustering(distance_threshold=cluster_params["threshold"])
        """,
        path="linker/infer.py",
    )
    assert set(found) == {(4, 0.5)}


def test_a_keyword_argument_kept_in_kwargs_is_read_back_by_its_key():
    """``super().__init__(init_threshold=init_threshold)`` into ``**kwargs``, read as a key."""
    found = scan(
        """
        import numpy as np

        class Aligner:
            def __init__(self, **kwargs):
                self.kwargs = kwargs

        class LiteralAligner(Aligner):
            def __init__(self, alpha=2.0, init_threshold=0.7):
                super().__init__(alpha=alpha, init_threshold=init_threshold)

            def bootstrap(self, a, b):
                sim = float(np.dot(a, b))
                return sim >= self.kwargs["init_threshold"]
        """,
        path="aligner/literal.py",
    )
    assert set(found) == {(9, 0.7)}


def test_holoviz_param_traitlets_and_attrs_fields_declare_defaults():
    """``param.Number(default=0.3)``, traitlets' ``Float(0.8)`` and ``attr.ib(default=0.7)``."""
    found = scan(
        """
        import attr
        import param
        from traitlets import Float, HasTraits

        class VectorLookupTool(param.Parameterized):
            min_similarity = param.Number(default=0.3, doc="The minimum similarity.")

            def lookup(self, store, text):
                return [r for r in store.query(text) if r["similarity"] >= self.min_similarity]

        class Dedup(HasTraits):
            similarity_threshold = Float(0.8, help="cosine above which two are one")

        @attr.s
        class Cache:
            min_score = attr.ib(default=0.7)
        """,
        path="tools/lookup.py",
    )
    assert set(found) == {(7, 0.3), (13, 0.8), (17, 0.7)}


def test_elements_computed_as_cosines_are_similarities_whatever_is_iterated():
    """``[(cid, _cosine(q, emb)) for cid, emb in vectors.items()]``, else a Jaccard fallback.

    The iterated mapping says nothing; the elements' own call names a cosine, and the
    embedding branch decides over its word-overlap fallback. Elements scored by a call whose
    receiver (not its own name) speaks of distance stay of unknown origin.
    """
    found = scan(
        """
        def similar(query, query_embedding, vectors, texts):
            if query_embedding:
                scored = [(cid, _cosine(query_embedding, emb)) for cid, emb in vectors.items()]
            else:
                scored = [(cid, _jaccard(query, text)) for cid, text in texts.items()]
            out = []
            for cid, score in scored:
                if score > 0.98:
                    continue
                if score < 0.20:
                    break
                out.append(cid)
            return out

        def precision(measure, retrieved, references):
            scores = [(ref, measure.distance.ascore(ref, retrieved)) for ref in references]
            return [ref for ref, score in scores if score > 0.5]
        """,
        path="sqlgen/query_cache.py",
    )
    assert {k: v.confidence >= 0.75 for k, v in found.items()} == {
        (9, 0.98): True,
        (11, 0.2): True,
        (18, 0.5): False,
    }


def test_a_function_clustering_tfidf_vectors_has_a_lexical_threshold():
    """``TfidfVectorizer`` then a cosine and a clustering cutoff: a TF-IDF similarity's.

    The same clustering of a sentence model's embeddings keeps its threshold, as does a
    function that imports ``scipy.sparse`` (sparse matrices are no lexical score).
    """
    found = scan(
        """
        import scipy.sparse as spr
        from sklearn.cluster import AgglomerativeClustering
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.metrics.pairwise import cosine_similarity

        def keyword_clusters(keywords, similarity_threshold=0.35):
            matrix = TfidfVectorizer(ngram_range=(1, 2)).fit_transform(keywords)
            distance = 1.0 - cosine_similarity(matrix)
            model = AgglomerativeClustering(distance_threshold=1.0 - similarity_threshold)
            return model.fit_predict(distance)

        def topic_clusters(model, texts, similarity_threshold=0.6):
            embeddings = spr.csr_matrix(model.encode(texts))
            distance = 1.0 - cosine_similarity(embeddings)
            clusters = AgglomerativeClustering(distance_threshold=1.0 - similarity_threshold)
            return clusters.fit_predict(distance)
        """,
        path="seo/clusters.py",
    )
    assert set(found) == {(13, 0.6)}


def test_an_installed_python_script_without_a_suffix_is_scanned(tmp_path):
    """A wheel's ``*.data/scripts/progres`` (``#!python``) holds its command's defaults.

    A shell script beside it is no Python, and is not read as such.
    """
    scripts = tmp_path / "progres-1.1.0.data" / "scripts"
    scripts.mkdir(parents=True)
    (scripts / "progres").write_text(
        "#!python\n"
        "import argparse\n"
        "parser = argparse.ArgumentParser()\n"
        'parser.add_argument("-s", "--minsimilarity", type=float, default=0.8)\n'
        "args = parser.parse_args()\n"
        "hits = [h for h in search(args.query) if h.similarity >= args.minsimilarity]\n"
    )
    (scripts / "run").write_text(
        "#!/bin/sh\nTHRESHOLD=0.8\nexec progres --minsimilarity $THRESHOLD\n"
    )
    sources = collect([tmp_path])
    assert [s.shown for s in sources] == ["progres-1.1.0.data/scripts/progres"]
    result = scan_sources(sources, jobs=1)
    assert result.errors == ()
    assert {(f.path, f.line, f.value) for f in result.findings if f.level != "low"} == {
        ("progres-1.1.0.data/scripts/progres", 4, 0.8)
    }


def test_a_number_a_threshold_function_returns_is_written_for_it():
    """``return 0.55`` when the environment's value does not parse: the fallback's fallback."""
    found = scan(
        """
        import os

        def _cluster_threshold():
            raw = os.environ.get("CLUSTER_THRESHOLD", "0.55")
            try:
                return float(raw)
            except ValueError:
                return 0.55

        def linked(embeddings):
            threshold = _cluster_threshold()
            similarity = cosine_similarity(embeddings)
            return similarity >= threshold
        """,
        path="review/clustering.py",
    )
    assert set(found) == {(5, 0.55), (9, 0.55)}


def test_a_complexity_or_importance_score_is_no_similarity():
    """``complexity_score > 0.7`` picks strategies, ``importance_score`` ranks memories.

    A context's hotness (how often and how lately it was used) archives cold contexts; a
    claim's truth score (a fact checker's grade) decides its verdict.
    """
    found = scan(
        """
        def strategies(complexity_score, similar_elements):
            out = []
            if complexity_score > 0.7:
                out.append("compress")
            return out

        def promote(memories, threshold_to_short_term=0.1):
            return [m for m in memories if m.importance_score >= threshold_to_short_term]

        def relevant(hits):
            return [h for h in hits if h.relevance_score >= 0.62]

        def archive_cold(store, threshold: float = 0.1):
            for ctx in store.list_all():
                hotness = ctx.compute_hotness(decay_rate=0.05)
                if hotness.score < threshold:
                    store.archive(ctx.uri)

        class Config:
            accept_threshold: float = 0.72

        def verdict(truth_score, config: Config):
            return "accepted" if truth_score >= config.accept_threshold else "rejected"
        """,
        path="sql/schema/manager.py",
    )
    assert set(found) == {(12, 0.62)}


def test_a_correlation_of_columns_is_a_statistic_not_a_similarity():
    """``abs(corr_value) >= threshold``: a Pearson correlation bounds no embedding similarity.

    Two tools' handlers read ``arguments.get("threshold", ...)``, one for a correlation, one
    for a search: the key is any mapping's, and the correlation's default, compared where it
    is used with a correlation of columns (a statistic), is no similarity cutoff.
    """
    found = scan(
        """
        class Csv:
            def find_significant_correlations(self, columns=None, threshold: float = 0.5):
                corr_matrix = self.compute_correlation(columns=columns, threshold=threshold)
                pairs = []
                for i, a in enumerate(corr_matrix.columns):
                    for b in corr_matrix.columns[i + 1:]:
                        corr_value = corr_matrix.loc[a, b]
                        if abs(corr_value) >= threshold:
                            pairs.append((a, b, corr_value))
                return pairs
        """,
        path="app/csv.py",
        **{
            "app/tools/data.py": """
                def handle(name, arguments, csv_analyzer):
                    if name == "find_significant_correlations":
                        threshold = arguments.get("threshold", 0.5)
                        return csv_analyzer.find_significant_correlations(threshold=threshold)
            """,
            "app/tools/search.py": """
                from app.semantic import Semantic

                def handle(name, arguments, corpus):
                    if name == "similar_documents":
                        threshold = arguments.get("threshold", 0.7)
                        return Semantic(corpus).get_similar_documents(threshold=threshold)
            """,
            "app/semantic.py": """
                class Semantic:
                    def get_similar_documents(self, threshold: float = 0.7):
                        hits = self.collection.query(query_texts=[self.text], n_results=10)
                        out = []
                        for doc, distance in zip(hits["ids"][0], hits["distances"][0]):
                            similarity = 1 - distance
                            if similarity >= threshold:
                                out.append(doc)
                        return out
            """,
        },
    )
    assert set(found) == set()


def test_what_a_thread_or_executor_runs_is_where_a_score_comes_from():
    """``await asyncio.to_thread(lambda: reranker.rerank(q, texts))`` is the reranker's score.

    ``run_in_executor(None, store.similarity_search_with_score, q)`` is a search's.
    """
    found = scan(
        """
        import asyncio

        async def rerank(reranker, q, texts):
            scores = await asyncio.to_thread(lambda: reranker.rerank(q, texts))
            return [t for t, score in zip(texts, scores) if score > 0.3]

        async def search(loop, store, q):
            hits = await loop.run_in_executor(None, store.similarity_search_with_score, q)
            return [doc for doc, score in hits if score >= 0.75]
        """,
        path="rag/retriever.py",
    )
    assert {k: v.confidence >= 0.75 for k, v in found.items()} == {(10, 0.75): True}


def test_a_classifier_or_detector_that_handles_embeddings_compares_them():
    """A ``SlotClassifier`` holding an embedder keeps slots above a cosine cutoff.

    A classifier or a detector is a model's context only for the task it names; one that
    handles embeddings (and names no model of its own) compares them. An aesthetics filter
    reading a predictor's score of CLIP embeddings stays a model's.
    """
    found = scan(
        """
        class SlotClassifier:
            def __init__(self, embedder, *, min_score=0.72, max_slots=2):
                self._embedder = embedder
                self._min_score = min_score
                self._max_slots = max_slots

            def select(self, scored):
                return [(s, n) for s, n in scored[: self._max_slots] if s >= self._min_score]

        class ImageAestheticFilter:
            def __init__(self, embedder, score_threshold=0.5):
                self.embedder = embedder
                self.score_threshold = score_threshold

            def keep(self, images):
                scores = self.predictor(self.embedder(images))
                return [i for i, s in zip(images, scores) if s >= self.score_threshold]
        """,
        path="voice/slots.py",
    )
    assert set(found) == {(3, 0.72)}


def test_a_module_in_a_classification_package_that_searches_by_similarity_compares_them():
    """``classification/dedup.py`` deciding by ``store.find_similar``'s scores: a similarity's.

    A folder named for a generic task (classification, detection) makes its modules a model's
    context, unless the module itself searches by similarity or handles embeddings: its
    constants, defaults of a checker compared with the best hit's score, are cutoffs. A
    classifier's module beside it keeps the model's context.
    """
    dedup = """
        SKIP_THRESHOLD: float = 0.95
        MERGE_THRESHOLD: float = 0.80

        class DeduplicationChecker:
            def __init__(self, store, skip=SKIP_THRESHOLD, merge=MERGE_THRESHOLD):
                self._store = store
                self._skip = skip
                self._merge = merge

            async def check(self, content):
                similar = await self._store.find_similar(content, limit=5)
                return self._decide(similar[0].score) if similar else "create"

            def _decide(self, score):
                if score >= self._skip:
                    return "skip"
                return "merge" if score >= self._merge else "create"
        """
    found = scan(dedup, path="notes/classification/dedup.py")
    assert set(found) == {(2, 0.95), (3, 0.8)}
    classifier = dedup.replace("self._store.find_similar(content, limit=5)", "self.model(content)")
    classifier = classifier.replace("similar", "labels")
    assert scan(classifier, path="notes/classification/dedup.py") == {}


def test_a_property_returns_what_its_readers_hold():
    """``floor = policy.effective_keep``: a property's return is read as an attribute.

    A module constant returned by a property (where the setting is unset) and passed on to
    the function comparing it with a cosine is that cutoff's default, though the property's
    lines say nothing of scores; a property returning a count is none.
    """
    found = scan(
        """
        DEFAULT_KEEP = 0.80
        PAGES = 0.5

        def disposition(grade, document_cosine, keep_at_or_above, pages):
            if document_cosine >= keep_at_or_above and pages:
                return "keep"
            return grade

        class Policy:
            keep: float | None = None

            @property
            def effective_keep(self) -> float:
                return DEFAULT_KEEP if self.keep is None else self.keep

            @property
            def share_of_pages(self) -> float:
                return PAGES

        def run(policy, grade, document_cosine):
            floor = policy.effective_keep
            pages = policy.share_of_pages
            return disposition(grade, document_cosine, keep_at_or_above=floor, pages=pages)
        """,
        path="crawler/judgment.py",
    )
    assert set(found) == {(2, 0.8)}


def test_a_setting_handed_to_a_string_matcher_is_that_matchers():
    """``get_close_matches(name, candidates, n=1, cutoff=cutoff)``: difflib's ratio cutoff.

    A parameter passed on to a string library's call bounds what it compares, as a number
    written in the call does; one handed to a similarity search keeps its own reading.
    """
    found = scan(
        """
        from difflib import get_close_matches

        def closest_match(name, candidates, cutoff: float = 0.7):
            matches = get_close_matches(name.lower(), candidates, n=1, cutoff=cutoff)
            return matches[0] if matches else None

        def closest_example(store, question, min_similarity: float = 0.35):
            return store.similarity_search(question, score_threshold=min_similarity)
        """,
        path="sql/validation.py",
    )
    assert set(found) == {(8, 0.35)}


def test_a_querys_positional_arguments_reach_what_it_compares_them_with():
    """``conn.execute(sql, params)`` with ``... >= ?``: the argument in that place is a cutoff.

    DB-API (``?``, ``%s``), DuckDB and asyncpg (``$2``, arguments after the query) take a
    query's arguments by position: the one compared with a similarity the query computes
    (pgvector's ``<=>``, ``array_cosine_similarity``) is that similarity's cutoff, however it is
    named and however it was rescaled on the way (``threshold * 2.0 - 1.0``), with the
    comparison's direction; a query built as an f-string and its arguments bound to names are
    followed. A stored column compared the same way (``relevance_score < $2``) says nothing of
    the model, and the limit passed beside is no threshold.
    """
    found = scan(
        """
        def near(cur, vector, max_distance=0.3):
            cur.execute(
                "SELECT id FROM items WHERE embedding <=> %s < %s ORDER BY embedding <=> %s",
                (vector, max_distance, vector),
            )
            return cur.fetchall()

        def similar(conn, vector, dims, threshold=0.75, limit=5):
            sql = (
                f"SELECT id FROM entries "
                f"WHERE array_cosine_similarity(embedding, ?::FLOAT[{dims}]) >= ? "
                f"LIMIT ?"
            )
            raw_threshold = threshold * 2.0 - 1.0
            params = [vector, raw_threshold, limit]
            return conn.execute(sql, params).fetchall()

        async def recall(db, vector, floor=0.8, agent="a", cutoff=0.05):
            close = await db.fetch(
                "SELECT id FROM memories WHERE 1 - (embedding <=> $1) > $2", vector, floor
            )
            stale = await db.fetch(
                "SELECT id FROM memories WHERE agent = $1 AND relevance_score < $2", agent, cutoff
            )
            return close, stale
        """,
        path="store/sql.py",
    )
    assert set(found) == {(2, 0.3), (9, 0.75), (19, 0.8)}
    directions = {k: (f.direction, f.metric) for k, f in found.items()}
    assert directions[(2, 0.3)] == (Direction.BELOW, Metric.DISTANCE)
    assert directions[(9, 0.75)][0] is Direction.ABOVE
    assert directions[(19, 0.8)] == (Direction.ABOVE, Metric.SIMILARITY)


def test_a_query_computing_a_cosine_beats_a_models_context_and_a_trigram_one_does_not():
    """Where a module's place says model (``classification/``), the query says cosine.

    A parameter compared in the query with ``array_cosine_similarity(...)`` is that cosine's
    cutoff whatever the module is about; one compared with pg_trgm's ``similarity(...)`` (a
    trigram overlap) is not.
    """
    found = scan(
        """
        class ClassificationStore:
            def __init__(self, conn, cur, conflict_threshold=0.6, label_threshold=0.3):
                self.conn, self.cur = conn, cur
                self.conflict_threshold = conflict_threshold
                self.label_threshold = label_threshold

            def conflicts(self, v):
                sql = "SELECT id FROM entries WHERE array_cosine_similarity(e, ?) >= ?"
                return self.conn.execute(sql, [v, self.conflict_threshold]).fetchall()

            def labels(self, text):
                sql = "SELECT id FROM labels WHERE similarity(lower(name), %s) >= %s"
                self.cur.execute(sql, (text, self.label_threshold))
                return self.cur.fetchall()
        """,
        path="notes/store.py",
    )
    assert set(found) == {(3, 0.6)}


def test_an_evaluations_setting_compared_with_a_similarity_elsewhere_is_its_cutoff():
    """``eval.py`` handing ``threshold`` to an aligner that keeps ``sim >= threshold``.

    A module named for evaluation (or an agent) writes pass bars on its metrics' scores; a
    value it hands to code in another module that compares it with a score named a similarity
    is that similarity's cutoff. A pass bar compared with a metric's plain ``score`` stays one.
    """
    code = {
        "ryo/sim/align.py": """
            def align(pairs, threshold):
                return [(a, b) for a, b, sim in pairs if sim >= threshold]
            """,
        "ryo/metrics/base.py": """
            class Metric:
                def passed(self, score, threshold):
                    return score >= threshold
            """,
    }
    found = scan(
        """
        from ryo.metrics.base import Metric
        from ryo.sim.align import align

        def evaluate_aligner(pairs, threshold: float = 0.5, pass_bar: float = 0.7):
            aligned = align(pairs, threshold=threshold)
            return Metric().passed(len(aligned) / max(len(pairs), 1), threshold=pass_bar)
        """,
        path="ryo/eval.py",
        **code,
    )
    assert set(found) == {(5, 0.5)}


def test_a_threshold_compared_with_a_string_ratio_call_is_that_ratios():
    """``jaccard(tokens, seen) >= similarity_threshold``: a word-set ratio, whatever the name.

    The name says similarity, and a caller passes it on by that name; the one comparison
    says Jaccard. A cosine of embeddings beside it keeps its threshold.
    """
    found = scan(
        """
        from ._utils import jaccard, tokenize
        import numpy as np

        def deduplicate(items, similarity_threshold=0.85):
            kept = []
            for item in items:
                tokens = tokenize(item.text)
                if all(jaccard(tokens, tokenize(k.text)) < similarity_threshold for k in kept):
                    kept.append(item)
            return kept

        def near(a, b, cosine_threshold=0.92):
            return float(np.dot(a.embedding, b.embedding)) >= cosine_threshold

        def run(items):
            return deduplicate(items, similarity_threshold=0.85)
        """,
        path="context/dedup.py",
    )
    assert set(found) == {(13, 0.92)}


def test_a_score_method_of_a_receiver_named_for_vectors_is_a_similarity():
    """``self.vector_scorer.score(a, b) < self.vector_threshold``: the receiver says cosine.

    A ``score(X, y)`` call is a model's evaluation (``clf.score``) unless what it is called on
    is named for embeddings or vectors.
    """
    found = scan(
        """
        from dataclasses import dataclass

        @dataclass
        class Matcher:
            vector_scorer: object
            vector_threshold: float = 0.3

            async def match(self, profile, job):
                raw_score = await self.vector_scorer.score(profile, job)
                if raw_score < self.vector_threshold:
                    return None
                return raw_score

        def fit(clf, X, y, min_score=0.9):
            score = clf.score(X, y)
            return score > min_score
        """,
        path="match/matcher.py",
    )
    assert set(found) == {(7, 0.3)}


def test_a_summary_of_an_outcome_and_a_wrapped_objects_score_are_no_similarities():
    """``accuracy.mean >= cfg.min_score_threshold``; ``self.inner.score(t) >= self.threshold``.

    A mean read off an accuracy is an accuracy: a bound named for a score compared with it
    bounds no similarity. An object named ``inner`` is one wrapped (a reward gating another),
    no inner product; ``np.inner(a, b)`` is one.
    """
    found = scan(
        """
        from dataclasses import dataclass

        import numpy as np

        @dataclass
        class FlywheelConfig:
            min_score_threshold: float = 0.5

        class Flywheel:
            def __init__(self, config: FlywheelConfig):
                self.config = config

            def mine(self, records):
                accuracy = summarize(records)
                if accuracy.mean >= self.config.min_score_threshold:
                    return []
                return records

        class Gated:
            def __init__(self, inner, threshold: float = 0.5):
                self.inner = inner
                self.threshold = threshold

            def score(self, trajectory):
                s = self.inner.score(trajectory)
                return s if s >= self.threshold else 0.0

        class Nearest:
            def __init__(self, threshold: float = 0.75):
                self.threshold = threshold

            def keep(self, a, b):
                return np.inner(a, b) >= self.threshold
        """
    )
    assert set(found) == {(30, 0.75)}


def test_a_parameters_annotation_says_what_its_scores_are():
    """``results: Sequence[SearchResult]`` holds a search's hits; ``list[FuzzyMatch]`` a ratio's.

    A parameter bound nowhere in its function is what its annotation names, so a cutoff its
    caller passes on (``low_confidence_threshold=0.40``) reaches a search's score.
    """
    found = scan(
        """
        from typing import Sequence
        from .models import FuzzyMatch, SearchResult

        def banner(results: Sequence[SearchResult], threshold: float):
            if results and results[0].score < threshold:
                return "No confident matches"
            return None

        def render(results, low_confidence_threshold: float = 0.40):
            return banner(results, low_confidence_threshold)

        def near(matches: list[FuzzyMatch], cutoff: float = 0.8):
            return [m for m in matches if m.score >= cutoff]
        """,
        path="shell/output.py",
    )
    assert set(found) == {(10, 0.4)}


def test_a_setting_compared_with_an_unnamed_value_is_judged_by_where_it_came_from():
    """``raw < self.vector_threshold``: ``raw`` is followed back whatever its name.

    A cosine of embeddings (through the class's own ``score`` and a clamping helper) makes
    the setting a threshold; a coefficient of variation of sentence lengths, or the share of
    a table's rows (a count), is evidence against a name that says threshold.
    """
    found = scan(
        """
        import math
        import numpy as np

        class VectorScorer:
            def __init__(self, embedder, vector_threshold: float = 0.6):
                self.embedder = embedder
                self.vector_threshold = vector_threshold

            def _clamp(self, raw):
                return max(0.0, min(raw, 1.0))

            def score(self, profile, job):
                a, b = self.embedder.embed(profile), self.embedder.embed(job)
                return self._clamp(float(np.dot(a, b)))

            def filtered(self, profile, job):
                s = self.score(profile, job)
                return s, s < self.vector_threshold

        class SemanticCoherence:
            def __init__(self, cv_threshold: float = 0.35):
                self.cv_thresh = cv_threshold

            def _length_cv(self, text):
                lengths = [len(s.split()) for s in text.split(".")]
                mean = sum(lengths) / len(lengths)
                return math.sqrt(sum((n - mean) ** 2 for n in lengths) / len(lengths)) / mean

            def uniform(self, text):
                cv = self._length_cv(text)
                return cv < self.cv_thresh

        def stale(path, rows, divergence_threshold=0.1):
            lag = _index_embedding_count(path) - rows
            return lag > divergence_threshold * 100

        def linked(a, b, link_threshold=0.75):
            v = float(np.dot(a, b))
            return v >= link_threshold
        """,
        path="match/scoring.py",
    )
    assert set(found) == {(6, 0.6), (38, 0.75)}


def test_a_mean_of_distances_is_no_count_and_a_cosine_of_token_counts_is_lexical():
    """``sum(distances) / len(distances)`` averages distances; ``_cosine_tokens`` counts words.

    Dividing by a count does not make a mean of scores a ratio of counts, and a cosine of
    ``Counter``s of tokens (named for tokens) is a lexical similarity.
    """
    found = scan(
        """
        from collections import Counter

        def best_bucket(distances_by_bucket, placement_distance_threshold=0.5):
            for bucket, distances in distances_by_bucket.items():
                mean = sum(distances) / len(distances)
                if mean > placement_distance_threshold:
                    continue
                return bucket

        def _cosine_tokens(a, b):
            ca, cb = Counter(a.split()), Counter(b.split())
            dot = sum(v * cb[k] for k, v in ca.items())
            na = sum(v * v for v in ca.values()) ** 0.5
            nb = sum(v * v for v in cb.values()) ** 0.5
            return dot / (na * nb) if na and nb else 0.0

        def covered(claim, sentences, threshold=0.4):
            return any(_cosine_tokens(claim, s) >= threshold for s in sentences)
        """,
        path="memory/placement.py",
    )
    assert set(found) == {(4, 0.5)}


def test_a_getter_named_for_thresholds_reads_its_class_fields_from_another_module():
    """``self._thresholds.get_threshold_for_category(cat)`` compared with a search's score.

    The method of that name, wherever its class is, returns ``getattr(self, category, 0.85)``:
    any field of a class named for thresholds, and the default. In a class named otherwise,
    ``getattr(self, f"threshold_{category}")`` reads only the fields of that prefix.
    """
    texts = {
        "agents/judge.py": """
            from .manifest import ThresholdsConfig

            class Judge:
                def __init__(self, store):
                    self.store = store
                    self._thresholds = ThresholdsConfig()

                def blocked(self, text):
                    best = self.store.similarity_search_with_score(text, k=1)[0]
                    threshold = self._thresholds.get_threshold_for_category(best.category)
                    return best.score >= threshold
            """,
        "agents/manifest.py": """
            from pydantic import BaseModel

            _DEFAULT_THRESHOLD: float = 0.85

            class ThresholdsConfig(BaseModel):
                jailbreak: float = 0.82
                prompt_injection: float = 0.86

                def get_threshold_for_category(self, category: str) -> float:
                    return getattr(self, category, _DEFAULT_THRESHOLD)
            """,
        "agents/cache.py": """
            from pydantic import BaseModel

            class CacheSettings(BaseModel):
                threshold_factual: float = 0.93
                max_temperature: float = 0.3

                def threshold_for(self, category: str) -> float:
                    return getattr(self, f"threshold_{category}")

            def hit(settings, store, q):
                best = store.similarity_search_with_score(q, k=1)[0]
                return best.score >= settings.threshold_for("factual")
            """,
    }
    result = scan_texts({path: textwrap.dedent(text) for path, text in texts.items()})
    assert result.errors == ()
    found = {(f.path, f.line, f.value) for f in result.findings if f.level != "low"}
    assert found == {
        ("agents/manifest.py", 4, 0.85),
        ("agents/manifest.py", 7, 0.82),
        ("agents/manifest.py", 8, 0.86),
        ("agents/cache.py", 5, 0.93),
    }


def test_code_the_compiler_warns_about_is_read_where_warnings_are_errors():
    r"""``re.split("\s+", text)``: an invalid escape sequence warns, and is still read.

    Under ``-W error`` (as in this suite) the warning became a syntax error, and every
    threshold in such a file went unseen.
    """
    code = """
        import re

        def keep(hits, text):
            words = re.split("\\s+", text)
            return [h for h in hits if h.score >= 0.82], words
        """
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        found = scan(code)
    assert set(found) == {(6, 0.82)}


def test_a_distance_cutoff_of_one_is_a_threshold_and_a_similarity_of_one_a_bound():
    """``distance_threshold=1.0`` cuts a ward or cosine distance mid-range.

    A similarity of 1 is its top: a ``min_similarity=1.0`` default lets only exact matches pass.
    """
    found = scan(
        """
        from sklearn.cluster import AgglomerativeClustering

        def cluster(embeddings, distance_threshold: float = 1.0):
            model = AgglomerativeClustering(n_clusters=None, distance_threshold=distance_threshold)
            return model.fit_predict(embeddings)

        def exact(hits, min_similarity=1.0):
            return [h for h in hits if h.similarity >= min_similarity]
        """,
        path="semaclust/clusterer.py",
    )
    assert set(found) == {(4, 1.0)}


def test_a_judge_named_for_clap_or_clip_scores_bounds_an_embedding_similarity():
    """``ClapJudge.judge(..., tau_clap=0.35)`` in ``agent/verify.py`` bounds a CLAP cosine.

    An agent's or a judge's module grades with an LLM; a judge named for an embedding model
    (CLAP, CLIP) compares that model's similarities, as a ``SimilarityEvaluator`` does.
    """
    found = scan(
        """
        class ClapJudge:
            def judge(self, event, candidate, *, tau_clap: float = 0.35):
                score = candidate.clap_score if candidate.clap_score is not None else 0.0
                return score >= tau_clap

        class LlmJudge:
            def judge(self, event, candidate, *, pass_score: float = 0.7):
                score = self.llm.grade(event, candidate)
                return score >= pass_score
        """,
        path="foley/agent/verify.py",
    )
    assert set(found) == {(3, 0.35)}


def test_a_similarity_computed_in_the_comparison_bounds_whatever_it_is_compared_with():
    """``(V @ t) >= AGREES`` and ``cos_sim(a, b) > diversity``: cutoffs, whatever their names.

    A constant or parameter compared with dot products or cosines computed right there is a
    similarity cutoff; one compared with a value only bound earlier keeps to its own name.
    """
    found = scan(
        """
        import numpy as np
        from sentence_transformers.util import cos_sim

        AGREES = 0.85
        SPREAD = 0.5

        def agreeing(descriptions, prompt):
            # the descriptions that agree with the prompt: their cosine clears AGREES
            V = np.stack([d.embedding for d in descriptions])
            return (V @ prompt.embedding) >= AGREES

        def quotes(sentences, embeddings, diversity=0.85):
            kept = []
            for s, e in zip(sentences, embeddings):
                if all(cos_sim(e, k) < diversity for k in kept):
                    kept.append(e)
            return kept

        def spread(values):
            width = np.ptp(values)
            return width > SPREAD
        """,
        path="sonic/judge.py",
    )
    assert set(found) == {(5, 0.85), (13, 0.85)}


def test_a_similarity_computed_in_the_comparison_counts_when_converted():
    """``float(embs[i] @ embs[j]) >= MIRROR``: a conversion (``float``, ``.item()``) hides nothing.

    The product converted to a Python number is still the cosine of two embeddings; a vector's
    squared length converted is still no similarity.
    """
    found = scan(
        """
        import itertools

        MIRROR = 0.72
        NEAR = 0.9
        LONG = 4.0

        def mirrored(conditions, embs):
            for (i, a), (j, b) in itertools.combinations(enumerate(conditions), 2):
                if float(embs[i] @ embs[j]) >= MIRROR and a != b:
                    yield a, b

        def near(left, right):
            return (left @ right).item() > NEAR

        def long(v):
            return float(v @ v) > LONG
        """,
        path="router/lint.py",
    )
    assert set(found) == {(4, 0.72), (5, 0.9)}


def test_a_mean_of_similarities_is_no_ratio_of_counts():
    """``sum(similarity_scores) / len(similarity_scores)`` is a mean similarity, not a share.

    A checker that calls an answer reliable when the mean pairwise similarity of its samples
    clears ``threshold``: the default is a similarity cutoff. A share of counts compared with
    a threshold (``len(kept) / len(all)``) still bounds no similarity.
    """
    found = scan(
        """
        class Checker:
            def __init__(self, similarity_fn, threshold: float = 0.75, share: float = 0.6):
                self._similarity_fn = similarity_fn
                self.threshold = threshold
                self.share = share

            def check(self, answers):
                similarity_scores = self._similarity_fn(answers[:-1], answers[1:])
                consistency_score = (
                    sum(similarity_scores) / len(similarity_scores) if similarity_scores else 0.0
                )
                agreeing = [a for a in answers if a]
                agreement_score = len(agreeing) / len(answers)
                return consistency_score >= self.threshold, agreement_score >= self.share
        """,
        path="checker/core.py",
    )
    assert set(found) == {(3, 0.75)}
    assert found[(3, 0.75)].direction is Direction.ABOVE


def test_a_vectors_length_is_no_similarity_whatever_vector_says():
    """``np.dot(c, c)`` and ``xp_vector_norm(x)`` are lengths: what bounds them is no cutoff.

    Birch's squared radius (``new_ss / n - np.dot(c, c)``) and scipy's ``normxm``, compared
    with a ``threshold``, were high and medium findings on an ML environment.
    """
    found = scan(
        """
        import numpy as np

        def merge(new_ss, new_n, centroid, threshold=0.5):
            new_sq_norm = np.dot(centroid, centroid)
            sq_radius = new_ss / new_n - new_sq_norm
            return sq_radius <= threshold**2

        def constant_input(xm, xmean, xp, threshold=0.01):
            normxm = xp_vector_norm(xm, axis=-1)
            return xp.any(normxm < threshold * xp.abs(xmean))

        def close(a, b, max_distance=0.35):
            distance = np.linalg.norm(a - b) if a is not None else 1.0
            cosine = np.dot(a, b)
            return distance < max_distance, cosine
        """,
        path="sklearn/cluster/_birch.py",
    )
    assert set(found) == {(13, 0.35)}


def test_a_matrix_of_dot_products_bound_just_before_bounds_its_cutoff():
    """``S = E @ E.T`` then ``S >= candidate_cos``, whose default is ``CANDIDATE_COS = 0.94``.

    The similarities were computed on the line before the comparison, not passed in; and a
    parameter's default read from a constant of its own name (in capitals) is passed on by
    that name, however score-like the name.
    """
    found = scan(
        """
        import numpy as np

        CANDIDATE_COS = 0.94

        def find_duplicates(lib, candidate_cos: float = CANDIDATE_COS):
            E = lib.embeddings
            pairs = []
            for s in range(0, len(E), 2048):
                S = E[s : s + 2048] @ E.T
                for r, c in zip(*np.nonzero(S >= candidate_cos)):
                    pairs.append((s + int(r), int(c)))
            return pairs
        """,
        path="sonic/library.py",
    )
    assert set(found) == {(4, 0.94)}


def test_a_product_of_embeddings_read_out_a_few_bindings_back_bounds_its_settings():
    """CLIP's zero-shot labels: the best product per image, and its margin, bound settings.

    ``logits = img_feats @ text_feats.T``, the best per image and its margin over the
    runner-up, read out as floats and compared with a params record.

    Neither the compared names (``tv``, ``margin``) nor the settings (``min_top``,
    ``min_margin``) say similarity: the product three bindings back does. A ratio read out of
    a count (``hits / total``) compared with a setting the same way bounds nothing.
    """
    found = scan(
        """
        from dataclasses import dataclass

        @dataclass
        class LabelParams:
            min_top: float = 0.30
            min_margin: float = 0.05
            min_share: float = 0.25

        def label(img_feats, text_feats, params: LabelParams):
            logits = img_feats @ text_feats.T
            topv, topi = logits.max(dim=1)
            secondv, _ = logits.min(dim=1)
            out = []
            for i in range(logits.size(0)):
                tv = float(topv[i].item())
                margin = float((topv[i] - secondv[i]).item())
                if tv >= params.min_top and margin >= params.min_margin:
                    out.append(int(topi[i]))
            hits = len(out)
            share = float(hits / max(1, logits.size(0)))
            if share < params.min_share:
                return []
            return out
        """,
        path="vision/labels.py",
    )
    assert set(found) == {(6, 0.3), (7, 0.05)}


def test_a_soft_cutoff_takes_its_threshold_from_a_similarity():
    """``sigmoid((sim - scenario.threshold) / softness)``: no comparison, still a cutoff.

    The threshold is subtracted from a cosine of embeddings: where the score stands against
    it, on the model's scale. The same arithmetic on a regex rule's weight (``weight -
    rule.threshold``) bounds no similarity, and a softness is no threshold.
    """
    found = scan(
        """
        import math
        from dataclasses import dataclass

        import numpy as np

        @dataclass
        class Scenario:
            description: str
            threshold: float = 0.45
            softness: float = 0.08

        @dataclass
        class Rule:
            pattern: str
            weight: float
            cutoff: float = 0.6

        def evidence(chunks, scenarios, rules, embed):
            described = np.asarray(embed([s.description for s in scenarios]))
            sims = np.asarray(embed(chunks)) @ described.T
            out = []
            for j, scenario in enumerate(scenarios):
                for i in range(len(chunks)):
                    sim = float(sims[i, j])
                    out.append(1 / (1 + math.exp(-(sim - scenario.threshold) / scenario.softness)))
            for rule in rules:
                out.append(rule.weight - rule.cutoff)
            return out
        """,
        path="guard/scanner.py",
    )
    assert set(found) == {(10, 0.45)}


def test_a_score_named_constant_as_a_parameters_default_is_its_threshold():
    """A score-named constant that is a parameter's default is followed to its comparison.

    ``DEFAULT_SIMILARITY = 0.65`` is the default of ``similarity``, passed on to a helper that
    compares a centroid product with it: a module's constant is no running best score, whatever
    its name says; a running best started from a number (``best_sim = -2.0``) is still none.
    """
    found = scan(
        """
        import numpy as np

        DEFAULT_SIMILARITY = 0.65

        def cluster(items, *, similarity: float = DEFAULT_SIMILARITY):
            return _cluster(items, similarity)

        def _cluster(items, similarity):
            centroids = []
            for vec in items:
                if centroids:
                    sims = np.asarray(centroids) @ vec
                    best = int(np.argmax(sims))
                    if float(sims[best]) >= similarity:
                        continue
                centroids.append(vec)
            return centroids

        def nearest(vec, centroids):
            best, best_sim = None, -2.0
            for i, c in enumerate(centroids):
                sim = float(np.dot(vec, c))
                if sim > best_sim:
                    best, best_sim = i, sim
            return best
        """,
        path="mailtool/embed.py",
    )
    assert set(found) == {(4, 0.65)}


def test_an_object_a_function_returns_is_of_the_class_its_annotation_names():
    """What a local bound to a call holds: the class the callee returns, or the class called.

    ``selection = select(sims)`` annotated ``-> Selection``: ``selection.threshold`` is that
    class's field (computed there), not every class's ``threshold`` (a name matcher's 0.9);
    ``settings = Settings()`` is an instance of that class, whose field is compared.
    """
    texts = {
        "app/select.py": """
            from dataclasses import dataclass

            @dataclass
            class Selection:
                threshold: float
                method: str

            def select(scores) -> Selection:
                return Selection(threshold=float(scores.mean()), method="mean")
        """,
        "app/names.py": """
            class NameMatcher:
                def __init__(self):
                    self.threshold = 0.9
        """,
        "app/settings.py": """
            from dataclasses import dataclass

            @dataclass
            class Settings:
                min_similarity: float = 0.6
        """,
        "app/run.py": """
            from app.select import select
            from app.settings import Settings

            def adaptive(query, docs):
                sims = docs @ query
                selection = select(sims)
                return [i for i, s in enumerate(sims) if s >= selection.threshold]

            def fixed(query, docs):
                sims = docs @ query
                settings = Settings()
                return [i for i, s in enumerate(sims) if s >= settings.min_similarity]
        """,
    }
    result = scan_texts({path: textwrap.dedent(text) for path, text in texts.items()})
    found = {(f.path, f.line, f.value) for f in result.findings if f.level != "low"}
    assert found == {("app/settings.py", 6, 0.6)}


def test_a_dot_product_of_the_items_embeddings_is_a_similarity_whatever_they_hold():
    """``max(float(np.dot(c["it"]["embedding"], p["it"]["embedding"])) for p in picked)``.

    The picked items are records holding a rank from ``enumerate`` and a quality: what is
    iterated would make the maximum a count, but each element is a product of two embeddings
    computed there, so the ceiling it is compared with is a similarity cutoff; the same
    comparison of the items' ranks stays none.
    """
    found = scan(
        """
        import numpy as np

        def pick(scene, top_n):
            DUP_CEILING = 0.88
            items = [{"quality": it["iqa"], "rank_in": r, "it": it} for r, it in enumerate(scene)]
            picked, remaining = [items[0]], items[1:]
            for cand in remaining:
                sim = max(
                    float(np.dot(cand["it"]["embedding"], p["it"]["embedding"])) for p in picked
                )
                if sim >= DUP_CEILING:
                    continue
                rank = max(p["rank_in"] for p in picked)
                if rank > 0.5 * top_n:
                    break
                picked.append(cand)
            return picked
        """,
        path="photos/ml/stories.py",
    )
    assert set(found) == {(5, 0.88)}


def test_an_agglomerative_clusterings_cosine_cutoff_is_a_distance_threshold():
    """A cosine agglomerative clustering's ``distance_threshold`` is a distance cutoff.

    ``AgglomerativeClustering(distance_threshold=T, metric="cosine")`` merges clusters whose
    cosine distance is below ``T``: a cutoff of the model's, whatever the constant is called
    (``PRECISION_THRESHOLD``, for the tight pass; ``affinity`` names the metric in older
    scikit-learn releases).
    """
    found = scan(
        """
        from sklearn.cluster import AgglomerativeClustering

        PRECISION_THRESHOLD = 0.55  # tight pass
        RECALL_THRESHOLD = 0.65  # merging pass

        def cluster_faces(embeddings, centroids):
            faces = AgglomerativeClustering(
                n_clusters=None, distance_threshold=PRECISION_THRESHOLD, metric="cosine",
                linkage="complete",
            ).fit_predict(embeddings)
            merged = AgglomerativeClustering(
                n_clusters=None, distance_threshold=RECALL_THRESHOLD, affinity="cosine",
                linkage="complete",
            ).fit_predict(centroids)
            return faces, merged
        """,
        path="photos/ml/persons.py",
    )
    assert set(found) == {(4, 0.55), (5, 0.65)}
    assert found[(4, 0.55)].direction is Direction.BELOW
    assert found[(4, 0.55)].metric is Metric.DISTANCE


def test_the_margin_between_the_two_best_similarities_is_on_the_models_scale():
    """``gap = top1_score - top2_score`` (rounded, then compared): a margin of similarities.

    How clear the best match must be over the second is a number on the model's scale;
    a difference of two latencies compared with a number is none.
    """
    found = scan(
        """
        def needs_context(rag_results):
            top1_score = rag_results[0]["score"]
            top2_score = rag_results[1]["score"]
            gap = top1_score - top2_score
            gap_rounded = round(gap, 3)
            if gap_rounded > 0.10:
                return False
            return True

        def slow(latencies):
            gap = latencies[0] - latencies[1]
            return gap > 0.25
        """,
        path="assistant/rag/context_injector.py",
    )
    assert set(found) == {(7, 0.1)}
    assert found[(7, 0.1)].metric is Metric.SIMILARITY


def test_a_key_of_the_records_a_function_builds_is_that_functions_own():
    """``point["threshold"] = t`` in a sweep, then ``best["threshold"]``: the sweep's own rows.

    The cutoff a sweep picks from its own records is computed there; every other mapping of
    the package with a ``"threshold"`` key (a field table's settings) is not what is compared
    with the similarities it returns to.
    """
    texts = {
        "app/sweep.py": """
            import numpy as np

            def best_cutoff(sims, labels):
                curve = []
                for i in range(1, 20):
                    t = i / 20
                    point = {"f1": float(np.mean((sims >= t) == labels))}
                    point["threshold"] = t
                    curve.append(point)
                best = max(curve, key=lambda p: p["f1"])
                return best["threshold"]

            def dedupe(query, docs, labels):
                sims = docs @ query
                cutoff = best_cutoff(sims, labels)
                return [i for i, s in enumerate(sims) if s >= cutoff]
        """,
        "app/fields.py": """
            FIELDS = [
                {"name": "surname", "type": "exact", "threshold": 0.92},
                {"name": "city", "type": "prefix", "threshold": 0.8},
            ]
        """,
    }
    result = scan_texts({path: textwrap.dedent(text) for path, text in texts.items()})
    assert [f for f in result.findings if f.level != "low"] == []


_EVALUATION_KIT = {
    "kit/judge.py": """
        from kit.results import record

        def assert_llm(output, criteria, judge, threshold=0.7):
            score = judge(criteria, output)
            passed = score >= threshold
            record("llm", passed, score, details={"threshold": threshold})
            return score
    """,
    "kit/text.py": """
        from kit.embed import encode
        from kit.results import record

        def assert_semantic(actual, expected, threshold=0.8):
            a, b = encode(actual), encode(expected)
            score = cosine_similarity(a, b)
            passed = score >= threshold
            record("semantic", passed, score, details={"threshold": threshold})
            return score
    """,
    "kit/suites.py": """
        from kit.judge import assert_llm
        from kit.text import assert_semantic

        def run_check(kind, output, value):
            if kind == "semantic":
                return assert_semantic(output, value["expected"], value.get("threshold", 0.8))
            threshold = value.get("threshold", 0.7)
            return assert_llm(output, value["criteria"], value["judge"], threshold)
    """,
}


def _reported(texts: dict[str, str]) -> set[tuple[str, int | None, float]]:
    result = scan_texts({path: textwrap.dedent(text) for path, text in texts.items()})
    assert result.errors == ()
    return {(f.path, f.line, f.value) for f in result.findings if f.level != "low"}


def test_a_similarity_reached_only_through_a_shared_key_yields_to_a_nearer_judge():
    """A judge's pass bar, written into a report's ``{"threshold": ...}``, is no cutoff.

    An evaluation kit records each assertion's threshold under one ``"threshold"`` key, and
    its suites read ``value.get("threshold")`` for every assertion: through that key the LLM
    judge's default meets the cosine assertion's comparison, while its own function compares
    it with the judge's score directly. The cosine assertion's default stays reported.
    """
    found = _reported(_EVALUATION_KIT)
    assert ("kit/text.py", 5, 0.8) in found
    assert ("kit/judge.py", 4, 0.7) not in found


def test_a_getters_default_of_a_bare_key_belongs_to_that_read():
    """``value.get("threshold", 0.7)`` handed to the judge: that 0.7 is the judge's.

    What other mappings' ``"threshold"`` keys hold or meet says nothing of a fallback that
    only this read returns; the fallback handed to the cosine assertion stays reported.
    """
    found = _reported(_EVALUATION_KIT)
    assert ("kit/suites.py", 7, 0.8) in found
    assert ("kit/suites.py", 8, 0.7) not in found


def test_a_similarity_setting_compared_in_a_model_module_is_kept_by_its_name():
    """``similarity_threshold`` of a voice matcher, compared with scores of unknown origin.

    In a voice module a score compared there reads as a model's by the module's words alone;
    that says nothing against a setting named a similarity (speaker embeddings' cosine), while
    the module's ``confidence_threshold`` stays a model's.
    """
    texts = {
        "app/config.py": """
            from pydantic import BaseModel

            class VoiceConfig(BaseModel):
                backend: str = "ecapa"
                similarity_threshold: float = 0.20
                confidence_threshold: float = 0.6
        """,
        "app/voice.py": """
            from app.config import VoiceConfig

            def assign(scores: dict[str, float], config: VoiceConfig) -> bool:
                ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
                best_id, best_score = ranked[0]
                return best_score >= config.similarity_threshold

            def accept(probability: float, config: VoiceConfig) -> bool:
                return probability >= config.confidence_threshold
        """,
    }
    assert _reported(texts) == {("app/config.py", 6, 0.2)}


def test_a_similarity_clamped_into_a_confidence_is_still_a_similarity():
    """``confidence = max(0.0, min(1.0, similarity + boost))``, then ``confidence >= 0.5``.

    The clamp's bounds come first and the score last: whatever the name it is bound to, the
    number compared with it is on the embeddings' scale.
    """
    found = scan(
        """
        import numpy as np

        class Matcher:
            def matches(self, rule_text, text):
                a, b = self.model.encode(rule_text), self.model.encode(text)
                similarity = float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))
                confidence = max(0.0, min(1.0, similarity + self.boost))
                return confidence >= 0.5, confidence
        """
    )
    assert set(found) == {(9, 0.5)}
    assert found[(9, 0.5)].metric is Metric.SIMILARITY


def test_a_loop_target_unpacked_from_zipped_records_is_the_iterable_at_its_place():
    """``for s, eid in ranked[:k] if s > 0.2`` after ``ranked = sorted(zip(sims, ids))``.

    ``s`` is an element of the similarities, by its place in the ``zip``; a name in the place
    of counts is not, whatever it is called.
    """
    found = scan(
        """
        import numpy as np

        def nearest(mat, q, ids, names, k=5):
            sims = (mat / np.linalg.norm(mat, axis=1, keepdims=True)) @ q
            ranked = sorted(zip(sims, ids, names), key=lambda x: x[0], reverse=True)
            return [{"id": e, "name": n} for s, e, n in ranked[:k] if s > 0.2]

        def busy(ids, counts):
            ranked = sorted(zip(ids, counts), key=lambda x: x[1], reverse=True)
            return [i for i, c in ranked if c > 0.5]
        """
    )
    assert set(found) == {(7, 0.2)}
    assert found[(7, 0.2)].metric is Metric.SIMILARITY


def test_a_setting_scaled_by_what_was_computed_is_no_similarity_cutoff():
    """A setting scaled by what was computed bounds no similarities.

    An optimiser's curvature test (``wz <= self.min_curvature * wMw``, scipy's BFGS) and a
    descent check against ``-10.0 * EPS * n`` compare dot products bound just before with a
    setting scaled by computed values: a relative test, not a cutoff of similarities (the
    docstring's "relevant" is what makes the scan read this module closely, as in scipy).
    """
    found = scan(
        """
        import numpy as np

        EPS = 0.001

        class Update:
            \"\"\"Quasi-Newton update; the relevant matrix starts as the identity.\"\"\"

            def __init__(self, strategy="skip", min_curvature=None):
                if strategy == "skip":
                    if min_curvature is not None:
                        self.min_curvature = min_curvature
                    else:
                        self.min_curvature = 1e-8
                else:
                    if min_curvature is not None:
                        self.min_curvature = min_curvature
                    else:
                        self.min_curvature = 0.2

            def update(self, w, z):
                wz = np.dot(w, z)
                wMw = w @ (self.M @ w)
                if wMw <= 0.0:
                    self.M = np.eye(self.n, dtype=float)
                if wz <= self.min_curvature * wMw:
                    return None
                return wz

        def descend(grad, sd, n):
            grad_sd = grad @ sd
            if grad_sd >= -10.0 * EPS * n * max(1.0, np.linalg.norm(grad)):
                return None
            return grad_sd
        """,
        path="optim/update.py",
    )
    assert found == {}


@pytest.mark.parametrize("path", ["aligner/speech/segment_aligner.py", "aligner/segments.py"])
def test_a_similarity_setting_named_for_speech_is_no_model_confidence(path):
    """``min_speech_sim`` compared with ``speech_sim`` is a cutoff of speech embeddings.

    A module about speech, or a name with "speech" in it, makes a threshold a model's output
    by default (an ASR confidence); a setting also named a similarity and compared with a
    similarity by name is the embeddings' cutoff, in a speech module or not, while its
    neighbour ``min_blaser_score`` (a quality model's score) stays a model's.
    """
    found = scan(
        """
        from dataclasses import dataclass

        from aligner.maths import pairwise_cosine_similarity

        @dataclass
        class AlignerConfig:
            min_speech_sim: float = 0.5
            min_text_sim: float = 0.45
            min_blaser_score: float = 3.5

        class SegmentAligner:
            config: AlignerConfig

            def __init__(self, config: AlignerConfig = AlignerConfig()):
                self.config = config

            def candidates(self, segments, embeds1, embeds2):
                for col in ["text", "speech"]:
                    segments[f"{col}_sim"] = pairwise_cosine_similarity(embeds1[col], embeds2[col])
                return segments

            def keep(self, candidates):
                candidates = candidates.loc[candidates["speech_sim"] >= self.config.min_speech_sim]
                candidates = candidates.loc[candidates["text_sim"] >= self.config.min_text_sim]
                return candidates.loc[candidates["blaser_score"] >= self.config.min_blaser_score]
        """,
        path=path,
    )
    assert set(found) == {(8, 0.5), (9, 0.45)}


def test_a_setting_named_a_similarity_in_a_voice_config_is_the_embeddings():
    """``similarity_threshold`` of a speaker matcher's config is a cutoff of voice embeddings.

    A class about voice makes its thresholds a model's output by default (a voice activity
    detector's probability, as ``vad_threshold`` here stays); a setting named a similarity is
    never a model's confidence, even where nothing says what the compared ``score`` is.
    """
    found = scan(
        """
        from pydantic import BaseModel, Field

        class VoiceConfig(BaseModel):
            similarity_threshold: float = Field(default=0.75, ge=0.0, le=1.0)
            vad_threshold: float = 0.5

        class Pipeline:
            def __init__(self, config: VoiceConfig):
                self._config = config

            def label(self, segment, encoder):
                if segment.speech_prob < self._config.vad_threshold:
                    return None
                return self._match(segment.embedding, encoder, self._config.similarity_threshold)

            @staticmethod
            def _match(embedding, encoder, threshold):
                name, score = encoder.compare(embedding)
                return name if score >= threshold else "UNKNOWN"
        """,
        path="voicetag/pipeline.py",
    )
    assert set(found) == {(5, 0.75)}


def test_a_widgets_starting_value_is_the_threshold_it_feeds():
    """A Streamlit slider's starting value passed on as a cutoff is that cutoff's default.

    ``st.slider(label, min, max, value)`` (after the label, the third number) and the
    ``value=`` of a widget bounded by ``min_value``/``max_value``: the name bound to the widget
    holds it until a user moves it. The widget's bounds and step are a range, and a slider
    whose value feeds no comparison (a temperature) is nobody's threshold.
    """
    found = scan(
        """
        import streamlit as st

        from app.core import analyze

        def main(text, llm):
            label_threshold = st.sidebar.slider(
                "Label threshold", min_value=0.0, max_value=1.0, value=0.3, step=0.05
            )
            topic_threshold = st.slider("Topic threshold", 0.0, 1.0, 0.25, 0.05)
            temperature = st.slider("Temperature", 0.0, 2.0, 0.7)
            st.write(llm.complete(text, temperature=temperature))
            return analyze(text, label_threshold, topic_threshold=topic_threshold)
        """,
        path="app/ui.py",
        **{
            "app/core.py": """
                from sklearn.metrics.pairwise import cosine_similarity

                def analyze(text, label_threshold=0.2, topic_threshold=0.2):
                    query = embed(text)
                    similarity = cosine_similarity([query], LABEL_EMBEDDINGS)[0]
                    labels = [n for n, sim in zip(LABELS, similarity) if sim >= label_threshold]
                    topic_sims = cosine_similarity([query], TOPIC_EMBEDDINGS)[0]
                    topics = [t for t, sim in zip(TOPICS, topic_sims) if sim >= topic_threshold]
                    return labels, topics
                """
        },
    )
    assert set(found) == {(8, 0.3), (10, 0.25)}


def test_a_gradio_sliders_value_reaches_the_function_its_event_calls():
    """``button.click(fn, inputs=[slider])`` calls ``fn`` with the slider's value, in order."""
    found = scan(
        """
        import gradio as gr
        import numpy as np

        def find_duplicates(threshold: float):
            sims = EMB @ EMB.T
            return np.argwhere(sims >= threshold)

        def search(query, top_k, min_similarity):
            hits = STORE.similarity_search(query, k=top_k)
            return [h for h in hits if h.score >= min_similarity]

        def build():
            with gr.Blocks() as demo:
                duplicates = gr.Slider(0.80, 1.0, value=0.97, step=0.01, label="Duplicates")
                top_k = gr.Slider(1, 100, value=20, step=1, label="Max results")
                floor = gr.Slider(0.0, 1.0, value=0.35, step=0.05, label="Min similarity")
                query = gr.Textbox()
                gr.Button("Scan").click(find_duplicates, inputs=[duplicates], outputs=[])
                query.submit(fn=search, inputs=[query, top_k, floor], outputs=[])
            return demo
        """,
        path="app/ui.py",
    )
    assert set(found) == {(15, 0.97), (17, 0.35)}


@pytest.mark.parametrize(
    "imported", ["from .config import FaceConfig", "from app.config import FaceConfig"]
)
def test_a_parameter_annotated_with_the_packages_class_reads_that_class_field(imported):
    """``config: FaceConfig``, then ``best_distance <= config.strict_threshold``: FaceConfig's.

    An attribute read through any object might be any class's (``obj.threshold``), so a
    comparison with a score that says little reaches no class's field of that name; a
    parameter annotated with a class of the package says whose field it is. A library's
    class (``DictConfig``) says nothing of where its attributes are written, nor does an alias
    of several classes (``Trigger``).
    """
    found = scan(
        """
        from pydantic import BaseModel

        class FaceConfig(BaseModel):
            strict_threshold: float = 0.60
            retries: int = 3

        class ReaderConfig(BaseModel):
            strict_threshold: float = 0.25

        class IntentTrigger(BaseModel):
            threshold: float = 0.7

        class KeywordTrigger(BaseModel):
            words: list[str] = []

        Trigger = IntentTrigger | KeywordTrigger
        """,
        path="app/config.py",
        **{
            "app/face.py": f"""
                from omegaconf import DictConfig
                {imported.replace("FaceConfig", "FaceConfig, Trigger")}

                def match(faces, references, config: FaceConfig, other: DictConfig):
                    for face in faces:
                        best_distance = min(distance(face, r) for r in references)
                        if best_distance <= config.strict_threshold:
                            yield face
                        if best_distance <= other.strict_threshold:
                            yield None

                def fires(trigger: Trigger, intent, embed):
                    return cosine_similarity(embed(intent), embed(trigger.text)) > trigger.threshold
                """
        },
    )
    # a union of classes (`Trigger`) writes no field: its reads stand for any class's
    assert set(found) == {(5, 0.6), (12, 0.7)}


def test_a_coroutine_run_from_synchronous_code_returns_what_it_returns():
    """``run_async(do_search())``, ``do_search`` defined in the caller: a search's results.

    A UI's synchronous handler runs an asynchronous search through a bridge; the results'
    scores are the search's, so its ``min_confidence`` is a similarity cutoff, while the
    same name compared with what a classifier's coroutine returns stays the model's.
    """
    found = scan(
        """
        import asyncio

        def search_tools(query, min_confidence: float = 0.3):
            async def do_search():
                return await index.search(query=query, top_k=5)

            results = run_async(do_search())
            return [r for r in results if r.score >= min_confidence]

        def label(text, min_confidence: float = 0.8):
            predicted = asyncio.run(classifier.apredict(text))
            return [p for p in predicted if p.score >= min_confidence]
        """
    )
    assert set(found) == {(4, 0.3)}


def test_a_function_imported_under_another_name_takes_its_keywords():
    """``from app.core import link as link_use_case``: its keywords are ``link``'s parameters."""
    found = scan(
        """
        from app.core import link as link_use_case

        PARENT_LINK_THRESHOLD = 0.55

        def handle(note):
            return link_use_case(note, parent_link_threshold=PARENT_LINK_THRESHOLD, retries=2)
        """,
        path="app/server.py",
        **{
            "app/core.py": """
                def link(note, parent_link_threshold, retries):
                    best_score = max(cosine(note.vector, p.vector) for p in PARENTS)
                    return best_score >= parent_link_threshold
                """
        },
    )
    assert set(found) == {(4, 0.55)}


def test_a_density_clusterings_cosine_radius_is_a_distance_cutoff():
    """``dbscan(X=vectors, eps=topic_merge_delta, metric="cosine")``: neighbours within eps.

    The radius of density clustering by cosine distance bounds the distance of two vectors,
    wherever it is written (a constructor's default here, passed through a method). A radius
    in a 2-D projection (euclidean, the default) is none of the model's, nor is one call's
    radius any other call's.
    """
    found = scan(
        """
        from sklearn.cluster import DBSCAN, dbscan

        class Topics:
            def __init__(self, docs, topic_merge_delta=0.1, map_eps=0.3):
                self.topic_merge_delta = topic_merge_delta
                self._deduplicate(topic_merge_delta)
                self.labels = DBSCAN(eps=map_eps).fit_predict(self.projected)

            def _deduplicate(self, topic_merge_delta):
                _, labels = dbscan(X=self.vectors, eps=topic_merge_delta, metric="cosine")
                return labels

        def cluster(embeddings):
            return DBSCAN(eps=0.25, min_samples=2, metric="cosine").fit_predict(embeddings)
        """
    )
    assert set(found) == {(5, 0.1), (15, 0.25)}


def test_a_density_clustering_fitted_on_embeddings_has_a_radius_in_their_space():
    """``DBSCAN(eps=eps).fit_predict(np.array(list(centroids.values())))``, the metric left out.

    Clustering embeddings' centroids by euclidean distance keeps neighbours within ``eps`` in
    the model's own space, in a module that never says score or similarity, bound first to a
    name as called on the spot; a 2-D projection's radius (``umap_coords``) is none of the
    model's.
    """
    found = scan(
        """
        import numpy as np
        from sklearn.cluster import DBSCAN

        def merge_small(communities, *, eps: float = 0.5, map_eps: float = 0.3):
            centroids = {c: np.mean(v, axis=0) for c, v in communities.items()}
            if centroids:
                return DBSCAN(eps=eps, min_samples=2).fit_predict(
                    np.array(list(centroids.values()))
                )
            return []

        def group(embeddings, umap_coords, radius=0.7, map_radius=0.2):
            clusterer = DBSCAN(eps=radius, min_samples=3)
            labels = clusterer.fit(embeddings).labels_
            shown = DBSCAN(eps=map_radius).fit_predict(umap_coords)
            return labels, shown
        """,
        path="graph/communities.py",
    )
    assert set(found) == {(5, 0.5), (13, 0.7)}


def test_a_cut_of_a_cosine_linkage_tree_is_a_cutoff_and_its_complement_a_similarity():
    """``fcluster(linkage(pdist(X, "cosine")), t, criterion="distance")``: ``t`` is a cutoff.

    A flat cut of a hierarchical clustering by cosine distance keeps in one cluster what is
    within ``t``; a setting passed as ``t = 1 - threshold`` is a similarity kept above. A cut
    by another criterion (``maxclust``: a count), or of a tree of euclidean distances between
    projected points, bounds no similarity of the model's.
    """
    found = scan(
        """
        from scipy.cluster.hierarchy import fcluster, linkage
        from scipy.spatial.distance import pdist

        def duplicates(embeddings, threshold=0.9):
            distance_threshold = 1 - threshold
            tree = linkage(pdist(embeddings, metric="cosine"), method="average")
            return fcluster(tree, t=distance_threshold, criterion="distance")

        def topics(embeddings):
            tree = linkage(pdist(embeddings, "cosine"), method="average")
            return fcluster(tree, 0.35, "distance"), fcluster(tree, 12, criterion="maxclust")

        def regions(points):
            return fcluster(linkage(points, method="ward"), t=0.5, criterion="distance")
        """
    )
    assert set(found) == {(5, 0.9), (12, 0.35)}
    assert (found[(5, 0.9)].direction, found[(5, 0.9)].metric) == (
        Direction.ABOVE,
        Metric.SIMILARITY,
    )
    assert (found[(12, 0.35)].direction, found[(12, 0.35)].metric) == (
        Direction.BELOW,
        Metric.DISTANCE,
    )


def test_a_similarity_matrix_compared_with_one_minus_a_setting_bounds_a_distance():
    """SemDeDup's ``S >= 1 - eps`` on ``S = E @ E.T``: ``eps`` is the greatest cosine distance.

    A float-equality epsilon written the same way (``1e-8``) is still no cutoff.
    """
    found = scan(
        """
        def semdedup(E, eps: float = 0.05, step: int = 4096):
            for s in range(0, len(E), step):
                S = (E[s : s + step] @ E.T).float()
                hit = S >= 1 - eps
            return hit

        def unit(E, eps: float = 1e-8):
            S = E @ E.T
            return S >= 1 - eps
        """
    )
    assert set(found) == {(2, 0.05)}
    assert found[(2, 0.05)].direction is Direction.BELOW
    assert found[(2, 0.05)].metric is Metric.DISTANCE


def test_a_cosine_radius_over_tfidf_vectors_is_lexical():
    """The same clustering of TF-IDF vectors by cosine distance compares term weights."""
    found = scan(
        """
        def cluster_keywords(keywords, eps=0.4):
            from sklearn.cluster import DBSCAN
            from sklearn.feature_extraction.text import TfidfVectorizer

            matrix = TfidfVectorizer(ngram_range=(1, 2)).fit_transform(keywords)
            return DBSCAN(eps=eps, min_samples=1, metric="cosine").fit_predict(matrix)
        """
    )
    assert found == {}


def test_a_settings_modules_defaults_dict_is_read_as_attributes():
    """``DEFAULTS = {"extract": {"embedding_threshold": 0.80}}`` in ``settings/defaults.py``.

    A settings package loads its defaults dict into the object the code reads as
    ``config.extract.embedding_threshold``, as it would a config file; a dict elsewhere (a
    report's figures) is no setting read that way.
    """
    resolve = """
        def resolve(entities, config):
            for a, b in pairs(entities):
                if cosine_similarity(a.vector, b.vector) >= config.extract.embedding_threshold:
                    yield a, b
        """
    defaults = """
        DEFAULTS = {
            "extract": {
                "embedding_threshold": 0.80,
            },
        }
        """
    assert set(scan(defaults, path="kg/settings/defaults.py", **{"kg/resolve.py": resolve})) == {
        (4, 0.8)
    }
    assert scan(defaults, path="kg/report/figures.py", **{"kg/resolve.py": resolve}) == {}


def test_a_settings_key_written_in_capitals_is_read_as_its_lowercase_field():
    """``DEFAULT_CONFIG = {"VECTOR_THRESHOLD": 0.7}`` read as ``CONFIG.vector_threshold``.

    A settings object takes keys written as environment variables into lowercase fields
    (pydantic-settings, a config loader's ``__getattr__``): the key's value is what the code
    reads there. A key the code reads nowhere (``"BATCH_SIZE"``) is not.
    """
    check = """
        from app.config import CONFIG

        def is_duplicate(store, front):
            hits = store.search(front)
            return any(hit.similarity >= CONFIG.vector_threshold for hit in hits)
        """
    defaults = """
        DEFAULT_CONFIG = {
            "VECTOR_THRESHOLD": 0.7,
            "BATCH_SIZE": 0.5,
        }
        """
    assert set(scan(defaults, path="app/config.py", **{"app/check.py": check})) == {(3, 0.7)}


def test_a_constant_named_a_bound_reaches_a_local_that_names_nothing():
    """``t = DUP_MIN_COSINE.get(kind)``, then ``best_cos < t``: the constant is the cutoff.

    A bound of a score written inside a name (``dup_min_cosine``, not only ``min_cosine``)
    names a threshold, and a module's constant so named is followed through a local called
    ``t``; a running best score would not be, and a bound of a full-text search's score
    (``FTS_MIN_SCORE``) is the keyword search's.
    """
    found = scan(
        """
        DUP_MIN_COSINE = {"text": 0.95, "pdf": 0.9}
        FTS_MIN_SCORE = 0.5

        def same(kind, best_cos, mean_cos):
            t = DUP_MIN_COSINE.get(kind)
            if t is None or best_cos < t or mean_cos < t:
                return False
            return True

        def fast_path(index, query):
            floor = FTS_MIN_SCORE
            return [h for h in index.fulltext_search(query) if h.score >= floor]
        """
    )
    assert set(found) == {(2, 0.95), (2, 0.9)}


def test_an_ini_options_fallback_is_that_options_default():
    """``_getfloat("rag", "similarity_threshold", 0.72)``: a section, an option, a fallback.

    ``configparser``'s typed getters (and a project's helper around them) read the option of
    a section: the number is that option's default, as ``cfg.get("KEY", 0.7)``'s is its key's;
    the section's name is no key.
    """
    found = scan(
        """
        import configparser

        class QA:
            def __init__(self, similarity_threshold: float = 0.5):
                self.similarity_threshold = similarity_threshold

            @classmethod
            def from_ini(cls, path):
                cfg = configparser.ConfigParser()
                cfg.read(path)

                def _getfloat(section, option, default):
                    return cfg.getfloat(section, option, fallback=default)

                return cls(
                    similarity_threshold=_getfloat("rag", "similarity_threshold", 0.72),
                    temperature=cfg.getfloat("llm", "temperature", fallback=0.5),
                    top_k=cfg.getint("rag", "top_k", fallback=4),
                )

            def retrieve(self, query):
                hits = self.store.similarity_search_with_score(query)
                return [h for h, score in hits if score >= self.similarity_threshold]
        """
    )
    assert set(found) == {(5, 0.5), (17, 0.72)}
    assert found[(17, 0.72)].kind is Kind.DEFAULT


def test_a_reader_of_settings_by_key_with_a_default_keyword_is_a_getter():
    """``_get_config_value(config, "semantic_threshold", default=0.15)``: a key and its default.

    Whatever a project calls its reader of settings (a pytest ini helper, python-decouple's
    ``config``), a key given as a string and a ``default=`` are that key's default, which
    flows wherever the read value goes; the same key's ini default (``addini(...,
    default="0.15")``) with it. A string that names no key (a message) makes no getter.
    """
    found = scan(
        """
        from decouple import config as env_config

        class Matcher:
            def __init__(self, threshold: float = 0.2, min_similarity: float = 0.4):
                self.threshold = threshold
                self.min_similarity = min_similarity

            @classmethod
            def from_pytest(cls, config):
                threshold = cls._get_config_value(config, "semantic_threshold", default=0.15)
                floor = env_config("SEMANTIC_MIN_SIMILARITY", default=0.5, cast=float)
                width = cls._get_config_value(config, "Report width, in columns", default=0.8)
                return cls(threshold=threshold, min_similarity=floor), width

            def matches(self, answer, valid, invalid):
                similarity = self.embeddings.average_similarity(answer, valid)
                difference = similarity - self.embeddings.average_similarity(answer, invalid)
                return difference >= self.threshold and similarity >= self.min_similarity

        def pytest_addoption(parser):
            parser.addini("semantic_threshold", help="margin", type="string", default="0.15")
        """
    )
    assert set(found) == {(5, 0.2), (5, 0.4), (11, 0.15), (12, 0.5), (22, 0.15)}


def test_a_modules_own_reader_of_settings_is_a_getter_whatever_its_name():
    """``_parse_float_field(raw, "dedup_threshold", 0.92, label)``: a key and its default.

    A module's helper that hands two of its parameters to ``raw.get(key, default)`` reads a
    setting: its callers' key and default are in those parameters' places (the last argument
    here is a label), the same through a method called on ``self``. A key that no similarity
    reads (``retries``) and a string that names no key make no threshold; a helper that gets
    its key from elsewhere is no reader.
    """
    found = scan(
        """
        from dataclasses import dataclass

        @dataclass
        class Defaults:
            dedup_threshold: float = 0.5
            min_score: float = 0.3

        def _parse_float_field(raw, key, default, label):
            value_raw = raw.get(key, default)
            return float(value_raw)

        def _fixed(raw, default):
            return raw.get("retries", default)

        class Loader:
            def load(self, raw):
                dedup_threshold = _parse_float_field(raw, "dedup_threshold", 0.92, "a label")
                retries = _parse_float_field(raw, "retries", 3, "defaults.retries")
                width = _parse_float_field(raw, "Report width, in columns", 0.8, "width")
                other = _fixed(raw, 0.75)
                min_score = self._read(raw, "min_score", 0.35)
                return Defaults(dedup_threshold=dedup_threshold, min_score=min_score)

            def _read(self, raw, key, default):
                return float(raw.get(key, default))

        def find(store, cfg, q):
            hits = store.search(q)
            near = [h for h in hits if h.similarity >= cfg.defaults.dedup_threshold]
            return [h for h in near if h.score >= cfg.defaults.min_score]
        """
    )
    assert set(found) == {(6, 0.5), (7, 0.3), (18, 0.92), (22, 0.35)}
    assert found[(18, 0.92)].kind is Kind.DEFAULT


def test_an_imported_reader_of_a_keys_path_with_a_fallback_is_a_getter():
    """``cfg_get(cfg, "semantic_link.threshold", 0.75)``: a path into nested settings, a default.

    A project's ``get(config, dotted_key, default)`` in another module, imported under another
    name, or pydash's ``get``: the key's path and the default are a setting's, and the default
    flows into ``args.threshold``, which another function compares with a cosine. A path no
    similarity reads (``ocr.timeout``) makes no threshold; ``requests.get`` starts with an
    address, and a call with its fallback as a keyword is no reader by position.
    """
    found = scan(
        """
        import requests
        from sklearn.metrics.pairwise import cosine_similarity

        from app.config_loader import get as cfg_get

        def setup(args, cfg):
            if args.threshold is None:
                args.threshold = cfg_get(cfg, "semantic_link.threshold", 0.75)
            args.timeout = cfg_get(cfg, "ocr.timeout", 0.5)
            page = requests.get("http://host/threshold", "semantic_link.threshold", 0.8)
            return args, page

        def link(args, embeddings):
            similarity = cosine_similarity(embeddings)
            return [i for i, s in enumerate(similarity[0]) if s >= args.threshold]
        """,
        **{
            "app/config_loader.py": """
                def get(config, dotted_key, default=None):
                    current = config
                    for key in dotted_key.split("."):
                        if not isinstance(current, dict) or key not in current:
                            return default
                        current = current[key]
                    return current
                """
        },
    )
    assert set(found) == {(9, 0.75)}
    assert found[(9, 0.75)].kind is Kind.DEFAULT
    assert found[(9, 0.75)].direction is Direction.ABOVE


def test_a_reader_nested_in_a_handler_that_falls_back_with_or_is_a_getter():
    """``_get("MIN_SCORE", "0.7")`` where ``_get`` returns ``stored.get(key) or default``.

    A request handler's own reader of settings (defined inside it) that tries a stored value,
    then the environment, then its default: the call's key and default are a setting's, as
    ``os.getenv("MIN_SCORE", "0.7")``'s are. A helper whose ``or`` chain ends in something
    other than a parameter (``or 0.5``) is no reader of its callers' defaults; a key no
    similarity reads (``TOP_K``) makes no threshold.
    """
    found = scan(
        """
        import os

        def get_settings(stored):
            def _get(key, default):
                return stored.get(key) or os.environ.get(key) or default

            def _other(key, default):
                return stored.get(key) or 0.5

            return {
                "top_k": int(_get("TOP_K", "5")),
                "min_score": float(_get("MIN_SCORE", "0.7")),
                "floor": float(_other("MIN_SCORE", "0.6")),
            }

        def search(store, q):
            floor = float(os.environ.get("MIN_SCORE", "0.3"))
            return [h for h in store.search(q) if h.score >= floor]
        """
    )
    assert set(found) == {(13, 0.7), (18, 0.3)}


def test_a_method_called_on_an_object_its_class_names_returns_what_its_code_says():
    """``entry.matches_query(q)`` on the module's ``MemoryEntry``: a ratio of word counts.

    The one method of that name in the module, of a class whose name the receiver's says
    (``entry``, ``MemoryEntry``), is the one called: what it returns (a word overlap) is no
    embedding similarity, and its zero floor is no cutoff; ``chunk.cosine(q)`` on a ``Chunk``
    returns a dot product of embeddings, and its zero floor drops results.
    """
    found = scan(
        """
        class MemoryEntry:
            def matches_query(self, query):
                words = set(query.lower().split())
                overlap = len(words & set(self.content.lower().split()))
                if overlap == 0:
                    return 0.0
                return min(overlap / len(words), 0.8)

        class Chunk:
            def cosine(self, query):
                return float(self.vector @ self.encoder.encode(query))

        class Memory:
            def retrieve(self, query, store):
                scored = []
                for entry in self._entries:
                    relevance = entry.matches_query(query)
                    if relevance > 0.0:
                        scored.append((relevance, entry))
                for chunk in self._chunks:
                    similarity = chunk.cosine(query)
                    if similarity > 0.0:
                        scored.append((similarity, chunk))
                return scored
        """
    )
    assert set(found) == {(23, 0.0)}


def test_a_name_bound_in_a_function_is_not_the_modules_name_of_the_same_spelling():
    """A function's ``result`` dict is not the module's ``result = system.verify(...)``.

    A name a function binds is local to it: where its own bindings say nothing of its
    origin, the module's binding of the same name (here a method returning a model's
    probability, at the end of the file) does not speak for it.
    """
    found = scan(
        """
        from sentence_transformers import util

        class VerificationSystem:
            def verify(self, text):
                return {"score": self.classifier.predict_proba([text])[0][1]}

            def check(self, claim, evidences):
                result = {"claim": claim}
                if self.model is not None:
                    claimed, found = self.model.encode(claim), self.model.encode(evidences)
                    similarities = util.cos_sim(claimed, found)
                    result["support_score"] = round(similarities[0].max().item(), 4)
                else:
                    result["support_score"] = evidences[0].get("score", 0) if evidences else 0
                support_score = result["support_score"]
                if support_score > 0.7:
                    return "supported"
                return "unsupported"

        system = VerificationSystem()
        result = system.verify("a claim")
        """
    )
    assert set(found) == {(17, 0.7)}


def test_a_cosine_of_vectors_fitted_on_texts_compares_term_weights():
    """``cosine_similarity(vec.fit_transform(texts))``: a TF-IDF's cosine, a keyword score.

    A vectorizer fitted on the texts it compares (whatever it is called) gives term weights,
    and so does a parameter annotated as a scipy sparse matrix: their cosines are lexical,
    and a threshold on them no embedding model's. A projection fitted on embeddings
    (``umap_model.fit_transform(embeddings)``) still holds the model's geometry.
    """
    found = scan(
        """
        from scipy.sparse import csr_matrix
        from sklearn.metrics.pairwise import cosine_similarity

        def categorize(ctx, emails, threshold=0.25):
            texts = [f"{e['subject']} {e['body']}" for e in emails]
            tfidf_matrix = ctx.make_vectorizer().fit_transform(texts)
            similarities = cosine_similarity(tfidf_matrix)
            return [(i, j) for i in range(len(emails)) for j in range(len(emails))
                    if similarities[i][j] >= threshold]

        def near_duplicate(char_vector: csr_matrix, accepted, char_threshold=0.8):
            return bool((cosine_similarity(char_vector, accepted)[0] >= char_threshold).any())

        def group(model, umap_model, items, cutoff=0.8):
            reduced = umap_model.fit_transform(model.encode(items))
            sims = cosine_similarity(reduced)
            return [(i, j) for i in range(len(items)) for j in range(len(items))
                    if sims[i][j] >= cutoff]
        """
    )
    assert set(found) == {(15, 0.8)}


def test_a_threshold_keyword_to_a_libraries_semantic_class_is_a_similarity_cutoff():
    """``SemanticDoubleMergingSplitterNodeParser(initial_threshold=initial_threshold)``.

    llama-index compares what a caller hands a similarity-named class's threshold keyword with
    a similarity: the caller's defaults and the values it passes are those cutoffs, kept above.
    A threshold handed to a library's class that does not say similarity (a sentence
    splitter) is not.
    """
    found = scan(
        """
        from llama_index.core.node_parser import SemanticDoubleMergingSplitterNodeParser
        from llama_index.core.node_parser import SentenceSplitter

        def compute(model_name, initial_threshold=0.45, merging_threshold=0.35, size=1200):
            splitter = SemanticDoubleMergingSplitterNodeParser(
                initial_threshold=initial_threshold,
                merging_threshold=merging_threshold,
                max_chunk_size=size,
            )
            return splitter, SentenceSplitter(chunk_size=size, threshold=0.6)

        if __name__ == "__main__":
            compute("minilm", initial_threshold=0.9, merging_threshold=0.4)
        """
    )
    assert set(found) == {(5, 0.45), (5, 0.35), (14, 0.9), (14, 0.4)}
    assert {f.direction for f in found.values()} == {Direction.ABOVE}
    assert {f.metric for f in found.values()} == {Metric.SIMILARITY}


def test_community_detections_threshold_by_position_is_a_cosine_kept_above():
    """``util.community_detection(embeddings, threshold, min_size)``: sentence-transformers.

    Its second argument is the cosine two sentences need to be neighbours, by position as by
    keyword: the constant a method's default passes there is that cutoff, as is a number
    written in the call. The third (a community's size) is not.
    """
    found = scan(
        """
        from sentence_transformers import util

        DEFAULT_CLUSTER_THRESHOLD = 0.70

        class Clusterer:
            def get_clusters(self, sentences, threshold=DEFAULT_CLUSTER_THRESHOLD, size=5):
                embeddings = self.model.encode(sentences)
                return util.community_detection(embeddings, threshold, size)

        def direct(embeddings):
            return util.community_detection(embeddings, 0.8, 10)
        """
    )
    assert set(found) == {(4, 0.7), (12, 0.8)}
    assert {(f.direction, f.metric) for f in found.values()} == {
        (Direction.ABOVE, Metric.SIMILARITY)
    }


def test_a_score_named_attribute_a_method_sets_from_a_defaulted_parameter_is_a_bound():
    """``self.minimal_similarity_zeroshot``, set by ``zeroshot_pre_train(..., 0.8)``.

    Not only the constructor takes settings: a method's parameter with a default, kept on
    ``self``, is the bound the similarities are compared with later. One a method keeps from
    a score it computes (a running best) is still a second score.
    """
    found = scan(
        """
        import numpy as np
        from sklearn.metrics.pairwise import cosine_similarity

        class KeywordAdapter:
            def zeroshot_pre_train(self, words, minimal_similarity_zeroshot: float = 0.8):
                self.word_embeddings = self.model.embed(words)
                self.minimal_similarity_zeroshot = minimal_similarity_zeroshot

            def track(self, candidate):
                self.best_similarity = np.max(cosine_similarity(candidate, self.word_embeddings))

            def adapt(self, candidates):
                kept = []
                for candidate in candidates:
                    max_similarity = np.max(cosine_similarity(candidate, self.word_embeddings))
                    if max_similarity >= self.minimal_similarity_zeroshot:
                        kept.append(candidate)
                    if max_similarity > self.best_similarity + 0.05:
                        kept.append(candidate)
                return kept
        """
    )
    assert set(found) == {(6, 0.8)}
    assert found[(6, 0.8)].direction is Direction.ABOVE


def test_a_filter_tuple_compares_its_column_and_a_complement_is_a_distance_however_small():
    """``filters=[("cosine_sim_score", ">=", 1.0 - self.eps)]``: NeMo Curator's SemDeDup.

    A filter written as a column, an operator and a value (pyarrow's and pandas'
    ``read_parquet``) compares that column: a number there is a cutoff of the score the column
    names. A setting a similarity must reach the complement of is the greatest distance kept,
    however small (``eps = 0.01``): no float-equality slack, whatever the name says. A filter
    on a column that is no score (``size``), and a tolerance in a closeness test, are not.
    """
    found = scan(
        """
        import numpy as np
        import pandas as pd
        from dataclasses import dataclass

        @dataclass
        class IdentifyDuplicatesStage:
            eps: float

            def process(self, path):
                filters = [("cosine_sim_score", ">=", 1.0 - self.eps)]
                return pd.read_parquet(path, filters=filters)

        def run(path, eps: float = 0.01, rows: int = 5, atol: float = 1e-6):
            kept = pd.read_parquet(path, filters=[("similarity", ">", 0.8), ("size", ">", 0.5)])
            same = np.abs(kept.similarity - 1.0) < atol
            return IdentifyDuplicatesStage(eps=eps).process(path), same
        """
    )
    assert set(found) == {(14, 0.01), (15, 0.8)}
    assert (found[(14, 0.01)].direction, found[(14, 0.01)].metric) == (
        Direction.BELOW,
        Metric.DISTANCE,
    )
    assert found[(15, 0.8)].direction is Direction.ABOVE


def test_a_mask_assigned_a_blank_drops_what_it_selects():
    """``distances[distances > 1 - similarity_threshold] = np.nan``: dup-hawk's duplicates.

    Entries a comparison selects and then blanks out (NaN, None, zero, minus infinity) are
    dropped: the comparison keeps the other side (similarities at least the threshold, here,
    and those at least ``floor``); a mask assigned a value (``= 1``) keeps what it selects.
    """
    found = scan(
        """
        import numpy as np

        def dedup(embeddings, similarity_threshold: float = 0.85, floor=0.3, cut=0.6):
            distances = 1 - embeddings @ embeddings.T
            distances[distances > 1 - similarity_threshold] = np.nan
            sims = embeddings @ embeddings.T
            sims[sims < floor] = 0
            linked = np.zeros_like(sims)
            linked[sims >= cut] = 1
            return distances, sims, linked
        """
    )
    assert {key: f.direction for key, f in found.items()} == {
        (4, 0.85): Direction.ABOVE,
        (4, 0.3): Direction.ABOVE,
        (4, 0.6): Direction.ABOVE,
    }
    assert found[(4, 0.85)].metric is Metric.SIMILARITY


def test_a_ladder_whose_rungs_write_messages_or_assign_labels_grades_a_score():
    """``if overall_score > 0.75: summary.append("HIGH credibility") elif ...``: a grading.

    A score of unknown origin turned into levels by rungs that write a message down or assign
    several labels keeps and drops nothing; rungs that put the item itself somewhere
    (``strong.append(doc)``) sort it by the score, and stay reported.
    """
    found = scan(
        """
        def summarize(overall_score, summary):
            if overall_score > 0.75:
                summary.append("credibility HIGH")
            elif overall_score > 0.55:
                summary.append(f"credibility MEDIUM to HIGH ({overall_score})")
            elif overall_score > 0.25:
                summary.append("credibility LOW to MEDIUM")
            else:
                summary.append("credibility LOW")

        def level(cred, score):
            if score >= 0.7:
                level_uri = cred.High
                info_class = cred.HighInformation
            elif score >= 0.4:
                level_uri = cred.Medium
                info_class = cred.MediumInformation
            else:
                level_uri = cred.Low
                info_class = cred.LowInformation
            return level_uri, info_class

        def sort(docs, strong, weak, rest):
            for doc in docs:
                if doc.score > 0.8:
                    strong.append(doc)
                elif doc.score > 0.5:
                    weak.append(doc)
                else:
                    rest.append(doc)
        """
    )
    assert set(found) == {(26, 0.8), (28, 0.5)}


def test_a_range_searchs_radius_given_by_keyword_is_compared_too():
    """``index.range_search(batch, thresh=threshold)``: faiss's radius, by keyword.

    As by position, the setting handed there is the radius of what the index keeps; a
    keyword that is no radius (``params=``) is not, nor is a call that gives none.
    """
    found = scan(
        """
        def find_matches(embeddings, index, threshold: float = 0.7, batch_size: float = 0.5):
            limits, distances, indices = index.range_search(embeddings, thresh=threshold)
            return index.range_search(embeddings, params=batch_size), limits
        """
    )
    assert set(found) == {(2, 0.7)}


def test_a_click_options_default_is_the_decorated_commands_parameter():
    """``@click.option("--tolerance", default=0.6)`` over ``def main(..., tolerance)``.

    click hands the option's value to the command's parameter of that name, which passes it on
    to where a face distance is compared with it; an option the command names otherwise
    (``--cpus``, a count) is no threshold, nor is one whose parameter compares nothing.
    """
    found = scan(
        """
        import click

        def face_distance(known, face):
            return np.linalg.norm(known - face, axis=1)

        def test_image(image, known, tolerance=0.5):
            distances = face_distance(known, image)
            return list(distances <= tolerance)

        @click.command()
        @click.option("--tolerance", default=0.6, help="Tolerance for face comparisons.")
        @click.option("--cpus", default=1)
        @click.option("--width", default=0.8)
        def main(image, known, tolerance, cpus, width):
            print(width)
            return test_image(image, known, tolerance)
        """
    )
    assert set(found) == {(7, 0.5), (12, 0.6)}
    assert found[(12, 0.6)].direction is Direction.BELOW


def test_a_score_named_attribute_the_constructor_sets_from_config_is_a_bound():
    """``cos_max < self.gallery_dupe_cos``: two score names, but one is a setting.

    An attribute named like a score that ``__init__`` takes from a config getter, a literal or
    a parameter is the bound scores are compared with; one a method keeps as the best score
    seen so far (``self.best_cos = cos``) is a second score, and no cutoff.
    """
    found = scan(
        """
        import numpy as np

        class WorkingMemory:
            def __init__(self, cfg):
                self.gallery_dupe_cos = float(cfg.get("gallery_dupe_cos", 0.995))
                self.best_cos = 0.0

            def update(self, gallery, e):
                cos_max = float(np.max(gallery @ e))
                if cos_max > self.best_cos:
                    self.best_cos = cos_max
                return cos_max < self.gallery_dupe_cos
        """
    )
    assert set(found) == {(6, 0.995)}


def test_a_sparse_selection_of_frames_is_no_sparse_vector():
    """``_select_sparse_frames`` picks few frames by the cosine distance of their embeddings.

    ``sparse`` says lexical where it names sparse vectors (a ``SparseEncoder``, a
    ``ClusteringAlgoSparse`` over TF-IDF matrices); a sparse selection of frames compares
    embeddings like any other code.
    """
    found = scan(
        """
        import numpy as np

        class FrameSelector:
            def _select_sparse_frames(self, frames, semantic_threshold=0.25):
                kept = [frames[0]]
                for frame in frames[1:]:
                    semantic_distance = 1.0 - float(np.dot(kept[-1].embedding, frame.embedding))
                    if semantic_distance >= semantic_threshold:
                        kept.append(frame)
                return kept

        class ClusteringAlgoSparse:
            def __init__(self, threshold=0.65):
                self.t = threshold

            def add(self, vectors, index):
                distances = 1 - (vectors @ index.T).toarray()
                return np.where(distances.min(axis=1) < self.t)
        """
    )
    assert set(found) == {(5, 0.25)}


def test_a_ratio_of_two_scores_is_no_cutoff():
    """``result.score / existing.score > 0.95`` compares two scores with each other.

    Whatever model made them, a ratio of two of its scores is relative (a near-duplicate's
    score close to the one kept); the score itself compared with a number is a cutoff.
    """
    found = scan(
        """
        def merge(results, existing):
            for result in results:
                if existing.score > 0 and result.score / existing.score > 0.95:
                    continue
                if result.score >= 0.35:
                    yield result
        """
    )
    assert set(found) == {(6, 0.35)}


def test_an_instance_made_in_a_classmethod_sets_the_class_own_attributes():
    """``obj = cls.__new__(cls)`` then ``obj.tau = meta.get("tau", 0.05)`` sets ``self.tau``.

    A loader restoring a saved classifier gives the fallback of its distance cutoff; the
    comparison (``sorted_distances[0] <= tau``) reads it as ``self.tau`` in another method.
    """
    found = scan(
        """
        import pickle

        class KNNClassifier:
            def __init__(self, tau: float = 0.05):
                self.tau = tau

            def predict(self, query):
                distances = self.index.search(query)
                sorted_distances = sorted(distances)
                tau = self.tau
                if sorted_distances[0] <= tau:
                    return self.labels[0]
                return None

            @classmethod
            def from_disk(cls, path):
                with open(path, "rb") as f:
                    meta = pickle.load(f)
                obj = cls.__new__(cls)
                obj.tau = meta.get("tau", 0.04)
                return obj
        """
    )
    assert set(found) == {(5, 0.05), (21, 0.04)}


def test_a_cutoff_passed_on_by_a_name_ending_in_sim_is_followed():
    """``label_sim_min=self.label_sim_min`` in a method with no other score word passes it on.

    The method is walked for the name alone (``sim_``), so the default reaches the
    comparison in the vector store's module (``sim < label_sim_min`` with ``sim = 1 - dist``).
    """
    found = scan(
        """
        from mapper.store import VectorStore

        class Mapper:
            def __init__(self, store: VectorStore, label_sim_min: float = 0.5):
                self.store = store
                self.label_sim_min = label_sim_min

            def lookup(self, row):
                return self.store.search(
                    label_embedding=row["label_emb"],
                    label_sim_min=self.label_sim_min,
                )
        """,
        path="mapper/mapper.py",
        **{
            "mapper/store.py": """
                class VectorStore:
                    def search(self, label_embedding, label_sim_min=None):
                        found = self.col.query(query_embeddings=[label_embedding])
                        kept = []
                        for meta, dist in zip(found["metadatas"][0], found["distances"][0]):
                            sim = 1 - dist
                            if label_sim_min is not None and sim < label_sim_min:
                                continue
                            kept.append((meta, sim))
                        return kept
                """
        },
    )
    assert set(found) == {(5, 0.5)}


def test_a_cutoff_passed_to_a_similarity_search_is_one_in_any_module():
    """``similarity_search(vec, threshold=0.4)`` in a module about (ESG) metrics is a cutoff.

    A module's path about metrics makes its thresholds an evaluation's pass bars; a call that
    searches by similarity says what its ``threshold`` is about, while a grader's in the same
    module stays a grade.
    """
    found = scan(
        """
        from esg.storage import similarity_search
        from esg.grading import grade

        def extract(encoder, query, document_id):
            query_vec = encoder.encode(query)
            chunks = similarity_search(query_vec, document_id=document_id, k=5, threshold=0.4)
            verdict = grade(chunks, threshold=0.7)
            return chunks, verdict
        """,
        path="esg/metrics/extractor.py",
    )
    assert set(found) == {(7, 0.4)}


def test_a_module_constant_passed_as_a_clustering_threshold_is_its_cutoff():
    """``average_linkage(m, CLUSTER_DISTANCE)`` merges while a cosine distance is below it.

    The distance is picked by ``np.where(mask, dist, np.inf)`` (one of its two branches) from
    ``1 - v @ v.T``; the constant is named for a distance, not for a threshold, but it is
    passed as one, where a running best score (a local) would not be.
    """
    found = scan(
        """
        import numpy as np

        CLUSTER_DISTANCE = 0.45

        def average_linkage(vectors, threshold):
            dist = 1.0 - np.clip(vectors @ vectors.T, -1.0, 1.0)
            active = np.ones(len(vectors), dtype=bool)
            while active.sum() > 1:
                masked = np.where(np.outer(active, active), dist, np.inf)
                i, j = divmod(int(np.argmin(masked)), len(vectors))
                if masked[i, j] > threshold:
                    break
                active[j] = False
            return active

        def interests(matrix):
            return average_linkage(matrix, CLUSTER_DISTANCE)
        """
    )
    assert set(found) == {(4, 0.45)}


def test_distances_made_an_array_are_distances_and_sparse_vectors_are_lexical():
    """``np.array(distances) < self.t`` compares distances with ``t = threshold``.

    The same clustering on sparse (TF-IDF) vectors, in a class named so, bounds a keyword
    score's distances: the embedding model is not in it.
    """
    found = scan(
        """
        import numpy as np
        from sklearn.neighbors import NearestNeighbors

        class ClusteringAlgo:
            def __init__(self, threshold=0.65, window_size=300):
                self.t = threshold
                self.w = window_size

            def assign(self, window, vectors):
                nn = NearestNeighbors(n_neighbors=1, metric="cosine").fit(window)
                distances, neighbors = nn.kneighbors(vectors)
                under_t = np.array(distances) < self.t
                return neighbors[under_t]

        class ClusteringAlgoSparse:
            def __init__(self, threshold=0.55, window_size=300):
                self.t = threshold
                self.w = window_size

            def assign(self, window, vectors):
                nn = NearestNeighbors(n_neighbors=1, metric="cosine").fit(window)
                distances, neighbors = nn.kneighbors(vectors)
                under_t = np.array(distances) < self.t
                return neighbors[under_t]
        """
    )
    assert set(found) == {(6, 0.65)}


@pytest.mark.parametrize(
    ("vectorize", "reported"),
    [
        ("TfidfVectorizer(ngram_range=(1, 2)).fit_transform(texts)", set()),
        ("model.encode(texts)", {(6, 0.3)}),
    ],
)
def test_cutoffs_of_a_module_that_scores_by_tfidf_alone_are_lexical(vectorize, reported):
    """A module that builds TF-IDF vectors, and nothing dense, compares term weights.

    Its buckets of cosine scores bound a keyword score (the embedding model is not in it),
    even in a function that does not build the vectors itself; the same module encoding
    texts with a model bounds embeddings' cosines.
    """
    found = scan(
        f"""
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.metrics.pairwise import cosine_similarity

        def bucket(score: float) -> str:
            if score >= 0.3:
                return "direct"
            return "none"

        def align(texts, targets, model=None):
            matrix = {vectorize}
            return [bucket(s) for s in cosine_similarity(matrix[: len(targets)], matrix).max(1)]
        """
    )
    assert set(found) == reported


def test_a_tfidf_builder_imported_inside_a_function_makes_the_module_lexical():
    """``from sklearn... import TfidfVectorizer`` inside the function that needs it.

    An optional dependency is often imported lazily; the module still scores by term weights,
    so its duplicate cutoff bounds a keyword score, as with the import at the top.
    """
    found = scan(
        """
        import numpy as np

        SIMILARITY_THRESHOLD = 0.45

        def similarity_matrix(texts):
            from sklearn.feature_extraction.text import TfidfVectorizer
            from sklearn.metrics.pairwise import cosine_similarity

            return cosine_similarity(TfidfVectorizer().fit_transform(texts))

        def duplicates(texts, threshold=SIMILARITY_THRESHOLD):
            matrix = similarity_matrix(texts)
            return np.argwhere(matrix >= threshold)
        """
    )
    assert found == {}


def test_a_cosine_in_a_lexical_scorer_is_a_keyword_score():
    """A ``_LexicalScorer``'s cosine of TF-IDF vectors bounds no embeddings.

    The setting it is compared with (``lex_floor=0.10``, passed in from a shipped operating
    point) is a keyword score's floor; a hybrid search that uses BM25 beside
    ``self.embeddings`` still compares the vector store's score with its own cutoff.
    """
    found = scan(
        """
        from rank_bm25 import BM25Okapi
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.metrics.pairwise import cosine_similarity as sklearn_cosine

        class _LexicalScorer:
            def __init__(self, threshold):
                self._threshold = threshold
                self._vectorizer = TfidfVectorizer()

            def query(self, prompt):
                q_vec = self._vectorizer.transform([prompt])
                scores = sklearn_cosine(q_vec, self._matrix).flatten()
                return [i for i, score in enumerate(scores) if score >= self._threshold]

        def shipped():
            return _LexicalScorer(threshold=0.1)

        class Retriever:
            def hybrid_search(self, query, k=5):
                results = self.index.query(vector=self.embeddings.embed_query(query), top_k=15)
                top_score = results.matches[0].score
                if top_score > 0.90:
                    return results.matches[:k]
                bm25 = BM25Okapi([m.metadata["text"].split() for m in results.matches])
                return bm25.get_top_n(query.split(), results.matches, n=k)
        """
    )
    assert set(found) == {(23, 0.9)}


def test_a_tf_idf_classifier_named_in_camel_case_is_lexical():
    """``TfIdfClassifier``'s cosine of term-weight dicts: TF-IDF however it is cased.

    Its intent cutoff (``threshold: float = 0.15``) bounds no embeddings; an intent router
    beside it that ranks by an encoder's cosine keeps its own.
    """
    found = scan(
        """
        import math

        class TfIdfClassifier:
            def _cosine(self, a, b):
                dot = sum(a.get(w, 0.0) * v for w, v in b.items())
                return dot / (math.sqrt(sum(x * x for x in a.values())) or 1e-9)

            def classify(self, text, threshold: float = 0.15):
                scores = [self._cosine(self._tfidf(text), pv) for pv in self.phrase_vecs]
                best_score = max(scores)
                return None if best_score < threshold else self.labels[scores.index(best_score)]

        class EmbeddingIntentRouter:
            def route(self, text, threshold: float = 0.6):
                scores = [self._cosine(self.encoder.encode(text), v) for v in self.vectors]
                best_score = max(scores)
                return None if best_score < threshold else self.labels[scores.index(best_score)]
        """,
        path="bot/intent/router.py",
    )
    assert set(found) == {(15, 0.6)}


def test_a_function_imported_from_a_fuzzy_module_returns_a_string_ratio():
    """``from pkg.fuzzy import similarity``: what it scores is a string ratio, whatever its name.

    The setting compared with its scores (``match_threshold: float = 0.92``) bounds no
    embeddings.
    """
    found = scan(
        """
        from dataclasses import dataclass

        from pkg.fuzzy import similarity

        @dataclass
        class Options:
            match_threshold: float = 0.92

        def pair(options: Options, refs, pool):
            threshold = options.match_threshold
            for ref in refs:
                scored = sorted(((similarity(a.source, ref.source), a) for a in pool), reverse=True)
                if not scored or scored[0][0] < threshold:
                    continue
                yield ref, scored[0][1]
        """,
        path="pkg/upgrade.py",
        **{
            "pkg/fuzzy.py": """
                from difflib import SequenceMatcher

                def similarity(a: str, b: str) -> float:
                    return SequenceMatcher(None, a.lower(), b.lower()).ratio()
                """
        },
    )
    assert found == {}


def test_a_ui_widget_value_under_a_state_key_is_a_default():
    """``st.slider(..., value=0.65, key="para_threshold")`` starts the setting at 0.65.

    Read back as ``st.session_state.get("para_threshold", 0.6)`` and passed on to the
    comparison of a chunk's similarity, both literals are the cutoff's defaults.
    """
    found = scan(
        """
        import streamlit as st

        def sidebar():
            st.slider(
                "Paragraph display threshold",
                min_value=0.3,
                max_value=0.9,
                value=0.65,
                key="para_threshold",
            )

        def show(results):
            threshold = st.session_state.get("para_threshold", 0.6)
            for result in results:
                if result.best_chunk_similarity >= threshold:
                    st.write(result.paragraph)
        """,
        path="webapp/app.py",
    )
    assert set(found) == {(9, 0.65), (14, 0.6)}


def test_a_cutoff_named_thr_bounding_sims_is_followed_to_its_constants():
    """``sims >= thr`` in a helper passes its cutoff on to the constants given for ``thr``.

    ``thr`` is a threshold's name as ``thresh`` is, and a function whose only score word is
    ``sims`` is still read; the module's constants named for a cosine or for semantic
    duplicates are its cutoffs.
    """
    found = scan(
        """
        import numpy as np

        IMAGE_COS = 0.94
        TEXT_SEMANTIC = 0.98

        def pairs_at_least(vecs, thr):
            for i in range(0, len(vecs), 512):
                sims = vecs[i : i + 512] @ vecs.T
                rows, cols = np.nonzero(sims >= thr)
                yield from zip(rows + i, cols)

        def duplicates(images, texts):
            found = list(pairs_at_least(images, IMAGE_COS))
            return found + list(pairs_at_least(texts, TEXT_SEMANTIC))
        """
    )
    assert set(found) == {(4, 0.94), (5, 0.98)}


def test_a_function_whose_only_score_word_is_a_bare_sim_is_read():
    """``if sim < self.cfg.emb_cut: continue`` in a loop over a KNN index's hits.

    The function says no score word but ``sim``; it is read, and the setting's default
    (``emb_cut: float = 0.80`` in a config dataclass) is the cutoff.
    """
    found = scan(
        """
        from dataclasses import dataclass

        @dataclass
        class MapConfig:
            emb_cut: float = 0.80

        class Mapper:
            def __init__(self, cfg: MapConfig, index):
                self.cfg = cfg
                self.index = index

            def candidates(self, q):
                kept = []
                for idx, sim in self.index.search(q, top_k=10):
                    if sim < self.cfg.emb_cut:
                        continue
                    kept.append(idx)
                return kept
        """
    )
    assert set(found) == {(6, 0.8)}


def test_a_pytest_ini_option_default_is_read_back_by_getini():
    """``parser.addini("semantic_assert_threshold", default="0.85")`` then ``getini(...)``.

    The ini option's default (a number in a string) is the cutoff of the similarity the
    plugin's assertion compares with the value read back.
    """
    found = scan(
        """
        def pytest_addoption(parser):
            parser.addini("semantic_assert_threshold", type="string", default="0.85")
        """,
        path="plugin/plugin.py",
        **{
            "plugin/assertions.py": """
                def assert_similar(config, model, actual, expected):
                    threshold = float(config.getini("semantic_assert_threshold"))
                    score = model.similarity(model.encode(actual), model.encode(expected))
                    if score < threshold:
                        raise AssertionError(f"similarity {score} below {threshold}")
                """
        },
    )
    assert set(found) == {(3, 0.85)}


def test_cypher_after_its_own_comments_and_a_score_under_another_name():
    """A Cypher query opening with ``//`` is read; ``score as colScore`` names the score.

    ``col`` alone names a column elsewhere, so ``colScore`` is a score only by its alias; a
    count aliased the same way (``count(*) AS hitScore``) is not one.
    """
    found = scan(
        '''
        COLUMNS = """
        // Find similar columns by embedding
        CALL db.index.vector.queryNodes('column_vector_index', $k, $embedding)
        YIELD node AS col, score AS colScore
        WHERE colScore > 0.5
        RETURN col
        """

        HITS = """
        MATCH (d:Doc)-[:CITES]->(c)
        WITH c, count(*) AS hitScore
        WHERE hitScore > 0.2
        RETURN c
        """
        '''
    )
    assert found[(6, 0.5)].metric is Metric.SIMILARITY
    assert (13, 0.2) not in found


def test_a_score_followed_through_records_built_from_a_searchs_distances():
    """Novelty bands on ``1 - max(similarity)`` of records built from a search's distances.

    Eight steps back from the comparison to the search: the record list, its dicts, the
    rounding, the conversion from distance; an evaluation module's context does not rule.
    """
    found = scan(
        """
        def evaluate(idea, store, llm):
            similar = []
            embedding = llm.get_embedding(idea)
            results = store.search_patents(embedding, limit=5)
            for patent, distance in results:
                similarity = max(0.0, 1.0 - distance)
                similar.append({"id": patent.id, "similarity": round(similarity, 3)})
            if similar:
                best = max(p["similarity"] for p in similar)
                novelty_score = 1.0 - best
            else:
                novelty_score = 1.0
            if novelty_score > 0.8:
                return "highly novel"
            if novelty_score > 0.5:
                return "moderately novel"
            return "low novelty"
        """,
        path="app/engine/evaluator.py",
    )
    assert found[(14, 0.8)].metric is Metric.SIMILARITY
    assert found[(16, 0.5)].metric is Metric.SIMILARITY


def test_a_score_named_for_an_edit_distance_is_a_string_ratio():
    """``matches.score_lev > threshold_grapheme`` bounds a Levenshtein ratio, not embeddings.

    The embedding cosine beside it (``matches.score``) keeps its threshold.
    """
    found = scan(
        """
        def duplicate_types(matches, threshold_grapheme=0.693, threshold_semantic=0.85):
            matches["score_lev"] = [similarity_levenshtein(a, b) for a, b in matches.pairs]
            copies = matches[matches.score_lev > threshold_grapheme]
            near = matches[matches.score > threshold_semantic]
            return copies, near
        """
    )
    assert (2, 0.693) not in found
    assert found[(2, 0.85)].direction is Direction.ABOVE


def test_code_that_names_string_similarities_and_no_embeddings_has_no_similarity_cutoffs(tmp_path):
    """A book matcher's Jaro-Winkler ``similarity >= 0.80``: nothing scanned embeds anything.

    Nor is a setting compared with such a similarity (``similarity_threshold``) a cutoff of
    embeddings. Both are, once any file of the scan names embeddings.
    """
    (tmp_path / "similarity.py").write_text(
        "from rapidfuzz.distance import JaroWinkler\n"
        "\n"
        "def title_similarity(a, b):\n"
        "    return JaroWinkler.similarity(a, b)\n"
    )
    (tmp_path / "engine.py").write_text(
        "from similarity import title_similarity\n"
        "\n"
        "def verdict(factor, similarity_threshold=0.85):\n"
        "    if factor.similarity >= 0.80:\n"
        "        return 'accept'\n"
        "    return 'review' if factor.similarity >= similarity_threshold else 'reject'\n"
    )

    def reported():
        result = scan_sources(collect([tmp_path]), jobs=1)
        return {(f.path, f.line, f.value) for f in result.findings if f.level != "low"}

    assert reported() == set()
    (tmp_path / "index.py").write_text("def add(store, title, embedder):\n    ...\n")
    assert reported() == {("engine.py", 3, 0.85), ("engine.py", 4, 0.8)}


def test_where_a_running_best_starts_is_no_cutoff():
    """``max_certainty = 0.5``, then ``max(max_certainty, score)``: the floor of what is returned.

    A best kept only from scores that beat it starts from a cutoff (nothing below it
    matches), and so does a threshold adjusted from itself.
    """
    found = scan(
        """
        def certainty(markers, text):
            max_certainty = 0.5
            for marker, score in markers.items():
                if marker in text:
                    max_certainty = max(max_certainty, score)
            return max_certainty

        def best_match(query, docs):
            best_sim, match = 0.7, None
            for doc in docs:
                sim = cosine_similarity(query, doc.embedding)
                if sim > best_sim:
                    best_sim, match = sim, doc
            return match

        def keep(hits, short):
            min_similarity = 0.8
            if short:
                min_similarity = min_similarity - 0.05
            return [h for h in hits if h.similarity >= min_similarity]

        answer = best_match("q", docs) if certainty(MARKERS, "t") >= 0.6 else None
        """
    )
    assert (3, 0.5) not in found
    assert found[(10, 0.7)].metric is Metric.SIMILARITY
    assert found[(18, 0.8)].metric is Metric.SIMILARITY


def test_an_option_declared_as_a_record_is_read_back_by_its_name():
    """``{"name": "threshold", "type": float, "default": 0.8}``, then ``args.threshold``.

    A record naming something else (``top_k``) or holding no number is no cutoff.
    """
    found = scan(
        """
        import argparse

        COMMANDS = {
            "search": [
                {"name": "top_k", "nickname": "k", "type": int, "default": 3},
                {"name": "threshold", "nickname": "t", "type": float, "default": 0.8},
                {"name": "remote", "type": bool, "default": False},
            ],
        }

        def search(query, embeddings, top_k=3, threshold=None):
            sims = embeddings @ embed(query)
            return [i for i, s in enumerate(sims) if s >= threshold][:top_k]

        def main(args: argparse.Namespace):
            return search(args.query, load(), top_k=args.top_k, threshold=args.threshold)
        """
    )
    assert found[(7, 0.8)].metric is Metric.SIMILARITY
    assert found[(7, 0.8)].kind is Kind.DEFAULT
    assert set(found) == {(7, 0.8)}


def test_a_tools_json_schema_default_is_read_back_by_its_property_name():
    """An MCP tool's ``inputSchema`` property ``threshold`` with ``"default": 0.7``.

    The handler reads ``arguments.get("threshold", 0.7)`` and compares it with a search's
    similarities: the schema's default is the same setting, where a person changes it. A
    property the handler compares with nothing of the kind (``n_results``) is no cutoff.
    """
    found = scan(
        """
        TOOLS = [
            {
                "name": "similar_documents",
                "inputSchema": {
                    "type": "object",
                    "properties": {
                        "n_results": {"type": "integer", "default": 5},
                        "threshold": {
                            "type": "number",
                            "description": "Minimum similarity 0-1",
                            "default": 0.7,
                        },
                    },
                },
            },
        ]

        def handle(arguments, store):
            threshold = arguments.get("threshold", 0.7)
            hits = store.similarity_search_with_score(arguments["query"], k=arguments["n_results"])
            return [doc for doc, similarity in hits if similarity >= threshold]
        """
    )
    assert set(found) == {(12, 0.7), (20, 0.7)}
    assert found[(12, 0.7)].kind is Kind.DEFAULT


def test_a_presets_settings_splatted_into_a_constructor_are_its_keywords():
    """``TokenMesh(**defaults)`` after ``defaults = dict(dedup_threshold=0.92, ...)``.

    Each key of a mapping built and splatted into a call is the keyword of that name: its
    value is the parameter's, compared with a similarity inside. A key the callee compares
    with nothing of the kind (``chunk_size``) is no cutoff.
    """
    found = scan(
        """
        class TokenMesh:
            def __init__(self, chunk_size=50, dedup_threshold=0.85):
                self.chunk_size = chunk_size
                self.dedup_threshold = dedup_threshold

            def dedup(self, embeddings):
                sims = embeddings @ embeddings.T
                return [i for i, row in enumerate(sims) if row.max() < self.dedup_threshold]

        def lite(**kwargs):
            defaults = dict(chunk_size=80, dedup_threshold=0.92)
            defaults.update(kwargs)
            return TokenMesh(**defaults)

        def aggressive(**kwargs):
            defaults = {"chunk_size": 30, "dedup_threshold": 0.72}
            return TokenMesh(**defaults)
        """
    )
    assert set(found) == {(3, 0.85), (12, 0.92), (17, 0.72)}


def test_a_generic_threshold_is_what_its_fields_or_options_description_says():
    """``Field(default=0.65, description="Min similarity threshold")``, an option's ``help``.

    The values go to a server, so nothing in the code compares them; a description that
    names a string method (``MinHash similarity``) says no embedding similarity.
    """
    found = scan(
        """
        import argparse
        from pydantic import BaseModel, Field

        class ContextArgs(BaseModel):
            context: str = Field(description="Current conversation context")
            semantic_threshold: float = Field(default=0.65, description="Min similarity threshold")
            dedup_threshold: float = Field(default=0.8, description="MinHash similarity threshold")

        parser = argparse.ArgumentParser()
        parser.add_argument("--threshold", type=float, default=0.75, help="cosine cutoff")
        parser.add_argument("--keep-threshold", type=float, default=0.3, help="shown as kept")

        def relevant(client, args: ContextArgs):
            return client.post("/api/relevant", json=args.model_dump())
        """
    )
    assert found[(7, 0.65)].metric is Metric.SIMILARITY
    assert found[(11, 0.75)].metric is Metric.SIMILARITY
    assert (8, 0.8) not in found
    assert (12, 0.3) not in found


def test_the_best_of_similarities_computed_here_bounds_whatever_it_is_compared_with():
    """``float((oc @ theme).max()) >= _GENERIC_TAU``: the best of the products is one of them.

    So is the least of them (``np.min(a @ b.T)``); the metric is a similarity. A product of
    a vector with itself is its squared length, and its best no similarity.
    """
    found = scan(
        """
        import numpy as np

        _GENERIC_TAU = 0.5
        _AGREEMENT = 0.6
        _NORM_LIMIT = 4.0

        def generic(others, theme, answers):
            shared = sum(1 for oc in others if float((oc @ theme).max()) >= _GENERIC_TAU)
            agreed = np.min(answers @ answers.T) >= _AGREEMENT
            big = (theme @ theme).max() > _NORM_LIMIT
            return shared, agreed, big
        """
    )
    assert found[(4, 0.5)].metric is Metric.SIMILARITY
    assert found[(5, 0.6)].metric is Metric.SIMILARITY
    assert (6, 4.0) not in found


def test_a_generic_threshold_is_what_the_comments_at_it_say():
    """``#: Cosine floor for a confident match`` above it, or a comment closing its line.

    A distance alone in a comment may be any (``Distance from neutral``); a cutoff handed to
    ``difflib`` imported in the function is a string ratio's, whatever its comment says.
    """
    found = scan(
        """
        import json

        #: Cosine floor for a confident match: below it, routing abstains.
        #: Calibrated for the default embedding model.
        _BUILTIN_MIN_THRESHOLD = 0.30
        DRIFT_THRESHOLD = 0.05  # cosine distance of the two centroids
        # Distance from neutral below which an edge is pruned.
        DELETE_THRESHOLD = 0.01

        def route(matches):
            send(matches, threshold=_BUILTIN_MIN_THRESHOLD, drift=DRIFT_THRESHOLD)
            return prune(matches, DELETE_THRESHOLD)

        def suggest(word, names):
            import difflib

            # closest names, with a similarity threshold of 0.3
            return difflib.get_close_matches(word, names, n=3, cutoff=0.3)
        """
    )
    assert found[(6, 0.3)].metric is Metric.SIMILARITY
    assert found[(7, 0.05)].metric is Metric.DISTANCE
    assert (9, 0.01) not in found
    assert (19, 0.3) not in found


def test_semhashs_self_deduplicate_threshold_is_a_cosine_kept_above():
    """``SemHash.from_records(records).self_deduplicate(threshold=threshold)``, imported lazily.

    What the caller's default is handed there is the duplicates' embedding cosine; a
    ``top_k`` beside it is a count.
    """
    found = scan(
        """
        def deduplicate_surfaces(surfaces, *, threshold: float = 0.95, top_k: int = 5):
            from semhash import SemHash

            records = sorted(set(surfaces))
            return SemHash.from_records(records=records).self_deduplicate(threshold=threshold)
        """
    )
    assert found[(2, 0.95)].metric is Metric.SIMILARITY
    assert found[(2, 0.95)].direction is Direction.ABOVE
    assert set(found) == {(2, 0.95)}


def test_a_divisor_scales_a_threshold_and_passes_no_value_on():
    """``threshold=1.0 - 2.0 * HAMMING / bits``: a hash's cutoff made a cosine, ``bits`` a scale.

    The same parameter's other cutoffs (``threshold=0.92``) are not doubted for it, as they
    are when a size is one of the values the parameter may hold.
    """
    found = scan(
        """
        from dataclasses import dataclass

        HAMMING = 6

        @dataclass
        class Signature:
            name: str
            threshold: float

        def phash_signature():
            bits = 64
            return Signature(name="phash", threshold=1.0 - 2.0 * HAMMING / bits)

        def siglip_signature():
            return Signature(name="siglip", threshold=0.92)
        """,
        **{
            "app/sequence.py": """
            def is_repeat(vector, chosen, signature=None):
                return any(float(vector @ c) >= signature.threshold for c in chosen)
            """
        },
    )
    assert found[(16, 0.92)].metric is Metric.SIMILARITY


def test_mine_hard_negatives_score_keywords_bound_the_miners_similarities():
    """``mine_hard_negatives(..., max_score=config.max_score, relative_margin=...)``.

    sentence-transformers keeps candidate negatives scored at most ``max_score`` and a margin
    below the positive: the config's defaults are those cutoffs; ``range_max`` is a rank.
    """
    found = scan(
        """
        from dataclasses import dataclass

        @dataclass(frozen=True)
        class MiningConfig:
            range_max: int = 50
            max_score: float | None = 0.8
            relative_margin: float | None = 0.05

        def mine(dataset, model, config: MiningConfig):
            from sentence_transformers.util import mine_hard_negatives

            return mine_hard_negatives(
                dataset, model, range_max=config.range_max, max_score=config.max_score,
                relative_margin=config.relative_margin,
            )
        """
    )
    assert found[(7, 0.8)].direction is Direction.BELOW
    assert found[(7, 0.8)].metric is Metric.SIMILARITY
    assert found[(8, 0.05)].direction is Direction.BELOW
    assert set(found) == {(7, 0.8), (8, 0.05)}


def test_a_loops_name_holds_each_number_of_a_literal_list():
    """``for threshold in [0.3, 0.45]: verify(a, b, threshold=threshold)``: each is a cutoff.

    A loop over sizes handed as ``top_k`` is none.
    """
    found = scan(
        """
        def verify(a, b, threshold=0.45):
            return cosine(a, b) >= threshold

        def sweep(a, b, index, query):
            for threshold in [0.3, 0.6]:
                print(threshold, verify(a, b, threshold=threshold))
            for k in (5, 10):
                index.search(query, top_k=k)
        """
    )
    assert set(found) == {(2, 0.45), (6, 0.3), (6, 0.6)}
    assert found[(6, 0.3)].metric is Metric.SIMILARITY


def test_a_name_bound_to_a_similarity_computed_here_holds_one_whatever_its_name():
    """``weight = float(np.dot(a, b))``, then ``if weight > 0.15``: an edge's cosine cutoff.

    ``d = cosine_distance(a, b)`` holds a distance; a product of a classifier's probabilities
    with a mask (``p_out = float(probs @ OUTDOOR)``) is a probability, no similarity.
    """
    found = scan(
        """
        import numpy as np

        def connect(graph, embs, ids, probs, vec, rows):
            for i in range(len(ids)):
                for j in range(i + 1, len(ids)):
                    weight = float(np.dot(embs[i], embs[j]))
                    if weight > 0.15:
                        graph.add_edge(ids[i], ids[j], weight=weight)
            p_out = float(probs @ OUTDOOR)
            outdoor = p_out >= 0.5
            d = cosine_distance(vec, rows[0])
            return outdoor, d <= 0.35
        """
    )
    assert found[(8, 0.15)].metric is Metric.SIMILARITY
    assert (11, 0.5) not in found
    assert found[(13, 0.35)].metric is Metric.DISTANCE


def test_an_images_distance_transform_is_counted_in_pixels():
    """``dt = ndimage.distance_transform_edt(ink)``, then ``dt >= 1.0``: pixels to an edge.

    A cosine distance beside it keeps its cutoff.
    """
    found = scan(
        """
        from scipy import ndimage
        from scipy.spatial.distance import cosine

        def ridge(ink, a, b):
            dt = ndimage.distance_transform_edt(ink)
            d = cosine(a, b)
            return (dt >= 1.0), d <= 0.3
        """
    )
    assert set(found) == {(8, 0.3)}


def test_a_precomputed_clustering_over_cosine_distances_has_a_distance_cutoff():
    """``DBSCAN(eps=eps, metric="precomputed")`` over a matrix built from ``cosine_distances``.

    In a module that computes no cosine, a precomputed matrix may hold any distance.
    """
    found = scan(
        """
        from sklearn.cluster import DBSCAN
        from sklearn.metrics.pairwise import cosine_distances

        def combined(X, G, alpha=0.4):
            return alpha * cosine_distances(X) + (1 - alpha) * graph_distances(G)

        def cluster(X, G, eps: float = 0.35):
            D = combined(X, G)
            return DBSCAN(eps=eps, min_samples=2, metric="precomputed").fit_predict(D)
        """,
        **{
            "app/routes.py": """
            from sklearn.cluster import DBSCAN

            def cluster_stops(D, eps: float = 0.2):
                return DBSCAN(eps=eps, metric="precomputed").fit_predict(D)
            """
        },
    )
    assert found[(8, 0.35)].metric is Metric.DISTANCE
    assert found[(8, 0.35)].direction is Direction.BELOW


def test_an_options_help_that_names_a_model_or_string_score_says_it_is_none():
    """``--min-score`` with ``help="Minimum detection score"`` bounds a detector's score.

    So does a field described as a Levenshtein ratio; a search's ``--min-score`` described as
    a cosine is a cutoff.
    """
    found = scan(
        """
        import click
        from pydantic import BaseModel, Field

        class MatchSettings(BaseModel):
            similarity_threshold: float = Field(0.8, description="Levenshtein similarity of names")

        @click.command()
        @click.option("--min-score", default=0.3, type=float, help="Minimum detection score")
        def detect(min_score):
            return [d for d in run_detector() if d.score >= min_score]

        @click.command()
        @click.option("--min-similarity", default=0.6, type=float, help="Minimum cosine")
        def search(min_similarity):
            return [h for h in index.search(q) if h.score >= min_similarity]
        """
    )
    assert set(found) == {(14, 0.6)}


def test_a_score_named_for_an_entailment_model_is_that_models():
    """``if 0.2 <= nli_score <= 0.8``: an NLI model's probability, not a similarity.

    A cosine beside it keeps its cutoff.
    """
    found = scan(
        """
        def verdict(nli_score, cosine_score):
            if 0.2 <= nli_score <= 0.8:
                return "uncertain"
            return "consistent" if cosine_score >= 0.82 else "inconsistent"
        """
    )
    assert set(found) == {(5, 0.82)}


def test_a_fuzzy_matchers_class_that_embeds_too_is_judged_by_each_comparison():
    """``HybridFuzzyMatcher`` in ``hybrid_fuzzy_matcher.py``: fuzzy ratios and embedding cosines.

    The module's and the class's names say fuzzy, but the class compares ``util.cos_sim`` of
    embeddings too: that cutoff is reported, the fuzzy ratio's (``syntactic_threshold``) not.
    """
    found = scan(
        """
        from thefuzz import fuzz
        from sentence_transformers import SentenceTransformer, util

        class HybridFuzzyMatcher:
            def __init__(self, syntactic_threshold: int = 60, semantic_threshold: float = 0.5):
                self.model = SentenceTransformer("all-MiniLM-L6-v2")
                self.syntactic_threshold = syntactic_threshold
                self.semantic_threshold = semantic_threshold

            def match(self, query, candidate):
                if fuzz.WRatio(query, candidate) < self.syntactic_threshold:
                    return False
                query_embedding = self.model.encode(query, convert_to_tensor=True)
                candidate_embedding = self.model.encode(candidate, convert_to_tensor=True)
                semantic_score = util.cos_sim(query_embedding, candidate_embedding).item()
                return semantic_score >= self.semantic_threshold
        """,
        path="hybrid_fuzzy_matcher/matcher.py",
    )
    assert set(found) == {(6, 0.5)}
    assert found[(6, 0.5)].metric is Metric.SIMILARITY


def test_a_receivers_annotation_says_whose_search_it_is():
    """``scorer.search(q)`` with ``scorer: BM25``: a keyword index's hits, not a vector store's.

    The same search on a parameter annotated with a vector store's class keeps its cutoff.
    """
    found = scan(
        """
        def heuristic(chunk, question, scorer: BM25):
            _, score = scorer.search(question, k=1)[0]
            return 4 if score > 0.3 else 1

        def semantic(question, store: VectorStore):
            _, score = store.search(question, k=1)[0]
            return 4 if score > 0.6 else 1
        """
    )
    assert set(found) == {(8, 0.6)}


def test_a_function_returning_a_settings_default_by_model_is_a_table_of_thresholds():
    """``cfg.similarity or default_similarity(model)``: each number it returns is a cutoff.

    A function that returns only numbers, called in place of a setting, is that setting's
    default, whatever its name; one that computes a score is not.
    """
    found = scan(
        """
        def default_similarity(model):
            if model.startswith("hashing-"):
                return 0.3
            return 0.75

        def similarity(a, b):
            if not a:
                return 0.0
            return dot(a, b)

        def assign(store, vector, model, config):
            threshold = config.similarity or default_similarity(model)
            theme = store.nearest_theme(vector, model)
            return theme is not None and theme[1] >= threshold
        """
    )
    assert found[(4, 0.3)].direction is Direction.ABOVE
    assert found[(4, 0.3)].kind is Kind.DEFAULT
    assert found[(5, 0.75)].level == "high"
    assert (9, 0.0) not in found


def test_a_reciprocal_rank_fusion_scores_ranks_not_the_models_scale():
    """``score < min_score`` on what ``_reciprocal_rank_fusion`` returns bounds no similarity."""
    found = scan(
        """
        class Searcher:
            def search(self, query, min_score: float = 0.3, dense_min: float = 0.4):
                hits = self.store.vector_search(query)
                kept = [h for h in hits if h.score >= dense_min]
                combined = self._reciprocal_rank_fusion(kept, self._fts_search(query))
                return [c for c, score in combined.items() if score >= min_score]
        """
    )
    assert (3, 0.3) not in found
    assert found[(3, 0.4)].direction is Direction.ABOVE


def test_a_score_looked_up_by_key_in_a_map_of_search_scores():
    """``cosine_map.get(mid, 0.0)`` reads the map's score, not the key's origin.

    The keys come from a keyword search, the map from a vector search: the floor bounds the
    vector search's cosine.
    """
    found = scan(
        """
        REPORT_COSINE_FLOOR = 0.25

        class Engine:
            def report(self, clean):
                items = {i.id: i for i, _bm25 in self.db.search_by_keyword_scored(clean)}
                cosine_map = dict(self.vector.search(clean, top_k=5)) if items else {}
                return [mid for mid in items if cosine_map.get(mid, 0.0) >= REPORT_COSINE_FLOOR]
        """
    )
    assert found[(2, 0.25)].direction is Direction.ABOVE
    assert found[(2, 0.25)].metric is Metric.SIMILARITY


def test_a_cosine_given_a_norm_is_a_similarity_and_a_norm_alone_is_a_length():
    """``_cosine_with_query_norm(q, q_norm, v)`` computes a cosine; ``vector_norm(v)`` a length."""
    found = scan(
        """
        def search(query_vec, query_norm, rows):
            scored = []
            for node_id, vec in rows:
                scored.append((node_id, _cosine_with_query_norm(query_vec, query_norm, vec)))
            return [node_id for node_id, score in scored if score > 0.7]

        def lengths(rows):
            kept = []
            for node_id, vec in rows:
                kept.append((node_id, vector_norm(vec)))
            return [node_id for node_id, score in kept if score > 0.7]
        """
    )
    assert found[(6, 0.7)].level == "high"
    assert (12, 0.7) not in found or found[(12, 0.7)].level != "high"


def test_a_class_using_a_fuzzy_matcher_beside_a_semantic_checker_bounds_both_scores():
    """Each comparison says which score it bounds: the fuzzy ratio's cutoff is no similarity's."""
    found = scan(
        """
        from .fuzzy_matcher import FuzzyMatcher
        from .semantic_similarity_checker import SemanticSimilarityChecker

        class Sanitizer:
            def __init__(self, fuzzy_threshold: float = 0.85, similarity_threshold: float = 0.8):
                self.fuzzy_threshold = fuzzy_threshold
                self.similarity_threshold = similarity_threshold
                self.semantic_checker = SemanticSimilarityChecker()

            def flag(self, word, text):
                fuzzy_score = FuzzyMatcher.get_fuzzy_score(word, text)
                semantic_score = self.semantic_checker.check_similarity(word, text)
                return (
                    fuzzy_score > self.fuzzy_threshold
                    or semantic_score > self.similarity_threshold
                )
        """
    )
    assert found[(6, 0.8)].direction is Direction.ABOVE
    assert (6, 0.85) not in found


def test_a_zero_floor_on_a_score_clamped_at_zero_just_before_is_the_clamps_test():
    """``relevance = max(0.0, min(1.0, h.relevance))`` then ``if relevance <= 0.0: continue``."""
    found = scan(
        """
        def seed(hits):
            kept = []
            for h in self.store.search(q):
                relevance = max(0.0, min(1.0, float(h.metadata.get("relevance", 1.0))))
                if relevance <= 0.0:
                    continue
                kept.append(h)
            for h in self.store.search(q):
                if h.score <= 0.0:
                    continue
                kept.append(h)
            return kept
        """
    )
    assert (6, 0.0) not in found
    assert found[(10, 0.0)].level == "medium"


def test_a_constant_of_a_name_another_module_also_defines_is_its_own():
    """Two modules' ``DEFAULT_MIN_SCORE``: each is judged by its own module's comparison.

    The keyword selector's floor on BM25 scores says nothing of the embedding selector's floor
    on cosines that happens to share its name.
    """
    dense = """
        DEFAULT_MIN_SCORE = 0.25

        class EmbeddingSelector:
            def __init__(self, embedder, min_score: float = DEFAULT_MIN_SCORE):
                self._embedder = embedder
                self._min_score = min_score

            def select(self, query, docs):
                q = self._embedder.embed(query)
                return [d for d in docs if cosine_similarity(q, d.vector) > self._min_score]
        """
    lexical = """
        from rank_bm25 import BM25Okapi

        DEFAULT_MIN_SCORE = 0.25

        class LexicalSelector:
            def __init__(self, corpus, min_score: float = DEFAULT_MIN_SCORE):
                self._bm25 = BM25Okapi(corpus)
                self._min_score = min_score

            def select(self, query, docs):
                bm25_scores = self._bm25.get_scores(query)
                return [d for d, s in zip(docs, bm25_scores) if s > self._min_score]
        """
    found = scan(dense, "skills/embedding.py", **{"skills/lexical.py": lexical})
    assert found[(2, 0.25)].metric is Metric.SIMILARITY
    assert (4, 0.25) not in scan(lexical, "skills/lexical.py", **{"skills/embedding.py": dense})


def test_a_module_importing_a_shared_constant_name_reaches_every_definition():
    """``from .config import MIN_SIM`` compared in a third module reaches the definitions."""
    found = scan(
        "MIN_SIM = 0.6\n",
        "app/config.py",
        **{
            "app/legacy.py": "MIN_SIM = 0.4\n",
            "app/search.py": """
                from .config import MIN_SIM

                def keep(hits):
                    return [h for h in hits if h.cosine_similarity >= MIN_SIM]
                """,
        },
    )
    assert found[(1, 0.6)].direction is Direction.ABOVE


def test_the_best_of_a_generator_of_scores_plus_a_bonus_is_compared_with_a_gate():
    """``top = max(r.score for r in ranked)``; ``top + bonus >= profile.gate``: a cutoff."""
    found = scan(
        """
        from dataclasses import dataclass

        @dataclass
        class Profile:
            noise_floor: float = 0.28
            gate: float = 0.36

        def cut(ranked, profile: Profile, bonus: float):
            top = max(r.similarity for r in ranked)
            if top < profile.noise_floor:
                return []
            if top + bonus >= profile.gate:
                return ranked
            return []
        """
    )
    assert found[(6, 0.28)].direction is Direction.ABOVE
    assert found[(7, 0.36)].direction is Direction.ABOVE


def test_a_copy_with_fields_changed_hands_them_to_the_class_of_the_copied_object():
    """``replace(BASE, gate=0.52)`` and ``base._replace(gate=0.5)`` set a ``Profile``'s gate."""
    found = scan(
        """
        from dataclasses import dataclass, replace
        from typing import NamedTuple

        @dataclass
        class Profile:
            gate: float = 0.36

        class Limits(NamedTuple):
            floor: float = 0.3

        BASE = Profile()
        PASSAGES = replace(BASE, gate=0.52)
        LIMITS = Limits()
        STRICT = LIMITS._replace(floor=0.45)

        def cut(hits, profile: Profile, limits: Limits):
            return [
                h for h in hits
                if h.similarity >= profile.gate and h.similarity >= limits.floor
            ]
        """
    )
    assert found[(13, 0.52)].direction is Direction.ABOVE
    assert found[(15, 0.45)].direction is Direction.ABOVE


def test_a_mean_of_scores_keeps_their_origin():
    """``sum(best) / len(best)`` of string ratios is a string score, no embedding similarity."""
    found = scan(
        """
        from difflib import SequenceMatcher
        from .embed import embed_texts

        def token_ratio(a, b):
            return SequenceMatcher(None, a, b).ratio()

        def name_similarity(tokens_a, tokens_b):
            best_scores = []
            for a in tokens_a:
                best_scores.append(max(token_ratio(a, b) for b in tokens_b))
            return sum(best_scores) / len(best_scores)

        def match(pairs, threshold=0.88):
            return [p for p in pairs if name_similarity(p.left, p.right) >= threshold]
        """
    )
    assert (14, 0.88) not in found


def test_a_share_of_items_counted_by_a_generator_is_a_ratio_of_counts():
    """``wins = sum(1 for h in recent if h.pnl > 0)`` over search hits is a count, no score."""
    found = scan(
        """
        DRIFT_THRESHOLD = 0.15

        def drift(store, query, expected):
            recent = store.similarity_search(query, k=20)
            wins = sum(1 for h in recent if h.pnl > 0)
            rate = wins / len(recent)
            delta = abs(rate - expected)
            return delta > DRIFT_THRESHOLD
        """
    )
    assert (2, 0.15) not in found


def test_the_setting_a_threshold_parameter_falls_back_to_is_that_threshold():
    """``similarity_threshold or self._config.threshold``: the config's field is the default."""
    found = scan(
        """
        from pydantic import BaseModel

        class MemoryConfig(BaseModel):
            threshold: float = 0.5
            floor: float = 0.2

        class MemoryStore:
            def __init__(self, config: MemoryConfig):
                self._config = config

            async def search(self, q, similarity_threshold=None, min_similarity=None):
                threshold = similarity_threshold or self._config.threshold
                floor = min_similarity if min_similarity is not None else self._config.floor
                return await self._client.search(q=q, threshold=threshold, floor=floor)
        """
    )
    assert found[(5, 0.5)].metric is Metric.SIMILARITY
    assert found[(6, 0.2)].metric is Metric.SIMILARITY


def test_a_bare_key_any_mapping_writes_does_not_carry_a_comparison_to_every_writer():
    """``{"threshold": self.threshold}`` in a labeler's config says nothing of a judge's cutoff.

    The judge reads ``cfg["threshold"]``; the labeler writes its own ``threshold`` under that
    bare key: only a comparison shown to be with a similarity goes through such a key.
    """
    found = scan(
        """
        class Labeler:
            def __init__(self, llm, threshold: float = 0.5):
                self.llm = llm
                self.threshold = threshold

            def to_config(self):
                return {"kind": "labeler", "threshold": self.threshold}
        """,
        "app/labelers.py",
        **{
            "app/judges.py": """
                class EmbeddingJudge:
                    def __init__(self, threshold: float = 0.6):
                        self.threshold = threshold

                    def judge(self, candidates):
                        return [c for c in candidates if c.similarity >= self.threshold]

                def from_config(cfg):
                    return EmbeddingJudge(threshold=cfg["threshold"])
                """,
        },
    )
    assert (3, 0.5) not in found


def test_a_table_of_thresholds_by_kind_of_scorer_says_which_entry_bounds_embeddings():
    """``{"embedding": 0.5, "fuzzy": 0.8}``: the embedding judge's entry is a similarity cutoff."""
    found = scan(
        """
        _DEFAULT_THRESHOLDS: dict[str, float] = {
            "embedding": 0.5,
            "fuzzy": 0.8,
        }
        """
    )
    assert found[(3, 0.5)].level == "medium"
    assert (4, 0.8) not in found


def test_the_defaults_a_modules_own_helpers_return_as_given_are_the_keywords_values():
    """``min_relevance_score=_parse_float(_first(env, "KEY", "a.b", 0.50), 0.50)``: both."""
    found = scan(
        """
        from dataclasses import dataclass

        @dataclass
        class RetrievalSettings:
            min_relevance_score: float = 0.5

        def _parse_float(value, default):
            if value in (None, ""):
                return default
            return float(value)

        def _first(env, toml, env_key, toml_path, default=None):
            if env_key in env:
                return env[env_key]
            value = toml.get(toml_path)
            return default if value is None else value

        def load(env, toml):
            return RetrievalSettings(
                min_relevance_score=_parse_float(
                    _first(env, toml, "RAG_MIN_RELEVANCE_SCORE", "retrieval.min_score", 0.45),
                    0.55,
                )
            )

        def search(store, q, settings: RetrievalSettings):
            return [h for h in store.query(q) if 1 - h.distance >= settings.min_relevance_score]
        """
    )
    assert found[(22, 0.45)].direction is Direction.ABOVE
    assert found[(23, 0.55)].direction is Direction.ABOVE


def test_an_attribute_named_for_another_score_holds_that_score():
    """``record.confidence_score`` is no similarity; ``weights.lexical_weight`` no score.

    ``getattr(record, "confidence_score", 0.0)`` is read as the attribute.
    """
    embeds = "from sentence_transformers import SentenceTransformer\nm = SentenceTransformer('x')\n"
    for read in (
        "record.confidence_score",
        'float(getattr(record, "confidence_score", 0.0) or 0.0)',
    ):
        found = scan(
            f"""
            def weights(records):
                for record in records:
                    score = {read}
                    yield 1.2 if score < 0.55 else 0.8
            """,
            "app/signals.py",
            **{"app/embed.py": embeds},
        )
        assert (5, 0.55) not in found, read
    found = scan(
        """
        def matches(index, snippets, weights):
            for snip in snippets:
                for other, score in index.query(snip.vector, 5):
                    composite = (1.0 - weights.lexical_weight) * score + weights.lexical_weight
                    if composite >= 0.9:
                        yield other
        """,
        "app/candidates.py",
        **{"app/embed.py": embeds},
    )
    assert found[(6, 0.9)].metric is Metric.SIMILARITY


def test_a_sum_or_mean_of_scores_read_from_records_is_no_count():
    """``sum(r["score"] for r in results) / len(results)``: a mean of similarities."""
    found = scan(
        """
        from sentence_transformers import util

        def supported(claim_embs, source_embs, sentences, support_threshold=0.4):
            sim_matrix = util.cos_sim(claim_embs, source_embs)
            results = []
            for i, sentence in enumerate(sentences):
                best = float(sim_matrix[i].max())
                results.append({"sentence": sentence, "score": best})
            avg_score = sum(r["score"] for r in results) / len(results) if results else 0.0
            if avg_score >= 0.25:
                return avg_score >= support_threshold
            return False
        """
    )
    assert found[(11, 0.25)].metric is Metric.SIMILARITY
    assert found[(4, 0.4)].direction is Direction.ABOVE


def test_a_keyword_a_factory_takes_as_kwargs_reaches_the_class_it_builds():
    """A factory's ``**kwargs`` handed to ``cls(index=index, **kwargs)`` reach the class.

    ``Guard.from_documents(threshold=args.threshold)``: the CLI's default is the guard's.
    """
    guard = """
        class Guard:
            def __init__(self, index, threshold: float = 0.5):
                self.index = index
                self.threshold = threshold

            @classmethod
            def from_documents(cls, documents, encoder, **kwargs):
                index = build(documents, encoder)
                return cls(index=index, **kwargs)

            def check(self, query):
                best = max(h.score for h in self.index.similarity_search(query))
                return best >= self.threshold
        """
    cli = """
        import argparse
        from app.guard import Guard

        def main():
            parser = argparse.ArgumentParser()
            parser.add_argument("--threshold", type=float, default=0.55)
            parser.add_argument("--encoder", default="minilm")
            args = parser.parse_args()
            Guard.from_documents([], args.encoder, threshold=args.threshold)
        """
    found = scan(cli, "app/cli.py", **{"app/guard.py": guard})
    assert found[(7, 0.55)].metric is Metric.SIMILARITY
    assert found[(7, 0.55)].related == ("app/guard.py", 14)


def test_a_projects_own_thread_runner_hands_on_what_the_function_it_runs_returns():
    """``await _run_sync(self.reranker.predict, pairs)``: a reranker's scores, no search's."""
    found = scan(
        """
        import asyncio

        async def _run_sync(fn, *args):
            return await asyncio.to_thread(fn, *args)

        class Pipeline:
            def __init__(self, store, reranker, unfiltered_threshold: float = 0.10):
                self.store = store
                self.reranker = reranker
                self.unfiltered_threshold = unfiltered_threshold

            async def retrieve(self, vector):
                hits = await self.store.search(vector=vector, score_threshold=0.3)
                return [h.payload for h in hits]

            async def answer(self, query, vector):
                payloads = await self.retrieve(vector)
                best_score = 0.0
                if self.reranker:
                    pairs = [[query, p["text"]] for p in payloads]
                    scores = await _run_sync(self.reranker.predict, pairs)
                    ranked = sorted(zip(scores, payloads), key=lambda x: x[0], reverse=True)
                    best_score = ranked[0][0]
                else:
                    best_score = 1.0
                if best_score < self.unfiltered_threshold:
                    return None
                return payloads
        """
    )
    assert (14, 0.3) in found
    assert (8, 0.1) not in found


def test_a_similarity_made_a_percentage_is_cut_at_whole_numbers():
    """``(1 - hit.distance) * 100 < 50`` is a cutoff; a generic score's display bands are not."""
    found = scan(
        """
        def answer(similar_questions):
            best_similarity_percentage = (1 - similar_questions[0].distance) * 100
            if best_similarity_percentage < 50:
                return None
            return similar_questions[0].answer

        def show(results):
            for r in results:
                score_int = int(r.composite_score * 100)
                if score_int >= 70:
                    colour = "green"
                elif score_int >= 40:
                    colour = "yellow"
        """
    )
    assert found[(4, 50.0)].direction is Direction.ABOVE
    assert found[(4, 50.0)].metric is Metric.SIMILARITY
    assert (11, 70.0) not in found


def test_a_library_calls_similarity_cutoff_written_as_a_keyword_or_by_position_is_found():
    """``util.community_detection(emb, threshold=0.65)``, and ``(emb, 0.75)`` by position.

    The second file names no score at all: the call itself marks it.
    """
    found = scan(
        """
        from sentence_transformers import util

        def topics(embeddings):
            return util.community_detection(embeddings, min_community_size=10, threshold=0.65)
        """
    )
    assert found[(5, 0.65)].metric is Metric.SIMILARITY
    assert found[(5, 0.65)].direction is Direction.ABOVE
    found = scan(
        """
        from sentence_transformers import util

        def groups(embeddings):
            return util.community_detection(embeddings, 0.75, 10)
        """
    )
    assert found[(5, 0.75)].metric is Metric.SIMILARITY


def test_a_mapping_made_empty_and_filled_item_by_item_holds_what_it_is_filled_with():
    """``sims[(j, i)] = float(matrix[i][j])``, then ``sims.get((j, i), 0.0) > 0.95``.

    A cosine: a plain ``score`` read from the mapping is known to be one.
    """
    found = scan(
        """
        from sentence_transformers import util

        def dedupe(results, embeddings):
            semantic_sims: dict = {}
            matrix = util.cos_sim(embeddings, embeddings)
            for i in range(len(results)):
                for j in range(i):
                    semantic_sims[(j, i)] = float(matrix[i][j])
            unique = []
            for i, r in enumerate(results):
                for j, u in enumerate(unique):
                    score = semantic_sims.get((j, i), 0.0)
                    if score > 0.95:
                        break
                else:
                    unique.append(r)
            return unique
        """
    )
    assert found[(14, 0.95)].metric is Metric.SIMILARITY
    assert found[(14, 0.95)].confidence >= 0.9  # a plain `score` of unknown origin: 0.65


def test_a_mappings_get_is_not_the_origin_of_its_key():
    """``table.get(sizes[0], 0.0)``: what the table holds, not a count because its key is."""
    found = scan(
        """
        def pick(groups, table):
            sizes = [len(g) for g in groups]
            score = table.get(sizes[0], 0.0)
            if score > 0.8:
                return groups
            return []
        """
    )
    assert (5, 0.8) in found


def test_a_cosine_of_hand_made_term_weights_is_a_keyword_score():
    """A cosine of bags of words (``self._doc_tfidf.get(name, {})``) is no embedding's.

    Its zero floor drops no similarity search's results.
    """
    found = scan(
        """
        from collections import Counter

        class Retriever:
            def retrieve(self, query, candidates):
                tf = Counter(query.split())
                query_vec = {t: c * self._idf.get(t, 0) for t, c in tf.items()}
                scores: dict[str, float] = {}
                for name in candidates:
                    doc_vec = self._doc_tfidf.get(name, {})
                    scores[name] = self._cosine_similarity(query_vec, doc_vec)
                return [n for n in candidates if scores.get(n, 0.0) > 0]

            @staticmethod
            def _cosine_similarity(a, b):
                return sum(a[t] * b.get(t, 0) for t in a)
        """
    )
    assert (12, 0.0) not in found


def test_a_bound_compared_with_a_string_ratio_is_no_similarity_threshold():
    """``SequenceMatcher(None, a, b).ratio() >= min_similarity`` bounds a string ratio.

    A setting's similarity name passed down to that comparison does not make it an
    embedding's, in a project that also embeds voices.
    """
    settings = """
        from dataclasses import dataclass

        @dataclass
        class Settings:
            echo_overlap: float = 0.5
            echo_similarity: float = 0.8
        """
    worker = """
        from app.merge import dedupe_echo
        from app.settings import Settings

        def process(raw, settings: Settings):
            return dedupe_echo(raw, settings.echo_overlap, settings.echo_similarity)
        """
    merge = """
        from difflib import SequenceMatcher

        def dedupe_echo(lines, min_overlap, min_similarity):
            return [l for l in lines if not _echoes(l, lines, min_overlap, min_similarity)]

        def _echoes(line, others, min_overlap, min_similarity):
            for other in others:
                if line.overlap(other) < min_overlap:
                    continue
                if SequenceMatcher(None, line.text, other.text).ratio() >= min_similarity:
                    return True
            return False
        """
    voices = "from sentence_transformers import SentenceTransformer\nm = SentenceTransformer('x')\n"
    others = {"app/merge.py": merge, "app/worker.py": worker, "app/voices.py": voices}
    found = scan(settings, "app/settings.py", **others)
    assert (7, 0.8) not in found
