"""``python -m proxy``: the same command line as the ``embedshift`` script.

May import: proxy.cli.
"""

import sys

from proxy.cli import main

sys.exit(main())
