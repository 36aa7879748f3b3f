"""``flowdesk snapshot --flow FILE``: the canvas with a flow, before and after a real run, as PNG files.

The flow runs against the bundled demo API (started in-process, as the window does), so a flow written
for the demo connection shows real states, counts and sample items. A flow that does not validate is
shown with its problems marked and is not run.
"""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from flowdesk.model.errors import InvalidConfigError

SIZE = (1440, 880)
TIMEOUT_S = 120


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "flow"


async def _settle(rounds: int = 6) -> None:
    for _ in range(rounds):
        await asyncio.sleep(0.03)


def _focus_node(flow: Any) -> str | None:
    """The node whose items the "after the run" picture shows: the first API call, else the last node."""
    for node in flow.nodes:
        if node.type == "api_call":
            return str(node.id)
    return str(flow.nodes[-1].id) if flow.nodes else None


async def take_flow_snapshots(flow_file: Path, out_dir: Path, data_dir: Path, workspace: str) -> list[Path]:
    from flowdesk.model.files import read_document
    from flowdesk.model.flow import Flow
    from flowdesk.ui._async import TaskKeeper
    from flowdesk.ui.canvas._document import FlowDocument
    from flowdesk.ui.canvas._editor import FlowEditor
    from flowdesk.ui.canvas._services import CanvasServices
    from flowdesk.workspace import Workspace, start_demo, stop_demo

    data = read_document(Path(flow_file))
    flow = Flow.model_validate(data)
    written: list[Path] = []
    ws = Workspace.open(
        data_dir,
        workspace,
        master_password=lambda: os.environ.get("FLOWDESK_MASTER_PASSWORD", "flowdesk-snapshot"),
    )
    keeper = TaskKeeper()
    with tempfile.TemporaryDirectory(prefix="flowdesk-snapshot-out-") as scratch:
        if "outDir" in flow.variables:  # example flows write their files there: keep them out of the way
            flow.variables["outDir"] = scratch
        try:
            await start_demo(ws)
            runnable = True
            try:
                ws.save_flow(ws.validate_flow(flow))
            except InvalidConfigError:
                runnable = False
            document = FlowDocument(flow, stored_name=flow.name if runnable else None)
            editor = FlowEditor(document, CanvasServices(ws), keeper)
            editor.resize(*SIZE)
            editor.show()
            await _settle()
            editor.view.zoom_fit()
            await _settle()

            async def grab(suffix: str) -> None:
                await _settle()
                path = Path(out_dir) / f"canvas-{_slug(flow.name)}{suffix}.png"
                if not editor.grab().save(str(path), "PNG"):
                    raise OSError(f"could not write {path}")
                written.append(path)

            await grab("")
            if runnable:
                done = asyncio.Event()
                editor.run.finished.connect(lambda _status: done.set())
                if editor.run.start():
                    async with asyncio.timeout(TIMEOUT_S):
                        await done.wait()
                    focus = _focus_node(flow)
                    if focus is not None:
                        editor.scene.select_nodes([focus])
                    editor.bottom_tabs.setCurrentWidget(editor.details)
                    await grab("-run")
            editor.close_editor()
            editor.deleteLater()
        finally:
            await keeper.aclose()
            await stop_demo(ws)
            await ws.aclose()
    return written


def save_flow_snapshots(flow_file: Path, out_dir: Path, data_dir: Path | None = None) -> list[Path]:
    """Render ``flow_file`` on the canvas (and after a run against the demo API) as PNG files in ``out_dir``.

    Raises:
        UserError: the file cannot be read or is not a flow file.
    """
    from PySide6.QtWidgets import QApplication

    if QApplication.instance() is None:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    import qasync

    from flowdesk.ui.app import create_application

    app = create_application()
    quits = app.quitOnLastWindowClosed()
    app.setQuitOnLastWindowClosed(False)  # closing the canvas must not stop the loop before the demo API
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="flowdesk-snapshot-") as tmp:
        directory = Path(data_dir) if data_dir is not None else Path(tmp)
        name = "Snapshots" if data_dir is not None else "Default"
        try:
            with asyncio.Runner(loop_factory=qasync.QEventLoop) as runner:
                return runner.run(take_flow_snapshots(Path(flow_file), out_dir, directory, name))
        finally:
            app.setQuitOnLastWindowClosed(quits)

