"""``embedshift demo``: the whole migration on one machine, offline, in about a minute.

A generated corpus (:mod:`.corpus`) embedded by two toy text models of different geometry
(:mod:`.models`: the old one spreads its scores, the new one packs them in a narrow high band
like e5), served by two Qdrant-compatible search backends with faiss inside (:mod:`.backend`)
and the new model's OpenAI-compatible embeddings API (:mod:`.embedder`); the real sidecar
(``embedshift serve``, which runs the real calibrator worker) in front of them; labelled traffic
(:mod:`.traffic`); a live view (:mod:`.view`) of what the sidecar exports (:mod:`.observe`);
automatic promotion through canary to flipped; a summary (:mod:`.summary`). :mod:`.run` wires
it together, with its working files (:mod:`.workdir`) and the processes (:mod:`.services`,
:mod:`.timeline`); :mod:`.command` holds the command's arguments. May import
:mod:`calibrator.inputs.vectors` (to write the vectors the worker reads) and :mod:`proxy`; it
runs the calibrator only as a process (``embedshift serve`` and its worker). Needs the
``demo`` extra (which is the ``calibrator`` one).
"""
