"""Config validation: every mistake is one line naming file, key and expectation."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from proxy.config import load_config, parse_config
from proxy.errors import ConfigError

ROOT = Path(__file__).resolve().parents[3]
BASE = """
[upstreams.old]
url = "http://127.0.0.1:6333"
[upstreams.new]
url = "http://127.0.0.1:6334"
"""


def test_example_config_is_valid():
    """The config.toml at the root of the project is a working example."""
    config = load_config(ROOT / "config.toml")
    assert config.shadow.sample_rate == 1.0
    assert [r.name for r in config.routes] == ["search"]
    assert config.routes[0].segment is not None
    assert config.routes[0].segment.header == "X-Segment"


def test_defaults_are_loopback():
    """Nothing listens beyond loopback unless configured."""
    config = parse_config(BASE)
    for listen in (config.proxy.listen, config.metrics.listen, config.admin.listen):
        assert listen.startswith("127.0.0.1:")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            "[shadow]\nsample_rate = 1.5\n",
            "[shadow].sample_rate must be between 0 and 1, got 1.5 (line 7)",
        ),
        (
            "[shadow]\nmax_in_flight = 'many'\n",
            "[shadow].max_in_flight must be an integer, got a string 'many'",
        ),
        (
            "[shadow]\nsampel_rate = 0.5\n",
            "[shadow].sampel_rate is not a known key (did you mean 'sample_rate'?)",
        ),
        ("[proxy]\nlisten = 'localhost'\n", "[proxy].listen must be host:port"),
        ("[segments]\nnames = ['docs', 'docs']\n", "[segments].names lists 'docs' twice"),
        (
            "[admin]\ntoken_env = 'not a name'\n",
            "[admin].token_env must name an environment variable",
        ),
        (
            "[[routes]]\nname='s'\npath='/x'\nadapter='nope'\n",
            (
                "[[routes]] #1.adapter must be one of chroma, elasticsearch, generic, milvus, "
                "pinecone, qdrant, typesense, weaviate, got 'nope'"
            ),
        ),
        (
            "[[routes]]\nname='s'\npath='/x'\nadapter='generic'\noptions={ids='a[*].id'}\n",
            "[[routes]] #1.options.scores is required by the generic adapter",
        ),
        (
            "[[routes]]\nname='s'\npath='/x/{c}'\nadapter='qdrant'\nsegment={path='d'}\n",
            "[[routes]] #1.segment.path names 'd', which is not a parameter of path",
        ),
    ],
)
def test_errors_name_file_key_and_expectation(extra, message):
    """Wrong values, types and unknown keys raise a ConfigError with file, key and expectation."""
    with pytest.raises(ConfigError) as caught:
        parse_config(BASE + extra, "my.toml")
    assert str(caught.value).startswith("my.toml: ")
    assert message in str(caught.value)


def test_missing_upstream_is_named():
    """Both upstreams are required, and the message says how to add the missing one."""
    with pytest.raises(ConfigError, match=r"\[upstreams\].new is required"):
        parse_config('[upstreams.old]\nurl = "http://a:1"\n', "c.toml")


def test_toml_syntax_error_has_line():
    """A TOML syntax error names the file and the line."""
    with pytest.raises(ConfigError, match=r"c.toml: not valid TOML: .*line 2"):
        parse_config("[proxy]\nlisten = \n", "c.toml")


def test_cli_exits_2_with_one_line(tmp_path):
    """`embedshift serve` on a bad config prints one line and exits with status 2."""
    bad = tmp_path / "config.toml"
    bad.write_text(BASE + "[shadow]\nsample_rate = 1.5\n")
    result = subprocess.run(
        [sys.executable, "-m", "proxy", "serve", "--config", str(bad)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"embedshift: {bad}: [shadow].sample_rate must be between 0 and 1, got 1.5 (line 7)"
    )


def test_missing_file_is_a_clear_error(tmp_path):
    """A config path that does not exist is named, with the option to fix it."""
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(tmp_path / "nope.toml")
