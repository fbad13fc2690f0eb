"""The HTTP client side of the sidecar: one client per upstream, one header policy, forwarding.

A leaf part: imports only :mod:`proxy.config` and the leaf modules.
"""
