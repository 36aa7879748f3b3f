"""The window's own state (geometry, last page and selection) in ``ui_state.json`` in the data dir.

Kept next to the store rather than in QSettings' per-user location, so a ``--data-dir`` (and each test)
has its own.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

STATE_FILE = "ui_state.json"


def load_state(path: Path) -> dict[str, Any]:
    """The saved state, or ``{}`` when there is none or it cannot be read (a fresh look is harmless)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def save_state(path: Path, state: dict[str, Any]) -> None:
    """Write atomically (a crash mid-write leaves the previous state, never half a file)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=2, sort_keys=True), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass  # losing the window layout is not worth an error dialog on quit
