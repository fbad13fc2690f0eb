"""``embedshift reembed`` and ``embedshift merge``: re-embed a corpus, resumably and exactly.

Read :mod:`calibrator.reembed.pipeline` for why a ``kill -9`` at any moment loses and
duplicates nothing, :mod:`calibrator.reembed.checkpoint` for what a checkpoint holds, and
:mod:`calibrator.reembed.merge` for how shard outputs are checked and joined.
"""
