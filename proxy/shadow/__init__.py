"""The shadow side: admit a search for mirroring, rewrite it for the other index, send it.

May import :mod:`proxy.upstream`, :mod:`proxy.adapters`, :mod:`proxy.embeddings`,
:mod:`proxy.compare` and the leaf modules; never :mod:`proxy.search` or :mod:`proxy.server`.
"""
