"""Config files: TOML, YAML, JSON, INI and .env keys with threshold names and numbers."""

from __future__ import annotations

import textwrap
from pathlib import PurePath

import pytest

from calibrator.inventory.config_scan import config_format, scan_config
from calibrator.inventory.findings import Direction, Kind
from calibrator.inventory.link import link
from calibrator.inventory.walk import scan_text


def scan(text: str, fmt: str, path: str = "conf/app"):
    """Scan a dedented config text, assert it parsed, and key findings by (line, value)."""
    scanned = scan_config(textwrap.dedent(text).lstrip(), path, fmt)
    assert scanned.errors == ()
    return {(f.line, f.value): f for f in link([scanned.facts]) if f.level != "low"}


def test_toml_with_sections_and_inline_tables():
    """Dotted keys, section context for a bare ``threshold`` and inline tables."""
    found = scan(
        """
        [retrieval]
        threshold = 0.78   # tuned by hand
        top_k = 10

        [rerank]
        opts = { min_score = 0.4, batch = 8 }
        timeout_threshold = 0.5
        """,
        "toml",
    )
    assert found[(2, 0.78)].name == "retrieval.threshold"
    assert found[(2, 0.78)].kind is Kind.CONFIG
    assert found[(6, 0.4)].name == "rerank.min_score"
    assert set(found) == {(2, 0.78), (6, 0.4)}


def test_yaml_marks_and_quoted_numbers():
    """YAML values are located by their node marks; quoted numbers count."""
    found = scan(
        """
        search:
          vector:
            similarity_cutoff: 0.72
            max_distance: "0.35"
          k: 5
        """,
        "yaml",
    )
    assert found[(3, 0.72)].name == "search.vector.similarity_cutoff"
    assert found[(4, 0.35)].direction is Direction.BELOW


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_a_map_of_levels_under_a_threshold_key_is_that_keys(fmt):
    """``score_thresholds: {1: 0.5, 2: 0.6}``: a cutoff per level, named by the map.

    The numbers' own keys are levels (``1``, ``2``), which name nothing; the map's name says
    what they are, as a list's would.
    """
    text = {
        "yaml": """
        retrieval:
          score_thresholds: {1: 0.5, 2: 0.6}
          retries: {1: 3, 2: 5}
        """,
        "json": '{"retrieval": {\n  "score_thresholds": {"1": 0.5, "2": 0.6},\n'
        '  "retries": {"1": 3, "2": 5}}}',
    }[fmt]
    assert set(scan(text, fmt)) == {(2, 0.5), (2, 0.6)}


def test_a_section_for_a_model_makes_its_keys_that_models():
    """``process.image_aesthetics_filter.min_score`` bounds an aesthetics model's score.

    A section named for a model's output (aesthetics, question answering, classification)
    says what its keys bound; a similarity search's section keeps its thresholds.
    """
    found = scan(
        """
        process:
          - image_aesthetics_filter:
              min_score: 0.3
          - generate_qa_from_examples_mapper:
              similarity_threshold: 0.7
          - text_embd_similarity_filter:
              min_score: 0.1
          - llm_quality_score_filter:
              min_score: 0.5
        """,
        "yaml",
    )
    assert set(found) == {(7, 0.1)}


def test_a_config_files_place_says_whose_keys_they_are():
    """A ``match_threshold`` in ``voice/profiles/mixer.yaml`` bounds a voice model's match.

    The folders of a config file are its context, as a module's are; the same key in a
    search's config stays a threshold.
    """
    text = """
    mixer:
      match_threshold: 0.7
    """
    assert scan(text, "yaml", "app/voice/profiles/mixer.yaml") == {}
    assert set(scan(text, "yaml", "app/search/profiles/index.yaml")) == {(2, 0.7)}


def test_json_nested_keys():
    """JSON keys are found with their parents and their own line."""
    found = scan(
        '{\n  "retriever": {\n    "search_kwargs": {"k": 4, "score_threshold": 0.81}\n  },\n'
        '  "items": [{"similarity_threshold": 0.9}]\n}\n',
        "json",
    )
    assert found[(3, 0.81)].name == "retriever.search_kwargs.score_threshold"
    assert found[(5, 0.9)].name == "items.similarity_threshold"


