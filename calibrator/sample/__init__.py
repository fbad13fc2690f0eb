"""``embedshift sample``: a stratified random sample of a JSONL corpus, streaming, reproducible."""
