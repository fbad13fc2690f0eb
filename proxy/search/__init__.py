"""One client request, read top to bottom: match, segment, mode, answer with its mirror.

Owns the route table (:mod:`~proxy.search.routes`) and the request handler
(:mod:`~proxy.search.handler`) with the runtime one config makes of it.

May import: proxy.shadow, proxy.upstream, proxy.flip, proxy.adapters, proxy.config,
proxy.jsondoc, proxy.metrics.
"""
