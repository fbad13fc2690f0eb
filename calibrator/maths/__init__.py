"""Calibration maths: exact precision/recall sweeps, policies, bootstrap, mappings, rankings.

Pure functions over numpy arrays: :mod:`.sweep` (the exact step curve and its sums per
threshold grid), :mod:`.policy` (target recall or precision, max F-beta), :mod:`.bootstrap`
(query resampling weights, percentile intervals), :mod:`.paired` (paired bootstrap of a
difference between two systems on the same queries), :mod:`.quantile` (the label-free mapping
of an old threshold), :mod:`.scoremap` (the old-to-new score map that keeps recall or
precision), :mod:`.ranking` (top k, nDCG@k, recall@k), :mod:`.candidates` (each query's
scored documents, exactly, in bounded memory; faiss), :mod:`.scan` (one blocked pass over
every pair: top k, counts at thresholds, a histogram). May import numpy, faiss and
:mod:`calibrator.progress`; nothing else from :mod:`calibrator`, nothing from :mod:`proxy`.
"""
