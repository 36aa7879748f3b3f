"""Where the store lives on disk."""

from __future__ import annotations

import os
from pathlib import Path

DB_FILENAME = "flowdesk.db"
VAULT_FILENAME = "vault.json"
DATA_DIR_ENV = "FLOWDESK_DATA_DIR"


def default_data_dir() -> Path:
    """``$FLOWDESK_DATA_DIR`` if set, else the per-user data directory of the OS (``platformdirs``).

    platformdirs is imported only when needed: the CLI pays for every import on every command.
    """
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("flowdesk", appauthor=False))
