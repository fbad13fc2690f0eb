"""embedshift's calibrator: per-segment thresholds for the new model, and the batch tools.

The heavy side (numpy, faiss). It imports :mod:`proxy` for what both sides share (config
loading, the thresholds contract, logging set-up, the embeddings API client); the proxy never
imports it.
"""
