"""``reembed --dry-run`` estimates the time under every rate limit given, the binding one last."""

from __future__ import annotations

import json

from calibrator.reembed.options import ReembedOptions
from calibrator.reembed.run import dry_run


def _source(path, chunks, chars):
    """A JSONL source of ``chunks`` chunks of ``chars`` characters each."""
    with path.open("w", encoding="utf-8") as out:
        for i in range(chunks):
            out.write(json.dumps({"id": f"c{i}", "text": "x" * chars}) + "\n")
    return path


def _options(tmp_path, **limits):
    """Dry-run options over 5,000 chunks of 1,864 characters (about 2.33 M tokens)."""
    source = _source(tmp_path / "chunks.jsonl", 5000, 1864)
    return ReembedOptions(
        source=source,
        output=tmp_path / "out.jsonl",
        model="m",
        api_base="http://127.0.0.1:9/v1",
        checkpoint=tmp_path / "progress.json",
        batch_size=500,
        dry_run=True,
        **limits,
    )


def test_the_token_limit_bounds_the_estimate(tmp_path):
    """2.33 M tokens under 1,000,000 tokens a minute take at least 2.3 min, not 0.0 min."""
    text = dry_run(_options(tmp_path, max_rpm=3000.0, max_tpm=1_000_000.0))
    assert "estimated prompt tokens: about 2,330,000" in text
    assert "at 3,000 requests a minute: at least 0.0 min" in text
    assert "at 1,000,000 tokens a minute: at least 2.3 min" in text
    assert "estimated time: at least 2.3 min (1,000,000 tokens a minute binds)" in text


def test_the_request_limit_binds_when_it_is_the_slower(tmp_path):
    """Ten calls at two a minute take five minutes, whatever the generous token limit says."""
    text = dry_run(_options(tmp_path, max_rpm=2.0, max_tpm=100_000_000.0))
    assert "estimated time: at least 5.0 min (2 requests a minute binds)" in text


def test_no_limit_no_time_estimate(tmp_path):
    """Without a rate limit the dry run promises no time."""
    assert "min" not in dry_run(_options(tmp_path))
