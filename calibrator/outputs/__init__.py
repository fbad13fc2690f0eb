"""What a calibration writes: the thresholds document, its publication, and the report.

:mod:`.document` (a calibration as the contract's document, and the guard against segments
losing their labels), :mod:`.publish` (atomic, versioned, never half-written), :mod:`.report`
(PNG plots of curves, scores, quality and the score map, HTML, JSON; matplotlib). May import
the results of :mod:`calibrator.calibration`, :mod:`calibrator.maths` (curves for the plots),
:mod:`calibrator.errors` and :mod:`proxy` (thresholds contract, files); never
:mod:`calibrator.run`.
"""
