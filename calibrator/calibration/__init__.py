"""One calibration: labelled queries and vectors in, per-segment thresholds with evidence out.

:mod:`.calibrate` (the entry point and its results), :mod:`.settings` (what is asked),
:mod:`.evidence` (the eval set resolved as rows, the scored pairs of a scope), :mod:`.scored`
(the :class:`~calibrator.calibration.scored.Scorer`: candidates refined until exact),
:mod:`.scopes` (each scope's threshold, figures and intervals), :mod:`.mapping` (the quantile
mapping from the old model), :mod:`.evaluate` (given thresholds applied to held-out queries).
Reads and writes nothing. May import :mod:`calibrator.maths`, the types of
:mod:`calibrator.inputs` (labels, vectors), :mod:`calibrator.errors`,
:mod:`calibrator.progress` and :mod:`proxy.thresholds.document` (the entries it fills).
"""
