"""python -m gridledger_analyst: the gridledger-analyst command."""

import sys

from .cli import main

sys.exit(main())
