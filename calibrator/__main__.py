"""``python -m calibrator``: the ``embedshift`` command line under the calibrator's name.

``embedshift serve`` starts its worker as ``python -m calibrator worker --config ...`` (the
interpreter it runs on, whatever the PATH holds); ``python -m calibrator calibrate ...`` is
``embedshift calibrate ...``. Every subcommand comes from the one registry,
:mod:`proxy.cli` and its ``embedshift.commands`` entry points.
"""

from __future__ import annotations

import sys

from proxy.cli import main

if __name__ == "__main__":
    sys.exit(main())
