"""Autosave: every edit of an open flow is written at once to a recovery file in the data directory.

A recovery file exists while a flow has changes not saved to the workspace; saving or discarding removes
it. Files left at start-up are the work of a session that ended without saving (killed, crashed, power
cut): the window offers to reopen them. Writes are atomic (temporary file, then rename), so a kill in the
middle of a write leaves the previous version, never a torn file. Qt-free.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RECOVERY_DIR = "recovery"
_SUFFIX = ".recovery.json"


@dataclass(frozen=True)
class RecoveredFlow:
    """A flow found in the recovery folder: its file content, the stored name it was opened from, when saved."""

    key: str
    flow: dict[str, Any]
    stored_name: str | None
    saved_at: float
    path: Path


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


class RecoveryStore:
    """The recovery files of one workspace (``<data dir>/recovery/<workspace>/``)."""

    def __init__(self, data_dir: Path, workspace: str) -> None:
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", workspace) or "default"
        self.directory = Path(data_dir) / RECOVERY_DIR / safe

    @staticmethod
    def new_key() -> str:
        return uuid.uuid4().hex[:16]

    def path_for(self, key: str) -> Path:
        return self.directory / f"{key}{_SUFFIX}"

    def save(self, key: str, flow: dict[str, Any], stored_name: str | None) -> Path:
        """Write (atomically) the current state of an edited flow."""
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.path_for(key)
        record = {
            "format": "flowdesk.recovery",
            "version": 1,
            "saved_at": time.time(),
            "pid": os.getpid(),
            "stored_name": stored_name,
            "flow": flow,
        }
        temporary = path.with_suffix(".tmp")
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump(record, handle, ensure_ascii=False)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
        return path

    def discard(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path_for(key).unlink()

    def pending(self, *, include_live: bool = False) -> list[RecoveredFlow]:
        """Flows left by sessions that are gone (newest first); unreadable files are skipped."""
        if not self.directory.is_dir():
            return []
        found: list[RecoveredFlow] = []
        for path in self.directory.glob(f"*{_SUFFIX}"):
            try:
                record = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if not isinstance(record, dict) or not isinstance(record.get("flow"), dict):
                continue
            pid = record.get("pid")
            if not include_live and isinstance(pid, int) and pid != os.getpid() and _pid_alive(pid):
                continue  # another window is still editing it
            if not include_live and pid == os.getpid():
                continue
            stored = record.get("stored_name")
            found.append(
                RecoveredFlow(
                    key=path.name[: -len(_SUFFIX)],
                    flow=record["flow"],
                    stored_name=stored if isinstance(stored, str) else None,
                    saved_at=float(record.get("saved_at") or 0.0),
                    path=path,
                )
            )
        found.sort(key=lambda r: r.saved_at, reverse=True)
        return found
