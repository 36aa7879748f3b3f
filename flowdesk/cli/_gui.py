"""``flowdesk`` (no command) / ``flowdesk gui``: the window; ``flowdesk snapshot``: its screenshots."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(commands: argparse._SubParsersAction[Any]) -> None:
    gui = commands.add_parser("gui", help="open the window (the default without a command)")
    gui.set_defaults(handler=run_gui)
    snap = commands.add_parser("snapshot", help="save PNG screenshots of the main screens (works offscreen)")
    snap.add_argument("--out", type=Path, required=True, help="folder for the PNG files")
    snap.add_argument(
        "--flow",
        type=Path,
        metavar="FILE",
        help="instead: the canvas with this flow file, and after a run against the demo API",
    )
    snap.set_defaults(handler=run_snapshot)


def run_gui(args: argparse.Namespace) -> int:
    """Open the main window on a qasync loop; imports Qt only here, so other commands start fast."""
    from flowdesk.cli._common import master_password, settle
    from flowdesk.ui import run_app

    settle()
    return run_app(data_dir=args.data_dir, workspace=args.workspace, user=args.user, master_password=master_password)


def run_snapshot(args: argparse.Namespace) -> int:
    from flowdesk.cli._common import settle
    from flowdesk.cli._output import note
    from flowdesk.ui import save_flow_snapshots, save_snapshots

    settle()
    if args.flow is not None:
        files = save_flow_snapshots(args.flow, args.out, data_dir=args.data_dir)
    else:
        files = save_snapshots(args.out, data_dir=args.data_dir)
    for file in files:
        note(f"wrote {file}")
    return 0
