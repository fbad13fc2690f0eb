"""One calibration: labelled queries and vectors in, per-segment thresholds with evidence out.

:mod:`.calibrate` (the entry point and its results), :mod:`.settings` (what is asked),
:mod:`.evidence` (the eval set resolved as rows, the scored pairs of a scope), :mod:`.scored`
(the :class:`~calibrator.calibration.scored.Scorer`: candidates refined until exact),
:mod:`.scopes` (each scope's threshold, figures and intervals), :mod:`.oldside` (the old
model's vectors of the sample, scored once), :mod:`.oldmodel` (the old model in a calibration:
``...=old`` policies, each scope's comparison), :mod:`.compare` (new against old on a scope's
labelled queries: quality, divergence, score band, score map), :mod:`.mapping` (the quantile
mapping from the old model), :mod:`.evaluate` (given thresholds applied to held-out queries),
:mod:`.holdout` (the published thresholds and map checked on held-out queries).
Reads and writes nothing. May import :mod:`calibrator.maths`, the types of
:mod:`calibrator.inputs` (labels, vectors), :mod:`calibrator.errors`,
:mod:`calibrator.progress`, :mod:`proxy.thresholds` (the entries it fills, the map it checks)
and :mod:`proxy.compare.divergence` (the proxy's own RBO, so both sides compute the same).
"""
