"""Where ``webhook serve`` listens unless told otherwise (kept apart so the command line can show them in its
help without loading the receiver)."""

from __future__ import annotations

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8780
