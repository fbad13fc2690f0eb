"""Running calibrations: the job, one run with its I/O, ``embedshift calibrate``, the worker.

:mod:`.job` (what a run reads and where it publishes, from config and command line),
:mod:`.execute` (load, calibrate, guard, publish, check on held-out queries, report),
:mod:`.command` (the arguments of ``calibrate`` and ``worker``, ``calibrate``'s handler),
:mod:`.summary` (what ``calibrate`` prints), :mod:`.worker` (rounds
until SIGTERM, the status file). The top of the calibration side: may import every package
above it (:mod:`calibrator.inputs`, :mod:`.calibration <calibrator.calibration>`,
:mod:`.outputs <calibrator.outputs>`, :mod:`.maths <calibrator.maths>`), the leaves and
:mod:`proxy`; nothing imports it but :mod:`calibrator.commands` (by name, lazily).
"""
