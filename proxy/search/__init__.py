"""One search request, from match to answer: route and segment, which side answers, the mirror.

May import :mod:`proxy.upstream`, :mod:`proxy.shadow`, :mod:`proxy.flip` and the leaf modules;
not :mod:`proxy.server`, :mod:`proxy.admin` or :mod:`proxy.gate`.
"""
