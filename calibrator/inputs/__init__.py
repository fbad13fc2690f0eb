"""What a calibration reads: labelled queries, vectors, the embeddings API path, fingerprints.

:mod:`.labels` (eval JSONL, qrels, chunk sample, doc segments), :mod:`.vectors` (precomputed
directories), :mod:`.layout` (labelled files and vector folders per segment joined into one
sample: several qrels files per segment, ids that collide across segments, held-out queries),
:mod:`.embed` (the labelled sample embedded through ``[embedding]``, cached),
:mod:`.fingerprint` (which model and which inputs thresholds belong to). Every loader names
the file and line of a bad input. May import :mod:`calibrator.errors`,
:mod:`calibrator.progress` and :mod:`proxy` (config schema, embeddings client, thresholds
contract, files); nothing from the other packages of :mod:`calibrator`.
"""
