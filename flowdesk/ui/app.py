"""The application object and the one qasync event loop every window coroutine runs on."""

from __future__ import annotations

import asyncio
import gc
import sys
from collections.abc import Callable
from pathlib import Path

import PySide6.QtWidgets  # noqa: F401  (PySide6 before qasync: LIBRARIES.md)
import qasync
from PySide6.QtWidgets import QApplication, QInputDialog, QLineEdit, QMessageBox

from flowdesk import __version__
from flowdesk.model.errors import FlowdeskError, UserError
from flowdesk.ui._state import STATE_FILE, load_state
from flowdesk.ui.main_window import MainWindow
from flowdesk.ui.resources import icon
from flowdesk.ui.style import apply_style
from flowdesk.workspace import Workspace, data_dir_of, warm_up_http


def create_application() -> QApplication:
    """The QApplication (made once; reused when it exists, as in tests), styled and named."""
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setApplicationName("flowdesk")
    app.setApplicationDisplayName("flowdesk")
    app.setApplicationVersion(__version__)
    app.setOrganizationName("flowdesk")
    app.setDesktopFileName("flowdesk")
    app.setWindowIcon(icon("app"))
    apply_style(app)
    return app


def freeze_startup_objects() -> None:
    """Exempt everything made while starting (Qt wrappers, modules, the window) from the cyclic GC.

    A full collection walks every tracked object; with the startup objects included it took ~100 ms
    (measured by benchmarks/ui_responsiveness.py) and froze the window in the middle of a large fetch.
    Frozen objects are never collected, which is right for what lives as long as the process.
    """
    gc.collect()
    gc.freeze()


def window_password_prompt(given: Callable[[], str | None] | None) -> Callable[[], str | None]:
    """The vault's master password: from the environment/terminal first, else asked once in a dialog.

    The dialog is modal and so only shown while no coroutine runs (re-entrancy, LIBRARIES.md); inside a
    coroutine the answer is "none", which the store reports as a clear error.
    """
    cache: list[str] = []

    def prompt() -> str | None:
        if cache:
            return cache[0]
        value = given() if given is not None else None
        if not value:
            try:
                asyncio.get_running_loop()
                return None
            except RuntimeError:
                pass
            text, ok = QInputDialog.getText(
                None,
                "flowdesk",
                "No usable system keychain was found.\nMaster password for the flowdesk vault:",
                QLineEdit.EchoMode.Password,
            )
            value = text if ok and text else None
        if value:
            cache.append(value)
        return value

    return prompt


def _last_workspace(data_dir: Path | None) -> str | None:
    if data_dir is None:
        return None
    name = load_state(Path(data_dir) / STATE_FILE).get("workspace")
    return name if isinstance(name, str) and name else None


def run_app(
    data_dir: Path | None,
    workspace: str | None,
    user: str | None,
    master_password: Callable[[], str | None] | None,
) -> int:
    """Open the main window on a qasync loop and run until it closes; returns the exit status."""
    app = create_application()
    app.setQuitOnLastWindowClosed(False)  # the loop ends the app, after cleaning up
    prompt = window_password_prompt(master_password)
    name = workspace or _last_workspace(data_dir) or "Default"
    try:
        ws = Workspace.open(data_dir, name, user=user, master_password=prompt)
    except FlowdeskError as exc:
        QMessageBox.critical(None, "flowdesk", str(exc))
        return 2 if isinstance(exc, UserError) else 1
    resolved_dir = data_dir_of(ws, data_dir)

    def open_workspace(other: str) -> Workspace:
        return Workspace.open(resolved_dir, other, user=ws.user, master_password=prompt)

    async def main() -> int:
        done = asyncio.Event()
        app.aboutToQuit.connect(done.set)
        window = MainWindow(ws, data_dir=resolved_dir, open_workspace=open_workspace)
        window.closed.connect(done.set)
        window.show()
        await asyncio.sleep(0)  # the first paint before the warm-up
        await warm_up_http()
        freeze_startup_objects()
        await done.wait()
        await window.shutdown()
        window.deleteLater()
        return 0

    with asyncio.Runner(loop_factory=qasync.QEventLoop) as runner:
        return runner.run(main())
