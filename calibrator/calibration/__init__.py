"""One calibration: labelled queries and vectors in, per-segment thresholds with evidence out.

Writes nothing. May import :mod:`calibrator.maths` and :mod:`calibrator.inputs` (their types).
"""
