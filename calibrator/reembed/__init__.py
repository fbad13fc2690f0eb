"""``embedshift reembed`` and ``embedshift merge``: re-embed a corpus, resumably and exactly.

Read :mod:`calibrator.reembed.pipeline` for why a ``kill -9`` at any moment loses and
duplicates nothing, :mod:`calibrator.reembed.checkpoint` for what a checkpoint holds, and
:mod:`calibrator.reembed.merge` for how shard outputs are checked and joined;
:mod:`.command` declares both commands' arguments (imported when they are registered).
May import :mod:`proxy` (embeddings client, errors, logs, files), numpy and rich (the
``batch`` extra: no faiss); nothing from the rest of :mod:`calibrator`.
"""
