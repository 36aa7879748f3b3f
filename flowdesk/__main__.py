"""``python -m flowdesk`` runs the command line."""

import sys

from flowdesk.cli import console_main

sys.exit(console_main())