def test_ini_and_env():
    """INI sections and .env lines (with ``export`` and quotes)."""
    ini = scan("[semantic_search]\nthreshold = 0.66\nworkers = 4\n", "ini")
    assert ini[(2, 0.66)].name == "semantic_search.threshold"
    env = scan('EMBEDDING_MODEL=x\nexport SIMILARITY_THRESHOLD="0.83"\n', "env", ".env")
    assert env[(2, 0.83)].name == "SIMILARITY_THRESHOLD"


@pytest.mark.parametrize(
    ("fmt", "text", "line"),
    [
        ("toml", "a = 1\nscore_threshold = = 0.5\n", 2),
        ("yaml", "a: [1, 2\nscore_threshold: 0.5\n", 2),
        ("json", '{"score_threshold": 0.5,,}', 1),
    ],
)
def test_broken_files_are_reported_with_their_line(fmt: str, text: str, line: int):
    """A file its parser rejects gives one error naming the line, and no findings."""
    scanned = scan_config(text, "broken", fmt)
    assert scanned.facts.values == ()
    assert scanned.errors[0].line == line
    assert fmt.upper() in scanned.errors[0].message


def test_config_formats_by_name():
    """File names map to formats; others are not config."""
    assert config_format(PurePath(".env.production")) == "env"
    assert config_format(PurePath("settings.yml")) == "yaml"
    assert config_format(PurePath("setup.cfg")) == "ini"
    assert config_format(PurePath("README.md")) is None


def test_a_config_key_read_as_an_attribute_is_judged_by_its_comparison():
    """``trigger.threshold`` compared with an embedding similarity judges a JSON ``threshold``.

    The key is read through the object the file was loaded into; what some report dict also
    stores under the same key name (``{"threshold": pct}``) casts no doubt on it.
    """
    policies = scan_config(
        '{"triggers": [{"target": "intent", "threshold": 0.9}]}', "p.json", "json"
    )
    code = scan_text(
        textwrap.dedent(
            """
            def matches(trigger, best_similarity, pct):
                report = {"threshold": pct}
                return best_similarity >= trigger.threshold, report
            """
        ),
        "app/policy.py",
    )
    found = {(f.path, f.value): f for f in link([policies.facts, code.facts]) if f.level != "low"}
    assert set(found) == {("p.json", 0.9)}
    assert "compared with best_similarity" in found["p.json", 0.9].reason


def test_a_threshold_under_an_embedding_models_name_is_that_models_cutoff():
    """``{"laion/larger_clap_general": {"threshold": 0.1446}}``: one model's calibrated cutoff.

    The same key under a section that names no model (``"report"``) says nothing of scores.
    """
    found = scan(
        """
        {
          "laion/larger_clap_general": {
            "auc": 0.9392,
            "f1": 0.9477,
            "threshold": 0.1446
          },
          "report": {
            "threshold": 0.5
          }
        }
        """,
        "json",
        "foley/data/prompt_match/thresholds.json",
    )
    assert set(found) == {(5, 0.1446)}


def test_a_map_of_thresholds_by_task_is_read_whole_by_the_code_that_compares():
    """``task_thresholds: {qa: 0.9}``: each number is the map's, judged where code uses it.

    So is a key whose name alone says no similarity (``quality_threshold``): the code that
    reads it compares it with a cosine. A map nothing reads, and a key named for its own
    entry (``limits.max_tokens``), stay unreported.
    """
    policy = scan_config(
        textwrap.dedent(
            """
            cache:
              task_thresholds:
                qa: 0.90
                code: 0.92
            compression:
              quality_threshold: 0.85
            unused_thresholds:
              chat: 0.4
            """
        ).lstrip(),
        "config/policy.yaml",
        "yaml",
    )
    code = scan_text(
        textwrap.dedent(
            """
            from sklearn.metrics.pairwise import cosine_similarity

            def cached(policy, task, query_vec, cached_vec):
                thresholds = policy["cache"].get("task_thresholds", {})
                similarity = cosine_similarity([query_vec], [cached_vec])[0][0]
                return similarity >= thresholds.get(task, 0.95)

            def keep(policy, original, compressed):
                quality_threshold = policy["compression"]["quality_threshold"]
                return cosine_similarity([original], [compressed])[0][0] >= quality_threshold
            """
        ),
        "app/cache.py",
    )
    found = {(f.path, f.line): f for f in link([policy.facts, code.facts]) if f.level != "low"}
    assert found["config/policy.yaml", 3].value == 0.9
    assert found["config/policy.yaml", 3].name == "cache.task_thresholds"
    assert found["config/policy.yaml", 4].value == 0.92
    assert found["config/policy.yaml", 6].value == 0.85
    assert ("config/policy.yaml", 8) not in found


