"""``flowdesk snapshot --out DIR``: PNG screenshots of the main screens, taken offscreen.

The screens are real: a workspace in a temporary data dir (or a "Snapshots" workspace in the given one),
the bundled demo API started in-process, tests against it and against a closed port, real calls and flow
runs. Only the dashboard's earlier hours are simulated (a day of calls recorded with past timestamps), so
its chart shows what a connection in use looks like.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import socket
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from flowdesk.model import ApiCallMade, Connection, RateLimit
from flowdesk.model.errors import FlowdeskError

if TYPE_CHECKING:
    from PySide6.QtCore import SignalInstance

    from flowdesk.workspace import Workspace

SIZE = (1280, 800)
SNAPSHOT_WORKSPACE = "Snapshots"
TIMEOUT_S = 60


def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens (a port just bound and released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


async def _after(signal: SignalInstance, start: Callable[[], object]) -> None:
    """Call ``start`` and wait (at most a minute) until ``signal`` is emitted."""
    done = asyncio.Event()

    def fired(*_: object) -> None:
        done.set()

    signal.connect(fired)
    try:
        start()
        async with asyncio.timeout(TIMEOUT_S):
            await done.wait()
    finally:
        signal.disconnect(fired)


async def _settle() -> None:
    """Let layouts, repaints and queued slots run before a grab.

    Sleeping hands control back to the qasync loop, which processes Qt's events; calling
    ``processEvents()`` from a coroutine instead would run other tasks inside this one (re-entrancy).
    """
    for _ in range(5):
        await asyncio.sleep(0.02)


def _simulated_history(connection: str, base_url: str, now: float) -> list[ApiCallMade]:
    """A plausible day of calls before the current hour: busier in working hours, a few failures."""
    rng = random.Random(7)
    paths = ("/customers", "/orders", "/customers/changes", "/regions", "/items")
    calls: list[ApiCallMade] = []
    this_hour = now - now % 3600
    for hours_back in range(1, 24):
        start = this_hour - hours_back * 3600
        hour_of_day = time.localtime(start).tm_hour
        busy = 60 if 8 <= hour_of_day < 19 else 12
        for _ in range(rng.randint(busy // 2, busy)):
            failed = rng.random() < 0.04
            status = rng.choice((429, 500, 503)) if failed else 200
            calls.append(
                ApiCallMade(
                    at=start + rng.uniform(0, 3599),
                    connection=connection,
                    method="GET",
                    url=f"{base_url}{rng.choice(paths)}",
                    status=status,
                    duration_ms=rng.uniform(4, 60) if not failed else rng.uniform(30, 900),
                    attempt=rng.randint(1, 2) if failed else 1,
                    error=f"HTTP {status}" if failed else None,
                )
            )
    return calls


async def _run_example_flows(ws: Workspace, out_dir: Path) -> None:
    """Import the bundled example flows and run them against the demo API (real runs for the Runs page)."""
    from flowdesk.ui.resources import resource_path

    for path in sorted(resource_path("examples").glob("*.flow.json")):
        flow = ws.validate_flow(json.loads(path.read_text(encoding="utf-8")))
        ws.save_flow(flow)
        with contextlib.suppress(FlowdeskError):  # recorded as a failed run, which the Runs page shows as such
            await ws.run_flow(flow, variables={"outDir": str(out_dir)})


async def _take(out_dir: Path, data_dir: Path, workspace_name: str) -> list[Path]:
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QColor, QGuiApplication, QPainter
    from PySide6.QtWidgets import QComboBox, QLineEdit, QWidget

    from flowdesk.ui.connections import SecretEdit
    from flowdesk.ui.main_window import PAGES, MainWindow
    from flowdesk.workspace import Workspace, start_demo

    written: list[Path] = []
    ws = Workspace.open(
        data_dir,
        workspace_name,
        master_password=lambda: os.environ.get("FLOWDESK_MASTER_PASSWORD", "flowdesk-snapshot"),
    )
    window = MainWindow(ws, data_dir=data_dir, restore=False)
    window.resize(*SIZE)
    window.show()
    panel = window.panel

    async def grab(name: str, dialog: QWidget | None = None) -> None:
        await _settle()
        window.resize(*SIZE)
        await _settle()
        path = out_dir / f"{name}.png"
        image = window.grab()
        if dialog is not None:  # a dialog is a window of its own: paint it (and a title bar) over the window
            shot = dialog.grab()
            bar = dialog.fontMetrics().height() + 12
            painter = QPainter(image)
            painter.fillRect(image.rect(), QColor(0, 0, 0, 70))
            left, top = (image.width() - shot.width()) // 2, (image.height() - shot.height() + bar) // 2
            painter.fillRect(left, top - bar, shot.width(), bar, QColor("#e5e7eb"))
            painter.setPen(QColor("#111827"))
            centred = int(Qt.AlignmentFlag.AlignCenter)
            painter.drawText(left, top - bar, shot.width(), bar, centred, dialog.windowTitle())
            painter.drawPixmap(left, top, shot)
            painter.setPen(QColor("#6b7280"))
            painter.drawRect(left - 1, top - bar - 1, shot.width() + 1, shot.height() + bar + 1)
            painter.end()
        if not image.save(str(path), "PNG"):
            raise OSError(f"could not write {path}")
        written.append(path)

    async def wait(signal: SignalInstance, start: Callable[[], object]) -> None:
        await _after(signal, start)

    try:
        if not ws.list_connections():
            await grab("first-start")

        demo = await start_demo(ws)
        broken = Connection.model_validate(
            {"name": "billing-staging", "base_url": closed_port_url(), "timeout": 5, "retry": {"count": 0}}
        )
        ws.add_connection(broken, replace=True)
        base_url = ws.get_connection(demo, secrets=False).base_url
        ws.store.record_api_calls(ws.name, _simulated_history(demo, base_url, time.time()))
        window.refresh_connections(select=demo)

        # test results: failed against a closed port, ok against the demo API
        for name, shot in ((broken.name, "test-failed"), (demo, "test-ok")):
            window.connection_list.select_name(name)
            panel.tabs.setCurrentIndex(0)
            await wait(panel.test_panel.finished, panel.test_panel.run_test)
            window.refresh_connections()
            await grab(shot)

        window.connection_list.select_name(demo)
        panel.tabs.setCurrentIndex(panel.tab_index(panel.ENTITIES))
        panel.entities.table.selectRow(0)
        await grab("entities")

        # the request tester: one response as a tree, then every page of an entity
        panel.tabs.setCurrentIndex(panel.tab_index(panel.TESTER))
        tester = panel.tester
        tester.set_connection(demo, "list_customers")
        await wait(tester.response_shown, tester.send)
        if not tester.response_view.raw_view.done:
            await wait(tester.response_view.raw_view.rendered, lambda: None)
        tree = tester.response_view.json_tree
        tree.expand(tree.json_model.index(0, 0, tree.json_model.index(0, 0)))  # the first record
        await grab("request-tester")
        tester.set_connection(demo, "list_orders")
        await wait(tester.pages_finished, tester.fetch_all)
        await grab("request-tester-all-pages")

        # real failures for the error log, then the flows (their runs call the demo API too)
        for path in ("/customers/99999", "/no-such-endpoint"):
            with contextlib.suppress(FlowdeskError):
                await ws.call(demo, path)
        with tempfile.TemporaryDirectory(prefix="flowdesk-snapshot-out-") as flow_out:
            await _run_example_flows(ws, Path(flow_out))
        ws.flush()
        rate_limited = ws.get_connection(demo).model_copy(update={"rate_limit": RateLimit(requests=20, per_s=1.0)})
        ws.update_connection(demo, rate_limited)
        window.refresh()
        window.connection_list.select_name(demo)
        panel.show_connection(demo)
        panel.tabs.setCurrentIndex(panel.tab_index(panel.DASHBOARD))
        panel.dashboard.refresh()
        if panel.dashboard.error_table.rowCount():
            panel.dashboard.error_table.selectRow(0)
        await grab("dashboard")

        window.show_page(1)
        await grab("flows")
        window.show_page(2)
        await grab("runs")

        # members and their roles, and the audit trail that recorded the changes
        with contextlib.suppress(FlowdeskError):  # the acting user may not be an admin of a given data dir
            ws.add_member("dana", "editor")
            ws.add_member("sam", "viewer")
        window.show_page(PAGES.index("Audit"))
        await grab("audit")
        window.show_page(0)
        window.show_members()
        members = window.dialog
        assert members is not None
        await grab("members", members)
        members.close()
        window.show_page(0)

        # the connection list with the settings of the selected connection
        panel.tabs.setCurrentIndex(0)
        await grab("connection-list")

        # the editor for each auth type, on a new REST connection with example values
        examples: dict[str, dict[str, str]] = {
            "none": {},
            "api_key": {"name": "X-API-Key", "key": "sk_live_example"},
            "basic": {"username": "reporting", "password": "example-password"},
            "digest": {"username": "reporting", "password": "example-password"},
            "bearer": {"token": "eyJhbGciOi.example.token"},
            "oauth2": {
                "client_id": "flowdesk-reporting",
                "client_secret": "example-secret",
                "token_url": "https://auth.example.com/oauth/token",
                "scope": "customers:read orders:read",
            },
        }
        for auth_type, values in examples.items():
            window.start_new_connection("rest")
            editor = panel.editor
            editor.base_url_edit.setText("https://api.example.com/v1")
            editor.set_auth_type(auth_type)
            for field, value in values.items():
                widget = editor.auth_field(field)
                if isinstance(widget, QLineEdit | SecretEdit):
                    widget.setText(value)
            await grab(f"editor-auth-{auth_type}")
        grant, auth_url = editor.auth_field("grant"), editor.auth_field("authorize_url")
        assert isinstance(grant, QComboBox) and isinstance(auth_url, QLineEdit)
        grant.setCurrentIndex(grant.findData("authorization_code"))  # the authorize URL and PKCE appear
        auth_url.setText("https://auth.example.com/oauth/authorize")
        await grab("editor-auth-oauth2-code")

        # a refused value, marked at its field
        window.start_new_connection("rest")
        panel.editor.base_url_edit.setText("api.example.com:99999")
        panel.editor.save()
        await grab("editor-invalid")
        panel.editor.dirty = False

        # the same window in the dark appearance (as when the system switches to dark)
        window.connection_list.select_name(demo)
        panel.tabs.setCurrentIndex(panel.tab_index(panel.TESTER))
        window.statusBar().clearMessage()
        hints = QGuiApplication.styleHints()
        hints.colorSchemeChanged.emit(Qt.ColorScheme.Dark)
        try:
            await grab("dark-mode")
        finally:
            hints.colorSchemeChanged.emit(Qt.ColorScheme.Light)
    finally:
        window.hide()
        await window.shutdown()
        window.deleteLater()
    return written


def save_snapshots(out_dir: Path, data_dir: Path | None = None) -> list[Path]:
    """Save the screenshots as PNG files in ``out_dir``; returns their paths.

    Works without a display (the Qt "offscreen" platform is chosen when no QApplication exists yet).
    """
    from PySide6.QtWidgets import QApplication

    if QApplication.instance() is None:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    import qasync

    from flowdesk.ui.app import create_application

    create_application()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="flowdesk-snapshot-") as tmp:
        directory = Path(data_dir) if data_dir is not None else Path(tmp)
        name = SNAPSHOT_WORKSPACE if data_dir is not None else "Default"
        with asyncio.Runner(loop_factory=qasync.QEventLoop) as runner:
            return runner.run(_take(out_dir, directory, name))


def save_flow_snapshots(flow_file: Path, out_dir: Path, data_dir: Path | None = None) -> list[Path]:
    """``snapshot --flow FILE``: the canvas with that flow, and with a finished run against the demo API."""
    from flowdesk.ui.canvas._snapshot import save_flow_snapshots as _save_flow_snapshots

    return _save_flow_snapshots(flow_file, out_dir, data_dir)
