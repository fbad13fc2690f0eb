"""The admin API (token-protected, loopback by default) and its command-line client.

May import :mod:`proxy.flip`, :mod:`proxy.gate`, :mod:`proxy.compare` and the leaf modules;
never :mod:`proxy.server`: what it acts on is handed to it.
"""
