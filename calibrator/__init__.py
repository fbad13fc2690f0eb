"""embedshift's batch side: per-segment thresholds for the new model, and the batch tools.

It imports :mod:`proxy` for what both sides share (config loading and the ``[calibrator]``
schema, the thresholds contract, logging set-up, the embeddings API client, atomic files);
the proxy never imports it. Each package needs an extra of the distribution (numpy, faiss,
matplotlib, rich; tree-sitter, PyYAML, psycopg) except the registry of subcommands:

* :mod:`.maths`: exact precision/recall sweeps, policies, bootstrap, quantile mapping,
  candidate scoring (pure; numpy, faiss);
* :mod:`.inputs`: what a calibration reads (labels, vectors, the embeddings API path,
  fingerprints); :mod:`.calibration`: one calibration, inputs in and thresholds with their
  evidence out, writing nothing; :mod:`.outputs`: what it writes (the thresholds document,
  publishing, the report); :mod:`.run`: a run with its I/O, ``embedshift calibrate`` and the
  worker;
* :mod:`.reembed` (``reembed``, ``merge``), :mod:`.sample`, :mod:`.inventory`, :mod:`.demo`:
  the batch tools, each its own package;
* :mod:`.commands`: every batch subcommand and the extra it needs (registered through the
  ``embedshift.commands`` entry points); :mod:`.errors` and :mod:`.progress`: leaves any
  package may import.

Layers import downwards only: maths <- calibration <- outputs <- run, inputs beside maths
(calibration reads their types); the batch tools import none of the calibration packages but
what they name in their own docstrings.
"""
