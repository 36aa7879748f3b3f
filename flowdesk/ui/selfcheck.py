"""The window part of ``flowdesk --self-test``: can this installation draw the main window?

A frozen build that lacks the Qt platform plugin, the PNG image plugin, QtSvg or the bundled icons fails
here with the missing piece named, instead of on a user's desktop.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import PySide6.QtWidgets  # noqa: F401  (PySide6 before qasync: LIBRARIES.md)
import qasync
from PySide6.QtGui import QImageWriter

from flowdesk.ui.app import create_application
from flowdesk.ui.main_window import MainWindow
from flowdesk.ui.resources import icon, resource_path
from flowdesk.workspace import Workspace

PASSWORD = "self-test-only"


def self_check(data_dir: Path) -> str:
    """Open the main window offscreen on a qasync loop, render it to PNG, and say what was checked.

    Raises:
        RuntimeError: naming what is missing (plugin, icon file, an empty rendering).
    """
    app = create_application()
    if b"png" not in {bytes(f.data()) for f in QImageWriter.supportedImageFormats()}:
        raise RuntimeError("Qt cannot write PNG: the image-format plugins are missing")
    if not resource_path("icons", "app.svg").is_file():
        raise RuntimeError(f"the bundled icons are missing (looked for {resource_path('icons', 'app.svg')})")
    if icon("app").pixmap(32, 32).isNull():
        raise RuntimeError("the app icon cannot be rendered: QtSvg is missing")

    folder = data_dir / "window-check"  # a workspace of its own: the window draws, nothing else starts
    # Closing the check's window must not quit the application while its shutdown is still being awaited
    # (Qt would end the loop under the coroutine: "Event loop stopped before Future completed").
    app.setQuitOnLastWindowClosed(False)

    async def render() -> int:
        ws = Workspace.open(folder, "Default", user="self-test", master_password=lambda: PASSWORD)
        window = MainWindow(ws, data_dir=folder, restore=False)
        try:
            window.resize(1000, 680)
            window.show()
            await asyncio.sleep(0.05)
            image = window.grab().toImage()
            colours = {image.pixel(x, y) for x in range(0, image.width(), 23) for y in range(0, image.height(), 23)}
            if len(colours) < 3:
                raise RuntimeError("the main window rendered as a blank image")
            png = folder / "self-check.png"
            if not image.save(str(png)):
                raise RuntimeError("the main window could not be saved as PNG")
            return png.stat().st_size
        finally:
            window.close()
            await window.shutdown()
            window.deleteLater()

    with asyncio.Runner(loop_factory=qasync.QEventLoop) as runner:
        size = runner.run(render())
    return (
        f"Qt platform {app.platformName()!r}, style {app.style().name()!r}, main window rendered ({size:,} bytes PNG)"
    )
