"""``embedshift demo``: the whole migration on one machine, offline, in about half a minute.

A generated corpus (:mod:`.corpus`) embedded by two toy text models of different geometry
(:mod:`.models`: they rank as differently as two real models do; the old one spreads its
scores, the new one packs them in a narrow high band like e5 and ranks better), served by two
Qdrant-compatible search backends with faiss inside (:mod:`.backend`; the new one complete or
missing a quarter of the corpus, :mod:`.scenario`) and the new model's OpenAI-compatible
embeddings API (:mod:`.embedder`); the real sidecar (``embedshift serve``, which runs the real
calibrator worker) in front of them; labelled traffic (:mod:`.traffic`); a live view
(:mod:`.view`, or plain lines: :mod:`.plain`) of what the sidecar exports (:mod:`.observe`);
automatic promotion through canary to flipped; a summary (:mod:`.summary`). :mod:`.run` wires
it together, with its working files (:mod:`.workdir`) and the processes (:mod:`.services`,
:mod:`.timeline`); :mod:`.command` holds the command's arguments. May import
:mod:`calibrator.inputs.vectors` (to write the vectors the worker reads) and :mod:`proxy`; it
runs the calibrator only as a process (``embedshift serve`` and its worker). Needs the
``demo`` extra (which is the ``calibrator`` one).
"""
