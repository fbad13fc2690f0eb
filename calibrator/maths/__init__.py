"""Calibration maths: exact precision/recall sweeps, policies, bootstrap, quantile mapping.

Pure functions over numpy arrays; imports nothing from :mod:`calibrator` outside this package.
"""
