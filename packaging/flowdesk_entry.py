"""Entry point of the frozen app: the same command line as ``flowdesk``."""

import multiprocessing
import sys

from flowdesk.cli import console_main

if __name__ == "__main__":
    multiprocessing.freeze_support()
    sys.exit(console_main())
