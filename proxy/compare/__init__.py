"""Comparing the two sides' answers: divergence metrics, recording the figures, divergent examples.

Pure maths (:mod:`~proxy.compare.divergence`) and the stores it feeds. May import
:mod:`proxy.adapters`, :mod:`proxy.thresholds` and the leaf modules.
"""
