"""The mirror: admit a search, build its request for the other index, send it, hand both over.

Owns admission (sampling and bounds, :mod:`~proxy.shadow.admit`), the job a search sends to
another index (:mod:`~proxy.shadow.job`), its rewrite for the new index (re-embedding,
collections, :mod:`~proxy.shadow.rewrite`) and the background mirror
(:mod:`~proxy.shadow.mirror`). The client's path never awaits anything here.

May import: proxy.compare, proxy.embeddings, proxy.upstream, proxy.adapters, proxy.config,
proxy.errors, proxy.jsondoc, proxy.logs, proxy.metrics, proxy.tasks.
"""
