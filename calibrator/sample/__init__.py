"""``embedshift sample``: a stratified random sample of a JSONL corpus, streaming, reproducible.

:mod:`.stratified` holds the allocation, the reservoirs and the command. May import the JSONL
source reading and the errors of :mod:`calibrator.reembed` (the same chunk files), and
:mod:`proxy` (errors, files); needs the ``batch`` extra.
"""
