"""The admin API (token-protected, loopback by default) and its command-line client.

Owns the admin endpoints (examples, status, gate, audit, mode changes) and ``embedshift status``
and ``flip``. What the API acts on is handed to it as
:class:`~proxy.admin.api.AdminDeps` by :mod:`proxy.server`, which it never imports.

May import: proxy.flip, proxy.gate, proxy.compare, proxy.review (the review page), proxy.thresholds,
proxy.config, proxy.errors, proxy.jsondoc.
"""