def test_a_json_document_kept_in_a_string_is_a_config_at_its_module_lines():
    """A blueprint written as a JSON string in a module is read as that JSON file would be.

    Its keys join the code that reads them (``kwargs["apply_threshold"]`` handed to a filter of
    search scores) at the module's own lines; a prompt that shows JSON among prose is not a
    document, and its numbers are not read.
    """
    library = scan_text(
        textwrap.dedent(
            """
            BLUEPRINT = '''{
                "nodes": [
                    {"name": "Focus", "params": {"apply_threshold": 0.6, "last_n": 4}},
                    {"name": "Wide", "params": {"apply_threshold": 0.3}}
                ]
            }'''
            PROMPT = '''Answer as JSON, e.g. {"apply_threshold": 0.9}'''
            """
        ),
        "pkg/library.py",
    )
    code = scan_text(
        textwrap.dedent(
            """
            def apply(results, **kwargs):
                if "apply_threshold" in kwargs:
                    return keep(results, kwargs["apply_threshold"])

            def keep(results, threshold):
                return [r for r in results.matches if r.similarity >= threshold]
            """
        ),
        "pkg/search.py",
    )
    found = {(f.path, f.line, f.value): f for f in link([library.facts, code.facts])}
    assert {k for k, f in found.items() if f.level != "low"} == {
        ("pkg/library.py", 4, 0.6),
        ("pkg/library.py", 5, 0.3),
    }
    assert found["pkg/library.py", 4, 0.6].kind is Kind.CONFIG
    assert "compared with similarity on pkg/search.py:7" in found["pkg/library.py", 4, 0.6].reason
    assert not any(value == 0.9 for _, _, value in found)


def test_a_json_document_written_as_string_parts_is_read_at_each_parts_line():
    """``('{"retriever": {...,' ' "similarity_threshold": 0.82}}')``: the number's own line.

    Where the parts split a JSON string itself, it is read as one line (its first), as before.
    """
    found = scan_text(
        textwrap.dedent(
            """
            PIPELINE = (
                '{"retriever": {"top_k": 5,'
                ' "similarity_threshold": 0.82}}'
            )
            SPLIT = (
                '{"retriever": {"name": "dense re'
                'triever", "similarity_threshold": 0.74}}'
            )
            """
        ),
        "pkg/pipelines.py",
    )
    lines = {v.value: v.line for v in found.facts.values if v.node == "k:similarity_threshold"}
    assert lines == {0.82: 4, 0.74: 7}


def test_a_config_templates_thresholds_are_read_as_the_file_it_writes():
    """``config.yaml.j2``: the file a project's set-up writes, read as YAML.

    Jinja tags are blanked and values made plain, lines kept; a template that is no valid
    YAML even then is skipped, not reported as an error; a Markdown template is no config.
    """
    template = """
        sources:
        {% for source in sources %}
          - path: "{{ source.path }}"
            name: {{ source.name }}
        {% endfor %}
        retrieval:
          similarity_threshold: 0.1   # minimum score for a chunk
          top_k: {{ top_k }}
        """
    assert config_format(PurePath("templates/config.yaml.j2")) == "yaml"
    assert config_format(PurePath("prompts/rag.j2")) is None
    assert config_format(PurePath("report.md.jinja")) is None
    found = scan(template, "yaml", path="templates/config.yaml.j2")
    assert found[(7, 0.1)].name == "retrieval.similarity_threshold"
    assert found[(7, 0.1)].direction is Direction.ABOVE
    broken = scan_config("a: {% if x %}[{% endif %}\nthreshold: 0.7\n", "t/config.yaml.j2", "yaml")
    assert broken.errors == ()
    assert scan_config("a: [\n", "t/config.yaml", "yaml").errors != ()
