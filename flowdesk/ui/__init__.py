"""The flowdesk window (PySide6 on one qasync loop). Talks only to :mod:`flowdesk.workspace`.

Qt is imported lazily: ``from flowdesk.ui import run_app`` costs nothing until called.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

__all__ = ["run_app", "save_flow_snapshots", "save_snapshots", "self_check"]


def run_app(
    data_dir: Path | None,
    workspace: str | None,
    user: str | None,
    master_password: Callable[[], str | None] | None,
) -> int:
    """Open the main window and run until it is closed; returns the process exit status."""
    from flowdesk.ui.app import run_app as _run_app

    return _run_app(data_dir, workspace, user, master_password)


def save_snapshots(out_dir: Path, data_dir: Path | None = None) -> list[Path]:
    """Save PNG screenshots of the main screens (offscreen, against the bundled demo API)."""
    from flowdesk.ui.snapshot import save_snapshots as _save_snapshots

    return _save_snapshots(out_dir, data_dir)


def save_flow_snapshots(flow_file: Path, out_dir: Path, data_dir: Path | None = None) -> list[Path]:
    """Save PNG pictures of the canvas with the flow in ``flow_file``, before and after a run (offscreen)."""
    from flowdesk.ui.snapshot import save_flow_snapshots as _save_flow_snapshots

    return _save_flow_snapshots(flow_file, out_dir, data_dir)


def self_check(data_dir: Path) -> str:
    """Open the main window offscreen and render it (the window part of ``flowdesk --self-test``)."""
    from flowdesk.ui.selfcheck import self_check as _self_check

    return _self_check(data_dir)
