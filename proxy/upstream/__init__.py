"""The HTTP client side of the sidecar: one client per upstream, one header policy, forwarding.

Owns :class:`~proxy.upstream.client.UpstreamClient` (two pools per upstream), the lean HTTP/1.1
pool of the search path (:mod:`~proxy.upstream.http1`), the header policy
(:mod:`~proxy.upstream.headers`) and forwarding with its 502/504 answers
(:mod:`~proxy.upstream.forward`).

May import: proxy.config.
"""
