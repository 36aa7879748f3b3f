"""The command line: ``flowdesk [--data-dir DIR] [--workspace NAME] COMMAND …``.

Exit status: 0 success, 1 the call or run failed, 2 bad input (the message names what and where).
``--json`` makes results machine-readable on stdout; progress and diagnostics go to stderr.
"""

from flowdesk.cli._main import console_main, main

__all__ = ["console_main", "main"]
