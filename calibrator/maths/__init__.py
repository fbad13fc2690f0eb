"""Calibration maths: exact precision/recall sweeps, policies, bootstrap, quantile mapping.

Pure functions over numpy arrays: :mod:`.sweep` (the exact step curve and its sums per
threshold grid), :mod:`.policy` (target recall or precision, max F-beta), :mod:`.bootstrap`
(query resampling weights, percentile intervals), :mod:`.quantile` (the label-free mapping of
an old threshold), :mod:`.candidates` (each query's scored documents, exactly, in bounded
memory; faiss). May import numpy, faiss and :mod:`calibrator.progress`; nothing else from
:mod:`calibrator`, nothing from :mod:`proxy`.
"""
