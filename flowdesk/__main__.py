"""``python -m flowdesk`` runs the command line."""

import sys

from flowdesk.cli import main

sys.exit(main())
